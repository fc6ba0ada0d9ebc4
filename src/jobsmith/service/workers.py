"""The worker protocol: executors outside jobsmith claim, run and finish jobs through the service.

A job run this way looks to its user like one run by jobsmith's own workers: the same claim (one
statement, a fresh lease token, ``attempts`` + 1), the same lease on the database's clock, steps,
log, sealed results, history and recovery. Every call after the claim carries the lease token, and
a token that is no longer the job's current one changes nothing (:class:`errors.Conflict`
``lease_lost``): a worker presumed dead cannot write over a job that went to another.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import functools
import time
from collections.abc import Sequence

import anyio.to_thread

from jobsmith.domain import decisions, errors, snapshots, states
from jobsmith.service import backend, callers, downloads
from jobsmith.store import blobs, imports, leases

S = states.Status
CLAIM_POLL_S = 0.25
"""How often a waiting claim looks again: the probe is one indexed read."""


@dataclasses.dataclass(frozen=True)
class Lease:
    token: str
    expires_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class Claimed:
    job: snapshots.JobRecord
    lease: Lease


@dataclasses.dataclass(frozen=True)
class StepReport:
    name: str
    state: states.StepState
    message: str | None = None


@dataclasses.dataclass(frozen=True)
class LogLine:
    level: str
    message: str


def _origin(worker: callers.Worker) -> str:
    """Where a log entry comes from: the worker's name, as its history entries say it."""
    return f"worker:{worker.name}"


