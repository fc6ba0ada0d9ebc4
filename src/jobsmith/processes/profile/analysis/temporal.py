"""Datetime columns: temporal cover, uniqueness, monotonicity, temporal consistency and periodicity.

Meanings are the old service's (FIELDS.md): at each time scale from microseconds to years,
``differentAbundancies`` counts distinct timestamps after rounding to the nearest multiple of the
scale (months are 30 days, years 365, as there), ``numberOfGaps`` counts consecutive distinct
timestamps further apart than the scale, and the periodicity is the scale where distinct minus
gaps is largest (the finest on ties). With fewer than 15 distinct timestamps none of this is
meaningful and the list stays empty. Monotonicity follows row order, ignoring empty cells.

Cost: one window over the timestamps sorted with their row ids gives the unique count,
monotonicity and all nine scales at once (a timestamp's predecessor is ``epoch - delta``, so no
second sort; repeated timestamps have delta 0 and change nothing, so no DISTINCT is needed).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import duckdb

from jobsmith.processes.profile.analysis import placeholders
from jobsmith.processes.profile.analysis.infer import ColumnPlan
from jobsmith.processes.profile.analysis.sqlbits import Aggregates, number

MIN_UNIQUE = 15
ROUNDING = 1.5 * 2**52
"""A double below :data:`ROUNDING_REACH` in magnitude plus this is rounded by IEEE arithmetic to a whole
number, halves to even: ``x + ROUNDING`` equals ``y + ROUNDING`` exactly when ``round_even(x, 0)``
equals ``round_even(y, 0)``."""
ROUNDING_REACH = 2**50
ISO_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"


@dataclasses.dataclass(frozen=True)
class Granularity:
    """A time scale: its length, how many steps make a seasonal period, and its SQL bucket width."""

    name: str
    micros: int
    period: int
    interval: str


_SECOND, _DAY = 1_000_000, 86_400_000_000
GRANULARITIES = (
    Granularity("microseconds", 1, 1000, "1 microsecond"),
    Granularity("milliseconds", 1000, 1000, "1 millisecond"),
    Granularity("seconds", _SECOND, 60, "1 second"),
    Granularity("minutes", 60 * _SECOND, 60, "1 minute"),
    Granularity("hours", 3600 * _SECOND, 24, "1 hour"),
    Granularity("days", _DAY, 7, "1 day"),
    Granularity("weeks", 7 * _DAY, 4, "7 days"),
    Granularity("months", 30 * _DAY, 12, "1 month"),
    Granularity("years", 365 * _DAY, 10, "1 year"),
)
BY_NAME = {g.name: g for g in GRANULARITIES}


@dataclasses.dataclass
class DatetimeSummary:
    """What the EDP says about one datetime column."""

    plan: ColumnPlan
    count: int = 0
    nulls: int = 0
    inconsistent: int = 0
    unique: int = 0
    earliest: str | None = None
    latest: str | None = None
    first_us: int = 0
    last_us: int = 0
    first_row: int = 0  # the first and last timestamp in row order (epoch microseconds)
    last_row: int = 0
    increasing: bool = True
    decreasing: bool = True
    scales: list[tuple[str, int, int]] = dataclasses.field(default_factory=list)  # name, distinct, gaps

    @property
    def periodicity(self) -> str | None:
        if not self.scales:
            return None
        return max(self.scales, key=lambda scale: (scale[1] - scale[2], -GRANULARITIES.index(BY_NAME[scale[0]])))[0]

    @property
    def consistencies(self) -> list[dict[str, object]]:
        return [{"timeScale": name, "differentAbundancies": distinct, "stable": distinct == 1, "numberOfGaps": gaps}
                for name, distinct, gaps in self.scales]


class DatetimeAnalysis:
    """Registers the first-scan aggregates of one column and reads them back."""

    def __init__(self, plan: ColumnPlan) -> None:
        self.summary = DatetimeSummary(plan)
        self._slots: dict[str, int] = {}

    def _reader(self, batch: Aggregates) -> Callable[[str], Any]:
        """Read back the result of the aggregate this analysis registered under ``key``."""

        def get(key: str) -> Any:
            return batch.value(self._slots[key])

        return get

    def plan_first(self, batch: Aggregates) -> None:
        c, z = self.summary.plan.column, self.summary.plan.flag
        self._slots = {
            "count": batch.add(f"count({c})"), "nulls": batch.add(f"count(*) FILTER ({placeholders.missing(z)})"),
            "inconsistent": batch.add(f"count(*) FILTER ({placeholders.inconsistent(z)})"),
            "earliest": batch.add(f"strftime(min({c}), '{ISO_FORMAT}')"),
            "latest": batch.add(f"strftime(max({c}), '{ISO_FORMAT}')"),
            "first_us": batch.add(f"epoch_us(min({c}))"), "last_us": batch.add(f"epoch_us(max({c}))"),
            "first_row": batch.add(f"epoch_us(arg_min({c}, rowid) FILTER ({c} IS NOT NULL))"),
            "last_row": batch.add(f"epoch_us(arg_max({c}, rowid) FILTER ({c} IS NOT NULL))"),
        }

    def read_first(self, batch: Aggregates) -> None:
        s, get = self.summary, self._reader(batch)
        s.count, s.nulls, s.inconsistent = int(get("count")), int(get("nulls")), int(get("inconsistent"))
        if s.count:
            s.earliest, s.latest = _iso(get("earliest"), s.plan.utc), _iso(get("latest"), s.plan.utc)
            s.first_us, s.last_us = int(get("first_us")), int(get("last_us"))
            s.first_row, s.last_row = int(get("first_row")), int(get("last_row"))


def measure_scales(con: duckdb.DuckDBPyConnection, table: str, summary: DatetimeSummary) -> None:
    """Unique count, monotonicity and, with enough distinct timestamps, the nine temporal consistencies.

    One sort by (timestamp, row id) serves all: the timestamps never decrease in row order
    exactly when the row ids increase along that sort, so monotonicity costs no second sort.
    """
    c = summary.plan.column
    reach = max(abs(summary.first_us), abs(summary.last_us))
    scales = []
    for g in GRANULARITIES:
        scales.append(f"count(*) FILTER (d IS NULL OR {_bucket_changed(g.micros, reach)})")
        scales.append(f"count(*) FILTER (d > {g.micros})")
    row = con.execute(
        f"WITH w AS (SELECT e, e - lag(e) OVER o AS d, r < lag(r) OVER o AS back "
        f"FROM (SELECT epoch_us({c}) AS e, rowid AS r FROM {table} WHERE {c} IS NOT NULL) WINDOW o AS (ORDER BY e, r)) "
        f"SELECT count(*) FILTER (d IS NULL OR d > 0), count(*) FILTER (back), {', '.join(scales)} FROM w").fetchone()
    assert row is not None
    summary.unique = int(row[0])
    summary.increasing = int(row[1]) == 0
    summary.decreasing = summary.unique <= 1 or (not summary.increasing and summary.first_row >= summary.last_row
                                                  and _never_rises(con, table, c))
    if summary.unique >= MIN_UNIQUE:
        summary.scales = [(g.name, int(row[2 + 2 * i]), int(row[3 + 2 * i])) for i, g in enumerate(GRANULARITIES)]


def _bucket_changed(micros: int, reach: int) -> str:
    """SQL true when a timestamp ``e`` rounds to another multiple of ``micros`` than its predecessor ``e - d``.

    Timestamps a whole scale apart always round apart: only closer ones need the divisions. The
    rounding is ``round_even(e / micros, 0)``'s, but where the quotients stay below
    :data:`ROUNDING_REACH` it is done by adding :data:`ROUNDING`: the same integers (halves to
    even), and the scales' part of the window query in half its CPU time (0.6 of 1.1 s at 200 MB).
    """
    if micros == 1:
        return "d > 0"
    if reach // micros < ROUNDING_REACH:
        now, before = f"e / {micros} + {number(ROUNDING)}", f"(e - d) / {micros} + {number(ROUNDING)}"
    else:
        now, before = f"round_even(e / {micros}, 0)", f"round_even((e - d) / {micros}, 0)"
    return f"d >= {micros} OR (d > 0 AND {now} <> {before})"


def _never_rises(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    """Whether the timestamps never increase in row order: row ids increase along (timestamp desc, row id).

    Only asked when the first timestamp is not before the last and the column is not increasing,
    which is rare, so the second sort is rarely paid for.
    """
    breaks = con.execute(
        f"SELECT count(*) FILTER (back) FROM (SELECT r < lag(r) OVER (ORDER BY e DESC, r) AS back "
        f"FROM (SELECT {column} AS e, rowid AS r FROM {table} WHERE {column} IS NOT NULL))").fetchone()
    return breaks is not None and int(breaks[0]) == 0


def _iso(text: str, utc: bool) -> str:
    """``2016-01-01T00:03:14`` (fraction only when there is one); ``Z`` for values converted to UTC."""
    if text.endswith(".000000"):
        text = text[: -len(".000000")]
    return text + ("Z" if utc else "")
