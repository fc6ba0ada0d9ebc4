"""Plain, immutable snapshots of rows, read with Core statements.

Reads are the hot path of the API (every status poll), so they skip the ORM's identity map and
instrumentation: a job is one Core row turned into a :class:`JobRecord`, its steps, inputs and
results one small query each.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from jobsmith.store import models

JOBS: sa.Table = models.Job.__table__  # type: ignore[assignment]
STEPS: sa.Table = models.JobStep.__table__  # type: ignore[assignment]
INPUTS: sa.Table = models.JobInput.__table__  # type: ignore[assignment]
RESULTS: sa.Table = models.JobResult.__table__  # type: ignore[assignment]


@dataclasses.dataclass(frozen=True)
class StepRecord:
    position: int
    name: str
    state: str
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    message: str | None


@dataclasses.dataclass(frozen=True)
class InputRecord:
    input: str
    name: str
    size: int
    sha256: str
    media_type: str


@dataclasses.dataclass(frozen=True)
class ResultRecord:
    path: str
    size: int
    sha256: str
    media_type: str


@dataclasses.dataclass(frozen=True)
class JobRecord:
    """A job as stored. ``steps``, ``inputs`` and ``results`` are empty unless loaded."""

    seq: int
    id: str
    process: str
    process_version: str
    state: str
    previous_state: str | None
    state_detail: str | None
    owner: str
    target: str | None
    labels: dict[str, str]
    description: str | None
    job_metadata: dict[str, Any]
    parameters: dict[str, Any]
    priority: int
    attempts: int
    max_retries: int
    timeout_s: int
    progress: float | None
    created_at: dt.datetime
    updated_at: dt.datetime
    queued_at: dt.datetime | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    expires_at: dt.datetime | None
    duration_s: float | None
    lease_token: str | None
    lease_expires_at: dt.datetime | None
    worker_id: str | None
    files_removed: bool
    steps: tuple[StepRecord, ...] = ()
    inputs: tuple[InputRecord, ...] = ()
    results: tuple[ResultRecord, ...] = ()


def job(row: Mapping[str, Any] | sa.Row[Any]) -> JobRecord:
    values = dict(row._mapping if isinstance(row, sa.Row) else row)
    values["job_metadata"] = values.pop("metadata")
    return JobRecord(**values)


def _details_statements(table: sa.Table, *order: sa.ColumnElement[Any]) -> tuple[sa.Select[Any], sa.Select[Any]]:
    """Built once: for one job (``= :seq``) and for a page of jobs (expanding ``IN :seqs``).
    Building a statement costs more CPU than SQLite takes to run it, and a status poll runs three."""
    one = sa.select(table).where(table.c.job_seq == sa.bindparam("seq")).order_by(*order)
    many = sa.select(table).where(table.c.job_seq.in_(sa.bindparam("seqs", expanding=True))).order_by(*order)
    return one, many


_STEPS = _details_statements(STEPS, STEPS.c.position)
_INPUTS = _details_statements(INPUTS, INPUTS.c.uploaded_at, INPUTS.c.name)
_RESULTS = _details_statements(RESULTS, RESULTS.c.path)


def with_details(connection: sa.Connection | Any, jobs: Sequence[JobRecord]) -> list[JobRecord]:
    """The same jobs with their steps, inputs and results: three queries for any number of jobs."""
    if not jobs:
        return []
    single = len(jobs) == 1
    params = {"seq": jobs[0].seq} if single else {"seqs": [j.seq for j in jobs]}

    def load(statements: tuple[sa.Select[Any], sa.Select[Any]], kind: type[Any]) -> dict[int, list[Any]]:
        return _grouped(connection.execute(statements[0] if single else statements[1], params), kind)

    steps, inputs, results = load(_STEPS, StepRecord), load(_INPUTS, InputRecord), load(_RESULTS, ResultRecord)
    return [dataclasses.replace(j, steps=tuple(steps.get(j.seq, ())), inputs=tuple(inputs.get(j.seq, ())),
                                results=tuple(results.get(j.seq, ()))) for j in jobs]


def _grouped(rows: Iterable[sa.Row[Any]], kind: type[Any]) -> dict[int, list[Any]]:
    names = [f.name for f in dataclasses.fields(kind)]
    grouped: dict[int, list[Any]] = {}
    for row in rows:
        mapping = row._mapping
        grouped.setdefault(mapping["job_seq"], []).append(kind(**{n: mapping[n] for n in names}))
    return grouped
