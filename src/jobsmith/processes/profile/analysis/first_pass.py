"""The typed table written in the reader's full read of a delimited file, typed from its first rows.

A CSV used to be parsed twice before any statistic: the reader's pass (row count, the file's
rules, the seeded inference sample), then the typed copy (:func:`infer.materialise`), which
needs the types the sample decides. Parsing is most of the cost of either (measured on the
2 GB benchmark file: 5.4 s and 12.9 s). Here the reader's pass *is* the typed copy: the types
come from the first rows (:func:`speculate`), the rows of the sample's hash slice ride along in
two extra columns, and the analysis then infers the types on the seeded sample as always. If its
plan types every column as the first rows did (the same SELECT text), the copy is used
(:func:`adopt`); if not (a column empty or different in its first rows), the copy is dropped and
written again from the file, as before. Either way every figure is the one the sample's plan gives.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import duckdb

from jobsmith.processes.profile.analysis import infer
from jobsmith.processes.profile.analysis.sqlbits import attach_scratch, detach_scratch, drop, ident, memory_limit, safe_casts
from jobsmith.processes.profile.readers import sources


def typed_bytes(rows: int, plans: Sequence[infer.ColumnPlan]) -> int:
    """A rough size of the typed table in memory: 9 bytes a number or timestamp with its flag, 24 a text."""
    return rows * sum(24 if p.kind == "string" else 9 for p in plans)


def speculate(con: duckdb.DuckDBPyConnection, source: sources.TabularSource, rows: int, inner: Mapping[str, str],
              derived: Mapping[str, str], *, sample_rows: int, seed: int) -> sources.TypedCopy | None:
    """Type ``source`` from its first rows (``source.sample``) and write the copy with the reader's
    columns (see :class:`sources.Speculate`).

    The copy goes where :func:`table_profile.profile_table` would put it for ``rows`` rows: a
    temporary table, or a scratch database file when it would outgrow DuckDB's memory limit. A
    failure (the file breaks its rules further down) leaves nothing attached and is raised for
    the reader to relax and read again.
    """
    with safe_casts(con):
        plans = infer.plan_columns(con, source, sample_rows=sample_rows, seed=seed)
        if not plans:
            return None
        limit = memory_limit(con)
        store = attach_scratch(con) if limit and typed_bytes(rows, plans) > limit else None
        table = f"{store}.{ident('typed')}" if store else ident(f"jsm_typed_{source.table}")
        try:
            infer.materialise(con, ident(source.table), plans, table, temporary=store is None,
                              extra=infer.Extra(inner, derived))
        except BaseException:
            if store is not None:
                detach_scratch(con, store)
            raise
    return sources.TypedCopy(table, infer.typed_select(ident(source.table), plans), store)


def adopt(con: duckdb.DuckDBPyConnection, source: sources.TabularSource,
          plans: Sequence[infer.ColumnPlan]) -> sources.TypedCopy | None:
    """The reader's typed copy if ``plans`` type it the same way; otherwise it is dropped and None."""
    typed = source.typed
    if typed is None:
        return None
    if typed.typing == infer.typed_select(ident(source.table), plans):
        return typed
    release(con, typed)
    return None


def release(con: duckdb.DuckDBPyConnection, typed: sources.TypedCopy) -> None:
    """Drop the copy, and its scratch database with its files."""
    drop(con, typed.table)
    if typed.store is not None:
        detach_scratch(con, typed.store)
