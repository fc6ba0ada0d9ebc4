"""Drives one claimed job from start to a final state. The same runner serves every executor.

Lifecycle of an attempt: prepare fresh result and scratch directories, hand the job to the
worker's job host (a forked child in its own process group, :mod:`jobsmith.execution.host`), then
supervise it: record its steps and progress, extend the lease, and stop it (TERM, then KILL after
a grace period) when the job is cancelled, deleted, over its time or memory limit, or the worker
is shutting down. Finally carry out what :func:`jobsmith.domain.decisions.after_attempt` decides
from what the host said and why supervision stopped it: write the results manifest and the final
state, or hand the job back to the queue, with a compare-and-set that carries the lease token; if
the lease went to someone else meanwhile, this worker's outcome is discarded.
"""

from __future__ import annotations

import logging
import os
import pathlib
import signal
import socket
import time
import traceback
from collections.abc import Callable

from jobsmith.config import Settings
from jobsmith.domain import decisions, errors, states
from jobsmith.execution import host, messages, osproc, supervision
from jobsmith.processes import registry
from jobsmith.store import blobs, imports, input_dir, leases

log = logging.getLogger(__name__)
S = states.Status


class Attempt:
    """What the job reported during one attempt, buffered until the next write.

    ``declared`` is the number of steps the process declares (they hold the first positions). Until
    the process reports a progress figure of its own, the job's progress is the share of them that
    ended (:func:`decisions.progress_of_steps`); from its first figure on, the process's figures rule.
    """

    def __init__(self, declared: int = 0) -> None:
        self.outcome: messages.Outcome | None = None
        self.progress: float | None = None
        self.progress_dirty = False
        self.progress_reported = False
        self.steps: dict[int, leases.StepUpdate] = {}
        self.declared = declared
        self.ended: set[int] = set()

    def step(self, step: messages.Step) -> None:
        known = self.steps.get(step.position)
        state, at = step.state, step.at
        started = known.started_at if known else (at if state != states.StepState.QUEUED else None)
        ended = None if state in (states.StepState.RUNNING, states.StepState.QUEUED) else at
        self.steps[step.position] = leases.StepUpdate(step.position, step.name, state, started, ended, step.message)
        if ended is not None and step.position < self.declared:
            self.ended.add(step.position)
            if not self.progress_reported:
                self.progress = decisions.progress_of_steps(len(self.ended), self.declared)
                self.progress_dirty = True

    def reported_progress(self, fraction: float) -> None:
        self.progress, self.progress_dirty, self.progress_reported = fraction, True, True

    def take_steps(self) -> list[leases.StepUpdate]:
        pending, self.steps = list(self.steps.values()), {}
        return pending


