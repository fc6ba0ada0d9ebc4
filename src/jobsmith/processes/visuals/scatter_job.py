"""The run of ``scatterplot``: statistics over every row, a bounded random sample drawn.

DuckDB computes the ranges, means and correlation in one streaming pass and draws the sample with
a reservoir of ``max_points`` rows (seeded, so the same input draws the same points), so memory
holds the points drawn, never the file.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import duckdb
import numpy as np

from jobsmith.processes import context
from jobsmith.processes.visuals import outputs, scatter_plot, table_parameters, tabular

Array = np.ndarray[Any, Any]


@dataclasses.dataclass(frozen=True)
class Points:
    """The drawn points; ``colour`` numeric (float array) or categorical (strings), or None."""

    x: Array
    y: Array
    colour: Array | None
    colour_numeric: bool
    total: int
    skipped: int
    stats: dict[str, Any]

    @property
    def drawn(self) -> int:
        return int(self.x.size)


def run(ctx: context.JobContext) -> None:
    params = ctx.parameters
    if not isinstance(params, table_parameters.ScatterParameters):
        raise TypeError(f"scatterplot expects ScatterParameters, got {type(params).__name__}")
    path = tabular.single(ctx.inputs.get("table", []), "table")
    con, columns = tabular.open_table(path)
    try:
        with ctx.step("sample") as step:
            tabular.column(columns, params.x, path.name, numeric=True, role="x")
            tabular.column(columns, params.y, path.name, numeric=True, role="y")
            numeric_colour = params.color is not None and tabular.is_numeric(
                tabular.column(columns, params.color, path.name, numeric=False, role="colour"))
            points = sample(con, params, numeric_colour)
            if points.drawn == 0:
                raise context.JobFailed(f"no row of {path.name} has numbers in both {params.x!r} and {params.y!r}")
            step.message = f"{points.drawn} of {points.total - points.skipped} points drawn"
    except duckdb.Error as exc:
        raise context.JobFailed(f"{path.name} cannot be read as numbers: {tabular.first_line(exc)}") from None
    finally:
        con.close()
    ctx.progress(0.7)
    with ctx.step("draw"):
        scatter_plot.draw(points, params, path.name, ctx.output_dir / "scatterplot.png")
        outputs.write_json(document(points, params, path.name), ctx.output_dir / "scatterplot.json")
    ctx.progress(1.0)


def sample(con: duckdb.DuckDBPyConnection, params: table_parameters.ScatterParameters,
           numeric_colour: bool) -> Points:
    x, y = tabular.ident(params.x), tabular.ident(params.y)
    colour = ""
    if params.color is not None:
        cast = "DOUBLE" if numeric_colour else "VARCHAR"
        colour = f", CAST({tabular.ident(params.color)} AS {cast}) AS c"
    con.execute(f"CREATE TEMP VIEW usable AS SELECT CAST({x} AS DOUBLE) AS xv, CAST({y} AS DOUBLE) AS yv{colour} "
                f"FROM {tabular.VIEW} WHERE {x} IS NOT NULL AND {y} IS NOT NULL "
                f"AND isfinite(CAST({x} AS DOUBLE)) AND isfinite(CAST({y} AS DOUBLE))")
    row = con.execute("SELECT count(*), min(xv), max(xv), avg(xv), min(yv), max(yv), avg(yv), corr(xv, yv) "
                      "FROM usable").fetchone()
    total_row = con.execute(f"SELECT count(*) FROM {tabular.VIEW}").fetchone()
    assert row is not None and total_row is not None
    used, total = int(row[0]), int(total_row[0])
    stats = {"x": {"min": row[1], "max": row[2], "mean": row[3]}, "y": {"min": row[4], "max": row[5], "mean": row[6]},
             "correlation": row[7]}
    thinned = used > params.max_points
    query = "SELECT * FROM usable"
    if thinned:
        con.execute("SET threads = 1")  # one reservoir: the same seed draws the same rows
        query += f" USING SAMPLE reservoir({int(params.max_points)} ROWS) REPEATABLE ({int(params.seed)})"
    columns = con.execute(query).fetchnumpy()
    colours = columns.get("c")
    return Points(x=np.asarray(columns["xv"], dtype=np.float64), y=np.asarray(columns["yv"], dtype=np.float64),
                  colour=None if colours is None else _colours(colours, numeric_colour),
                  colour_numeric=numeric_colour, total=total, skipped=total - used, stats=stats)


def _colours(values: Any, numeric: bool) -> Array:
    if numeric:
        return np.ma.filled(np.ma.asarray(values, dtype=np.float64), np.nan)
    filled: Array = np.ma.filled(np.ma.asarray(values, dtype=object), None)
    return np.asarray(["" if v is None else str(v) for v in filled], dtype=object)


def document(points: Points, params: table_parameters.ScatterParameters, file: str) -> dict[str, Any]:
    drawn: dict[str, Any] = {"x": points.x, "y": points.y}
    if points.colour is not None:
        drawn["color"] = points.colour.tolist()
    return {
        "process": "scatterplot", "file": file,
        "x": {"column": params.x, **points.stats["x"]}, "y": {"column": params.y, **points.stats["y"]},
        "color": params.color, "correlation": points.stats["correlation"],
        "rows_total": points.total, "rows_skipped": points.skipped,
        "points_total": points.total - points.skipped, "points_drawn": points.drawn,
        "thinned": points.drawn < points.total - points.skipped, "points": drawn,
    }
