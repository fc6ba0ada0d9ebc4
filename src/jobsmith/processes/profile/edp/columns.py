"""EDP column objects and the plot requests they refer to, built from the computed summaries.

A plot path appears in the EDP only together with its :class:`model.PlotRequest`, so the EDP
never names a file that is not drawn. Keys follow the schema's order, which is the order the old
service emitted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jobsmith.processes.profile.analysis import model
from jobsmith.processes.profile.analysis.correlation import Correlations
from jobsmith.processes.profile.analysis.distribution import Fit
from jobsmith.processes.profile.analysis.numeric import DISTRIBUTION_MIN_UNIQUE, NumericSummary, data_type
from jobsmith.processes.profile.analysis.seasonality import Decomposition, combined_trend
from jobsmith.processes.profile.analysis.strings import DISTRIBUTION_MIN_UNIQUE as STRING_MIN_UNIQUE
from jobsmith.processes.profile.analysis.strings import StringSummary
from jobsmith.processes.profile.analysis.temporal import DatetimeSummary
from jobsmith.processes.profile.edp.plot_paths import PlotPaths, segment

COMPONENTS = (("original", "original_series"), ("seasonality", "seasonalities"), ("trend", "trends"),
              ("residual", "residuals"))
Plots = list[model.PlotRequest]


def _common(name: str, nulls: int, inconsistent: int, interpretable: int, unique: int) -> dict[str, Any]:
    return {"name": name, "nullCount": nulls, "inconsistentCount": inconsistent, "interpretableCount": interpretable,
            "numberUnique": unique, "augmentation": None}


def numeric_column(s: NumericSummary, fit: Fit, decompositions: Sequence[Decomposition],
                   paths: PlotPaths) -> tuple[dict[str, Any], Plots]:
    """The NumericColumn object, with its box plot, distribution plot and series plots."""
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
    plots = [model.PlotRequest(column["boxPlot"], f"Box plot of {s.plan.name}", model.BoxPlot(
        s.plan.name, q[1], q[2], q[3], s.whiskers[0], s.whiskers[1], s.mean, s.dots))]
    if fit.found and s.unique > DISTRIBUTION_MIN_UNIQUE and s.edges:
        column["distributionGraph"] = paths.path(s.plan.name, "distribution")
        plots.append(model.PlotRequest(column["distributionGraph"], f"Distribution of {s.plan.name}", model.Histogram(
            s.plan.name, s.edges, s.counts, fit.name, fit.density_x, fit.density_y)))
    for _, key in COMPONENTS:
        column[key] = []
    for decomposition in decompositions:
        plots += _series(column, decomposition, paths)
    column["dataType"] = data_type(s)
    return column, plots


def _series(column: dict[str, Any], d: Decomposition, paths: PlotPaths) -> Plots:
    """The four series plots of one decomposition, registered under their EDP lists."""
    values = {"original": d.observed, "seasonality": d.seasonal, "trend": d.trend, "residual": d.residual}
    plots = []
    for component, key in COMPONENTS:
        path = paths.path(d.numeric.plan.name, f"over_{segment(d.time.plan.name)}_{component}")
        column[key].append({"timeBaseColumn": d.time.plan.name, "file": path})
        title = f"{component.capitalize()} of {d.numeric.plan.name} over {d.time.plan.name}"
        plots.append(model.PlotRequest(path, title, model.Series(
            d.numeric.plan.name, d.time.plan.name, component, d.granularity.name, d.times,
            tuple(float(v) for v in values[component]))))
    return plots


def datetime_column(s: DatetimeSummary) -> dict[str, Any]:
    """The DateTimeColumn object (no plots of its own)."""
    return _common(s.plan.name, s.nulls, s.inconsistent, s.count, s.unique) | {
        "temporalCover": {"earliest": s.earliest, "latest": s.latest},
        "all_entries_are_unique": s.unique == s.count, "monotonically_increasing": s.increasing,
        "monotonically_decreasing": s.decreasing, "periodicity": s.periodicity,
        "temporalConsistencies": s.consistencies, "format": s.plan.format or "NATIVE",
    }


def string_column(s: StringSummary, paths: PlotPaths, anonymise: bool) -> tuple[dict[str, Any], Plots]:
    """The StringColumn object, with a top-values plot when there are at least four unique values."""
    column = _common(s.plan.name, s.nulls, 0, s.count, s.unique) | {"distributionGraph": None}
    if s.unique < STRING_MIN_UNIQUE:
        return column, []
    column["distributionGraph"] = paths.path(s.plan.name, "distribution")
    labels = tuple(str(rank) for rank in range(1, len(s.top) + 1)) if anonymise else tuple(v for v, _ in s.top)
    figure = model.TopValues(s.plan.name, labels, tuple(n for _, n in s.top), anonymise, s.count)
    return column, [model.PlotRequest(column["distributionGraph"], f"Most frequent values of {s.plan.name}", figure)]


def correlation_graph(correlations: Correlations, paths: PlotPaths) -> tuple[str | None, Plots]:
    """The heatmap path and request, or nothing when fewer than two columns take part."""
    if len(correlations.columns) < 2:
        return None, []
    path = paths.path(None, "correlations")
    matrix = tuple(tuple(row) for row in correlations.matrix)
    return path, [model.PlotRequest(path, "Correlations (Pearson)", model.Heatmap(correlations.names, matrix))]
