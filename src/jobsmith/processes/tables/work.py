"""The bodies of the tabular processes: open the input tables, then one streamed COPY into the result.

A job gets its own in-memory DuckDB bounded in memory, spilling to the job's scratch directory, so
a sort, a join or an aggregation of a table larger than memory still finishes. Every result but
``save``'s is ``table.parquet``: typed, compressed, and read column by column by the next step.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Callable
from typing import Any

import duckdb

from jobsmith.processes import context
from jobsmith.processes.profile.readers import duck
from jobsmith.processes.tables import parameters, queries, reading

TABLE = "table.parquet"
MEMORY_LIMIT = "1GB"
_FORMATS = {"parquet": "FORMAT parquet", "csv": "FORMAT csv, HEADER true", "json": "FORMAT json, ARRAY true"}

Query = Callable[[], tuple[str, list[Any]]]


def connect(ctx: context.JobContext) -> duckdb.DuckDBPyConnection:
    spill = ctx.work_dir / "spill"
    spill.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(config={
        "memory_limit": MEMORY_LIMIT, "threads": os.cpu_count() or 1, "temp_directory": str(spill),
        "preserve_insertion_order": True, "autoinstall_known_extensions": False,
        "autoload_known_extensions": False})


def open_input(ctx: context.JobContext, con: duckdb.DuckDBPyConnection, input_name: str,
               label: str | None = None) -> reading.Table:
    """The one file of input ``input_name`` as a table; ``label`` names it in sentences (default: the file)."""
    paths = ctx.inputs.get(input_name, [])
    if len(paths) != 1:
        raise context.JobFailed(f"the {input_name!r} input takes one table file; it got {len(paths)}")
    table = reading.open_table(con, paths[0], f"input_{input_name}", ctx.work_dir / "read")
    if label:
        table.name = f"{label} ({table.name})"
    return table


def run(ctx: context.JobContext, verb: str, inputs: tuple[str, ...], query: Callable[..., tuple[str, list[Any]]],
        target: str = TABLE, fmt: str = "parquet") -> None:
    """The whole of one tabular process: read ``inputs``, then ``query`` over them copied into ``target``."""
    con = connect(ctx)
    try:
        with ctx.step("read") as step:
            labels = (None,) if len(inputs) == 1 else inputs
            tables = [open_input(ctx, con, name, label) for name, label in zip(inputs, labels)]
            step.message = "; ".join(f"{t.name}: {len(t.columns)} columns" for t in tables)
        with ctx.step(verb) as step:
            rows = copy(con, tables, lambda: query(*tables), ctx.output_dir / target, fmt)
            step.message = f"{rows} rows in {target}"
            ctx.log.info("%s wrote %d rows to %s", verb, rows, target)
    finally:
        con.close()


def copy(con: duckdb.DuckDBPyConnection, tables: list[reading.Table], query: Query, target: pathlib.Path,
         fmt: str) -> int:
    """Run ``query`` into ``target``; a CSV value that breaks its sampled type gets the file read again."""
    while True:
        try:
            sql, values = query()  # a join reads its inputs here already
            row = con.execute(f"COPY ({sql}) TO {duck.literal(str(target))} ({_FORMATS[fmt]})", values).fetchone()
            return int(row[0]) if row else 0
        except duckdb.OutOfMemoryException as error:
            raise context.JobFailed(f"the table needs more memory than a tabular step may use ({MEMORY_LIMIT}): "
                                    f"{duck.first_line(error)}") from None
        except duckdb.Error as error:
            target.unlink(missing_ok=True)
            if not any(t.widen_types(error) for t in tables):
                raise context.JobFailed(_sentence(tables, error)) from None


def _sentence(tables: list[reading.Table], error: duckdb.Error) -> str:
    """One sentence for a failed statement: the file named when the reader failed on it (never its path)."""
    text = duck.first_line(error)
    for table in tables:
        text = text.replace(table.source, table.name) if table.source else text
    if "CSV Error" in str(error) or "Could not convert" in str(error):
        blamed = next((t for t in tables if t.source and t.source in str(error)), tables[0])
        line = duck.error_line(error)
        return f"{blamed.name} cannot be read as a table{f' near line {line}' if line else ''}: {_reason(error)}"
    return f"the table cannot be computed: {text}"


def _reason(error: duckdb.Error) -> str:
    """What DuckDB's CSV reader found wrong: the last line before its "Possible fixes" (the quoted
    original line above it may span lines), else its first line."""
    head = str(error).split("Possible fixes", 1)[0].strip().splitlines()
    return (head[-1].strip() if len(head) > 1 else duck.first_line(error)).rstrip(".")


VERBS = {"load": "write table", "filter_rows": "filter", "select_columns": "select", "aggregate": "aggregate",
         "join": "join", "sort": "sort", "limit": "limit", "save": "save"}


def process(ctx: context.JobContext, process_id: str) -> None:
    """Run the tabular process ``process_id`` as a job: its inputs read, its query copied into its result."""
    inputs = ("left", "right") if process_id == "join" else ("data",)
    target, fmt = TABLE, "parquet"
    if isinstance(ctx.parameters, parameters.SaveParameters):
        target, fmt = f"{ctx.parameters.name}.{ctx.parameters.format}", ctx.parameters.format
    build = queries.BY_PROCESS[process_id]
    run(ctx, VERBS[process_id], inputs, lambda *tables: build(ctx.parameters, *tables), target, fmt)
