"""save writes <name>.<format> in each format; read back, it is the table it was given."""

from __future__ import annotations

import csv
import json
import pathlib

import pytest

from jobsmith.domain import errors
from jobsmith.processes import registry
from jobsmith.processes.tables import declarations
from tests.unit.tables.running import rows, run, table, types
from tests.unit.tables.test_reading import EXPECTED, TYPES


@pytest.mark.parametrize("fmt", ["csv", "parquet", "json"])
def test_each_format_read_back_is_the_same_table(tmp_path: pathlib.Path, fmt: str) -> None:
    loaded = run(declarations.load, {"data": table(tmp_path)}, tmp_path / "load") / "table.parquet"
    out = run(declarations.save, {"data": loaded}, tmp_path / "save", format=fmt, name="people-2024")
    assert [p.name for p in out.iterdir()] == [f"people-2024.{fmt}"]
    assert rows(out / f"people-2024.{fmt}") == EXPECTED
    assert types(out / f"people-2024.{fmt}") == TYPES


def test_csv_has_a_header_and_empty_fields_for_nulls_json_is_an_array_of_objects(tmp_path: pathlib.Path) -> None:
    out = run(declarations.save, {"data": table(tmp_path)}, tmp_path / "csv", format="csv")
    lines = list(csv.reader((out / "result.csv").read_text().splitlines()))
    assert lines[0] == ["id", "name", "city", "age", "score", "joined"] and lines[4] == ["4", "Dora", "", "45", "9.25", ""]
    out = run(declarations.save, {"data": table(tmp_path)}, tmp_path / "json", format="json")
    document = json.loads((out / "result.json").read_text())
    assert document[1] == {"id": 2, "name": "Bob", "city": "Koeln", "age": None, "score": 3.0, "joined": "2023-11-30"}


@pytest.mark.parametrize("name", ["../up", "", "a/b", ".hidden", "x" * 101])
def test_a_name_that_is_no_plain_file_name_is_refused(name: str) -> None:
    spec = registry.describe(declarations.save)
    assert spec is not None
    with pytest.raises(errors.Invalid, match="name: String should"):
        spec.validate_parameters({"format": "csv", "name": name})
