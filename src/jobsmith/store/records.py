"""Rows read into the domain's job snapshots (:mod:`jobsmith.domain.snapshots`) with Core statements.

Reads are the hot path of the API (every status poll), so they skip the ORM's identity map and
instrumentation: a job is one Core row turned into a :class:`JobRecord`, its steps, inputs and
results JSON aggregates in that same row.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa

from jobsmith.domain import snapshots
from jobsmith.store import dialects, models

StepRecord = snapshots.StepRecord
InputRecord = snapshots.InputRecord
ResultRecord = snapshots.ResultRecord
JobRecord = snapshots.JobRecord

JOBS: sa.Table = models.Job.__table__  # type: ignore[assignment]
STEPS: sa.Table = models.JobStep.__table__  # type: ignore[assignment]
INPUTS: sa.Table = models.JobInput.__table__  # type: ignore[assignment]
RESULTS: sa.Table = models.JobResult.__table__  # type: ignore[assignment]


def _rows_of(table: sa.Table, columns: Sequence[str]) -> sa.ScalarSelect[Any]:
    """A job's rows of ``table`` as one JSON value in the job's own row."""
    return (sa.select(dialects.json_rows(*(table.c[name] for name in columns)))
            .where(table.c.job_seq == JOBS.c.seq).scalar_subquery())


_STEP_COLUMNS = ("position", "name", "state", "started_at", "ended_at", "message")
_INPUT_COLUMNS = ("input", "name", "size", "sha256", "media_type", "uploaded_at")
_RESULT_COLUMNS = ("path", "size", "sha256", "media_type")
# A job with its steps, inputs and results is one statement: select these beside ``JOBS`` and pass
# the row to :func:`job`. Three more queries would cost more than the whole read (and, on a server
# database, three more round trips).
DETAILS: tuple[sa.Label[Any], ...] = (
    _rows_of(STEPS, _STEP_COLUMNS).label("steps_json"),
    _rows_of(INPUTS, _INPUT_COLUMNS).label("inputs_json"),
    _rows_of(RESULTS, _RESULT_COLUMNS).label("results_json"),
)
_DETAILS_BY_SEQ = sa.select(JOBS.c.seq, *DETAILS).where(JOBS.c.seq.in_(sa.bindparam("seqs", expanding=True)))


def job(row: Mapping[str, Any] | sa.Row[Any]) -> JobRecord:
    """The record of a ``JOBS`` row, with its details when the row has the :data:`DETAILS` columns."""
    values = dict(row._mapping if isinstance(row, sa.Row) else row)
    values["job_metadata"] = values.pop("metadata")
    if "steps_json" in values:
        details = _details(values.pop("steps_json"), values.pop("inputs_json"), values.pop("results_json"))
        values.update(steps=details.steps, inputs=details.inputs, results=details.results)
    return JobRecord(**values)


def with_details(connection: sa.Connection | Any, jobs: Sequence[JobRecord]) -> list[JobRecord]:
    """The same jobs with their steps, inputs and results: one query for any number of jobs."""
    if not jobs:
        return []
    found = {row.seq: _details(row.steps_json, row.inputs_json, row.results_json)
             for row in connection.execute(_DETAILS_BY_SEQ, {"seqs": [j.seq for j in jobs]})}
    return [dataclasses.replace(j, steps=found[j.seq].steps, inputs=found[j.seq].inputs,
                                results=found[j.seq].results) if j.seq in found else j for j in jobs]


class _Details(NamedTuple):
    steps: tuple[StepRecord, ...]
    inputs: tuple[InputRecord, ...]
    results: tuple[ResultRecord, ...]


def _details(steps: list[list[Any]] | None, inputs: list[list[Any]] | None,
             results: list[list[Any]] | None) -> _Details:
    """Records from the JSON rows of :data:`DETAILS`, in the order the views show them."""
    return _Details(
        steps=tuple(StepRecord(position, name, state, _time(started), _time(ended), message)
                    for position, name, state, started, ended, message in sorted(steps or (), key=_first)),
        inputs=tuple(InputRecord(input, name, size, sha256, media_type)
                     for input, name, size, sha256, media_type, _ in sorted(
                         inputs or (), key=lambda row: (_time(row[5]), row[1]))),
        results=tuple(ResultRecord(path, size, sha256, media_type)
                      for path, size, sha256, media_type in sorted(results or (), key=_first)),
    )


def _first(row: Sequence[Any]) -> Any:
    return row[0]


def _time(value: str | None) -> dt.datetime | None:
    """A time as JSON carries it: SQLite's stored text or PostgreSQL's ISO form, both naive UTC."""
    return None if value is None else dt.datetime.fromisoformat(value)
