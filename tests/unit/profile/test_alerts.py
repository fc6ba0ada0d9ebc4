"""The data-quality alerts: each kind on a column made to have it, and none on the clean columns beside them.

An alert on every column is read as none, so the tests assert the exact set of alerts of a table,
clean columns included, as well as the sentences a person reads.
"""

from __future__ import annotations

import json
import math
import pathlib
import random
from collections.abc import Iterator

import duckdb
import numpy as np
import pytest

from jobsmith.processes.profile import dataspace_archive, outputs, process
from jobsmith.processes.profile.analysis import alerts, association, model
from tests.support.contexts import local_context
from tests.unit.profile.test_analysis import csv_table, run, validate, write_csv

ROWS = 400
CLEAN = {"clean_number", "clean_category", "clean_date", "clean_count"}


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(config={"threads": 2})
    yield connection
    connection.close()


def _row(i: int, rng: random.Random) -> list[str]:
    x = rng.uniform(0, 100)
    return [
        str(i + 1),  # id: unique
        "Berlin",  # constant
        "" if i % 5 < 3 else str(rng.randint(1, 9)),  # mostly_missing: 60 %
        f"{x:.3f}", f"{2 * x + rng.gauss(0, 15):.3f}",  # x, y: correlated
        "0" if i % 10 < 3 else str(rng.randint(1, 100)),  # zero_heavy: 30 % zeros
        f"{math.exp(rng.gauss(0, 1.2)):.4f}",  # skewed: log-normal, with a long tail beyond the fences
        f"{rng.randint(1, 30) * 1000 + 1067:05d}".replace("1", "0", 1) if i % 2 else f"{rng.randint(1, 9):05d}",  # code
        rng.choice(["none given", "unknown", "later"]) if i % 10 < 3 else str(rng.randint(1, 500)),  # numbers and words
        f"{rng.uniform(10, 20):.2f}",  # clean_number
        rng.choice(["red", "green", "blue", "amber", "white"]),  # clean_category
        f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",  # clean_date
        str(rng.randint(1, 12)),  # clean_count
    ]


HEADER = ["id", "constant", "mostly_missing", "x", "y", "zero_heavy", "skewed", "code", "mixed", "clean_number",
          "clean_category", "clean_date", "clean_count"]


@pytest.fixture
def profiled(con: duckdb.DuckDBPyConnection, tmp_path: pathlib.Path) -> model.ProfileResult:
    rng = random.Random(5)
    path = write_csv(tmp_path, HEADER, [_row(i, rng) for i in range(ROWS)])
    result = run(con, [csv_table(con, path)])
    validate(result.edp)
    return result


def kinds(result: model.ProfileResult) -> set[tuple[str, str | None]]:
    return {(a.kind, a.column if a.columns is None else "+".join(a.columns)) for a in result.alerts}


def test_each_column_gets_the_alerts_it_was_made_for_and_clean_columns_none(profiled: model.ProfileResult) -> None:
    assert kinds(profiled) == {
        ("unique", "id"), ("constant", "constant"), ("missing", "mostly_missing"), ("correlation", "x+y"),
        ("zeros", "zero_heavy"), ("skewed", "skewed"), ("outliers", "skewed"), ("numeric_code", "code"),
        ("mixed_types", "mixed"),
    }
    assert not [a for a in profiled.alerts if a.column in CLEAN or set(a.columns or ()) & CLEAN]
    assert all(a.dataset == "data.csv" for a in profiled.alerts)


