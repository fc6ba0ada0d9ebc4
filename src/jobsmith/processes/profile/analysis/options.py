"""The knobs of the analysis, as a pydantic model that can serve as the ``profile`` process's parameters.

Kept in a module of its own with no heavy imports, so the process registry can describe the
parameters without loading DuckDB, SciPy or statsmodels.
"""

from __future__ import annotations

import pydantic


class AnalysisOptions(pydantic.BaseModel):
    """How the analysis trades exactness for time. Every figure drawn from a sample says so in the notes."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    anonymise_strings: bool = pydantic.Field(
        default=False,
        description="Show ranks instead of string values on plots (the EDP is published, the data may not be).")
    seed: int = pydantic.Field(
        default=0, ge=0, le=2**31 - 1, description="Seed of every sample, so a profile is reproducible.")
    inference_sample_rows: int = pydantic.Field(
        default=10_000, ge=100, le=1_000_000,
        description="Rows sampled (seeded) to infer the type of each text column.")
    sample_size: int = pydantic.Field(
        default=10_000, ge=100, le=1_000_000,
        description="Rows sampled (seeded) for the expensive analyses: distribution fitting and its goodness of fit.")
    distribution: bool = pydantic.Field(default=True, description="Fit the best distribution of each numeric column.")
    seasonality: bool = pydantic.Field(
        default=True, description="Decompose each numeric column over each datetime column into trend and seasonality.")
    max_columns_for_correlation: int = pydantic.Field(
        default=50, ge=2, le=500, description="Correlate at most this many numeric columns (the first ones).")
    max_series_points: int = pydantic.Field(
        default=2_000, ge=100, le=100_000,
        description="Upper bound on the length of a resampled time series (STL costs grow with length and period).")
    top_values: int = pydantic.Field(
        default=20, ge=1, le=100, description="Most frequent values shown per string column.")
    exact_max_rows: int = pydantic.Field(
        default=10_000_000, ge=0,
        description="Up to this many rows every figure but the distribution is exact. Above it, to bound memory, "
                    "unique counts are estimated (HyperLogLog) and quantiles and top-value candidates come from a "
                    "seeded sample of large_sample_rows rows (counts of the top values stay exact).")
    large_sample_rows: int = pydantic.Field(
        default=1_000_000, ge=10_000, le=10_000_000, description="Size of the seeded sample used above exact_max_rows.")
