"""Announcing queued work on the broker: after the commit, best effort, never in the way.

A wake-up is one Celery message on a queue that says "a job of this queue's processes is
queued"; it names no job. It expires after ``resend_after_s``: a job still QUEUED by then, while
some worker is idle, is announced again by the sweeper of that worker (see
:mod:`jobsmith.execution.celery_worker`). So a send that fails (the broker is down or
restarting) only costs a log line and some delay, never a job: creating and uploading never wait
for the broker, and never fail because of it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

from celery import Celery

from jobsmith.execution import celery_app

log = logging.getLogger(__name__)


class Dispatcher:
    """Sends wake-ups; thread-safe. A failed send is logged once per outage and dropped."""

    def __init__(self, app: Celery, routing: celery_app.Routing, expires_s: float) -> None:
        self.app = app
        self.routing = routing
        self.expires_s = expires_s
        self._lock = threading.Lock()
        self._failing = False

    def wake(self, queue: str, count: int = 1) -> int:
        """Send ``count`` wake-ups on ``queue``; returns how many went out (fewer if the broker failed)."""
        for sent in range(count):
            try:
                self.app.send_task(celery_app.TASK, args=[queue], queue=queue, expires=self.expires_s,
                                   retry=False)
            except Exception as problem:  # noqa: BLE001 - any broker failure: the sweeper sends again
                self._failed(queue, problem)
                return sent
        self._recovered()
        return count

    def wake_all(self) -> int:
        """One wake-up on every queue: for a job whose queue is not known here."""
        return sum(self.wake(queue) for queue in self.routing.queues)

    def wake_for(self, processes: Iterable[str]) -> int:
        """One wake-up per job, on its process's queue."""
        return sum(self.wake(self.routing.queue_of(process)) for process in processes)

    def _failed(self, queue: str, problem: Exception) -> None:
        with self._lock:
            first, self._failing = not self._failing, True
        if first:
            log.warning("cannot reach the broker to announce work on queue %s (%s: %s); the jobs stay "
                        "QUEUED, and the workers' sweepers announce them again once they have waited %g s",
                        queue, type(problem).__name__, problem, self.expires_s)

    def _recovered(self) -> None:
        with self._lock:
            was, self._failing = self._failing, False
        if was:
            log.warning("the broker is reachable again")
