"""Small DuckDB helpers shared by the readers: quoting, fresh table names, error sentences.

Views over files cannot take bound parameters, so paths and names are spliced into SQL; every
splice goes through :func:`literal` or :func:`ident` so a file or column name can never change
the statement.
"""

from __future__ import annotations

import re

import duckdb

_LINE = re.compile(r"\bLine: (\d+)")


def ident(name: str) -> str:
    """A double-quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A single-quoted SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


class TableNames:
    """Hands out table/view names not yet used in the connection (``dataset_1``, ``dataset_2`` ...).

    One instance serves a whole :func:`read` call, archives included, so names never collide;
    names already in the connection (an earlier call) are skipped.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, prefix: str = "dataset") -> None:
        rows = con.execute("SELECT lower(table_name) FROM information_schema.tables").fetchall()
        self._taken = {str(row[0]) for row in rows}
        self._prefix = prefix
        self._counter = 0

    def next(self) -> str:
        while True:
            self._counter += 1
            name = f"{self._prefix}_{self._counter}"
            if name not in self._taken:
                self._taken.add(name)
                return name


def first_line(error: BaseException) -> str:
    """The first line of a DuckDB error without its ``Invalid Input Error:`` style prefix."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return re.sub(r"^[A-Za-z ]*Error: ", "", text).strip()


def error_line(error: BaseException) -> int | None:
    """The file line DuckDB's CSV reader names in an error, if it names one."""
    match = _LINE.search(str(error))
    return int(match.group(1)) if match else None


def count_rows(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {ident(table)}").fetchone()
    return int(row[0]) if row else 0
