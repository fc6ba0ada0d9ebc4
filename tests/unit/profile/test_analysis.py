"""The analysis of the profile process: from tables in DuckDB to the EDP and its plot requests.

Tables are made directly in DuckDB (a view over ``read_csv(all_varchar=true)``, as the readers
make them), so these tests do not depend on the readers. Known answers come from FIELDS.md (the
old service's reference profile of ``test.csv``) and from small files whose statistics are
computed here with Python's ``statistics``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import pathlib
import statistics
import tarfile
import zipfile
from collections.abc import Iterator
from typing import Any

import duckdb
import jsonschema  # type: ignore[import-untyped]
import pytest

from jobsmith.processes import context
from jobsmith.processes.profile import readers
from jobsmith.processes.profile.analysis import datasets, first_pass, infer, model, sqlbits, table_profile, temporal
from jobsmith.processes.profile.edp import plot_paths, schema
from jobsmith.processes.profile.readers.sources import (
    ArchiveSource,
    FileProperties,
    OtherSource,
    SemiStructuredSource,
    TabularSource,
)
from tests.support.data import EDP_TESTDATA

SCHEMA = schema.load()
OPTIONS = datasets.AnalysisOptions()


# ------------------------------------------------------------------------------ helpers


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(config={"threads": 2})
    yield connection
    connection.close()


def csv_table(con: duckdb.DuckDBPyConnection, path: pathlib.Path, *, name: str | None = None, table: str = "t",
              delimiter: str = ",", decimal_comma: bool = False, thousands: str | None = None,
              notes: list[str] | None = None) -> TabularSource:
    """A text table the way the readers hand it over: every column VARCHAR."""
    quoted = "'" + str(path).replace("'", "''") + "'"
    con.execute(f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM read_csv({quoted}, all_varchar=true, header=true, "
                f"delim='{delimiter}')")
    rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert rows is not None
    return TabularSource(name=name or path.name, table=table, format="csv", native_types={},
                         decimal_comma=decimal_comma, thousands=thousands, notes=notes or [], row_count=int(rows[0]))


def write_csv(tmp_path: pathlib.Path, header: list[str], rows: list[list[str]], name: str = "data.csv") -> pathlib.Path:
    path = tmp_path / name
    lines = [",".join(header)] + [",".join(f'"{cell}"' if "," in cell else cell for cell in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(con: duckdb.DuckDBPyConnection, sources: list[Any], *, file_name: str = "data.csv",
        metadata: dict[str, Any] | None = None, options: datasets.AnalysisOptions = OPTIONS) -> model.ProfileResult:
    return datasets.analyse(sources, con, file_name=file_name, file_size=1234, sha256="ab" * 32,
                            metadata=metadata, options=options)


def structured(result: model.ProfileResult, index: int = 0) -> dict[str, Any]:
    dataset: dict[str, Any] = result.edp["structuredDatasets"][index]
    return dataset


def column(dataset: dict[str, Any], name: str) -> dict[str, Any]:
    for kind in ("numericColumns", "datetimeColumns", "stringColumns"):
        for found in dataset[kind]:
            if found["name"] == name:
                return dict(found)
    raise AssertionError(f"no column {name!r}")


def kind_of(dataset: dict[str, Any], name: str) -> str:
    for kind in ("numericColumns", "datetimeColumns", "stringColumns"):
        if any(found["name"] == name for found in dataset[kind]):
            return kind.removesuffix("Columns")
    raise AssertionError(f"no column {name!r}")


def validate(edp: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(edp)


def referenced_paths(edp: dict[str, Any]) -> set[str]:
    """Every plot path the EDP names."""
    found: set[str] = set()
    for dataset in edp["structuredDatasets"]:
        if dataset["correlationGraph"]:
            found.add(dataset["correlationGraph"])
        for numeric in dataset["numericColumns"]:
            found.add(numeric["boxPlot"])
            if numeric["distributionGraph"]:
                found.add(numeric["distributionGraph"])
            for key in ("original_series", "seasonalities", "trends", "residuals"):
                found.update(graph["file"] for graph in numeric[key])
        found.update(s["distributionGraph"] for s in dataset["stringColumns"] if s["distributionGraph"])
    return found


# ------------------------------------------------------------------------------ the reference file


@pytest.fixture(scope="module")
def reference() -> Iterator[model.ProfileResult]:
    """The profile of the old service's reference file, computed once for the tests that read it."""
    connection = duckdb.connect(config={"threads": 2})
    yield run(connection, [csv_table(connection, EDP_TESTDATA / "test.csv")], file_name="test.csv")
    connection.close()


def test_reference_file_has_the_old_services_shape(reference: model.ProfileResult) -> None:
    dataset = structured(reference)
    assert (dataset["rowCount"], dataset["columnCount"]) == (50, 5)
    assert [c["name"] for c in dataset["stringColumns"]] == ["uuid"]
    assert [c["name"] for c in dataset["datetimeColumns"]] == ["einfahrt", "ausfahrt"]
    assert [c["name"] for c in dataset["numericColumns"]] == ["aufenthalt", "parkhaus"]
    for name in ("einfahrt", "ausfahrt"):
        assert column(dataset, name)["format"] == "ISO8601"
        assert column(dataset, name)["periodicity"] == "hours"
    assert reference.edp["periodicity"] == "hours"
    assert dataset["correlationGraph"] is None
    assert dataset["correlationSummary"] == {"no": 0, "partial": 0, "strong": 0}


