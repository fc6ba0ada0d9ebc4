"""Which plots the profile requests: those that carry information, not noise.

The summaries are built by hand and decomposed with the analysis's own STL, so each rule is seen
on a series whose nature is known: a daily cycle, white noise, a few observations stretched by
interpolation, a running number.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from jobsmith.processes.profile.analysis import correlation, distribution, infer, seasonality, strings, temporal
from jobsmith.processes.profile.analysis.numeric import NumericSummary
from jobsmith.processes.profile.edp import column_roles, columns, series_choice
from jobsmith.processes.profile.edp.plot_paths import PlotPaths

HOURS = temporal.BY_NAME["hours"]
LENGTH = 24 * 28


def _numeric(name: str, values: np.ndarray, *, position: int = 1, integral: bool = False) -> NumericSummary:
    present = values[np.isfinite(values)]
    q1, median, q3 = np.percentile(present, [25, 50, 75])
    return NumericSummary(infer.ColumnPlan(position, name, "numeric", name), count=present.size,
                          unique=len(set(present.tolist())), minimum=float(present.min()), maximum=float(present.max()),
                          mean=float(present.mean()), quantiles=(float(present.min()), q1, median, q3,
                                                                 float(present.max())), integral=integral,
                          outliers={"percentile": 0, "quantile": 0, "z": 0, "iqr": 0})


def _time(name: str, *, position: int = 0, unique: int = LENGTH, increasing: bool = True) -> temporal.DatetimeSummary:
    return temporal.DatetimeSummary(infer.ColumnPlan(position, name, "datetime", name), count=LENGTH, unique=unique,
                                    increasing=increasing, decreasing=False, scales=[("hours", unique, 0)])


def _decompose(numeric: NumericSummary, values: np.ndarray,
               time: temporal.DatetimeSummary | None = None) -> seasonality.Decomposition:
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    stamps = tuple(start + dt.timedelta(hours=h) for h in range(values.size))
    resampled = seasonality.Resampled(time or _time("at"), HOURS, (numeric,), stamps, (values,))
    (found,), _ = seasonality.decompose_all([resampled])
    return found


def _series(kind: str) -> np.ndarray:
    hours = np.arange(LENGTH, dtype=np.float64)
    noise = np.random.default_rng(3).normal(0, 1, LENGTH)
    return {"daily": 20 + 5 * np.sin(2 * np.pi * hours / 24) + noise, "noise": 20 + noise,
            "rising": 20 + hours / 50 + noise}[kind]


@pytest.mark.parametrize(("kind", "components"), [
    ("daily", ("original", "seasonality", "residual")),
    ("noise", ("original",)),
    ("rising", ("original", "trend", "residual")),
])
def test_trend_and_seasonality_are_drawn_only_where_they_explain_the_series(kind: str,
                                                                           components: tuple[str, ...]) -> None:
    values = _series(kind)
    choice = series_choice.choose(_decompose(_numeric("v", values), values))
    assert choice is not None and choice.components == components
    assert choice.interpolated == 0


def test_a_series_mostly_interpolated_or_of_a_running_number_is_not_drawn() -> None:
    sparse = np.full(LENGTH, np.nan)
    sparse[::7] = _series("daily")[::7]  # 96 observations: four days' worth, but one point in seven
    few = _time("at", unique=96)
    assert series_choice.choose(_decompose(_numeric("v", sparse), sparse, few)) is None
    running = np.arange(LENGTH, dtype=np.float64)
    assert series_choice.choose(_decompose(_numeric("id", running, integral=True), running)) is None
    wobbly = _series("daily")
    rising = np.cumsum(np.abs(wobbly))  # monotonic over time, not an identifier
    assert series_choice.choose(_decompose(_numeric("total", rising), rising)) is None
    years = np.random.default_rng(1).integers(1990, 2024, LENGTH).astype(np.float64)
    assert series_choice.choose(_decompose(_numeric("year", years, integral=True), years)) is None


def test_series_are_drawn_over_the_primary_datetime_column_only() -> None:
    ordered, shuffled = _time("recorded", position=0), _time("reported", position=2, increasing=False)
    assert series_choice.primary_datetime([shuffled, ordered]) is ordered
    values = _series("daily")
    numeric = _numeric("v", values)
    decompositions = [_decompose(numeric, values, shuffled), _decompose(numeric, values, ordered)]
    fit = distribution.Fit(distribution.NOT_COMPUTED)
    column, plots = columns.numeric_column(numeric, fit, decompositions, PlotPaths("data.csv"))
    series = [p.path for p in plots if "_over_" in p.path]
    assert series and all("_over_recorded_" in path for path in series)
    assert [graph["timeBaseColumn"] for graph in column["original_series"]] == ["recorded"]


def test_a_histogram_says_what_it_leaves_out_and_how_well_the_fit_fits() -> None:
    values = np.random.default_rng(5).lognormal(3, 1.4, 2000)
    s = _numeric("price", values)
    s.edges = tuple(np.linspace(max(s.minimum, s.iqr_fences[0]), min(s.maximum, s.iqr_fences[1]), 21).tolist())
    s.counts = tuple(int(n) for n in np.histogram(values, bins=np.asarray(s.edges))[0])
    good = distribution.Fit("gamma", 0.031, (1.0, 2.0), (0.1, 0.2))
    _, plots = columns.numeric_column(s, good, [], PlotPaths("data.csv"))
    (histogram,) = [p for p in plots if p.path.endswith("_distribution.png")]
    heading, *details = histogram.title.split("\n")
    left_out = s.count - sum(s.counts)
    assert heading == "Distribution of price" and left_out > 0
    assert details == [f"{left_out:,} of 2,000 values above the upper IQR fence are not shown",
                       "fitted gamma: Kolmogorov–Smirnov distance 0.031"]
    assert histogram.figure.distribution == "gamma"  # type: ignore[union-attr]
    poor = distribution.Fit("norm", 0.24, (1.0, 2.0), (0.1, 0.2))
    _, plots = columns.numeric_column(s, poor, [], PlotPaths("data.csv"))
    (histogram,) = [p for p in plots if p.path.endswith("_distribution.png")]
    assert histogram.title.endswith("no good fit (closest: norm, Kolmogorov–Smirnov distance 0.24)")
    assert histogram.figure.distribution is None  # type: ignore[union-attr]


def test_bars_of_most_frequent_values_only_where_values_repeat() -> None:
    plan = infer.ColumnPlan(3, "city", "string", "city")
    repeated = strings.StringSummary(plan, count=1000, unique=12, top=[("Köln", 400), ("Bonn", 300), ("Ulm", 100)])
    assert columns.string_column(repeated, PlotPaths("d"), anonymise=False)[1]
    distinct = strings.StringSummary(plan, count=1000, unique=1000, top=[(f"id-{i}", 1) for i in range(20)])
    column, plots = columns.string_column(distinct, PlotPaths("d"), anonymise=False)
    assert plots == [] and column["distributionGraph"] is None
    assert column_roles.repeats(count=1000, unique=900, top_counts=[150, 60, 2])
    assert not column_roles.repeats(count=1000, unique=990, top_counts=[2, 2, 1])


def test_two_numeric_columns_make_no_one_cell_correlation_map() -> None:
    two = correlation.Correlations([_numeric(name, _series("noise"), position=i) for i, name in enumerate("ab")], 50)
    two.matrix = [[1.0, 0.3], [0.3, 1.0]]
    assert columns.correlation_graph(two, PlotPaths("d")) == (None, [])
    three = correlation.Correlations([_numeric(name, _series("noise"), position=i) for i, name in enumerate("abc")], 50)
    three.matrix = np.eye(3).tolist()
    path, plots = columns.correlation_graph(three, PlotPaths("d"))
    assert path == "d/correlations.png" and len(plots) == 1


def test_identifiers_and_codes_are_told_from_amounts() -> None:
    assert column_roles.is_identifier(integral=True, count=50_000, unique=50_000, minimum=1, maximum=50_000)
    assert not column_roles.is_identifier(integral=True, count=50, unique=50, minimum=86, maximum=69_753)
    assert not column_roles.is_identifier(integral=False, count=500, unique=500, minimum=0, maximum=1)
    assert column_roles.code_kind(integral=True, minimum=1990, maximum=2024) == "year"
    assert column_roles.code_kind(integral=True, minimum=20200101, maximum=20240209) == "date code"
    assert column_roles.code_kind(integral=True, minimum=1200, maximum=2800) is None  # calories, not years
    assert column_roles.code_kind(integral=True, minimum=20200101, maximum=20241399) is None
