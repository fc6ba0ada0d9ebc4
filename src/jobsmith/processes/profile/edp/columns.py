"""EDP column objects and the plot requests they refer to, built from the computed summaries.

A plot path appears in the EDP only together with its :class:`model.PlotRequest`, so the EDP
never names a file that is not drawn. Keys follow the schema's order, which is the order the old
service emitted.

Only plots that carry information are requested: series over time as :mod:`.series_choice`
decides, most-frequent-value bars only for values that repeat (:mod:`.column_roles`; from two
distinct values on), for free text and identifiers a histogram of their lengths instead, a
correlation map only from three columns on (two give one coefficient, which the report states),
and a histogram whenever there are bins, saying how many values lie beyond its range and how
well the fitted distribution fits; on a logarithmic axis for a heavily skewed column
(:mod:`..analysis.log_bins`). The box plot stays for every numeric column because the
schema requires its path; the report leaves out that of a constant column. A request's title
may have further lines: details the plot shows under its title (see :mod:`..report.plots`); names
in titles are written on one line, so a line break in a column's name cannot pass for one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from jobsmith.processes.profile.analysis import log_bins, model
from jobsmith.processes.profile.analysis.correlation import Correlations
from jobsmith.processes.profile.analysis.distribution import Fit
from jobsmith.processes.profile.analysis.numeric import DISTRIBUTION_MIN_UNIQUE, NumericSummary, data_type
from jobsmith.processes.profile.analysis.seasonality import Decomposition, combined_trend
from jobsmith.processes.profile.analysis.strings import StringSummary
from jobsmith.processes.profile.analysis.temporal import DatetimeSummary
from jobsmith.processes.profile.edp import column_roles, series_choice
from jobsmith.processes.profile.edp.plot_paths import PlotPaths, segment
from jobsmith.processes.profile.report import numbers

COMPONENTS = (("original", "original_series"), ("seasonality", "seasonalities"), ("trend", "trends"),
              ("residual", "residuals"))
Plots = list[model.PlotRequest]
GOOD_FIT = 0.05
"""Largest Kolmogorov–Smirnov distance (between the sample and the fitted distribution) at which the
fit is drawn over the histogram; beyond it the plot says there is no good fit. A small column is
allowed what sampling alone gives: the 5 % critical value 1.36/√n, 0.2 for 46 values."""
KS_CRITICAL = 1.36
HEATMAP_MIN_COLUMNS = 3
TOP_VALUES_MIN_UNIQUE = 2
"""From two distinct values on, values that repeat get bars: a yes/no column's two bars show its balance."""
LENGTH_BINS = 40
"""At most this many bars in a length histogram: one per length up to 40 characters, wider beyond."""


def _common(name: str, nulls: int, inconsistent: int, interpretable: int, unique: int) -> dict[str, Any]:
    return {"name": name, "nullCount": nulls, "inconsistentCount": inconsistent, "interpretableCount": interpretable,
            "numberUnique": unique, "augmentation": None}


def numeric_column(s: NumericSummary, fit: Fit, decompositions: Sequence[Decomposition], paths: PlotPaths,
                   primary: str | None = None,
                   logarithmic: log_bins.LogHistogram | None = None,
                   values: Sequence[tuple[float, int]] | None = None) -> tuple[dict[str, Any], Plots]:
    """The NumericColumn object, with its box plot, histogram (not of identifiers and date codes)
    and the series worth drawing.

    Series are drawn over the datetime column named ``primary``; without it, over the primary one
    among this column's decompositions (:func:`.series_choice.primary_datetime`). The trend label
    is still the verdict over every decomposition. With ``logarithmic`` (a heavily skewed column),
    the histogram is that one, of all positive values on a logarithmic axis. With ``values`` (a
    column of few distinct values, :mod:`..analysis.few_values`), a bar per value stands in for it.
    """
    q, (low_iqr, high_iqr), (low_z, high_z) = s.quantiles, s.iqr_fences, s.z_fences
    counted = (s.outliers["percentile"], s.outliers["z"], s.outliers["iqr"])
    column = _common(s.plan.name, s.nulls, s.inconsistent, s.count, s.unique) | {
        "min": s.minimum, "max": s.maximum, "mean": s.mean, "median": q[2], "variance": s.variance,
        "stddev": s.stddev, "upperPercentile": q[4], "lowerPercentile": q[0],
        "percentileOutlierCount": s.outliers["percentile"], "upperQuantile": q[3], "lowerQuantile": q[1],
        "quantileOutlierCount": s.outliers["quantile"], "upperZScore": high_z, "lowerZScore": low_z,
        "zScoreOutlierCount": s.outliers["z"], "upperIQR": high_iqr, "lowerIQR": low_iqr, "iqr": s.iqr,
        "iqrOutlierCount": s.outliers["iqr"], "relativeOutlierCount": min(1.0, sum(counted) / 3 / s.count),
        "distribution": fit.name, "distributionGraph": None, "boxPlot": paths.path(s.plan.name, "box_plot"),
        "trend": combined_trend([d.trend_label for d in decompositions]),
    }
    plots = [model.PlotRequest(column["boxPlot"], f"Box plot of {_line(s.plan.name)}", model.BoxPlot(
        s.plan.name, q[1], q[2], q[3], s.whiskers[0], s.whiskers[1], s.mean, s.dots))]
    if s.unique > DISTRIBUTION_MIN_UNIQUE and s.edges and sum(s.counts) > 0 and not _labels(s):
        column["distributionGraph"] = paths.path(s.plan.name, "distribution")
        plots.append(_histogram(column["distributionGraph"], s, fit, logarithmic))
    elif values:
        column["distributionGraph"] = paths.path(s.plan.name, "distribution")
        plots.append(_value_bars(column["distributionGraph"], s, values))
    for _, key in COMPONENTS:
        column[key] = []
    for decomposition in _over_primary(decompositions, primary):
        choice = series_choice.choose(decomposition)
        if choice is not None:
            plots += _series(column, decomposition, choice, paths)
    column["dataType"] = data_type(s)
    return column, plots


