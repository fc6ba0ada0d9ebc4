"""An input file as a DuckDB view with typed columns, whatever the format it came in.

The format is recognised from the content, as the profile does (:mod:`..profile.readers.file_format`):
connectors upload everything as ``file.csv``. Parquet is read as it is. Delimited text is read by
DuckDB's parallel CSV reader with the delimiter, header and rows to skip decided by the profile's
sniffing (:mod:`..profile.readers.dialect`) and the encoding by its detector (a UTF-8 copy is streamed
into the work directory when DuckDB cannot decode it); DuckDB infers the column types. JSON and
workbooks go through the profile's own readers. Nothing here loads a table into Python.
"""

from __future__ import annotations

import dataclasses
import pathlib
from typing import Any

import duckdb

from jobsmith.processes import context
from jobsmith.processes.profile.readers import (
    dialect,
    duck,
    encoding,
    excel,
    file_format,
    jsonfiles,
    read_context,
    readable,
    sources,
)

SAMPLE_BYTES = 1024 * 1024
MAX_LINE_BYTES = 8 * 1024 * 1024
READS = "CSV or TSV text, Parquet, JSON or NDJSON, and Excel or OpenDocument workbooks"
_WORKBOOKS = (file_format.Format.XLSX, file_format.Format.XLS, file_format.Format.ODS)
_CONVERSION = ("Could not convert", "Error when converting", "Conversion Error")


@dataclasses.dataclass
class Table:
    """A relation named ``name`` in sentences, with its columns' DuckDB types by name.

    ``relation`` is what a query selects from: the view over an input file, or (:meth:`derived`) the
    parenthesised query of an earlier step whose bound ``values`` come first in any query built on it,
    so that a run of steps can be one statement.

    ``widen`` is set for delimited text whose types came from a sample of its rows: a value further
    down that does not fit them fails the query, and :meth:`widen_types` reads it again with types
    inferred from every row.
    """

    con: duckdb.DuckDBPyConnection
    view: str
    name: str
    columns: dict[str, str]
    widen: str | None = None
    values: list[Any] = dataclasses.field(default_factory=list)
    query: str | None = None
    source: str = ""
    """The path of the file read, as DuckDB's errors name it (replaced by ``name`` in sentences)."""

    @classmethod
    def derived(cls, con: duckdb.DuckDBPyConnection, sql: str, values: list[Any], name: str) -> Table:
        """The result of ``sql`` (with ``values`` bound) as a table that later steps build on."""
        described = con.execute(f"SELECT * FROM ({sql}) LIMIT 0", values).description or []
        return cls(con, "", name, {str(d[0]): str(d[1]) for d in described}, values=list(values), query=sql)

    @property
    def relation(self) -> str:
        return f"({self.query})" if self.query is not None else duck.ident(self.view)

    def column(self, name: str, role: str = "") -> str:
        """``name`` checked to be a column; its type. An unknown column fails the job naming the columns."""
        if name not in self.columns:
            shown = ", ".join(repr(c) for c in list(self.columns)[:50])
            more = f" and {len(self.columns) - 50} more" if len(self.columns) > 50 else ""
            where = f" {role}" if role else ""
            raise context.JobFailed(f"{self.name} has no column {name!r}{where}; its columns are {shown}{more}")
        return self.columns[name]

    def widen_types(self, error: duckdb.Error) -> bool:
        """Read the file again with types inferred from all rows, if ``error`` is a value that did not fit."""
        if self.widen is None or not any(text in str(error) for text in _CONVERSION):
            return False
        self.con.execute(f"CREATE OR REPLACE VIEW {self.relation} AS {self.widen}")
        self.columns, self.widen = describe(self.con, self.view), None
        return True


def open_table(con: duckdb.DuckDBPyConnection, path: pathlib.Path, view: str, work_dir: pathlib.Path) -> Table:
    """The file at ``path`` as the view ``view``; :class:`context.JobFailed` says why it is no table."""
    name = path.name
    found = file_format.detect(path)
    if found.format is file_format.Format.DELIMITED and found.detail == "bracket" and path.suffix.lower() == ".json":
        found = file_format.Detected(file_format.Format.JSON, "application/json", "array")
    try:
        table = _open(con, path, name, view, found, work_dir)
    except duckdb.Error as error:
        raise context.JobFailed(f"{name} cannot be read as a table: "
                                f"{duck.first_line(error).replace(str(path), name)}") from None
    table.source = str(path)
    return table


