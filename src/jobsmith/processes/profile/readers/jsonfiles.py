"""JSON and NDJSON documents through DuckDB's built-in JSON reader, streamed from the file.

* Flat records (an array of objects, or one object per line) are one table.
* Nested documents are a semi-structured dataset described by a JSON schema and, as the
  service we replace did, every array of records inside them (at any depth) is a table too:
  ``orders.json/items`` with nested objects flattened to ``a.b`` columns and arrays kept as JSON
  text. A nested top-level array or stream of records is also the table ``<name>/records``.
* An array of plain values is a one-column table ``value``.

DuckDB infers types from the first records; if a later record contradicts them, the file is
read again with types inferred from all records.
"""

from __future__ import annotations

import json
import pathlib

import duckdb

from jobsmith.processes.profile.readers import duck, encoding, file_format, header, jsontypes, read_context, sources

MAX_TABLES = 50
MAX_OBJECT_BYTES = 256 * 1024 * 1024
MIN_OBJECT_BYTES = 1024 * 1024
LOCATE_BYTES = 64 * 1024 * 1024  # re-parse with Python to name the line of a syntax error
_FORMATS = {"array": "array", "object": "unstructured", "lines": "newline_delimited", "concatenated": "unstructured"}


def read(path: pathlib.Path, name: str, found: file_format.Detected, ctx: read_context.Context) -> list[sources.Source]:
    readable = _utf8(path, ctx)
    for sample_size in (20_480, -1):
        try:
            return _read(readable, name, found.detail, sample_size, ctx)
        except duckdb.Error as error:
            if "Malformed JSON" in str(error) or sample_size == -1:
                raise sources.UnreadableData(_sentence(readable, name, found.detail, error)) from error
    raise AssertionError("unreachable")


def _utf8(path: pathlib.Path, ctx: read_context.Context) -> pathlib.Path:
    """DuckDB reads JSON as UTF-8 without byte order mark; anything else gets a UTF-8 copy."""
    found = encoding.detect(path)
    if found == encoding.UTF8:
        return path
    return encoding.transcode(path, found, ctx.scratch(".json"))


def _object_bytes(path: pathlib.Path) -> int:
    """DuckDB's ``maximum_object_size`` for this file: no object is larger than the file itself.

    DuckDB allocates a read buffer of twice this size up front, whatever the file's size, so the
    fixed maximum alone (a 512 MiB buffer) fails every JSON file under the process's default
    512 MB memory limit; sized by the file, small files need small buffers.
    """
    return min(MAX_OBJECT_BYTES, max(MIN_OBJECT_BYTES, path.stat().st_size + 1))


def _scan(path: pathlib.Path, layout: str, sample_size: int, kind: str | None = None) -> str:
    options = [
        duck.literal(str(path)),
        f"format={duck.literal(_FORMATS[layout])}",
        "records=false",
        f"maximum_object_size={_object_bytes(path)}",
        f"sample_size={sample_size}",
    ]
    if kind is not None:
        options.append(f"columns={{'json': {duck.literal(kind)}}}")
    return f"SELECT json AS r FROM read_json({', '.join(options)})"


def _read(path: pathlib.Path, name: str, layout: str, sample_size: int, ctx: read_context.Context) -> list[sources.Source]:
    inferred = ctx.con.sql(_scan(path, layout, sample_size)).types[0]
    base = _scan(path, layout, sample_size, jsontypes.sql_type(inferred))
    record = ctx.con.sql(base).types[0]
    many = layout != "object"
    fmt = "ndjson" if layout in ("lines", "concatenated") else "json"
    documents = _count(ctx.con, base) if many else max(1, _count(ctx.con, base))
    if many and documents == 0:
        raise sources.UnreadableData(f"'{name}' holds no JSON records: there is nothing to profile.")
    if many and not jsontypes.is_nested(record):
        return [_table(ctx, name, fmt, f"SELECT r AS value FROM ({base})", {"value": str(record)})]
    if many and str(record.id) == "struct" and not _nested_fields(record):
        return [_flat_table(ctx, name, fmt, base, record)]
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **_document_schema(inferred, layout)}
    found: list[sources.Source] = [sources.SemiStructuredSource(name, schema, documents)]
    if str(record.id) == "struct":
        found += _record_tables(ctx, name, fmt, base, record, root_table=many)
    return found


