"""A run of steps as one statement gives the same table as the steps run one by one into files."""

from __future__ import annotations

import pathlib

import duckdb
import pytest

from jobsmith.processes import context, registry
from jobsmith.processes.tables import chain, declarations, parameters
from tests.unit.tables.running import rows, run, table

FILTER = {"conditions": [{"column": "age", "op": ">=", "value": 28}, {"column": "city", "op": "not_null"}]}
AGGREGATE = {"group_by": ["city"], "aggregates": [{"function": "count"}, {"column": "score", "function": "median"}]}


def test_filter_aggregate_save_chained_equals_the_jobs_one_by_one(tmp_path: pathlib.Path) -> None:
    source = table(tmp_path)
    loaded = run(declarations.load, {"data": source}, tmp_path / "1") / "table.parquet"
    filtered = run(declarations.filter_rows, {"data": loaded}, tmp_path / "2", **FILTER) / "table.parquet"
    grouped = run(declarations.aggregate, {"data": filtered}, tmp_path / "3", **AGGREGATE) / "table.parquet"
    saved = run(declarations.save, {"data": grouped}, tmp_path / "4", format="csv") / "result.csv"
    steps = [chain.Step("load", registry.NoParameters()),
             chain.Step("filter_rows", parameters.FilterParameters.model_validate(FILTER)),
             chain.Step("aggregate", parameters.AggregateParameters.model_validate(AGGREGATE)),
             chain.Step("save", parameters.SaveParameters.model_validate({"format": "csv"}))]
    with duckdb.connect() as con:
        written = chain.run(con, source, steps, tmp_path / "chained.csv", "csv", tmp_path / "work")
    assert written == 2
    assert (tmp_path / "chained.csv").read_text() == saved.read_text()
    assert rows(saved) == [("Bonn", 2, 7.5), ("Muenster", 1, 6.0)]


def test_a_bad_step_in_a_chain_fails_with_its_sentence(tmp_path: pathlib.Path) -> None:
    steps = [chain.Step("filter_rows", parameters.FilterParameters.model_validate(FILTER)),
             chain.Step("aggregate", parameters.AggregateParameters(group_by=["name"])),
             chain.Step("select_columns", parameters.SelectParameters(columns=["city"]))]
    with duckdb.connect() as con, pytest.raises(context.JobFailed) as failed:
        chain.run(con, table(tmp_path), steps, tmp_path / "out.parquet", "parquet", tmp_path / "work")
    assert str(failed.value) == "the table aggregate made has no column 'city' to select; its columns are 'name'"
