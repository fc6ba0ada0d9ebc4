"""The profile of one table: types, statistics, plots, in as few scans of the data as possible.

The order of work, and the scans it costs:

1. type inference on a seeded sample (drawn by the reader of a delimited file in the pass that
   counts its rows, else by one pass over the source);
2. the typed table, written once (the only other pass over the source): a temporary table, or,
   when it would not fit in DuckDB's memory limit, a table in a scratch database file
   (:func:`sqlbits.scratch_store`), compressed and cheap to read back. A delimited file's reader
   writes it in its own pass, typed from the first rows (:mod:`.first_pass`); it is used when the
   sample types the columns the same way, so such a file is parsed once;
3. scan 1 of the typed table: counts, min, max, sums, unique counts and quantiles of all columns;
   then, unless a numeric column differs in every row, the number of distinct rows (a hash of
   each row, for the duplicate rows);
4. scan 2: the outlier counts that need scan 1's fences, two-pass variance and skewness, zeros,
   box-plot whiskers, histograms, and all correlations;
5. a seeded sample of rows for distribution fitting and Spearman's correlations (cheap on the
   typed table), worked on in a thread while DuckDB runs: per string column one GROUP BY; one
   seeded sample of the categorical columns for their associations; per datetime column one window
   over its timestamps sorted with their row ids; per datetime column and time scale one resampling.

Then the alerts (:mod:`.alerts`) are decided from these figures. Only small aggregates and samples
ever reach Python.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import re
from collections.abc import Callable
from typing import Any

import duckdb
import numpy as np

from jobsmith.processes.profile.analysis import (alerts, association, few_values, first_pass, first_rows, infer,
                                                log_bins, model, placeholders, seasonality, strings, temporal)
from jobsmith.processes.profile.analysis.correlation import Correlations
from jobsmith.processes.profile.analysis.distribution import NOT_COMPUTED, Fit, best_fit, without_fitting
from jobsmith.processes.profile.analysis.numeric import NumericAnalysis
from jobsmith.processes.profile.analysis.options import AnalysisOptions
from jobsmith.processes.profile.analysis.sqlbits import (Aggregates, drop, ident, memory_limit, row_key, scalar, scratch_store,
                                                         seeded_sample)
from jobsmith.processes.profile.edp import columns, series_choice
from jobsmith.processes.profile.edp.plot_paths import PlotPaths
from jobsmith.processes.profile.readers import sources

QUANTILES_IN_SCAN = 16_000_000
"""Up to this many numeric values (rows × columns), quantiles share scan 1; above, one query per
column, so the values held for exact quantiles never exceed one column's (8 bytes a value)."""
INCONSISTENT_WARNING = 0.1
DATE_LIKE_NAME = re.compile(r"(?i)(^|[_\s-])(date|datum|time|zeit|year|jahr|month|monat|day|timestamp)s?($|[_\s-])")


@dataclasses.dataclass
class TableProfile:
    """A StructuredDataSet object with its plots, notes, warnings, datetime summaries, column and table details."""

    edp: dict[str, Any]
    plots: list[model.PlotRequest]
    notes: list[str]
    warnings: list[str]
    datetimes: list[temporal.DatetimeSummary]
    details: list[model.ColumnDetail] = dataclasses.field(default_factory=list)
    alerts: list[model.Alert] = dataclasses.field(default_factory=list)
    table: model.TableDetail | None = None


@dataclasses.dataclass
class _Work:
    """The summaries of one table while they are being computed."""

    plans: list[infer.ColumnPlan]
    numerics: list[NumericAnalysis]
    datetimes: list[temporal.DatetimeAnalysis]
    tokens: list[placeholders.TokenCount]  # placeholders read as missing, per typed text column
    strings: list[strings.StringSummary] = dataclasses.field(default_factory=list)
    rows: int = 0
    exact: bool = True  # False above AnalysisOptions.exact_max_rows
    duplicates: int | None = None  # rows repeating an earlier row; None when not counted


