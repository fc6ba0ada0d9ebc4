"""The five kinds of plot, each drawn from its small aggregate: box plot, histogram, top values,
correlation heatmap and series over time."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
from matplotlib import colormaps, dates, figure, ticker
from matplotlib.axes import Axes

from jobsmith.processes.profile.analysis import model
from jobsmith.processes.profile.report import drawing, numbers

ANNOTATE_MAX = 10
"""Heatmaps with at most this many rows of cells show the coefficient in each cell."""

HEATMAP_GRID = 6.0
"""Inches the heatmap's cells take at most across; cells are at most 3/4 inch."""

SKEW_TAIL, SKEW_DECADES = 10.0, 2.0
SPIKE = 50.0
"""A histogram whose tallest bar holds this many times the median bar's count gets a log count axis."""


def box_plot(data: model.BoxPlot) -> figure.Figure:
    """A horizontal box from the quartiles: value axis along the page width, where labels fit.

    A heavily skewed positive column (:func:`skewed`) gets a logarithmic value axis: on a linear
    one its box is a sliver at the left edge and its extremes are spread over the whole width.
    """
    fig, axes = drawing.new_figure(6.4, 2.1, (0.3, 0.3, 0.7))
    stats = {"med": data.median, "q1": data.q1, "q3": data.q3, "whislo": data.whisker_low,
             "whishi": data.whisker_high, "mean": data.mean, "fliers": list(data.outliers), "label": ""}
    axes.bxp([stats], orientation="horizontal", showmeans=True, patch_artist=True, widths=0.5,
             boxprops={"facecolor": "#c6dbef", "edgecolor": "#08519c"},
             medianprops={"color": "#08519c", "linewidth": 2},
             meanprops={"marker": "D", "markerfacecolor": "#e6550d", "markeredgecolor": "#e6550d"},
             flierprops={"marker": "o", "markersize": 3, "alpha": 0.5})
    axes.set_yticks([])
    values = (data.whisker_low, data.q1, data.q3, data.whisker_high, *data.outliers)
    logarithmic = skewed(min(values), data.q1, data.q3, max(values))
    if logarithmic:
        axes.set_xscale("log")
    else:
        drawing.compact_numbers(axes.xaxis)
    name = drawing.shorten(data.column, 45)  # leaves the right for the axis's offset text
    axes.set_xlabel(f"{name} (logarithmic scale)" if logarithmic else name)
    axes.grid(axis="x", alpha=0.3)
    axes.text(0.99, 0.97, "box: 25–75 %, line: median, ◆: mean, whiskers: 1.5 × IQR",
              transform=axes.transAxes, ha="right", va="top", fontsize=7, color="0.35")
    return fig


def skewed(low: float, q1: float, q3: float, high: float) -> bool:
    """Positive values whose upper tail reaches more than :data:`SKEW_TAIL` box widths beyond the
    box and which span at least :data:`SKEW_DECADES` powers of ten (a log-normal with σ ≈ 1 or more)."""
    if not 0 < low <= q1 < q3 <= high:
        return False
    return high - q3 > SKEW_TAIL * (q3 - q1) and math.log10(high / low) >= SKEW_DECADES