class Runner:
    """Runs claimed jobs for one worker, one at a time.

    Everything it works with comes in through the constructor (built by
    :class:`jobsmith.execution.worker.Worker`): the lease bookkeeping (whose ``lease_s`` paces the
    heartbeats), the blob store, the registry, the job host (owned from here on: :meth:`close`
    retires it) and the worker's id, which every write carries. From ``settings`` it reads the
    supervision interval, the grace periods, the memory limit and the retention.
    """

    def __init__(self, settings: Settings, lease_book: leases.Leases, store: blobs.BlobStore,
                 processes: registry.Registry, job_host: host.JobHost, worker_id: str) -> None:
        self.settings = settings
        self.leases = lease_book
        self.blobs = store
        self.processes = processes
        self.host = job_host
        self.worker_id = worker_id
        self.importer = imports.Importer(input_dir.InputDir(settings.resolved_input_dir, settings.archive_limits()),
                                         store)

    def run(self, claim: leases.Claim, shutting_down: Callable[[], bool]) -> S | None:
        """Run the claimed job to its end; returns the state written (None if the lease was lost)."""
        job = claim.job
        self._log(job.id, f"attempt {job.attempts} started on {socket.gethostname()} "
                          f"(worker {self.worker_id}, pid {os.getpid()})")
        try:
            spec = self._spec(claim)
        except _CancelledWhileImporting:
            return self._finish(claim, S.CANCELLED, "cancelled while its datasets were being imported")
        except errors.JobsmithError as exc:
            return self._finish(claim, S.FAILED, exc.detail)
        self.host.start(spec)
        watch, attempt = self._supervise(claim, shutting_down)
        return self._conclude(claim, watch, attempt)

    def close(self) -> None:
        """Stop the job host; called when the worker stops."""
        self.host.retire()

    # -- preparing ---------------------------------------------------------------------------
    def _spec(self, claim: leases.Claim) -> messages.ChildSpec:
        job = claim.job
        process = self.processes.get(job.process)
        if process.inputs:
            self._import_datasets(claim, process)
        uploaded = self.leases.inputs_of(claim) if process.inputs else []
        inputs: dict[str, list[pathlib.Path]] = {i.name: [] for i in process.inputs}
        for item in uploaded:
            path = self.blobs.input_path(job.id, item.name)
            if not path.is_file():
                raise errors.NotFound(f"the input file {item.name!r} is missing from storage")
            inputs.setdefault(item.input, []).append(path)
        self.blobs.prepare_run(job.id)
        return messages.ChildSpec(
            job_id=job.id, process_id=process.id, parameters=job.parameters, metadata=job.job_metadata,
            inputs=inputs, output_dir=self.blobs.results_dir(job.id), work_dir=self.blobs.work_dir(job.id),
            log_path=self.blobs.log_path(job.id))

    def _import_datasets(self, claim: leases.Claim, process: registry.Process) -> None:
        """Fill the inputs the job names datasets for, unless an earlier attempt did (its rows exist).

        Runs in this worker before the job's process starts, heartbeating as it goes: a large dataset
        can take longer to copy or unpack than a lease lives. A refusal (the dataset is gone, an
        archive breaks the safe-archive rules) is a :class:`errors.JobsmithError`: the job fails with it.
        """
        made = imports.fill_datasets(self.leases, self.importer, claim, lambda name: process.input(name).multiple,
                                     _Beat(self.leases, claim))
        for input_name, dataset, count in made:
            self._log(claim.job.id, f"input {input_name!r}: imported dataset {dataset!r} "
                                    f"({count} file{'s' if count != 1 else ''})")

    # -- supervising -------------------------------------------------------------------------
    def _supervise(self, claim: leases.Claim, shutting_down: Callable[[], bool]) -> tuple[supervision.Watch, Attempt]:
        settings, job = self.settings, claim.job
        watch = supervision.Watch(started=time.monotonic(), timeout_s=job.timeout_s,
                                  grace_s=settings.cancel_grace_s, shutdown_grace_s=settings.shutdown_grace_s,
                                  memory_limit=settings.job_memory_mb * 1024 * 1024)
        attempt = Attempt(declared=len(self.processes.get(job.process).steps))
        last_beat = time.monotonic()
        next_beat = last_beat + self.leases.lease_s / 3
        next_check = time.monotonic() + settings.supervise_interval_s
        while attempt.outcome is None and self._drain(attempt, max(0.0, next_check - time.monotonic())):
            now = time.monotonic()
            if attempt.outcome is not None or now < next_check:
                continue
            next_check = now + settings.supervise_interval_s
            try:
                self._report(claim, attempt)
                if now >= next_beat:
                    state = self.leases.heartbeat(job.id, claim.token)
                    last_beat, next_beat = now, now + self.leases.lease_s / 3
                else:
                    state = self.leases.observe(job.id, claim.token)
            except errors.Unavailable:
                # The database is restarting or out of reach: the job goes on while the lease may still
                # hold; past that it may belong to another worker now, so it is stopped as lost.
                state = S.PROCESSING if now - last_beat < self.leases.lease_s else None
            reason = watch.decide(now, cancel_requested=state == S.CANCELLATION_REQUESTED, lost=state is None,
                                  shutting_down=shutting_down(), rss=osproc.tree_rss(self.host.pid))
            if reason is not None:
                self._stop(watch, now)
        return watch, attempt

    def _drain(self, attempt: Attempt, wait: float) -> bool:
        """Handle every waiting message; False once the host is gone (its pipe closed)."""
        pipe = self.host.pipe
        assert pipe is not None
        try:
            if not pipe.poll(wait):
                return self.host.alive() or pipe.poll(0)
            while True:
                self._handle(pipe.recv(), attempt)
                if attempt.outcome is not None or not pipe.poll(0):
                    return True
        except (EOFError, OSError):
            return False

    def _handle(self, message: messages.FromHost, attempt: Attempt) -> None:
        if isinstance(message, messages.Step):
            attempt.step(message)
        elif isinstance(message, messages.Progress):
            attempt.reported_progress(message.fraction)
        else:
            attempt.outcome = message

    def _report(self, claim: leases.Claim, attempt: Attempt) -> None:
        """Write what the job reported since the last write (one transaction, on the check timer)."""
        if attempt.steps or attempt.progress_dirty:
            progress = attempt.progress if attempt.progress_dirty else None
            self.leases.report(claim.job.id, claim.token, attempt.take_steps(), progress)
            attempt.progress_dirty = False

    def _stop(self, watch: supervision.Watch, now: float) -> None:
        if watch.must_kill(now) and not watch.killed:
            self.host.signal(signal.SIGKILL)
            watch.killed = True
        elif watch.term_sent_at is None:
            self.host.signal(signal.SIGTERM)
            watch.term_sent_at = now

    # -- concluding --------------------------------------------------------------------------
    def _conclude(self, claim: leases.Claim, watch: supervision.Watch, attempt: Attempt) -> S | None:
        outcome, job = attempt.outcome, claim.job
        # It ended without a word: how? Asked before a retire, which would kill it and say nothing.
        exit_description = "" if outcome else osproc.describe_exit(self.host.exitcode(wait=2.0))
        if not isinstance(outcome, messages.Done) or watch.stop is not None or self.host.left_processes_behind():
            self.host.retire()  # nothing a job started outlives it; the next job gets a fresh host
        failed = outcome if isinstance(outcome, messages.Failed) else None
        decision = decisions.after_attempt(
            outcome=outcome.kind if outcome else None, stop=watch.stop, attempts=job.attempts,
            max_retries=job.max_retries, timeout_s=job.timeout_s, peak_rss=watch.peak_rss,
            memory_limit_mb=self.settings.job_memory_mb, error=failed.text if failed else "",
            retryable=failed.retryable if failed else False, exit_description=exit_description)
        return self._carry_out(claim, decision, attempt)

    def _carry_out(self, claim: leases.Claim, decision: decisions.AttemptDecision, attempt: Attempt) -> S | None:
        """Write what :func:`decisions.after_attempt` decided."""
        if decision.next_state is None:
            log.warning("job %s: this worker no longer holds it (deleted or re-queued); its work was "
                        "stopped and its outcome discarded", claim.job.id,
                        extra={"job_id": claim.job.id, "worker_id": self.worker_id})
            return None
        if decision.next_state is S.COMPLETED:
            return self._complete(claim, attempt)
        self._report(claim, attempt)  # the failed step and last progress, before the final state
        if decision.next_state is S.QUEUED:
            return self._release(claim, decision.reason, refund=decision.refund_attempt)
        return self._finish(claim, decision.next_state, decision.reason)

    def _complete(self, claim: leases.Claim, attempt: Attempt) -> S | None:
        """Seal the results (manifest, ``results.zip``, the archives the process declares) and finish
        COMPLETED with the manifest; a job whose results could not be sealed fails instead."""
        job = claim.job
        archives = self.processes.get(job.process).archive_layouts(job.job_metadata, job.id)
        try:
            sealed = self.blobs.seal_results(job.id, archives)
        except Exception as problem:  # noqa: BLE001 - a full disk, or an archive layout that failed
            why = self._unsealed(job.id, problem)
            return self._carry_out(claim, decisions.after_unstored_results(why), attempt)
        return self._finish(claim, S.COMPLETED, None, leases.manifest(sealed), attempt)

    def _unsealed(self, job_id: str, problem: Exception) -> str:
        """Say why sealing failed: the system's words for an OSError (no path of this server), else the
        exception, whose traceback goes to the job's log (a process's archive layout has a bug)."""
        if isinstance(problem, OSError):
            log.warning("job %s: results not sealed: %s", job_id, problem,
                        extra={"job_id": job_id, "worker_id": self.worker_id})
            return problem.strerror or type(problem).__name__
        self._log(job_id, f"sealing the results failed:\n{traceback.format_exc().rstrip()}")
        return f"{type(problem).__name__}: {problem}"

    def _finish(self, claim: leases.Claim, to: S, reason: str | None,
                results: list[leases.ResultFile] | None = None, attempt: Attempt | None = None) -> S | None:
        job_id = claim.job.id
        self._log(job_id, f"finished: {to.value}" + (f" ({reason})" if reason else ""))
        steps = attempt.take_steps() if attempt else []
        try:
            self._while_reachable(lambda: self.leases.finish(
                job_id, claim.token, to, reason=reason, retention_s=self.settings.retention_days * 86400,
                results=results or [], worker_id=self.worker_id, updates=steps,
                progress=attempt.progress if attempt else None))
        except errors.TransitionConflict as conflict:
            log.warning("job %s: outcome %s discarded: %s", job_id, to.value, conflict.detail,
                        extra={"job_id": job_id, "worker_id": self.worker_id})
            return None
        finally:
            self._clean_scratch(job_id)
        return to

    def _release(self, claim: leases.Claim, reason: str, refund: bool) -> S | None:
        self._log(claim.job.id, reason)
        try:
            self._while_reachable(lambda: self.leases.release(
                claim.job.id, claim.token, reason=reason, worker_id=self.worker_id, refund_attempt=refund))
        except errors.TransitionConflict:
            return None
        return S.QUEUED

    def _while_reachable(self, write: Callable[[], object]) -> None:
        """A final write, tried again while the database is briefly out of reach (a restart), for as long
        as a lease lives: after that the job may be another worker's and the sweeper decides instead.
        Still unreachable then: :class:`errors.TransitionConflict`, so the outcome is discarded."""
        deadline = time.monotonic() + self.leases.lease_s
        while True:
            try:
                write()
                return
            except errors.Unavailable as problem:
                if time.monotonic() > deadline:
                    raise errors.TransitionConflict(f"the database stayed out of reach: {problem.detail}") from problem
                time.sleep(min(1.0, self.leases.lease_s / 10))

    def _clean_scratch(self, job_id: str) -> None:
        try:
            self.blobs.remove_scratch(job_id)
        except OSError as problem:  # the outcome is written already; leftovers go with the job's files
            log.warning("job %s: scratch directory not removed: %s", job_id, problem,
                        extra={"job_id": job_id, "worker_id": self.worker_id})

    def _log(self, job_id: str, line: str) -> None:
        """A line in the job's log and the worker's; a log that cannot be written (a full disk) costs the
        line, never the job's state."""
        try:
            self.blobs.append_log(job_id, line)
        except OSError as problem:
            log.warning("job %s: log line not written: %s", job_id, problem,
                        extra={"job_id": job_id, "worker_id": self.worker_id})
        log.info("job %s: %s", job_id, line, extra={"job_id": job_id, "worker_id": self.worker_id})


class _CancelledWhileImporting(Exception):
    """The job was cancelled while its datasets were imported: it ends CANCELLED, not FAILED."""


class _Beat:
    """Called between pieces of an import: extends the lease every third of its life, and stops the
    import once the job is being cancelled or is no longer this worker's."""

    def __init__(self, lease_book: leases.Leases, claim: leases.Claim) -> None:
        self.leases, self.claim = lease_book, claim
        self.next = time.monotonic() + lease_book.lease_s / 3

    def __call__(self) -> None:
        if time.monotonic() < self.next:
            return
        self.next = time.monotonic() + self.leases.lease_s / 3
        state = self.leases.heartbeat(self.claim.job.id, self.claim.token)
        if state is None:
            raise errors.TransitionConflict(f"job {self.claim.job.id} is no longer held by this worker")
        if state == S.CANCELLATION_REQUESTED:
            raise _CancelledWhileImporting()