def profile_table(con: duckdb.DuckDBPyConnection, source: sources.TabularSource, options: AnalysisOptions,
                  step: Callable[[float], None]) -> TableProfile:
    """Profile ``source``; ``step(fraction)`` reports progress and raises when the job is cancelled."""
    step(0.0)
    plans = infer.plan_columns(con, source, sample_rows=options.inference_sample_rows, seed=options.seed)
    step(0.1)
    ready = first_pass.adopt(con, source, plans)
    if ready is not None:  # the reader's pass wrote it as these plans would: the file is parsed once
        try:
            step(0.45)
            return _analyse(con, source, options, plans, ready.table, step)
        finally:
            first_pass.release(con, ready)
    limit = memory_limit(con)
    large = limit and first_pass.typed_bytes(source.row_count, plans) > limit
    with (scratch_store(con) if large else contextlib.nullcontext()) as store:
        typed = f"{store}.{ident('typed')}" if store else ident(f"jsm_typed_{source.table}")
        infer.materialise(con, ident(source.table), plans, typed, temporary=store is None)
        try:
            step(0.45)
            return _analyse(con, source, options, plans, typed, step)
        finally:
            drop(con, typed)


def _analyse(con: duckdb.DuckDBPyConnection, source: sources.TabularSource, options: AnalysisOptions,
             plans: list[infer.ColumnPlan], typed: str, step: Callable[[float], None]) -> TableProfile:
    work = _scan_first(con, typed, plans, options)
    step(0.6)
    correlations = _scan_second(con, typed, work, options)
    step(0.7)
    samples = _sample_numbers(con, typed, work, correlations, options)
    summaries = [d.summary for d in work.datetimes]
    logarithmic = log_bins.measure(con, typed, [n.summary for n in work.numerics])
    counted = few_values.measure(con, typed, [n.summary for n in work.numerics])
    # Fitting and ranking are NumPy/SciPy work and DuckDB releases the GIL while it runs a query:
    # they proceed in a thread while the string, datetime and resampling queries run.
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="jsm-fit") as pool:
        fitting = pool.submit(_fit_distributions, work, samples, options)
        ranking = pool.submit(_rank, correlations, samples)
        texts = [p for p in plans if p.kind == "string"]
        work.strings = ([strings.measure(con, typed, p, work.rows, options.top_values) for p in texts] if work.exact
                        else strings.measure_sampled(con, typed, texts, work.rows, options.top_values,
                                                     options.large_sample_rows, options.seed))
        associations = association.measure(con, typed, association.categorical(work.strings), work.rows,
                                           options.sample_size, options.seed)
        for summary in summaries:
            temporal.measure_scales(con, typed, summary)
        step(0.8)
        # A constant column (one distinct value) has no trend or seasonality worth a plot: no series,
        # and nothing said about it (its trend is "No Trend" like any column without a series).
        numerics = [n.summary for n in work.numerics if n.summary.count and n.summary.unique > 1]
        series, skipped = (seasonality.resample_all(con, typed, numerics, summaries, options.max_series_points)
                           if options.seasonality else ([], []))
        fits = fitting.result()
        ranking.result()
    step(0.9)
    # STL after the join: both halves silence SciPy's warnings, and warning filters are process-wide.
    decompositions, short = seasonality.decompose_all(series)
    skipped += short
    step(1.0)
    edp, plots = _assemble(source, work, correlations, fits, decompositions, options, logarithmic, counted)
    notes = _notes(source, work, correlations, options, skipped)
    found, more = alerts.table_alerts(alerts.TableFacts(
        source.name, work.rows, plans, [n.summary for n in work.numerics], summaries, work.strings, correlations,
        associations, work.duplicates, work.exact))
    notes += [f"{source.name}: {line}" for line in more]
    table = first_rows.first_rows(con, source.table, [p.name for p in plans], source.name, work.duplicates,
                                  shown=not options.anonymise_strings)
    return TableProfile(edp, plots, notes, _warnings(source, work), summaries, _details(source.name, work), found, table)


