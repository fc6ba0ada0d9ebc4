"""``scatterplot``: two numeric columns of a table, optionally coloured by a third."""

from __future__ import annotations

from jobsmith.processes import context, registry
from jobsmith.processes.visuals import heatmap, table_parameters


@registry.process("scatterplot", title="Scatter plot of two columns", version="1.0.0", inputs=[heatmap.TABLE],
                  parameters=table_parameters.ScatterParameters, outputs=["scatterplot.png", "scatterplot.json"])
def scatterplot(ctx: context.JobContext) -> None:
    """y against x for every row with both, coloured by a third column if asked. More rows than
    ``max_points`` are thinned to a random sample of that many, and the figure says how many it drew;
    the JSON holds the drawn points and statistics (ranges, means, correlation) over all rows."""
    from jobsmith.processes.visuals import scatter_job

    scatter_job.run(ctx)
