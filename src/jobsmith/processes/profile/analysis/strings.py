"""String columns: null count, unique count, the most frequent values, and the values' lengths and shapes.

Up to ``exact_max_rows`` rows, one GROUP BY per column gives all of them exactly. Null markers
(``""``, ``n/a``, ``NULL`` ...) are recognised among the *groups* rather than per row, so a text
column costs one hash aggregation and nothing else: the distinct values are what the unique count,
the top values, the lengths and the shapes need anyway (a group's length or shape counts as often
as the group has rows).

Above it a GROUP BY of tens of millions of distinct texts would spill most of itself to disk, so
:func:`measure_sampled` takes the candidates for the top values (and the lengths and shapes) from
a seeded sample, counts those candidates exactly in one scan of all string columns, and estimates
the unique count with HyperLogLog (order-independent, so reproducible). The null count stays exact.

A value's *shape* writes each letter as ``A`` or ``a`` and each digit as ``9``, keeping everything
else: it tells codes, identifiers and free text apart (``99999`` for postal codes, ``AA-9999``)
without showing a value, so it may be published where the values may not.
"""

from __future__ import annotations

import dataclasses
import string
from collections.abc import Sequence
from typing import Any

import duckdb

from jobsmith.processes.profile.analysis.infer import ColumnPlan
from jobsmith.processes.profile.analysis.sqlbits import (NULL_TOKENS, Aggregates, drop, ident, is_null_token, literal, row_key,
                                                         seeded_sample)

DISTRIBUTION_MIN_UNIQUE = 4
"""Fewer unique values than this: no top-values plot (the old service's threshold)."""
CANDIDATE_ROWS = 100_000
"""Rows sampled for top-value candidates of large tables: a value among the 20 most frequent of tens
of millions of rows is all but certain to be among the 40 most frequent of 100 000."""
PATTERNS = 5
"""Most frequent shapes kept per column: enough to show a code's one or two formats, or that there are many."""
PATTERN_MAX_LENGTH = 32
"""Values longer than this are prose, not codes: they share one shape entry (:data:`LONG_SHAPE`)
rather than each getting its own, and are not rewritten character by character."""
LONG_SHAPE = f"(longer than {PATTERN_MAX_LENGTH} characters)"
_UPPER, _LOWER = string.ascii_uppercase + "\u00d8\u00c6\u0152\u00d0\u00de\u0141\u0110", \
    string.ascii_lowercase + "\u00df\u00f8\u00e6\u0153\u00f0\u00fe\u0142\u0111"
"""Letters a shape writes as ``A`` or ``a``: ASCII, and the Latin letters ``strip_accents`` leaves (ß, ø, æ, ł ...)."""
_SHAPE_FROM = _UPPER + _LOWER + string.digits
_SHAPE_TO = "A" * len(_UPPER) + "a" * len(_LOWER) + "9" * 10


@dataclasses.dataclass
class StringSummary:
    """What the EDP, the top-values plot and the report say about one string column.

    Lengths are in characters, over the non-null values; ``patterns`` are the most frequent shapes
    (see the module) with their value counts.
    """

    plan: ColumnPlan
    count: int = 0
    nulls: int = 0
    unique: int = 0
    top: list[tuple[str, int]] = dataclasses.field(default_factory=list)
    min_length: int | None = None
    max_length: int | None = None
    mean_length: float | None = None
    patterns: list[tuple[str, int]] = dataclasses.field(default_factory=list)
    lengths: list[tuple[int, int]] = dataclasses.field(default_factory=list)
    """(length, values of that length), shortest first: the length histogram of free text and identifiers."""


def shape(value: str) -> str:
    """SQL giving the shape of the text ``value`` (accents stripped first, so ``Ä`` is a letter too)."""
    return (f"CASE WHEN length({value}) > {PATTERN_MAX_LENGTH} THEN {literal(LONG_SHAPE)} "
            f"ELSE translate(strip_accents({value}), {literal(_SHAPE_FROM)}, {literal(_SHAPE_TO)}) END")


def _grouped(groups: str, top: int) -> str:
    """One statement over the (value, count) groups ``groups`` of a column, null markers left out.

    It returns the top values, the figures over all groups, the top shapes and the values per length. The filtered groups
    are MATERIALIZED, so the GROUP BY they come from runs once for the three.
    """
    # "AND n > 0" ties the marker test to the aggregate, so the optimizer cannot push it below the
    # GROUP BY onto every row (measured: 4 times the cost of the grouping for a 10-value column).
    return (
        f"WITH g AS ({groups}), f AS MATERIALIZED (SELECT v, n FROM g WHERE NOT ({is_null_token('v')} AND n > 0)), "
        f"t AS (SELECT v, n FROM f ORDER BY n DESC, v LIMIT {int(top)}), "
        f"s AS (SELECT p, sum(n) AS k FROM (SELECT {shape('v')} AS p, n FROM f) GROUP BY p "
        f"ORDER BY k DESC, p LIMIT {PATTERNS}), "
        f"l AS (SELECT length(v) AS k, sum(n) AS m FROM f GROUP BY k) "
        f"SELECT (SELECT list((v, n) ORDER BY n DESC, v) FROM t), count(*), sum(n), min(length(v)), "
        f"max(length(v)), sum(length(v) * n), (SELECT list((p, k) ORDER BY k DESC, p) FROM s), "
        f"(SELECT list((k, m) ORDER BY k) FROM l) FROM f")