def _scan_first(con: duckdb.DuckDBPyConnection, typed: str, plans: list[infer.ColumnPlan],
                options: AnalysisOptions) -> _Work:
    rows = int(scalar(con, f"SELECT count(*) FROM {typed}"))
    numeric_plans = [p for p in plans if p.kind == "numeric"]
    exact = rows <= options.exact_max_rows
    in_scan = exact and rows * len(numeric_plans) <= QUANTILES_IN_SCAN
    work = _Work(plans, [NumericAnalysis(p, exact=exact, quantiles_in_scan=in_scan) for p in numeric_plans],
                 [temporal.DatetimeAnalysis(p) for p in plans if p.kind == "datetime"],
                 [placeholders.TokenCount(p.name, p.flag) for p in plans if p.kind != "string" and p.text],
                 rows=rows, exact=exact)
    batch = Aggregates()
    analyses: list[NumericAnalysis | temporal.DatetimeAnalysis | placeholders.TokenCount] = [
        *work.numerics, *work.datetimes, *work.tokens]
    for analysis in analyses:
        analysis.plan_first(batch)
    batch.run(con, typed)
    for analysis in analyses:
        analysis.read_first(batch)
    work.duplicates = _duplicate_rows(con, typed, work)
    present = [n for n in work.numerics if n.summary.count]
    sampled = _sampled_quantiles(con, typed, present, rows, options) if not exact and present else {}
    for numeric in present:
        if not in_scan:
            found = sampled.get(numeric.summary.plan.position)
            numeric.set_quantiles(found if found is not None else
                                  scalar(con, f"SELECT {numeric.quantile_expression()} FROM {typed}"))
    return work


def _duplicate_rows(con: duckdb.DuckDBPyConnection, typed: str, work: _Work) -> int | None:
    """Rows repeating an earlier row: the rows less the count of distinct hashes of the typed columns.

    Rows equal in every typed value are duplicates (``1.0`` and ``1`` are the same number). Two
    different rows sharing a 64-bit hash is a chance of about n²/2⁶⁵: 3·10⁻⁶ at the 10 M rows this
    is counted up to. Above ``exact_max_rows`` the distinct hashes would not fit in memory, and a
    HyperLogLog estimate is too coarse to count a few duplicates, so they are not counted; nor in a
    table of one column, whose repeated values are no finding. A numeric column with a different
    value in every row (an identifier) already makes every row different, so its scan 1 figures
    settle the count without hashing the rows (measured: half the time of scan 1's DISTINCT
    statement at 200 MB).
    """
    if not work.exact or len(work.plans) < 2:
        return None
    if work.rows and any(n.summary.count == n.summary.unique == work.rows for n in work.numerics):
        return 0
    columns = ", ".join(p.column for p in work.plans)
    return work.rows - int(scalar(con, f"SELECT count(DISTINCT hash({columns})) FROM {typed}") or 0)


def _sampled_quantiles(con: duckdb.DuckDBPyConnection, typed: str, numerics: list[NumericAnalysis], rows: int,
                       options: AnalysisOptions) -> dict[int, Any]:
    """Exact quantiles of a seeded sample of rows, for tables too large to hold a column in memory.

    A column too sparse to appear in the sample gets None, and its few values are then used whole.
    """
    picked = ", ".join(n.summary.plan.column for n in numerics)
    sample = seeded_sample(picked, typed, row_key(options.seed), rows, options.large_sample_rows)
    row = con.execute(f"SELECT {', '.join(n.quantile_expression() for n in numerics)} FROM ({sample})").fetchone()
    assert row is not None
    return {n.summary.plan.position: value for n, value in zip(numerics, row, strict=True)}


def _scan_second(con: duckdb.DuckDBPyConnection, typed: str, work: _Work, options: AnalysisOptions) -> Correlations:
    batch = Aggregates()
    for numeric in work.numerics:
        numeric.plan_second(batch)
    for tokens in work.tokens:
        tokens.plan_second(batch)
    correlations = Correlations([n.summary for n in work.numerics if n.summary.count],
                                options.max_columns_for_correlation)
    correlations.plan(batch)
    batch.run(con, typed)
    for numeric in work.numerics:
        numeric.read_second(batch)
        numeric.count_bins(con, typed)
    for tokens in work.tokens:
        tokens.read_second(batch)
    correlations.read(batch)
    return correlations


