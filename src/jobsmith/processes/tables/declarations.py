"""The tabular processes as the registry and ``GET /v1/processes`` see them.

Each declaration is a few lines that import their body (:mod:`.work`, DuckDB and the readers) only
when a job runs, so listing the processes stays cheap.
"""

from __future__ import annotations

from jobsmith.processes import context, registry
from jobsmith.processes.tables import parameters

MEDIA_TYPES = ("text/csv", "text/tab-separated-values", "application/vnd.apache.parquet", "application/json",
               "application/x-ndjson", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "application/vnd.ms-excel", "application/vnd.oasis.opendocument.spreadsheet")
_FORMATS = ("CSV or TSV (delimiter, header and encoding recognised), Parquet, JSON (an array of records or "
            "NDJSON) or an Excel or OpenDocument workbook (its first sheet with data), recognised from the "
            "content whatever the file is named")
DATA = registry.FileInput("data", f"The table: {_FORMATS}. A step's table.parquet chains steps.",
                          media_types=MEDIA_TYPES)
LEFT = registry.FileInput("left", f"The left table: {_FORMATS}.", media_types=MEDIA_TYPES)
RIGHT = registry.FileInput("right", f"The right table: {_FORMATS}.", media_types=MEDIA_TYPES)
TABLE = ["table.parquet"]
_WRITES = " The result is table.parquet, typed, for the next step."


@registry.process("load", title="Load a table", inputs=[DATA], outputs=TABLE, steps=["read", "write table"],
                  description="The input file as a typed table: every tabular format in, Parquet out." + _WRITES)
def load(ctx: context.JobContext) -> None:
    from jobsmith.processes.tables import work

    work.process(ctx, "load")


@registry.process("filter_rows", title="Filter rows", inputs=[DATA], parameters=parameters.FilterParameters,
                  outputs=TABLE, steps=["read", "filter"],
                  description="The rows where every condition holds, in their order; each value is read as its "
                              "column's type." + _WRITES)
def filter_rows(ctx: context.JobContext) -> None:
    from jobsmith.processes.tables import work

    work.process(ctx, "filter_rows")


@registry.process("select_columns", title="Select columns", inputs=[DATA], parameters=parameters.SelectParameters,
                  outputs=TABLE, steps=["read", "select"],
                  description="The named columns, in the order given." + _WRITES)
def select_columns(ctx: context.JobContext) -> None:
    from jobsmith.processes.tables import work

    work.process(ctx, "select_columns")


@registry.process("aggregate", title="Aggregate by groups", inputs=[DATA], parameters=parameters.AggregateParameters,
                  outputs=TABLE, steps=["read", "aggregate"],
                  description="One row per distinct combination of the group_by columns (null is a group), sorted "
                              "by them, with count, sum, mean, min, max or median of columns." + _WRITES)
def aggregate(ctx: context.JobContext) -> None:
    from jobsmith.processes.tables import work

    work.process(ctx, "aggregate")


@registry.process("join", title="Join two tables", inputs=[LEFT, RIGHT], parameters=parameters.JoinParameters,
                  outputs=TABLE, steps=["read", "join"],
                  description="Rows of left and right with equal key columns: the keys once, then left's other "
                              "columns, then right's (suffixed _right where left has the name). Rows come in "
                              "left's order, each with its matches in right's order, then right's unmatched rows."
                              + _WRITES)
def join(ctx: context.JobContext) -> None:
    from jobsmith.processes.tables import work

    work.process(ctx, "join")


@registry.process("sort", title="Sort rows", inputs=[DATA], parameters=parameters.SortParameters, outputs=TABLE,
                  steps=["read", "sort"],
                  description="The rows ordered by the keys, nulls last." + _WRITES)
def sort(ctx: context.JobContext) -> None:
    from jobsmith.processes.tables import work

    work.process(ctx, "sort")


@registry.process("limit", title="First rows", inputs=[DATA], parameters=parameters.LimitParameters, outputs=TABLE,
                  steps=["read", "limit"], description="The first n rows." + _WRITES)
def limit(ctx: context.JobContext) -> None:
    from jobsmith.processes.tables import work

    work.process(ctx, "limit")


@registry.process("save", title="Save a table", inputs=[DATA], parameters=parameters.SaveParameters,
                  outputs=["result.csv", "result.parquet", "result.json"], steps=["read", "save"],
                  description="The table as the result <name>.<format>: CSV with a header row, Parquet, or JSON "
                              "(an array of objects).")
def save(ctx: context.JobContext) -> None:
    from jobsmith.processes.tables import work

    work.process(ctx, "save")
