"""Cramér's V between categorical text columns: how far one column's category tells the other's.

The counterpart for categories of the numeric correlations, for the ``association`` alerts. It
needs one contingency table per pair of columns, which over the whole table would be one GROUP BY
per pair; instead one seeded sample of rows (:func:`sqlbits.seeded_sample`, the size of the
distribution fits' sample) is fetched for all categorical columns at once and the tables are
counted in NumPy. Pairs use the rows where both values are present, as the correlations do. V is
bias-corrected (Bergsma 2013), as ydata-profiling reports it, so that two unrelated columns with
many categories in a small sample do not look associated.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Sequence
from typing import Any

import duckdb
import numpy as np

from jobsmith.processes.profile.analysis.sqlbits import is_null_token, row_key, seeded_sample
from jobsmith.processes.profile.analysis.strings import StringSummary

CATEGORY_MAX_UNIQUE = 50
"""A text column with more distinct values than this is not a set of categories (ydata-profiling's
``cardinality_threshold``): it takes no part, and neither does one with a single value."""
MIN_PAIRS = 20
"""Fewer rows with both values present than this: no V, as a handful of rows associates anything."""


@dataclasses.dataclass(frozen=True)
class Association:
    first: str
    second: str
    cramers_v: float
    rows: int  # sampled rows with both values present


def categorical(strings: Sequence[StringSummary]) -> list[StringSummary]:
    """The text columns that hold categories: 2 to :data:`CATEGORY_MAX_UNIQUE` distinct values, each
    used twice on average (40 different values in 40 rows are labels, not categories)."""
    return [s for s in strings if 2 <= s.unique <= min(CATEGORY_MAX_UNIQUE, s.count / 2)]


def measure(con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[StringSummary], rows: int,
            sample_rows: int, seed: int) -> list[Association]:
    """Cramér's V of every pair of ``columns`` (categorical ones, see :func:`categorical`) on one sample."""
    if len(columns) < 2:
        return []
    picked = ", ".join(f"CASE WHEN {is_null_token(s.plan.column)} THEN NULL ELSE {s.plan.column} END"
                       for s in columns)
    fetched = con.execute(seeded_sample(picked, table, row_key(seed), rows, sample_rows)).fetchall()
    codes = [_codes([row[i] for row in fetched]) for i in range(len(columns))]
    found = []
    for i, j in itertools.combinations(range(len(columns)), 2):
        both = (codes[i] >= 0) & (codes[j] >= 0)
        if int(both.sum()) >= MIN_PAIRS:
            v = cramers_v(codes[i][both], codes[j][both])
            found.append(Association(columns[i].plan.name, columns[j].plan.name, v, int(both.sum())))
    return found


def _codes(values: list[Any]) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Each value's category number, -1 where it is missing."""
    numbers: dict[Any, int] = {}
    return np.array([-1 if v is None else numbers.setdefault(v, len(numbers)) for v in values], dtype=np.int64)


def cramers_v(a: np.ndarray[Any, np.dtype[np.int64]], b: np.ndarray[Any, np.dtype[np.int64]]) -> float:
    """Bias-corrected Cramér's V of two arrays of category numbers (0..k-1) of equal length, in [0, 1]."""
    _, a = np.unique(a, return_inverse=True)
    _, b = np.unique(b, return_inverse=True)
    r, k, n = int(a.max()) + 1, int(b.max()) + 1, len(a)
    if r < 2 or k < 2 or n < 2:
        return 0.0
    observed = np.zeros((r, k), dtype=np.float64)
    np.add.at(observed, (a, b), 1.0)
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / n
    chi2 = float(((observed - expected) ** 2 / expected).sum())
    phi2 = max(0.0, chi2 / n - (k - 1) * (r - 1) / (n - 1))
    r_corrected, k_corrected = r - (r - 1) ** 2 / (n - 1), k - (k - 1) ** 2 / (n - 1)
    denominator = min(k_corrected - 1, r_corrected - 1)
    return round(min(1.0, math.sqrt(phi2 / denominator)), 6) if denominator > 0 else 0.0