class WorkerService:
    """What an external worker may do, each call checked against the job's current lease."""

    def __init__(self, back: backend.Backend) -> None:
        self.backend = back

    # -- claiming ------------------------------------------------------------------------------
    async def claim(self, worker: callers.Worker, processes: Sequence[str], job_id: str | None,
                    wait_s: float, lease_s: float) -> Claimed | None:
        """The best queued job of ``processes`` (any, if empty), or the queued job ``job_id``; None if
        none came within ``wait_s`` (also while maintenance pauses claiming)."""
        for process in processes:
            self.backend.processes.get(process)  # NotFound names an unknown process
        if job_id is not None:
            await self._claimable(job_id)
        deadline = time.monotonic() + wait_s
        take = functools.partial(self.backend.leases.claim, worker.name, tuple(processes),
                                 job_id=job_id, lease_s=lease_s)
        while True:
            claim = await self.backend.write(take)
            if claim is not None:
                self.backend.changes.publish(claim.job.id, S.PROCESSING.value)
                if await self._inputs_ready(worker, claim):
                    job = await self.backend.read(functools.partial(self.backend.jobs.get, claim.job.id))
                    assert claim.job.lease_expires_at is not None
                    return Claimed(job, Lease(claim.token, claim.job.lease_expires_at))
                if job_id is not None:
                    return None
                continue  # that job failed on its datasets; the next one may do
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            await asyncio.sleep(min(CLAIM_POLL_S, remaining))

    async def _inputs_ready(self, worker: callers.Worker, claim: leases.Claim) -> bool:
        """Import the datasets a claimed job names, as jobsmith's runner does before its process starts;
        a refusal (the dataset is gone, a hostile archive) fails the job with it: False."""
        process = self.backend.processes.get(claim.job.process)
        importer = imports.Importer(self.backend.datasets, self.backend.blobs)

        def beat() -> None:  # a large dataset may take longer to copy than a lease lives
            self.backend.leases.heartbeat(claim.job.id, claim.token)

        try:
            made = await anyio.to_thread.run_sync(functools.partial(
                imports.fill_datasets, self.backend.leases, importer, claim,
                lambda name: process.input(name).multiple, beat))
        except errors.JobsmithError as refused:
            await self._finish(worker, claim.job, claim.token, S.FAILED, refused.detail, [])
            return False
        for input_name, dataset, count in made:
            self._log_outcome(claim.job.id, f"input {input_name!r}: imported dataset {dataset!r} ({count} file(s))")
        return True

    async def _claimable(self, job_id: str) -> None:
        """A named job must exist and may still run: a final one is a 409, not a long wait for nothing."""
        job = await self.backend.read(functools.partial(self.backend.jobs.get, job_id, details=False))
        if S(job.state).is_terminal():
            raise errors.Conflict(f"job {job.id} is {job.state}; only a queued job can be claimed",
                                  code="state_conflict")

    # -- the held job ------------------------------------------------------------------------------
    async def job(self, worker: callers.Worker, job_id: str, token: str) -> snapshots.JobRecord:
        """The job the worker holds, with its inputs."""
        await self._held(job_id, token)
        return await self.backend.read(functools.partial(self.backend.jobs.get, job_id))

    async def input_file(self, worker: callers.Worker, job_id: str, token: str, name: str) -> downloads.StoredFile:
        """An input of the held job, to send."""
        job = await self.job(worker, job_id, token)
        found = next((i for i in job.inputs if i.name == name), None)
        if found is None:
            raise errors.NotFound(f"job {job_id} has no input {name!r}", code="input_not_found")
        return downloads.StoredFile(self.backend.blobs.input_path(job_id, name), found.media_type, found.sha256,
                                    filename=name)

    async def heartbeat(self, worker: callers.Worker, job_id: str, token: str) -> tuple[dt.datetime, bool]:
        """Extend the lease by the claim's length: ``(expires_at, cancel_requested)``."""
        state, expires = await self.backend.write(functools.partial(self.backend.leases.extend, job_id, token))
        if state is None or expires is None:
            raise _lease_lost(job_id)
        return expires, state == S.CANCELLATION_REQUESTED

    async def report(self, worker: callers.Worker, job_id: str, token: str, *, progress: float | None,
                     step: StepReport | None, log: Sequence[LogLine]) -> bool:
        """Progress, a step's state and log lines; extends the lease; whether a cancel was requested."""
        _, cancel_requested = await self.heartbeat(worker, job_id, token)
        job = await self.backend.read(functools.partial(self.backend.jobs.get, job_id))
        updates = [_step_update(job, step)] if step is not None else []
        if updates or progress is not None:
            await self.backend.write(functools.partial(self.backend.leases.report, job_id, token, updates, progress))
        if log:
            current = step.name if step is not None else _running_step(job)
            entries = [(line.level, line.message, current) for line in log]
            await anyio.to_thread.run_sync(functools.partial(
                self.backend.blobs.append_entries, job_id, entries, origin=_origin(worker)))
        return cancel_requested

    async def put_result(self, worker: callers.Worker, job_id: str, token: str, path: str,
                         staged: blobs.Upload) -> leases.ResultFile:
        """Place a received result file at ``path`` (the same path again replaces it)."""
        await self._held(job_id, token)
        await anyio.to_thread.run_sync(self.backend.blobs.place_result, staged, job_id, path)
        return leases.ResultFile(path=path, size=staged.size, sha256=staged.sha256,
                                 media_type=blobs.media_type_of(path))

    def stage_result(self, job_id: str) -> blobs.Upload:
        """A temporary file for a result being received; the caller MUST ``abort()`` it in the end."""
        return self.backend.blobs.start_result(job_id, self.backend.settings.upload_limit_bytes)

    async def finish(self, worker: callers.Worker, job_id: str, token: str, to: S, reason: str | None,
                     retryable: bool) -> snapshots.JobRecord:
        """End the attempt: COMPLETED seals the results as jobsmith's own workers do; FAILED goes back to
        the queue when ``retryable`` and retries are left; CANCELLED only after a cancel was requested."""
        job = await self._held(job_id, token)
        if to == S.CANCELLED and job.state != S.CANCELLATION_REQUESTED:
            raise errors.Conflict("CANCELLED is only for a job whose cancel was requested; finish it COMPLETED "
                                  "or FAILED", code="not_cancelled")
        if to == S.FAILED and retryable and decisions.may_retry(job.attempts, job.max_retries):
            return await self._release(worker, job, token, reason or "failed; the worker asked for a retry")
        results: list[leases.ResultFile] = []
        if to == S.COMPLETED:
            try:
                results = await anyio.to_thread.run_sync(self._seal, job)
            except OSError as problem:  # a full disk
                to, reason = S.FAILED, f"the results could not be stored: {problem.strerror or problem}"
            except ValueError as problem:  # an archive layout of the process leading outside its archive
                to, reason = S.FAILED, f"the results could not be sealed: {problem}"
        return await self._finish(worker, job, token, to, reason if to != S.COMPLETED else None, results)

    # -- plumbing --------------------------------------------------------------------------------
    async def _held(self, job_id: str, token: str) -> snapshots.JobRecord:
        job = await self.backend.read(functools.partial(self.backend.jobs.get, job_id, details=False))
        if job.lease_token != token or job.state not in (S.PROCESSING, S.CANCELLATION_REQUESTED):
            raise _lease_lost(job_id)
        return job

    def _seal(self, job: snapshots.JobRecord) -> list[leases.ResultFile]:
        archives = self.backend.processes.get(job.process).archive_layouts(job.job_metadata, job.id)
        return leases.manifest(self.backend.blobs.seal_results(job.id, archives))

    async def _finish(self, worker: callers.Worker, job: snapshots.JobRecord, token: str, to: S,
                      reason: str | None, results: list[leases.ResultFile]) -> snapshots.JobRecord:
        self._log_outcome(job.id, f"finished: {to.value}" + (f" ({reason})" if reason else ""))
        finish = functools.partial(
            self.backend.leases.finish, job.id, token, to, reason=reason,
            retention_s=self.backend.settings.retention_days * 86400, results=results, worker_id=worker.name)
        try:
            await self.backend.write(finish)
        except errors.TransitionConflict:
            raise _lease_lost(job.id) from None
        await anyio.to_thread.run_sync(self.backend.blobs.remove_scratch, job.id)
        self.backend.changes.publish(job.id, to.value)
        return await self.backend.read(functools.partial(self.backend.jobs.get, job.id))

    async def _release(self, worker: callers.Worker, job: snapshots.JobRecord, token: str,
                       reason: str) -> snapshots.JobRecord:
        self._log_outcome(job.id, reason)
        release = functools.partial(self.backend.leases.release, job.id, token, reason=reason,
                                    worker_id=worker.name, refund_attempt=False)
        try:
            await self.backend.write(release)
        except errors.TransitionConflict:
            raise _lease_lost(job.id) from None
        self.backend.announce_queued(job.id)
        return await self.backend.read(functools.partial(self.backend.jobs.get, job.id))

    def _log_outcome(self, job_id: str, line: str) -> None:
        try:
            self.backend.blobs.append_log(job_id, line)
        except OSError:
            pass  # a log that cannot be written costs the line, never the job's state


def _lease_lost(job_id: str) -> errors.Conflict:
    return errors.Conflict(f"this lease of job {job_id} is no longer current (the job was re-queued, "
                           "finished, cancelled or deleted): stop working on it", code="lease_lost")



def _running_step(job: snapshots.JobRecord) -> str | None:
    return next((s.name for s in job.steps if s.state == states.StepState.RUNNING), None)


def _step_update(job: snapshots.JobRecord, step: StepReport) -> leases.StepUpdate:
    """The row a reported step updates: the one of that name, else a new one after the others."""
    position = next((s.position for s in job.steps if s.name == step.name), len(job.steps))
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    running = step.state == states.StepState.RUNNING
    return leases.StepUpdate(position=position, name=step.name, state=step.state, started_at=now,
                             ended_at=None if running or step.state == states.StepState.QUEUED else now,
                             message=step.message)
