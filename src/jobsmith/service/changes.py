"""Waking long-polling requests (``Prefer: wait=N`` on a job) when the job changes.

Changes are announced by the local workers (claimed, finished, handed back: through a pipe
pumped by the executor), by this API process itself (queued, cancelled, deleted) and, on
PostgreSQL, by the database for every state change wherever it was made (workers on other
machines, sweepers, other servers: :mod:`jobsmith.store.notices`). A waiter never relies on an
announcement alone: it re-reads the job at least every :data:`RECHECK_S`.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator

from jobsmith.domain import states

RECHECK_S = 1.0
_NOT_FINAL = frozenset(s.value for s in states.Status if not s.is_terminal())


class Waiter:
    """What one long-poll waits on: its event is set on each change of its job."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.maybe_final = False

    def notify(self, state: str | None) -> None:
        """A change to ``state`` (None: unknown). Whether it may have made the job final is kept, so
        that a wait for the final state need not read the job on each step on the way."""
        if state not in _NOT_FINAL:
            self.maybe_final = True
        self.event.set()


class ChangeFeed:
    """Per-job events on the API's event loop. ``publish`` may be called from any thread."""

    def __init__(self) -> None:
        self._waiters: dict[str, set[Waiter]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Attach to ``loop``; call from the loop's own thread."""
        self._loop, self._loop_thread = loop, threading.get_ident()

    def publish(self, job_id: str, state: str | None = None) -> None:
        """Wake whoever waits on ``job_id``, which went to ``state`` (None: unknown, maybe final): at once
        on the loop's thread, else through the loop.

        Most changes have no waiter, and those cost one dictionary look-up here. Looking without the
        loop is safe: a waiter registers before it reads the job, and a change is published after its
        commit, so a waiter that registers just after this look-up reads the change itself.
        """
        loop = self._loop
        if job_id not in self._waiters or loop is None or loop.is_closed():
            return
        if threading.get_ident() == self._loop_thread:
            self._wake(job_id, state)
        else:
            loop.call_soon_threadsafe(self._wake, job_id, state)

    def _wake(self, job_id: str, state: str | None) -> None:
        for waiter in self._waiters.get(job_id, ()):
            waiter.notify(state)

    @contextlib.asynccontextmanager
    async def listening(self, job_id: str) -> AsyncIterator[Waiter]:
        """A waiter notified of every change of ``job_id``; enter it *before* reading the job."""
        waiter = Waiter()
        self._waiters.setdefault(job_id, set()).add(waiter)
        try:
            yield waiter
        finally:
            waiters = self._waiters.get(job_id)
            if waiters is not None:
                waiters.discard(waiter)
                if not waiters:
                    del self._waiters[job_id]
