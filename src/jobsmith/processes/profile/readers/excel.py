"""Workbooks (.xlsx, .xls, .ods) via python-calamine: every worksheet is a dataset.

Calamine holds a sheet's cells in memory (a workbook is bounded by Excel's own limits), and we
copy them into a DuckDB table in batches: a first pass over the rows fixes each column's type,
a second inserts ``BATCH_ROWS`` rows at a time as columnar arrays, so Python never holds a second
copy of the sheet. Empty sheets, empty rows and columns with neither header nor values are left
out; the notes say so.
"""

from __future__ import annotations

import dataclasses
import pathlib

import duckdb
import numpy as np
import python_calamine

from jobsmith.processes.profile.readers import duck, header, read_context, sheettypes, sources

BATCH_ROWS = 50_000
HEAD_ROWS = 1 + header.MAX_JUNK_ROWS + header.HEADER_EVIDENCE_ROWS
_LABELS = {"xlsx": "Excel workbook", "xls": "Excel 97-2003 workbook", "ods": "OpenDocument spreadsheet"}

Row = list[sheettypes.Cell]


@dataclasses.dataclass(frozen=True)
class _Columns:
    """The sheet's table: which cell positions are read, under which names and types."""

    positions: list[int]
    names: list[str]
    types: list[str]


def read(path: pathlib.Path, name: str, fmt: str, ctx: read_context.Context) -> list[sources.TabularSource]:
    label = _LABELS[fmt]
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    except (python_calamine.CalamineError, ValueError, OSError) as error:
        raise sources.UnreadableData(f"'{name}' is not a readable {label} (damaged or truncated?): {error}.") from error
    try:
        found = [
            source
            for sheet in workbook.sheets_metadata
            if sheet.typ == python_calamine.SheetTypeEnum.WorkSheet
            for source in _sheet(workbook, sheet.name, name, fmt, ctx)
        ]
    finally:
        workbook.close()
    if not found:
        raise sources.UnreadableData(f"'{name}' holds no data: every sheet of the {label} is empty.")
    return found


def _sheet(
    workbook: python_calamine.CalamineWorkbook, sheet_name: str, name: str, fmt: str, ctx: read_context.Context
) -> list[sources.TabularSource]:
    try:
        sheet = workbook.get_sheet_by_name(sheet_name)
        head = _head(sheet)
    except (python_calamine.CalamineError, ValueError) as error:
        raise sources.UnreadableData(f"Sheet '{sheet_name}' of '{name}' cannot be read: {error}.") from error
    if not any(sheettypes.kind(cell) for row in head for cell in row):
        return []
    texts = [[sheettypes.text(cell) or "" for cell in row] for row in head]
    layout = header.find_layout(texts)
    columns, notes = _columns(sheet, texts, layout)
    table = ctx.tables.next()
    row_count, skipped = _load(ctx.con, table, sheet, layout.data_start, columns)
    first_row = (sheet.start or (0, 0))[0] + 1  # calamine drops empty rows above the used range
    notes = header.layout_notes(texts, layout, first_row + layout.skip, "row") + notes
    if skipped:
        notes.append(f"{skipped} empty row(s) in the sheet were left out.")
    return [
        sources.TabularSource(
            name=f"{name}/{sheet_name}",
            table=table,
            format=fmt,
            native_types={n: t for n, t in zip(columns.names, columns.types) if t != "VARCHAR"},
            decimal_comma=False,
            thousands=None,
            notes=notes,
            row_count=row_count,
        )
    ]


def _head(sheet: python_calamine.CalamineSheet) -> list[Row]:
    rows: list[Row] = []
    for row in sheet.iter_rows():
        rows.append(list(row))
        if len(rows) >= HEAD_ROWS:
            break
    return rows


def _columns(sheet: python_calamine.CalamineSheet, texts: list[list[str]], layout: header.Layout) -> tuple[_Columns, list[str]]:
    """Types from every data row; positions with neither a header cell nor any value are dropped."""
    width = max((len(row) for row in texts), default=0)
    types = [sheettypes.ColumnType() for _ in range(width)]
    for index, row in enumerate(sheet.iter_rows()):
        if index >= layout.data_start:
            for position, cell in enumerate(row[:width]):
                types[position].add(cell)
    head = texts[layout.skip] if layout.has_header else []
    keep = [p for p in range(width) if not types[p].empty or (p < len(head) and head[p].strip())]
    if layout.has_header:
        names, notes = header.column_names([head[p] if p < len(head) else "" for p in keep], len(keep))
    else:
        names, notes = header.headerless_names(len(keep)), [f"There is no header row; the columns are named column_1 to column_{len(keep)}."]
    if len(keep) < width:
        notes.append(f"{width - len(keep)} column(s) without header or values were left out.")
    return _Columns(keep, names, [types[p].duckdb_type() for p in keep]), notes


def _load(
    con: duckdb.DuckDBPyConnection, table: str, sheet: python_calamine.CalamineSheet, start: int, columns: _Columns
) -> tuple[int, int]:
    """Copy the data rows into a new table; returns rows written and empty rows skipped."""
    definition = ", ".join(f"{duck.ident(n)} {t}" for n, t in zip(columns.names, columns.types))
    con.execute(f"CREATE TABLE {duck.ident(table)} ({definition})")
    written = skipped = 0
    batch: list[Row] = []
    for index, row in enumerate(sheet.iter_rows()):
        if index < start:
            continue
        picked = [row[p] if p < len(row) else None for p in columns.positions]
        if not any(sheettypes.kind(cell) for cell in picked):
            skipped += 1
            continue
        batch.append(picked)
        if len(batch) >= BATCH_ROWS:
            written += _insert(con, table, batch, columns)
            batch = []
    written += _insert(con, table, batch, columns)
    return written, skipped


def _insert(con: duckdb.DuckDBPyConnection, table: str, batch: list[Row], columns: _Columns) -> int:
    """One batch in as columnar object arrays: far faster than row-wise parameter binding."""
    if not batch or not columns.names:
        return len(batch)
    arrays = {f"c{i}": _array(sheettypes.convert((row[i] for row in batch), kind)) for i, kind in enumerate(columns.types)}
    view = f"{table}__batch"
    con.register(view, arrays)
    try:
        casts = ", ".join(f"CAST(c{i} AS {t})" for i, t in enumerate(columns.types))
        con.execute(f"INSERT INTO {duck.ident(table)} SELECT {casts} FROM {duck.ident(view)}")
    finally:
        con.unregister(view)
    return len(batch)


def _array(values: list[object]) -> np.ndarray[tuple[int], np.dtype[np.object_]]:
    array: np.ndarray[tuple[int], np.dtype[np.object_]] = np.empty(len(values), dtype=object)
    array[:] = values
    return array
