"""The first rows of a table as the file holds them: the report's sample, so a reader sees the data itself.

Read from the source table (the reader's view of the file), not the typed copy: a sample shows
``0042`` and ``n/a`` as written, which is what a person compares the profile's figures with. A
``LIMIT`` without ``ORDER BY`` gives the first rows because the connection keeps insertion order
(``preserve_insertion_order``, set where it is opened); it reads the first chunk of the file only.
Cells are cut to :data:`CELL_CHARACTERS` so that a page of prose in one cell cannot fill the report.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import duckdb

from jobsmith.processes.profile.analysis import model
from jobsmith.processes.profile.analysis.sqlbits import ident

ROWS = 5
CELL_CHARACTERS = 40


def first_rows(con: duckdb.DuckDBPyConnection, table: str, names: Sequence[str], dataset: str,
               duplicates: int | None, *, shown: bool) -> model.TableDetail:
    """The table's detail with its first :data:`ROWS` rows (none unless ``shown``), cells as short text."""
    if not shown or not names:
        return model.TableDetail(dataset, duplicates)
    cells = ", ".join(f"CAST({ident(name)} AS VARCHAR)" for name in names)
    rows = con.execute(f"SELECT {cells} FROM {ident(table)} LIMIT {ROWS}").fetchall()
    return model.TableDetail(dataset, duplicates, tuple(names),
                             tuple(tuple(cut(cell) for cell in row) for row in rows))


def cut(cell: str | None) -> str | None:
    """A cell on one line and at most :data:`CELL_CHARACTERS` long, an ellipsis marking what was cut.

    Line breaks and tabs become blanks, other control characters U+FFFD: neither a PDF's text nor
    HTML can show them, and XML forbids most."""
    if cell is None:
        return None
    line = "".join(" " if ch in "\t\n\r" else "\ufffd" if unicodedata.category(ch) == "Cc" else ch for ch in cell)
    return line if len(line) <= CELL_CHARACTERS else line[:CELL_CHARACTERS - 1] + "…"
