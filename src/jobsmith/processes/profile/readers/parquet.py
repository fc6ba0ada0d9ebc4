"""Parquet as a DuckDB view over the file: typed, columnar, and counted from its metadata.

Columns keep their Parquet types (all listed in ``native_types``). Nested columns (structs,
lists, maps) are shown as JSON text, since the analysis profiles flat values; names are
cleaned like any header so the analysis can rely on them.
"""

from __future__ import annotations

import pathlib

import duckdb

from jobsmith.processes.profile.readers import duck, header, jsontypes, read_context, sources


def read(path: pathlib.Path, name: str, ctx: read_context.Context) -> sources.TabularSource:
    scan = f"read_parquet({duck.literal(str(path))})"
    try:
        relation = ctx.con.sql(f"SELECT * FROM {scan}")
        originals, types = relation.columns, relation.types
    except duckdb.Error as error:
        raise sources.UnreadableData(f"'{name}' is not a readable Parquet file: {duck.first_line(error)}.") from error
    names, notes = header.unique([header.clean(column) or f"column_{i}" for i, column in enumerate(originals, 1)])
    selected, native = [], {}
    for original, clean, kind in zip(originals, names, types):
        nested = jsontypes.is_nested(kind)
        expression = f"to_json({duck.ident(original)})::VARCHAR" if nested else duck.ident(original)
        selected.append(f"{expression} AS {duck.ident(clean)}")
        if nested:
            notes.append(f"Column '{clean}' holds nested values ({kind}); they are shown as JSON text.")
        elif str(kind) != "VARCHAR":
            native[clean] = str(kind)
    table = ctx.tables.next()
    ctx.con.execute(f"CREATE VIEW {duck.ident(table)} AS SELECT {', '.join(selected)} FROM {scan}")
    try:
        row_count = duck.count_rows(ctx.con, table)
    except duckdb.Error as error:
        raise sources.UnreadableData(f"'{name}' is not a readable Parquet file: {duck.first_line(error)}.") from error
    return sources.TabularSource(name, table, "parquet", native, False, None, notes, row_count)
