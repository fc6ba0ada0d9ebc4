"""The tables. Invariants live here as CHECK constraints and (partial) indexes.

The Alembic migrations in ``store/migrations`` create exactly these; a test compares them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from jobsmith.domain import labels, states

_STATES = ", ".join(f"'{s.value}'" for s in states.Status)
_STEP_STATES = ", ".join(f"'{s.value}'" for s in states.StepState)
_RUNNING = sa.text("state IN ('PROCESSING', 'CANCELLATION_REQUESTED')")
_QUEUED = sa.text("state = 'QUEUED'")
_ACTIVE = sa.text("state IN ('WAITING_FOR_DATA', 'QUEUED', 'PROCESSING', 'CANCELLATION_REQUESTED')")

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class Base(orm.DeclarativeBase):
    type_annotation_map = {dict[str, Any]: sa.JSON, dt.datetime: sa.DateTime()}


class Job(Base):
    """One job. ``seq`` orders jobs (cursor paging, FIFO); ``id`` is what clients see."""

    __tablename__ = "jobs"
    __table_args__ = (
        sa.CheckConstraint(f"state IN ({_STATES})", name="ck_jobs_state"),
        sa.CheckConstraint("priority BETWEEN -100 AND 100", name="ck_jobs_priority"),
        sa.CheckConstraint("attempts >= 0", name="ck_jobs_attempts"),
        sa.CheckConstraint("progress IS NULL OR (progress >= 0 AND progress <= 1)", name="ck_jobs_progress"),
        sa.CheckConstraint(
            "(state IN ('PROCESSING', 'CANCELLATION_REQUESTED')) = (lease_token IS NOT NULL)",
            name="ck_jobs_lease_iff_running",
        ),
        sa.Index("ix_jobs_queue", sa.text("priority DESC"), "queued_at", "seq",
                 sqlite_where=_QUEUED, postgresql_where=_QUEUED),
        sa.Index("ix_jobs_lease", "lease_expires_at", sqlite_where=_RUNNING, postgresql_where=_RUNNING),
        sa.Index("ix_jobs_state_seq", "state", "seq"),
        sa.Index("ix_jobs_owner_seq", "owner", "seq"),
        sa.Index("ix_jobs_process_seq", "process", "seq"),
        sa.Index("ix_jobs_target_seq", "target", "seq"),
        sa.Index("ix_jobs_created_at", "created_at"),
        # One active job per target of an exclusive process: ``exclusive_target`` is the target of
        # such a job (NULL for every other job), so two creates racing for one target cannot both
        # commit, whichever machine they come from. A final job leaves the index and frees the target.
        sa.Index("ux_jobs_exclusive_target", "exclusive_target", "process", unique=True,
                 sqlite_where=_ACTIVE, postgresql_where=_ACTIVE),
        sa.Index("ix_jobs_expires_at", "expires_at",
                 sqlite_where=sa.text("files_removed = 0"), postgresql_where=sa.text("NOT files_removed")),
    )

    seq: orm.Mapped[int] = orm.mapped_column(BigId, primary_key=True, autoincrement=True)
    id: orm.Mapped[str] = orm.mapped_column(sa.String(36), unique=True)
    process: orm.Mapped[str] = orm.mapped_column(sa.String(200))
    process_version: orm.Mapped[str] = orm.mapped_column(sa.String(50))
    state: orm.Mapped[str] = orm.mapped_column(sa.String(32))
    previous_state: orm.Mapped[str | None] = orm.mapped_column(sa.String(32))
    state_detail: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    owner: orm.Mapped[str] = orm.mapped_column(sa.String(200))
    target: orm.Mapped[str | None] = orm.mapped_column(sa.String(500))
    exclusive_target: orm.Mapped[str | None] = orm.mapped_column(sa.String(500))
    labels: orm.Mapped[dict[str, Any]]
    description: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    job_metadata: orm.Mapped[dict[str, Any]] = orm.mapped_column("metadata", sa.JSON)
    parameters: orm.Mapped[dict[str, Any]]
    priority: orm.Mapped[int] = orm.mapped_column(sa.Integer, default=0)
    attempts: orm.Mapped[int] = orm.mapped_column(sa.Integer, default=0)
    max_retries: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    timeout_s: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    progress: orm.Mapped[float | None] = orm.mapped_column(sa.Float)
    created_at: orm.Mapped[dt.datetime]
    updated_at: orm.Mapped[dt.datetime]
    queued_at: orm.Mapped[dt.datetime | None]
    started_at: orm.Mapped[dt.datetime | None]
    finished_at: orm.Mapped[dt.datetime | None]
    expires_at: orm.Mapped[dt.datetime | None]
    duration_s: orm.Mapped[float | None] = orm.mapped_column(sa.Float)
    lease_token: orm.Mapped[str | None] = orm.mapped_column(sa.String(36))
    lease_s: orm.Mapped[float | None] = orm.mapped_column(sa.Float)
    """How long the current claim lives without a heartbeat (a heartbeat extends it by as much); NULL:
    the server's ``lease_s``. An external worker chooses it per claim."""
    lease_expires_at: orm.Mapped[dt.datetime | None]
    worker_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36))
    files_removed: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, default=False)


