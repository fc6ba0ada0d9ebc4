"""Histograms on a logarithmic value axis for heavily right-skewed columns (incomes, sizes, durations).

The ordinary histogram spans the IQR fences with bins of equal width. For a column spread over
several powers of ten that shows one tall bar at the left and leaves out the whole tail (at
log-normal σ = 1.6, 12 % of the values), so such a column gets bins of equal *ratio* instead
(:data:`PER_DECADE` to each power of ten) over all its positive values. The histogram still says
how many values it leaves out: the zero and negative ones, which a logarithmic axis cannot show.

Which columns: positive from the lower quartile on, a maximum at least :data:`DECADES` powers of ten
above the lower quartile, and an upper half of the box longer than the lower one by
:data:`BOX_ASYMMETRY` (log-normal data with σ ≥ 1 has 2 or more; an exponential 1.7, and its
maximum stays within two powers of ten of its quartile). It is decided from scan 1's quantiles
and costs one scan of those columns only, when there are any.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import duckdb

from jobsmith.processes.profile.analysis.numeric import NumericSummary
from jobsmith.processes.profile.analysis.sqlbits import Aggregates

PER_DECADE = 10
MAX_BINS = 50
DECADES = 2.0
BOX_ASYMMETRY = 1.8


@dataclasses.dataclass(frozen=True)
class LogHistogram:
    """Counts of the positive values between edges that grow by a constant factor."""

    edges: tuple[float, ...]
    counts: tuple[int, ...]
    left_out: int  # zero and negative values


def heavy(s: NumericSummary) -> bool:
    """Whether the column is skewed enough to be drawn on a logarithmic axis (see the module)."""
    if not s.count or s.unique <= 2:
        return False
    q1, median, q3 = s.quantiles[1], s.quantiles[2], s.quantiles[3]
    if not 0 < q1 < median < q3 <= s.maximum:
        return False
    return math.log10(s.maximum / q1) >= DECADES and q3 - median >= BOX_ASYMMETRY * (median - q1)


def measure(con: duckdb.DuckDBPyConnection, typed: str, summaries: Sequence[NumericSummary]) -> dict[int, LogHistogram]:
    """Per column position, the logarithmic histogram of each heavily skewed column, in one scan."""
    chosen = [s for s in summaries if heavy(s)]
    if not chosen:
        return {}
    batch = Aggregates()
    slots = [(batch.add(f"histogram(CASE WHEN {c} > 0 THEN floor(log10({c}) * {PER_DECADE})::BIGINT END)"),
              batch.add(f"count(*) FILTER ({c} <= 0)")) for c in (s.plan.column for s in chosen)]
    batch.run(con, typed)
    found = {}
    for s, (bins, left_out) in zip(chosen, slots, strict=True):
        counted = {int(k): int(n) for k, n in (batch.value(bins) or {}).items()}
        if counted:
            found[s.plan.position] = binned(counted, int(batch.value(left_out) or 0))
    return found


def binned(counted: dict[int, int], left_out: int) -> LogHistogram:
    """Bins ``k`` (values in [10^(k/10), 10^((k+1)/10))) merged ``step`` at a time into at most :data:`MAX_BINS`."""
    first, last = min(counted), max(counted)
    step = max(1, math.ceil((last - first + 1) / MAX_BINS))
    starts = range(first, last + 1, step)
    counts = tuple(sum(counted.get(k, 0) for k in range(start, start + step)) for start in starts)
    edges = tuple(10 ** (k / PER_DECADE) for k in [*starts, starts[-1] + step])
    return LogHistogram(edges, counts, left_out)