def _labels(s: NumericSummary) -> bool:
    """Whether the values are labels whose histogram says nothing: running numbers, date codes."""
    low, high = float(s.minimum), float(s.maximum)
    return (column_roles.is_identifier(integral=s.integral, count=s.count, unique=s.unique, minimum=low, maximum=high)
            or column_roles.code_kind(integral=s.integral, minimum=low, maximum=high) == "date code")


def _histogram(path: str, s: NumericSummary, fit: Fit, logarithmic: log_bins.LogHistogram | None) -> model.PlotRequest:
    """The histogram over the fit range (or of the positive values on a logarithmic axis), titled with
    what it leaves out and how well the fit fits."""
    shown = sum(s.counts)
    details = []
    if logarithmic is not None:
        details.append(f"logarithmic axis: all {sum(logarithmic.counts):,} positive values" +
                       (f"; {logarithmic.left_out:,} zero or negative values are not shown" if logarithmic.left_out
                        else ""))
    elif shown < s.count:
        below, above = s.minimum < s.edges[0], s.maximum > s.edges[-1]
        side = "beyond the IQR fences" if below and above else \
            "below the lower IQR fence" if below else "above the upper IQR fence"
        details.append(f"{s.count - shown:,} of {s.count:,} values {side} are not shown")
    good = fit.found and fit.statistic is not None and fit.statistic <= max(GOOD_FIT, KS_CRITICAL / math.sqrt(shown))
    if good:
        goodness = f"fitted {fit.name}: Kolmogorov–Smirnov distance {fit.statistic:.3f}"
    elif fit.found:
        goodness = f"no good fit (closest: {fit.name}, Kolmogorov–Smirnov distance {fit.statistic or 0:.2f})"
    else:
        goodness = f"no distribution fitted ({fit.name})"
    if logarithmic is not None:  # the fit is of the values within the fences, not drawn over all of them
        goodness = goodness.replace(":", " (to the values within the IQR fences):", 1) if good else goodness
        figure = model.Histogram(s.plan.name, logarithmic.edges, logarithmic.counts, None, goodness=goodness,
                                 log_x=True)
    else:
        figure = model.Histogram(s.plan.name, s.edges, s.counts, fit.name if good else None,
                                 fit.density_x if good else (), fit.density_y if good else (), goodness=goodness)
    return model.PlotRequest(path, "\n".join([f"Distribution of {_line(s.plan.name)}", *details, goodness]), figure)


def _value_bars(path: str, s: NumericSummary, values: Sequence[tuple[float, int]]) -> model.PlotRequest:
    """A bar per value, smallest value on top, written as the report writes the column's figures."""
    code = column_roles.code_kind(integral=s.integral, minimum=float(s.minimum), maximum=float(s.maximum)) is not None
    labels = tuple(numbers.number(int(v) if s.integral else v, code=code) for v, _ in values)
    figure = model.TopValues(s.plan.name, labels, tuple(n for _, n in values), False, s.count)
    return model.PlotRequest(path, f"Values of {_line(s.plan.name)}\n{len(values)} distinct values: a bar for each",
                             figure)


def _over_primary(decompositions: Sequence[Decomposition], primary: str | None) -> list[Decomposition]:
    """The decompositions over the primary datetime column (at most one)."""
    if primary is None:
        chosen = series_choice.primary_datetime(d.time for d in decompositions)
        primary = chosen.plan.name if chosen is not None else None
    return [d for d in decompositions if d.time.plan.name == primary]


