"""Jobs as clients change them: create, read, list, patch, inputs, cancel, delete, history.

Named statements live here and in :mod:`jobsmith.store.leases` (the worker side); state changes
all go through :func:`jobsmith.store.transitions.transition`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import uuid
import builtins
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from jobsmith.domain import errors, queries, snapshots, states
from jobsmith.store import dialects, models, records, steps, targets, transitions
from jobsmith.store import database
from jobsmith.store.database import Database

Job = models.Job
JOBS = records.JOBS
S = states.Status
_JOB_BY_ID = sa.select(JOBS).where(JOBS.c.id == sa.bindparam("job_id"))
_JOB_BY_ID_AND_OWNER = _JOB_BY_ID.where(JOBS.c.owner == sa.bindparam("owner"))
_FULL_JOB_BY_ID = sa.select(JOBS, *records.DETAILS).where(JOBS.c.id == sa.bindparam("job_id"))
_FULL_JOB_BY_ID_AND_OWNER = _FULL_JOB_BY_ID.where(JOBS.c.owner == sa.bindparam("owner"))
# Built once: constructing an INSERT costs more CPU than SQLite takes to run it.
_INSERT_JOB = sa.insert(JOBS).values({
    **{name: sa.bindparam(name, type_=JOBS.c[name].type) for name in (
        "id", "process", "process_version", "state", "owner", "target", "exclusive_target", "labels",
        "description", "metadata", "parameters", "priority", "max_retries", "timeout_s")},
    "attempts": 0, "created_at": dialects.now(), "updated_at": dialects.now(), "files_removed": False,
    "queued_at": sa.case((sa.bindparam("queued", type_=sa.Boolean()), dialects.now()), else_=sa.null()),
}).returning(*JOBS.c)
# The active job holding an exclusive target: what a create refused by ``ux_jobs_exclusive_target`` names.
_TARGET_HOLDER = sa.select(JOBS.c.id).where(
    JOBS.c.exclusive_target == sa.bindparam("target"), JOBS.c.process == sa.bindparam("process"),
    JOBS.c.state.in_([s.value for s in states.ACTIVE]))
_INPUTS: sa.Table = models.JobInput.__table__  # type: ignore[assignment]
_LABELS: sa.Table = models.JobLabel.__table__  # type: ignore[assignment]
_INSERT_LABEL = sa.insert(_LABELS)
_DELETE_LABELS = sa.delete(_LABELS).where(_LABELS.c.job_seq == sa.bindparam("of_job"))
# An upload's guard: the job row is taken for the write only while it still waits for data.
_LOCK_WAITING_JOB = (sa.update(JOBS).where(JOBS.c.id == sa.bindparam("job_id"),
                                           JOBS.c.state == S.WAITING_FOR_DATA.value)
                     .values(updated_at=dialects.now()).returning(*JOBS.c))
_DELETE_INPUT = sa.delete(_INPUTS).where(_INPUTS.c.job_seq == sa.bindparam("of_job"),
                                         _INPUTS.c.name == sa.bindparam("named"))
_INSERT_INPUT = sa.insert(_INPUTS).values({
    **{name: sa.bindparam(name, type_=_INPUTS.c[name].type)
       for name in ("job_seq", "input", "name", "size", "sha256", "media_type")}, "uploaded_at": dialects.now()})
_DATASETS: sa.Table = models.JobDataset.__table__  # type: ignore[assignment]
_INSERT_DATASET = sa.insert(_DATASETS).values({
    name: sa.bindparam(name, type_=_DATASETS.c[name].type) for name in ("job_seq", "input", "dataset")})
_QUEUE = transitions.statement(S.QUEUED, allowed=[S.WAITING_FOR_DATA], with_token=False,
                               values={"queued_at": dialects.now()})


@dataclasses.dataclass(frozen=True)
class NewJob:
    """What a job is created with, already validated by the caller."""

    process: str
    process_version: str
    owner: str
    parameters: dict[str, Any]
    metadata: dict[str, Any]
    labels: dict[str, str]
    target: str | None
    description: str | None
    priority: int
    timeout_s: int
    max_retries: int
    queued: bool
    exclusive: bool = False
    """The process is exclusive: the job holds its target while active (``target`` must be set)."""
    job_id: str | None = None
    """The id to give the job (its files may be placed before it exists); None: a fresh one."""
    inputs: tuple[StoredInput, ...] = ()
    """Input files already placed under the job's id (another job's results), recorded with the job."""
    datasets: tuple[tuple[str, str], ...] = ()
    """``(input, dataset)``: inputs the worker fills from the input directory before the job runs."""
    steps: tuple[str, ...] = ()
    """The steps the process declares: the job shows them ``queued`` from its creation."""


@dataclasses.dataclass(frozen=True)
class Page:
    jobs: list[records.JobRecord]
    first_seq: int | None
    last_seq: int | None
    has_next: bool
    has_previous: bool


@dataclasses.dataclass(frozen=True)
class StoredInput:
    input: str
    name: str
    size: int
    sha256: str
    media_type: str


def _write_labels(tx: sa.Connection, job_seq: int, labels: dict[str, str]) -> None:
    """The label rows of a job, in the caller's transaction (the one that writes ``jobs.labels``)."""
    if labels:
        tx.execute(_INSERT_LABEL, [{"job_seq": job_seq, "key": key, "value": value} for key, value in labels.items()])