def histogram(data: model.Histogram) -> figure.Figure:
    """Bars from the edges and counts; as densities when a fitted curve is drawn over them.

    When the tallest bar dwarfs the typical one (:data:`SPIKE`: a spike of zeros, a long thin
    tail within the fences), the count axis is logarithmic so the other bars remain visible. Bins
    of equal ratio (``log_x``, a heavily skewed column) are drawn on a logarithmic value axis.
    """
    fig, axes = drawing.new_figure(6.4, 3.4, (1.0, 0.3, 0.7))
    edges = np.asarray(data.edges, dtype=float)
    counts = np.asarray(data.counts, dtype=float)
    total = counts.sum()
    if total == 0 or len(edges) < 2:
        drawing.no_data(axes, "no values to count")
        return fig
    with_density = data.distribution is not None and len(data.density_x) > 1
    with np.errstate(divide="ignore", invalid="ignore"):  # a zero-width bin has no density to draw
        density = counts / (total * np.diff(edges))
    heights = np.where(np.isfinite(density), density, 0.0) if with_density else counts
    logarithmic = counts.max() >= SPIKE * float(np.median(counts[counts > 0]))
    floor = float(heights[heights > 0].min()) / 2 if logarithmic else 0.0
    axes.stairs(np.maximum(heights, floor), edges, baseline=floor, fill=True, color="#9ecae1", edgecolor="#3182bd",
                label=f"{int(total):,} values")
    if with_density:
        axes.plot(data.density_x, np.maximum(data.density_y, floor), color="#e6550d", linewidth=2,
                  label=f"fitted {data.distribution}")
    drawing.compact_numbers(*(() if data.log_x else (axes.xaxis,)), *(() if logarithmic else (axes.yaxis,)))
    if logarithmic:
        axes.set_yscale("log")
    if data.log_x:
        axes.set_xscale("log")
    label = drawing.shorten(data.label or data.column, 45)  # leaves the right for the axis's offset text
    axes.set_xlabel(f"{label} (logarithmic scale)" if data.log_x else label)
    scale = " (logarithmic scale)" if logarithmic else ""
    axes.set_ylabel(("density" if with_density else "count") + scale)
    axes.legend(fontsize=8, loc="upper right", framealpha=0.85)
    axes.grid(axis="y", alpha=0.3)
    return fig


def top_values(data: model.TopValues) -> figure.Figure:
    """Horizontal bars, most frequent on top, each labelled with its count and share.

    Margins are fixed from the labels' measured widths rather than by constrained layout, which
    drew the figure twice and was two thirds of this plot's time.
    """
    height = min(7.5, max(2.4, 1.1 + 0.3 * len(data.counts)))
    labels = [drawing.shorten(label) for label in data.labels]
    width = 6.4
    left = drawing.text_inches(labels, 8) + 0.6  # tick labels, then the axis label turned on its side
    fig, axes = drawing.new_figure(width, height, (left, 0.3, 0.7))
    if not data.counts:
        drawing.no_data(axes, "no values")
        return fig
    positions = range(len(data.counts))
    bars = axes.barh(positions, data.counts, color="#6baed6")
    axes.set_yticks(positions, labels=labels, fontsize=8)
    axes.invert_yaxis()
    share = max(data.total, 1)
    counted = [f"{count:,} ({numbers.share(count / share)})" for count in data.counts]
    axes.bar_label(bars, labels=counted, padding=3, fontsize=7)
    room = width - left - 0.3  # the axes' width: the longest bar leaves room for its label
    axes.set_xlim(0, max(data.counts) * max(1.22, room / max(0.1, room - drawing.text_inches(counted, 7) - 0.1)))
    axes.xaxis.set_major_locator(ticker.MaxNLocator(nbins=5, integer=True))
    axes.xaxis.set_major_formatter(ticker.FuncFormatter(drawing.short_count))  # no offset text under a narrow axis
    axes.set_xlabel(f"count (of {data.total:,} values)")
    axes.set_ylabel("rank (values anonymised)" if data.anonymised else "value")
    return fig


def heatmap(data: model.Heatmap) -> figure.Figure:
    """The lower triangle of the correlation matrix on a diverging scale fixed to [-1, 1].

    The figure is sized from the number of cells and the longest label, and cells are drawn with
    ``aspect="auto"``: the layout can then make room for every label (it cannot reliably around a
    fixed-aspect image), and the cells come out square because the grid area is square.
    """
    cells = max(len(data.columns) - 1, 1)
    cell = min(0.75, HEATMAP_GRID / cells)
    fontsize = max(5.0, min(9.0, cell * 72 * 0.55))
    label = max((len(drawing.shorten(column)) for column in data.columns), default=1) * fontsize * 0.6 / 72
    fig, axes = drawing.new_figure(max(5.5, label + cells * cell + 1.4), label * 0.75 + cells * cell + 1.0)
    if len(data.columns) < 2:
        drawing.no_data(axes, "fewer than two numeric columns")
        return fig
    lower = _lower_triangle(data.matrix)
    cmap = colormaps["RdBu_r"].with_extremes(bad=(1.0, 1.0, 1.0, 0.0))
    image = axes.imshow(np.ma.masked_invalid(lower), cmap=cmap, vmin=-1.0, vmax=1.0, aspect="auto")
    fig.colorbar(image, ax=axes, label="Pearson correlation", fraction=0.05, pad=0.03)
    _heatmap_ticks(axes, data.columns, fontsize, cell)
    if cells <= ANNOTATE_MAX:
        _annotate_cells(axes, lower)
    axes.spines[:].set_visible(False)
    return fig


