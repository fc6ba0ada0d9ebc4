"""The run of ``heatmap``: aggregate the grid in DuckDB, draw it, write its numbers.

A density cuts x and y into ``bins`` equal bins between their minimum and maximum, as
``numpy.histogram2d`` does (the last bin holds the maximum; a column of one value gets the range
value ± 0.5). A pivot crosses the ``max_categories`` most frequent values of each column. Rows
missing x or y (or with a non-finite number) are skipped and counted.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import duckdb
import numpy as np

from jobsmith.processes import context
from jobsmith.processes.visuals import heatmap_plot, outputs, table_parameters, tabular

Array = np.ndarray[Any, Any]
_SQL_AGGREGATE = {"sum": "sum", "mean": "avg", "median": "median", "min": "min", "max": "max"}


@dataclasses.dataclass(frozen=True)
class Grid:
    """Cells indexed ``[y][x]``; NaN where no row fell (0 for counts)."""

    mode: str
    x_labels: list[str]
    y_labels: list[str]
    x_edges: list[float] | None
    y_edges: list[float] | None
    cells: Array
    rows_total: int
    rows_used: int
    rows_skipped: int
    rows_outside: int = 0


def run(ctx: context.JobContext) -> None:
    params = ctx.parameters
    if not isinstance(params, table_parameters.HeatmapParameters):
        raise TypeError(f"heatmap expects HeatmapParameters, got {type(params).__name__}")
    path = tabular.single(ctx.inputs.get("table", []), "table")
    con, columns = tabular.open_table(path)
    try:
        with ctx.step("aggregate") as step:
            mode = _mode(params, columns, path.name)
            grid = (density if mode == "density" else pivot)(con, params)
            step.message = f"{mode}: {grid.cells.shape[1]} × {grid.cells.shape[0]} cells from {grid.rows_used} rows"
            if grid.rows_used == 0:
                raise context.JobFailed(f"no row of {path.name} has both {params.x!r} and {params.y!r}")
    except duckdb.Error as exc:
        raise context.JobFailed(f"{path.name} cannot be aggregated: {tabular.first_line(exc)}") from None
    finally:
        con.close()
    ctx.progress(0.8)
    with ctx.step("draw"):
        heatmap_plot.draw(grid, params, path.name, ctx.output_dir / "heatmap.png")
        outputs.write_json(document(grid, params, path.name), ctx.output_dir / "heatmap.json")
    ctx.progress(1.0)


def _mode(params: table_parameters.HeatmapParameters, columns: dict[str, str], file: str) -> str:
    numeric_needed = params.mode == "density"
    x_kind = tabular.column(columns, params.x, file, numeric=numeric_needed, role="x of a density")
    y_kind = tabular.column(columns, params.y, file, numeric=numeric_needed, role="y of a density")
    if params.value is not None:
        tabular.column(columns, params.value, file, numeric=params.aggregation != "count",
                       role=f"value to {params.aggregation}")
    if params.mode != "auto":
        return params.mode
    return "density" if tabular.is_numeric(x_kind) and tabular.is_numeric(y_kind) else "pivot"


def _aggregate(params: table_parameters.HeatmapParameters, value: str) -> str:
    if params.aggregation == "count":
        return "count(*)" if params.value is None else f"count({value})"
    return f"{_SQL_AGGREGATE[params.aggregation]}({value})"


def density(con: duckdb.DuckDBPyConnection, params: table_parameters.HeatmapParameters) -> Grid:
    value = f", CAST({tabular.ident(params.value)} AS DOUBLE) AS v" if params.value else ""
    source = (f"(SELECT CAST({tabular.ident(params.x)} AS DOUBLE) AS xv, CAST({tabular.ident(params.y)} AS DOUBLE)"
              f" AS yv{value} FROM {tabular.VIEW})")
    usable = "xv IS NOT NULL AND yv IS NOT NULL AND isfinite(xv) AND isfinite(yv)"
    row = con.execute(f"SELECT count(*), count(*) FILTER (WHERE {usable}), min(xv) FILTER (WHERE {usable}), "
                      f"max(xv) FILTER (WHERE {usable}), min(yv) FILTER (WHERE {usable}), "
                      f"max(yv) FILTER (WHERE {usable}) FROM {source}").fetchone()
    assert row is not None
    total, used = int(row[0]), int(row[1])
    if used == 0:
        return Grid("density", [], [], [], [], np.zeros((0, 0)), total, 0, total)
    (x_low, x_high), (y_low, y_high) = _range(row[2], row[3]), _range(row[4], row[5])
    bins = params.bins
    index = "LEAST(CAST(floor((({col}) - ?) * ?) AS BIGINT), ?)"
    cells = con.execute(
        f"SELECT {index.format(col='xv')} AS cx, {index.format(col='yv')} AS cy, {_aggregate(params, 'v')} "
        f"FROM {source} WHERE {usable} GROUP BY ALL",
        [x_low, bins / (x_high - x_low), bins - 1, y_low, bins / (y_high - y_low), bins - 1]).fetchall()
    grid = _empty(params, bins, bins)
    for bx, by, aggregate in cells:
        grid[int(by), int(bx)] = np.nan if aggregate is None else float(aggregate)
    x_edges, y_edges = np.linspace(x_low, x_high, bins + 1), np.linspace(y_low, y_high, bins + 1)
    return Grid("density", _centres(x_edges), _centres(y_edges), x_edges.tolist(), y_edges.tolist(), grid,
                total, used, total - used)


def _range(low: float, high: float) -> tuple[float, float]:
    return (low - 0.5, high + 0.5) if low == high else (float(low), float(high))


def _centres(edges: Array) -> list[str]:
    return [f"{(a + b) / 2:.6g}" for a, b in zip(edges[:-1], edges[1:], strict=True)]


def _empty(params: table_parameters.HeatmapParameters, rows: int, columns: int) -> Array:
    return np.zeros((rows, columns)) if params.aggregation == "count" else np.full((rows, columns), np.nan)


def pivot(con: duckdb.DuckDBPyConnection, params: table_parameters.HeatmapParameters) -> Grid:
    x, y = tabular.ident(params.x), tabular.ident(params.y)
    present = f"{x} IS NOT NULL AND {y} IS NOT NULL"
    row = con.execute(f"SELECT count(*), count(*) FILTER (WHERE {present}) FROM {tabular.VIEW}").fetchone()
    assert row is not None
    total, present_rows = int(row[0]), int(row[1])
    x_keys = _categories(con, params.x, present, params.max_categories)
    y_keys = _categories(con, params.y, present, params.max_categories)
    con.execute("CREATE TEMP TABLE kx AS SELECT unnest(?::VARCHAR[]) AS k", [x_keys])
    con.execute("CREATE TEMP TABLE ky AS SELECT unnest(?::VARCHAR[]) AS k", [y_keys])
    value = tabular.ident(params.value) if params.value else "NULL"
    value = f"CAST({value} AS DOUBLE)" if params.value and params.aggregation != "count" else value
    kept = (f"FROM {tabular.VIEW} WHERE {present} AND CAST({x} AS VARCHAR) IN (SELECT k FROM kx) "
            f"AND CAST({y} AS VARCHAR) IN (SELECT k FROM ky)")
    cells = con.execute(f"SELECT CAST({x} AS VARCHAR), CAST({y} AS VARCHAR), {_aggregate(params, value)}, count(*) "
                        f"{kept} GROUP BY ALL").fetchall()
    grid = _empty(params, len(y_keys), len(x_keys))
    x_at, y_at = {k: i for i, k in enumerate(x_keys)}, {k: i for i, k in enumerate(y_keys)}
    used = 0
    for kx, ky, aggregate, count in cells:
        grid[y_at[ky], x_at[kx]] = np.nan if aggregate is None else float(aggregate)
        used += int(count)
    return Grid("pivot", x_keys, y_keys, None, None, grid, total, used, total - present_rows,
                present_rows - used)


def _categories(con: duckdb.DuckDBPyConnection, column: str, present: str, limit: int) -> list[str]:
    """The ``limit`` most frequent values of ``column`` (ties by value), in the column's own order."""
    name = tabular.ident(column)
    rows = con.execute(f"SELECT CAST({name} AS VARCHAR) AS k, min({name}) AS sortkey, count(*) AS n "
                       f"FROM {tabular.VIEW} WHERE {present} GROUP BY k ORDER BY n DESC, k LIMIT ?",
                       [limit]).fetchall()
    return [str(k) for k, _, _ in sorted(rows, key=lambda r: r[1])]


def document(grid: Grid, params: table_parameters.HeatmapParameters, file: str) -> dict[str, Any]:
    """The grid as a web page would draw it: labels (and edges of a density) per axis, cells by [y][x]."""
    def axis(column: str, labels: list[str], edges: list[float] | None) -> dict[str, Any]:
        described: dict[str, Any] = {"column": column, "labels": labels}
        if edges is not None:
            described["edges"] = edges
        return described

    return {
        "process": "heatmap", "file": file, "mode": grid.mode, "aggregation": params.aggregation,
        "value": params.value, "x": axis(params.x, grid.x_labels, grid.x_edges),
        "y": axis(params.y, grid.y_labels, grid.y_edges), "cells": grid.cells,
        "rows_total": grid.rows_total, "rows_used": grid.rows_used, "rows_skipped": grid.rows_skipped,
        "rows_outside_categories": grid.rows_outside,
    }
