"""What the service works with, opened once per process, and its one way of reaching the database.

Every read and write of the service goes through :meth:`Backend.read` or :meth:`Backend.write`,
so there is one convention for where a database call runs, whichever face asked for it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread

from jobsmith.config import ApiKey, Settings, WorkerToken
from jobsmith.domain import states
from jobsmith.processes import registry
from jobsmith.service import changes, executors
from jobsmith.store import admin, blobs, input_dir, leases, repository
from jobsmith.store.database import Database

T = TypeVar("T")


@dataclasses.dataclass
class Backend:
    """The store, the files, the processes and the executor, built once from a runtime."""

    settings: Settings
    database: Database
    jobs: repository.Repository
    admin: admin.Admin
    blobs: blobs.BlobStore
    processes: registry.Registry
    executor: executors.Executor
    api_keys: list[ApiKey]
    changes: changes.ChangeFeed
    datasets: input_dir.InputDir
    leases: leases.Leases
    worker_tokens: list[WorkerToken]

    async def read(self, query: Callable[[], T]) -> T:
        """Run ``query`` (reads only) for a coroutine.

        The embedded SQLite database is read right here on the event loop: in WAL mode a reader never
        waits for a writer and a status read takes a fraction of a millisecond, less than the hop to a
        worker thread and back (and the threads' contention for the interpreter lock under load). A
        server database answers over the network, so its reads go to the thread pool.
        """
        return await self._here_or_in_a_thread(query)

    async def write(self, change: Callable[[], T]) -> T:
        """Run ``change`` (a short write transaction, no file I/O that may wait on a disk) for a coroutine.

        On the embedded SQLite database it runs here on the event loop, like a read. A hop to a worker
        thread cost the API more CPU than the transaction itself (thread wake-ups, the interpreter lock
        passed back and forth), and a thread holding SQLite's write lock while it waited for the
        interpreter held up every worker's claim and finish: jobs/s stopped at what that lock allowed.
        Waiting here is short: every jobsmith writer queues on :class:`~jobsmith.store.database.WriterLock`
        and holds it for one small transaction. A server database answers over the network, so its
        writes go to the thread pool.
        """
        return await self._here_or_in_a_thread(change)

    async def _here_or_in_a_thread(self, call: Callable[[], T]) -> T:
        """On the event loop for the embedded SQLite database, in the thread pool for a server database."""
        if self.database.dialect == "sqlite":
            return call()
        return await anyio.to_thread.run_sync(call)

    def announce_queued(self, job_id: str) -> None:
        """After the commit that queued ``job_id``: wake a worker and whoever waits on the job."""
        self.executor.notify()
        self.changes.publish(job_id, states.Status.QUEUED.value)
