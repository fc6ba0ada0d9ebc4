"""The embedded executor: persistent worker processes started and supervised by the server.

Workers are spawned once (no interpreter start per job), run at a lower scheduling priority than
the API, die with the server (so a kill -9 of the server behaves like a crashed machine), and are
restarted if one dies. The API wakes them through a semaphore when it queues a job; they also poll,
so a missed wake-up only costs ``poll_interval_s``. Each worker announces the jobs it claims and
ends on a pipe of its own, which the API's event loop reads as announcements arrive (no thread, no
lock between workers).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Semaphore
from typing import Any

from jobsmith.config import Settings
from jobsmith.store import notices

log = logging.getLogger(__name__)
_SPAWN = multiprocessing.get_context("spawn")


def worker_main(settings: Settings, wake: Semaphore, changes: Connection, parent_pid: int) -> None:
    """Entry point of a local worker process."""
    from jobsmith import runtime
    from jobsmith.execution import osproc, worker

    osproc.die_with_parent()
    if not osproc.parent_alive(parent_pid):
        return
    os.nice(settings.worker_nice)
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    opened = runtime.open_runtime(settings, runtime.Role.LOCAL_WORKER)
    node = worker.Worker(opened, lambda timeout: _wait(wake, timeout), parent_pid=parent_pid,
                         announce=lambda job_id, state: changes.send_bytes(notices.encode(job_id, state).encode()))
    node.install_signal_handlers()
    node.run()
    opened.close()


def _wait(wake: Semaphore, timeout: float) -> None:
    wake.acquire(timeout=timeout)


class LocalExecutor:
    """Starts, watches and stops the server's own worker processes."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._wake: Semaphore | None = _SPAWN.Semaphore(0)
        self._on_change: Callable[[str, str | None], None] = lambda job_id, state: None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._announcements: dict[int, Connection] = {}  # by the worker's pid
        self._processes: list[BaseProcess] = []
        self._watcher: asyncio.Task[Any] | None = None
        self._stopping = False

    def notify(self) -> None:
        """A job was queued: wake one idle worker."""
        if self._wake is not None:
            self._wake.release()

    def start(self, on_change: Callable[[str, str | None], None] | None = None) -> None:
        """Start the workers; ``on_change(job_id, state)`` hears, on the event loop, of every job they claim or
        end and the state it went to (None: unknown)."""
        self._loop = asyncio.get_running_loop()
        if on_change is not None:
            self._on_change = on_change
        self._processes = [self._spawn() for _ in range(self.settings.workers)]
        self._watcher = self._loop.create_task(self._watch() if self._processes else self._sweep())

    def _spawn(self) -> BaseProcess:
        assert self._wake is not None, "workers are only started before stop()"
        receiving, sending = _SPAWN.Pipe(duplex=False)
        process = _SPAWN.Process(target=worker_main, args=(self.settings, self._wake, sending, os.getpid()),
                                 name="jobsmith-worker", daemon=False)
        process.start()
        sending.close()
        assert self._loop is not None and process.pid is not None
        self._announcements[process.pid] = receiving
        self._loop.add_reader(receiving.fileno(), self._hear, process.pid)
        return process

    def _hear(self, pid: int) -> None:
        """Every announcement waiting on a worker's pipe; at its end (the worker is gone) the pipe is closed."""
        pipe = self._announcements[pid]
        try:
            while pipe.poll(0):
                self._on_change(*notices.decode(pipe.recv_bytes().decode()))
        except (EOFError, OSError):
            self._forget(pid)

    def _forget(self, pid: int) -> None:
        pipe = self._announcements.pop(pid, None)
        if pipe is not None:
            if self._loop is not None and not self._loop.is_closed():
                self._loop.remove_reader(pipe.fileno())
            pipe.close()

    async def _watch(self) -> None:
        """Replace workers that died (a crash, the OOM killer) while the server runs."""
        while not self._stopping:
            await asyncio.sleep(1.0)
            for index, process in enumerate(self._processes):
                if not process.is_alive() and not self._stopping:
                    log.warning("worker pid %s %s; starting a new one", process.pid,
                                f"exited with {process.exitcode}")
                    self._processes[index] = self._spawn()

    async def _sweep(self) -> None:
        """With no worker of its own the server still recovers jobs whose lease ran out (those of
        external workers, or of cluster workers that died): what each worker does on its timer."""
        from jobsmith import runtime
        from jobsmith.execution import sweeper

        opened = await asyncio.to_thread(runtime.open_runtime, self.settings, runtime.Role.LOCAL_WORKER)
        sweep = sweeper.Sweeper(self.settings, opened.database, opened.blobs)
        try:
            while not self._stopping:
                try:
                    await asyncio.to_thread(sweep.sweep)
                except Exception:  # noqa: BLE001 - a failed sweep is retried on the next timer
                    log.exception("sweep failed")
                await asyncio.sleep(self.settings.sweep_interval_s)
        finally:
            opened.close()

    async def stop(self) -> None:
        """Drain: workers stop claiming, running jobs get the grace period, the rest are re-queued."""
        self._stopping = True
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        for process in self._processes:
            if process.is_alive():
                process.terminate()
        for _ in range(len(self._processes)):
            self.notify()
        deadline = self.settings.shutdown_grace_s + self.settings.cancel_grace_s + 10
        await asyncio.to_thread(self._join_all, deadline)
        for pid in list(self._announcements):
            self._forget(pid)
        # Dropping the last reference runs the semaphore's finalizer, which removes the named
        # semaphore now: uvicorn ends the process by raising SIGTERM again after a clean shutdown,
        # which skips exit-time finalizers, and the resource tracker would then warn of a leak.
        self._wake = None

    def _join_all(self, timeout: float) -> None:
        end = time.monotonic() + timeout
        for process in self._processes:
            process.join(max(0.0, end - time.monotonic()))
            if process.is_alive():
                log.error("worker pid %s did not stop in time; killing it", process.pid)
                process.kill()
                process.join(5)
