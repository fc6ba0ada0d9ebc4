"""Jobs as the rest of jobsmith sees them: immutable snapshots, free of SQL and HTTP.

The store reads rows into these (:mod:`jobsmith.store.records`); the service hands them to the
faces, whose presenters turn them into each face's views.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any


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
    exclusive_target: str | None  # the target this job holds while active (exclusive processes only)
    lease_s: float | None = None  # the current claim's lease length when a worker chose it
    steps: tuple[StepRecord, ...] = ()
    inputs: tuple[InputRecord, ...] = ()
    results: tuple[ResultRecord, ...] = ()


@dataclasses.dataclass(frozen=True)
class HistoryRecord:
    """One state change of a job: when, from what to what, who caused it, in which attempt, why."""

    time: dt.datetime
    from_state: str | None
    to_state: str
    actor: str
    attempt: int
    reason: str | None


@dataclasses.dataclass(frozen=True)
class MaintenanceState:
    """Whether claiming is paused, and the last change's message, time and author."""

    paused: bool
    message: str
    updated_at: dt.datetime | None
    updated_by: str | None


@dataclasses.dataclass(frozen=True)
class TargetRecord:
    """What jobs are about one target: how many, in which states, the newest active one, the last change.

    ``active_job`` is the newest job that is not final (for an exclusive process, the only one);
    ``last_state`` is the state of the job that changed last.
    """

    target: str
    jobs: int
    active_job: str | None
    last_state: str
    last_change_at: dt.datetime
    by_state: dict[str, int]


@dataclasses.dataclass(frozen=True)
class LogEntry:
    """One entry of a job's log: its place (``seq``, from 0), ISO 8601 UTC time, level name, the step
    running when it was logged, and its message (a traceback is one message of many lines).
    ``origin`` is ``"jobsmith"`` for what the service wrote about the job, None for the job's own lines."""

    seq: int
    time: str | None
    level: str
    step: str | None
    message: str
    origin: str | None = None

    def text(self) -> str:
        """The entry as the text log shows it: ``2026-01-01 12:00:00,123 INFO [jobsmith] message``."""
        stamp = f"{self.time[:10]} {self.time[11:19]},{self.time[20:23]} " if self.time else ""
        origin = f"[{self.origin}] " if self.origin else ""
        return f"{stamp}{self.level.upper()} {origin}{self.message}\n"


@dataclasses.dataclass(frozen=True)
class LogPage:
    """Entries of a job's log and where the next page starts (None: the job is final and this page
    reached the end of its log)."""

    entries: list[LogEntry]
    next_offset: int | None
