"""The Celery side of the cluster mode: which queue a process's jobs go to, and the Celery app.

Celery is transport only. A message says "there is work in this queue", nothing more: it carries
no job state, no parameters and no result, and its own task state is never stored nor shown. The
worker that takes it claims the best queued job of that queue's processes with the same
compare-and-set claim as everywhere else, so a duplicate, late or lost message can neither run a
job twice nor lose one: the database is the source of truth, and the sweeper sends again what a
lost message left behind (:mod:`jobsmith.execution.dispatch`).

Broker settings follow from that. Messages are acknowledged when a task starts (``acks_late``
off), so a running job's message is never redelivered, however long the job runs; nothing relies
on Celery's time limits (the runner enforces each job's own); on Redis a worker fetches a message
only when one of its processes is free, and the visibility timeout is long, so no message waits
unacknowledged behind a long job and comes back behind jobsmith's back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from celery import Celery

from jobsmith.config import Settings

TASK = "jobsmith.run"
# Redis: how long a fetched, unacknowledged message stays invisible to other workers. With
# acks_late off and prefetch disabled only a message in the instant between fetch and start is
# unacknowledged, so this only has to be longer than that; a day is far longer than anything.
VISIBILITY_TIMEOUT_S = 24 * 3600
CONNECT_TIMEOUT_S = 5.0


@dataclasses.dataclass(frozen=True)
class Routing:
    """Which Celery queue each process's jobs are announced on (``JOBSMITH_QUEUES``)."""

    routes: Mapping[str, str]
    default: str

    @classmethod
    def of(cls, settings: Settings) -> Routing:
        return cls(routes=settings.parsed_queues(), default=settings.default_queue)

    def queue_of(self, process: str) -> str:
        return self.routes.get(process, self.default)

    @property
    def queues(self) -> tuple[str, ...]:
        """Every queue, the default one first."""
        return (self.default, *sorted(set(self.routes.values()) - {self.default}))

    def processes_of(self, queue: str, known: Iterable[str]) -> tuple[str, ...]:
        """The processes among ``known`` whose jobs are announced on ``queue``."""
        return tuple(sorted(p for p in known if self.queue_of(p) == queue))


def is_redis(broker_url: str) -> bool:
    return broker_url.split(":", 1)[0] in ("redis", "rediss")


def create(settings: Settings, routing: Routing) -> Celery:
    """A Celery app for ``settings.broker_url``: built per process, never at import."""
    app = Celery("jobsmith", broker=settings.broker_url, set_as_current=False)
    redis = is_redis(settings.broker_url)
    conf: dict[str, Any] = {
        "task_serializer": "json", "accept_content": ["json"], "task_ignore_result": True,
        "task_acks_late": False, "task_time_limit": None, "task_soft_time_limit": None,
        "task_default_queue": routing.default,
        "worker_prefetch_multiplier": 1, "worker_disable_prefetch": redis,
        "worker_cancel_long_running_tasks_on_connection_loss": False,
        "worker_hijack_root_logger": False, "worker_redirect_stdouts": False,
        "worker_send_task_events": False, "task_send_sent_event": False, "worker_enable_remote_control": False,
        "broker_connection_retry_on_startup": True, "broker_connection_timeout": CONNECT_TIMEOUT_S,
        "broker_transport_options": ({"visibility_timeout": VISIBILITY_TIMEOUT_S,
                                      "socket_connect_timeout": CONNECT_TIMEOUT_S} if redis else {}),
    }
    app.conf.update(conf)
    return app
