"""SQL building blocks of the analysis: quoting, literals, null markers, and batched aggregates.

Every column name and value spliced into SQL goes through :func:`ident`, :func:`literal` or
:func:`number`, so no file content can change a statement. :class:`Aggregates` lets several
analyses put their aggregate expressions into *one* ``SELECT``, which is how the statistics stay
at one or two scans of the data however many figures are computed.
"""

from __future__ import annotations

import contextlib
import math
import pathlib
import re
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import duckdb

NULL_TOKENS: tuple[str, ...] = (
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
)
"""Texts that mean "no value": pandas' default ``na_values``, which the old service counted as nulls."""

_DISTINCT = re.compile(r"(?i)\(\s*DISTINCT\b")

_HASHED = re.compile(r"(?i)\bhistogram\s*\(")

HASHED_PER_STATEMENT = 16
"""DuckDB gives every ``DISTINCT`` or ``histogram`` aggregate of a statement its own hash table, a
few MiB each up front whatever the rows: 120 of them (a 120-column table) failed with
out-of-memory under the process's 512 MB limit, 48 under its 128 MB minimum. So a statement holds
at most this many; a table of up to 16 numeric columns still takes one scan per statement kind."""

UNSAFE_OPTIMIZERS = ("type_pushdown",)
"""DuckDB 2.0 pushes ``TRY_CAST`` into ``read_csv(all_varchar=true)`` as a *strict* cast, so one bad
cell aborts the query instead of becoming NULL. The analysis switches that rewrite off."""


def ident(name: str) -> str:
    """A double-quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A single-quoted SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def number(value: float | int) -> str:
    """A SQL DOUBLE literal that reads back as exactly ``value`` (``repr`` round-trips)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"not a finite number: {value!r}")
    return f"({float(value)!r}::DOUBLE)"


def is_null_token(expr: str) -> str:
    """SQL that is true when the text ``expr`` is missing, blank or a null marker such as ``n/a``.

    A text whose trimmed form is a marker is at most 8 characters long or starts or ends with a
    blank, so the cheap length and edge test runs first and most texts never reach ``trim``.
    """
    tokens = ", ".join(literal(token) for token in NULL_TOKENS)
    edges = f"(length({expr}) <= {max(map(len, NULL_TOKENS))} OR {expr}[1] <= ' ' OR {expr}[-1] <= ' ')"
    return f"({expr} IS NULL OR ({edges} AND trim({expr}) IN ({tokens})))"


class Aggregates:
    """Aggregate expressions from several analyses, computed together in one scan.

    ``add`` returns the position of an expression; after :meth:`run`, ``value(position)`` reads
    its result. Analyses stay independent modules and still share the scan.
    """

    def __init__(self) -> None:
        self._expressions: list[str] = []
        self._row: Sequence[Any] = ()

    def add(self, expression: str) -> int:
        self._expressions.append(expression)
        return len(self._expressions) - 1

    def run(self, con: duckdb.DuckDBPyConnection, relation: str) -> None:
        """Every registered aggregate over ``relation`` (a quoted SQL table reference).

        One ``SELECT``, except that ``DISTINCT`` aggregates get their own, at most
        :data:`HASHED_PER_STATEMENT` in each: mixed into the other aggregates they slow the whole
        statement down (measured on the 200 MB benchmark's scan 1, same process: 2.8 CPU-s in one
        statement, 2.1 in two; 3.2 and 2.8 on a busy machine), and many of them exhaust DuckDB's memory.
        """
        if not self._expressions:
            return
        values: list[Any] = [None] * len(self._expressions)
        for group in self._statements():
            row = con.execute(f"SELECT {', '.join(self._expressions[i] for i in group)} FROM {relation}").fetchone()
            if row is None:
                self._row = ()
                return
            for i, value in zip(group, row, strict=True):
                values[i] = value
        self._row = tuple(values)

    def _statements(self) -> list[list[int]]:
        """Positions per ``SELECT``: ``DISTINCT`` aggregates apart from the others, and no statement
        with more than :data:`HASHED_PER_STATEMENT` hash-table aggregates."""
        distinct = [i for i, e in enumerate(self._expressions) if _DISTINCT.search(e)]
        apart = set(distinct)
        rest = [i for i in range(len(self._expressions)) if i not in apart]
        if not distinct or not rest:
            distinct, rest = [], distinct + rest
        groups = [distinct[start:start + HASHED_PER_STATEMENT]
                  for start in range(0, len(distinct), HASHED_PER_STATEMENT)]
        current: list[int] = []
        hashed = 0
        for i in rest:
            heavy = bool(_HASHED.search(self._expressions[i]) or _DISTINCT.search(self._expressions[i]))
            if heavy and hashed == HASHED_PER_STATEMENT:
                groups.append(current)
                current, hashed = [], 0
            current.append(i)
            hashed += heavy
        return groups + ([current] if current else [])

    def value(self, position: int) -> Any:
        return self._row[position]

    def __len__(self) -> int:
        return len(self._expressions)


