"""``jobsmith worker``: Celery worker processes that run jobs with the server's own worker and runner.

One ``jobsmith worker --concurrency N`` on a machine is:

- Celery's main process (prefork pool). It takes wake-ups from the broker, one per free pool
  process, and hands each to a free pool process. A thread of its own, the *upkeep*, runs the
  sweeper at start and every ``sweep_interval_s`` (expired leases back to the queue or failed,
  dead workers of this machine recovered at once, expired files removed) and announces again the
  jobs that lost their wake-up (:mod:`jobsmith.execution.dispatch`).
- N pool processes, each a :class:`jobsmith.execution.worker.Worker`: a row in the workers table,
  its own job host, heartbeats and leases, cancel by TERM then KILL, memory and time limits. The
  task body is one call into it: claim the best queued job of the message's queue with the
  compare-and-set claim, run it, and go on claiming while that queue has jobs. A wake-up that
  finds nothing (a duplicate, a late one, the pause) returns at once.

Stopping: SIGTERM or Ctrl-C on the main process is Celery's warm shutdown: no more messages are
taken, and a flag shared with the pool processes tells each to give its running job
``shutdown_grace_s``, then hand it back to the queue without spending an attempt and announce it
for another machine. A ``kill -9`` of the main process takes the pool processes with it (Celery
sets their parent-death signal) and their job hosts with them; their leases expire (on this
machine at once: the next sweeper sees the processes gone) and the jobs are retried elsewhere.
"""

from __future__ import annotations

import ctypes
import dataclasses
import logging
import multiprocessing
import os
import signal
import socket
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from celery import signals
from celery.worker import state as celery_state

from jobsmith import runtime
from jobsmith.config import Settings
from jobsmith.domain import errors
from jobsmith.execution import celery_app, dispatch, sweeper, worker
from jobsmith.store import admin

log = logging.getLogger(__name__)


# -- what this worker takes ---------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Plan:
    """The queues a worker consumes and, for each, the processes whose jobs it claims from it."""

    queues: tuple[str, ...]
    claims: Mapping[str, tuple[str, ...]]
    warnings: tuple[str, ...] = ()


def make_plan(routing: celery_app.Routing, known: Sequence[str], processes: Sequence[str] = (),
              queues: Sequence[str] = ()) -> Plan:
    """From ``--process`` and ``--queue``: by default every queue of every process this worker knows.

    Raises ValueError for a process it does not know, or a queue none of whose processes it runs
    (it would take that queue's wake-ups and never run anything).
    """
    unknown = sorted(set(processes) - set(known))
    if unknown:
        raise ValueError(f"unknown process(es) {', '.join(unknown)}; this worker knows {', '.join(sorted(known))}")
    chosen = tuple(processes) or tuple(known)
    consumed = tuple(dict.fromkeys(queues or [q for q in routing.queues if routing.processes_of(q, chosen)]))
    claims = {queue: routing.processes_of(queue, chosen) for queue in consumed}
    useless = [queue for queue, claimed in claims.items() if not claimed]
    if useless:
        raise ValueError(f"this worker runs none of the processes of queue(s) {', '.join(useless)} "
                         "(JOBSMITH_QUEUES routes processes to queues; the rest go to JOBSMITH_DEFAULT_QUEUE)")
    warnings = []
    for queue in consumed:
        others = sorted(set(routing.processes_of(queue, known)) - set(claims[queue]))
        if others:
            warnings.append(f"queue {queue} also announces jobs of {', '.join(others)}, which this worker does "
                            "not run: a wake-up it takes for them is lost until a worker that runs them is idle "
                            "and their wait passes JOBSMITH_RESEND_AFTER_S; give them a queue of their own "
                            "with JOBSMITH_QUEUES")
    return Plan(consumed, claims, tuple(warnings))


