"""Delimited text (CSV, TSV, semicolon and pipe files) as a DuckDB view over the file.

The view reads the file itself, in parallel and in bounded memory, with every parameter fixed
from our own sniffing (:mod:`.dialect`); nothing is copied unless DuckDB cannot decode the
encoding, in which case a UTF-8 copy is streamed into the work directory.

Counting the rows is the first full read. With ``Context.sampling`` it also draws the seeded
sample the analysis infers types on (parsing is most of the cost of either), and, for a file
read on its own, it is the analysis' typed copy too (``Sampling.speculate``, typed from the
first rows; see ``analysis/first_pass.py``), so a file whose sample is typed like its first rows
is parsed once. It starts strict and, if the file breaks the rules further down than the sniffed
head reached, retries with the relaxation DuckDB's error calls for: padding short rows, reading
sequentially (DuckDB cannot pad rows in parallel when fields hold line breaks), and finally
lenient parsing. Each relaxation is reported in the notes.
"""

from __future__ import annotations

import dataclasses
import pathlib
import re

import duckdb

from jobsmith.processes.profile.readers import dialect, duck, encoding, read_context, sources

SAMPLE_BYTES = 1024 * 1024
# DuckDB sizes its read buffers from this: at 64 MiB it asked for 1 GiB blocks and failed under the
# profile's memory limit on files over 1 GiB. A record longer than 8 MiB is refused with a sentence.
MAX_LINE_BYTES = 8 * 1024 * 1024
MAX_ATTEMPTS = 5
SAMPLE_HEADROOM = 4
"""The hash slice keeps about this many times the wanted sample rows by the estimated row count,
so the sample is full unless the file has under a quarter of the rows its head suggests."""
_MISMATCH = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


@dataclasses.dataclass
class _Options:
    null_padding: bool
    parallel: bool = True
    strict: bool = True


@dataclasses.dataclass(frozen=True)
class _Text:
    """The file DuckDB reads (maybe a UTF-8 copy), how to decode it, and what to tell about it."""

    path: pathlib.Path
    encoding: encoding.Encoding
    notes: list[str]


def read(path: pathlib.Path, name: str, ctx: read_context.Context) -> sources.TabularSource:
    text = _decodable(path, ctx)
    sample, complete = encoding.decode_head(text.path, text.encoding, SAMPLE_BYTES)
    if not sample.strip():
        raise sources.UnreadableData(f"'{name}' holds no data: it is empty or blank.")
    plan = dialect.plan(sample, complete)
    table = ctx.tables.next()
    # An archive's members are all read before any is analysed: typed copies of them all would
    # be held at once, so only a file read on its own gets one.
    draw = _Draw.of(ctx.sampling, text.path, sample, complete, speculate=ctx.depth == 0)
    source = sources.TabularSource(
        name=name,
        table=table,
        format="csv",
        native_types={},
        decimal_comma=plan.separators.decimal_comma,
        thousands=plan.separators.thousands,
        notes=text.notes + plan.notes,
        row_count=0,
    )
    row_count, drawn, typed, notes = _create_and_count(ctx.con, source, text, plan, draw)
    return dataclasses.replace(source, notes=source.notes + notes, row_count=row_count, sample=drawn, typed=typed)


def _decodable(path: pathlib.Path, ctx: read_context.Context) -> _Text:
    found = encoding.detect(path)
    notes = [f"The text is {found.label}."] + ([found.note] if found.note else [])
    if found.duckdb is not None:
        return _Text(path, found, notes)
    copy = encoding.transcode(path, found, ctx.scratch(".csv"))
    how = "a repaired copy was read" if found.codec == "utf-8" else "it was converted to UTF-8 for reading"
    notes[0] = f"The text is {found.label}; {how}."
    return _Text(copy, encoding.UTF8, notes)


def _create_and_count(
    con: duckdb.DuckDBPyConnection, source: sources.TabularSource, text: _Text, plan: dialect.Plan, draw: _Draw | None
) -> tuple[int, str | None, sources.TypedCopy | None, list[str]]:
    """The view, its row count and (with ``draw``) the sample table and maybe a typed copy, read
    strictly or relaxed as needed."""
    options = _Options(null_padding=plan.ragged)
    notes: list[str] = []
    for _ in range(MAX_ATTEMPTS):
        con.execute(_view_sql(source.table, text, plan, options))
        try:
            count, drawn, typed = _count_and_sample(con, source, plan.names, draw)
        except duckdb.Error as error:
            _relax(error, options, notes, source.name)
            continue
        if options.null_padding:
            notes.append("Some rows have fewer fields than the table has columns; their missing fields are empty.")
        return count, drawn, typed, notes
    raise sources.UnreadableData(f"'{source.name}' could not be read as delimited text.")


