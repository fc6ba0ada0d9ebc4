"""Hearing of job state changes made anywhere: PostgreSQL's LISTEN/NOTIFY.

A trigger (migration 0002) notifies :data:`CHANNEL` with a job's id and new state (``<id> <state>``,
the same form as the embedded workers' announcements: :func:`encode`, :func:`decode`) whenever its
state changes, delivered when the changing transaction commits, whichever machine made it. An API
server in cluster mode listens on one connection of its own and wakes the long-polls waiting on
that job, so a client hears of a finished job at once instead of at the next periodic re-read.

Notices are a shortcut, never the source of truth: one missed while the connection is down
(a database restart) only delays an answer until the waiter's own re-read.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import sqlalchemy as sa

log = logging.getLogger(__name__)

CHANNEL = "jobsmith_job_state"
RETRY_S = 2.0


def encode(job_id: str, state: str | None) -> str:
    """A change notice: the job's id and the state it went to (empty when not known)."""
    return f"{job_id} {state or ''}"


def decode(notice: str) -> tuple[str, str | None]:
    """``(job_id, state)`` of a change notice; the state is None when not known."""
    job_id, _, state = notice.partition(" ")
    return job_id, state or None


class NoticeListener:
    """A thread that LISTENs on :data:`CHANNEL` and hands every job id and state to ``on_change``."""

    def __init__(self, url: str, on_change: Callable[[str, str | None], None]) -> None:
        self._conninfo = sa.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._on_change = on_change
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.listening = threading.Event()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="jobsmith-notices", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        try:
            import psycopg
        except ImportError:
            log.warning("psycopg is not installed (pip install 'jobsmith[postgres]'): long-polls see changes "
                        "made by other machines only when they re-read the job")
            return
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    while not self._stop.is_set():
                        for notice in connection.notifies(timeout=1.0):
                            self._on_change(*decode(notice.payload))
            except psycopg.Error as problem:
                log.warning("listening for job changes failed (%s); trying again in %g s",
                            str(problem).strip() or type(problem).__name__, RETRY_S)
            finally:
                self.listening.clear()
            self._stop.wait(RETRY_S)
