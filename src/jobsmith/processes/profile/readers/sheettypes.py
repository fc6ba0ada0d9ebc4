"""Column types for spreadsheet cells, which (unlike CSV text) arrive typed from the workbook.

A column keeps its workbook type when all its cells agree: numbers, dates, times, durations,
booleans. A column mixing kinds (numbers and text, say) becomes text, every cell rendered the
way a person reads it ("3" not "3.0"), and the analysis infers its type like a CSV column's.
"""

from __future__ import annotations

import collections.abc
import datetime as dt

Cell = int | float | str | bool | dt.time | dt.date | dt.datetime | dt.timedelta | None

_INT64 = 2**63 - 1
_KIND_TYPE = {
    frozenset({"bool"}): "BOOLEAN",
    frozenset({"datetime"}): "TIMESTAMP",
    frozenset({"datetime", "date"}): "TIMESTAMP",
    frozenset({"date"}): "DATE",
    frozenset({"time"}): "TIME",
    frozenset({"duration"}): "INTERVAL",
}


def kind(cell: Cell) -> str | None:
    """The cell's kind, None for an empty cell (calamine gives "" for those)."""
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return None
    if isinstance(cell, bool):
        return "bool"
    if isinstance(cell, (int, float)):
        return "number"
    if isinstance(cell, dt.datetime):
        return "datetime"
    if isinstance(cell, dt.date):
        return "date"
    if isinstance(cell, dt.time):
        return "time"
    if isinstance(cell, dt.timedelta):
        return "duration"
    return "text"


class ColumnType:
    """Accumulates the kinds seen in one column over all rows, then names its DuckDB type."""

    def __init__(self) -> None:
        self.kinds: set[str] = set()
        self.integral = True

    def add(self, cell: Cell) -> None:
        found = kind(cell)
        if found is None:
            return
        self.kinds.add(found)
        if found == "number" and self.integral:
            self.integral = isinstance(cell, int) or (isinstance(cell, float) and cell.is_integer() and abs(cell) <= _INT64)

    @property
    def empty(self) -> bool:
        return not self.kinds

    def duckdb_type(self) -> str:
        if self.kinds == {"number"}:
            return "BIGINT" if self.integral else "DOUBLE"
        return _KIND_TYPE.get(frozenset(self.kinds), "VARCHAR")


def convert(cells: collections.abc.Iterable[Cell], duckdb_type: str) -> list[object]:
    """Cells as Python values DuckDB stores in a column of ``duckdb_type``; empty cells None."""
    if duckdb_type == "VARCHAR":
        return [text(cell) for cell in cells]
    if duckdb_type == "BIGINT":
        return [None if kind(cell) is None else int(cell) for cell in cells]  # type: ignore[arg-type]
    if duckdb_type == "DOUBLE":
        return [None if kind(cell) is None else float(cell) for cell in cells]  # type: ignore[arg-type]
    return [None if kind(cell) is None else cell for cell in cells]


def text(cell: Cell) -> str | None:
    """How a person reads the cell: "3" for 3.0, ISO dates, "true"/"false"."""
    if kind(cell) is None:
        return None
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, float):
        return str(int(cell)) if cell.is_integer() and abs(cell) < 1e16 else repr(cell)
    if isinstance(cell, dt.datetime):
        return cell.isoformat(sep=" ")
    if isinstance(cell, (dt.date, dt.time)):
        return cell.isoformat()
    return str(cell)
