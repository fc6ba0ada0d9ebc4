"""Each column's part of the report: a line on what it is, its figures, remarks, and the overview table.

Every figure of one column is written alike (:mod:`.numbers`): a year column's minimum and mean
both without thousands separators, timestamps of a date column as dates. Remarks say why a plot
one might expect is absent (an identifier has no histogram), so a short section reads as decided,
not as broken.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from jobsmith.processes.profile.analysis import distribution, first_rows, model
from jobsmith.processes.profile.edp import column_roles
from jobsmith.processes.profile.report import content, numbers, view_summary

KINDS = ("numeric", "datetime", "string")
HISTOGRAM_MIN_UNIQUE = 16
TOP_SHOWN = 3
DISTINCT_SHARE_FROM = 0.01
"""The distinct count's share of the values is shown from 1 % on: "4 (<0.1 %)" says nothing."""


def columns_of(dataset: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """The dataset's columns with their kind: numeric, then datetime, then string ones (the EDP's lists)."""
    for kind in KINDS:
        for column in dataset.get(f"{kind}Columns") or []:
            yield kind, column


def hidden_plots(dataset: Mapping[str, Any]) -> set[str]:
    """Plots the EDP names (the schema requires them) that show nothing: the box plot of a constant
    column (a line), of an identifier (the range of a running number) and of a date code (numbers
    like 20240131 on a linear axis: a month is 100 apart, a year 10 000, and the ticks read 2.024 × 10⁷)."""
    return {str(column["boxPlot"]) for column in dataset.get("numericColumns") or []
            if isinstance(column.get("boxPlot"), str) and (int(column.get("numberUnique") or 0) <= 1
                                                           or _identifier(column) or _date_code(column))}


def _date_code(column: Mapping[str, Any]) -> bool:
    bounds = _bounds(column)
    return bounds is not None and column_roles.code_kind(integral=_integral(column), minimum=bounds[0],
                                                         maximum=bounds[1]) == "date code"


def _identifier(column: Mapping[str, Any]) -> bool:
    bounds = _bounds(column)
    return bounds is not None and column_roles.is_identifier(
        integral=_integral(column), count=int(column.get("interpretableCount") or 0),
        unique=int(column.get("numberUnique") or 0), minimum=bounds[0], maximum=bounds[1])


def _integral(column: Mapping[str, Any]) -> bool:
    return str(column.get("dataType") or "").startswith(("Int", "UInt"))


def overview_table(dataset: Mapping[str, Any], anchors: list[str]) -> content.Table:
    """Every column with its type, values, missing values (with a bar of their share) and distinct values."""
    rows, shares = [], []
    for kind, column in columns_of(dataset):
        total = _total(column)
        missing = int(column.get("nullCount") or 0)
        shares.append(missing / total if total else 0.0)
        rows.append((str(column["name"]), kind, str(column.get("dataType") or column.get("format") or ""),
                     numbers.number(int(column.get("interpretableCount") or 0)), _with_share(missing, total),
                     numbers.number(int(column.get("inconsistentCount") or 0)),
                     numbers.number(int(column.get("numberUnique") or 0))))
    header = ("Column", "Type", "Stored as / format", "Values", "Missing", "Not of its type", "Distinct")
    return content.Table("Columns and missing values", header, rows, (3.2, 1.1, 1.5, 1.1, 1.8, 1.1, 1.1),
                         links=anchors, bars=(4, shares))


def sample_table(table: model.TableDetail | None) -> list[content.Table]:
    """The table's first rows turned on their side, a line per column and a column per row, so a
    table of 40 columns still fits the page's width; empty cells shown as such, long ones cut."""
    if table is None or not table.header:
        return []
    if not table.rows:
        return [content.Table("First rows", ("Column", "Row 1"), [(name, "") for name in table.header], (3, 7),
                              note="The table has no rows.")]
    rows = [(name, *(_cell(row[i]) for row in table.rows)) for i, name in enumerate(table.header)]
    header = ("Column", *(f"Row {number}" for number in range(1, len(table.rows) + 1)))
    note = (f"The first {len(table.rows):,} rows as the file holds them (cells longer than "
            f"{first_rows.CELL_CHARACTERS} characters cut, marked …).")
    return [content.Table("First rows", header, rows, (3, *([7 / len(table.rows)] * len(table.rows))), note=note)]


def _cell(value: str | None) -> str:
    return "(empty)" if value is None else value


def _total(column: Mapping[str, Any]) -> int:
    """The column's rows: values, missing and inconsistent ones."""
    return sum(int(column.get(key) or 0) for key in ("nullCount", "inconsistentCount", "interpretableCount"))


def _with_share(count: int, total: int) -> str:
    return f"{numbers.number(count)} ({numbers.share(count / total)})" if count and total else numbers.number(count)


def column_section(kind: str, column: Mapping[str, Any], anchor: str, plots: list[content.Plot], alerts: list[str],
                   requests: Mapping[str, model.PlotRequest],
                   detail: model.ColumnDetail | None = None) -> content.ColumnSection:
    """One column's section; ``plots`` are those to show, ``alerts`` the messages about it, ``detail``
    what the analysis knows beyond the EDP (lengths and shapes of text, placeholders read as missing)."""
    if kind == "numeric":
        summary, facts, remarks = _numeric(column, requests)
    elif kind == "datetime":
        summary, facts, remarks = _datetime(column)
    else:
        summary, facts, remarks = _string(column, requests)
    if detail is not None:
        facts = facts + detail_facts(detail)
    return content.ColumnSection(str(column["name"]), anchor, summary, facts, alerts, remarks, plots)


def detail_facts(detail: model.ColumnDetail) -> list[tuple[str, str]]:
    """Lengths and shapes of a text column's values, and the placeholders read as missing, as facts."""
    facts = []
    if detail.min_length is not None and detail.max_length is not None:
        facts.append(("Lengths", lengths(detail.min_length, detail.max_length, detail.mean_length)))
    if detail.patterns:
        facts.append(("Shapes", ", ".join(f"{shape} ({count:,}×)" for shape, count in detail.patterns)))
    if detail.missing_tokens:
        facts.append(("Read as missing", ", ".join(f"'{token}' ({count:,}×)" for token, count in detail.missing_tokens)))
    return facts


def lengths(shortest: int, longest: int, mean: float | None) -> str:
    """``3 to 162 characters (mean 74.9)``, or ``12 characters each`` when all are as long."""
    if shortest == longest:
        return f"{numbers.number(shortest)} character{'s' if shortest != 1 else ''} each"
    said = f" (mean {numbers.number(round(mean, 1))})" if mean is not None else ""
    return f"{numbers.number(shortest)} to {numbers.number(longest)} characters{said}"


Parts = tuple[str, list[tuple[str, str]], list[str]]
"""A column's summary line, its facts (label, value) and its remarks."""


def _counts(column: Mapping[str, Any], wrong: str) -> list[tuple[str, str]]:
    """Values, missing, inconsistent and distinct, with their shares of the column's rows."""
    total, values = _total(column), int(column.get("interpretableCount") or 0)
    facts = [("Values", _with_share(values, total)), ("Missing", _with_share(int(column.get("nullCount") or 0), total))]
    inconsistent = int(column.get("inconsistentCount") or 0)
    if inconsistent:
        facts.append((wrong, _with_share(inconsistent, total)))
    unique = int(column.get("numberUnique") or 0)
    shown = _with_share(unique, values) if values and unique >= DISTINCT_SHARE_FROM * values else numbers.number(unique)
    return facts + [("Distinct", shown)]


def _numeric(column: Mapping[str, Any], requests: Mapping[str, model.PlotRequest]) -> Parts:
    integral, low, high = _integral(column), column.get("min"), column.get("max")
    bounds = _bounds(column)
    code = column_roles.code_kind(integral=integral, minimum=bounds[0], maximum=bounds[1]) if bounds else None
    fmt = _formatter(code is not None)
    values = int(column.get("interpretableCount") or 0)
    facts = _counts(column, "Not numbers") + [
        ("Minimum", fmt(low)), ("Maximum", fmt(high)), ("Mean", fmt(column.get("mean"))),
        ("Median", fmt(column.get("median"))), ("Standard deviation", fmt(column.get("stddev"))),
        ("Quartiles", f"{fmt(column.get('lowerQuantile'))} and {fmt(column.get('upperQuantile'))}"),
        ("1 % and 99 % points", f"{fmt(column.get('lowerPercentile'))} and {fmt(column.get('upperPercentile'))}"),
        ("Beyond 1.5 IQR", _outside(column, "iqrOutlierCount", "lowerIQR", "upperIQR", values, fmt)),
        ("Beyond 3 σ", _outside(column, "zScoreOutlierCount", "lowerZScore", "upperZScore", values, fmt)),
        ("Outside 1–99 %", _with_share(int(column.get("percentileOutlierCount") or 0), values)),
        ("Outside 25–75 %", _with_share(int(column.get("quantileOutlierCount") or 0), values)),
        ("Distribution", _distribution(column, requests)), ("Trend", str(column.get("trend") or "–")),
    ]
    return f"numeric, stored as {column.get('dataType')}", facts, _numeric_remarks(column, code, fmt)


def _distribution(column: Mapping[str, Any], requests: Mapping[str, model.PlotRequest]) -> str:
    """The best-fitting distribution and how well it fits (its Kolmogorov–Smirnov distance), or that
    none fits well: its histogram draws it only then."""
    name = str(column.get("distribution") or "–")
    histogram = requests.get(str(column.get("distributionGraph")))
    if histogram is None or not isinstance(histogram.figure, model.Histogram):
        if name not in distribution.CANDIDATES:
            return name
        unique = int(column.get("numberUnique") or 0)
        why = (f"{unique:,} distinct values are too few to judge a fit" if unique <= HISTOGRAM_MIN_UNIQUE else
               "the values are labels (an identifier or a date code), so no fit is judged")
        return f"{name}, the closest candidate, but no good fit: {why}"
    figure = histogram.figure
    if figure.goodness:
        return figure.goodness[0].upper() + figure.goodness[1:]
    return f"{name}, the closest, but no good fit" if figure.distribution != name else name


def _bounds(column: Mapping[str, Any]) -> tuple[float, float] | None:
    low, high = column.get("min"), column.get("max")
    if isinstance(low, (int, float)) and isinstance(high, (int, float)):
        return float(low), float(high)
    return None


def _formatter(code: bool) -> Any:
    def fmt(value: Any) -> str:
        return numbers.number(value, code=code) if isinstance(value, (int, float)) else "–"
    return fmt


def _outside(column: Mapping[str, Any], count: str, low: str, high: str, values: int, fmt: Any) -> str:
    share = _with_share(int(column.get(count) or 0), values)
    return f"{share}, outside {fmt(column.get(low))} to {fmt(column.get(high))}"


def _numeric_remarks(column: Mapping[str, Any], code: str | None, fmt: Any) -> list[str]:
    """Why plots one might expect are absent: constant, identifier, code, few distinct values."""
    unique = int(column.get("numberUnique") or 0)
    low, high = column.get("min"), column.get("max")
    if unique <= 1:
        return [f"Constant: every value is {fmt(low)}. Nothing to plot."]
    remarks = []
    if _identifier(column):
        remarks.append("Distinct integers packed densely: an identifier or a running number, so no box plot, "
                       "no histogram and no series over time.")
    if code == "year":
        remarks.append(f"Whole numbers from {fmt(low)} to {fmt(high)}: read as years (no series over time).")
    elif code == "date code":
        remarks.append("Numbers like 20240131: read as dates written as numbers (no box plot, no histogram, "
                       "no series over time).")
    elif unique <= HISTOGRAM_MIN_UNIQUE and not column.get("distributionGraph"):
        remarks.append(f"Only {unique:,} distinct values: no histogram.")
    elif unique <= HISTOGRAM_MIN_UNIQUE:
        remarks.append(f"Only {unique:,} distinct values: a bar for each instead of a histogram.")
    return remarks


def _datetime(column: Mapping[str, Any]) -> Parts:
    periodicity = column.get("periodicity")
    order = ("increasing" if column.get("monotonically_increasing") else
             "decreasing" if column.get("monotonically_decreasing") else "neither increasing nor decreasing")
    gaps = [c.get("numberOfGaps") for c in column.get("temporalConsistencies") or [] if c.get("timeScale") == periodicity]
    facts = [*_counts(column, "Not dates"),
             ("Covers", view_summary.cover(column.get("temporalCover"), periodicity) or "–"),
             ("Periodicity", str(periodicity or "–")), ("Order of the rows", order),
             ("All unique", numbers.number(bool(column.get("all_entries_are_unique"))))]
    if gaps and isinstance(gaps[0], int):
        facts.append((f"Gaps longer than one of its {periodicity}", numbers.number(gaps[0])))
    return f"datetime, format {column.get('format') or '–'}", facts, []


def _string(column: Mapping[str, Any], requests: Mapping[str, model.PlotRequest]) -> Parts:
    facts = _counts(column, "Inconsistent")
    top = requests.get(str(column.get("distributionGraph"))) if column.get("distributionGraph") else None
    if top is not None and isinstance(top.figure, model.TopValues) and not top.figure.anonymised:
        shown = [f"{label} ({numbers.number(count)})" for label, count in
                 zip(top.figure.labels[:TOP_SHOWN], top.figure.counts[:TOP_SHOWN], strict=False)]
        facts.append(("Most frequent", ", ".join(shown)))
    unique, count = int(column.get("numberUnique") or 0), int(column.get("interpretableCount") or 0)
    remarks = []
    lengths_only = top is not None and isinstance(top.figure, model.Histogram)
    if not count:
        remarks.append("Entirely empty.")
    elif lengths_only or (not column.get("distributionGraph") and unique > 1):
        said = f"Values rarely repeat ({unique:,} distinct of {count:,}): no chart of the most frequent values"
        remarks.append(said + (", a histogram of their lengths instead." if lengths_only else
                               "; all are as long, so no histogram of their lengths either."))
    elif not column.get("distributionGraph"):
        remarks.append("Only 1 distinct value: no chart.")
    return "string", facts, remarks


def facts_rows(facts: Sequence[tuple[str, str]]) -> list[tuple[str, str, str, str]]:
    """Facts two to a row (label, value, label, value), for a compact table."""
    padded = [*facts, *([("", "")] if len(facts) % 2 else [])]
    return [(*padded[i], *padded[i + 1]) for i in range(0, len(padded), 2)]
