"""The analysis of the ``profile`` process: datasets already opened in DuckDB in, EDP and plot requests out.

:func:`profile` is the one entry point. It profiles every table (see :mod:`stats` for the scans),
describes semi-structured documents and archives, and assembles the EDP (:mod:`edp`). Plot
requests carry small aggregates only, so drawing needs neither the data nor this connection.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import duckdb

from jobsmith.processes import context
from jobsmith.processes.profile import edp, model, stats, temporal
from jobsmith.processes.profile.analysis_options import AnalysisOptions
from jobsmith.processes.profile.readers import sources as reader_sources
from jobsmith.processes.profile.sqlbits import safe_casts

__all__ = ["AnalysisOptions", "profile"]

Source = reader_sources.Source


def profile(sources: Sequence[Source], con: duckdb.DuckDBPyConnection, *, file_name: str, file_size: int,
            sha256: str, metadata: dict[str, Any] | None, options: AnalysisOptions,
            progress: Callable[[float], None] | None = None,
            cancelled: Callable[[], bool] | None = None) -> model.ProfileResult:
    """Profile every dataset of one uploaded file.

    ``progress`` receives the fraction done (0..1); when ``cancelled()`` turns true the analysis
    stops at its next step with :class:`context.Cancelled`. Temporary tables are dropped either way.
    """
    tables = [d for d in sources if isinstance(d, reader_sources.TabularSource)]
    profiled_tables: dict[int, edp.Dataset] = {}
    result = model.ProfileResult(edp={})
    datetimes: list[temporal.DatetimeSummary] = []
    with safe_casts(con):
        for done, table in enumerate(tables):
            step = _stepper(done, len(tables), progress, cancelled)
            profiled = stats.profile_table(con, table, options, step)
            profiled_tables[id(table)] = edp.Dataset("structured", table.name, profiled.edp, table.format, table.file)
            result.plots += profiled.plots
            result.notes += profiled.notes
            result.warnings += profiled.warnings
            datetimes += profiled.datetimes
    entries = _datasets(sources, profiled_tables, result.notes)
    result.edp, metadata_notes = edp.assemble(file_name=file_name, file_size=file_size, sha256=sha256,
                                              metadata=metadata, datasets=entries, datetimes=datetimes)
    result.notes += metadata_notes
    if progress is not None:
        progress(1.0)
    return result


def _datasets(sources: Sequence[Source], tables: dict[int, edp.Dataset], notes: list[str]) -> list[edp.Dataset]:
    """Every dataset for the EDP in the readers' order (an archive before its members, a document
    before its tables), which the dataset tree keeps; files we do not profile go to the notes."""
    found = []
    for dataset in sources:
        if isinstance(dataset, reader_sources.TabularSource):
            found.append(tables[id(dataset)])
        elif isinstance(dataset, reader_sources.SemiStructuredSource):
            body = edp.semi_structured_body(dataset.json_schema)
            found.append(edp.Dataset("semiStructured", dataset.name, body, "json", dataset.file))
            notes.append(f"{dataset.name}: {dataset.document_count:,} JSON documents described by their schema")
        elif isinstance(dataset, reader_sources.ArchiveSource):
            body = {"algorithm": dataset.algorithm, "extractedSize": int(dataset.extracted_size)}
            found.append(edp.Dataset("archive", dataset.name, body, dataset.algorithm, dataset.file))
        else:
            notes.append(f"{dataset.name}: {dataset.media_type} is not profiled")
    return found


def _stepper(done: int, total: int, progress: Callable[[float], None] | None,
             cancelled: Callable[[], bool] | None) -> Callable[[float], None]:
    """Progress within one table mapped onto the whole job, with a cancellation check at every step."""

    def step(fraction: float) -> None:
        if cancelled is not None and cancelled():
            raise context.Cancelled("the profile was cancelled")
        if progress is not None:
            progress(min(1.0, (done + fraction) / max(1, total)))

    return step