@contextlib.contextmanager
def safe_casts(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Disable the optimizer rewrites in :data:`UNSAFE_OPTIMIZERS` for the block, then restore the setting."""
    known = {str(row[0]) for row in con.execute("SELECT name FROM duckdb_optimizers()").fetchall()}
    unsafe = [name for name in UNSAFE_OPTIMIZERS if name in known]
    if not unsafe:
        yield
        return
    before = str(scalar(con, "SELECT current_setting('disabled_optimizers')") or "")
    wanted = sorted({*filter(None, (part.strip() for part in before.split(","))), *unsafe})
    con.execute(f"SET disabled_optimizers = {literal(','.join(wanted))}")
    try:
        yield
    finally:
        con.execute(f"SET disabled_optimizers = {literal(before)}")


EXACT_SAMPLE_LIMIT = 100_000


def seeded_sample(columns: str, relation: str, key: str, rows: int, wanted: int) -> str:
    """A query for a seeded, reproducible sample of about ``wanted`` rows of ``relation`` (``rows`` in all).

    ``key`` is a seeded hash: of the row id for a table, of every column for a view (which has
    none). Rows are kept when their hash falls in a slice of about ``2 * wanted / rows`` of the
    hash space, and the ``wanted`` smallest hashes among them are taken: which rows that is does
    not depend on threads or scan order, unlike ``USING SAMPLE ... REPEATABLE``, which DuckDB
    makes reproducible by scanning on a single thread (measured: 1.5 s against 0.9 s for the
    200 MB CSV). With a hash of the columns, identical rows share one fate: they are in or out
    of the sample together. Above :data:`EXACT_SAMPLE_LIMIT` rows the slice alone is the sample
    (about ``wanted`` rows, the same ones every time).
    """
    if wanted > EXACT_SAMPLE_LIMIT:  # a top-N of a million rows costs more than it is worth
        slices = max(1, rows // max(1, wanted))
        return f"SELECT {columns} FROM {relation}" + (f" WHERE {key} % {slices} = 0" if slices > 1 else "")
    slices = max(1, rows // (2 * max(1, wanted)))
    keep = f"WHERE {key} % {slices} = 0 " if slices > 1 else ""
    return f"SELECT {columns} FROM {relation} {keep}ORDER BY {key} LIMIT {int(wanted)}"


def row_key(seed: int) -> str:
    """The sampling key of a table row: its row id hashed with the seed."""
    return f"hash(rowid, {int(seed)})"


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    """The first column of the first row of ``sql``, or None when there is no row."""
    row = con.execute(sql).fetchone()
    return row[0] if row else None


def drop(con: duckdb.DuckDBPyConnection, *relations: str) -> None:
    """Drop tables the analysis made (quoted references); missing ones are fine."""
    for relation in relations:
        con.execute(f"DROP TABLE IF EXISTS {relation}")


_UNITS = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
          "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def memory_limit(con: duckdb.DuckDBPyConnection) -> int | None:
    """DuckDB's ``memory_limit`` in bytes (it reads back as text such as ``488.2 MiB``)."""
    text = str(scalar(con, "SELECT current_setting('memory_limit')") or "")
    match = re.fullmatch(r"\s*([\d.]+)\s*([KMGT]?i?B)\s*", text, re.IGNORECASE)
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()]) if match else None


@contextlib.contextmanager
def scratch_store(con: duckdb.DuckDBPyConnection) -> Iterator[str | None]:
    """A database file in DuckDB's temp directory, attached for the block; None without a temp directory.

    For tables larger than the memory limit: a file database stores them compressed (a 2 GB CSV's
    typed table: 0.67 GB instead of 2.6 GB) and reads evicted blocks back without writing them
    out again, where a temporary table spills whole and uncompressed.
    """
    alias = attach_scratch(con)
    try:
        yield alias
    finally:
        if alias is not None:
            detach_scratch(con, alias)


def attach_scratch(con: duckdb.DuckDBPyConnection) -> str | None:
    """Attach a new scratch database (see :func:`scratch_store`); its quoted alias, or None without a temp directory."""
    directory = str(scalar(con, "SELECT current_setting('temp_directory')") or "")
    if not directory or not pathlib.Path(directory).is_dir():
        return None
    alias = f"jsm_store_{uuid.uuid4().hex[:12]}"
    path = pathlib.Path(directory) / f"{alias}.duckdb"
    con.execute(f"ATTACH {literal(str(path))} AS {ident(alias)}")
    return ident(alias)


def detach_scratch(con: duckdb.DuckDBPyConnection, alias: str) -> None:
    """Detach a database of :func:`attach_scratch` and delete its files."""
    path = str(scalar(con, f"SELECT path FROM duckdb_databases() WHERE database_name = {literal(alias.strip(chr(34)))}")
               or "")
    con.execute(f"DETACH {alias}")
    if path:
        for leftover in (pathlib.Path(path), pathlib.Path(path + ".wal")):
            leftover.unlink(missing_ok=True)