def test_reference_outliers_and_types_match_the_old_service(reference: model.ProfileResult) -> None:
    dataset = structured(reference)
    aufenthalt = column(dataset, "aufenthalt")
    assert (aufenthalt["percentileOutlierCount"], aufenthalt["zScoreOutlierCount"],
            aufenthalt["iqrOutlierCount"]) == (2, 2, 4)
    assert aufenthalt["relativeOutlierCount"] == pytest.approx(0.05333, abs=1e-5)
    assert aufenthalt["dataType"] == "UInt32"
    assert (aufenthalt["min"], aufenthalt["max"]) == (86, 69753)
    parkhaus = column(dataset, "parkhaus")
    assert parkhaus["distribution"] == "single value"
    assert parkhaus["distributionGraph"] is None
    assert parkhaus["dataType"] == "UInt8"


def test_reference_temporal_consistency_matches_the_old_service(reference: model.ProfileResult) -> None:
    einfahrt = column(structured(reference), "einfahrt")
    found = {c["timeScale"]: (c["differentAbundancies"], c["numberOfGaps"], c["stable"])
             for c in einfahrt["temporalConsistencies"]}
    assert found == {"microseconds": (50, 49, False), "milliseconds": (50, 49, False), "seconds": (50, 48, False),
                     "minutes": (47, 44, False), "hours": (12, 3, False), "days": (1, 0, True),
                     "weeks": (1, 0, True), "months": (1, 0, True), "years": (1, 0, True)}
    assert einfahrt["temporalCover"] == {"earliest": "2016-01-01T00:03:14", "latest": "2016-01-01T11:50:45"}
    assert einfahrt["monotonically_increasing"] is True
    assert einfahrt["all_entries_are_unique"] is True
    assert reference.edp["temporalCover"] == {"earliest": "2016-01-01T00:03:14", "latest": "2016-01-01T21:13:08"}


def test_reference_plots_are_the_three_of_the_old_services_twenty_that_carry_information(
        reference: model.ProfileResult) -> None:
    """The old service drew 20. Its 16 series were noise: those of the constant ``parkhaus``, and
    those of ``aufenthalt``, whose 50 values over 12 hours fill 47 of a series' 700 minutes (the
    rest is interpolation, not two hours of observations). Its bars of ``uuid`` were 20 ones: its
    values never repeat. Left: the box plots (the schema requires them) and one histogram."""
    requested = [request.path for request in reference.plots]
    assert sorted(requested) == ["test.csv/aufenthalt_box_plot.png", "test.csv/aufenthalt_distribution.png",
                                 "test.csv/parkhaus_box_plot.png"]
    dataset = structured(reference)
    for name in ("parkhaus", "aufenthalt"):
        assert all(column(dataset, name)[key] == [] for key in ("original_series", "seasonalities", "trends",
                                                                  "residuals"))
    assert column(dataset, "parkhaus")["trend"] == "No Trend"
    assert column(dataset, "uuid")["distributionGraph"] is None
    assert set(requested) == referenced_paths(reference.edp)
    by_path = {request.path: request.figure for request in reference.plots}
    box = by_path["test.csv/aufenthalt_box_plot.png"]
    assert isinstance(box, model.BoxPlot)
    assert (box.q1, box.median, box.q3) == (3224.75, 6004.5, 12424.25)
    assert box.whisker_low == 86 and box.whisker_high <= 26223.5
    assert len([v for v in box.outliers if v > 26223.5]) == 4
    histogram = by_path["test.csv/aufenthalt_distribution.png"]
    assert isinstance(histogram, model.Histogram)
    assert len(histogram.edges) == len(histogram.counts) + 1
    assert histogram.distribution == column(structured(reference), "aufenthalt")["distribution"]
    assert sum(histogram.counts) == 46  # the values within the IQR fences
    assert len(histogram.density_x) == len(histogram.density_y) > 1


def test_reference_edp_validates_and_keeps_the_key_order(reference: model.ProfileResult) -> None:
    validate(reference.edp)
    keys = list(reference.edp)
    assert keys[:2] == ["schemaVersion", "name"] and keys[-1] == "datasetTree"
    assert keys.index("generatedBy") < keys.index("volume") < keys.index("assetSha256Hash")
    assert reference.edp["name"] == "test.csv"
    assert reference.edp["freely_available"] is False
    assert reference.edp["generatedBy"].startswith("jobsmith ")
    assert reference.edp["dataTypes"] == ["structured"]
    assert reference.edp["datasetTree"] == [{
        "dataset": {"$ref": "#/structuredDatasets/0"}, "datasetType": "structured", "parent": None,
        "name": "test.csv", "fileProperties": {"name": "test.csv", "fileType": "csv", "size": 1234}}]


def test_the_shipped_schema_is_the_version_the_edp_names(reference: model.ProfileResult) -> None:
    assert schema.FILE_NAME == f"edp-schema-{reference.edp['schemaVersion']}.json"


# ------------------------------------------------------------------------------ known answers


