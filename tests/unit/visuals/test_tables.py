"""heatmap and scatterplot on real CSV and Parquet files; their numbers checked against numpy."""

from __future__ import annotations

import pathlib
from typing import Any

import duckdb
import numpy as np
import pytest
from scipy import stats  # type: ignore[import-untyped]

from jobsmith.domain import errors
from jobsmith.processes import context, registry
from jobsmith.processes.visuals import heatmap, scatterplot
from tests.unit.visuals.running import png_size, result, run

N = 20_000


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    rng = np.random.default_rng(3)
    x = rng.normal(10, 3, N)
    return {"x": x, "y": 0.5 * x + rng.normal(0, 2, N), "amount": rng.gamma(2, 10, N),
            "shop": rng.choice(["north", "south", "east", "west"], N), "hour": rng.integers(0, 24, N)}


@pytest.fixture(scope="module")
def table(data: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    path = tmp_path_factory.mktemp("tables") / "sales.csv"
    rows = zip(data["x"], data["y"], data["amount"], data["shop"], data["hour"], strict=True)
    path.write_text("x,y,amount,shop,hour\n" + "".join(
        f"{float(a)!r},{float(b)!r},{float(c)!r},{d},{e}\n" for a, b, c, d, e in rows))
    return path


def test_a_density_counts_as_numpys_histogram2d(table: pathlib.Path, data: dict[str, Any],
                                                  tmp_path: pathlib.Path) -> None:
    out = run(heatmap.heatmap, {"table": [table]}, tmp_path, x="x", y="y", bins=30)
    document = result(out, "heatmap")
    counts, x_edges, y_edges = np.histogram2d(data["x"], data["y"], bins=30)
    assert document["mode"] == "density" and document["rows_used"] == N
    assert np.array_equal(np.array(document["cells"]), counts.T)  # cells are [y][x]
    assert np.allclose(document["x"]["edges"], x_edges) and np.allclose(document["y"]["edges"], y_edges)
    assert png_size(out / "heatmap.png") == (900, 700)


def test_a_density_of_means_as_scipys_binned_statistic(table: pathlib.Path, data: dict[str, Any],
                                                         tmp_path: pathlib.Path) -> None:
    out = run(heatmap.heatmap, {"table": [table]}, tmp_path, x="x", y="y", value="amount", aggregation="mean",
              bins=12)
    expected = stats.binned_statistic_2d(data["x"], data["y"], data["amount"], "mean", bins=12).statistic.T
    cells = np.array(result(out, "heatmap")["cells"], dtype=float)  # empty cells are null
    assert np.array_equal(np.isnan(cells), np.isnan(expected))
    assert np.allclose(cells[~np.isnan(cells)], expected[~np.isnan(expected)])


def test_a_pivot_sums_each_pair_of_values(table: pathlib.Path, data: dict[str, Any], tmp_path: pathlib.Path) -> None:
    out = run(heatmap.heatmap, {"table": [table]}, tmp_path, x="hour", y="shop", value="amount", aggregation="sum",
              mode="pivot")
    document = result(out, "heatmap")
    assert document["x"]["labels"] == [str(h) for h in range(24)]  # numeric values in numeric order
    assert document["y"]["labels"] == ["east", "north", "south", "west"]
    for row, shop in enumerate(document["y"]["labels"]):
        for column, hour in enumerate(range(24)):
            chosen = (data["shop"] == shop) & (data["hour"] == hour)
            assert document["cells"][row][column] == pytest.approx(data["amount"][chosen].sum())


def test_a_pivot_keeps_the_most_frequent_values_and_counts_the_rest(tmp_path: pathlib.Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text("a,b\n" + "x,1\n" * 5 + "y,1\n" * 3 + "z,2\n" + ",2\n")
    out = run(heatmap.heatmap, {"table": [table]}, tmp_path, x="a", y="b", max_categories=2)
    document = result(out, "heatmap")
    assert document["mode"] == "pivot" and document["x"]["labels"] == ["x", "y"]
    assert document["y"]["labels"] == ["1", "2"] and document["cells"] == [[5, 3], [0, 0]]  # z,2 is left out
    assert (document["rows_total"], document["rows_used"], document["rows_skipped"],
            document["rows_outside_categories"]) == (10, 8, 1, 1)


def test_a_heatmap_reads_parquet(table: pathlib.Path, data: dict[str, Any], tmp_path: pathlib.Path) -> None:
    parquet = tmp_path / "sales.parquet"
    duckdb.execute(f"COPY (SELECT * FROM read_csv('{table}')) TO '{parquet}' (FORMAT parquet)")
    out = run(heatmap.heatmap, {"table": [parquet]}, tmp_path, x="x", y="y", bins=10)
    assert np.array_equal(np.array(result(out, "heatmap")["cells"]),
                          np.histogram2d(data["x"], data["y"], bins=10)[0].T)


def test_scatter_statistics_are_numpys_and_the_thinning_is_stated(table: pathlib.Path, data: dict[str, Any],
                                                                  tmp_path: pathlib.Path) -> None:
    out = run(scatterplot.scatterplot, {"table": [table]}, tmp_path, x="x", y="y", color="shop", max_points=1000)
    document = result(out, "scatterplot")
    assert document["correlation"] == pytest.approx(np.corrcoef(data["x"], data["y"])[0, 1])
    assert document["x"]["mean"] == pytest.approx(data["x"].mean())
    assert (document["y"]["min"], document["y"]["max"]) == (pytest.approx(data["y"].min()),
                                                            pytest.approx(data["y"].max()))
    assert (document["points_total"], document["points_drawn"], document["thinned"]) == (N, 1000, True)
    points = document["points"]
    assert len(points["x"]) == len(points["y"]) == len(points["color"]) == 1000
    every = set(zip(data["x"].tolist(), data["y"].tolist(), data["shop"].tolist(), strict=True))
    assert set(zip(points["x"], points["y"], points["color"], strict=True)) <= every  # real rows, not made up
    again = run(scatterplot.scatterplot, {"table": [table]}, tmp_path / "again", x="x", y="y", color="shop",
                max_points=1000)
    assert result(again, "scatterplot")["points"] == points  # the same seed draws the same sample
    assert png_size(out / "scatterplot.png") == (900, 700)


def test_a_small_scatter_draws_every_point_coloured_by_a_number(tmp_path: pathlib.Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text("a,b,c\n1,2,0.5\n2,4,\n3,,1\nx,1,2\n")
    with pytest.raises(context.JobFailed) as caught:
        run(scatterplot.scatterplot, {"table": [table]}, tmp_path, x="a", y="b")
    assert str(caught.value) == "column 'a' of t.csv is not numeric (it holds varchar values), so it cannot be the x"
    table.write_text("a,b,c\n1,2,0.5\n2,4,\n3,,1\n")
    out = run(scatterplot.scatterplot, {"table": [table]}, tmp_path, x="a", y="b", color="c")
    document = result(out, "scatterplot")
    assert document["points"] == {"x": [1.0, 2.0], "y": [2.0, 4.0], "color": [0.5, None]}
    assert (document["rows_total"], document["rows_skipped"], document["thinned"]) == (3, 1, False)


@pytest.mark.parametrize(("process", "parameters", "message"), [
    (heatmap.heatmap, {"x": "x", "y": "shop", "mode": "density"},
     "column 'shop' of sales.csv is not numeric (it holds varchar values), so it cannot be the y of a density"),
    (heatmap.heatmap, {"x": "x", "y": "y", "value": "shop", "aggregation": "mean"},
     "column 'shop' of sales.csv is not numeric (it holds varchar values), so it cannot be the value to mean"),
    (heatmap.heatmap, {"x": "x", "y": "nope"},
     "sales.csv has no column 'nope' for y of a density (its columns: x, y, amount, shop, hour)"),
    (scatterplot.scatterplot, {"x": "shop", "y": "y"},
     "column 'shop' of sales.csv is not numeric (it holds varchar values), so it cannot be the x"),
])
def test_unusable_columns_fail_with_a_sentence(table: pathlib.Path, tmp_path: pathlib.Path,
                                               process: registry.ProcessFunction, parameters: dict[str, Any],
                                               message: str) -> None:
    with pytest.raises(context.JobFailed) as caught:
        run(process, {"table": [table]}, tmp_path, **parameters)
    assert str(caught.value) == message
    assert not list((tmp_path / "out").iterdir())


def test_an_aggregation_without_a_value_is_refused_before_the_job_runs() -> None:
    spec = registry.describe(heatmap.heatmap)
    assert spec is not None
    with pytest.raises(errors.Invalid) as caught:
        spec.validate_parameters({"x": "a", "y": "b", "aggregation": "sum"})
    assert "aggregation 'sum' needs a value column" in caught.value.detail
