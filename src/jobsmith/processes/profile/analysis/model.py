"""The hand-over between the analysis and its outputs (plots, report, ``edp.json``).

The analysis reads the data once and produces a :class:`ProfileResult`: the EDP as a plain
JSON-ready dict (validating against ``edp-schema-0.26.1.json``) and, for every plot the EDP refers
to, a :class:`PlotRequest` holding the *small aggregate* to draw (quartiles, histogram counts, top
values, a resampled series), never the data itself. Rendering therefore needs no access to the
dataset, runs in parallel, and the EDP can name every plot's result path before any is drawn:
the path in a request is exactly the string the EDP holds (``<dataset name>/<plot>.png``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, Literal


AlertKind = Literal["constant", "unique", "missing", "high_cardinality", "skewed", "outliers", "zeros",
                    "duplicates", "correlation", "association", "mixed_types", "numeric_code"]


@dataclasses.dataclass(frozen=True)
class Alert:
    """A data-quality finding a person should see first (``alerts.json``, the report's summary).

    ``column`` is None for a finding about the whole table (duplicate rows); ``columns`` names the
    pair of a correlation or association; ``message`` is a sentence for a person.
    """

    dataset: str
    column: str | None
    kind: AlertKind
    message: str
    columns: tuple[str, ...] | None = None

    def as_json(self) -> dict[str, Any]:
        """The form of one entry of ``alerts.json``."""
        return {"dataset": self.dataset, "column": self.column,
                "columns": list(self.columns) if self.columns is not None else None,
                "kind": self.kind, "message": self.message}


@dataclasses.dataclass(frozen=True)
class ColumnDetail:
    """What the analysis knows of one column beyond the EDP's fields, for the report.

    The EDP schema has no place for these (a StringColumn has counts only), so they stay out of
    ``edp.json``. ``missing_tokens``: placeholders read as missing in a numeric or datetime column,
    with their counts, most frequent first. For string columns, the lengths of the values (in
    characters) and ``patterns``: the most frequent shapes of the values, each letter written
    ``A`` or ``a`` and each digit ``9`` (``01067`` is ``99999``, ``AB-12`` is ``AA-99``), with the
    number of values of that shape; values longer than ``strings.PATTERN_MAX_LENGTH`` share one
    entry. ``code`` marks a column kept as text because its numbers have leading zeros.
    """

    dataset: str
    column: str
    missing_tokens: tuple[tuple[str, int], ...] = ()
    min_length: int | None = None
    max_length: int | None = None
    mean_length: float | None = None
    patterns: tuple[tuple[str, int], ...] = ()
    code: bool = False


@dataclasses.dataclass(frozen=True)
class TableDetail:
    """What the analysis knows of one table beyond the EDP's fields, for the report.

    ``duplicates`` counts rows repeating an earlier row in every column (None where not counted:
    above ``exact_max_rows``, or a table of one column). ``header`` and ``rows`` are the table's
    first rows as the file holds them (cells as text, None where empty), for the report's sample;
    no rows when the values must not be shown (``anonymise_strings``).
    """

    dataset: str
    duplicates: int | None
    header: tuple[str, ...] = ()
    rows: tuple[tuple[str | None, ...], ...] = ()


@dataclasses.dataclass(frozen=True)
class BoxPlot:
    """A box plot of one numeric column, from its quartiles and Tukey whiskers (1.5 IQR)."""

    column: str
    q1: float
    median: float
    q3: float
    whisker_low: float
    whisker_high: float
    mean: float
    outliers: tuple[float, ...]  # a bounded sample of values beyond the whiskers, for dots


@dataclasses.dataclass(frozen=True)
class Histogram:
    """The distribution of one numeric column: bin edges and counts, with the fitted density."""

    column: str
    edges: tuple[float, ...]  # len(counts) + 1
    counts: tuple[int, ...]
    distribution: str | None  # e.g. "norm"; None when none was fitted
    density_x: tuple[float, ...] = ()  # the fitted probability density, to draw over the bars
    density_y: tuple[float, ...] = ()
    goodness: str = ""  # how well the fitted distribution fits, or that none fits, for the report
    log_x: bool = False  # edges grow by a constant factor: drawn on a logarithmic value axis
    label: str | None = None  # the value axis's label when it is not the column's name (lengths)


@dataclasses.dataclass(frozen=True)
class TopValues:
    """The most frequent values of a string column, most frequent first.

    With ``anonymised`` the labels are ranks ("1", "2", ...) rather than values: an EDP is
    published while its data may stay private.
    """

    column: str
    labels: tuple[str, ...]
    counts: tuple[int, ...]
    anonymised: bool
    total: int  # non-null values in the column, so the plot can show shares


@dataclasses.dataclass(frozen=True)
class Heatmap:
    """Pearson correlations between numeric columns (a square, symmetric matrix)."""

    columns: tuple[str, ...]
    matrix: tuple[tuple[float, ...], ...]


@dataclasses.dataclass(frozen=True)
class Series:
    """One component of a numeric column over a datetime column, resampled to ``granularity``.

    ``component`` is one of ``original``, ``trend``, ``seasonality``, ``residual``.
    """

    column: str
    time_column: str
    component: str
    granularity: str
    times: tuple[dt.datetime, ...]
    values: tuple[float, ...]


Figure = BoxPlot | Histogram | TopValues | Heatmap | Series


@dataclasses.dataclass(frozen=True)
class PlotRequest:
    """A plot to draw at ``path`` (relative to the output directory, POSIX separators)."""

    path: str
    title: str
    figure: Figure


@dataclasses.dataclass
class ProfileResult:
    """What the analysis hands to the writers.

    ``edp`` is the complete profile as JSON-ready data. ``notes`` say how figures were obtained
    (for example which came from a seeded sample and how large it was) and ``warnings`` are data
    quality findings; both go to the report's summary page and the job log. ``alerts`` are the
    findings by kind (``alerts.json``) and ``details`` and ``tables`` what the EDP has no field for,
    per column and per table.
    """

    edp: dict[str, Any]
    plots: list[PlotRequest] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    warnings: list[str] = dataclasses.field(default_factory=list)
    alerts: list[Alert] = dataclasses.field(default_factory=list)
    details: list[ColumnDetail] = dataclasses.field(default_factory=list)
    tables: list[TableDetail] = dataclasses.field(default_factory=list)
