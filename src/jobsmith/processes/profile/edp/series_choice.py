"""Which series over time are worth drawing: over the primary datetime column, from real observations.

The analysis decomposes every numeric column over every datetime column (trend and seasonality by
STL). Drawn as they come, that made 56 of a 16-column file's 73 plots, most of them noise: series
that were mostly linear interpolation between a few observations, running numbers "rising" over
time, the mean of a year column by day, and "seasonalities" that STL finds in white noise. A
series is drawn here only

- over the primary datetime column (:func:`primary_datetime`), not over every datetime column;
- for a column that is not an identifier, a code or monotonic over time (its trend is the column);
- with observations in at least two full periods and in at least half of the resampled points;

and of its components the trend and the seasonality only where they explain a notable share of the
variation (the strength measures of Wang, Smith & Hyndman 2006: 1 − var(residual) / var(component
+ residual)), the residual only beside one of them. The EDP's trend label is the analysis's verdict
over every decomposition and does not change.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import numpy as np

from jobsmith.processes.profile.analysis import temporal
from jobsmith.processes.profile.analysis.seasonality import Decomposition
from jobsmith.processes.profile.edp import column_roles

STRENGTH = 0.45
"""Trend or seasonal strength from which a component is drawn. Measured on white noise, STL's
"seasonality" reaches 0.2–0.4 and its trend 0.0–0.15; a trend of three standard deviations over
the span reaches 0.45–0.5, a sine of 1.5 standard deviations 0.6–0.7."""
OBSERVED_SHARE = 0.5
"""At least this share of the resampled points must hold observations, not interpolation."""


@dataclasses.dataclass(frozen=True)
class SeriesChoice:
    """The components of one decomposition that are drawn, and the figures that decided it."""

    components: tuple[str, ...]  # among original, trend, seasonality, residual, in that order
    observed: int  # resampled points holding observations (an upper bound, see _observed_points)
    length: int
    trend_strength: float
    seasonal_strength: float

    @property
    def interpolated(self) -> float:
        """The share of the series' points filled in between observations."""
        return max(0.0, 1 - self.observed / self.length) if self.length else 0.0


def primary_datetime(times: Iterable[temporal.DatetimeSummary]) -> temporal.DatetimeSummary | None:
    """The datetime column the rows are ordered by (monotonic), else the one with the most distinct
    timestamps; the first such column on ties. None without a datetime column holding values."""
    candidates = [t for t in times if t.count]
    if not candidates:
        return None
    return max(candidates, key=lambda t: ((t.increasing or t.decreasing) and t.unique >= temporal.MIN_UNIQUE,
                                          t.unique, -t.plan.position))


def choose(d: Decomposition) -> SeriesChoice | None:
    """What to draw of ``d``, or None when none of it is worth a plot; see the module docstring."""
    s = d.numeric
    low, high = float(s.minimum), float(s.maximum)
    if column_roles.is_identifier(integral=s.integral, count=s.count, unique=s.unique, minimum=low, maximum=high) \
            or column_roles.code_kind(integral=s.integral, minimum=low, maximum=high):
        return None
    length, observed = len(d.times), _observed_points(d)
    if observed < 2 * d.granularity.period or observed < OBSERVED_SHARE * length or _monotonic(d.observed):
        return None
    trend, seasonal = _strength(d.trend, d.residual), _strength(d.seasonal, d.residual)
    components = ("original",) + (("trend",) if trend >= STRENGTH else ()) + \
        (("seasonality",) if seasonal >= STRENGTH else ())
    if len(components) > 1:
        components += ("residual",)
    return SeriesChoice(components, observed, length, trend, seasonal)


def _observed_points(d: Decomposition) -> int:
    """Resampled points with data, bounded by the distinct timestamps at the series' time scale.

    The decomposition hands over the series with its gaps already interpolated, so the exact count
    is not at hand; the datetime column's distinct timestamps at that scale (rounded where the
    series is bucketed, so they may differ by a point or two) and the column's value count bound it.
    """
    distinct = next((found for name, found, _ in d.time.scales if name == d.granularity.name), len(d.times))
    return min(distinct, d.numeric.count, len(d.times))


def _monotonic(values: np.ndarray) -> bool:
    steps = np.diff(values[np.isfinite(values)])
    return bool(np.all(steps >= 0) or np.all(steps <= 0))


def _strength(component: np.ndarray, residual: np.ndarray) -> float:
    """1 − var(residual) / var(component + residual), clipped to [0, 1]; 0 when nothing varies."""
    total = float(np.var(component + residual))
    if not np.isfinite(total) or total <= 0:
        return 0.0
    return float(min(1.0, max(0.0, 1 - float(np.var(residual)) / total)))
