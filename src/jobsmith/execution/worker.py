"""A worker: claims queued jobs one at a time and runs them through the :class:`Runner`.

It registers itself as a row, recovers stalled jobs on start and on a timer, waits for a wake-up
(or polls) when the queue is empty, and on SIGTERM drains: it claims nothing more, gives the
running job ``shutdown_grace_s`` to finish, and hands it back to the queue otherwise.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from collections.abc import Callable, Sequence

from jobsmith import runtime
from jobsmith.execution import host, osproc, runner, sweeper
from jobsmith.store import admin, leases, records

log = logging.getLogger(__name__)

WaitForWork = Callable[[float], None]


class Worker:
    """One worker: a row in the workers table, its sweeper, and the runner it builds from ``opened``
    (the runner's lease book, blob store, registry and job host are made here and handed over)."""

    def __init__(self, opened: runtime.Runtime, wait_for_work: WaitForWork,
                 only: Sequence[str] = (), parent_pid: int | None = None,
                 announce: Callable[[str, str | None], None] | None = None,
                 should_stop: Callable[[], bool] | None = None,
                 requeued: Callable[[records.JobRecord], None] | None = None) -> None:
        settings, database = opened.settings, opened.database
        self.settings = settings
        self.admin = admin.Admin(database)
        self.leases = leases.Leases(database, settings.lease_s)
        self.sweeper = sweeper.Sweeper(settings, database, opened.blobs)
        self.worker_id = self.admin.register_worker(socket.gethostname(), os.getpid())
        self.runner = runner.Runner(settings, self.leases, opened.blobs, opened.processes,
                                    host.JobHost(opened.processes), self.worker_id)
        self.wait_for_work = wait_for_work
        self.only = tuple(only)
        self.parent_pid = parent_pid
        self.announce = announce or (lambda job_id, state: None)
        self.should_stop = should_stop or (lambda: False)
        self.requeued = requeued or (lambda job: None)
        self.stopping = False
        self._next_sweep = 0.0

    def request_stop(self, *_: object) -> None:
        self.stopping = True

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self.request_stop)
        signal.signal(signal.SIGINT, self.request_stop)

    def run(self) -> None:
        log.info("worker %s started (pid %d)", self.worker_id, os.getpid(), extra={"worker_id": self.worker_id})
        try:
            while not self.shutting_down():
                self._maybe_sweep()
                if not self.run_one():
                    self.wait_for_work(self.settings.poll_interval_s)
        finally:
            self.runner.close()
            self.admin.stop_worker(self.worker_id)
            log.info("worker %s stopped", self.worker_id, extra={"worker_id": self.worker_id})

    def run_one(self, only: Sequence[str] | None = None) -> bool:
        """Claim and run one job (of the processes ``only``, default this worker's); False when there was
        nothing to claim. ``requeued`` hears of a job the runner handed back to the queue."""
        claim = self.leases.claim(self.worker_id, self.only if only is None else only)
        if claim is None:
            return False
        self.announce(claim.job.id, runner.S.PROCESSING.value)
        ended = self.runner.run(claim, self.shutting_down)
        if ended == runner.S.QUEUED:
            self.requeued(claim.job)
        self.announce(claim.job.id, ended.value if ended is not None else None)
        return True

    def shutting_down(self) -> bool:
        """Whether to claim nothing more and give the running job its shutdown grace period."""
        return self.stopping or self.should_stop() or not self._parent_alive()

    def _maybe_sweep(self) -> None:
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + self.settings.sweep_interval_s
        try:
            self.sweeper.sweep(own_worker_ids=frozenset({self.worker_id}))
            self.admin.beat_worker(self.worker_id)
        except Exception:  # noqa: BLE001 - a failed sweep is retried on the next timer
            log.exception("sweep failed", extra={"worker_id": self.worker_id})

    def _parent_alive(self) -> bool:
        return self.parent_pid is None or osproc.parent_alive(self.parent_pid)
