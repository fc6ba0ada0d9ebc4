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
from collections.abc import AsyncIterator

RECHECK_S = 1.0
MAX_WAIT_S = 30.0


class ChangeFeed:
    """Per-job events on the API's event loop. ``publish`` may be called from any thread."""

    def __init__(self) -> None:
        self._waiters: dict[str, set[asyncio.Event]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def publish(self, job_id: str) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake, job_id)

    def _wake(self, job_id: str) -> None:
        for event in self._waiters.get(job_id, ()):
            event.set()

    @contextlib.asynccontextmanager
    async def listening(self, job_id: str) -> AsyncIterator[asyncio.Event]:
        """An event set on the next change of ``job_id``; enter it *before* reading the job."""
        event = asyncio.Event()
        self._waiters.setdefault(job_id, set()).add(event)
        try:
            yield event
        finally:
            waiters = self._waiters.get(job_id)
            if waiters is not None:
                waiters.discard(event)
                if not waiters:
                    del self._waiters[job_id]


def requested_wait(prefer: str | None) -> float:
    """Seconds asked for by ``Prefer: wait=N`` (RFC 7240), capped at :data:`MAX_WAIT_S`; 0 if none."""
    for preference in (prefer or "").split(","):
        name, _, value = preference.strip().partition("=")
        if name.strip().lower() == "wait":
            try:
                return max(0.0, min(MAX_WAIT_S, float(value.strip().strip('"'))))
            except ValueError:
                return 0.0
    return 0.0
