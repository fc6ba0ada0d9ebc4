"""Draw the profile's plots (PNG) from the small aggregates in :class:`model.PlotRequest`.

:mod:`.charts` draws each kind of figure (with what all share from :mod:`.drawing`); here the
title goes on, text of other scripts gets its fonts (:mod:`.fonts`), and the figure becomes a PNG.
No global rcParams are changed: a plot's fonts are set in an ``rc_context`` around it alone.

The same request gives the same PNG bytes: Agg draws deterministically and Pillow writes no
varying metadata (no ``Software`` version string, no time). PNGs carry no hash salt (that is an
SVG setting), so nothing else needs pinning.

Plots are drawn by a pool of forked processes when there are enough of them to pay for it (see
:data:`PARALLEL_MIN`). ``fork`` rather than ``forkserver``: a forked child inherits the imported
matplotlib and starts at once, while a forkserver child re-imports matplotlib and re-runs the
parent's ``__main__`` module (measured on 2 cores for 33 plots: serial 6.7 s, forkserver 4.8 s,
fork 3.7 s, on a loaded machine). The job host runs no threads of its own (it is itself forked,
see ``jobsmith.execution.host``); if the analysis left DuckDB threads behind, the children never
call DuckDB, and logging re-creates its locks in a forked child, so no lock held at fork time is
ever waited for.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import multiprocessing
import pathlib
import textwrap
from collections.abc import Callable, Iterator, Sequence

import matplotlib
import numpy as np
from matplotlib import figure
from matplotlib.backends import backend_agg
from PIL import Image

from jobsmith.processes import context
from jobsmith.processes.profile.analysis import model
from jobsmith.processes.profile.report import charts, drawing, fonts

PNG_COMPRESSION = 3
"""zlib level of the PNGs: measured on the 200 MB benchmark's 32 plots, level 3 encodes in 0.24 CPU-s
what the default 6 does in 0.41-0.53, for files 6 % larger."""

OFFSET_DIGITS = 6
"""Tick labels share an offset only when it saves this many digits (``200.012`` stays as it is
rather than ``0.012`` with ``+2e2`` in a corner); shared factors read ``×10⁵`` as in the report."""

PARALLEL_MIN = 6
"""Fewer plots than this are drawn in this process: forking a pool and loading fonts in each child
costs about as much as drawing ~4 plots (measured ~0.1-0.2 s per plot)."""

def render(requests: Sequence[model.PlotRequest], output_dir: pathlib.Path, *, workers: int = 2,
           stop: Callable[[], bool] = lambda: False) -> list[str]:
    """Draw every request to ``output_dir / request.path``; return the paths drawn, in request order.

    Directories (``<dataset name>/``) are created. A request whose path would leave ``output_dir``,
    or that another request also names, is refused before anything is drawn. Errors in a worker
    are raised here. Once ``stop()`` is true (the job was asked to stop), no further plot starts
    and :class:`context.Cancelled` is raised: a wide table has hundreds of plots to draw.
    """
    targets = [resolve(output_dir, request.path) for request in requests]
    if len(set(targets)) < len(targets):
        raise ValueError("two plot requests name the same path; one plot would overwrite the other")
    for target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
    jobs = list(zip(requests, targets))
    if workers <= 1 or len(jobs) < PARALLEL_MIN:
        _draw_many(jobs, stop)
    else:  # the first plot here loads fonts and fills text caches once, for every forked child
        _draw_many(jobs[:1], stop)
        _draw_in_pool(jobs[1:], workers, stop)
    return [request.path for request in requests]


def resolve(output_dir: pathlib.Path, path: str) -> pathlib.Path:
    """The file of a result path (relative, POSIX); refuses absolute paths and ``..`` escapes."""
    relative = pathlib.PurePosixPath(path)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise ValueError(f"plot path {path!r} must be a relative path inside the results")
    return output_dir.joinpath(*relative.parts)


def _draw_in_pool(jobs: list[tuple[model.PlotRequest, pathlib.Path]], workers: int, stop: Callable[[], bool]) -> None:
    """Hand the plots out one at a time to ``workers`` forked processes, so a worker that got the
    slow plots does not hold up the rest (a request is a few KB to pickle)."""
    fork = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=fork) as pool:
        for _ in pool.map(draw, [request for request, _ in jobs], [target for _, target in jobs]):
            if stop():
                pool.shutdown(wait=False, cancel_futures=True)  # the plots not yet started never start
                raise context.Cancelled("the job was asked to stop")


def _draw_many(jobs: list[tuple[model.PlotRequest, pathlib.Path]], stop: Callable[[], bool]) -> None:
    for request, target in jobs:
        if stop():
            raise context.Cancelled("the job was asked to stop")
        draw(request, target)


def draw(request: model.PlotRequest, target: pathlib.Path) -> None:
    """Draw one request to ``target`` (whose directory must exist) as an RGB PNG.

    Every figure is opaque (white), so the alpha channel ``savefig`` writes says nothing, yet it
    costs the PNG encoder a quarter more bytes to compress and the PDF report a split into a soft
    mask per image; the Agg buffer without it is saved directly.
    """
    with matplotlib.rc_context({"font.family": fonts.matplotlib_families(_texts(request)),
                                "axes.formatter.use_mathtext": True, "axes.formatter.offset_threshold": OFFSET_DIGITS}):
        fig = _figure_for(request)
        canvas = backend_agg.FigureCanvasAgg(fig)
        canvas.draw()  # type: ignore[no-untyped-call]  # Agg's canvas ships without type hints
    pixels = np.ascontiguousarray(np.asarray(canvas.buffer_rgba())[..., :3])  # type: ignore[no-untyped-call]
    Image.fromarray(pixels).save(target, format="png", dpi=(drawing.DPI, drawing.DPI),
                                 compress_level=PNG_COMPRESSION)


def _texts(request: model.PlotRequest) -> Iterator[str]:
    """Every text of a request that comes from the data: its title, names, labels."""
    yield request.title
    for field in dataclasses.fields(request.figure):
        value = getattr(request.figure, field.name)
        if isinstance(value, str):
            yield value
        elif isinstance(value, tuple) and value and isinstance(value[0], str):
            yield from value


def _figure_for(request: model.PlotRequest) -> figure.Figure:
    """Pick the drawer for the aggregate's kind; the title (and its details) is shared by all kinds."""
    data = request.figure
    if isinstance(data, model.BoxPlot):
        fig = charts.box_plot(data)
    elif isinstance(data, model.Histogram):
        fig = charts.histogram(data)
    elif isinstance(data, model.TopValues):
        fig = charts.top_values(data)
    elif isinstance(data, model.Heatmap):
        fig = charts.heatmap(data)
    else:
        fig = charts.series(data)
    _title(fig, request.title)
    return fig