def _nested_fields(record: duckdb.sqltypes.DuckDBPyType) -> bool:
    return any(jsontypes.is_nested(child) for _, child in jsontypes.fields(record))


def _document_schema(inferred: duckdb.sqltypes.DuckDBPyType, layout: str) -> dict[str, object]:
    items = jsontypes.json_schema(inferred)
    return {"type": "array", "items": items} if layout == "array" else items


def _record_tables(
    ctx: read_context.Context, name: str, fmt: str, base: str, record: duckdb.sqltypes.DuckDBPyType, root_table: bool
) -> list[sources.Source]:
    """The top-level records (if there are many) and every array of records inside them."""
    tables: list[sources.Source] = []
    pending: list[tuple[str, str, duckdb.sqltypes.DuckDBPyType]] = [("", base, record)]
    while pending and len(tables) < MAX_TABLES:
        path, sql, kind = pending.pop(0)
        leaves, children = jsontypes.flatten(kind)
        if path or root_table:
            table = _leaf_table(ctx, f"{name}/{path or 'records'}", fmt, sql, leaves)
            table.notes.insert(0, _origin(path))
            tables.append(table)
        for child in children:
            child_path = f"{path}.{child.path}" if path else child.path
            pending.append((child_path, f"SELECT unnest({child.expression}) AS r FROM ({sql})", child.element))
    return tables


def _origin(path: str) -> str:
    rows = f"One row per record in the arrays '{path}'" if path else "One row per top-level record"
    return f"{rows}; nested objects are flattened into 'a.b' columns, arrays are kept as JSON text."


def _flat_table(ctx: read_context.Context, name: str, fmt: str, base: str, record: duckdb.sqltypes.DuckDBPyType) -> sources.TabularSource:
    leaves, _ = jsontypes.flatten(record)
    return _leaf_table(ctx, name, fmt, base, leaves)


def _leaf_table(ctx: read_context.Context, name: str, fmt: str, sql: str, leaves: list[jsontypes.Leaf]) -> sources.TabularSource:
    names, notes = header.unique([header.clean(leaf.name) or f"column_{i}" for i, leaf in enumerate(leaves, 1)])
    selected = ", ".join(f"{leaf.expression} AS {duck.ident(clean)}" for leaf, clean in zip(leaves, names))
    native = {clean: leaf.type for leaf, clean in zip(leaves, names)}
    source = _table(ctx, name, fmt, f"SELECT {selected or 'NULL AS empty'} FROM ({sql})", native)
    source.notes += notes
    return source


def _table(ctx: read_context.Context, name: str, fmt: str, sql: str, native: dict[str, str]) -> sources.TabularSource:
    table = ctx.tables.next()
    ctx.con.execute(f"CREATE VIEW {duck.ident(table)} AS {sql}")
    native = {column: kind for column, kind in native.items() if kind != "VARCHAR"}
    return sources.TabularSource(name, table, fmt, native, False, None, [], duck.count_rows(ctx.con, table))


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    """Documents in the file. Converting every record (``count(r)``) is what makes a value that
    contradicts the inferred types fail here, not later in the analysis."""
    row = con.execute(f"SELECT count(*), count(r) FROM ({sql})").fetchone()
    return int(row[0]) if row else 0


def _sentence(path: pathlib.Path, name: str, layout: str, error: duckdb.Error) -> str:
    where = _locate(path, layout) if path.stat().st_size <= LOCATE_BYTES else None
    if where is not None:
        return f"'{name}' is not valid JSON: {where}."
    return f"'{name}' could not be read as JSON: {duck.first_line(error).replace(str(path), name)}"


def _locate(path: pathlib.Path, layout: str) -> str | None:
    """The line and column of the first syntax error, as Python's parser finds it."""
    text = path.read_text(encoding="utf-8", errors="replace")
    decoder = json.JSONDecoder()
    position = 0
    try:
        while True:
            position = _skip_space(text, position)
            if position >= len(text):
                return None
            _, position = decoder.raw_decode(text, position)
            if layout in ("array", "object") and _skip_space(text, position) < len(text):
                raise json.JSONDecodeError("Extra data after the document", text, _skip_space(text, position))
    except json.JSONDecodeError as error:
        return f"{error.msg.lower()} at line {error.lineno}, column {error.colno}"


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position
