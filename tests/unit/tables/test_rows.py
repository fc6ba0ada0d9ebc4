"""filter_rows (every operator, values typed by their column), select_columns, sort and limit, row by row."""

from __future__ import annotations

import pathlib
from typing import Any

import pytest

from jobsmith.domain import errors
from jobsmith.processes import context, registry
from jobsmith.processes.tables import declarations
from tests.unit.tables.running import rows, run, table

ANN, BOB, CEM, DORA, EVE = 1, 2, 3, 4, 5


def kept(tmp_path: pathlib.Path, *conditions: dict[str, Any]) -> list[int]:
    """The ids of the rows filter_rows keeps."""
    out = run(declarations.filter_rows, {"data": table(tmp_path)}, tmp_path / "run", conditions=list(conditions))
    return [row[0] for row in rows(out / "table.parquet")]


@pytest.mark.parametrize(("condition", "ids"), [
    ({"column": "age", "op": "==", "value": 28}, [CEM, EVE]),
    ({"column": "age", "op": "!=", "value": 28}, [ANN, DORA]),  # a null matches no comparison
    ({"column": "age", "op": "<", "value": 34}, [CEM, EVE]),
    ({"column": "age", "op": "<=", "value": 34}, [ANN, CEM, EVE]),
    ({"column": "age", "op": ">", "value": 34}, [DORA]),
    ({"column": "age", "op": ">=", "value": 34}, [ANN, DORA]),
    ({"column": "age", "op": ">", "value": 33.5}, [ANN, DORA]),  # a fraction is not rounded to the integer column
    ({"column": "score", "op": "<", "value": "7"}, [BOB, EVE]),  # text read as the column's number
    ({"column": "city", "op": "in", "value": ["Bonn", "Muenster"]}, [ANN, CEM, EVE]),
    ({"column": "city", "op": "not_in", "value": ["Bonn"]}, [BOB, EVE]),
    ({"column": "age", "op": "in", "value": [28, 45]}, [CEM, DORA, EVE]),
    ({"column": "city", "op": "is_null"}, [DORA]),
    ({"column": "score", "op": "not_null"}, [ANN, BOB, DORA, EVE]),
    ({"column": "name", "op": "contains", "value": "o"}, [BOB, DORA]),
    ({"column": "joined", "op": ">=", "value": "2024-01-01"}, [ANN, CEM]),
])
def test_every_operator_keeps_the_rows_it_should_in_order(tmp_path: pathlib.Path, condition: dict[str, Any],
                                                          ids: list[int]) -> None:
    assert kept(tmp_path, condition) == ids


def test_all_conditions_must_hold_and_the_row_keeps_its_types(tmp_path: pathlib.Path) -> None:
    assert kept(tmp_path, {"column": "city", "op": "==", "value": "Bonn"}, {"column": "age", "op": "<", "value": 30}) == [CEM]
    assert kept(tmp_path, {"column": "id", "op": ">", "value": 99}) == []  # an empty table is still a table


@pytest.mark.parametrize(("condition", "sentence"), [
    ({"column": "Age", "op": ">", "value": 3}, "people.csv has no column 'Age' to filter on; its columns are 'id', "
                                                 "'name', 'city', 'age', 'score', 'joined'"),
    ({"column": "age", "op": ">", "value": "abc"}, "column 'age' of people.csv holds integer values, so it cannot be "
                                                   "compared with 'abc'"),
    ({"column": "joined", "op": "<", "value": "yesterday"}, "column 'joined' of people.csv holds date values, so it "
                                                            "cannot be compared with 'yesterday'"),
    ({"column": "age", "op": "==", "value": True}, "column 'age' of people.csv holds integer values, so it cannot be "
                                                   "compared with True"),
    ({"column": "score", "op": "in", "value": [1, "x"]}, "column 'score' of people.csv holds number values, so it "
                                                          "cannot be compared with 'x'"),
    ({"column": "age", "op": "contains", "value": "3"}, "column 'age' of people.csv holds integer values; contains "
                                                        "finds text in a text column"),
])
def test_a_condition_that_cannot_apply_fails_the_job_with_a_sentence(tmp_path: pathlib.Path, condition: dict[str, Any],
                                                                       sentence: str) -> None:
    with pytest.raises(context.JobFailed) as failed:
        kept(tmp_path, condition)
    assert str(failed.value) == sentence


@pytest.mark.parametrize(("condition", "fault"), [
    ({"column": "age", "op": "~", "value": 3}, "conditions.0.op"),
    ({"column": "age", "op": "in", "value": 3}, "takes a non-empty list"),
    ({"column": "age", "op": "is_null", "value": 3}, "takes no value"),
    ({"column": "age", "op": ">"}, "takes one value"),
    ({"column": "age", "op": ">", "value": 1, "sql": "1=1"}, "Extra inputs are not permitted"),
])
def test_a_condition_of_the_wrong_shape_is_refused_before_the_job(condition: dict[str, Any], fault: str) -> None:
    spec = registry.describe(declarations.filter_rows)
    assert spec is not None
    with pytest.raises(errors.Invalid) as refused:
        spec.validate_parameters({"conditions": [condition]})
    assert fault in str(refused.value)


def test_a_column_name_is_never_sql(tmp_path: pathlib.Path) -> None:
    with pytest.raises(context.JobFailed, match="has no column 'age\" OR 1=1 --'"):
        kept(tmp_path, {"column": 'age" OR 1=1 --', "op": "is_null"})
    path = table(tmp_path, "odd.csv", 'a"b,c\n1,2\n3,4\n')  # a quote in a real column name is just a name
    out = run(declarations.filter_rows, {"data": path}, tmp_path / "odd", conditions=[{"column": 'a"b', "op": ">", "value": 1}])
    assert rows(out / "table.parquet") == [(3, 4)]


def test_select_columns_keeps_the_named_columns_in_the_order_given(tmp_path: pathlib.Path) -> None:
    out = run(declarations.select_columns, {"data": table(tmp_path)}, tmp_path / "run", columns=["age", "name"])
    assert rows(out / "table.parquet") == [(34, "Ann"), (None, "Bob"), (28, "Cem"), (45, "Dora"), (28, "Eve")]
    with pytest.raises(context.JobFailed, match="people.csv has no column 'town' to select; its columns are 'id'"):
        run(declarations.select_columns, {"data": table(tmp_path)}, tmp_path / "bad", columns=["name", "town"])


def test_sort_by_several_keys_with_descending_and_nulls_last(tmp_path: pathlib.Path) -> None:
    out = run(declarations.sort, {"data": table(tmp_path)}, tmp_path / "run",
              by=[{"column": "age", "descending": True}, {"column": "name", "descending": True}])
    assert [r[1] for r in rows(out / "table.parquet")] == ["Dora", "Ann", "Eve", "Cem", "Bob"]
    out = run(declarations.sort, {"data": table(tmp_path)}, tmp_path / "up", by=[{"column": "city"}, {"column": "id"}])
    assert [r[0] for r in rows(out / "table.parquet")] == [ANN, CEM, BOB, EVE, DORA]


def test_limit_keeps_the_first_rows(tmp_path: pathlib.Path) -> None:
    for n, expected in ((2, [ANN, BOB]), (0, []), (99, [ANN, BOB, CEM, DORA, EVE])):
        out = run(declarations.limit, {"data": table(tmp_path)}, tmp_path / str(n), n=n)
        assert [r[0] for r in rows(out / "table.parquet")] == expected
    spec = registry.describe(declarations.limit)
    assert spec is not None
    with pytest.raises(errors.Invalid, match="n: Input should be greater than or equal to 0"):
        spec.validate_parameters({"n": -1})