class JobStep(Base):
    __tablename__ = "job_steps"
    __table_args__ = (sa.CheckConstraint(f"state IN ({_STEP_STATES})", name="ck_job_steps_state"),)

    job_seq: orm.Mapped[int] = orm.mapped_column(BigId, sa.ForeignKey("jobs.seq", ondelete="CASCADE"),
                                                 primary_key=True)
    position: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(500))
    state: orm.Mapped[str] = orm.mapped_column(sa.String(16))
    started_at: orm.Mapped[dt.datetime | None]
    ended_at: orm.Mapped[dt.datetime | None]
    message: orm.Mapped[str | None] = orm.mapped_column(sa.Text)


class JobLabel(Base):
    """One label of a job, kept beside ``jobs.labels`` (the view's copy) so that a list filtered by
    ``label=key:value`` is an index lookup, not a JSON scan of every job. Written in the transaction
    that writes ``jobs.labels``."""

    __tablename__ = "job_labels"
    __table_args__ = (sa.Index("ix_job_labels_lookup", "key", "value", "job_seq"),)

    job_seq: orm.Mapped[int] = orm.mapped_column(BigId, sa.ForeignKey("jobs.seq", ondelete="CASCADE"),
                                                 primary_key=True)
    key: orm.Mapped[str] = orm.mapped_column(sa.String(labels.KEY_MAX), primary_key=True)
    value: orm.Mapped[str] = orm.mapped_column(sa.String(labels.VALUE_MAX))


class JobInput(Base):
    __tablename__ = "job_inputs"

    job_seq: orm.Mapped[int] = orm.mapped_column(BigId, sa.ForeignKey("jobs.seq", ondelete="CASCADE"),
                                                 primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255), primary_key=True)
    input: orm.Mapped[str] = orm.mapped_column(sa.String(200))
    size: orm.Mapped[int] = orm.mapped_column(sa.BigInteger)
    sha256: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    media_type: orm.Mapped[str] = orm.mapped_column(sa.String(200))
    uploaded_at: orm.Mapped[dt.datetime]


class JobDataset(Base):
    """An input a job fills from a dataset of the input directory: the worker that runs the job imports
    it into the job's inputs (rows of ``job_inputs``) before the process starts."""

    __tablename__ = "job_datasets"

    job_seq: orm.Mapped[int] = orm.mapped_column(BigId, sa.ForeignKey("jobs.seq", ondelete="CASCADE"),
                                                 primary_key=True)
    input: orm.Mapped[str] = orm.mapped_column(sa.String(200), primary_key=True)
    dataset: orm.Mapped[str] = orm.mapped_column(sa.String(255))


class JobResult(Base):
    __tablename__ = "job_results"

    job_seq: orm.Mapped[int] = orm.mapped_column(BigId, sa.ForeignKey("jobs.seq", ondelete="CASCADE"),
                                                 primary_key=True)
    path: orm.Mapped[str] = orm.mapped_column(sa.String(1000), primary_key=True)
    size: orm.Mapped[int] = orm.mapped_column(sa.BigInteger)
    sha256: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    media_type: orm.Mapped[str] = orm.mapped_column(sa.String(200))


class JobHistory(Base):
    __tablename__ = "job_history"
    __table_args__ = (sa.Index("ix_job_history_job", "job_seq", "id"),)

    id: orm.Mapped[int] = orm.mapped_column(BigId, primary_key=True, autoincrement=True)
    job_seq: orm.Mapped[int] = orm.mapped_column(BigId, sa.ForeignKey("jobs.seq", ondelete="CASCADE"))
    time: orm.Mapped[dt.datetime]
    from_state: orm.Mapped[str | None] = orm.mapped_column(sa.String(32))
    to_state: orm.Mapped[str] = orm.mapped_column(sa.String(32))
    actor: orm.Mapped[str] = orm.mapped_column(sa.String(200))
    attempt: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    reason: orm.Mapped[str | None] = orm.mapped_column(sa.Text)


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"

    owner: orm.Mapped[str] = orm.mapped_column(sa.String(200), primary_key=True)
    key: orm.Mapped[str] = orm.mapped_column(sa.String(255), primary_key=True)
    body_sha256: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    job_id: orm.Mapped[str] = orm.mapped_column(sa.String(36))
    created_at: orm.Mapped[dt.datetime] = orm.mapped_column(index=True)


class Maintenance(Base):
    """A single row (id = 1): whether claiming is paused."""

    __tablename__ = "maintenance"
    __table_args__ = (sa.CheckConstraint("id = 1", name="ck_maintenance_singleton"),)

    id: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True)
    paused: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, default=False)
    message: orm.Mapped[str] = orm.mapped_column(sa.Text, default="")
    updated_at: orm.Mapped[dt.datetime | None]
    updated_by: orm.Mapped[str | None] = orm.mapped_column(sa.String(200))


class MaintenanceHistory(Base):
    __tablename__ = "maintenance_history"

    id: orm.Mapped[int] = orm.mapped_column(BigId, primary_key=True, autoincrement=True)
    paused: orm.Mapped[bool] = orm.mapped_column(sa.Boolean)
    message: orm.Mapped[str] = orm.mapped_column(sa.Text)
    updated_at: orm.Mapped[dt.datetime]
    updated_by: orm.Mapped[str | None] = orm.mapped_column(sa.String(200))


class Worker(Base):
    """A worker process; its heartbeat tells whether its jobs are still being worked on."""

    __tablename__ = "workers"

    id: orm.Mapped[str] = orm.mapped_column(sa.String(36), primary_key=True)
    hostname: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    pid: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    started_at: orm.Mapped[dt.datetime]
    heartbeat_at: orm.Mapped[dt.datetime]
    stopped_at: orm.Mapped[dt.datetime | None]
