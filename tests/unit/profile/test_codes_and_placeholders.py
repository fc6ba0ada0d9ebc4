"""Type inference on what exports really hold: codes written with leading zeros, and placeholders for "no value".

A postal code ``01067`` read as the number 1067 is a different postal code, so a column holding
numbers with leading zeros stays text. A price column with ``-`` or ``n/a`` in its gaps is still a
price column: those texts are nulls, counted by token in the notes, and left out of every statistic.
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterator

import duckdb
import pytest

from tests.unit.profile.test_analysis import column, csv_table, kind_of, run, structured, validate, write_csv


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(config={"threads": 2})
    yield connection
    connection.close()


@pytest.mark.parametrize("values", [
    ["0001", "0002", "0017", "1234", "0400"],  # identifiers padded with zeros
    ["01067", "10115", "80331", "20095", "04109"],  # German postal codes, two with a leading zero
    ["007", "12", "345", "6789", "042"],
    ["-012", "13", "14", "15", "16"],
])
def test_numbers_written_with_leading_zeros_stay_text(con: duckdb.DuckDBPyConnection, tmp_path: pathlib.Path,
                                                      values: list[str]) -> None:
    path = write_csv(tmp_path, ["code", "amount"], [[value, str(i)] for i, value in enumerate(values * 4)])
    result = run(con, [csv_table(con, path)])
    dataset = structured(result)
    validate(result.edp)
    assert (kind_of(dataset, "code"), kind_of(dataset, "amount")) == ("string", "numeric")
    assert column(dataset, "code")["numberUnique"] == len(set(values))
    assert any("column 'code': numbers written with leading zeros" in note for note in result.notes)


@pytest.mark.parametrize("values", [
    ["0", "0.5", "0.25", "10", "0"],  # a zero and decimals below one are numbers
    ["0,5", "1,25", "0", "3,5", "0,75"],  # the same with a decimal comma
    ["-0.5", "+0.25", "1", "2", "3"],
])
def test_zero_and_decimals_below_one_are_still_numbers(con: duckdb.DuckDBPyConnection, tmp_path: pathlib.Path,
                                                       values: list[str]) -> None:
    path = write_csv(tmp_path, ["x"], [[value] for value in values * 4])
    dataset = structured(run(con, [csv_table(con, path)]))
    assert kind_of(dataset, "x") == "numeric"


def test_phone_numbers_with_blanks_are_text(con: duckdb.DuckDBPyConnection, tmp_path: pathlib.Path) -> None:
    path = write_csv(tmp_path, ["phone"], [[f"+49 30 {1000 + i}"] for i in range(20)])
    assert kind_of(structured(run(con, [csv_table(con, path)])), "phone") == "string"


PLACEHOLDERS = ["-", "--", "n/a", "N/A", "NA", "na", "NULL", "null", "None", "?", "\u2014", "\u2013", ".", "", "  ",
                "#N/A", "NaN", "nUlL", "k.A."]


def test_placeholders_in_a_numeric_column_are_nulls_counted_by_token(con: duckdb.DuckDBPyConnection,
                                                                     tmp_path: pathlib.Path) -> None:
    prices = [f"{10 + i}.5" for i in range(40)]
    rows = [[price] for price in prices] + [[token] for token in PLACEHOLDERS] + [["-"]] * 11
    path = write_csv(tmp_path, ["price"], rows)
    result = run(con, [csv_table(con, path)])
    validate(result.edp)
    price = column(structured(result), "price")
    assert kind_of(structured(result), "price") == "numeric"
    assert (price["nullCount"], price["inconsistentCount"], price["interpretableCount"]) == (
        len(PLACEHOLDERS) + 11, 0, 40)
    assert price["mean"] == pytest.approx(sum(10.5 + i for i in range(40)) / 40)
    assert (price["min"], price["max"]) == (10.5, 49.5)
    (note,) = [note for note in result.notes if "read as missing" in note]
    assert note.startswith("data.csv: column 'price': the values '-' (12×), ")
    for token in ("--", "n/a", "N/A", "NA", "na", "NULL", "None", "?", "\u2014", "\u2013", ".", "#N/A", "NaN", "k.A."):
        assert f"{token!r} (1×)" in note
    assert "'null' (2×)" in note  # 'nUlL' is read in any case and named as the lower-case token
    assert "''" not in note  # empty and blank cells are plain nulls, not placeholders
    assert not result.warnings


def test_placeholders_do_not_make_a_mostly_missing_column_text(con: duckdb.DuckDBPyConnection,
                                                               tmp_path: pathlib.Path) -> None:
    """60 % dashes: the other values are all numbers, so the column is numeric and 60 % missing."""
    path = write_csv(tmp_path, ["x", "at"], [["-" if i % 5 < 3 else str(i), "n/a" if i % 5 < 3 else f"2024-02-{i % 28 + 1:02d}"]
                                             for i in range(50)])
    result = run(con, [csv_table(con, path)])
    dataset = structured(result)
    assert (kind_of(dataset, "x"), kind_of(dataset, "at")) == ("numeric", "datetime")
    assert column(dataset, "x")["nullCount"] == 30 and column(dataset, "at")["nullCount"] == 30
    assert "data.csv: column 'x': the value '-' (30×) was read as missing" in result.notes
    assert "data.csv: column 'at': the value 'n/a' (30×) was read as missing" in result.notes


def test_placeholders_stay_values_in_a_text_column(con: duckdb.DuckDBPyConnection, tmp_path: pathlib.Path) -> None:
    path = write_csv(tmp_path, ["word"], [[word] for word in ["alpha", "beta", "-", "?", "gamma", "delta"] * 3])
    result = run(con, [csv_table(con, path)])
    word = column(structured(result), "word")
    assert (kind_of(structured(result), "word"), word["nullCount"], word["numberUnique"]) == ("string", 0, 6)
    assert not [note for note in result.notes if "read as missing" in note]


def test_words_among_numbers_are_inconsistent_not_placeholders(con: duckdb.DuckDBPyConnection,
                                                               tmp_path: pathlib.Path) -> None:
    path = write_csv(tmp_path, ["x"], [[str(i)] for i in range(30)] + [["unknown"], ["-"]])
    x = column(structured(run(con, [csv_table(con, path)])), "x")
    assert (x["nullCount"], x["inconsistentCount"], x["interpretableCount"]) == (1, 1, 30)


def test_the_result_gives_lengths_and_shapes_of_texts_and_the_tokens_read_as_missing(
    con: duckdb.DuckDBPyConnection, tmp_path: pathlib.Path
) -> None:
    codes = ["01067", "10115", "04109", "AB-12", "Zürich-Nord 8001 Stadtkreis Eins Hauptbahnhof Süd"]
    rows = [[code, "-" if i % 4 == 0 else str(i)] for i, code in enumerate(codes * 4)] + [["", "3"]]
    result = run(con, [csv_table(con, write_csv(tmp_path, ["plz", "n"], rows))])
    plz, n = result.details
    assert (plz.dataset, plz.column, plz.code, n.column) == ("data.csv", "plz", True, "n")
    assert (plz.min_length, plz.max_length) == (5, len(codes[-1]))
    assert plz.mean_length == pytest.approx(sum(map(len, codes)) / len(codes))
    assert plz.patterns == (("99999", 12), ("(longer than 32 characters)", 4), ("AA-99", 4))
    assert n.missing_tokens == (("-", 5),) and n.patterns == () and not n.code
    accented = run(con, [csv_table(con, write_csv(tmp_path, ["w"], [["Äb-ß1"]] * 3, name="w.csv"))])
    assert accented.details[0].patterns == (("Aa-a9", 3),)  # accents stripped, ß a letter too


def test_the_report_shows_lengths_shapes_and_placeholders_of_each_column(con: duckdb.DuckDBPyConnection,
                                                                         tmp_path: pathlib.Path) -> None:
    """What edp.json has no field for reaches the person reading the report, in the column's section."""
    from jobsmith.processes.profile.report import plots, view

    rows = [[code, price] for code, price in zip(["01067", "10115", "AB-12", "80331"] * 10,
                                                 ["1.5", "-", "2.25", "n/a"] * 10, strict=True)]
    result = run(con, [csv_table(con, write_csv(tmp_path, ["code", "price"], rows))])
    out = tmp_path / "out"
    plots.render(result.plots, out)
    sections = {c.name: c for section in view.build_view(result, out).sections for c in section.columns}
    code_facts, price_facts = dict(sections["code"].facts), dict(sections["price"].facts)
    assert code_facts["Lengths"] == "5 characters each"
    assert code_facts["Shapes"] == "99999 (30×), AA-99 (10×)"
    assert price_facts["Read as missing"] == "'-' (10×), 'n/a' (10×)"
