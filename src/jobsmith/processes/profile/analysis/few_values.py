"""The count of each value of a numeric column with few distinct values: flags, ratings, weekdays, classes.

Such a column gets no histogram (fewer than :data:`numeric.DISTRIBUTION_MIN_UNIQUE` distinct values
make bins of single values with gaps between them), and its box plot hides how often each value
occurs. A bar per value says it directly, as the most-frequent-value bars do for text. The counts
come from one scan of those columns only, when there are any.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from jobsmith.processes.profile.analysis.numeric import DISTRIBUTION_MIN_UNIQUE, NumericSummary
from jobsmith.processes.profile.analysis.sqlbits import Aggregates

MIN_UNIQUE = 2


def wanted(s: NumericSummary) -> bool:
    """A numeric column whose values are counted one by one: from two to a histogram's worth of distinct values."""
    return s.count > 0 and MIN_UNIQUE <= s.unique <= DISTRIBUTION_MIN_UNIQUE


def measure(con: duckdb.DuckDBPyConnection, typed: str,
            summaries: Sequence[NumericSummary]) -> dict[int, tuple[tuple[float, int], ...]]:
    """Per column position, ``(value, count)`` of each value, smallest value first."""
    chosen = [s for s in summaries if wanted(s)]
    if not chosen:
        return {}
    batch = Aggregates()
    slots = [batch.add(f"histogram({s.plan.column})") for s in chosen]
    batch.run(con, typed)
    found = {}
    for s, slot in zip(chosen, slots, strict=True):
        counted = sorted((float(value), int(count)) for value, count in (batch.value(slot) or {}).items()
                         if value is not None)
        if len(counted) >= MIN_UNIQUE:
            found[s.plan.position] = tuple(counted)
    return found
