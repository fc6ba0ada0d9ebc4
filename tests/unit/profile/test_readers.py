"""The profile readers on real files: the EDPS test data and small messy files written here.

Each test asserts what a user of the profile would see: which datasets, their columns and row
counts, a few cell values, the notes about how the file was read, or the sentence explaining
why it could not be.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import pathlib
import pickle
import shutil
import tarfile
import zipfile
from collections.abc import Iterator
from typing import Any
from xml.sax.saxutils import escape

import duckdb
import pytest

from jobsmith.processes.profile import readers
from jobsmith.processes.profile.readers import readable
from tests.support.data import EDP_TESTDATA


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    connection.execute("SET autoinstall_known_extensions=false; SET autoload_known_extensions=false")
    yield connection
    connection.close()


@pytest.fixture
def work(tmp_path: pathlib.Path) -> pathlib.Path:
    return tmp_path / "work"


def read(path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path, **kwargs: Any) -> list[readers.Source]:
    return readers.read(path, con, work_dir=work, **kwargs)


def one_table(path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path,
              **kwargs: Any) -> readers.TabularSource:
    found = read(path, con, work, **kwargs)
    assert len(found) == 1 and isinstance(found[0], readers.TabularSource), found
    return found[0]


def columns(con: duckdb.DuckDBPyConnection, source: readers.TabularSource) -> list[str]:
    return [str(row[0]) for row in con.execute(f'DESCRIBE "{source.table}"').fetchall()]


def rows(con: duckdb.DuckDBPyConnection, source: readers.TabularSource) -> list[tuple[Any, ...]]:
    return con.execute(f'SELECT * FROM "{source.table}"').fetchall()


def notes(source: readers.TabularSource) -> str:
    return "\n".join(source.notes)


def tables(found: list[readers.Source]) -> dict[str, readers.TabularSource]:
    return {source.name: source for source in found if isinstance(source, readers.TabularSource)}


def write_xlsx(path: pathlib.Path, sheets: dict[str, list[list[Any]]]) -> None:
    """A minimal but valid .xlsx (inline strings, one date style), since no xlsx writer is installed."""

    def ref(row: int, column: int) -> str:
        letters, column = "", column + 1
        while column:
            column, rest = divmod(column - 1, 26)
            letters = chr(65 + rest) + letters
        return f"{letters}{row + 1}"

    def cell(at: str, value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, dt.datetime):
            serial = (value - dt.datetime(1899, 12, 30)).total_seconds() / 86400
            return f'<c r="{at}" s="1"><v>{serial}</v></c>'
        if isinstance(value, (int, float)):
            return f'<c r="{at}"><v>{value}</v></c>'
        return f'<c r="{at}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'

    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    count = len(sheets)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-'
                      'officedocument.spreadsheetml.worksheet+xml"/>' for i in range(1, count + 1))
            + "</Types>"))
        archive.writestr("_rels/.rels", (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        archive.writestr("xl/workbook.xml", (
            f'<workbook {ns} xmlns:r="{rel}"><sheets>'
            + "".join(f'<sheet name="{escape(name)}" sheetId="{i}" r:id="rId{i}"/>' for i, name in enumerate(sheets, 1))
            + "</sheets></workbook>"))
        archive.writestr("xl/_rels/workbook.xml.rels", (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(f'<Relationship Id="rId{i}" Type="{rel}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                      for i in range(1, count + 1))
            + f'<Relationship Id="rId{count + 1}" Type="{rel}/styles" Target="styles.xml"/></Relationships>'))
        archive.writestr("xl/styles.xml", (
            f'<styleSheet {ns}><fonts count="1"><font/></fonts><fills count="1"><fill/></fills>'
            '<borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs>'
            '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="22" applyNumberFormat="1"/></cellXfs></styleSheet>'))
        for i, content in enumerate(sheets.values(), 1):
            body = "".join(
                f'<row r="{r + 1}">' + "".join(cell(ref(r, c), value) for c, value in enumerate(row)) + "</row>"
                for r, row in enumerate(content)
            )
            archive.writestr(f"xl/worksheets/sheet{i}.xml", f"<worksheet {ns}><sheetData>{body}</sheetData></worksheet>")


# --- the EDPS test data: every file with its exact header and row count -------------------------------

PARKING = ["uuid", "einfahrt", "ausfahrt", "aufenthalt", "parkhaus"]
HAMBURG = ["Einzelplan", "Aufgabenbereich", "Produktgruppe", "Bezeichnung", "Kontengruppe", "Bezeichnung_2",
           "Ist 2014", "Ist 2015", "fortg. Plan 2016", "Plan 2017", "Plan 2018", "Plan 2019", "Plan 2020"]
AGES = ["Zeit", "0-17 Jahre", "column_3", "18-24 Jahre", "column_5", "25-29 Jahre", "column_7", "30-49 Jahre",
        "column_9", "50-64 Jahre", "column_11", "65 Jahre und aelter", "column_13", "Insgesamt", "column_15"]
BAST = ["column_1", "TKNR", "Zst", "Land", "Strklas", "KFZ_R1", "KFZ_R2", "Lkw_R1", "Lkw_R2", "augmented_time", "lat", "lon"]


@pytest.mark.parametrize(
    ("file", "expected_columns", "row_count"),
    [
        ("test.csv", PARKING, 50),
        ("test_headerless.csv", [f"column_{i}" for i in range(1, 6)], 50),
        ("test_missing_headers.csv", PARKING[:4] + ["column_5"], 6),
        ("test_extra_headers.csv", PARKING[:4] + ["a1"], 6),
        ("test_counts.csv", ["column_1", "column_2"], 7),
        ("hamburg.csv", HAMBURG, 54),
        ("german_decimal_comma.csv", AGES, 6),
        ("bast.csv", BAST, 1000),
    ],
)
def test_reference_csv_files_read_with_their_real_header_and_row_count(
    file: str, expected_columns: list[str], row_count: int, con: duckdb.DuckDBPyConnection, work: pathlib.Path
) -> None:
    source = one_table(EDP_TESTDATA / file, con, work)
    assert (source.name, source.format) == (file, "csv")
    assert columns(con, source) == expected_columns
    assert source.row_count == row_count == len(rows(con, source))
    assert source.native_types == {}  # text columns: the analysis infers their types


def test_hamburg_skips_its_title_line_and_reports_german_numbers(con: duckdb.DuckDBPyConnection, work: pathlib.Path) -> None:
    source = one_table(EDP_TESTDATA / "hamburg.csv", con, work)
    assert (source.decimal_comma, source.thousands) == (True, ".")
    assert "Skipped 1 line above the table ('in Tsd. Euro'); the header is line 2." in source.notes
    assert "The column name 'Bezeichnung' repeats; the repeat is named 'Bezeichnung_2'." in source.notes
    first, second = rows(con, source)[:2]
    assert first[:3] == ("EP 1.01", "200", "200.01") and first[6] == "283" and first[12] is None  # short row padded
    assert second[6] == "4.782"  # kept as text; thousands='.' tells the analysis it means 4782
    assert "fewer fields" in notes(source)


def test_utf16_file_with_decimal_commas_and_unnamed_header_cells(con: duckdb.DuckDBPyConnection, work: pathlib.Path) -> None:
    source = one_table(EDP_TESTDATA / "german_decimal_comma.csv", con, work)
    assert (source.decimal_comma, source.thousands) == (True, None)
    assert source.notes[0] == "The text is UTF-16 little-endian with byte order mark."
    assert "The header cell is empty in columns 3, 5, 7, 9, 11 and 2 more" in notes(source)
    assert rows(con, source)[0][:3] == ("2000", "1028 ", "16,8 ")


def test_missing_and_extra_header_cells_are_explained(con: duckdb.DuckDBPyConnection, work: pathlib.Path) -> None:
    missing = one_table(EDP_TESTDATA / "test_missing_headers.csv", con, work)
    extra = one_table(EDP_TESTDATA / "test_extra_headers.csv", con, work)
    assert "Rows have up to 5 fields but the header names only 4: no header for column 5 (named column_5)." in missing.notes
    assert rows(con, missing)[0][4] == "3"
    assert "No row has values under the header cell(s) 'b1'; they were left out." in extra.notes


def test_headerless_files_get_generated_names_and_keep_their_first_row(con: duckdb.DuckDBPyConnection, work: pathlib.Path) -> None:
    counts = one_table(EDP_TESTDATA / "test_counts.csv", con, work)
    assert rows(con, counts) == [("A", "0"), ("B", "1"), (None, "2"), ("D", None), ("E", "4"), (None, "Ello"), ("G", "6")]
    assert "There is no header row; the columns are named column_1 to column_2." in counts.notes


# --- messy delimited text -----------------------------------------------------------------------------


def test_utf16_big_endian_is_converted_and_read(tmp_path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path) -> None:
    path = tmp_path / "be.csv"
    path.write_bytes("\ufeffName;Größe\nMüller;1,5\nÄrger;22,25\n".encode("utf-16-be"))
    source = one_table(path, con, work)
    assert columns(con, source) == ["Name", "Größe"]
    assert rows(con, source) == [("Müller", "1,5"), ("Ärger", "22,25")]
    assert source.decimal_comma is True
    assert source.notes[0] == "The text is UTF-16 big-endian with byte order mark; it was converted to UTF-8 for reading."


def test_windows_1252_and_latin_1_umlauts(tmp_path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path) -> None:
    cp1252 = tmp_path / "cp1252.csv"
    cp1252.write_bytes("Straße,Preis\nMünchen,5 €\nKöln,„billig“\n".encode("cp1252"))
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("Straße,Stadt\nHauptstraße,Düsseldorf\n".encode("latin-1"))
    windows, iso = one_table(cp1252, con, work), one_table(latin1, con, work)
    assert columns(con, windows) == ["Straße", "Preis"]
    assert rows(con, windows) == [("München", "5 €"), ("Köln", "„billig“")]
    assert windows.notes[0] == "The text is Windows-1252; it was converted to UTF-8 for reading."
    assert rows(con, iso) == [("Hauptstraße", "Düsseldorf")]
    assert iso.notes[0] == "The text is Latin-1 (ISO-8859-1)."  # DuckDB reads it natively: no copy


def test_pipes_quotes_and_line_breaks_inside_fields(tmp_path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path) -> None:
    path = tmp_path / "pipes.txt"
    path.write_text('id|text|amount\n1|"a|b"|1,234.50\n2|"first line\nsecond ""quoted"" line"|17.25\n3||9\n')
    source = one_table(path, con, work)
    assert columns(con, source) == ["id", "text", "amount"]
    assert rows(con, source) == [("1", "a|b", "1,234.50"), ("2", 'first line\nsecond "quoted" line', "17.25"), ("3", None, "9")]
    assert (source.decimal_comma, source.thousands) == (False, ",")
    assert "Fields are separated by '|'; '\"' quotes fields." in source.notes


def test_title_lines_above_a_tab_separated_header_are_skipped(tmp_path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path) -> None:
    path = tmp_path / "export.tsv"
    path.write_text("Sales report\nExported 2024-01-31\n\nregion\tmonth\trevenue\nNorth\t2024-01\t100\nSouth\t2024-01\t250\n")
    source = one_table(path, con, work)
    assert columns(con, source) == ["region", "month", "revenue"]
    assert rows(con, source) == [("North", "2024-01", "100"), ("South", "2024-01", "250")]
    assert "Skipped 3 lines above the table ('Sales report'); the header is line 4." in source.notes


def test_irregular_rows_beyond_the_sample_are_padded_or_read_leniently(
    tmp_path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path
) -> None:
    body = "".join(f"{i},name {i},{i * 3}\n" for i in range(60_000))  # about 1.2 MB: more than the sample
    path = tmp_path / "late.csv"
    path.write_text("id,name,value\n" + body + '60000,short\n60001,"quoted\nbreak",1\n60002,too,many,fields\n')
    source = one_table(path, con, work)
    assert source.row_count == 60_003
    tail = con.execute(f'SELECT * FROM "{source.table}" WHERE CAST(id AS INTEGER) >= 60000 ORDER BY id').fetchall()
    assert tail == [("60000", "short", None), ("60001", "quoted\nbreak", "1"), ("60002", "too", "many")]
    assert "fewer fields" in notes(source)
    assert "The file breaks the CSV rules near line 60004 (4 fields where the table has 3)" in notes(source)


def test_the_inference_sample_is_drawn_in_the_counting_read_even_when_it_is_relaxed(
    tmp_path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path
) -> None:
    body = "".join(f"{i},name {i},{i * 3}\n" for i in range(60_000))
    path = tmp_path / "late.csv"
    path.write_text("id,name,value\n" + body + "60000,short\n60002,too,many,fields\n")
    sampling = readers.Sampling(rows=1000, seed=7)
    source = one_table(path, con, work, sampling=sampling)
    assert source.row_count == 60_002 and source.sample is not None
    assert "The file breaks the CSV rules near line 60003 (4 fields where the table has 3)" in notes(source)
    drawn = con.execute(f'SELECT * FROM "{source.sample}" ORDER BY id').fetchall()
    assert len(drawn) == 1000 and set(drawn) <= set(rows(con, source))
    again = one_table(path, con, work, sampling=sampling)
    assert con.execute(f'SELECT * FROM "{again.sample}" ORDER BY id').fetchall() == drawn  # seeded: the same rows
    assert one_table(path, con, work).sample is None  # without sampling the reader only counts


def test_a_file_that_cannot_be_read_fails_with_the_same_sentence_when_sampled(
    tmp_path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path
) -> None:
    path = tmp_path / "long.csv"
    path.write_text("a,b\n" + "1,x\n" * 1000 + "2," + "y" * (9 * 1024 * 1024) + "\n3,z\n")
    sentence = r"^'long\.csv' could not be read as delimited text near line 1002: Maximum line size of 8388608 bytes"
    for sampling in (None, readers.Sampling(rows=100, seed=0)):
        with pytest.raises(readers.UnreadableData, match=sentence):
            read(path, con, work, sampling=sampling)


def test_a_short_inference_sample_is_left_to_the_analysis(
    tmp_path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path
) -> None:
    """A head of short rows before long ones makes the row estimate far too high: the slice keeps too few rows."""
    path = tmp_path / "skewed.csv"
    with path.open("w") as handle:
        handle.write("a,b\n" + "1,x\n" * 300_000 + "".join(f"{i},{'y' * 3000}\n" for i in range(3000)))
    source = one_table(path, con, work, sampling=readers.Sampling(rows=5000, seed=0))
    assert (source.row_count, source.sample) == (303_000, None)


def test_damaged_utf8_late_in_a_file_is_repaired_not_read_as_latin1(
    tmp_path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path
) -> None:
    path = tmp_path / "damaged.csv"
    path.write_bytes("stadt,wert\nKöln,1\n".encode() + b"M\xfcnchen,2\n")
    source = one_table(path, con, work)
    assert rows(con, source) == [("Köln", "1"), ("M\ufffdnchen", "2")]
    assert source.notes[:2] == ["The text is UTF-8 with invalid bytes; a repaired copy was read.",
                                "Invalid UTF-8 at byte 21 (line 3) was replaced by '\ufffd'."]


def test_text_without_delimiter_is_one_column(tmp_path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path) -> None:
    path = tmp_path / "names.txt"
    path.write_text("name\nAnna Schmidt\nBob, the builder\nCarla\n")
    source = one_table(path, con, work)
    assert columns(con, source) == ["name"]
    assert [row[0] for row in rows(con, source)] == ["Anna Schmidt", "Bob, the builder", "Carla"]
    assert "No field delimiter was found; each line is one value of a single column." in source.notes


def test_a_lone_row_of_numbers_is_data_and_a_lone_row_of_words_a_header(
    tmp_path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path
) -> None:
    numbers, words = tmp_path / "numbers.csv", tmp_path / "words.csv"
    numbers.write_text("1;2,5;2024-01-01\n")
    words.write_text("name;value\n")
    data, header_only = one_table(numbers, con, work), one_table(words, con, work)
    assert (columns(con, data), rows(con, data)) == (["column_1", "column_2", "column_3"], [("1", "2,5", "2024-01-01")])
    assert (columns(con, header_only), header_only.row_count) == (["name", "value"], 0)


def test_csv_is_a_view_over_the_file_and_names_do_not_collide(con: duckdb.DuckDBPyConnection, work: pathlib.Path) -> None:
    first = one_table(EDP_TESTDATA / "test.csv", con, work)
    second = one_table(EDP_TESTDATA / "test.csv", con, work)
    assert first.table != second.table
    views = {row[0] for row in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    assert {first.table, second.table} <= views


# --- the format comes from the content, not the name --------------------------------------------------


def test_excel_workbook_uploaded_as_csv_reads_every_sheet_typed(
    tmp_path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path
) -> None:
    path = tmp_path / "file.csv"
    shutil.copy(EDP_TESTDATA / "test.xlsx", path)
    found = tables(read(path, con, work))
    assert list(found) == ["file.csv/test1", "file.csv/test2"]
    sheet = found["file.csv/test1"]
    assert (sheet.format, sheet.row_count, columns(con, sheet)) == ("xlsx", 50, PARKING)
    assert sheet.native_types == {"einfahrt": "TIMESTAMP", "ausfahrt": "TIMESTAMP", "aufenthalt": "BIGINT", "parkhaus": "BIGINT"}
    assert rows(con, sheet)[0] == ("9E2E4B00-A729-4C72-AF75-CC58DE750D8C", dt.datetime(2016, 1, 1, 0, 3, 14),
                                   dt.datetime(2016, 1, 1, 6, 15, 18), 22324, 3)
    workbook = readers.FileProperties("file.csv", "xlsx", path.stat().st_size)
    assert [table.file for table in found.values()] == [workbook, workbook]  # no dataset stands for the workbook


def test_old_excel_workbook(con: duckdb.DuckDBPyConnection, work: pathlib.Path) -> None:
    (sheet,) = read(EDP_TESTDATA / "test.xls", con, work)
    assert isinstance(sheet, readers.TabularSource)
    assert (sheet.name, sheet.format, sheet.row_count, columns(con, sheet)) == ("test.xls/test", "xls", 50, PARKING)
    assert sheet.native_types["einfahrt"] == "TIMESTAMP"


def test_messy_workbook_title_row_mixed_column_and_empty_sheet(
    tmp_path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path
) -> None:
    path = tmp_path / "report.xlsx"
    write_xlsx(path, {
        "Umsatz": [["Bericht 2024", None, None], ["Datum", "Betrag", "Kommentar"],
                   [dt.datetime(2024, 1, 2, 10, 30), 12.5, "gut"], [dt.datetime(2024, 1, 3), 7, 3], [None, None, None],
                   [dt.datetime(2024, 1, 4), 1, "ok"]],
        "Leer": [],
        "Zahlen": [[1, 2], [3, 4]],
    })
    found = tables(read(path, con, work))
    assert list(found) == ["report.xlsx/Umsatz", "report.xlsx/Zahlen"]  # the empty sheet is no dataset
    sales = found["report.xlsx/Umsatz"]
    assert columns(con, sales) == ["Datum", "Betrag", "Kommentar"]
    assert sales.native_types == {"Datum": "TIMESTAMP", "Betrag": "DOUBLE"}  # Kommentar mixes text and numbers
    assert rows(con, sales) == [(dt.datetime(2024, 1, 2, 10, 30), 12.5, "gut"), (dt.datetime(2024, 1, 3), 7.0, "3"),
                                (dt.datetime(2024, 1, 4), 1.0, "ok")]
    assert "Skipped 1 row above the table ('Bericht 2024'); the header is row 2." in sales.notes
    assert "1 empty row(s) in the sheet were left out." in sales.notes
    numbers = found["report.xlsx/Zahlen"]
    assert (columns(con, numbers), rows(con, numbers)) == (["column_1", "column_2"], [(1, 2), (3, 4)])


def test_opendocument_spreadsheet_uploaded_as_csv(tmp_path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path) -> None:
    def cell(kind: str, value: str) -> str:
        typed = {"string": "", "float": f' office:value="{value}"', "date": f' office:date-value="{value}"'}[kind]
        return f'<table:table-cell office:value-type="{kind}"{typed}><text:p>{value}</text:p></table:table-cell>'

    table_rows = [[("string", "name"), ("string", "wert"), ("string", "tag")],
                  [("string", "a"), ("float", "1.5"), ("date", "2024-03-01")],
                  [("string", "b"), ("float", "2"), ("date", "2024-03-02T10:00:00")]]
    content = (
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Tabelle1">'
        + "".join("<table:table-row>" + "".join(cell(*c) for c in row) + "</table:table-row>" for row in table_rows)
        + "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    path = tmp_path / "file.csv"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", (
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
            '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'))
        archive.writestr("content.xml", content)
    source = one_table(path, con, work)
    assert (source.name, source.format, columns(con, source)) == ("file.csv/Tabelle1", "ods", ["name", "wert", "tag"])
    assert source.native_types == {"wert": "DOUBLE", "tag": "TIMESTAMP"}
    assert rows(con, source) == [("a", 1.5, dt.datetime(2024, 3, 1)), ("b", 2.0, dt.datetime(2024, 3, 2, 10))]


def test_parquet_uploaded_as_csv_is_a_typed_view(tmp_path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path) -> None:
    path = tmp_path / "data.csv"
    con.execute(
        "COPY (SELECT range AS id, (range * 0.5)::DOUBLE AS half, 'x' || range AS label, DATE '2024-01-01' + range::INTEGER AS day,"
        f" {{'a': range}} AS nested FROM range(1000)) TO '{path}' (FORMAT parquet)"
    )
    source = one_table(path, con, work)
    assert (source.format, source.row_count) == ("parquet", 1000)
    assert columns(con, source) == ["id", "half", "label", "day", "nested"]
    assert source.native_types == {"id": "BIGINT", "half": "DOUBLE", "day": "DATE"}
    assert rows(con, source)[1] == (1, pytest.approx(0.5), "x1", dt.date(2024, 1, 2), '{"a":1}')
    assert "Column 'nested' holds nested values" in notes(source)


def test_json_uploaded_as_csv_is_json(tmp_path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path) -> None:
    path = tmp_path / "file.csv"
    path.write_text('[{"city": "Köln", "visitors": 12, "share": 0.5, "open": true},\n {"city": "Bonn", "visitors": 7, "share": null, "open": false}]')
    source = one_table(path, con, work)
    assert (source.format, source.row_count) == ("json", 2)
    assert columns(con, source) == ["city", "visitors", "share", "open"]
    assert source.native_types == {"visitors": "BIGINT", "share": "DOUBLE", "open": "BOOLEAN"}
    assert rows(con, source) == [("Köln", 12, 0.5, True), ("Bonn", 7, None, False)]


# --- JSON ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("document", ["test.json", "test_with_normalization.json", "test_without_structured_data.json"])
def test_json_reads_under_the_process_memory_limit(document: str, work: pathlib.Path) -> None:
    """The process opens DuckDB with a 512 MB memory limit by default (128 MB at least); DuckDB sizes
    its JSON read buffer from ``maximum_object_size``, so a fixed large maximum failed every JSON file."""
    connection = duckdb.connect(config={"memory_limit": "128MB", "autoinstall_known_extensions": False,
                                        "autoload_known_extensions": False})
    try:
        found = read(EDP_TESTDATA / document, connection, work)
    finally:
        connection.close()
    assert any(isinstance(source, readers.SemiStructuredSource) for source in found)


def test_nested_json_gives_a_schema_and_a_table_per_record_array(con: duckdb.DuckDBPyConnection, work: pathlib.Path) -> None:
    found = read(EDP_TESTDATA / "test.json", con, work)
    semi = found[0]
    assert isinstance(semi, readers.SemiStructuredSource)
    assert (semi.name, semi.document_count) == ("test.json", 1)
    donut = semi.json_schema["properties"]["donuts"]["items"]  # type: ignore[index]
    assert donut["properties"]["ppu"] == {"type": "number"}
    assert donut["properties"]["topping"]["items"]["properties"]["type"] == {"type": "string"}
    found_tables = tables(found)
    assert {name: table.row_count for name, table in found_tables.items()} == {
        "test.json/donuts": 2, "test.json/donuts.batters.batter": 3, "test.json/donuts.topping": 4}
    donuts = found_tables["test.json/donuts"]
    assert columns(con, donuts) == ["id", "type", "name", "ppu", "batters.batter", "topping", "extras", "details"]
    assert donuts.native_types == {"ppu": "DOUBLE"}
    assert rows(con, found_tables["test.json/donuts.topping"])[1] == ("5002", "Glazed")
    assert semi.file == readers.FileProperties("test.json", "json", (EDP_TESTDATA / "test.json").stat().st_size)
    assert [table.file for table in found_tables.values()] == [None] * 3  # the document node carries the file


def test_array_of_nested_records_is_flattened(con: duckdb.DuckDBPyConnection, work: pathlib.Path) -> None:
    found = read(EDP_TESTDATA / "test_with_normalization.json", con, work)
    semi = found[0]
    assert isinstance(semi, readers.SemiStructuredSource) and semi.document_count == 15
    assert semi.json_schema["type"] == "array"
    found_tables = tables(found)
    assert list(found_tables) == ["test_with_normalization.json/records", "test_with_normalization.json/friends"]
    people = found_tables["test_with_normalization.json/records"]
    assert people.row_count == 15
    assert "geoLocation.latitude" in columns(con, people) and people.native_types["geoLocation.latitude"] == "DOUBLE"
    registered = con.execute(f'SELECT registered FROM "{people.table}" LIMIT 1').fetchone()
    assert registered == ("2019-04-07T10:47:32 -02:00",)  # text as written: no silent conversion to UTC
    friends = found_tables["test_with_normalization.json/friends"]
    assert columns(con, friends) == ["id", "name"] and friends.row_count == 45


def test_json_without_record_arrays_is_only_semi_structured(con: duckdb.DuckDBPyConnection, work: pathlib.Path) -> None:
    (semi,) = read(EDP_TESTDATA / "test_without_structured_data.json", con, work)
    assert isinstance(semi, readers.SemiStructuredSource)
    quiz = semi.json_schema["properties"]["quiz"]  # type: ignore[index]
    assert quiz["properties"]["maths"]["properties"]["q1"]["properties"]["options"] == {"type": "array", "items": {"type": "string"}}


def test_ndjson_whose_types_change_after_the_first_records(tmp_path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path) -> None:
    path = tmp_path / "events.jsonl"
    lines = [f'{{"id": {i}, "code": {i}}}' for i in range(25_000)] + ['{"id": 25000, "code": "X-1"}']
    path.write_text("\n".join(lines) + "\n")
    source = one_table(path, con, work)
    assert (source.format, source.row_count) == ("ndjson", 25_001)
    assert source.native_types == {"id": "BIGINT"}  # 'code' holds text too, so it is text
    assert con.execute(f'SELECT code FROM "{source.table}" WHERE id = 25000').fetchone() == ("X-1",)


def test_pretty_printed_documents_one_after_another(tmp_path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path) -> None:
    path = tmp_path / "export.json"
    path.write_text('{\n  "sensor": "a",\n  "value": 1.5\n}\n{\n  "sensor": "b",\n  "value": 2\n}\n')
    source = one_table(path, con, work)
    assert (source.format, rows(con, source)) == ("ndjson", [("a", 1.5), ("b", 2.0)])


def test_array_of_plain_values_is_one_column(tmp_path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path) -> None:
    path = tmp_path / "values.json"
    path.write_text("[1.5, 2, 3.25]")
    source = one_table(path, con, work)
    assert (columns(con, source), [row[0] for row in rows(con, source)]) == (["value"], [1.5, 2.0, 3.25])


def test_invalid_json_names_the_line(tmp_path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('[\n  {"a": 1},\n  {"a": 2,,}\n]\n')
    with pytest.raises(readers.UnreadableData) as caught:
        read(path, con, work)
    assert str(caught.value) == "'broken.json' is not valid JSON: expecting property name enclosed in double quotes at line 3, column 11."


# --- archives -----------------------------------------------------------------------------------------


def zip_with(path: pathlib.Path, members: dict[str, bytes]) -> pathlib.Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_zip_members_are_datasets_named_by_their_path(tmp_path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path) -> None:
    inner = zip_with(tmp_path / "inner.zip", {"deep.csv": b"x;y\n1;2\n"})
    path = zip_with(tmp_path / "upload.zip", {
        "data/sales.csv": b"region,revenue\nNorth,100\nSouth,250\n",
        "data/events.ndjson": b'{"e": "open"}\n{"e": "close"}\n',
        "img/logo.png": PNG,
        "inner.zip": inner.read_bytes(),
    })
    with zipfile.ZipFile(path, "a") as archive:
        link = zipfile.ZipInfo("data/passwd.csv")
        link.external_attr = 0o120777 << 16  # a symlink, as `zip --symlinks` stores it
        archive.writestr(link, "/etc/passwd")
    found = read(path, con, work)
    assert [(source.name, type(source).__name__) for source in found] == [
        ("upload.zip", "ArchiveSource"),
        ("upload.zip/data/sales.csv", "TabularSource"),
        ("upload.zip/data/events.ndjson", "TabularSource"),
        ("upload.zip/img/logo.png", "OtherSource"),
        ("upload.zip/inner.zip", "ArchiveSource"),
        ("upload.zip/inner.zip/deep.csv", "TabularSource"),
        ("upload.zip/data/passwd.csv", "OtherSource"),
    ]
    assert found[-1] == readers.OtherSource("upload.zip/data/passwd.csv", "inode/symlink")
    assert not [file for file in work.rglob("*") if file.is_symlink() or file.name == "passwd.csv"]
    assert found[3] == readers.OtherSource("upload.zip/img/logo.png", "image/png")
    nested = found[4]
    assert isinstance(nested, readers.ArchiveSource) and nested.extracted_size == len(b"x;y\n1;2\n")
    assert nested.file == readers.FileProperties("inner.zip", "zip", inner.stat().st_size)
    outer = found[0]
    assert isinstance(outer, readers.ArchiveSource)
    assert outer.extracted_size == sum(len(content) for content in (
        b"region,revenue\nNorth,100\nSouth,250\n", b'{"e": "open"}\n{"e": "close"}\n', PNG, inner.read_bytes()))
    sales = tables(found)["upload.zip/data/sales.csv"]
    assert rows(con, sales) == [("North", "100"), ("South", "250")]


def test_archives_nested_deeper_than_one_level_are_only_listed(tmp_path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path) -> None:
    level2 = zip_with(tmp_path / "level2.zip", {"a.csv": b"a,b\n1,2\n"})
    level1 = zip_with(tmp_path / "level1.zip", {"level2.zip": level2.read_bytes()})
    path = zip_with(tmp_path / "top.zip", {"level1.zip": level1.read_bytes(), "b.csv": b"b\n1\n"})
    found = read(path, con, work)
    assert [(source.name, type(source).__name__) for source in found] == [
        ("top.zip", "ArchiveSource"), ("top.zip/level1.zip", "ArchiveSource"), ("top.zip/level1.zip/level2.zip", "OtherSource"),
        ("top.zip/b.csv", "TabularSource")]
    assert found[2] == readers.OtherSource("top.zip/level1.zip/level2.zip", "application/zip")
    alone = zip_with(tmp_path / "alone.zip", {"level1.zip": level1.read_bytes()})
    with pytest.raises(readers.UnreadableData, match=r"^'alone\.zip' holds nothing the profile process reads: "
                                                     r"'level1\.zip/level2\.zip' \(an archive inside an archive"):
        read(alone, con, work)


def test_zip_slip_member_refuses_the_archive_and_writes_nothing_outside(
    tmp_path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path
) -> None:
    path = zip_with(tmp_path / "evil.zip", {"ok.csv": b"a,b\n1,2\n", "../../escaped.csv": b"a,b\n1,2\n"})
    with pytest.raises(readers.UnreadableData) as caught:
        read(path, con, work)
    assert str(caught.value) == "'evil.zip' was not unpacked: member '../../escaped.csv' has a path leading outside the archive."
    assert not list(tmp_path.rglob("escaped.csv"))


def test_zip_bomb_member_is_refused_while_unpacking(tmp_path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path) -> None:
    path = zip_with(tmp_path / "bomb.zip", {"zeros.csv": b"0" * (20 * 1024 * 1024)})
    assert path.stat().st_size < 100_000
    with pytest.raises(readers.UnreadableData, match=r"^'bomb\.zip' was not unpacked: 'zeros\.csv' expands more than 250-fold"):
        read(path, con, work)
    unpacked = sum(file.stat().st_size for file in work.rglob("*") if file.is_file())
    assert unpacked < 10 * 1024 * 1024  # stopped early, not after writing it all


def test_tar_gz_bomb_is_refused_by_its_ratio_while_it_is_read(tmp_path: pathlib.Path, con: duckdb.DuckDBPyConnection,
                                                              work: pathlib.Path) -> None:
    path = tmp_path / "bomb.tar.gz"
    zeros = b"0" * (60 * 1024 * 1024)
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo("zeros.csv")
        info.size = len(zeros)
        archive.addfile(info, io.BytesIO(zeros))
    with pytest.raises(readers.UnreadableData, match=r"^'bomb\.tar\.gz' was not unpacked: 'zeros\.csv' expands more than "
                                                     r"250-fold"):
        read(path, con, work)
    unpacked = sum(file.stat().st_size for file in work.rglob("*") if file.is_file())
    assert unpacked < 10 * 1024 * 1024  # measured against the packed bytes read so far, not the whole file


def test_archive_limits_on_members_and_sizes(tmp_path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path) -> None:
    path = zip_with(tmp_path / "many.zip", {f"f{i}.csv": b"a\n1\n" for i in range(3)})
    with pytest.raises(readers.UnreadableData, match="it holds more than 2 files"):
        read(path, con, work, limits=readers.ArchiveLimits(max_members=2))
    with pytest.raises(readers.UnreadableData, match="its files unpack to more than 8 bytes in total"):
        read(path, con, work, limits=readers.ArchiveLimits(max_total_bytes=8))


def test_tar_gz_members_symlinks_listed_not_followed(tmp_path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path) -> None:
    path = tmp_path / "bundle.tgz"
    with tarfile.open(path, "w:gz") as archive:
        content = b"id;wert\n1;2,5\n2;3,75\n"
        info = tarfile.TarInfo("dir/werte.csv")
        info.size = len(content)
        archive.addfile(info, io.BytesIO(content))
        link = tarfile.TarInfo("dir/passwd.csv")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        archive.addfile(link)
    found = read(path, con, work)
    assert found[0] == readers.ArchiveSource("bundle.tgz", "gzip", len(content),
                                             readers.FileProperties("bundle.tgz", "tar.gz", path.stat().st_size))
    assert found[2] == readers.OtherSource("bundle.tgz/dir/passwd.csv", "inode/symlink")
    values = found[1]
    assert isinstance(values, readers.TabularSource) and values.name == "bundle.tgz/dir/werte.csv"
    assert (rows(con, values), values.decimal_comma) == ([("1", "2,5"), ("2", "3,75")], True)
    assert not [file for file in work.rglob("*") if file.is_symlink()]


def test_tar_with_absolute_member_path_is_refused(tmp_path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path) -> None:
    path = tmp_path / "abs.tar"
    with tarfile.open(path, "w") as archive:
        info = tarfile.TarInfo("/tmp/owned.csv")
        info.size = 4
        archive.addfile(info, io.BytesIO(b"a\n1\n"))
    with pytest.raises(readers.UnreadableData, match="member '/tmp/owned.csv' has a path leading outside the archive"):
        read(path, con, work)


def test_gzipped_csv(tmp_path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path) -> None:
    named, connector = tmp_path / "data.csv.gz", tmp_path / "file.csv"
    for path in (named, connector):
        path.write_bytes(gzip.compress(b"a,b\n1,2\n3,4\n"))
    archive, source = read(named, con, work)
    assert archive == readers.ArchiveSource("data.csv.gz", "gzip", 12,
                                            readers.FileProperties("data.csv.gz", "gz", named.stat().st_size))
    assert isinstance(source, readers.TabularSource)
    assert (source.name, source.row_count, rows(con, source)) == ("data.csv.gz/data.csv", 2, [("1", "2"), ("3", "4")])
    assert source.file == readers.FileProperties("data.csv", "csv", 12)
    unnamed = one_table(connector, con, work)  # no suffix to strip: no member name, so no archive
    assert (unnamed.name, unnamed.file) == ("file.csv", readers.FileProperties("file.csv", "csv", 12))


def test_zip_and_tar_gz_of_two_csvs_hand_over_the_archive_before_its_members(
    tmp_path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path
) -> None:
    members = {"sales.csv": b"region,revenue\nNorth,100\nSouth,250\n", "dir/costs.csv": b"item;cost\nrent;1200\n"}
    packed = zip_with(tmp_path / "two.zip", members)
    with tarfile.open(tmp_path / "two.tar.gz", "w:gz") as archive:
        for member, content in members.items():
            info = tarfile.TarInfo(member)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    for path, algorithm, file_type in ((packed, "zip", "zip"), (tmp_path / "two.tar.gz", "gzip", "tar.gz")):
        found = read(path, con, work)
        assert found[0] == readers.ArchiveSource(path.name, algorithm, sum(map(len, members.values())),
                                                 readers.FileProperties(path.name, file_type, path.stat().st_size))
        assert [(source.name, source.file) for source in found[1:] if isinstance(source, readers.TabularSource)] == [
            (f"{path.name}/sales.csv", readers.FileProperties("sales.csv", "csv", len(members["sales.csv"]))),
            (f"{path.name}/dir/costs.csv", readers.FileProperties("costs.csv", "csv", len(members["dir/costs.csv"]))),
        ]
        assert len(found) == 3


# --- bad input ------------------------------------------------------------------------------------------


def test_empty_file(tmp_path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(readers.UnreadableData, match=r"^'empty\.csv' is empty: there is nothing to profile\.$"):
        read(path, con, work)


def test_binary_garbage_is_an_error_saying_what_the_profile_reads(
    tmp_path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path
) -> None:
    garbage = bytes(range(256)) * 40
    named_csv = tmp_path / "upload.csv"
    named_csv.write_bytes(garbage)
    with pytest.raises(readers.UnreadableData, match=r"^'upload\.csv' does not hold text or any data format we read"):
        read(named_csv, con, work)
    other = tmp_path / "blob.bin"
    other.write_bytes(garbage)
    with pytest.raises(readers.UnreadableData, match=r"^'blob\.bin' is binary data of unknown format: the profile "
                                                     r"process reads delimited text .* Parquet, JSON and NDJSON, or a "
                                                     r"zip or tar archive of them\.$"):
        read(other, con, work)


def test_truncated_xlsx(tmp_path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path) -> None:
    path = tmp_path / "book.xlsx"
    path.write_bytes((EDP_TESTDATA / "test.xlsx").read_bytes()[:15_000])
    with pytest.raises(readers.UnreadableData, match=r"^'book\.xlsx' is not a readable Excel workbook \(damaged or truncated\?\)"):
        read(path, con, work)


def test_image_and_pdf_uploaded_as_csv_are_refused_saying_what_they_are(
    tmp_path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path
) -> None:
    image, pdf = tmp_path / "file.csv", tmp_path / "report"
    image.write_bytes(PNG)
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    with pytest.raises(readers.UnreadableData, match=r"^'photo' is a PNG image: the profile process reads delimited"):
        read(image, con, work, display_name="photo")
    with pytest.raises(readers.UnreadableData, match=r"^'report' is a PDF document: the profile process reads"):
        read(pdf, con, work)


def test_an_archive_without_data_is_refused_naming_what_it_holds(
    tmp_path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path
) -> None:
    path = zip_with(tmp_path / "media.zip", {"img/logo.png": PNG, "doc.pdf": b"%PDF-1.7\n", "x.bin": bytes(range(256))})
    with pytest.raises(readers.UnreadableData) as caught:
        read(path, con, work)
    assert str(caught.value) == (
        f"'media.zip' holds nothing the profile process reads: 'img/logo.png' (a PNG image), 'doc.pdf' (a PDF "
        f"document) and 'x.bin' (binary data of unknown format). It reads {readable.READS}.")
    many = zip_with(tmp_path / "many.zip", {f"p{i}.png": PNG for i in range(7)})
    with pytest.raises(readers.UnreadableData, match=r"'p4\.png' \(a PNG image\) and 2 more files\. It reads"):
        read(many, con, work)
    empty = zip_with(tmp_path / "empty.zip", {})
    with pytest.raises(readers.UnreadableData, match=r"^'empty\.zip' is an empty archive: there is nothing to profile\. "
                                                     r"The profile process reads delimited text"):
        read(empty, con, work)
    beside = zip_with(tmp_path / "beside.zip", {"logo.png": PNG, "data.csv": b"a\n1\n"})
    assert [type(source).__name__ for source in read(beside, con, work)] == ["ArchiveSource", "OtherSource",
                                                                             "TabularSource"]


class _Trap:
    """Unpickling this would create a file: proof that uploads are never unpickled."""

    def __init__(self, marker: pathlib.Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (pathlib.Path.touch, (self.marker,))


def test_pickle_is_refused_and_never_unpickled(tmp_path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path) -> None:
    marker = tmp_path / "unpickled"
    path = tmp_path / "model.pickle"
    path.write_bytes(pickle.dumps(_Trap(marker)))
    with pytest.raises(readers.UnreadableData, match=r"^'model\.pickle' is a Python pickle \(never unpickled"):
        read(path, con, work)
    assert not marker.exists()


def test_missing_file(tmp_path: pathlib.Path, con: duckdb.DuckDBPyConnection, work: pathlib.Path) -> None:
    with pytest.raises(readers.UnreadableData, match=r"^'gone\.csv' does not exist or is not a regular file\.$"):
        read(tmp_path / "gone.csv", con, work)
