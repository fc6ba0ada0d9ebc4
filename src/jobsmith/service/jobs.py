"""Jobs as clients change and read them: create, read (and wait), list, history, patch, queue,
cancel, delete. Every face calls these; none of them knows HTTP.

Owner scoping lives here: a caller who is not an admin reaches only their own jobs, and another
owner's job is :class:`~jobsmith.domain.errors.NotFound`, as if it did not exist.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import hashlib
import json
import time
from typing import Any

import anyio.to_thread

from jobsmith.domain import errors, labels, queries, snapshots, states
from jobsmith.service import backend, callers, changes, references, requests
from jobsmith.store import repository, targets

S = states.Status
Page = repository.Page


class JobService:
    """The lifecycle operations of jobs. Async: database calls go through the backend's one convention."""

    def __init__(self, back: backend.Backend) -> None:
        self.backend = back

    # -- reading -----------------------------------------------------------------------------
    async def get(self, caller: callers.Caller, job_id: str, *, details: bool = True) -> snapshots.JobRecord:
        """The caller's job (with steps, inputs and results unless ``details`` is False)."""
        return await self.backend.read(functools.partial(
            self.backend.jobs.get, job_id, owner=caller.scope(), details=details))

    async def wait(self, caller: callers.Caller, job_id: str, wait_s: float, *, until_final: bool) -> snapshots.JobRecord:
        """The job once its state changed (``until_final``: once it is final), or after ``wait_s``.

        A final job is answered at once. Waiters are woken by announcements (:mod:`changes`), and
        re-read the job at least every :data:`changes.RECHECK_S` whatever they hear.
        """
        read = functools.partial(self.backend.jobs.get, job_id, owner=caller.scope())
        async with self.backend.changes.listening(job_id) as changed:
            job = await self.backend.read(read)
            deadline = time.monotonic() + wait_s
            first = job.state
            while (until_final or job.state == first) and not S(job.state).is_terminal():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                woken = False
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(min(remaining, changes.RECHECK_S)):  # no task per wait
                        woken = await changed.event.wait()
                changed.event.clear()
                if woken and until_final and not changed.maybe_final:
                    continue  # a step on the way (claimed, say): the job cannot be final, nothing to read
                changed.maybe_final = False
                job = await self.backend.read(read)
        return job

    async def page(self, caller: callers.Caller, query: queries.JobQuery, *, limit: int, after: int | None,
                   before: int | None, details: bool) -> Page:
        """One page of the caller's jobs, newest first; ``after``/``before`` are positions from a cursor."""
        scope = caller.scope()
        if scope is not None and query.owner is not None and query.owner != scope:
            return Page([], None, None, False, False)  # only ever one's own jobs
        where = query if scope is None else dataclasses.replace(query, owner=scope)
        return await self.backend.read(functools.partial(
            self.backend.jobs.page, where, limit=limit, after=after, before=before, details=details))

    async def targets(self, caller: callers.Caller, *, limit: int, after: targets.Position | None,
                      before: targets.Position | None) -> targets.TargetPage:
        """One page of the targets of the caller's jobs (an admin's: everyone's), last change first."""
        return await self.backend.read(functools.partial(
            self.backend.jobs.targets, caller.scope(), limit=limit, after=after, before=before))

    async def history(self, caller: callers.Caller, job_id: str) -> list[snapshots.HistoryRecord]:
        job = await self.get(caller, job_id, details=False)
        return await self.backend.read(functools.partial(self.backend.jobs.history, job.id))

    # -- changing ----------------------------------------------------------------------------
    async def create(self, caller: callers.Caller, request: requests.JobRequest,
                     idempotency_key: str | None = None) -> tuple[snapshots.JobRecord, bool]:
        """Validate and insert a job; ``(job, created)`` where ``created`` is False on an idempotent replay.

        Inputs given by reference (:mod:`references`) are checked first; another job's results are
        placed under the new job's id before the job is recorded with them, and removed again should
        the job not be recorded (refused, or an idempotent replay that returns the earlier job).
        """
        new, idempotency = self._new_job(caller, request, idempotency_key)
        if not request.inputs:
            job, created = await self.backend.write(functools.partial(self.backend.jobs.create, new,
                                                                      idempotency=idempotency))
        else:
            job, created = await self._create_with_references(caller, request, new, idempotency)
        if created and job.state == S.QUEUED:
            self.backend.executor.notify()
        return job, created

    async def _create_with_references(self, caller: callers.Caller, request: requests.JobRequest,
                                      new: repository.NewJob, idempotency: tuple[str, str] | None,
                                      ) -> tuple[snapshots.JobRecord, bool]:
        if idempotency is not None:  # a replay answers with the first job, whatever became of its sources
            earlier = await self.backend.read(functools.partial(self.backend.jobs.replayed, new.owner, *idempotency))
            if earlier is not None:
                return earlier, False
        process = self.backend.processes.get(new.process)
        resolved = await references.resolve(self.backend, caller, process, request.inputs)
        new = dataclasses.replace(new, job_id=references.new_id(), queued=True, datasets=resolved.datasets,
                                  inputs=tuple(chained.stored for chained in resolved.files))
        assert new.job_id is not None
        created = False
        try:
            if resolved.files:
                await anyio.to_thread.run_sync(references.place, self.backend, new.job_id, resolved)
            job, created = await self.backend.write(functools.partial(self.backend.jobs.create, new,
                                                                      idempotency=idempotency))
        finally:
            if not created and resolved.files:
                await anyio.to_thread.run_sync(self.backend.blobs.remove, new.job_id)
        return job, created

    async def create_each(self, caller: callers.Caller, requests_: list[requests.JobRequest],
                          ) -> list[snapshots.JobRecord | errors.JobsmithError]:
        """Create the jobs one after the other, each on its own: a refusal (invalid, target busy ...)
        is returned in that item's place and the others go on. Two items for one exclusive target:
        the first wins, the second is refused naming it."""
        outcomes: list[snapshots.JobRecord | errors.JobsmithError] = []
        for request in requests_:
            try:
                outcomes.append((await self.create(caller, request))[0])
            except errors.Unavailable:
                raise  # the database is down: the whole request is a 503, as a single create's
            except errors.JobsmithError as refusal:
                outcomes.append(refusal)
        return outcomes

    def _new_job(self, caller: callers.Caller, request: requests.JobRequest,
                 idempotency_key: str | None) -> tuple[repository.NewJob, tuple[str, str] | None]:
        settings = self.backend.settings
        try:
            process = self.backend.processes.get(request.process)
        except errors.NotFound as exc:
            raise errors.Invalid(exc.detail, code="unknown_process") from None
        _check_labels(request.labels)
        if process.exclusive and request.target is None:
            raise errors.Invalid(f"process {process.id!r} is exclusive (one active job per target) and needs a "
                                 "target", code="target_required")
        parameters = process.validate_parameters(request.parameters).model_dump(mode="json")
        new = repository.NewJob(
            process=process.id, process_version=process.version, owner=caller.owner, parameters=parameters,
            metadata=request.metadata, labels=request.labels, target=request.target,
            description=request.description, priority=request.priority,
            timeout_s=request.timeout_s or settings.job_timeout_s,
            max_retries=settings.max_retries if request.max_retries is None else request.max_retries,
            queued=not process.needs_upload, exclusive=process.exclusive, steps=process.steps)
        return new, _idempotency(idempotency_key, request)

    async def patch(self, caller: callers.Caller, job_id: str, changes_: dict[str, Any]) -> snapshots.JobRecord:
        """Change description, labels or priority (priority only while waiting or queued)."""
        job = await self.get(caller, job_id)
        if not changes_:
            return job
        if "labels" in changes_:
            _check_labels(changes_["labels"])
        return await self.backend.write(functools.partial(self.backend.jobs.patch, job.id, caller.scope(), changes_))

    async def queue(self, caller: callers.Caller, job_id: str) -> snapshots.JobRecord:
        """Queue a waiting job explicitly (processes taking several files per input)."""
        job = await self.get(caller, job_id)
        process = self.backend.processes.get(job.process)
        filled = {i.input for i in job.inputs}
        missing = [i.name for i in process.inputs if i.required and i.name not in filled]
        if missing:
            raise errors.Conflict(f"required input(s) not uploaded yet: {', '.join(missing)}", code="inputs_missing")
        if job.state != S.WAITING_FOR_DATA:
            raise errors.Conflict(f"job {job.id} is {job.state}; only a job waiting for data can be queued",
                                  code="state_conflict")
        await self.backend.write(functools.partial(self.backend.jobs.queue, job.id))
        self.backend.announce_queued(job.id)
        return await self.get(caller, job.id)

    async def cancel(self, caller: callers.Caller, job_id: str) -> snapshots.JobRecord:
        """CANCELLED at once when nobody runs the job; CANCELLATION_REQUESTED while its work is stopped."""
        job = await self.get(caller, job_id, details=False)
        cancelled = await self.backend.write(functools.partial(self.backend.jobs.cancel, job.id))
        self.backend.changes.publish(job.id, cancelled.state)
        return await self.get(caller, job.id)

    async def delete(self, caller: callers.Caller, job_id: str) -> snapshots.JobRecord:
        """DELETED first (a running job's worker then stops it), files second; the record stays."""
        job = await self.get(caller, job_id, details=False)
        deleted = await self.backend.write(functools.partial(self.backend.jobs.delete, job.id))
        await anyio.to_thread.run_sync(self.backend.blobs.remove, job.id)
        await self.backend.write(functools.partial(self.backend.jobs.mark_files_removed, job.id))
        self.backend.changes.publish(job.id, S.DELETED.value)
        return deleted


def _check_labels(given: dict[str, str]) -> None:
    """Faces check labels for shape; this holds for every face, whatever it checked."""
    problem = labels.problem(given)
    if problem is not None:
        raise errors.Invalid(problem, code="invalid_labels")


def _idempotency(key: str | None, request: requests.JobRequest) -> tuple[str, str] | None:
    """``(key, sha256 of the request)``: the same key with another request is refused by the store."""
    if key is None:
        return None
    if not 1 <= len(key) <= 255:
        raise errors.Invalid("the Idempotency-Key header must be 1 to 255 characters", code="bad_idempotency_key")
    canonical = json.dumps(dataclasses.asdict(request), sort_keys=True, separators=(",", ":"))
    return key, hashlib.sha256(canonical.encode()).hexdigest()
