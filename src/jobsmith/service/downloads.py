"""Reading what a job has produced or received: its log, result files, archives and inputs.

The worker writes every one of these files (results sealed as the job completes, archives
included); the service only finds them, after checking that the job may be read at all: a deleted
or expired job's files are gone (410), results exist once the job is COMPLETED (409).
"""

from __future__ import annotations

import dataclasses
import pathlib
from collections.abc import Iterator

import anyio.to_thread

from jobsmith.domain import errors, snapshots, states
from jobsmith.service import backend, callers

S = states.Status


@dataclasses.dataclass(frozen=True)
class StoredFile:
    """A file to send: where it is, its media type, its sha256 if known (the ETag), and a download name."""

    path: pathlib.Path
    media_type: str
    sha256: str | None = None
    filename: str | None = None


class DownloadService:
    """Finding a job's files for a face to send."""

    def __init__(self, back: backend.Backend) -> None:
        self.backend = back

    async def _job(self, caller: callers.Caller, job_id: str, *, details: bool) -> snapshots.JobRecord:
        return await self.backend.read(lambda: self.backend.jobs.get(job_id, owner=caller.scope(), details=details))

    async def log(self, caller: callers.Caller, job_id: str) -> str:
        """The job's log so far as text ("" before its first line); for logs of any size, :meth:`log_text`."""
        job = await self._job(caller, job_id, details=False)
        ensure_files(job, "log")
        return await anyio.to_thread.run_sync(self.backend.blobs.read_log, job.id)

    async def log_text(self, caller: callers.Caller, job_id: str) -> Iterator[bytes] | None:
        """The job's log so far as text, read a chunk at a time as the face sends it; None before its
        first line. The job is checked here, before the first byte is sent."""
        job = await self._job(caller, job_id, details=False)
        ensure_files(job, "log")
        if not await anyio.to_thread.run_sync(self.backend.blobs.has_log, job.id):
            return None
        return self.backend.blobs.log_text(job.id)

    async def log_entries(self, caller: callers.Caller, job_id: str, *, offset: int, limit: int,
                          level: str) -> snapshots.LogPage:
        """Up to ``limit`` entries of ``level`` or above from entry ``offset`` on, found through the log's
        index (never by reading the log from its start). ``next_offset`` is None once the job is final and
        the page reached the end of its log: nothing more will come. A rare level in a long log may give
        a short page that is not the end; the next one goes on from ``next_offset``."""
        job = await self._job(caller, job_id, details=False)  # read first: a final job's log is complete
        ensure_files(job, "log")
        page = await anyio.to_thread.run_sync(self.backend.blobs.log_entries, job.id, offset, limit, level)
        done = page.at_end and S(job.state).is_terminal()
        return snapshots.LogPage(page.entries, None if done else page.next_seq)

    async def result(self, caller: callers.Caller, job_id: str, path: str) -> StoredFile:
        job = await self._job(caller, job_id, details=True)
        ensure_results(job)
        entry = next((r for r in job.results if r.path == path), None)
        if entry is None:
            raise errors.NotFound(f"job {job.id} has no result {path!r}", code="result_not_found")
        return StoredFile(self.backend.blobs.result_path(job.id, path), entry.media_type, entry.sha256)

    async def results_zip(self, caller: callers.Caller, job_id: str) -> StoredFile:
        """Every result in one zip, as the worker sealed it when the job completed."""
        job = await self._job(caller, job_id, details=False)
        ensure_results(job)
        return StoredFile(self.backend.blobs.zip_path(job.id), "application/zip", filename=f"{job.id}-results.zip")

    async def archive(self, caller: callers.Caller, job_id: str, name: str) -> StoredFile:
        """The archive ``name`` that the job's process declares, as the worker sealed it.

        A process that declares no such archive is a :class:`errors.NotFound`; a job completed before
        its process declared it (an upgrade) has none, which is said as a conflict, not built here.
        """
        job = await self._job(caller, job_id, details=False)
        ensure_results(job)
        process = self.backend.processes.get(job.process)
        if name not in {archive.name for archive in process.archives}:
            raise errors.NotFound(f"the {job.process!r} process has no archive {name!r}", code="archive_not_found")
        path = self.backend.blobs.archive_path(job.id, name)
        if not path.is_file():
            raise errors.Conflict(f"job {job.id} completed before its process sealed a {name!r} archive; "
                                  "run the job again to get one", code="archive_missing")
        return StoredFile(path, "application/zip", filename=f"{job.id}-{name}.zip")

    async def input(self, caller: callers.Caller, job_id: str, filename: str) -> StoredFile:
        job = await self._job(caller, job_id, details=True)
        ensure_files(job, "inputs")
        entry = next((i for i in job.inputs if i.name == filename), None)
        if entry is None:
            raise errors.NotFound(f"job {job.id} has no input {filename!r}", code="input_not_found")
        return StoredFile(self.backend.blobs.input_path(job.id, entry.name), entry.media_type, entry.sha256)


def ensure_files(job: snapshots.JobRecord, what: str) -> None:
    """410 for the files of a deleted or expired job (its view stays readable)."""
    verb = "is" if what == "log" else "are"
    if job.state == S.DELETED:
        raise errors.Gone(f"job {job.id} was deleted; its {what} {verb} gone", code="job_deleted")
    if job.files_removed:
        raise errors.Gone(f"the {what} of job {job.id} expired with its retention period and "
                          f"{'was' if what == 'log' else 'were'} removed", code="job_expired")


def ensure_results(job: snapshots.JobRecord) -> None:
    ensure_files(job, "results")
    if job.state != S.COMPLETED:
        raise errors.Conflict(f"job {job.id} is {job.state}; results exist once it is COMPLETED",
                              code="not_completed")
