"""What the service needs of whatever runs its jobs; the executors themselves live in ``execution``.

The API is handed one (``create_app(settings, executor)``) and never imports ``execution``: the same
routes serve the server's own worker processes and a cluster's Celery workers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

ChangeListener = Callable[[str, "str | None"], None]
"""``(job_id, state)``: a job changed on a worker (state None: unknown, maybe final)."""


class Executor(Protocol):
    """Runs queued jobs somewhere. Started and stopped with the API's lifespan."""

    def notify(self) -> None:
        """A job was queued (committed): wake one idle worker. Never blocks, never raises."""

    def start(self, on_change: ChangeListener | None = None) -> None:
        """Begin running jobs; ``on_change`` hears, on the event loop, of changes the workers make."""

    async def stop(self) -> None:
        """Drain: no new claims; running jobs get their grace period, the rest go back to the queue."""