def _sample_numbers(con: duckdb.DuckDBPyConnection, typed: str, work: _Work, correlations: Correlations,
                    options: AnalysisOptions) -> dict[int, np.ndarray[Any, np.dtype[np.float64]]]:
    """One seeded sample of rows (cheap on the typed table) serves every numeric column's fit and
    Spearman's correlations: per column position its sampled values, NaN where missing, row-aligned."""
    wanted = [n.summary for n in work.numerics if n.summary.count] if options.distribution else correlations.columns
    if not wanted:
        return {}
    picked = ", ".join(s.plan.column for s in wanted)
    rows = con.execute(seeded_sample(picked, typed, row_key(options.seed), work.rows, options.sample_size)).fetchall()
    return {s.plan.position: np.array([row[i] for row in rows], dtype=np.float64) for i, s in enumerate(wanted)}


def _rank(correlations: Correlations, samples: dict[int, np.ndarray[Any, np.dtype[np.float64]]]) -> None:
    """Spearman's correlations of the correlated columns on the sample; touches no connection."""
    if correlations.columns:
        correlations.rank(np.column_stack([samples[s.plan.position] for s in correlations.columns]))


def _fit_distributions(work: _Work, samples: dict[int, np.ndarray[Any, np.dtype[np.float64]]],
                       options: AnalysisOptions) -> dict[int, Fit]:
    """The best fit per numeric column; touches no connection, so it may run in a thread."""
    fits = {}
    for s in (n.summary for n in work.numerics if n.summary.count):
        if not options.distribution:
            fits[s.plan.position] = without_fitting(s.unique, s.count) or Fit(NOT_COMPUTED)
            continue
        low, high = s.fit_range
        values = samples[s.plan.position]
        fits[s.plan.position] = best_fit(values[~np.isnan(values)], unique=s.unique, count=s.count, low=low, high=high)
    return fits


def _assemble(source: sources.TabularSource, work: _Work, correlations: Correlations, fits: dict[int, Fit],
              decompositions: list[seasonality.Decomposition],
              options: AnalysisOptions,
              logarithmic: dict[int, log_bins.LogHistogram],
              counted: dict[int, tuple[tuple[float, int], ...]]) -> tuple[dict[str, Any], list[model.PlotRequest]]:
    """The StructuredDataSet and its plots; series are drawn over one datetime column, the primary one."""
    paths, plots = PlotPaths(source.name), []
    primary = series_choice.primary_datetime(d.summary for d in work.datetimes)
    primary_name = primary.plan.name if primary is not None else None
    numeric_columns, empty = [], []
    for analysis in work.numerics:
        s = analysis.summary
        if not s.count:
            empty.append(strings.StringSummary(s.plan, nulls=work.rows))
            continue
        column, drawn = columns.numeric_column(s, fits[s.plan.position], [d for d in decompositions if d.numeric is s],
                                               paths, primary_name, logarithmic.get(s.plan.position),
                                               counted.get(s.plan.position))
        numeric_columns.append(column)
        plots += drawn
    datetime_columns = [columns.datetime_column(d.summary) for d in work.datetimes if d.summary.count]
    empty += [strings.StringSummary(d.summary.plan, nulls=work.rows) for d in work.datetimes if not d.summary.count]
    string_columns = []
    for summary in [*work.strings, *empty]:
        column, drawn = columns.string_column(summary, paths, options.anonymise_strings)
        string_columns.append(column)
        plots += drawn
    graph, drawn = columns.correlation_graph(correlations, paths)
    plots += drawn
    edp = {"rowCount": work.rows, "columnCount": len(work.plans), "numericColumnCount": len(numeric_columns),
           "datetimeColumnCount": len(datetime_columns), "stringColumnCount": len(string_columns),
           "correlationGraph": graph, "correlationSummary": correlations.summary(), "numericColumns": numeric_columns,
           "datetimeColumns": datetime_columns, "stringColumns": string_columns, "primaryDatetimeColumn": primary_name}
    return edp, plots