@dataclasses.dataclass(frozen=True)
class _Draw:
    """The sample to draw while counting: ``rows`` of the smallest seeded hashes within one hash slice."""

    rows: int
    seed: int
    slices: int
    estimate: int  # rows, from the head
    speculate: sources.Speculate | None = None

    @classmethod
    def of(cls, sampling: sources.Sampling | None, path: pathlib.Path, head: str, complete: bool, *,
           speculate: bool = True) -> _Draw | None:
        """Size the slice from the rows the file's head suggests (lines per byte times the file's bytes)."""
        if sampling is None:
            return None
        lines = max(1, head.count("\n"))
        estimate = lines if complete else lines * path.stat().st_size // SAMPLE_BYTES
        return cls(sampling.rows, sampling.seed, max(1, estimate // (SAMPLE_HEADROOM * max(1, sampling.rows))),
                   estimate, sampling.speculate if speculate else None)


def _count_and_sample(
    con: duckdb.DuckDBPyConnection, source: sources.TabularSource, names: list[str], draw: _Draw | None
) -> tuple[int, str | None, sources.TypedCopy | None]:
    """The row count, and the sample table drawn in the same scan (None when it came out short),
    and the typed copy written in it when ``draw`` speculates.

    ``min_by(row, key, n)`` keeps the ``n`` rows of smallest key in a bounded heap, beside
    ``count(*)``: one parse of the file serves both. A sample short of its rows (the estimate was
    far too high) is dropped, and the analysis draws its own from the counted rows.
    """
    table = source.table
    if draw is None or not names:
        return duck.count_rows(con, table), None, None
    columns = ", ".join(duck.ident(name) for name in names)
    row = "{" + ", ".join(f"{duck.literal(name)}: {duck.ident(name)}" for name in names) + "}"
    key = f"hash({columns}, {int(draw.seed)})"
    sample = f"jsm_sample_{table}"
    if draw.speculate is not None:
        found = _typed_and_sampled(con, source, draw, names, key, sample)
        if found is not None:
            count, typed = found
            return count, _enough(con, sample, draw, count), typed
    keep = f" FILTER (WHERE {key} % {draw.slices} = 0)" if draw.slices > 1 else ""
    scan = duck.ident(f"jsm_scan_{table}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {scan} AS SELECT count(*) AS n, "
                f"min_by({row}, {key}, {int(draw.rows)}){keep} AS s FROM {duck.ident(table)}")
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {duck.ident(sample)} AS "
                    f"SELECT u.* FROM (SELECT unnest(s) AS u FROM {scan})")
        count = int(con.execute(f"SELECT n FROM {scan}").fetchall()[0][0])
    finally:
        con.execute(f"DROP TABLE IF EXISTS {scan}")
    return count, _enough(con, sample, draw, count), None


def _typed_and_sampled(con: duckdb.DuckDBPyConnection, source: sources.TabularSource, draw: _Draw, names: list[str],
                       key: str, sample: str) -> tuple[int, sources.TypedCopy] | None:
    """The full read as the analysis' typed copy (see :class:`sources.Sampling`), typed from the
    first ``draw.rows`` rows, carrying the rows of the sample's hash slice with their keys; then
    the sample is drawn from those few rows and their two columns dropped. None: no copy made.

    The sample is the same as :func:`_count_and_sample` draws: the ``draw.rows`` smallest keys of
    the slice.
    """
    assert draw.speculate is not None
    con.execute(f"CREATE OR REPLACE TEMP TABLE {duck.ident(sample)} AS "
                f"SELECT * FROM {duck.ident(source.table)} LIMIT {int(draw.rows)}")
    # The key is hashed once a row; the row is kept only in the rows of the slice, as a list of its
    # texts (a struct column cost the 200 MB benchmark's copy 0.8 CPU-s, a list 0.35).
    inner = {"jsm_h": key} | {f"jsm_v{i}": duck.ident(name) for i, name in enumerate(names)}
    kept = f"list_value({', '.join(f'jsm_v{i}' for i in range(len(names)))})"
    in_slice = f"jsm_h % {draw.slices} = 0" if draw.slices > 1 else "true"
    try:
        typed = draw.speculate(con, dataclasses.replace(source, sample=sample), draw.estimate, inner,
                               {"jsm_s": f"CASE WHEN {in_slice} THEN {kept} END",
                                "jsm_k": f"CASE WHEN {in_slice} THEN jsm_h END"})
    finally:
        con.execute(f"DROP TABLE IF EXISTS {duck.ident(sample)}")
    if typed is None:
        return None
    try:
        count = int(con.execute(f"SELECT count(*) FROM {typed.table}").fetchall()[0][0])
        fields = ", ".join(f"u[{i + 1}] AS {duck.ident(name)}" for i, name in enumerate(names))
        con.execute(f"CREATE OR REPLACE TEMP TABLE {duck.ident(sample)} AS SELECT {fields} FROM "
                    f"(SELECT unnest(min_by(jsm_s, jsm_k, {int(draw.rows)})) AS u FROM {typed.table} "
                    "WHERE jsm_s IS NOT NULL)")
        for column in ("jsm_s", "jsm_k"):
            con.execute(f"ALTER TABLE {typed.table} DROP COLUMN {column}")
    except BaseException:
        drop_typed(con, typed)
        raise
    return count, typed