def _title(fig: figure.Figure, text: str) -> None:
    """The first line of ``text`` as the title; further lines, smaller and grey, as details under it.

    A figure with fixed margins grows by the lines beyond one title line, so its axes keep their size.
    """
    heading, *details = text.split("\n")
    width, height = fig.get_size_inches()
    title = textwrap.fill(drawing.literal(heading), width=int(width * 9.5))
    small = textwrap.fill(" · ".join(drawing.literal(line) for line in details), width=int(width * 13.5))
    title_inches = 0.21 * (title.count("\n") + 1)
    detail_inches = 0.16 * (small.count("\n") + 1) + 0.04 if details else 0.0
    fixed = fig.get_layout_engine() is None
    if fixed:  # fixed margins: the top leaves room for the title's and the details' lines
        bottom = fig.subplotpars.bottom * height
        grown = height + title_inches - 0.21 + detail_inches
        fig.set_size_inches(width, grown)
        fig.subplots_adjust(top=1 - (0.3 + title_inches + detail_inches) / grown, bottom=bottom / grown)
        height = grown
    fig.suptitle(title, fontsize=12, y=1 - 0.1 / height, va="top")
    if details:
        fig.text(0.5, 1 - (0.16 + title_inches) / height, small, ha="center", va="top", fontsize=8.5, color="0.3")
