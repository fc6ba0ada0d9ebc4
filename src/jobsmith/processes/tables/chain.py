"""A run of tabular steps over one input as one DuckDB statement, with no file between the steps.

A job of one tabular process writes its table to a file, which is what lets any process consume it.
When consecutive nodes of a graph are all tabular, each step's query can instead be the next one's
input relation (:meth:`reading.Table.derived`): the input is parsed once, only the columns the last
step needs are read, and nothing is written before the end. The answer is the same table as
running the steps one by one; the sentences of a failure name the step.
"""

from __future__ import annotations

import dataclasses
import pathlib

import duckdb
import pydantic

from jobsmith.processes.tables import queries, reading, work


@dataclasses.dataclass(frozen=True)
class Step:
    process_id: str
    parameters: pydantic.BaseModel


def run(con: duckdb.DuckDBPyConnection, source: pathlib.Path, steps: list[Step], target: pathlib.Path,
        fmt: str, work_dir: pathlib.Path) -> int:
    """Rows written to ``target`` after ``steps`` (each with one input: not ``join``) over ``source``."""
    if not steps or any(step.process_id == "join" for step in steps):
        raise ValueError("a chain is one or more steps of one input each")
    base = reading.open_table(con, source, "input_data", work_dir)

    def query() -> queries.Query:
        table = base
        for step in steps[:-1]:
            sql, values = queries.BY_PROCESS[step.process_id](step.parameters, table)
            table = reading.Table.derived(con, sql, values, f"the table {step.process_id} made")
        return queries.BY_PROCESS[steps[-1].process_id](steps[-1].parameters, table)

    return work.copy(con, [base], query, target, fmt)