# -- the worker node ----------------------------------------------------------------------------
class Node:
    """One ``jobsmith worker``: its Celery app, and what its main and pool processes share.

    Built in the main process before the pool forks; each pool process then builds its own
    :class:`worker.Worker` (database connections are never shared across a fork).
    """

    def __init__(self, opened: runtime.Runtime, plan: Plan, concurrency: int) -> None:
        settings = opened.settings
        self.runtime, self.settings, self.plan, self.concurrency = opened, settings, plan, concurrency
        self.routing = celery_app.Routing.of(settings)
        self.app = celery_app.create(settings, self.routing)
        self.dispatcher = dispatch.Dispatcher(self.app, self.routing, settings.resend_after_s)
        self.main_pid = os.getpid()
        self.draining = multiprocessing.RawValue(ctypes.c_bool, False)  # set by the main, read by the pool
        self.upkeep = Upkeep(self, lambda: len(celery_state.active_requests))
        self.pool_worker: worker.Worker | None = None

        def run(queue: str) -> None:
            self.take(queue)

        self.app.task(name=celery_app.TASK, ignore_result=True, acks_late=False)(run)
        for signal_, handler in ((signals.worker_process_init, self._start_pool_process),
                                 (signals.worker_process_shutdown, self._stop_pool_process),
                                 (signals.worker_ready, self._ready),
                                 (signals.worker_shutting_down, self._shutting_down)):
            signal_.connect(handler, weak=False, dispatch_uid=f"jobsmith-{handler.__name__}")

    # -- in the main process ---------------------------------------------------------------
    def _ready(self, **_: Any) -> None:
        log.info("jobsmith worker ready: %d pool processes; queue(s) %s", self.concurrency,
                 "; ".join(f"{q} ({', '.join(self.plan.claims[q])})" for q in self.plan.queues))
        self.upkeep.start()

    def _shutting_down(self, **_: Any) -> None:
        """Warm shutdown began (in a signal handler): the pool drains, the upkeep stops."""
        self.draining.value = True
        self.upkeep.stop()

    # -- in a pool process -----------------------------------------------------------------
    def _start_pool_process(self, **_: Any) -> None:
        # billiard marks its pool processes daemonic, and the standard library then refuses to fork the
        # job host. The host needs no such guard: it is killed with its group and dies with its parent.
        getattr(multiprocessing.current_process(), "_config")["daemon"] = False
        os.nice(self.settings.worker_nice)
        node = worker.Worker(self.runtime.forked(), lambda timeout: None, parent_pid=self.main_pid,
                             should_stop=lambda: self.draining.value,
                             requeued=lambda job: self._announce(self.routing.queue_of(job.process)))
        signal.signal(signal.SIGTERM, node.request_stop)
        self.pool_worker = node

    def _stop_pool_process(self, **_: Any) -> None:
        node, self.pool_worker = self.pool_worker, None
        if node is not None and os.getpid() != self.main_pid:
            node.runner.close()
            node.admin.stop_worker(node.worker_id)

    def _announce(self, queue: str) -> None:
        self.dispatcher.wake(queue)

    def take(self, queue: str) -> None:
        """The task body: run queued jobs of ``queue`` while there are any. Never raises."""
        node, processes = self.pool_worker, self.plan.claims.get(queue)
        if node is None or not processes:
            log.warning("a wake-up for queue %s, which this worker does not take: ignored", queue)
            return
        if node.shutting_down():
            self._announce(queue)  # pass it on to a worker that is not stopping
            return
        try:
            while node.run_one(processes) and not node.shutting_down():
                pass
        except errors.Unavailable as problem:
            log.warning("the database is unavailable (%s); a job this worker held is retried once its lease "
                        "expires, the others wait in the queue", problem.detail, extra={"worker_id": node.worker_id})
            node.runner.close()  # whatever was running is no longer supervised: stop it
        except Exception:  # noqa: BLE001 - a bug must not take the pool process down with a job
            log.exception("running a job of queue %s failed", queue, extra={"worker_id": node.worker_id})
            node.runner.close()


class Upkeep:
    """The main process's thread: recovery at start and on a timer, and wake-ups for stranded jobs."""

    def __init__(self, node: Node, busy: Callable[[], int]) -> None:
        settings = node.settings
        self.node = node
        self.busy = busy
        self.sweeper = sweeper.Sweeper(settings, node.runtime.database, node.runtime.blobs)
        self.admin = admin.Admin(node.runtime.database)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="jobsmith-upkeep", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self._stop.wait(self.node.settings.sweep_interval_s)

    def run_once(self) -> None:
        try:
            report = self.sweeper.sweep()
            for _ in report.requeued:
                self.node.dispatcher.wake_all()
            self.announce_stranded()
        except Exception:  # noqa: BLE001 - retried on the next timer (the database may be restarting)
            log.exception("upkeep failed; retrying in %g s", self.node.settings.sweep_interval_s)

    def announce_stranded(self) -> int:
        """Announce jobs QUEUED longer than a wake-up lives, as many as this worker has idle processes.

        Such a job lost its wake-up (the broker was down, restarted, or the message expired), or its
        wake-up went to a worker that does not run it. Bounded by the idle processes, so that a
        backlog that busy workers are already draining costs no messages at all.
        """
        idle = self.node.concurrency - self.busy()
        if idle <= 0 or self.admin.maintenance().paused:
            return 0
        stranded = self.admin.stale_queued(self.node.settings.resend_after_s)
        sent = 0
        for queue in self.node.plan.queues:
            waiting = min(idle - sent, sum(stranded.get(p, 0) for p in self.node.plan.claims[queue]))
            if waiting > 0:
                log.info("announcing %d job(s) of queue %s again: queued for over %g s", waiting, queue,
                         self.node.settings.resend_after_s)
                sent += self.node.dispatcher.wake(queue, waiting)
        return sent


def run(settings: Settings, concurrency: int, processes: Sequence[str] = (), queues: Sequence[str] = ()) -> int:
    """Start a worker and serve until stopped; the exit code (2: it refused to start)."""
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        opened = runtime.open_runtime(settings, runtime.Role.CELERY_WORKER)
    except (runtime.SchemaMismatch, errors.Unavailable) as refusal:
        log.error("jobsmith worker cannot start: %s", getattr(refusal, "detail", refusal))
        return 2
    try:
        plan = make_plan(celery_app.Routing.of(settings), [p.id for p in opened.processes.all()], processes, queues)
    except ValueError as refusal:
        log.error("jobsmith worker cannot start: %s", refusal)
        opened.close()
        return 2
    for warning in plan.warnings:
        log.warning("%s", warning)
    node = Node(opened, plan, concurrency)
    log.warning("jobsmith worker: %d pool processes, broker %s, database %s, storage %s", concurrency,
                settings.broker_url.split("@")[-1], opened.database.engine.url.render_as_string(hide_password=True),
                settings.resolved_storage)
    node.upkeep.run_once()  # recovery on start, before the pool forks (the timer starts once it is ready)
    celery_worker = node.app.Worker(
        hostname=f"jobsmith-{os.getpid()}@{socket.gethostname()}", concurrency=concurrency, pool="prefork",
        queues=list(plan.queues), loglevel=settings.log_level.upper(), optimization="fair", quiet=True,
        without_gossip=True, without_mingle=True, without_heartbeat=True)
    celery_worker.start()
    node.upkeep.stop()
    opened.close()
    return int(celery_worker.exitcode or 0)
