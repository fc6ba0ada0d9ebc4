"""The worker's side of a job: claim, heartbeat, report, finish, hand back, recover.

A claim is one statement that picks the best queued job (priority, then FIFO), skips rows other
workers are locking, respects the maintenance pause, and hands out a fresh lease token. Every
later write by that worker carries the token, so a worker presumed dead cannot overwrite a job
whose lease went to another. All times are the database's.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from jobsmith.domain import decisions, errors, states
from jobsmith.store import blobs, dialects, models, records, repository, steps, transitions
from jobsmith.store.database import Database

Job = models.Job
S = states.Status
_RUNNING = [s.value for s in states.RUNNING]


@dataclasses.dataclass(frozen=True)
class Claim:
    """A job a worker now holds, and the token that proves it."""

    job: records.JobRecord
    token: str


StepUpdate = steps.StepUpdate


def _bound(table: sa.Table, *names: str) -> dict[str, sa.BindParameter[Any]]:
    return {name: sa.bindparam(name, type_=table.c[name].type) for name in names}


# Built once: a worker runs these for every job, and building one costs more than running it.
_INSERT_RESULT = sa.insert(records.RESULTS).values(_bound(
    records.RESULTS, "job_seq", "path", "size", "sha256", "media_type"))
# A claimed job's uploads, in the order they arrived.
_CLAIMED_INPUTS = (sa.select(models.JobInput.input, models.JobInput.name)
                   .where(models.JobInput.job_seq == sa.bindparam("job_seq"))
                   .order_by(models.JobInput.uploaded_at))
# The datasets a claimed job's inputs are filled from, imported by its worker before it runs.
_CLAIMED_DATASETS = (sa.select(models.JobDataset.input, models.JobDataset.dataset)
                     .where(models.JobDataset.job_seq == sa.bindparam("job_seq"))
                     .order_by(models.JobDataset.input))
_INPUTS: sa.Table = models.JobInput.__table__  # type: ignore[assignment]
_INSERT_INPUT = sa.insert(_INPUTS).values({
    **_bound(_INPUTS, "job_seq", "input", "name", "size", "sha256", "media_type"), "uploaded_at": dialects.now()})
_FINISH = {to: transitions.statement(to, allowed=states.RUNNING, with_token=True, values={
    "lease_token": None, "lease_expires_at": None, "finished_at": dialects.now(),
    "expires_at": dialects.now(sa.bindparam("retention_s", type_=sa.Float())),
    "duration_s": dialects.seconds_since(Job.started_at),
    "progress": sa.func.coalesce(sa.bindparam("progress", type_=sa.Float()), Job.progress)})
    for to in (S.COMPLETED, S.FAILED, S.CANCELLED)}


@dataclasses.dataclass(frozen=True)
class ClaimedInput:
    """An uploaded file of a claimed job: the process input it fills, and its name in storage."""

    input: str
    name: str


@dataclasses.dataclass(frozen=True)
class ResultFile:
    path: str
    size: int
    sha256: str
    media_type: str


def manifest(sealed: Sequence[blobs.SealedResult]) -> list[ResultFile]:
    """The results' rows of a completed job, from the files as sealed."""
    return [ResultFile(path=r.path, size=r.size, sha256=r.sha256, media_type=blobs.media_type_of(r.path))
            for r in sealed]


@dataclasses.dataclass(frozen=True)
class Recovered:
    job_id: str
    state: S
    reason: str