def _series(column: dict[str, Any], d: Decomposition, choice: series_choice.SeriesChoice, paths: PlotPaths) -> Plots:
    """The chosen series plots of one decomposition, registered under their EDP lists."""
    values = {"original": d.observed, "seasonality": d.seasonal, "trend": d.trend, "residual": d.residual}
    details = {
        "original": f"mean per {_step(d)}: {choice.length:,} points, {_share(choice.interpolated)} interpolated",
        "trend": f"trend strength {choice.trend_strength:.2f} (share of the variation the trend explains)",
        "seasonality": f"period {d.granularity.period} {d.granularity.name}, seasonal strength "
                       f"{choice.seasonal_strength:.2f}",
        "residual": "what trend and seasonality leave unexplained",
    }
    plots = []
    for component, key in COMPONENTS:
        if component not in choice.components:
            continue
        path = paths.path(d.numeric.plan.name, f"over_{segment(d.time.plan.name)}_{component}")
        column[key].append({"timeBaseColumn": d.time.plan.name, "file": path})
        title = f"{component.capitalize()} of {_line(d.numeric.plan.name)} over {_line(d.time.plan.name)}\n{details[component]}"
        plots.append(model.PlotRequest(path, title, model.Series(
            d.numeric.plan.name, d.time.plan.name, component, d.granularity.name, d.times,
            tuple(float(v) for v in values[component]))))
    return plots


def _line(name: str) -> str:
    """A name for a title: its line breaks as spaces (a title's further lines are its details)."""
    return " ".join(name.splitlines())


def _step(d: Decomposition) -> str:
    return d.granularity.name.removesuffix("s")


def _share(fraction: float) -> str:
    return "<1 %" if 0 < fraction < 0.01 else f"{fraction:.0%}".replace("%", " %")


def datetime_column(s: DatetimeSummary) -> dict[str, Any]:
    """The DateTimeColumn object (no plots of its own)."""
    return _common(s.plan.name, s.nulls, s.inconsistent, s.count, s.unique) | {
        "temporalCover": {"earliest": s.earliest, "latest": s.latest},
        "all_entries_are_unique": s.unique == s.count, "monotonically_increasing": s.increasing,
        "monotonically_decreasing": s.decreasing, "periodicity": s.periodicity,
        "temporalConsistencies": s.consistencies, "format": s.plan.format or "NATIVE",
    }


def string_column(s: StringSummary, paths: PlotPaths, anonymise: bool) -> tuple[dict[str, Any], Plots]:
    """The StringColumn object, with a top-values plot when there are at least two unique values
    and values repeat (:func:`.column_roles.repeats`): bars of ones say nothing. Values that do not
    repeat (free text, identifiers) get a histogram of their lengths when the lengths vary."""
    column = _common(s.plan.name, s.nulls, 0, s.count, s.unique) | {"distributionGraph": None}
    counts = tuple(n for _, n in s.top)
    if s.unique < TOP_VALUES_MIN_UNIQUE or not column_roles.repeats(count=s.count, unique=s.unique, top_counts=counts):
        if len(s.lengths) < 2:
            return column, []
        column["distributionGraph"] = paths.path(s.plan.name, "lengths")
        return column, [_lengths(column["distributionGraph"], s)]
    column["distributionGraph"] = paths.path(s.plan.name, "distribution")
    labels = tuple(str(rank) for rank in range(1, len(s.top) + 1)) if anonymise else tuple(v for v, _ in s.top)
    figure = model.TopValues(s.plan.name, labels, counts, anonymise, s.count)
    return column, [model.PlotRequest(column["distributionGraph"], f"Most frequent values of {_line(s.plan.name)}", figure)]


def _lengths(path: str, s: StringSummary) -> model.PlotRequest:
    """The histogram of a text column's lengths in characters: one bar per length, or per few lengths."""
    first, last = s.lengths[0][0], s.lengths[-1][0]
    width = max(1, math.ceil((last - first + 1) / LENGTH_BINS))
    starts = range(first, last + 1, width)
    counted = dict(s.lengths)
    counts = tuple(sum(counted.get(k, 0) for k in range(start, start + width)) for start in starts)
    edges = tuple(start - 0.5 for start in [*starts, starts[-1] + width])
    total = sum(counts)
    details = [f"{total:,} values, {first:,} to {last:,} characters"
               + (f" (a seeded sample of the {s.count:,} values)" if total < s.count else "")]
    figure = model.Histogram(s.plan.name, edges, counts, None, label=f"length of {_line(s.plan.name)} in characters")
    return model.PlotRequest(path, "\n".join([f"Lengths of {_line(s.plan.name)}", *details]), figure)


def correlation_graph(correlations: Correlations, paths: PlotPaths) -> tuple[str | None, Plots]:
    """The heatmap path and request, or nothing when fewer than three columns take part: two
    columns make one coefficient, a one-cell map that the report says in words instead."""
    if len(correlations.columns) < HEATMAP_MIN_COLUMNS:
        return None, []
    path = paths.path(None, "correlations")
    matrix = tuple(tuple(row) for row in correlations.matrix)
    return path, [model.PlotRequest(path, "Correlations (Pearson)", model.Heatmap(correlations.names, matrix))]