def _naive_utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value


class Repository:
    """Jobs as the API sees them. Owner scoping is done by the caller passing ``owner``."""

    def __init__(self, database: Database) -> None:
        self.db = database

    # -- create and read -------------------------------------------------------------------
    def create(self, new: NewJob, *, idempotency: tuple[str, str] | None = None) -> tuple[records.JobRecord, bool]:
        """Insert a job and its first history row; returns ``(job, created)``.

        With ``idempotency=(key, body_sha256)`` a second call with the same key and body returns the
        first job and ``created=False``; the same key with another body is a 409. A job of an
        exclusive process whose target has an active job of that process is refused by the schema's
        unique index and raises :class:`errors.TargetBusy` naming that job; the check costs nothing
        until the index refuses, so other creates keep their single round trip.
        """
        if idempotency is not None:
            earlier = self._idempotent_job(new.owner, *idempotency)
            if earlier is not None:
                return earlier, False
        for _ in range(3):  # a holder that finished between the refusal and its look-up: try again
            try:
                return self._insert(new, idempotency), True
            except database.IntegrityConflict:
                earlier = self._idempotent_job(new.owner, *idempotency) if idempotency is not None else None
                if earlier is not None:
                    return earlier, False
                if not new.exclusive:
                    raise
                holder = self._target_holder(new)
                if holder is not None:
                    raise errors.TargetBusy(
                        f"process {new.process!r} is exclusive and target {new.target!r} already has an "
                        f"active job, {holder}; wait for it to end or cancel it", job_id=holder) from None
        raise errors.Unavailable("the target changed hands several times during this create; try again")

    def _insert(self, new: NewJob, idempotency: tuple[str, str] | None) -> records.JobRecord:
        job_id = new.job_id or str(uuid.uuid4())
        state = S.QUEUED if new.queued else S.WAITING_FOR_DATA
        with self.db.begin() as tx:
            job = records.job(tx.execute(_INSERT_JOB, {
                "id": job_id, "process": new.process, "process_version": new.process_version,
                "state": state.value, "owner": new.owner, "target": new.target,
                "exclusive_target": new.target if new.exclusive else None, "labels": new.labels,
                "description": new.description, "metadata": new.metadata, "parameters": new.parameters,
                "priority": new.priority, "max_retries": new.max_retries, "timeout_s": new.timeout_s,
                "queued": new.queued}).one())
            transitions.record(tx, job, actor=states.Actor.CLIENT, reason="created")
            _write_labels(tx, job.seq, new.labels)
            job = dataclasses.replace(job, steps=steps.declare(tx, job.seq, new.steps))
            for stored in new.inputs:
                tx.execute(_INSERT_INPUT, {"job_seq": job.seq, **dataclasses.asdict(stored)})
            for input_name, dataset in new.datasets:
                tx.execute(_INSERT_DATASET, {"job_seq": job.seq, "input": input_name, "dataset": dataset})
            if new.inputs:
                job = records.with_details(tx, [job])[0]
            if idempotency is not None:
                tx.execute(sa.insert(models.IdempotencyKey).values(
                    owner=new.owner, key=idempotency[0], body_sha256=idempotency[1],
                    job_id=job_id, created_at=dialects.now()))
        return job  # a new job has its declared steps (and inputs taken from other jobs), no results yet

    def _target_holder(self, new: NewJob) -> str | None:
        with self.db.read() as connection:
            holder: str | None = connection.execute(
                _TARGET_HOLDER, {"target": new.target, "process": new.process}).scalar_one_or_none()
        return holder

    def replayed(self, owner: str, key: str, body_sha256: str) -> records.JobRecord | None:
        """The job an earlier create with this ``Idempotency-Key`` and body made (None: none); the same key
        with another body is a 409."""
        return self._idempotent_job(owner, key, body_sha256)

    def _idempotent_job(self, owner: str, key: str, body_sha256: str) -> records.JobRecord | None:
        with self.db.read() as tx:
            table = models.IdempotencyKey
            row = tx.execute(sa.select(table.body_sha256, table.job_id).where(
                table.owner == owner, table.key == key)).one_or_none()
        if row is None:
            return None
        if row.body_sha256 != body_sha256:
            raise errors.Conflict(
                "this Idempotency-Key was already used with a different request body",
                code="idempotency_key_reused",
            )
        return self.get(row.job_id)

    def get(self, job_id: str, *, owner: str | None = None, details: bool = True) -> records.JobRecord:
        """The job with (unless ``details`` is False) its steps, inputs and results; 404 for unknown
        ids and others' jobs."""
        if owner is None:
            statement, params = (_FULL_JOB_BY_ID if details else _JOB_BY_ID), {"job_id": job_id}
        else:
            statement = _FULL_JOB_BY_ID_AND_OWNER if details else _JOB_BY_ID_AND_OWNER
            params = {"job_id": job_id, "owner": owner}
        with self.db.read() as connection:
            row = connection.execute(statement, params).one_or_none()
        if row is None:
            raise errors.NotFound(f"no job {job_id}", code="job_not_found")
        return records.job(row)

    def history(self, job_id: str) -> builtins.list[snapshots.HistoryRecord]:
        """Every state change of the job, oldest first."""
        table = models.JobHistory
        with self.db.read() as tx:
            rows = tx.execute(
                sa.select(table.time, table.from_state, table.to_state, table.actor, table.attempt, table.reason)
                .join(Job, Job.seq == table.job_seq).where(Job.id == job_id).order_by(table.id)).all()
        return [snapshots.HistoryRecord(*row) for row in rows]

    def page(self, where: queries.JobQuery, *, limit: int, after: int | None = None,
             before: int | None = None, details: bool = True) -> Page:
        """Newest first. ``after``/``before`` are ``seq`` bounds from a cursor (exclusive)."""
        with self.db.read() as connection:
            jobs = [records.job(row) for row in connection.execute(
                self.page_statement(where, limit=limit, after=after, before=before, details=details))]
        more = len(jobs) > limit
        if before is not None:  # the ``limit`` just newer than ``before`` are the oldest ones read
            jobs, has_previous, has_next = jobs[-limit:] if more else jobs, more, True
        else:
            jobs, has_previous, has_next = jobs[:limit], after is not None, more
        return Page(jobs, jobs[0].seq if jobs else None, jobs[-1].seq if jobs else None,
                    has_next and bool(jobs), has_previous and bool(jobs))

    def page_statement(self, where: queries.JobQuery, *, limit: int, after: int | None = None,
                       before: int | None = None, details: bool = True) -> sa.Select[Any]:
        """The statement of :meth:`page`: ``limit + 1`` jobs, newest first (``bench/lists.py`` explains it).

        Two parts: the page's ``seq`` values are chosen first, from the indexes alone where the
        filters allow, and only those rows are read whole with their details. Read and sorted whole,
        every job of a filter (ten days of jobs, say) would cost its steps, inputs and results
        before the limit applies.
        """
        chosen = sa.select(Job.seq).where(*self._conditions(where))
        if before is not None:  # a "previous" page: the ones just newer than ``before``
            chosen = chosen.where(Job.seq > before).order_by(Job.seq.asc())
        else:
            if after is not None:
                chosen = chosen.where(Job.seq < after)
            chosen = chosen.order_by(Job.seq.desc())
        whole = sa.select(JOBS, *records.DETAILS) if details else sa.select(JOBS)
        return whole.where(JOBS.c.seq.in_(chosen.limit(limit + 1))).order_by(JOBS.c.seq.desc())

    def targets(self, owner: str | None, *, limit: int, after: targets.Position | None = None,
                before: targets.Position | None = None) -> targets.TargetPage:
        """The targets of ``owner``'s jobs (every owner's if None), last change first: one statement."""
        with self.db.read() as connection:
            return targets.page(connection, owner, limit=limit, after=after, before=before)

    @staticmethod
    def _conditions(where: queries.JobQuery) -> list[sa.ColumnElement[bool]]:
        conditions: list[sa.ColumnElement[bool]] = []
        if where.owner is not None:
            conditions.append(Job.owner == where.owner)
        if where.states:
            conditions.append(Job.state.in_([s.value for s in where.states]))
        if where.active:
            conditions.append(Job.state.in_([s.value for s in states.ACTIVE]))
        elif where.active is False:
            conditions.append(Job.state.in_([s.value for s in states.FINAL]))
        if where.processes:
            conditions.append(Job.process.in_(where.processes))
        if where.targets:
            conditions.append(Job.target.in_(where.targets))
        for key, value in where.labels:
            conditions.append(Job.seq.in_(sa.select(_LABELS.c.job_seq).where(
                _LABELS.c.key == key, _LABELS.c.value == value)))
        if where.created_after is not None:
            conditions.append(Job.created_at > _naive_utc(where.created_after))
        if where.created_before is not None:
            conditions.append(Job.created_at < _naive_utc(where.created_before))
        return conditions

    # -- client changes --------------------------------------------------------------------
    def patch(self, job_id: str, owner: str | None, changes: dict[str, Any]) -> records.JobRecord:
        """Change description, labels or priority; priority only before the job runs."""
        guard = [Job.id == job_id]
        if owner is not None:
            guard.append(Job.owner == owner)
        if "priority" in changes:
            guard.append(Job.state.in_([S.WAITING_FOR_DATA.value, S.QUEUED.value]))
        with self.db.begin() as tx:
            done = tx.execute(
                sa.update(Job).where(*guard).values(updated_at=dialects.now(), **changes)
                .returning(Job.seq)
            ).scalar_one_or_none()
            if done is not None and "labels" in changes:
                tx.execute(_DELETE_LABELS, {"of_job": done})
                _write_labels(tx, done, changes["labels"])
        if done is None:
            job = self.get(job_id, owner=owner)  # 404 when it does not exist
            raise errors.Conflict(
                f"the priority of a {job.state} job cannot change; only while it waits or is queued",
                code="state_conflict",
            )
        return self.get(job_id)

    def add_inputs(self, job_id: str, files: Sequence[tuple[StoredInput, Callable[[], None]]],
                   complete: Callable[[set[str]], bool]) -> records.JobRecord:
        """Record the uploaded files of one request while the job waits for data, all or none; queue
        the job if that completes it.

        Each ``(stored, place)`` pair is an input row and the call that moves its file into place;
        the calls run after the job row is locked by the guard, so an upload never changes the files
        of a job that is already queued, and a request whose job left WAITING_FOR_DATA meanwhile
        records none of its files. ``complete`` says, from the names of the inputs now filled,
        whether the job is ready; then it is queued in the same transaction. Returns the job with
        its inputs.
        """
        with self.db.begin() as tx:
            row = tx.execute(_LOCK_WAITING_JOB, {"job_id": job_id}).one_or_none()
            if row is None:
                state = tx.execute(sa.select(Job.state).where(Job.id == job_id)).scalar_one_or_none()
                raise errors.Conflict(
                    f"job {job_id} is {state}; files can only be uploaded while it is WAITING_FOR_DATA",
                    code="state_conflict",
                )
            job = records.job(row)
            for stored, place in files:
                place()
                tx.execute(_DELETE_INPUT, {"of_job": job.seq, "named": stored.name})
                tx.execute(_INSERT_INPUT, {"job_seq": job.seq, **dataclasses.asdict(stored)})
            job = records.with_details(tx, [job])[0]
            if complete({i.input for i in job.inputs}):
                queued = transitions.apply(tx, _QUEUE, job_id, S.QUEUED, actor=states.Actor.CLIENT)
                job = dataclasses.replace(queued, inputs=job.inputs, steps=job.steps)
            return job

    def queue(self, job_id: str, *, actor: str = states.Actor.CLIENT) -> records.JobRecord:
        with self.db.begin() as tx:
            return transitions.apply(tx, _QUEUE, job_id, S.QUEUED, actor=actor)

    def fail(self, job_id: str, reason: str, *, allowed: Sequence[S] = (S.QUEUED,),
             actor: str = states.Actor.SYSTEM) -> records.JobRecord:
        """Fail a job nobody holds (e.g. a queued job whose input vanished)."""
        with self.db.begin() as tx:
            return transitions.transition(tx, job_id, S.FAILED, allowed=allowed, actor=actor,
                                          reason=reason, values={"finished_at": dialects.now()})

    def cancel(self, job_id: str, *, actor: str = states.Actor.CLIENT) -> records.JobRecord:
        """Cancel at once if nobody holds the job, else ask its worker to stop it.

        A final job is a 409; a job already being stopped is returned as it is.
        """
        with self.db.begin() as tx:
            try:
                return transitions.transition(
                    tx, job_id, S.CANCELLED, allowed=[S.WAITING_FOR_DATA, S.QUEUED], actor=actor,
                    reason="cancelled by the client", values={"finished_at": dialects.now()})
            except errors.TransitionConflict:
                pass
        with self.db.begin() as tx:
            try:
                return transitions.transition(
                    tx, job_id, S.CANCELLATION_REQUESTED, allowed=[S.PROCESSING], actor=actor,
                    reason="cancellation requested by the client")
            except errors.TransitionConflict:
                pass
        job = self.get(job_id)
        if job.state == S.CANCELLATION_REQUESTED:
            return job
        raise errors.Conflict(f"job {job_id} is {job.state} and can no longer be cancelled",
                              code="state_conflict")

    def delete(self, job_id: str, *, actor: str = states.Actor.CLIENT) -> records.JobRecord:
        """Mark the job DELETED (again: no change). A running job's worker sees it and stops.

        A job that is not final is cancelled first, in the same transaction, as the contract's state
        table says: its history shows the cancel (or, while it runs, the request to stop) and then
        the deletion, so nobody reads a deletion as the work's outcome.
        """
        with self.db.begin() as tx:
            for to, allowed in ((S.CANCELLED, [S.WAITING_FOR_DATA, S.QUEUED]),
                                (S.CANCELLATION_REQUESTED, [S.PROCESSING])):
                with contextlib.suppress(errors.TransitionConflict):
                    transitions.transition(tx, job_id, to, allowed=allowed, actor=actor,
                                           reason="the job is being deleted",
                                           values={"finished_at": dialects.now()} if to == S.CANCELLED else None)
                    break
            try:
                transitions.transition(
                    tx, job_id, S.DELETED, allowed=set(S) - {S.DELETED}, actor=actor,
                    reason="deleted by the client",
                    values={"lease_token": None, "lease_expires_at": None,
                            "finished_at": sa.func.coalesce(Job.finished_at, dialects.now())})
            except errors.TransitionConflict:
                pass  # already DELETED
        return self.get(job_id)

    def mark_files_removed(self, job_id: str) -> None:
        with self.db.begin() as tx:
            tx.execute(sa.update(Job).where(Job.id == job_id).values(files_removed=True)
                            )

    def purge_idempotency_keys(self, older_than_h: float) -> int:
        with self.db.begin() as tx:
            result = tx.execute(sa.delete(models.IdempotencyKey).where(
                models.IdempotencyKey.created_at < dialects.now(-older_than_h * 3600)))
            return int(result.rowcount)
