"""aggregate: every function, with nulls left out, null as a group of its own, and no groups at all."""

from __future__ import annotations

import pathlib
import statistics

import pytest

from jobsmith.domain import errors
from jobsmith.processes import context, registry
from jobsmith.processes.tables import declarations
from tests.unit.tables.running import rows, run, table, types

EVERY = [{"function": "count", "as": "rows"}, {"column": "age", "function": "count"},
         {"column": "age", "function": "sum"}, {"column": "age", "function": "mean"},
         {"column": "score", "function": "min"}, {"column": "score", "function": "max"},
         {"column": "age", "function": "median"}, {"column": "joined", "function": "max", "as": "last_joined"}]


def test_every_function_by_group_sorted_by_the_groups_with_null_a_group(tmp_path: pathlib.Path) -> None:
    out = run(declarations.aggregate, {"data": table(tmp_path)}, tmp_path / "run", group_by=["city"], aggregates=EVERY)
    result = out / "table.parquet"
    assert list(types(result).items()) == [
        ("city", "VARCHAR"), ("rows", "BIGINT"), ("count_age", "BIGINT"), ("sum_age", "BIGINT"), ("mean_age", "DOUBLE"),
        ("min_score", "DOUBLE"), ("max_score", "DOUBLE"), ("median_age", "DOUBLE"), ("last_joined", "DATE")]
    got = {row[0]: row[1:8] for row in rows(result)}
    assert [row[0] for row in rows(result)] == ["Bonn", "Koeln", "Muenster", None]
    assert got["Bonn"] == (2, 2, 62, 31.0, 7.5, 7.5, 31.0)  # Cem's score is null: min and max are Ann's
    assert got["Koeln"] == (1, 0, None, None, 3.0, 3.0, None)  # Bob's age is null: no sum, mean or median
    assert got[None] == (1, 1, 45, 45.0, 9.25, 9.25, 45.0)


def test_without_groups_one_row_and_median_of_an_even_count(tmp_path: pathlib.Path) -> None:
    out = run(declarations.aggregate, {"data": table(tmp_path)}, tmp_path / "run", aggregates=EVERY)
    ages = [34, 28, 45, 28]
    assert rows(out / "table.parquet") == [(5, 4, sum(ages), statistics.mean(ages), 3.0, 9.25,
                                            statistics.median(ages), rows(out / "table.parquet")[0][7])]
    assert statistics.median(ages) == 31.0


def test_groups_alone_are_the_distinct_combinations(tmp_path: pathlib.Path) -> None:
    out = run(declarations.aggregate, {"data": table(tmp_path)}, tmp_path / "run", group_by=["city", "age"])
    assert rows(out / "table.parquet") == [("Bonn", 28), ("Bonn", 34), ("Koeln", None), ("Muenster", 28), (None, 45)]


def test_an_aggregate_of_an_empty_table_is_one_row_of_nothing(tmp_path: pathlib.Path) -> None:
    path = table(tmp_path, "none.csv", "g,x\n")
    out = run(declarations.aggregate, {"data": path}, tmp_path / "run", aggregates=[{"function": "count"},
                                                                                   {"column": "x", "function": "max"}])
    assert rows(out / "table.parquet") == [(0, None)]


@pytest.mark.parametrize(("aggregate", "sentence"), [
    ({"column": "name", "function": "sum"}, "column 'name' of people.csv holds text values, so it has no sum"),
    ({"column": "city", "function": "median"}, "column 'city' of people.csv holds text values, so it has no median"),
    ({"column": "salary", "function": "mean"}, "people.csv has no column 'salary' to mean; its columns are 'id', "
                                               "'name', 'city', 'age', 'score', 'joined'"),
])
def test_an_aggregate_that_cannot_apply_fails_with_a_sentence(tmp_path: pathlib.Path, aggregate: dict[str, str],
                                                              sentence: str) -> None:
    with pytest.raises(context.JobFailed) as failed:
        run(declarations.aggregate, {"data": table(tmp_path)}, tmp_path / "run", aggregates=[aggregate])
    assert str(failed.value) == sentence


@pytest.mark.parametrize(("parameters", "fault"), [
    ({}, "give group_by, aggregates or both"),
    ({"aggregates": [{"column": "age", "function": "mode"}]}, "aggregates.0.function"),
    ({"aggregates": [{"function": "sum"}]}, "function 'sum' needs a column"),
    ({"group_by": ["city"], "aggregates": [{"column": "age", "function": "max", "as": "city"}]}, "names 'city' twice"),
])
def test_aggregates_of_the_wrong_shape_are_refused_before_the_job(parameters: dict[str, object], fault: str) -> None:
    spec = registry.describe(declarations.aggregate)
    assert spec is not None
    with pytest.raises(errors.Invalid) as refused:
        spec.validate_parameters(parameters)
    assert fault in str(refused.value)
