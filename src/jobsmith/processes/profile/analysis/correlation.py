"""Pearson correlations between numeric columns, computed inside the second scan.

As in the old service: only columns with more than one distinct value take part, at least two are
needed, pairs use the rows where both are present (pandas' pairwise-complete ``corr``), and
|r| < 0.5 is no correlation, < 0.8 partial, else strong. DuckDB's parallel ``corr`` may differ in
the last bits between runs, hence :data:`DECIMALS`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from jobsmith.processes.profile.analysis.numeric import NumericSummary
from jobsmith.processes.profile.analysis.sqlbits import Aggregates

PARTIAL, STRONG = 0.5, 0.8
DECIMALS = 6
"""The matrix is rounded to this many decimals, far below what the heatmap shows and far above the
last-bit noise of DuckDB's parallel sums, so the same file gives the same matrix every time."""


class Correlations:
    """The correlation matrix of the eligible columns of one dataset."""

    def __init__(self, summaries: Sequence[NumericSummary], limit: int) -> None:
        eligible = [s for s in summaries if s.unique > 1]
        self.skipped = max(0, len(eligible) - limit)
        self.columns = eligible[:limit] if len(eligible) >= 2 else []
        self._slots: dict[tuple[int, int], int] = {}
        self.matrix: list[list[float]] = []

    def plan(self, batch: Aggregates) -> None:
        for i, j in itertools.combinations(range(len(self.columns)), 2):
            a, b = self.columns[i].plan.column, self.columns[j].plan.column
            self._slots[(i, j)] = batch.add(f"corr({a}, {b})")

    def read(self, batch: Aggregates) -> None:
        size = len(self.columns)
        self.matrix = [[1.0 if i == j else 0.0 for j in range(size)] for i in range(size)]
        for (i, j), slot in self._slots.items():
            value = batch.value(slot)
            r = float(value) if value is not None and math.isfinite(float(value)) else 0.0
            self.matrix[i][j] = self.matrix[j][i] = round(max(-1.0, min(1.0, r)), DECIMALS)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.plan.name for s in self.columns)

    def summary(self) -> dict[str, int]:
        counts = {"no": 0, "partial": 0, "strong": 0}
        for i, j in itertools.combinations(range(len(self.columns)), 2):
            r = abs(self.matrix[i][j])
            counts["no" if r < PARTIAL else "partial" if r < STRONG else "strong"] += 1
        return counts