def test_the_alerts_say_what_was_found_in_a_sentence(profiled: model.ProfileResult) -> None:
    said = {(a.kind, a.column): a.message for a in profiled.alerts}
    assert said[("unique", "id")] == ("'id' has a different whole number, from 1 to 400, in each of its 400 rows: "
                                      "a numbering or an identifier, not a measurement")
    assert said[("constant", "constant")] == "'constant' is constant: its 400 values are all the same"
    assert said[("missing", "mostly_missing")] == "'mostly_missing' is missing in 240 of 400 rows (60 %)"
    assert said[("zeros", "zero_heavy")] == "'zero_heavy' is zero in 120 of its 400 values (30 %)"
    assert said[("skewed", "skewed")].startswith("'skewed' is highly skewed to the right (a long tail of large "
                                                 "values): skewness ")
    assert said[("outliers", "skewed")].startswith("'skewed' has ")
    assert "beyond the Tukey fences (below " in said[("outliers", "skewed")]
    assert said[("numeric_code", "code")].startswith("'code' holds numbers written with leading zeros (shaped like "
                                                     "'99999'): codes such as postal codes")
    assert said[("mixed_types", "mixed")] == "'mixed' mixes numbers with other text: 120 of its 400 values (30 %) are not numbers"
    (pair,) = [a for a in profiled.alerts if a.kind == "correlation"]
    assert pair.column is None and pair.columns == ("x", "y")
    assert pair.message.startswith("'x' and 'y' are strongly positively correlated (Pearson r = 0.9")
    assert ", Spearman \u03c1 = 0.9" in pair.message
    assert pair.as_json() == {"dataset": "data.csv", "column": None, "columns": ["x", "y"], "kind": "correlation",
                              "message": pair.message}


def test_duplicate_rows_and_associated_categories(con: duckdb.DuckDBPyConnection, tmp_path: pathlib.Path) -> None:
    rng = random.Random(11)
    regions = {"Hamburg": "north", "Kiel": "north", "Bremen": "north", "Munich": "south", "Stuttgart": "south",
               "Dresden": "east", "Leipzig": "east"}
    rows = []
    for i in range(300):
        city = rng.choice(sorted(regions))
        rows.append([city, regions[city], rng.choice(["card", "cash", "invoice"]), f"{rng.uniform(1, 50):.5f}"])
    rows += rows[10:22]  # twelve rows again, unchanged
    result = run(con, [csv_table(con, write_csv(tmp_path, ["city", "region", "payment", "amount"], rows))])
    assert kinds(result) == {("duplicates", None), ("association", "city+region")}
    duplicates, associated = result.alerts
    assert duplicates.message == "12 of 312 rows (3.8 %) repeat an earlier row in every column"
    assert associated.columns == ("city", "region") and associated.column is None
    assert associated.message.startswith("'city' and 'region' are strongly associated: Cram\u00e9r's V = 0.99 (on 312 "
                                         "sampled rows)")


def test_only_the_strongest_pairs_are_alerts_and_small_tables_have_none(con: duckdb.DuckDBPyConnection,
                                                                         tmp_path: pathlib.Path) -> None:
    rng = random.Random(8)
    header = [f"c{k}" for k in range(8)]  # 28 pairs, all correlated
    rows = [[f"{i * (k + 1) + rng.gauss(0, 2 + k):.3f}" for k in range(8)] for i in range(60)]
    result = run(con, [csv_table(con, write_csv(tmp_path, header, rows))])
    pairs = [a for a in result.alerts if a.kind == "correlation"]
    assert len(pairs) == alerts.MAX_PAIR_ALERTS == 20
    strength = [max(abs(float(a.message.split(" = ")[1].split(",")[0])), abs(float(a.message.split(" = ")[2][:-1])))
                for a in pairs]  # the larger of |r| and |rho|
    assert strength == sorted(strength, reverse=True)
    assert "data.csv: 8 more pairs of columns are strongly correlated than the 20 strongest listed as alerts" in result.notes
    few = run(con, [csv_table(con, write_csv(tmp_path, header, rows[:12], name="few.csv"))])
    assert [a for a in few.alerts if a.kind == "correlation"] == []


