"""Delimited text (CSV, TSV, semicolon and pipe files) as a DuckDB view over the file.

The view reads the file itself, in parallel and in bounded memory, with every parameter fixed
from our own sniffing (:mod:`.dialect`); nothing is copied unless DuckDB cannot decode the
encoding, in which case a UTF-8 copy is streamed into the work directory.

Counting the rows is the first full read. It starts strict and, if the file breaks the rules
further down than the sample reached, retries with the relaxation DuckDB's error calls for:
padding short rows, reading sequentially (DuckDB cannot pad rows in parallel when fields hold
line breaks), and finally lenient parsing. Each relaxation is reported in the notes.
"""

from __future__ import annotations

import dataclasses
import pathlib
import re

import duckdb

from jobsmith.processes.profile.readers import context, dialect, duck, encoding, sources

SAMPLE_BYTES = 1024 * 1024
# DuckDB sizes its read buffers from this: at 64 MiB it asked for 1 GiB blocks and failed under the
# profile's memory limit on files over 1 GiB. A record longer than 8 MiB is refused with a sentence.
MAX_LINE_BYTES = 8 * 1024 * 1024
MAX_ATTEMPTS = 5
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


def read(path: pathlib.Path, name: str, ctx: context.Context) -> sources.TabularSource:
    text = _decodable(path, ctx)
    sample, complete = encoding.decode_head(text.path, text.encoding, SAMPLE_BYTES)
    if not sample.strip():
        raise sources.UnreadableData(f"'{name}' holds no data: it is empty or blank.")
    plan = dialect.plan(sample, complete)
    table = ctx.tables.next()
    row_count, notes = _create_and_count(ctx.con, table, text, plan, name)
    return sources.TabularSource(
        name=name,
        table=table,
        format="csv",
        native_types={},
        decimal_comma=plan.separators.decimal_comma,
        thousands=plan.separators.thousands,
        notes=text.notes + plan.notes + notes,
        row_count=row_count,
    )


def _decodable(path: pathlib.Path, ctx: context.Context) -> _Text:
    found = encoding.detect(path)
    notes = [f"The text is {found.label}."] + ([found.note] if found.note else [])
    if found.duckdb is not None:
        return _Text(path, found, notes)
    copy = encoding.transcode(path, found, ctx.scratch(".csv"))
    how = "a repaired copy was read" if found.codec == "utf-8" else "it was converted to UTF-8 for reading"
    notes[0] = f"The text is {found.label}; {how}."
    return _Text(copy, encoding.UTF8, notes)


def _create_and_count(
    con: duckdb.DuckDBPyConnection, table: str, text: _Text, plan: dialect.Plan, name: str
) -> tuple[int, list[str]]:
    options = _Options(null_padding=plan.ragged)
    notes: list[str] = []
    for _ in range(MAX_ATTEMPTS):
        con.execute(_view_sql(table, text, plan, options))
        try:
            count = duck.count_rows(con, table)
        except duckdb.Error as error:
            _relax(error, options, notes, name)
            continue
        if options.null_padding:
            notes.append("Some rows have fewer fields than the table has columns; their missing fields are empty.")
        return count, notes
    raise sources.UnreadableData(f"'{name}' could not be read as delimited text.")


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
