"""``heatmap``: a 2-D density or pivot of two columns of a table, each cell an aggregate."""

from __future__ import annotations

from jobsmith.processes import context, registry
from jobsmith.processes.visuals import table_parameters

TABLE = registry.FileInput("table", "A CSV, TSV or Parquet file.", required=True, multiple=False,
                           media_types=("text/csv", "text/tab-separated-values", "application/vnd.apache.parquet"))


@registry.process("heatmap", title="Heatmap of two columns", version="1.0.0", inputs=[TABLE],
                  parameters=table_parameters.HeatmapParameters, outputs=["heatmap.png", "heatmap.json"])
def heatmap(ctx: context.JobContext) -> None:
    """Numeric x and y binned into a grid (density), or their distinct values crossed (pivot); each cell
    counts its rows or aggregates a value column. DuckDB streams the file, so only the grid is held."""
    from jobsmith.processes.visuals import heatmap_job

    heatmap_job.run(ctx)
