"""The parameters of ``heatmap`` and ``scatterplot``; free of DuckDB and matplotlib so the registry stays cheap."""

from __future__ import annotations

from typing import Literal, Self

import pydantic

from jobsmith.processes.visuals import signal_parameters

Aggregation = Literal["count", "sum", "mean", "median", "min", "max"]


class HeatmapParameters(pydantic.BaseModel):
    """Two columns make the grid; each cell aggregates ``value`` (or counts rows)."""

    model_config = pydantic.ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"x": "longitude", "y": "latitude", "bins": 60},
        {"x": "weekday", "y": "hour", "value": "sales", "aggregation": "sum", "mode": "pivot"}]})

    x: str = pydantic.Field(min_length=1, description="The column across.")
    y: str = pydantic.Field(min_length=1, description="The column up.")
    value: str | None = pydantic.Field(None, min_length=1, description="The numeric column each cell aggregates; "
                                                                      "none to count rows.")
    aggregation: Aggregation = pydantic.Field("count", description="How a cell's rows become one number.")
    mode: Literal["auto", "density", "pivot"] = pydantic.Field("auto", description=(
        "density: numeric x and y cut into bins; pivot: one row and column per distinct value; auto: density "
        "when both are numeric."))
    bins: int = pydantic.Field(50, ge=2, le=500, description="Bins per axis of a density.")
    max_categories: int = pydantic.Field(50, ge=2, le=500, description=(
        "A pivot keeps this many of each column's most frequent values."))
    colormap: signal_parameters.Colormap = pydantic.Field("viridis", description="The matplotlib colour map.")

    @pydantic.model_validator(mode="after")
    def _value_for_aggregation(self) -> Self:
        if self.aggregation != "count" and self.value is None:
            raise ValueError(f"aggregation {self.aggregation!r} needs a value column; give value, or use count")
        return self


class ScatterParameters(pydantic.BaseModel):
    """Two numeric columns, optionally coloured by a third; large inputs are thinned to ``max_points``."""

    model_config = pydantic.ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"x": "height", "y": "weight", "color": "species"}]})

    x: str = pydantic.Field(min_length=1, description="The numeric column across.")
    y: str = pydantic.Field(min_length=1, description="The numeric column up.")
    color: str | None = pydantic.Field(None, min_length=1, description=(
        "A column colouring the points: a colour scale when numeric, one colour per value (the 10 most "
        "frequent, the rest grey) otherwise."))
    max_points: int = pydantic.Field(20_000, ge=10, le=1_000_000, description=(
        "At most this many points are drawn (and listed in the JSON): a random sample of the rows."))
    seed: int = pydantic.Field(0, ge=0, description="Seed of the sample, so the same input draws the same points.")
    colormap: signal_parameters.Colormap = pydantic.Field("viridis", description="The colour map of a numeric colour.")