def _notes(source: sources.TabularSource, work: _Work, correlations: Correlations, options: AnalysisOptions,
           skipped: list[str]) -> list[str]:
    name = source.name
    notes = [f"{name}: {note}" for note in source.notes]
    if any(p.text and p.source_type == "VARCHAR" for p in work.plans):
        notes.append(f"{name}: column types inferred from a seeded sample of at most "
                     f"{options.inference_sample_rows:,} rows (seed {options.seed})")
    sampled = _sampled_figures(work, correlations, options)
    if sampled:
        notes.append(f"{name}: {sampled} on a seeded sample of at most {options.sample_size:,} rows "
                     f"(seed {options.seed}); every other figure is computed on all {work.rows:,} rows")
    if not work.exact:
        notes.append(f"{name}: more than {options.exact_max_rows:,} rows: unique counts are HyperLogLog estimates, "
                     f"and quantiles (with the outlier fences built on them), the candidates for the most "
                     f"frequent values and the lengths and shapes of texts come from a seeded sample of "
                     f"{options.large_sample_rows:,} rows (seed "
                     f"{options.seed}); counts, sums, moments, outlier counts and top-value counts are exact, "
                     f"and duplicate rows are not counted")
    for plan in work.plans:
        if plan.note:
            notes.append(f"{name}: column {plan.name!r}: {plan.note}")
        if plan.kind == "datetime" and plan.date_only:
            notes.append(f"{name}: column {plan.name!r} holds dates without times")
    notes += [f"{name}: {line}" for line in (t.note() for t in work.tokens) if line]
    for analysis in work.datetimes:
        s = analysis.summary
        if s.count and not s.scales:
            notes.append(f"{name}: column {s.plan.name!r}: temporal consistency needs at least "
                         f"{temporal.MIN_UNIQUE} distinct timestamps, found {s.unique}")
    return notes + [f"{name}: {line}" for line in skipped]


def _details(name: str, work: _Work) -> list[model.ColumnDetail]:
    """Per column, in table order, what the EDP has no field for: placeholders read as missing, text shapes."""
    tokens = {t.name: tuple(t.found.items()) for t in work.tokens if t.found}
    texts = {s.plan.name: s for s in work.strings}
    details = []
    for plan in work.plans:
        text = texts.get(plan.name)
        if text is not None:
            details.append(model.ColumnDetail(name, plan.name, min_length=text.min_length, max_length=text.max_length,
                                              mean_length=text.mean_length, patterns=tuple(text.patterns),
                                              code=plan.code))
        elif plan.name in tokens:
            details.append(model.ColumnDetail(name, plan.name, missing_tokens=tokens[plan.name]))
    return details


def _sampled_figures(work: _Work, correlations: Correlations, options: AnalysisOptions) -> str:
    """Which figures came from the seeded sample of ``sample_size`` rows: ``distributions fitted and ...``."""
    done = [what for what, made in (
        ("distributions fitted", options.distribution and bool(work.numerics)),
        ("Spearman's correlations computed", len(correlations.columns) > 1),
        ("Cramér's V of categories computed", len(association.categorical(work.strings)) > 1)) if made]
    return ", ".join(done[:-1]) + " and " + done[-1] if len(done) > 1 else "".join(done)


def _warnings(source: sources.TabularSource, work: _Work) -> list[str]:
    name, found = source.name, []
    found += [f"{name}: {note}" for note in source.notes if re.search(r"(?i)renam|duplicat", note)]
    counts = [(a.summary.plan, a.summary.nulls, a.summary.inconsistent) for a in work.numerics]
    counts += [(a.summary.plan, a.summary.nulls, a.summary.inconsistent) for a in work.datetimes]
    counts += [(s.plan, s.nulls, 0) for s in work.strings]
    for plan, nulls, inconsistent in counts:
        present = work.rows - nulls
        if work.rows and nulls == work.rows:
            found.append(f"{name}: column {plan.name!r} is entirely empty")
        elif present and inconsistent > INCONSISTENT_WARNING * present:
            found.append(f"{name}: column {plan.name!r}: {inconsistent:,} of {present:,} values "
                         f"({inconsistent / present:.0%}) are not {plan.kind} values and count as inconsistent")
        if plan.kind != "datetime" and DATE_LIKE_NAME.search(plan.name):
            found.append(f"{name}: column {plan.name!r} is named like a date or time but holds {plan.kind} values")
    return found
