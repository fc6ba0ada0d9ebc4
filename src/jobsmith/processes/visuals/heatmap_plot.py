"""The heatmap picture: a density on numeric axes, or a pivot with one labelled row and column per value."""

from __future__ import annotations

import pathlib
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable

from jobsmith.processes.visuals import outputs, table_parameters

if TYPE_CHECKING:
    from jobsmith.processes.visuals.heatmap_job import Grid

ANNOTATE_CELLS = 150
"""A pivot of at most this many cells writes each cell's number in it."""
LABEL_CHARS = 24


def quantity(params: table_parameters.HeatmapParameters) -> str:
    if params.aggregation == "count":
        return "Rows" if params.value is None else f"Count of {params.value}"
    return f"{params.aggregation.capitalize()} of {params.value}"


def draw(grid: Grid, params: table_parameters.HeatmapParameters, file: str, target: pathlib.Path) -> None:
    fig = outputs.new_figure(9, 7)
    axes = fig.add_subplot()
    cells = np.ma.masked_invalid(grid.cells)
    cmap = params.colormap
    mesh: ScalarMappable
    if grid.mode == "density":
        assert grid.x_edges is not None and grid.y_edges is not None
        mesh = axes.pcolormesh(grid.x_edges, grid.y_edges, cells, cmap=cmap, shading="flat")
    else:
        mesh = axes.imshow(cells, origin="lower", aspect="auto", cmap=cmap, interpolation="nearest")
        _categorical_ticks(axes, grid)
        if grid.cells.size <= ANNOTATE_CELLS:
            _annotate(axes, grid)
    axes.set_xlabel(_text(params.x))
    axes.set_ylabel(_text(params.y))
    fig.colorbar(mesh, ax=axes, label=_text(quantity(params)))
    fig.suptitle(_text(f"{quantity(params)} by {params.x} and {params.y}"))
    axes.set_title(_text(_subtitle(grid, params, file)), fontsize="small", color="0.3")
    outputs.save_png(fig, target)


def _subtitle(grid: Grid, params: table_parameters.HeatmapParameters, file: str) -> str:
    parts = [file, f"{grid.rows_used:,} rows"]
    if grid.mode == "density":
        parts.append(f"{params.bins} × {params.bins} bins")
    if grid.rows_skipped:
        parts.append(f"{grid.rows_skipped:,} without both values left out")
    if grid.rows_outside:
        parts.append(f"{grid.rows_outside:,} in less frequent values left out")
    return "; ".join(parts)


def _categorical_ticks(axes: Axes, grid: Grid) -> None:
    axes.set_xticks(range(len(grid.x_labels)), [_short(s) for s in grid.x_labels],
                    rotation=90 if len(grid.x_labels) > 8 else 0, fontsize="small")
    axes.set_yticks(range(len(grid.y_labels)), [_short(s) for s in grid.y_labels], fontsize="small")


def _annotate(axes: Axes, grid: Grid) -> None:
    finite = grid.cells[np.isfinite(grid.cells)]
    middle = (float(finite.min()) + float(finite.max())) / 2 if finite.size else 0.0
    for (row, column), value in np.ndenumerate(grid.cells):
        if np.isfinite(value):
            axes.text(column, row, f"{value:.4g}", ha="center", va="center", fontsize="x-small",
                      color="white" if value < middle else "black")


def _short(text: str) -> str:
    """A long label cut in its middle: values often share a beginning and differ at the end."""
    text = _text(text)
    if len(text) <= LABEL_CHARS:
        return text
    head = (LABEL_CHARS - 1) // 2
    return text[:head].rstrip() + "…" + text[-(LABEL_CHARS - 1 - head):].lstrip()


def _text(text: str) -> str:
    """Text from the data drawn literally: ``$`` would start matplotlib's mathematics."""
    return text.replace("$", r"\$").replace("\n", " ")
