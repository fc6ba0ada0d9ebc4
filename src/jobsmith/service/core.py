"""The one job service: what every face holds and calls, opened from a runtime with its executor."""

from __future__ import annotations

import asyncio

import anyio.to_thread

from jobsmith import runtime
from jobsmith.service import backend, changes, datasets, downloads, executors, jobs, operations, uploads, workers
from jobsmith.store import admin, input_dir, leases, notices, repository


class Service:
    """Jobs, uploads, downloads and operations over one backend.

    :meth:`start` and :meth:`stop` bracket its life (a face's lifespan): the executor runs, and
    changes made elsewhere (local workers' pipes; on PostgreSQL every commit anywhere, through
    ``LISTEN``) wake the requests waiting on a job.
    """

    def __init__(self, back: backend.Backend) -> None:
        self.backend = back
        self.jobs = jobs.JobService(back)
        self.uploads = uploads.UploadService(back)
        self.downloads = downloads.DownloadService(back)
        self.operations = operations.OperationsService(back)
        self.datasets = datasets.DatasetService(back)
        self.workers = workers.WorkerService(back)
        self._listener: notices.NoticeListener | None = None

    @classmethod
    def open(cls, opened: runtime.Runtime, executor: executors.Executor) -> Service:
        database = opened.database
        return cls(backend.Backend(
            settings=opened.settings, database=database, jobs=repository.Repository(database),
            admin=admin.Admin(database), blobs=opened.blobs, processes=opened.processes, executor=executor,
            api_keys=opened.settings.parsed_api_keys(), changes=changes.ChangeFeed(),
            datasets=input_dir.InputDir(opened.settings.resolved_input_dir, opened.settings.archive_limits()),
            leases=leases.Leases(database, opened.settings.lease_s),
            worker_tokens=opened.settings.parsed_worker_tokens()))

    async def start(self) -> None:
        """Call on the event loop that will serve the faces."""
        back = self.backend
        back.changes.bind(asyncio.get_running_loop())
        back.executor.start(on_change=back.changes.publish)
        if back.database.dialect == "postgresql":  # changes made on other machines, as they commit
            self._listener = notices.NoticeListener(back.settings.resolved_database_url, back.changes.publish)
            self._listener.start()

    async def stop(self) -> None:
        if self._listener is not None:
            await anyio.to_thread.run_sync(self._listener.stop)
        await self.backend.executor.stop()
