"""Pearson correlations between numeric columns, computed inside the second scan, and Spearman's on a sample.

As in the old service: only columns with more than one distinct value take part, at least two are
needed, pairs use the rows where both are present (pandas' pairwise-complete ``corr``), and
|r| < 0.5 is no correlation, < 0.8 partial, else strong. DuckDB's parallel ``corr`` may differ in
the last bits between runs, hence :data:`DECIMALS`.

Spearman's rank correlation (for the alerts: a monotonic relation that is not a straight line)
needs every value's rank, which over the whole table would sort each column; it is computed on
the seeded sample of rows the distribution fits use (:meth:`Correlations.rank`), pairwise
complete like Pearson's. The EDP's correlation figures stay Pearson's.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

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
        self.spearman: list[list[float]] = []  # empty until :meth:`rank`; same order as ``matrix``

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

    def rank(self, sample: np.ndarray[Any, np.dtype[np.float64]]) -> None:
        """Spearman's correlations from ``sample``: rows of the sample, one column per entry of ``columns``
        in that order, NaN where a value is missing. Fewer than three complete pairs: 0."""
        from scipy import stats  # type: ignore[import-untyped]  # here: SciPy takes ~1 s to import (see process.warm_up)

        size = len(self.columns)
        self.spearman = [[1.0 if i == j else 0.0 for j in range(size)] for i in range(size)]
        present = ~np.isnan(sample) if size else np.zeros((0, 0), dtype=bool)
        whole = [stats.rankdata(sample[:, i]) if present[:, i].all() else None for i in range(size)]
        for i, j in itertools.combinations(range(size), 2):
            both = present[:, i] & present[:, j]
            if int(both.sum()) < 3:
                continue
            a = whole[i] if whole[i] is not None and whole[j] is not None else stats.rankdata(sample[both, i])
            b = whole[j] if whole[i] is not None and whole[j] is not None else stats.rankdata(sample[both, j])
            r = _pearson(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
            self.spearman[i][j] = self.spearman[j][i] = round(r, DECIMALS)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.plan.name for s in self.columns)

    def summary(self) -> dict[str, int]:
        counts = {"no": 0, "partial": 0, "strong": 0}
        for i, j in itertools.combinations(range(len(self.columns)), 2):
            r = abs(self.matrix[i][j])
            counts["no" if r < PARTIAL else "partial" if r < STRONG else "strong"] += 1
        return counts


def _pearson(a: np.ndarray[Any, np.dtype[np.float64]], b: np.ndarray[Any, np.dtype[np.float64]]) -> float:
    """Pearson's r of two equally long arrays; 0 when either is constant."""
    a, b = a - a.mean(), b - b.mean()
    scale = math.sqrt(float((a * a).sum()) * float((b * b).sum()))
    return max(-1.0, min(1.0, float((a * b).sum()) / scale)) if scale > 0 else 0.0
