"""load reads every tabular format, recognised from the content, into a typed table.parquet."""

from __future__ import annotations

import datetime as dt
import json
import pathlib

import duckdb
import pytest

from jobsmith.processes import context
from jobsmith.processes.tables import declarations
from tests.unit.profile.test_readers import write_xlsx
from tests.unit.tables.running import PEOPLE, rows, run, table, types

EXPECTED = [(1, "Ann", "Bonn", 34, 7.5, dt.date(2024, 1, 5)), (2, "Bob", "Koeln", None, 3.0, dt.date(2023, 11, 30)),
            (3, "Cem", "Bonn", 28, None, dt.date(2024, 2, 10)), (4, "Dora", None, 45, 9.25, None),
            (5, "Eve", "Muenster", 28, 6.0, dt.date(2022, 6, 1))]
TYPES = {"id": "BIGINT", "name": "VARCHAR", "city": "VARCHAR", "age": "BIGINT", "score": "DOUBLE", "joined": "DATE"}


def loaded(source: pathlib.Path, root: pathlib.Path) -> pathlib.Path:
    return run(declarations.load, {"data": source}, root / "load") / "table.parquet"


def test_a_csv_becomes_a_typed_table_with_its_nulls(tmp_path: pathlib.Path) -> None:
    result = loaded(table(tmp_path), tmp_path)
    assert types(result) == TYPES
    assert rows(result) == EXPECTED


def test_a_tsv_named_csv_is_recognised_from_its_content(tmp_path: pathlib.Path) -> None:
    result = loaded(table(tmp_path, "upload.csv", PEOPLE.replace(",", "\t")), tmp_path)
    assert types(result) == TYPES and rows(result) == EXPECTED


def test_semicolons_and_decimal_commas_in_latin1(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "preise.csv"
    path.write_bytes("Stadt;Preis\nKöln;3,5\nMünster;12,25\n".encode("latin-1"))
    result = loaded(path, tmp_path)
    assert types(result) == {"Stadt": "VARCHAR", "Preis": "DOUBLE"}
    assert rows(result) == [("Köln", 3.5), ("Münster", 12.25)]


def test_parquet_keeps_its_own_types(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "typed.parquet"
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT 1::SMALLINT AS small, 2.50::DECIMAL(9,2) AS price, TIMESTAMP '2024-01-02 03:04:05' "
                    f"AS at, [1, 2] AS tags, NULL::VARCHAR AS nothing) TO '{path}' (FORMAT parquet)")
    result = loaded(path, tmp_path)
    assert types(result) == {"small": "SMALLINT", "price": "DECIMAL(9,2)", "at": "TIMESTAMP", "tags": "INTEGER[]",
                             "nothing": "VARCHAR"}
    assert rows(result) == [(1, pytest.approx(2.5), dt.datetime(2024, 1, 2, 3, 4, 5), [1, 2], None)]


def test_a_json_array_of_records_and_ndjson(tmp_path: pathlib.Path) -> None:
    records = [{"id": 1, "name": "Ann", "score": 7.5}, {"id": 2, "name": None, "score": None}]
    array, lines = tmp_path / "a.json", tmp_path / "b.ndjson"
    array.write_text(json.dumps(records))
    lines.write_text("\n".join(json.dumps(r) for r in records))
    for path in (array, lines):
        result = loaded(path, tmp_path / path.suffix[1:])
        assert types(result) == {"id": "BIGINT", "name": "VARCHAR", "score": "DOUBLE"}
        assert rows(result) == [(1, "Ann", 7.5), (2, None, None)]


def test_an_excel_workbook_is_read_from_its_first_sheet_with_data(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "sales.xlsx"
    write_xlsx(path, {"Empty": [], "Sales": [["city", "amount", "day"], ["Bonn", 12.5, dt.datetime(2024, 3, 1)],
                                             ["Koeln", None, dt.datetime(2024, 3, 2)], ["Muenster", 3, None]]})
    result = loaded(path, tmp_path)
    assert types(result) == {"city": "VARCHAR", "amount": "DOUBLE", "day": "DATE"}  # every one at midnight
    assert rows(result) == [("Bonn", 12.5, dt.date(2024, 3, 1)), ("Koeln", None, dt.date(2024, 3, 2)),
                            ("Muenster", 3.0, None)]


def test_a_value_past_the_sampled_rows_widens_its_column_instead_of_failing(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "late.csv"
    path.write_text("n\n" + "".join(f"{i}\n" for i in range(50_000)) + "n/a\n")
    result = loaded(path, tmp_path)
    assert types(result) == {"n": "VARCHAR"}
    assert rows(result)[-2:] == [("49999",), ("n/a",)]


def test_a_header_only_csv_is_an_empty_table(tmp_path: pathlib.Path) -> None:
    result = loaded(table(tmp_path, "empty.csv", "a,b\n"), tmp_path)
    assert list(types(result)) == ["a", "b"] and rows(result) == []


@pytest.mark.parametrize(("content", "sentence"), [
    (b"", "empty.csv is empty: there is no table in it"),
    (b"\n \n", "empty.csv is empty: there is no table in it"),
    (b"\x89PNG\r\n\x1a\n" + bytes(64), "empty.csv is a PNG image, not a table: the tabular processes read CSV or TSV "
                                       "text, Parquet, JSON or NDJSON, and Excel or OpenDocument workbooks"),
])
def test_an_input_that_is_no_table_fails_with_a_sentence(tmp_path: pathlib.Path, content: bytes, sentence: str) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(context.JobFailed) as failed:
        loaded(path, tmp_path)
    assert str(failed.value) == sentence
    assert not (tmp_path / "load" / "out" / "table.parquet").exists()


def test_utf16_text_is_converted_to_utf8_for_reading(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes("Stadt\tEinwohner\nKöln\t1080000\nMünster\t320000\n".encode("utf-16-be"))
    result = loaded(path, tmp_path)
    assert types(result) == {"Stadt": "VARCHAR", "Einwohner": "BIGINT"}
    assert rows(result) == [("Köln", 1080000), ("Münster", 320000)]


def test_nested_json_records_are_flattened(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "events.ndjson"
    path.write_text("\n".join(json.dumps(r) for r in [{"id": 1, "where": {"city": "Bonn", "zip": 53111}, "tags": ["a"]},
                                                      {"id": 2, "where": {"city": None, "zip": None}, "tags": []}]))
    result = loaded(path, tmp_path)
    assert list(types(result)) == ["id", "where.city", "where.zip", "tags"]
    assert rows(result) == [(1, "Bonn", 53111, '["a"]'), (2, None, None, "[]")]


def test_a_broken_csv_fails_with_the_line_and_what_is_wrong(tmp_path: pathlib.Path) -> None:
    path = table(tmp_path, "broken.csv", 'a,b\n1,2\n3,"unterminated\n4,5\n')
    with pytest.raises(context.JobFailed) as failed:
        loaded(path, tmp_path)
    assert str(failed.value) == "broken.csv cannot be read as a table near line 3: Value with unterminated quote found"
    assert str(tmp_path) not in str(failed.value)
