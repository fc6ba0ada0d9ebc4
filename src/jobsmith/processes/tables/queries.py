"""What each tabular process computes, as a query over its input tables: ``(sql, values to bind)``.

Kept apart from running it (:mod:`.work`) so that a job runs one of them into a file and a run of
steps can be composed into one statement (:mod:`.chain`). A query built on a table binds that
table's own values first: every query here names its input in FROM before any value of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pydantic

from jobsmith.processes.tables import clauses, parameters, reading

Query = tuple[str, list[Any]]


def load(_: pydantic.BaseModel, table: reading.Table) -> Query:
    return f"SELECT * FROM {table.relation}", list(table.values)


def filter_rows(params: parameters.FilterParameters, table: reading.Table) -> Query:
    condition, values = clauses.where(table, params.conditions)
    return f"SELECT * FROM {table.relation} WHERE {condition}", [*table.values, *values]


def select_columns(params: parameters.SelectParameters, table: reading.Table) -> Query:
    return f"SELECT {clauses.selection(table, params.columns)} FROM {table.relation}", list(table.values)


def aggregate(params: parameters.AggregateParameters, table: reading.Table) -> Query:
    return clauses.aggregation(table, params.group_by, params.aggregates), list(table.values)


def join(params: parameters.JoinParameters, left: reading.Table, right: reading.Table) -> Query:
    """Over temporary copies of both sides, whose ``rowid`` gives the result its order."""
    return clauses.join(_materialized(left, "join_left"), _materialized(right, "join_right"), params.on, params.how), []


def _materialized(table: reading.Table, name: str) -> reading.Table:
    table.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {table.relation}", table.values)
    return reading.Table(table.con, name, table.name, dict(table.columns))


def sort(params: parameters.SortParameters, table: reading.Table) -> Query:
    return f"SELECT * FROM {table.relation} ORDER BY {clauses.ordering(table, params.by)}", list(table.values)


def limit(params: parameters.LimitParameters, table: reading.Table) -> Query:
    return f"SELECT * FROM {table.relation} LIMIT ?", [*table.values, params.n]


def save(_: parameters.SaveParameters, table: reading.Table) -> Query:
    return load(_, table)


BY_PROCESS: dict[str, Callable[..., Query]] = {
    "load": load, "filter_rows": filter_rows, "select_columns": select_columns, "aggregate": aggregate,
    "join": join, "sort": sort, "limit": limit, "save": save,
}
"""The query of each tabular process by its id: ``BY_PROCESS[id](parameters, *input_tables)``."""
