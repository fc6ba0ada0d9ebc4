"""Input files: which input an upload fills, the checks every file passes, and recording them.

A face streams each file into a staged :class:`~jobsmith.store.blobs.Upload` (bounded memory,
hashed as it arrives) from :meth:`UploadService.stage`; the service decides names and inputs before
any byte is read (:meth:`UploadService.plan`) and records a request's files all or none
(:meth:`UploadService.accept`). Whatever goes wrong before the record leaves the job as it was.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence

from jobsmith.domain import errors, filenames, snapshots, states
from jobsmith.processes import registry
from jobsmith.service import backend, callers
from jobsmith.store import blobs, repository

S = states.Status
Upload = blobs.Upload


@dataclasses.dataclass(frozen=True)
class Placement:
    """Where one file of an upload request goes: the input it fills and the name it is stored under."""

    input: str
    name: str


class UploadService:
    """Filling a waiting job's inputs."""

    def __init__(self, back: backend.Backend) -> None:
        self.backend = back

    @property
    def limit_bytes(self) -> int:
        return self.backend.settings.upload_limit_bytes

    async def waiting_job(self, caller: callers.Caller, job_id: str) -> snapshots.JobRecord:
        """The caller's job, which must still be waiting for data (else 409)."""
        job = await self.backend.read(functools.partial(self.backend.jobs.get, job_id, owner=caller.scope()))
        if job.state != S.WAITING_FOR_DATA:
            raise errors.Conflict(f"job {job.id} is {job.state}; files can only be uploaded while it is "
                                  "WAITING_FOR_DATA", code="state_conflict")
        return job

    def check_announced_size(self, size: int | None) -> None:
        """Refuse a body whose announced length is over the limit before reading any of it."""
        if size is not None and size > self.limit_bytes:
            raise errors.TooLarge(f"the upload is larger than this server's limit of "
                                  f"{self.backend.settings.max_upload_mb} MiB", code="upload_too_large")

    def stage(self, job: snapshots.JobRecord) -> Upload:
        """A temporary file for one incoming file of ``job``; the caller MUST ``abort()`` it in the end
        (a no-op once it was recorded)."""
        return self.backend.blobs.start_upload(job.id, self.limit_bytes)

    def plan(self, job: snapshots.JobRecord, raw_names: Sequence[str], requested_input: str | None,
             expected_sha256: str | None = None) -> list[Placement]:
        """The input and stored name of every file of one request, decided together before any is stored.

        Files fill ``requested_input``; else a file named like one the job already has replaces it in
        its input, and any other fills the first required input still empty (counting the request's
        earlier files), as a sequence of single uploads would. Refused with :class:`errors.Invalid`,
        so that the request changes nothing: one checksum for several files (it cannot describe them
        all, and ignoring it would tell the client its data was checked when it was not), a name that
        sanitises to nothing, an unknown input, two files of the request with one name (the second
        would silently replace the first), and more files for a single-file input than it takes.
        """
        if len(raw_names) > 1 and expected_sha256 is not None:
            raise errors.Invalid(f"the request has {len(raw_names)} files but one checksum header, and a single "
                                 "checksum cannot describe several files; send each file in its own request with "
                                 "its checksum, or send them without one", code="ambiguous_checksum")
        process = self.backend.processes.get(job.process)
        names = [filenames.sanitise(raw) for raw in raw_names]
        _refuse_duplicates(names)
        filled = {i.input for i in job.inputs}
        held = {i.name: i.input for i in job.inputs}
        placements: list[Placement] = []
        for name in names:
            replaced = held.get(name) if requested_input is None else None
            target = process.input(replaced) if replaced is not None else choose_input(process, requested_input, filled)
            filled.add(target.name)
            placements.append(Placement(input=target.name, name=name))
        _check_counts(process, job, placements)
        return placements

    async def accept(self, job: snapshots.JobRecord, staged: Sequence[tuple[Placement, Upload]],
                     expected_sha256: str | None = None) -> snapshots.JobRecord:
        """Check every staged file (not empty; the client's checksum, given for a lone file), then record
        them all as inputs of ``job`` in one transaction; the request that completes the job queues it.

        Should the job have left WAITING_FOR_DATA meanwhile (a concurrent cancel, delete or upload that
        queued it), none is recorded (409).
        """
        for placement, upload in staged:
            if upload.size == 0:
                raise errors.Invalid(f"the upload {placement.name!r} is empty; send the file's bytes",
                                     code="empty_upload")
            if expected_sha256 is not None and expected_sha256 != upload.sha256:
                raise errors.Invalid(f"the upload's sha256 is {upload.sha256}, not {expected_sha256} as the client "
                                     "said; the file was discarded", code="checksum_mismatch")
        updated = await self.backend.write(functools.partial(self._record, job, staged))
        if updated.state == S.QUEUED:
            self.backend.announce_queued(job.id)
        return updated

    def _record(self, job: snapshots.JobRecord, staged: Sequence[tuple[Placement, Upload]]) -> snapshots.JobRecord:
        process = self.backend.processes.get(job.process)
        required = {i.name for i in process.inputs if i.required}
        place = self.backend.blobs.place_input
        files = [(repository.StoredInput(input=placement.input, name=placement.name, size=upload.size,
                                         sha256=upload.sha256, media_type=blobs.media_type_of(placement.name)),
                  functools.partial(place, upload, job.id, placement.name))
                 for placement, upload in staged]
        return self.backend.jobs.add_inputs(job.id, files,
                                            lambda filled: process.queues_on_upload and required <= filled)


def choose_input(process: registry.Process, requested: str | None, filled: set[str]) -> registry.FileInput:
    """The input an upload fills: the one asked for, else the first required one still empty."""
    if not process.inputs:
        raise errors.Conflict(f"process {process.id!r} takes no input files", code="no_inputs")
    if requested is not None:
        return process.input(requested)
    for candidate in process.inputs:
        if candidate.required and candidate.name not in filled:
            return candidate
    return process.inputs[0]


def _refuse_duplicates(names: Sequence[str]) -> None:
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise errors.Invalid(f"the request has several files named {', '.join(map(repr, repeated))} (after "
                             "unsafe characters are replaced); give every file its own name",
                             code="duplicate_filename")


def _check_counts(process: registry.Process, job: snapshots.JobRecord, placements: Sequence[Placement]) -> None:
    """422 if a single-file input would hold more than one file once ``placements`` are recorded.

    A file of the job with the same name as one of the request is replaced (whatever its input), so
    it does not count; any other file already in the input does.
    """
    incoming = {p.name for p in placements}
    after = [(i.input, i.name) for i in job.inputs if i.name not in incoming]
    after += [(p.input, p.name) for p in placements]
    for single in (i for i in process.inputs if not i.multiple):
        held = [name for input_name, name in after if input_name == single.name]
        if len(held) > 1:
            raise errors.Invalid(f"input {single.name!r} takes one file, but would hold {len(held)}: "
                                 f"{', '.join(held)}; send one file for it (the same name again replaces it)",
                                 code="too_many_files")
