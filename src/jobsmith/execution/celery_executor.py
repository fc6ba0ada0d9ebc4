"""The API's executor in cluster mode (``JOBSMITH_EXECUTOR=celery``): it runs no job, it announces them.

The API calls :meth:`CeleryExecutor.notify` after the commit that queued a job. The wake-up is
handed to one sender thread, so a request never waits for the broker, and a broker that is down
makes no request fail: the send is dropped with a log line, and the workers' sweepers announce
the job again (:mod:`jobsmith.execution.dispatch`). Which job and which process are not known
here, so a wake-up goes to every queue; on the default single queue that is one message per job.
Workers on other machines report nothing back through the broker: the API hears of their changes
from PostgreSQL as they commit (:mod:`jobsmith.store.notices`).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable

from jobsmith.config import Settings
from jobsmith.execution import celery_app, dispatch

log = logging.getLogger(__name__)
_STOP = object()


class CeleryExecutor:
    """Announces queued jobs on the broker from a background thread."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        routing = celery_app.Routing.of(settings)
        self.app = celery_app.create(settings, routing)
        self.dispatcher = dispatch.Dispatcher(self.app, routing, settings.resend_after_s)
        self._pending: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._sender: threading.Thread | None = None

    def notify(self) -> None:
        """A job was queued (and committed): announce it, without waiting for the broker."""
        self._pending.put(None)

    def start(self, on_change: Callable[[str, str | None], None] | None = None) -> None:
        """Start the sender; ``on_change`` is unused: remote workers' changes come from the database."""
        log.warning("executor celery: this server runs no jobs; it announces them on %s, queue(s) %s",
                    _safe(self.settings.broker_url), ", ".join(self.dispatcher.routing.queues))
        self._sender = threading.Thread(target=self._send_forever, name="jobsmith-dispatch", daemon=True)
        self._sender.start()

    def _send_forever(self) -> None:
        while self._pending.get() is not _STOP:
            if self.dispatcher.wake_all() < len(self.dispatcher.routing.queues):
                self._drop_pending()

    def _drop_pending(self) -> None:
        """The broker failed: what is waiting would fail too (each after a connect timeout).
        Dropped; the sweepers announce those jobs again."""
        while True:
            try:
                item = self._pending.get_nowait()
            except queue.Empty:
                return
            if item is _STOP:
                self._pending.put(_STOP)
                return

    async def stop(self) -> None:
        """Send what is pending (briefly), then close the broker connections."""
        if self._sender is not None:
            self._pending.put(_STOP)
            await asyncio.to_thread(self._sender.join, 10)
        self.app.close()


def _safe(url: str) -> str:
    """The broker URL without its password, for logs."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at or ":" not in credentials:
        return url
    return f"{scheme}{sep}{credentials.split(':', 1)[0]}:***@{host}"
