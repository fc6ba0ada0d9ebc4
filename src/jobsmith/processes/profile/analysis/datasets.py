"""The analysis of the ``profile`` process: datasets already opened in DuckDB in, EDP and plot requests out.

:func:`analyse` is the one entry point. It profiles every table (see :mod:`.table_profile` for the
scans), describes semi-structured documents and archives, and assembles the EDP
(:mod:`jobsmith.processes.profile.edp.document`). Plot requests carry small aggregates only, so
drawing needs neither the data nor this connection.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import duckdb

from jobsmith.processes import context
from jobsmith.processes.profile.analysis import model, table_profile, temporal
from jobsmith.processes.profile.analysis.options import AnalysisOptions
from jobsmith.processes.profile.analysis.sqlbits import safe_casts
from jobsmith.processes.profile.edp import document
from jobsmith.processes.profile.readers import sources as reader_sources

__all__ = ["AnalysisOptions", "analyse"]

Source = reader_sources.Source


def analyse(sources: Sequence[Source], con: duckdb.DuckDBPyConnection, *, file_name: str, file_size: int,
            sha256: str, metadata: dict[str, Any] | None, options: AnalysisOptions,
            progress: Callable[[float], None] | None = None,
            cancelled: Callable[[], bool] | None = None) -> model.ProfileResult:
    """Profile every dataset of one uploaded file.

    ``progress`` receives the fraction done (0..1); when ``cancelled()`` turns true the analysis
    stops at its next step with :class:`context.Cancelled`. Temporary tables are dropped either way.
    """
    tables = sum(isinstance(d, reader_sources.TabularSource) for d in sources)
    entries: list[document.Dataset] = []
    other_notes: list[str] = []  # they follow the tables' own notes
    result = model.ProfileResult(edp={})
    datetimes: list[temporal.DatetimeSummary] = []
    done = 0
    with safe_casts(con):
        # The readers' order (an archive before its members, a document before its tables) is the
        # dataset tree's order.
        for source in sources:
            if not isinstance(source, reader_sources.TabularSource):
                entries += _other_dataset(source, other_notes)
                continue
            profiled = table_profile.profile_table(con, source, options, _stepper(done, tables, progress, cancelled))
            done += 1
            entries.append(document.Dataset("structured", source.name, profiled.edp, source.format, source.file))
            result.plots += profiled.plots
            result.notes += profiled.notes
            result.warnings += profiled.warnings
            result.details += profiled.details
            result.alerts += profiled.alerts
            result.tables += [profiled.table] if profiled.table is not None else []
            datetimes += profiled.datetimes
    result.notes += other_notes
    result.edp, metadata_notes = document.assemble(file_name=file_name, file_size=file_size, sha256=sha256,
                                                   metadata=metadata, datasets=entries, datetimes=datetimes)
    result.notes += metadata_notes
    if progress is not None:
        progress(1.0)
    return result


def _other_dataset(source: Source, notes: list[str]) -> list[document.Dataset]:
    """An archive's or a JSON document's dataset; a file we do not profile goes to the notes instead."""
    if isinstance(source, reader_sources.SemiStructuredSource):
        notes.append(f"{source.name}: {source.document_count:,} JSON documents described by their schema")
        body = document.semi_structured_body(source.json_schema)
        return [document.Dataset("semiStructured", source.name, body, "json", source.file)]
    if isinstance(source, reader_sources.ArchiveSource):
        body = {"algorithm": source.algorithm, "extractedSize": int(source.extracted_size)}
        return [document.Dataset("archive", source.name, body, source.algorithm, source.file)]
    assert isinstance(source, reader_sources.OtherSource)
    notes.append(f"{source.name}: {source.media_type} is not profiled")
    return []


def _stepper(done: int, total: int, progress: Callable[[float], None] | None,
             cancelled: Callable[[], bool] | None) -> Callable[[float], None]:
    """Progress within one table mapped onto the whole job, with a cancellation check at every step."""

    def step(fraction: float) -> None:
        if cancelled is not None and cancelled():
            raise context.Cancelled("the profile was cancelled")
        if progress is not None:
            progress(min(1.0, (done + fraction) / max(1, total)))

    return step
