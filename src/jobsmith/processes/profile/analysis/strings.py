"""String columns: null count, unique count and the most frequent values.

Up to ``exact_max_rows`` rows, one GROUP BY per column gives all three exactly. Null markers
(``""``, ``n/a``, ``NULL`` ...) are recognised among the *groups* rather than per row, so a text
column costs one hash aggregation and nothing else: the distinct values are what the unique count
and the top values need anyway.

Above it a GROUP BY of tens of millions of distinct texts would spill most of itself to disk, so
:func:`measure_sampled` takes the candidates for the top values from a seeded sample, counts
those candidates exactly in one scan of all string columns, and estimates the unique count with
HyperLogLog (order-independent, so reproducible). The null count stays exact.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import duckdb

from jobsmith.processes.profile.analysis.infer import ColumnPlan
from jobsmith.processes.profile.analysis.sqlbits import Aggregates, drop, ident, is_null_token, literal, row_key, seeded_sample

DISTRIBUTION_MIN_UNIQUE = 4
CANDIDATE_ROWS = 100_000
"""Rows sampled for top-value candidates of large tables: a value among the 20 most frequent of tens
of millions of rows is all but certain to be among the 40 most frequent of 100 000."""
"""Fewer unique values than this: no top-values plot (the old service's threshold)."""


@dataclasses.dataclass
class StringSummary:
    """What the EDP and the top-values plot say about one string column."""

    plan: ColumnPlan
    count: int = 0
    nulls: int = 0
    unique: int = 0
    top: list[tuple[str, int]] = dataclasses.field(default_factory=list)


def measure(con: duckdb.DuckDBPyConnection, table: str, plan: ColumnPlan, rows: int, top: int) -> StringSummary:
    """Count the values of one column by group; ties among the top values are broken by the value."""
    c = plan.column
    # "AND n > 0" ties the marker test to the aggregate, so the optimizer cannot push it below the
    # GROUP BY onto every row (measured: 4 times the cost of the grouping for a 10-value column).
    found = con.execute(
        f"WITH g AS (SELECT {c} AS v, count(*) AS n FROM {table} GROUP BY {c}), "
        f"f AS (SELECT v, n FROM g WHERE NOT ({is_null_token('v')} AND n > 0)) "
        f"SELECT v, n, count(*) OVER () AS groups, sum(n) OVER () AS total FROM f "
        f"ORDER BY n DESC, v LIMIT {int(top)}").fetchall()
    summary = StringSummary(plan)
    if found:
        summary.unique, summary.count = int(found[0][2]), int(found[0][3])
        summary.top = [(str(value), int(count)) for value, count, _, _ in found]
    summary.nulls = rows - summary.count
    return summary


def measure_sampled(con: duckdb.DuckDBPyConnection, table: str, plans: Sequence[ColumnPlan], rows: int, top: int,
                    sample_rows: int, seed: int) -> list[StringSummary]:
    """Large tables: candidates from a seeded sample, their exact counts and the nulls from one scan."""
    if not plans:
        return []
    sample = ident("jsm_string_sample")
    picked = ", ".join(p.column for p in plans)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {sample} AS "
                f"{seeded_sample(picked, table, row_key(seed), rows, min(sample_rows, CANDIDATE_ROWS))}")
    try:
        candidates = [_candidates(con, sample, p.column, 2 * top) for p in plans]
    finally:
        drop(con, sample)
    batch, slots = Aggregates(), []
    for plan, found in zip(plans, candidates, strict=True):
        c, blank = plan.column, is_null_token(plan.column)
        wanted = ", ".join(literal(value) for value in found) or "NULL"
        slots.append((batch.add(f"count(*) FILTER ({blank})"),
                      batch.add(f"approx_count_distinct(CASE WHEN NOT {blank} THEN {c} END)"),
                      batch.add(f"histogram({c}) FILTER ({c} IN ({wanted}))")))
    batch.run(con, table)
    summaries = []
    for plan, (nulls, unique, counted) in zip(plans, slots, strict=True):
        counts = dict(batch.value(counted) or {})
        ranked = sorted(((str(v), int(n)) for v, n in counts.items()), key=lambda item: (-item[1], item[0]))
        nulls_found = int(batch.value(nulls))
        summaries.append(StringSummary(plan, count=rows - nulls_found, nulls=nulls_found,
                                       unique=int(batch.value(unique) or 0), top=ranked[:top]))
    return summaries


def _candidates(con: duckdb.DuckDBPyConnection, sample: str, column: str, wanted: int) -> list[str]:
    found = con.execute(
        f"SELECT v FROM (SELECT {column} AS v, count(*) AS n FROM {sample} GROUP BY {column}) "
        f"WHERE NOT ({is_null_token('v')} AND n > 0) ORDER BY n DESC, v LIMIT {int(wanted)}").fetchall()
    return [str(row[0]) for row in found]
