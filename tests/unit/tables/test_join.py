"""join: every kind, keys once, clashing names suffixed, rows in left's order then right's unmatched."""

from __future__ import annotations

import pathlib
from typing import Any

import pytest

from jobsmith.processes import context
from jobsmith.processes.tables import declarations
from tests.unit.tables.running import rows, run, table, types

LEFT = "id,name\n3,Cem\n1,Ann\n2,Bob\n,Nobody\n"
RIGHT = "id,name,amount\n1,first,10.5\n4,stray,1.0\n1,again,2.0\n3,third,\n"


def joined(tmp_path: pathlib.Path, how: str) -> pathlib.Path:
    inputs = {"left": table(tmp_path, "customers.csv", LEFT), "right": table(tmp_path, "orders.csv", RIGHT)}
    return run(declarations.join, inputs, tmp_path / how, on=["id"], how=how) / "table.parquet"


@pytest.mark.parametrize(("how", "expected"), [
    ("inner", [(3, "Cem", "third", None), (1, "Ann", "first", 10.5), (1, "Ann", "again", 2.0)]),
    ("left", [(3, "Cem", "third", None), (1, "Ann", "first", 10.5), (1, "Ann", "again", 2.0), (2, "Bob", None, None),
              (None, "Nobody", None, None)]),
    ("right", [(3, "Cem", "third", None), (1, "Ann", "first", 10.5), (1, "Ann", "again", 2.0),
               (4, None, "stray", 1.0)]),
    ("full", [(3, "Cem", "third", None), (1, "Ann", "first", 10.5), (1, "Ann", "again", 2.0), (2, "Bob", None, None),
              (None, "Nobody", None, None), (4, None, "stray", 1.0)]),
])
def test_every_kind_of_join_row_by_row(tmp_path: pathlib.Path, how: str, expected: list[tuple[Any, ...]]) -> None:
    result = joined(tmp_path, how)
    assert types(result) == {"id": "BIGINT", "name": "VARCHAR", "name_right": "VARCHAR", "amount": "DOUBLE"}
    assert rows(result) == expected


def test_keys_of_types_that_cannot_match_fail_with_a_sentence(tmp_path: pathlib.Path) -> None:
    inputs = {"left": table(tmp_path, "customers.csv", LEFT), "right": table(tmp_path, "codes.csv", "id\nA\nB\n")}
    with pytest.raises(context.JobFailed) as failed:
        run(declarations.join, inputs, tmp_path / "run", on=["id"])
    assert str(failed.value) == ("key column 'id' holds integer values in left (customers.csv) and text values in "
                                 "right (codes.csv), so they cannot be matched")


def test_a_key_missing_on_one_side_names_that_side(tmp_path: pathlib.Path) -> None:
    with pytest.raises(context.JobFailed) as failed:
        run(declarations.join, {"left": table(tmp_path, "customers.csv", LEFT),
                                "right": table(tmp_path, "orders.csv", RIGHT)}, tmp_path / "x", on=["amount"])
    assert str(failed.value) == "left (customers.csv) has no column 'amount' to join on; its columns are 'id', 'name'"


def test_a_side_whose_text_breaks_its_sampled_types_is_read_again(tmp_path: pathlib.Path) -> None:
    late = table(tmp_path, "late.csv", "id,code\n" + "".join(f"{i},{i}\n" for i in range(30_000)) + "1,X1\n")
    inputs = {"left": table(tmp_path, "customers.csv", LEFT), "right": late}
    result = run(declarations.join, inputs, tmp_path / "run", on=["id"]) / "table.parquet"
    assert types(result)["code"] == "VARCHAR"
    assert [r for r in rows(result) if r[0] == 1] == [(1, "Ann", "1"), (1, "Ann", "X1")]
