"""A tabular input (CSV, TSV or Parquet) as a DuckDB view, and checks on the columns a picture uses.

DuckDB scans the file on every query and aggregates as it goes, so a heatmap of a file larger than
memory holds only its grid. Paths and column names are spliced into SQL through
:func:`ident` and :func:`literal`, so no name can change a statement.
"""

from __future__ import annotations

import pathlib

import duckdb

from jobsmith.processes import context

VIEW = "data"
NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
           "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "REAL")


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def open_table(path: pathlib.Path) -> tuple[duckdb.DuckDBPyConnection, dict[str, str]]:
    """A connection with the file as view :data:`VIEW`, and its column types by name."""
    con = duckdb.connect(config={"threads": 2, "memory_limit": "512MB"})
    with path.open("rb") as handle:
        parquet = handle.read(4) == b"PAR1"
    reader = f"read_parquet({literal(str(path))})" if parquet else f"read_csv({literal(str(path))})"
    try:
        con.execute(f"CREATE VIEW {VIEW} AS SELECT * FROM {reader}")
        described = con.execute(f"DESCRIBE {VIEW}").fetchall()
    except duckdb.Error as exc:
        con.close()
        raise context.JobFailed(f"{path.name} cannot be read as a table: {first_line(exc)}") from None
    return con, {str(row[0]): str(row[1]) for row in described}


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def column(columns: dict[str, str], name: str, file: str, *, numeric: bool, role: str) -> str:
    """``name`` checked to be a column of ``file`` (and a numeric one when ``numeric``); its type."""
    if name not in columns:
        shown = ", ".join(list(columns)[:20])
        raise context.JobFailed(f"{file} has no column {name!r} for {role} (its columns: {shown})")
    kind = columns[name]
    if numeric and not is_numeric(kind):
        raise context.JobFailed(f"column {name!r} of {file} is not numeric (it holds {kind.lower()} values), "
                                f"so it cannot be the {role}")
    return kind


def is_numeric(kind: str) -> bool:
    return kind.upper() in NUMERIC or kind.upper().startswith("DECIMAL")


def single(paths: list[pathlib.Path], input_name: str) -> pathlib.Path:
    if len(paths) != 1:
        raise context.JobFailed(f"the {input_name!r} input takes one table file; it got {len(paths)}")
    return paths[0]