class Leases:
    """Claim and lease bookkeeping for workers. Safe to call from many processes and machines."""

    def __init__(self, database: Database, lease_s: float) -> None:
        self.db = database
        self.lease_s = lease_s
        self._claims: dict[tuple[str, ...], tuple[sa.Select[Any], sa.Update]] = {}

    def claim(self, worker_id: str, processes: Sequence[str] = (), *, job_id: str | None = None,
              lease_s: float | None = None) -> Claim | None:
        """Take the next queued job (of ``processes``, if given), or the queued job ``job_id``; None when
        there is none (or claiming is paused). ``lease_s`` sets this claim's lease length (and every
        heartbeat's extension); by default the server's.

        A read looks first: a worker asks after every job whether another waits, and most often none
        does; the read answers that without the write transaction (and, on SQLite, the database's
        single write lock) that the claim itself needs.
        """
        key: tuple[str, ...] = ("named" if job_id is not None else "next", *processes)
        statements = self._claims.get(key)
        if statements is None:
            statements = self._claims[key] = self._claim_statements(processes, named=job_id is not None)
        probe, statement = statements
        named = {"job_id": job_id} if job_id is not None else {}
        with self.db.read() as connection:
            if connection.execute(probe, named).first() is None:
                return None
        token = str(uuid.uuid4())
        with self.db.begin() as tx:
            row = tx.execute(statement, {"token": token, "worker_id": worker_id, "lease_s": lease_s,
                                         "default_lease_s": self.lease_s, **named}).one_or_none()
            if row is None:
                return None
            job = records.job(row)
            transitions.record(tx, job, actor=f"{states.Actor.WORKER}:{worker_id}",
                               reason=f"claimed (attempt {job.attempts})")
            if job.attempts > 1:  # a retry starts with a clean slate (its steps were reset as it was re-queued)
                tx.execute(sa.delete(models.JobResult).where(models.JobResult.job_seq == job.seq))
                steps.reset(tx, job.seq)
        return Claim(job, token)

    def _claim_statements(self, processes: Sequence[str], *, named: bool) -> tuple[sa.Select[Any], sa.Update]:
        """Built once per worker: the probe (is a job waiting?) and the claim, one statement that picks
        (skipping rows others lock), takes and returns."""
        paused = sa.exists().where(models.Maintenance.paused.is_(True))
        waiting = sa.select(Job.seq).where(Job.state == S.QUEUED.value, ~paused)
        if processes:
            waiting = waiting.where(Job.process.in_(list(processes)))
        if named:
            waiting = waiting.where(Job.id == sa.bindparam("job_id"))
        pick = (waiting.order_by(Job.priority.desc(), Job.queued_at, Job.seq).limit(1)
                .with_for_update(skip_locked=True))
        lease_s = sa.bindparam("lease_s", type_=sa.Float())
        claim = (sa.update(records.JOBS).where(Job.seq == pick.scalar_subquery(), Job.state == S.QUEUED.value)
                 .values(previous_state=Job.state, state=S.PROCESSING.value, state_detail=None,
                         attempts=Job.attempts + 1, lease_token=sa.bindparam("token"),
                         worker_id=sa.bindparam("worker_id"), lease_s=lease_s,
                         lease_expires_at=dialects.now(sa.func.coalesce(  # casts: PostgreSQL types each use alike
                             sa.cast(lease_s, sa.Float()),
                             sa.cast(sa.bindparam("default_lease_s", type_=sa.Float()), sa.Float()))),
                         started_at=dialects.now(), updated_at=dialects.now(), progress=0.0)
                 .returning(*records.JOBS.c))
        return waiting.limit(1), claim

    def inputs_of(self, claim: Claim) -> list[ClaimedInput]:
        """The uploaded files of a claimed job, in the order they were uploaded.

        A plain read outside any transaction: an upload is recorded only while its job waits for data
        (the repository's guard), so once a job is claimed its inputs no longer change.
        """
        with self.db.read() as connection:
            rows = connection.execute(_CLAIMED_INPUTS, {"job_seq": claim.job.seq})
            return [ClaimedInput(row.input, row.name) for row in rows]

    def datasets_of(self, claim: Claim) -> list[tuple[str, str]]:
        """``(input, dataset)`` of every input of a claimed job that a dataset of the input directory fills."""
        with self.db.read() as connection:
            return [(row.input, row.dataset) for row in connection.execute(
                _CLAIMED_DATASETS, {"job_seq": claim.job.seq})]

    def record_inputs(self, claim: Claim, files: Sequence[repository.StoredInput]) -> None:
        """Record files the worker imported into the job's inputs, while it still holds the job.

        The job row is taken by an update guarded by the lease token, in the same transaction as the
        rows, so a worker whose lease went to another records nothing (:class:`errors.TransitionConflict`).
        """
        with self.db.begin() as tx:
            held = tx.execute(sa.update(Job).where(Job.id == claim.job.id, Job.lease_token == claim.token)
                              .values(updated_at=dialects.now()).returning(Job.seq)).scalar_one_or_none()
            if held is None:
                raise errors.TransitionConflict(f"this worker no longer holds job {claim.job.id}")
            for stored in files:
                tx.execute(_INSERT_INPUT, {"job_seq": held, **dataclasses.asdict(stored)})

    def heartbeat(self, job_id: str, token: str) -> S | None:
        """Extend the lease by the claim's length; returns the job's state, or None once the lease is no longer ours."""
        return self.extend(job_id, token)[0]

    def extend(self, job_id: str, token: str) -> tuple[S | None, dt.datetime | None]:
        """:meth:`heartbeat` with the new expiry (database time, naive UTC); ``(None, None)`` once the
        lease is no longer ours."""
        with self.db.begin() as tx:
            row = tx.execute(
                sa.update(Job).where(Job.id == job_id, Job.lease_token == token, Job.state.in_(_RUNNING))
                .values(lease_expires_at=dialects.now(sa.func.coalesce(Job.lease_s, sa.cast(self.lease_s, sa.Float()))))
                .returning(Job.state, Job.lease_expires_at)).one_or_none()
        return (S(row.state), row.lease_expires_at) if row is not None else (None, None)

    def observe(self, job_id: str, token: str) -> S | None:
        """The job's state as its holder sees it (cheap, read-only); None if no longer held."""
        with self.db.read() as tx:
            row = tx.execute(sa.select(Job.state, Job.lease_token).where(Job.id == job_id)).one_or_none()
        if row is None or row.lease_token != token:
            return None
        return S(row.state)

    def report(self, job_id: str, token: str, updates: Sequence[StepUpdate], progress: float | None) -> None:
        """Write buffered steps and progress in one transaction; ignored once the lease is lost."""
        values: dict[str, object] = {"updated_at": dialects.now()}
        if progress is not None:
            values["progress"] = decisions.clamp_progress(progress)
        with self.db.begin() as tx:
            seq = tx.execute(sa.update(Job).where(Job.id == job_id, Job.lease_token == token)
                             .values(**values).returning(Job.seq)).scalar_one_or_none()
            if seq is not None:
                steps.write(tx, seq, updates)

    def finish(self, job_id: str, token: str, to: S, *, reason: str | None, retention_s: float,
               results: Sequence[ResultFile] = (), worker_id: str = "", updates: Sequence[StepUpdate] = (),
               progress: float | None = None) -> records.JobRecord:
        """End the attempt in a final state, with its last steps (then any step left open is closed),
        and the results manifest when it completed."""
        with self.db.begin() as tx:
            job = transitions.apply(
                tx, _FINISH[to], job_id, to, token=token, actor=f"{states.Actor.WORKER}:{worker_id}",
                reason=reason, params={"retention_s": retention_s, "progress": (
                    1.0 if to == S.COMPLETED else None if progress is None else decisions.clamp_progress(progress))},
                close_steps=False)
            steps.write(tx, job.seq, updates)
            steps.close(tx, job.seq, to, reason)
            if to == S.COMPLETED and results:
                tx.execute(_INSERT_RESULT, [dict(job_seq=job.seq, **dataclasses.asdict(r)) for r in results])
            return job

    def release(self, job_id: str, token: str, *, reason: str, worker_id: str = "",
                refund_attempt: bool = True) -> records.JobRecord:
        """Hand a running job back to the queue: a clean shutdown refunds the attempt, a retry not."""
        with self.db.begin() as tx:
            return transitions.transition(
                tx, job_id, S.QUEUED, allowed=[S.PROCESSING], token=token,
                actor=f"{states.Actor.WORKER}:{worker_id}", reason=reason,
                values={"lease_token": None, "lease_expires_at": None, "worker_id": None,
                        "queued_at": dialects.now(), "progress": None,
                        "attempts": Job.attempts - 1 if refund_attempt else Job.attempts})

    def requeue_stalled(self, limit: int = 500) -> list[Recovered]:
        """Recover jobs whose lease expired: retry, fail, or (if being cancelled) cancel.

        Idempotent and safe to run anywhere at any time: each change is guarded by the lease token
        that was seen expired, so a worker that heartbeats in between keeps its job.
        """
        with self.db.read() as tx:
            stalled = tx.execute(
                sa.select(Job.id, Job.state, Job.lease_token, Job.attempts, Job.max_retries)
                .where(Job.state.in_(_RUNNING), Job.lease_expires_at < dialects.now()).limit(limit)).all()
        recovered = (self._recover(r.id, r.state, r.lease_token or "", r.attempts, r.max_retries) for r in stalled)
        return [r for r in recovered if r is not None]

    def _recover(self, job_id: str, state: str, token: str, attempts: int, max_retries: int) -> Recovered | None:
        if state == S.CANCELLATION_REQUESTED:
            target, reason = S.CANCELLED, "cancelled; its worker was lost while stopping it"
        else:
            decision = decisions.after_lost_worker(attempts, max_retries)
            target, reason = decision.next_state, decision.reason
        values: dict[str, object] = {"lease_token": None, "lease_expires_at": None, "worker_id": None}
        values |= {"queued_at": dialects.now()} if target == S.QUEUED else {"finished_at": dialects.now()}
        try:
            with self.db.begin() as tx:
                transitions.transition(tx, job_id, target, allowed=[S(state)], token=token,
                                       actor=states.Actor.SWEEPER, reason=reason, values=values)
        except errors.TransitionConflict:
            return None
        return Recovered(job_id, target, reason)

    def expire_leases_of(self, worker_ids: Sequence[str]) -> int:
        """End the leases of workers known to be dead, so recovery need not wait for them."""
        if not worker_ids:
            return 0
        with self.db.begin() as tx:
            result = tx.execute(
                sa.update(Job).where(Job.worker_id.in_(worker_ids), Job.state.in_(_RUNNING))
                .values(lease_expires_at=dialects.now(-1)))
            return int(result.rowcount)
