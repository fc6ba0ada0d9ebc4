"""Data-quality alerts of one table, from the figures its profile computed: what a person should look at first.

The kinds are those ydata-profiling users know (constant, unique, missing, high cardinality,
skewed, zeros, duplicates, high correlation), plus outliers, associations between categories,
columns of mixed types and codes kept as text. Every alert is decided from figures the scans
already made (:mod:`.numeric`, :mod:`.strings`, :mod:`.temporal`, :mod:`.correlation`,
:mod:`.association`, the duplicate count of scan 1); nothing here reads the data.

The thresholds are named below, each with why. They err towards silence: an alert on every
column is read as none, so a clean column must get none.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence

from jobsmith.processes.profile.analysis import association, model
from jobsmith.processes.profile.analysis.correlation import STRONG, Correlations
from jobsmith.processes.profile.analysis.infer import ColumnPlan
from jobsmith.processes.profile.analysis.numeric import NumericSummary
from jobsmith.processes.profile.analysis.strings import StringSummary
from jobsmith.processes.profile.analysis.temporal import DatetimeSummary
from jobsmith.processes.profile.report import numbers

MISSING_SHARE = 0.5
"""More than half of the rows missing: every other figure of the column describes a minority of rows."""
MIN_VALUES = 20
"""Fewer values than this and the shape figures (skewness, outlier and zero shares), the ID test and
correlations say little: a column of 5 values is "unique", "skewed" or correlated by chance."""
ID_DENSITY = 0.5
"""Whole numbers, all different, that fill at least half of the integers between their minimum and
maximum are a numbering (row numbers, identifiers); spread-out distinct durations are measurements."""
HIGH_CARDINALITY_MIN = 50
"""A text column with more distinct values than this is no set of categories (ydata-profiling's
``cardinality_threshold``, and :data:`association.CATEGORY_MAX_UNIQUE`) ..."""
HIGH_CARDINALITY_SHARE = 0.5
"""... and with distinct values for at least half of its values, grouping by it gives groups of one or two."""
SKEW_LIMIT = 2.0
"""|skewness| above 2: a long tail that the mean and the standard deviation misdescribe (a normal
distribution has 0, an exponential one 2); the usual rule of thumb for "highly skewed"."""
OUTLIER_SHARE = 0.05
"""More than 5 % of the values beyond the Tukey fences (1.5 IQR beyond the quartiles): normal data
has 0.7 % there, so this many are a second population or errors, not a tail."""
ZEROS_SHARE = 0.1
"""At least a tenth of the values zero: zeros that may stand for "not measured" and pull every
figure towards them ..."""
ZERO_SPIKE = 2.0
"""... and zero at least twice as frequent as the average value of the column: in a column of the
weekdays 0 to 6, or a 0/1 flag, zero is one value among few and no finding."""
CORRELATION_LIMIT = STRONG
"""|r| at or above 0.8, Pearson's or Spearman's: the EDP's "strong" correlation; one of the two
columns then says most of what the other says."""
ASSOCIATION_LIMIT = 0.8
"""Cramér's V at or above 0.8: the category of one column all but fixes the other's, the
counterpart for categories of :data:`CORRELATION_LIMIT`."""
MAX_PAIR_ALERTS = 20
"""Correlation (and, apart, association) alerts per table at most, the strongest: in a table of 40
age-group columns hundreds of pairs correlate, and a summary of hundreds of alerts hides the rest.
The notes say how many more pairs there were; the correlation heatmap shows them all."""
MIXED_INCONSISTENT_SHARE = 0.01
"""A numeric or datetime column in which at least 1 % of the present values are not of its type."""
MIXED_TEXT_SHARE = 0.05
"""A text column in which at least 5 % of the sampled values read as numbers or dates (below half,
or the column would have that type); on a sample, so the bar is higher than for typed columns."""

_NAMES = {"numeric": "numbers", "datetime": "dates"}
Summary = NumericSummary | DatetimeSummary | StringSummary
Found = tuple[model.AlertKind, str]  # an alert of the column at hand: its kind and sentence


@dataclasses.dataclass(frozen=True)
class TableFacts:
    """The figures of one table the alerts are decided from (``duplicates`` None: not counted)."""

    dataset: str
    rows: int
    plans: Sequence[ColumnPlan]
    numerics: Sequence[NumericSummary]
    datetimes: Sequence[DatetimeSummary]
    strings: Sequence[StringSummary]
    correlations: Correlations
    associations: Sequence[association.Association]
    duplicates: int | None
    exact: bool  # unique counts are exact (not HyperLogLog estimates)


def table_alerts(facts: TableFacts) -> tuple[list[model.Alert], list[str]]:
    """Duplicates first, then each column's alerts in table order, then pairs of columns, the strongest first;
    and notes on pairs left out (:data:`MAX_PAIR_ALERTS`)."""
    alerts = list(_duplicates(facts))
    summaries: list[Summary] = [*facts.numerics, *facts.datetimes, *facts.strings]
    by_name = {s.plan.name: s for s in summaries}
    for plan in facts.plans:
        summary = by_name.get(plan.name)
        if summary is not None:
            alerts += [model.Alert(facts.dataset, plan.name, kind, message)
                       for kind, message in _column(facts, summary)]
    notes = []
    for kind, pairs in (("correlated", list(_correlations(facts))), ("associated", list(_associations(facts)))):
        ranked = sorted(pairs, key=lambda pair: -pair[0])  # stable: equally strong pairs stay in column order
        alerts += [alert for _, alert in ranked[:MAX_PAIR_ALERTS]]
        if len(ranked) > MAX_PAIR_ALERTS:
            notes.append(f"{len(ranked) - MAX_PAIR_ALERTS:,} more pairs of columns are strongly {kind} than the "
                         f"{MAX_PAIR_ALERTS} strongest listed as alerts")
    return alerts, notes


def _column(facts: TableFacts, s: Summary) -> Iterator[Found]:
    name = repr(s.plan.name)
    if facts.rows and s.nulls > MISSING_SHARE * facts.rows:
        yield "missing", f"{name} is missing in {s.nulls:,} of {facts.rows:,} rows ({numbers.share(s.nulls / facts.rows)})"
    if s.count >= 2 and _constant(s):
        yield "constant", f"{name} is constant: its {s.count:,} values are all the same"
    if isinstance(s, StringSummary):
        yield from _text(facts, s)
    elif isinstance(s, NumericSummary):
        yield from _numeric(facts, s)
    yield from _mixed(s)


def _constant(s: Summary) -> bool:
    """One distinct value, decided from exact figures (min and max, or the top value's exact count)."""
    if isinstance(s, NumericSummary):
        return s.minimum == s.maximum
    if isinstance(s, DatetimeSummary):
        return s.first_us == s.last_us
    return bool(s.top) and s.top[0][1] == s.count


def _text(facts: TableFacts, s: StringSummary) -> Iterator[Found]:
    name = repr(s.plan.name)
    if facts.exact and s.count >= MIN_VALUES and s.unique == s.count:
        yield "unique", f"{name} has a different value in each of its {s.count:,} rows: an identifier, not a category"
    elif (s.unique > HIGH_CARDINALITY_MIN and s.unique >= HIGH_CARDINALITY_SHARE * s.count
          and not (facts.exact and s.unique == s.count)):
        yield "high_cardinality", (f"{name} has {s.unique:,} distinct values in {s.count:,} rows "
                                   f"({numbers.share(s.unique / s.count)}): too many to be categories")
    if s.plan.code:
        shapes = " or ".join(repr(pattern) for pattern, _ in s.patterns[:2])
        yield "numeric_code", (f"{name} holds numbers written with leading zeros (shaped like {shapes}): codes such "
                               "as postal codes or identifiers, kept as text because as numbers they would lose "
                               "their zeros")


def _numeric(facts: TableFacts, s: NumericSummary) -> Iterator[Found]:
    name = repr(s.plan.name)
    if s.count < MIN_VALUES:
        return
    if facts.exact and s.integral and s.unique == s.count and s.maximum - s.minimum < s.count / ID_DENSITY:
        first, last = numbers.number(int(s.minimum)), numbers.number(int(s.maximum))
        yield "unique", (f"{name} has a different whole number, from {first} to {last}, in each of its "
                         f"{s.count:,} rows: a numbering or an identifier, not a measurement")
    if s.skewness is not None and abs(s.skewness) > SKEW_LIMIT:
        side = "right (a long tail of large values)" if s.skewness > 0 else "left (a long tail of small values)"
        yield "skewed", f"{name} is highly skewed to the {side}: skewness {s.skewness:.2f}"
    beyond = s.outliers.get("iqr", 0)
    if beyond > OUTLIER_SHARE * s.count:
        low, high = s.iqr_fences
        yield "outliers", (f"{name} has {beyond:,} values ({numbers.share(beyond / s.count)}) beyond the Tukey fences "
                           f"(below {numbers.number(low)} or above {numbers.number(high)})")
    if s.zeros >= ZEROS_SHARE * s.count and s.zeros >= ZERO_SPIKE * s.count / max(s.unique, 1):
        yield "zeros", f"{name} is zero in {s.zeros:,} of its {s.count:,} values ({numbers.share(s.zeros / s.count)})"


def _mixed(s: Summary) -> Iterator[Found]:
    name = repr(s.plan.name)
    if isinstance(s, StringSummary):
        if s.plan.mix is not None and s.plan.mix[1] >= MIXED_TEXT_SHARE and s.count:
            yield "mixed_types", (f"{name} mixes text with {_NAMES[s.plan.mix[0]]}: "
                                  f"about {numbers.share(s.plan.mix[1])} of "
                                  f"the sampled values read as {_NAMES[s.plan.mix[0]]}, the rest as text")
        return
    present = s.count + s.inconsistent
    if present and s.inconsistent >= MIXED_INCONSISTENT_SHARE * present:
        yield "mixed_types", (f"{name} mixes {_NAMES[s.plan.kind]} with other text: {s.inconsistent:,} of its "
                              f"{present:,} values ({numbers.share(s.inconsistent / present)}) are not {_NAMES[s.plan.kind]}")


def _duplicates(facts: TableFacts) -> Iterator[model.Alert]:
    if facts.duplicates:
        yield model.Alert(facts.dataset, None, "duplicates",
                          f"{facts.duplicates:,} of {facts.rows:,} rows ({numbers.share(facts.duplicates / facts.rows)}) repeat "
                          "an earlier row in every column")


def _correlations(facts: TableFacts) -> Iterator[tuple[float, model.Alert]]:
    c = facts.correlations
    for i in range(len(c.columns)):
        for j in range(i + 1, len(c.columns)):
            r = c.matrix[i][j]
            rho = c.spearman[i][j] if c.spearman else 0.0
            counted = min(c.columns[i].count, c.columns[j].count) >= MIN_VALUES
            if counted and max(abs(r), abs(rho)) >= CORRELATION_LIMIT:
                a, b = c.names[i], c.names[j]
                how = "negatively" if (r if abs(r) >= abs(rho) else rho) < 0 else "positively"
                spearman = f", Spearman \u03c1 = {rho:.2f}" if c.spearman else ""
                yield max(abs(r), abs(rho)), model.Alert(
                    facts.dataset, None, "correlation",
                    f"{a!r} and {b!r} are strongly {how} correlated (Pearson r = {r:.2f}{spearman})", columns=(a, b))


def _associations(facts: TableFacts) -> Iterator[tuple[float, model.Alert]]:
    for found in facts.associations:
        if found.cramers_v >= ASSOCIATION_LIMIT:
            yield found.cramers_v, model.Alert(
                facts.dataset, None, "association",
                f"{found.first!r} and {found.second!r} are strongly associated: Cramér's V = {found.cramers_v:.2f} "
                f"(on {found.rows:,} sampled rows)", columns=(found.first, found.second))