def _open(con: duckdb.DuckDBPyConnection, path: pathlib.Path, name: str, view: str, found: file_format.Detected,
          work_dir: pathlib.Path) -> Table:
    kind = found.format
    if kind is file_format.Format.EMPTY:
        raise context.JobFailed(f"{name} is empty: there is no table in it")
    if kind is file_format.Format.PARQUET:
        return _view(con, view, name, f"SELECT * FROM read_parquet({duck.literal(str(path))})")
    if kind is file_format.Format.DELIMITED:
        return _delimited(con, path, name, view, work_dir)
    if kind is file_format.Format.JSON or kind in _WORKBOOKS:
        return _through_profile_reader(con, path, name, view, found, work_dir)
    what = "binary data of no format we know" if kind is file_format.Format.BINARY else readable.describe(found.media_type)
    raise context.JobFailed(f"{name} is {what}, not a table: the tabular processes read {READS}")


def _view(con: duckdb.DuckDBPyConnection, view: str, name: str, sql: str, widen: str | None = None) -> Table:
    con.execute(f"CREATE OR REPLACE VIEW {duck.ident(view)} AS {sql}")
    return Table(con, view, name, describe(con, view), widen)


def describe(con: duckdb.DuckDBPyConnection, view: str) -> dict[str, str]:
    return {str(row[0]): str(row[1]) for row in con.execute(f"DESCRIBE {duck.ident(view)}").fetchall()}


def _delimited(con: duckdb.DuckDBPyConnection, path: pathlib.Path, name: str, view: str,
               work_dir: pathlib.Path) -> Table:
    found = encoding.detect(path)
    if found.duckdb is None:
        work_dir.mkdir(parents=True, exist_ok=True)
        path, found = encoding.transcode(path, found, work_dir / f"{view}.utf8.csv"), encoding.UTF8
    sample, complete = encoding.decode_head(path, found, SAMPLE_BYTES)
    if not sample.strip():
        raise context.JobFailed(f"{name} is blank: there is no table in it")
    plan = dialect.plan(sample, complete)
    selected = "*" if plan.fields == plan.names else ", ".join(duck.ident(n) for n in plan.names)
    sampled, whole = (f"SELECT {selected} FROM {_read_csv(path, found, plan, rows)}" for rows in (20_480, -1))
    try:
        return _view(con, view, name, sampled, widen=whole)
    except duckdb.Error as error:
        if "sniffing" not in str(error):
            raise
    # no row to infer types from (a header alone): text columns, still a table
    return _view(con, view, name, f"SELECT {selected} FROM {_read_csv(path, found, plan, 0)}")


def _read_csv(path: pathlib.Path, found: encoding.Encoding, plan: dialect.Plan, sample_rows: int) -> str:
    """DuckDB's reader with our dialect; types sniffed from ``sample_rows`` (-1: all, 0: every column text)."""
    if sample_rows:
        names = f"names=[{', '.join(duck.literal(field) for field in plan.fields)}], sample_size={sample_rows}"
    else:
        text = ", ".join(f"{duck.literal(field)}: 'VARCHAR'" for field in plan.fields)
        names = f"auto_detect=false, columns={{{text}}}"
    arguments = [
        duck.literal(str(path)), "header=false", f"skip={plan.skip_lines}", f"delim={duck.literal(plan.delimiter)}",
        "quote='\"'", "escape='\"'", "comment=''", names, f"encoding={duck.literal(found.duckdb or 'utf-8')}",
        f"null_padding={str(plan.ragged).lower()}", f"max_line_size={MAX_LINE_BYTES}",
    ]
    if plan.separators.decimal_comma:
        arguments.append("decimal_separator=','")
    return f"read_csv({', '.join(arguments)})"


def _through_profile_reader(con: duckdb.DuckDBPyConnection, path: pathlib.Path, name: str, view: str,
                            found: file_format.Detected, work_dir: pathlib.Path) -> Table:
    """The first table the profile's reader finds: a workbook's first sheet with data, a JSON file's records."""
    ctx = read_context.Context(con, work_dir, sources.ArchiveLimits(), duck.TableNames(con, prefix=f"{view}_read"))
    try:
        if kind := found.format.value if found.format in _WORKBOOKS else None:
            datasets: list[sources.Source] = list(excel.read(path, name, kind, ctx))
        else:
            datasets = jsonfiles.read(path, name, found, ctx)
    except sources.UnreadableData as error:
        raise context.JobFailed(str(error).rstrip(".")) from None
    tables = [d for d in datasets if isinstance(d, sources.TabularSource)]
    if not tables:
        raise context.JobFailed(f"{name} holds no table: its JSON is neither records nor values")
    chosen = next((t for t in tables if t.name in (name, f"{name}/records")), tables[0])
    return _view(con, view, name, f"SELECT * FROM {duck.ident(chosen.table)}")