def test_counts_and_moments_are_exact(con: duckdb.DuckDBPyConnection, tmp_path: pathlib.Path) -> None:
    values = ["20.017", "3.5", "-7.25", "1e3", "0.1", "42"]
    rows = [[v] for v in values] + [[""], ["n/a"], ["  "], ["abc"], ["12 apples"]]
    result = run(con, [csv_table(con, write_csv(tmp_path, ["x"], rows))])
    x = column(structured(result), "x")
    numbers = [float(v) for v in values]
    assert (x["nullCount"], x["inconsistentCount"], x["interpretableCount"], x["numberUnique"]) == (3, 2, 6, 6)
    assert (x["min"], x["max"]) == (-7.25, 1000.0)
    assert x["mean"] == pytest.approx(statistics.fmean(numbers), rel=1e-15)
    assert x["variance"] == pytest.approx(statistics.variance(numbers), rel=1e-12)
    assert x["stddev"] == pytest.approx(statistics.stdev(numbers), rel=1e-12)
    assert x["dataType"] == "Float64"
    assert 20.017 in [x["min"], x["max"], *[float(v) for v in values]]


def test_float_values_keep_full_precision(con: duckdb.DuckDBPyConnection, tmp_path: pathlib.Path) -> None:
    rows = [["20.017"], ["20.017"], ["30.5"]]
    x = column(structured(run(con, [csv_table(con, write_csv(tmp_path, ["x"], rows))])), "x")
    assert x["min"] == 20.017  # not 20.017000198364258, the old service's float32 artefact


def test_eight_digit_integers_are_numbers_not_dates(con: duckdb.DuckDBPyConnection, tmp_path: pathlib.Path) -> None:
    rows = [["20240103"], ["20240104"], ["20231231"], ["20240229"]]
    dataset = structured(run(con, [csv_table(con, write_csv(tmp_path, ["day"], rows))]))
    assert kind_of(dataset, "day") == "numeric"
    assert column(dataset, "day")["max"] == 20240229
    assert column(dataset, "day")["dataType"] == "UInt32"


def test_thousands_separators_parse_as_numbers(con: duckdb.DuckDBPyConnection, tmp_path: pathlib.Path) -> None:
    rows = [["1,234.5"], ["2,000"], ["15.25"], ["-1,000,000.75"], ["oops"]]
    x = column(structured(run(con, [csv_table(con, write_csv(tmp_path, ["amount"], rows))])), "amount")
    assert (x["interpretableCount"], x["inconsistentCount"]) == (4, 1)
    assert (x["min"], x["max"]) == (-1000000.75, 2000.0)
    assert x["mean"] == pytest.approx(statistics.fmean([1234.5, 2000, 15.25, -1000000.75]))


def test_german_decimal_comma(con: duckdb.DuckDBPyConnection, tmp_path: pathlib.Path) -> None:
    path = tmp_path / "de.csv"
    path.write_text("wert;anzahl\n1,5;1.234\n2,25;12\n1.234,5;7\n-0,75;1.000.000\n", encoding="utf-8")
    source = csv_table(con, path, delimiter=";", decimal_comma=True, thousands=".")
    dataset = structured(run(con, [source], file_name="de.csv"))
    wert = column(dataset, "wert")
    assert (wert["min"], wert["max"], wert["interpretableCount"]) == (-0.75, 1234.5, 4)
    assert wert["mean"] == pytest.approx(statistics.fmean([1.5, 2.25, 1234.5, -0.75]))
    assert (column(dataset, "anzahl")["min"], column(dataset, "anzahl")["max"]) == (7, 1_000_000)


def test_the_old_services_german_file(con: duckdb.DuckDBPyConnection, tmp_path: pathlib.Path) -> None:
    """UTF-16, semicolons, decimal commas and trailing blanks (decoded here; reading is the readers' job)."""
    text = (EDP_TESTDATA / "german_decimal_comma.csv").read_bytes().decode("utf-16")
    header, *lines = text.splitlines()
    names = [cell or f"col{i:03d}" for i, cell in enumerate(header.split(";"))]
    path = tmp_path / "german.csv"
    path.write_text("\n".join([";".join(names), *lines]) + "\n", encoding="utf-8")
    dataset = structured(run(con, [csv_table(con, path, delimiter=";", decimal_comma=True)], file_name="german.csv"))
    share = column(dataset, "col002")  # the share of the 0-17 year olds in percent: "16,8 "
    assert (share["min"], share["max"], share["inconsistentCount"], share["dataType"]) == (16.7, 17.2, 0, "Float64")
    assert (column(dataset, "Insgesamt")["min"], column(dataset, "Insgesamt")["dataType"]) == (6027, "UInt16")
    assert column(dataset, "Zeit")["dataType"] == "UInt16"
    assert kind_of(dataset, "Zeit") == "numeric"


def test_datetime_patterns_and_times_of_day(con: duckdb.DuckDBPyConnection, tmp_path: pathlib.Path) -> None:
    rows = [[f"{d:02d}.03.2024 1{d % 10}:00:00", f"03/{d:02d}/2024", f"1{d % 10}:30", f"2024-03-{d:02d}"]
            for d in range(1, 21)]
    dataset = structured(run(con, [csv_table(con, write_csv(tmp_path, ["de", "us", "clock", "iso"], rows))]))
    assert column(dataset, "de")["format"] == "%d.%m.%Y %H:%M:%S"
    assert column(dataset, "us")["format"] == "%m/%d/%Y"
    assert column(dataset, "iso")["format"] == "ISO8601"
    assert column(dataset, "de")["temporalCover"] == {"earliest": "2024-03-01T11:00:00",
                                                      "latest": "2024-03-20T10:00:00"}
    assert kind_of(dataset, "clock") == "string"