def _read_grouped(summary: StringSummary, row: Sequence[Any] | None) -> None:
    """Top values, counts, lengths and shapes from the row of :func:`_grouped` (nothing without values)."""
    if row is None or not row[1]:
        return
    summary.top = [(str(value), int(count)) for value, count in row[0] or []]
    summary.unique, summary.count = int(row[1]), int(row[2])
    summary.min_length, summary.max_length = int(row[3]), int(row[4])
    summary.mean_length = float(row[5]) / float(row[2])
    summary.patterns = [(str(pattern), int(count)) for pattern, count in row[6] or []]
    summary.lengths = [(int(length), int(count)) for length, count in row[7] or []]


def measure(con: duckdb.DuckDBPyConnection, table: str, plan: ColumnPlan, rows: int, top: int) -> StringSummary:
    """Count the values of one column by group; ties among the top values are broken by the value."""
    c = plan.column
    summary = StringSummary(plan)
    _read_grouped(summary, con.execute(_grouped(f"SELECT {c} AS v, count(*) AS n FROM {table} GROUP BY {c}",
                                                top)).fetchone())
    summary.nulls = rows - summary.count
    return summary


def measure_sampled(con: duckdb.DuckDBPyConnection, table: str, plans: Sequence[ColumnPlan], rows: int, top: int,
                    sample_rows: int, seed: int) -> list[StringSummary]:
    """Large tables: candidates, lengths and shapes from a seeded sample, exact counts and nulls from one scan."""
    if not plans:
        return []
    sample = ident("jsm_string_sample")
    picked = ", ".join(p.column for p in plans)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {sample} AS "
                f"{seeded_sample(picked, table, row_key(seed), rows, min(sample_rows, CANDIDATE_ROWS))}")
    try:
        sampled = [_sampled(con, sample, p, 2 * top) for p in plans]
    finally:
        drop(con, sample)
    batch, slots = Aggregates(), []
    for i, plan in enumerate(plans):
        blank = f"b{i}"
        slots.append((batch.add(f"count(*) FILTER ({blank})"),
                      batch.add(f"approx_count_distinct(CASE WHEN NOT {blank} THEN {plan.column} END)")))
    # Each value's null test once, in a projection the aggregates share: written into each of
    # them it ran twice a row (measured on the 2 GB benchmark: 20 s for this scan, 4 s after).
    tested = ", ".join(f"{p.column}, {_blank(p.column)} AS b{i}" for i, p in enumerate(plans))
    batch.run(con, f"(SELECT {tested} FROM {table})")
    for plan, found, (nulls, unique) in zip(plans, sampled, slots, strict=True):
        counts = _counted(con, table, plan.column, [value for value, _ in found.top])
        ranked = sorted(((str(v), int(n)) for v, n in counts.items()), key=lambda item: (-item[1], item[0]))
        found.nulls = int(batch.value(nulls))
        found.count, found.unique, found.top = rows - found.nulls, int(batch.value(unique) or 0), ranked[:top]
    return sampled


def _blank(value: str) -> str:
    """:func:`sqlbits.is_null_token` as a CASE, which DuckDB evaluates branch by branch: the marker
    test runs only on the short or blank-edged values, where in an ``OR`` it ran on every value."""
    return (f"CASE WHEN {value} IS NULL THEN true WHEN length({value}) <= {max(map(len, NULL_TOKENS))} "
            f"OR {value}[1] <= ' ' OR {value}[-1] <= ' ' THEN {is_null_token(value)} ELSE false END")


def _counted(con: duckdb.DuckDBPyConnection, table: str, column: str, wanted: list[str]) -> dict[Any, int]:
    """The exact count of each of the ``wanted`` values in ``column``: a semi-join on a hash table of
    them (an ``IN`` list inside an aggregate's FILTER compares every row with every candidate)."""
    if not wanted:
        return {}
    values = "[" + ", ".join(literal(value) for value in wanted) + "]"
    rows = con.execute(f"SELECT {column}, count(*) FROM {table} WHERE {column} IN (SELECT unnest({values})) "
                       f"GROUP BY {column}").fetchall()
    return {value: int(count) for value, count in rows}


def _sampled(con: duckdb.DuckDBPyConnection, sample: str, plan: ColumnPlan, wanted: int) -> StringSummary:
    """The sample's view of one column: top-value candidates, lengths and shapes (counts set later)."""
    summary = StringSummary(plan)
    c = plan.column
    _read_grouped(summary, con.execute(_grouped(f"SELECT {c} AS v, count(*) AS n FROM {sample} GROUP BY {c}",
                                                wanted)).fetchone())
    summary.count = summary.unique = 0
    return summary
