"""The scatter plot picture: points (thinned ones say so under the plot), coloured by a scale or by value."""

from __future__ import annotations

import pathlib
from collections import Counter
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.axes import Axes

from jobsmith.processes.visuals import outputs, table_parameters

if TYPE_CHECKING:
    from jobsmith.processes.visuals.scatter_job import Points

TOP_COLOURS = 10
OTHER = "other values"


def draw(points: Points, params: table_parameters.ScatterParameters, file: str, target: pathlib.Path) -> None:
    fig = outputs.new_figure(9, 7)
    axes = fig.add_subplot()
    size = float(np.clip(2e4 / max(points.drawn, 1), 1.0, 36.0))
    alpha = 0.9 if points.drawn < 2_000 else 0.5
    if points.colour is None:
        axes.scatter(points.x, points.y, s=size, alpha=alpha, linewidths=0, color="#1f4e79")
    elif points.colour_numeric:
        mapped = axes.scatter(points.x, points.y, c=points.colour, s=size, alpha=alpha, linewidths=0,
                              cmap=params.colormap, plotnonfinite=True)
        bar = fig.colorbar(mapped, ax=axes, label=_text(params.color or ""))
        if bar.solids is not None:
            bar.solids.set_alpha(1.0)
    else:
        _by_category(axes, points, size, alpha, params.color or "")
    axes.set_xlabel(_text(params.x))
    axes.set_ylabel(_text(params.y))
    axes.grid(True, color="0.9", linewidth=0.6)
    axes.set_axisbelow(True)
    fig.suptitle(_text(f"{params.y} against {params.x}"))
    axes.set_title(_text(f"{file}; {drawn_note(points)}"), fontsize="small", color="0.3")
    outputs.save_png(fig, target)


def _by_category(axes: Axes, points: Points, size: float, alpha: float, column: str) -> None:
    assert points.colour is not None
    labels = np.asarray(points.colour, dtype=object)
    top = [value for value, _ in Counter(labels.tolist()).most_common(TOP_COLOURS)]
    rest = ~np.isin(labels, top)
    if rest.any():
        axes.scatter(points.x[rest], points.y[rest], s=size, alpha=alpha, linewidths=0, color="0.7", label=OTHER)
    palette = [f"C{i}" for i in range(TOP_COLOURS)]
    for colour, value in zip(palette, top, strict=False):
        chosen = labels == value
        axes.scatter(points.x[chosen], points.y[chosen], s=size, alpha=alpha, linewidths=0, color=colour,
                     label=_text(value or "(empty)")[:30])
    axes.legend(title=_text(column), fontsize="small", markerscale=max(1.0, 6 / size ** 0.5), loc="best")


def drawn_note(points: Points) -> str:
    """How many points the figure shows, of how many: a thinned plot must say it is one."""
    usable = points.total - points.skipped
    if points.drawn < usable:
        text = f"{points.drawn:,} of {usable:,} points drawn (a random sample)"
    else:
        text = f"all {usable:,} points drawn"
    if points.skipped:
        text += f"; {points.skipped:,} rows without both numbers left out"
    return text


def _text(text: str) -> str:
    return text.replace("$", r"\$").replace("\n", " ")