def test_monotonicity_follows_row_order(con: duckdb.DuckDBPyConnection, tmp_path: pathlib.Path) -> None:
    days = [f"2024-01-{d:02d}" for d in range(1, 21)]
    rows = [[days[i] if i != 5 else "", days[19 - i], days[(i * 7) % 20], "2024-02-01", days[i // 2]]
            for i in range(20)]
    names = ["up", "down", "mixed", "same", "steps"]
    dataset = structured(run(con, [csv_table(con, write_csv(tmp_path, names, rows))]))
    flags = {name: (found["monotonically_increasing"], found["monotonically_decreasing"])
             for name in names for found in [column(dataset, name)]}
    assert flags == {"up": (True, False), "down": (False, True), "mixed": (False, False), "same": (True, True),
                     "steps": (True, False)}
    assert column(dataset, "steps")["all_entries_are_unique"] is False
    assert column(dataset, "up")["nullCount"] == 1


def test_timezones_become_utc(con: duckdb.DuckDBPyConnection, tmp_path: pathlib.Path) -> None:
    rows = [[f"2024-03-01T{h:02d}:00:00+02:00", f"2024-03-01T{h:02d}:30:00 -0100"] for h in range(2, 22)]
    dataset = structured(run(con, [csv_table(con, write_csv(tmp_path, ["at", "spaced"], rows))]))
    assert column(dataset, "at")["temporalCover"] == {"earliest": "2024-03-01T00:00:00Z",
                                                      "latest": "2024-03-01T19:00:00Z"}
    assert column(dataset, "spaced")["temporalCover"] == {"earliest": "2024-03-01T03:30:00Z",
                                                          "latest": "2024-03-01T22:30:00Z"}
    assert column(dataset, "spaced")["inconsistentCount"] == 0


def test_majority_rule_and_inconsistent_values(con: duckdb.DuckDBPyConnection, tmp_path: pathlib.Path) -> None:
    rows = [["1", "a"], ["2", "2024-01-01"], ["x", "b"], ["y", "c"], ["z", "2024-01-02"]]
    result = run(con, [csv_table(con, write_csv(tmp_path, ["mostly_text", "mixed"], rows))])
    dataset = structured(result)
    assert kind_of(dataset, "mostly_text") == "string"
    assert kind_of(dataset, "mixed") == "string"
    rows = [["1"], ["2"], ["3"], ["x"]]
    result = run(con, [csv_table(con, write_csv(tmp_path, ["n"], rows, name="n.csv"))])
    assert column(structured(result), "n")["inconsistentCount"] == 1
    assert any("'n'" in w and "inconsistent" in w for w in result.warnings)


def test_empty_column_warns(con: duckdb.DuckDBPyConnection, tmp_path: pathlib.Path) -> None:
    rows = [["1", ""], ["2", "NA"], ["3", ""]]
    result = run(con, [csv_table(con, write_csv(tmp_path, ["a", "nothing"], rows))])
    nothing = column(structured(result), "nothing")
    assert (nothing["nullCount"], nothing["interpretableCount"], nothing["numberUnique"]) == (3, 0, 0)
    assert any("'nothing' is entirely empty" in w for w in result.warnings)
    validate(result.edp)


def test_strings_top_values_and_anonymising(con: duckdb.DuckDBPyConnection, tmp_path: pathlib.Path) -> None:
    rows = [[v] for v in ["b"] * 5 + ["a"] * 5 + ["c"] * 3 + ["d", "e", "", "null"]]
    source = csv_table(con, write_csv(tmp_path, ["letter"], rows))
    shown = run(con, [source])
    hidden = run(con, [source], options=datasets.AnalysisOptions(anonymise_strings=True))
    letter = column(structured(shown), "letter")
    assert (letter["nullCount"], letter["interpretableCount"], letter["numberUnique"]) == (2, 15, 5)
    figures = [r.figure for r in shown.plots if isinstance(r.figure, model.TopValues)]
    assert [(f.labels, f.counts, f.anonymised, f.total) for f in figures] == [
        (("a", "b", "c", "d", "e"), (5, 5, 3, 1, 1), False, 15)]
    anonymous = [r.figure for r in hidden.plots if isinstance(r.figure, model.TopValues)]
    assert [(f.labels, f.anonymised) for f in anonymous] == [(("1", "2", "3", "4", "5"), True)]


def test_correlations_and_heatmap(con: duckdb.DuckDBPyConnection, tmp_path: pathlib.Path) -> None:
    rows = [[str(i), str(2 * i + 1), str((i * 7919) % 101), "5"] for i in range(200)]
    result = run(con, [csv_table(con, write_csv(tmp_path, ["x", "y", "noise", "const"], rows))])
    dataset = structured(result)
    assert dataset["correlationSummary"] == {"no": 2, "partial": 0, "strong": 1}
    assert dataset["correlationGraph"] == "data.csv/correlations.png"
    (heatmap,) = [r.figure for r in result.plots if isinstance(r.figure, model.Heatmap)]
    assert heatmap.columns == ("x", "y", "noise")
    assert heatmap.matrix[0][1] == pytest.approx(1.0)


def test_trend_of_an_increasing_id_is_increasing(con: duckdb.DuckDBPyConnection, tmp_path: pathlib.Path) -> None:
    start = dt.datetime(2024, 1, 1)
    rows = [[(start + dt.timedelta(hours=h)).isoformat(sep=" "), str(h), str(10_000 - 3 * h), str((h * 37) % 11)]
            for h in range(24 * 60)]
    result = run(con, [csv_table(con, write_csv(tmp_path, ["at", "id", "countdown", "noise"], rows))])
    dataset = structured(result)
    assert column(dataset, "id")["trend"] == "Increasing"
    assert column(dataset, "countdown")["trend"] == "Decreasing"
    assert column(dataset, "noise")["trend"] == "No Trend"
    series = [r.figure for r in result.plots if isinstance(r.figure, model.Series)]
    assert {s.column for s in series} == {"noise"}, "a running id and a countdown over time are no series to draw"
    assert {s.component for s in series} == {"original"}, "its period, 11 hours, is not the series' 24: no seasonality"
    assert all(len(s.times) == len(s.values) <= OPTIONS.max_series_points for s in series)


def test_native_types_are_used_as_they_are(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TABLE native AS SELECT i::INTEGER AS n, i / 4 AS f, TIMESTAMP '2024-01-01' + "
                "to_hours(i) AS at, i % 2 = 0 AS flag, DATE '2024-01-01' + i::INTEGER AS day FROM range(40) r(i)")
    source = TabularSource(name="data.parquet", table="native", format="parquet",
                           native_types={"n": "INTEGER", "f": "DOUBLE", "at": "TIMESTAMP", "flag": "BOOLEAN",
                                         "day": "DATE"}, decimal_comma=False, thousands=None, notes=[], row_count=40)
    dataset = structured(run(con, [source], file_name="data.parquet"))
    assert column(dataset, "n")["dataType"] == "UInt8"
    assert column(dataset, "f")["dataType"] == "Float32"  # quarters are exact in single precision
    assert column(dataset, "at")["format"] == "NATIVE"
    assert column(dataset, "day")["format"] == "NATIVE"
    assert kind_of(dataset, "flag") == "string"


def test_header_only_table(con: duckdb.DuckDBPyConnection, tmp_path: pathlib.Path) -> None:
    result = run(con, [csv_table(con, write_csv(tmp_path, ["a", "b"], []))])
    dataset = structured(result)
    assert (dataset["rowCount"], dataset["columnCount"], dataset["stringColumnCount"]) == (0, 2, 2)
    assert result.plots == []
    validate(result.edp)


def test_quantiles_per_column_and_the_large_table_mode(con: duckdb.DuckDBPyConnection, tmp_path: pathlib.Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [[str(i * 1.5), str(i % 7), "abcdefg"[i % 7] * (1 + i % 3) if i % 10 else "n/a"] for i in range(500)]
    source = csv_table(con, write_csv(tmp_path, ["x", "y", "word"], rows))
    together = run(con, [source])
    monkeypatch.setattr(table_profile, "QUANTILES_IN_SCAN", 0)
    assert structured(run(con, [source])) == structured(together)
    large = run(con, [source], options=datasets.AnalysisOptions(exact_max_rows=100, large_sample_rows=10_000))
    x, exact_x = column(structured(large), "x"), column(structured(together), "x")
    assert (x["median"], x["iqrOutlierCount"], x["mean"]) == (exact_x["median"], exact_x["iqrOutlierCount"],
                                                            exact_x["mean"])  # the sample holds every row here
    assert x["numberUnique"] == pytest.approx(500, rel=0.05)
    word, exact_word = column(structured(large), "word"), column(structured(together), "word")
    assert (word["nullCount"], word["interpretableCount"]) == (exact_word["nullCount"], 450)
    assert word["numberUnique"] == pytest.approx(exact_word["numberUnique"], abs=1)
    top = {r.path: r.figure for r in large.plots}["data.csv/word_distribution.png"]
    exact_top = {r.path: r.figure for r in together.plots}["data.csv/word_distribution.png"]
    assert isinstance(top, model.TopValues) and isinstance(exact_top, model.TopValues)
    assert (top.labels, top.counts, top.total) == (exact_top.labels, exact_top.counts, 450)
    assert any("HyperLogLog" in note for note in large.notes)
    assert large.details == together.details  # lengths and shapes from a sample holding every row
    (text,) = together.details
    assert (text.column, text.min_length, text.max_length, text.patterns) == ("word", 1, 3, (("a", 150), ("aa", 150),
                                                                                             ("aaa", 150)))


def test_a_table_larger_than_memory_goes_to_a_scratch_file(tmp_path: pathlib.Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    connection = duckdb.connect(config={"threads": 2, "temp_directory": str(tmp_path / "spill")})
    (tmp_path / "spill").mkdir()
    source = csv_table(connection, EDP_TESTDATA / "test.csv")
    in_memory = run(connection, [source], file_name="test.csv")
    monkeypatch.setattr(first_pass, "typed_bytes", lambda *_: 2**62)
    on_disk = run(connection, [source], file_name="test.csv")
    assert on_disk.edp == in_memory.edp and on_disk.plots == in_memory.plots
    assert list((tmp_path / "spill").glob("jsm_store_*")) == []
    connection.close()


# ------------------------------------------------------------------------------ the EDP as a whole


def test_user_metadata_is_merged_and_validates(con: duckdb.DuckDBPyConnection) -> None:
    metadata = json.loads((EDP_TESTDATA / "user_provided_data.json").read_text(encoding="utf-8"))
    result = run(con, [csv_table(con, EDP_TESTDATA / "test.csv")], file_name="test.csv",
                 metadata=metadata | {"volume": 1, "favourite": "x"})
    validate(result.edp)
    assert result.edp["name"] == "dataset-dummy-name"
    assert result.edp["assetRefs"] == metadata["assetRefs"]
    assert result.edp["tags"] == ["test", "csv", "Äöüß"]
    assert result.edp["freely_available"] is True
    assert result.edp["volume"] == 1234
    assert any("'favourite'" in note for note in result.notes)


def test_several_datasets_and_the_tree(con: duckdb.DuckDBPyConnection, tmp_path: pathlib.Path) -> None:
    first = csv_table(con, EDP_TESTDATA / "test.csv", name="bundle.zip/test.csv", table="t1")
    second = csv_table(con, write_csv(tmp_path, ["a/b", "c"], [["1", "x"], ["2", "y"]]),
                       name="bundle.zip/book.xlsx/Sheet 1", table="t2")
    documents = SemiStructuredSource(name="bundle.zip/doc.json", json_schema={"type": "object"}, document_count=3)
    other = OtherSource(name="bundle.zip/photo.png", media_type="image/png")
    result = run(con, [ArchiveSource("bundle.zip", "zip", 9999), first, second, documents, other],
                 file_name="bundle.zip")
    validate(result.edp)
    assert result.edp["dataTypes"] == ["archive", "structured", "semiStructured"]
    tree = result.edp["datasetTree"]
    assert [node["name"] for node in tree] == ["bundle.zip", "bundle.zip/test.csv", "bundle.zip/book.xlsx/Sheet 1",
                                               "bundle.zip/doc.json"]
    assert [node["parent"] for node in tree] == [None] + [{"$ref": "#/datasetTree/0"}] * 3
    assert tree[0]["fileProperties"] == {"name": "bundle.zip", "fileType": "zip", "size": 1234}
    assert result.edp["semiStructuredDatasets"] == [{"jsonSchema": '{"type": "object"}'}]
    assert any("photo.png" in note for note in result.notes)
    sheet_plots = [r.path for r in result.plots if r.path.startswith("bundle.zip/book.xlsx/")]
    assert sheet_plots and all(path.startswith("bundle.zip/book.xlsx/Sheet 1/") for path in sheet_plots)
    assert f"bundle.zip/book.xlsx/Sheet 1/{plot_paths.segment('a/b')}_box_plot.png" in sheet_plots


TWO_CSVS = {"sales.csv": b"region,revenue\nNorth,100\nSouth,250\nEast,75\n",
            "dir/costs.csv": b"item;cost\nrent;1200\npower;310\n"}


def _zip_of_two_csvs(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "two.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member, content in TWO_CSVS.items():
            archive.writestr(member, content)
    return path


def _tar_gz_of_two_csvs(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "two.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for member, content in TWO_CSVS.items():
            info = tarfile.TarInfo(member)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return path


@pytest.mark.parametrize(("build", "algorithm", "file_type"), [
    (_zip_of_two_csvs, "zip", "zip"), (_tar_gz_of_two_csvs, "gzip", "tar.gz")])
def test_an_archive_of_two_csvs_is_the_parent_of_both_in_the_tree(
        build: Any, algorithm: str, file_type: str, con: duckdb.DuckDBPyConnection, tmp_path: pathlib.Path) -> None:
    path: pathlib.Path = build(tmp_path)
    sources = readers.read(path, con, work_dir=tmp_path / "work")
    result = datasets.analyse(sources, con, file_name=path.name, file_size=path.stat().st_size, sha256="ab" * 32,
                              metadata=None, options=OPTIONS)
    validate(result.edp)
    assert result.edp["dataTypes"] == ["archive", "structured"]
    assert result.edp["archiveDatasets"] == [{"algorithm": algorithm, "extractedSize": sum(map(len, TWO_CSVS.values()))}]
    tree = result.edp["datasetTree"]
    assert tree[0] == {"dataset": {"$ref": "#/archiveDatasets/0"}, "datasetType": "archive", "parent": None,
                       "name": path.name,
                       "fileProperties": {"name": path.name, "fileType": file_type, "size": path.stat().st_size}}
    assert tree[1:] == [
        {"dataset": {"$ref": f"#/structuredDatasets/{index}"}, "datasetType": "structured",
         "parent": {"$ref": "#/datasetTree/0"}, "name": f"{path.name}/{member}",
         "fileProperties": {"name": member.rsplit("/", 1)[-1], "fileType": "csv", "size": len(content)}}
        for index, (member, content) in enumerate(TWO_CSVS.items())]
    assert [dataset["rowCount"] for dataset in result.edp["structuredDatasets"]] == [3, 2]


def test_nested_archives_nest_and_a_json_document_is_its_tables_parent(con: duckdb.DuckDBPyConnection) -> None:
    inner_csv = csv_table(con, EDP_TESTDATA / "test.csv", name="outer.zip/inner.tar/test.csv", table="t1")
    records = csv_table(con, EDP_TESTDATA / "test.csv", name="outer.zip/orders.json/items", table="t2")
    document = SemiStructuredSource("outer.zip/orders.json", {"type": "object"}, 1,
                                    FileProperties("orders.json", "json", 400))
    sources = [ArchiveSource("outer.zip", "zip", 900), records, document,
               ArchiveSource("outer.zip/inner.tar", "tar", 500, FileProperties("inner.tar", "tar", 600)), inner_csv]
    result = run(con, sources, file_name="outer.zip")
    validate(result.edp)
    tree = result.edp["datasetTree"]
    assert [(node["name"], node["parent"]) for node in tree] == [  # parents first, whatever the sources' order
        ("outer.zip", None),
        ("outer.zip/orders.json", {"$ref": "#/datasetTree/0"}),
        ("outer.zip/orders.json/items", {"$ref": "#/datasetTree/1"}),
        ("outer.zip/inner.tar", {"$ref": "#/datasetTree/0"}),
        ("outer.zip/inner.tar/test.csv", {"$ref": "#/datasetTree/3"}),
    ]
    assert [node["dataset"]["$ref"] for node in tree] == [
        "#/archiveDatasets/0", "#/semiStructuredDatasets/0", "#/structuredDatasets/0", "#/archiveDatasets/1",
        "#/structuredDatasets/1"]
    assert [node["fileProperties"] for node in tree] == [
        {"name": "outer.zip", "fileType": "zip", "size": 1234}, {"name": "orders.json", "fileType": "json", "size": 400},
        None, {"name": "inner.tar", "fileType": "tar", "size": 600}, None]
    assert result.edp["archiveDatasets"] == [{"algorithm": "zip", "extractedSize": 900},
                                             {"algorithm": "tar", "extractedSize": 500}]


def test_workbook_sheets_and_json_tables_in_a_zip_hang_from_the_right_nodes(
        con: duckdb.DuckDBPyConnection, tmp_path: pathlib.Path) -> None:
    path = tmp_path / "mixed.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(EDP_TESTDATA / "test.xlsx", "test.xlsx")
        archive.write(EDP_TESTDATA / "test.json", "test.json")
    sources = readers.read(path, con, work_dir=tmp_path / "work")
    result = datasets.analyse(sources, con, file_name=path.name, file_size=path.stat().st_size, sha256="ab" * 32,
                              metadata=None, options=OPTIONS)
    validate(result.edp)
    tree = result.edp["datasetTree"]
    names = [node["name"] for node in tree]
    parents = {node["name"]: names[int(node["parent"]["$ref"].rsplit("/", 1)[1])] if node["parent"] else None
               for node in tree}
    assert parents == {"mixed.zip": None, "mixed.zip/test.xlsx/test1": "mixed.zip", "mixed.zip/test.xlsx/test2": "mixed.zip",
                       "mixed.zip/test.json": "mixed.zip", "mixed.zip/test.json/donuts": "mixed.zip/test.json",
                       "mixed.zip/test.json/donuts.batters.batter": "mixed.zip/test.json",
                       "mixed.zip/test.json/donuts.topping": "mixed.zip/test.json"}
    files = {node["name"]: node["fileProperties"] for node in tree}
    workbook = {"name": "test.xlsx", "fileType": "xlsx", "size": (EDP_TESTDATA / "test.xlsx").stat().st_size}
    assert files["mixed.zip/test.xlsx/test1"] == files["mixed.zip/test.xlsx/test2"] == workbook
    assert files["mixed.zip/test.json"] == {"name": "test.json", "fileType": "json",
                                            "size": (EDP_TESTDATA / "test.json").stat().st_size}
    assert files["mixed.zip/test.json/donuts"] is None


def test_same_input_same_profile(tmp_path: pathlib.Path) -> None:
    rng_rows = [[str((i * 7919) % 1000 / 7), f"2024-01-01 {i % 24:02d}:{i % 60:02d}:00", "abcdefghij"[i % 10]]
                for i in range(3000)]
    path = write_csv(tmp_path, ["value", "at", "letter"], rng_rows)
    results = []
    for _ in range(2):
        connection = duckdb.connect(config={"threads": 2})
        results.append(run(connection, [csv_table(connection, path)]))
        connection.close()
    assert results[0].edp == results[1].edp
    assert results[0].plots == results[1].plots
    assert results[0].notes == results[1].notes


@pytest.mark.parametrize("file", ["bast.csv", "test.csv", "hamburg.csv"])
def test_types_from_the_readers_sample_match_the_analysis_own(file: str, tmp_path: pathlib.Path) -> None:
    """The reader draws the inference sample while it counts; the types are those the analysis finds alone."""
    plans = []
    for sampling in (readers.Sampling(rows=100, seed=0), None):
        connection = duckdb.connect(config={"threads": 2})
        (source,) = readers.read(EDP_TESTDATA / file, connection, work_dir=tmp_path / "work", sampling=sampling)
        assert isinstance(source, TabularSource) and (source.sample is None) == (sampling is None)
        plans.append(infer.plan_columns(connection, source, sample_rows=100, seed=0))
        tables = {row[0] for row in connection.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert not {name for name in tables if name.startswith("jsm_")}  # the sample is dropped after use
        connection.close()
    assert plans[0] == plans[1]


def test_scales_round_halves_to_even_as_round_even_does(con: duckdb.DuckDBPyConnection,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Timestamps on exact half-scale ties, before and after 1970: the fast rounding counts as round_even."""
    con.execute("CREATE TABLE ticks AS SELECT c0, NULL::BOOLEAN AS z0 FROM (SELECT TIMESTAMP '2020-01-01' "
                "+ to_microseconds(i * 15000000 + (i % 7 = 0)::INT) AS c0 FROM range(-20000, 20000) t(i) "
                "UNION ALL SELECT TIMESTAMP '1970-01-01' "
                "+ to_microseconds(i * 43200000000) FROM range(-300, 300) t(i) UNION ALL SELECT TIMESTAMP "
                "'1969-12-31 23:59:30' + to_microseconds(i * 500) FROM range(0, 20000) t(i))")
    found = []
    for reach in (temporal.ROUNDING_REACH, 0):  # 0: every scale falls back to round_even
        monkeypatch.setattr(temporal, "ROUNDING_REACH", reach)
        batch = sqlbits.Aggregates()
        analysis = temporal.DatetimeAnalysis(infer.ColumnPlan(0, "at", "datetime", "at"))
        analysis.plan_first(batch)
        batch.run(con, "ticks")
        analysis.read_first(batch)
        temporal.measure_scales(con, "ticks", analysis.summary)
        found.append(analysis.summary.scales)
    assert found[0] == found[1] and len(found[0]) == len(temporal.GRANULARITIES)


def test_plot_paths_are_safe_and_unique() -> None:
    plots = plot_paths.PlotPaths("book.xlsx/../Sheet:1")
    assert plots.directory.split("/")[0] == "book.xlsx"
    assert ".." not in plots.directory.split("/")
    first, second = plots.path("a/b", "box_plot"), plots.path("a_b", "box_plot")
    assert first != second and "/" not in first.removeprefix(plots.directory + "/")
    assert plots.path("Price", "box_plot") != plots.path("price", "box_plot")


def test_cancellation_stops_the_analysis(con: duckdb.DuckDBPyConnection) -> None:
    source = csv_table(con, EDP_TESTDATA / "test.csv")
    with pytest.raises(context.Cancelled):
        datasets.analyse([source], con, file_name="test.csv", file_size=1, sha256="x", metadata=None,
                         options=OPTIONS, cancelled=lambda: True)
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE 'jsm_%'").fetchone() == (0,)


def test_progress_reaches_one(con: duckdb.DuckDBPyConnection) -> None:
    seen: list[float] = []
    datasets.analyse([csv_table(con, EDP_TESTDATA / "test.csv")], con, file_name="test.csv", file_size=1, sha256="x",
                     metadata=None, options=OPTIONS, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0


def test_aggregates_run_distinct_apart_and_keep_positions(con: duckdb.DuckDBPyConnection) -> None:
    from jobsmith.processes.profile.analysis.sqlbits import Aggregates

    con.execute("CREATE TABLE agg AS SELECT i % 7 AS a, i AS b FROM range(1000) r(i)")
    batch = Aggregates()
    slots = [batch.add("count(*)"), batch.add("count(DISTINCT a)"), batch.add("sum(b)"),
             batch.add("count( distinct b)"), batch.add("max(a)")]
    batch.run(con, "agg")
    assert [batch.value(slot) for slot in slots] == [1000, 7, 499500, 1000, 6]
    only = Aggregates()
    slot = only.add("count(DISTINCT a)")
    only.run(con, "agg")
    assert only.value(slot) == 7


def test_a_wide_table_fits_the_process_memory_limit(tmp_path: pathlib.Path) -> None:
    """120 numeric columns: one statement with a ``count(DISTINCT)`` and a ``histogram`` per column
    ran DuckDB out of memory under the process's default 512 MB limit, whatever the row count."""
    width = 120
    path = write_csv(tmp_path, [f"c{j}" for j in range(width)],
                     [[str(i * (j + 1)) for j in range(width)] for i in range(20)])
    connection = duckdb.connect(config={"memory_limit": "512MB", "threads": 2})
    try:
        options = datasets.AnalysisOptions(distribution=False, seasonality=False)
        dataset = structured(run(connection, [csv_table(connection, path)], options=options))
    finally:
        connection.close()
    assert dataset["numericColumnCount"] == width
    last = column(dataset, f"c{width - 1}")
    assert (last["numberUnique"], last["min"], last["max"]) == (20, 0, 19 * width)


def test_aggregates_of_many_columns_run_under_the_smallest_memory_limit() -> None:
    """``memory_limit_mb`` may be as low as 128: 96 ``histogram`` and 96 ``count(DISTINCT)``
    aggregates must still give every value, in the positions they were added at."""
    columns = 96
    connection = duckdb.connect(config={"memory_limit": "128MB", "threads": 2})
    try:
        connection.execute(f"CREATE TABLE wide AS SELECT {', '.join(f'(i * {j})::DOUBLE AS c{j}' for j in range(columns))} "
                           "FROM range(10) r(i)")
        batch = sqlbits.Aggregates()
        histograms = [batch.add(f"histogram(c{j})") for j in range(columns)]
        distincts = [batch.add(f"count(DISTINCT c{j})") for j in range(columns)]
        plain = batch.add("count(*)")
        batch.run(connection, "wide")
    finally:
        connection.close()
    assert batch.value(plain) == 10
    assert [batch.value(slot) for slot in distincts] == [1] + [10] * (columns - 1)
    assert batch.value(histograms[1]) == {float(i): 1 for i in range(10)}