def drop_typed(con: duckdb.DuckDBPyConnection, typed: sources.TypedCopy) -> None:
    """Drop a typed copy, and detach the scratch database that held it."""
    con.execute(f"DROP TABLE IF EXISTS {typed.table}")
    if typed.store is not None:
        con.execute(f"DETACH DATABASE IF EXISTS {typed.store}")


def _enough(con: duckdb.DuckDBPyConnection, sample: str, draw: _Draw, count: int) -> str | None:
    """The sample table if it holds its rows; else None, and it is dropped."""
    if duck.count_rows(con, sample) >= min(draw.rows, count):
        return sample
    con.execute(f"DROP TABLE {duck.ident(sample)}")
    return None


def _relax(error: duckdb.Error, options: _Options, notes: list[str], name: str) -> None:
    """Loosen ``options`` as far as the error calls for, or raise if nothing is left to loosen."""
    if isinstance(error, duckdb.OutOfMemoryException):
        raise error  # not a fault of the file: the job fails with DuckDB's own words on memory
    message = str(error)
    mismatch = _MISMATCH.search(message)
    if "null_padding" in message and "parallel" in message and options.parallel:
        options.parallel = False
    elif mismatch and int(mismatch.group(2)) < int(mismatch.group(1)) and not options.null_padding:
        options.null_padding = True
    elif options.strict and "CSV Error" in message and "unicode" not in message.lower():
        options.strict = False
        notes.append(
            f"The file breaks the CSV rules{_near(error)} ({_reason(error)}); such lines were read "
            "leniently: fields beyond the table's columns dropped, stray quotes kept as text."
        )
    else:
        raise sources.UnreadableData(_sentence(name, error)) from error


def _reason(error: duckdb.Error) -> str:
    """What DuckDB found wrong, in one short clause: its line after "CSV Error on Line: N"."""
    message = str(error)
    mismatch = _MISMATCH.search(message)
    if mismatch:
        return f"{mismatch.group(2)} fields where the table has {mismatch.group(1)}"
    lines = [line.strip() for line in message.splitlines()[1:] if line.strip()]
    detail = next((line for line in lines if not line.startswith("Original Line")), duck.first_line(error))
    return detail.rstrip(".")[:200]


def _near(error: duckdb.Error) -> str:
    """DuckDB counts records, not lines: a quoted line break earlier moves the real line down."""
    line = duck.error_line(error)
    return f" near line {line}" if line else ""


def _sentence(name: str, error: duckdb.Error) -> str:
    return f"'{name}' could not be read as delimited text{_near(error)}: {_reason(error)}."


def _view_sql(table: str, text: _Text, plan: dialect.Plan, options: _Options) -> str:
    columns = ", ".join(f"{duck.literal(field)}: 'VARCHAR'" for field in plan.fields)
    selected = "*" if plan.fields == plan.names else ", ".join(duck.ident(name) for name in plan.names)
    arguments = [
        duck.literal(str(text.path)),
        "auto_detect=false",
        "header=false",
        f"skip={plan.skip_lines}",
        f"delim={duck.literal(plan.delimiter)}",
        "quote='\"'",
        "escape='\"'",
        "comment=''",
        f"columns={{{columns}}}",
        f"encoding={duck.literal(text.encoding.duckdb or 'utf-8')}",
        f"null_padding={str(options.null_padding).lower()}",
        f"parallel={str(options.parallel).lower()}",
        f"strict_mode={str(options.strict).lower()}",
        f"max_line_size={MAX_LINE_BYTES}",
    ]
    return f"CREATE OR REPLACE VIEW {duck.ident(table)} AS SELECT {selected} FROM read_csv({', '.join(arguments)})"