def test_text_mixed_with_numbers_and_high_cardinality(con: duckdb.DuckDBPyConnection, tmp_path: pathlib.Path) -> None:
    rng = random.Random(3)
    rows = [[f"{rng.randint(1, 99)}" if i % 5 == 0 else rng.choice(["S", "M", "L", "XL"]),
             f"user {rng.randint(1, 150)} wrote {rng.randint(1, 3)}", str(i % 7)] for i in range(200)]
    result = run(con, [csv_table(con, write_csv(tmp_path, ["size", "comment", "weekday"], rows))])
    said = {(a.kind, a.column): a.message for a in result.alerts}
    assert set(said) == {("mixed_types", "size"), ("high_cardinality", "comment")}
    assert said[("mixed_types", "size")] == ("'size' mixes text with numbers: about 20 % of the sampled values read as "
                                             "numbers, the rest as text")
    assert said[("high_cardinality", "comment")].startswith("'comment' has ")
    assert said[("high_cardinality", "comment")].endswith("too many to be categories")


def test_placeholders_are_no_mixed_types_and_small_tables_no_shape_alerts(con: duckdb.DuckDBPyConnection,
                                                                         tmp_path: pathlib.Path) -> None:
    rows = [["-" if i % 4 == 0 else str(i * i), "n/a" if i % 4 == 2 else str(i % 3)] for i in range(12)]
    result = run(con, [csv_table(con, write_csv(tmp_path, ["square", "flag"], rows))])
    assert result.alerts == []  # a skewed, partly zero column of 12 values says too little to alert on


def test_spearman_finds_a_monotonic_relation_pearson_misses(con: duckdb.DuckDBPyConnection,
                                                            tmp_path: pathlib.Path) -> None:
    rows = [[str(i), f"{math.exp(i / 6):.6g}"] for i in range(1, 101)]
    result = run(con, [csv_table(con, write_csv(tmp_path, ["step", "growth"], rows))])
    (pair,) = [a for a in result.alerts if a.kind == "correlation"]
    assert pair.columns == ("step", "growth")
    assert "Spearman \u03c1 = 1.00" in pair.message and "Pearson r = 0.5" in pair.message


def test_cramers_v_is_one_for_a_function_and_near_zero_for_independent_columns() -> None:
    rng = random.Random(1)
    a = [rng.randrange(6) for _ in range(2000)]
    assert association.cramers_v(np.array(a), np.array([v // 2 for v in a])) == pytest.approx(1.0, abs=0.01)
    assert association.cramers_v(np.array(a), np.array([rng.randrange(4) for _ in a])) < 0.05
    assert association.cramers_v(np.array([1, 1, 1]), np.array([0, 1, 2])) == 0.0


def test_thresholds_are_documented_constants() -> None:
    for name in ("MISSING_SHARE", "MIN_VALUES", "HIGH_CARDINALITY_MIN", "HIGH_CARDINALITY_SHARE", "SKEW_LIMIT",
                 "OUTLIER_SHARE", "ZEROS_SHARE", "ZERO_SPIKE", "MAX_PAIR_ALERTS", "CORRELATION_LIMIT", "ASSOCIATION_LIMIT", "ID_DENSITY",
                 "MIXED_INCONSISTENT_SHARE", "MIXED_TEXT_SHARE"):
        assert isinstance(getattr(alerts, name), float | int), name


def test_the_process_writes_alerts_json_beside_the_edp_and_logs_them(tmp_path: pathlib.Path,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    rng = random.Random(5)
    source = write_csv(tmp_path, HEADER, [_row(i, rng) for i in range(ROWS)])
    options = process.ProfileOptions(distribution=False, seasonality=False)
    with caplog.at_level("WARNING", logger="jobsmith.tests"):
        result = process.run(source, local_context(tmp_path, source, options), options)
    written = json.loads((tmp_path / "out" / outputs.ALERTS).read_text(encoding="utf-8"))
    assert written == [alert.as_json() for alert in result.alerts] and len(written) == 9
    assert (tmp_path / "out" / outputs.EDP).exists()
    logged = [r.getMessage() for r in caplog.records if r.getMessage().startswith("alert ")]
    assert "alert constant: data.csv: 'constant' is constant: its 400 values are all the same" in logged
    assert len(logged) == len(written)
    assert dataspace_archive.layout(outputs.ALERTS, {}, "job") == "quality/alerts.json"