def _lower_triangle(matrix: tuple[tuple[float, ...], ...]) -> np.ndarray:
    """Rows 2..n against columns 1..n-1, NaN above the diagonal: the diagonal (always 1) and the
    mirrored upper half say nothing, so they are left out rather than drawn."""
    full = np.asarray(matrix, dtype=float)[1:, :-1]
    rows, columns = np.indices(full.shape)
    return np.where(columns <= rows, full, np.nan)


def _heatmap_ticks(axes: Axes, columns: tuple[str, ...], fontsize: float, cell: float) -> None:
    """Label every column while a label fits in a cell's width, else every k-th, never overlapping."""
    count = len(columns) - 1
    step = max(1, math.ceil(fontsize * 1.3 / 72 / cell))
    ticks = list(range(0, count, step))
    axes.set_xticks(ticks, labels=[drawing.shorten(columns[i]) for i in ticks], rotation=45, ha="right",
                    rotation_mode="anchor", fontsize=fontsize)
    axes.set_yticks(ticks, labels=[drawing.shorten(columns[i + 1]) for i in ticks], fontsize=fontsize)


def _annotate_cells(axes: Axes, lower: np.ndarray) -> None:
    """Write r in each shown cell (``n/a`` where a column was constant), dark or light for contrast."""
    for (row, column), value in np.ndenumerate(lower):
        if column > row:
            continue
        text = "n/a" if math.isnan(value) else f"{value:.2f}"
        colour = "white" if not math.isnan(value) and abs(value) > 0.6 else "black"
        axes.text(column, row, text, ha="center", va="center", fontsize=8, color=colour)


_COMPONENT_STYLE: dict[str, tuple[str, float]] = {
    "original": ("#3182bd", 1.0), "trend": ("#e6550d", 2.0),
    "seasonality": ("#31a354", 1.0), "residual": ("#756bb1", 0.8),
}


def series(data: model.Series) -> figure.Figure:
    """A line over time with concise date ticks; residuals get a zero line to read signs against."""
    fig, axes = drawing.new_figure(7.6, 3.0, (1.35, 0.3, 0.75))
    if not data.times:
        drawing.no_data(axes, "no values over time")
        return fig
    colour, width = _COMPONENT_STYLE.get(data.component, ("#3182bd", 1.0))
    axes.plot(_date_numbers(data.times), data.values, color=colour, linewidth=width)
    axes.margins(x=0)  # no date tick outside the data: a stray "29" before "Mar" reads as 29 March
    if data.component in ("residual", "seasonality"):
        axes.axhline(0.0, color="0.5", linewidth=0.8)
    _date_ticks(axes, data.times[0].tzinfo)
    drawing.compact_numbers(axes.yaxis, bins=5)
    axes.set_xlabel(f"{drawing.shorten(data.time_column, 50)} (resampled by {data.granularity})")
    axes.set_ylabel(f"{drawing.shorten(data.column, 24)}\n({data.component})")
    axes.grid(alpha=0.3)
    return fig


# matplotlib.dates ships without type hints, hence the ignores in the two helpers below.

def _date_numbers(times: tuple[dt.datetime, ...]) -> np.ndarray:
    """Matplotlib's float days; aware datetimes are converted to UTC, naive ones taken as UTC."""
    return np.asarray(dates.date2num(list(times)), dtype=float)  # type: ignore[no-untyped-call]


def _date_ticks(axes: Axes, tz: dt.tzinfo | None) -> None:
    """At most ~7 date ticks, labelled concisely (the year once, not on every tick).

    Ticks are most of a series plot's cost (each is a line and a text drawn by Agg): 7 date ticks and
    5 value bins instead of 10 and 6 drew the benchmark's 20 series in 2.1 CPU-s instead of 2.5."""
    locator = dates.AutoDateLocator(tz=tz, maxticks=7)  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(dates.ConciseDateFormatter(locator, tz=tz))  # type: ignore[no-untyped-call]
