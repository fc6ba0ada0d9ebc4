"""Receiving input files over HTTP, shared by the native and the dataspace routes.

A body is streamed to a temporary file in bounded memory (hashed and counted as it arrives, writes
off the event loop), checked (not empty, the client's checksum), and only then recorded as an
input; whatever goes wrong before that leaves the job as it was and no file behind. A request is
all or nothing: every file of a multipart request is checked before the first is recorded.
"""

from __future__ import annotations

import contextlib
import functools
import uuid
from collections.abc import Mapping, Sequence

import anyio
from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from jobsmith.api import service
from jobsmith.api.deps import Caller, Services
from jobsmith.domain import errors, states
from jobsmith.store import blobs, records

WRITE_CHUNK = 1024 * 1024


def waiting_job(services: Services, caller: Caller, job_id: uuid.UUID | str) -> records.JobRecord:
    """The caller's job, which must still be waiting for data (else 409)."""
    job = services.jobs.get(str(job_id), owner=caller.scope())
    if job.state != states.Status.WAITING_FOR_DATA:
        raise errors.Conflict(f"job {job.id} is {job.state}; files can only be uploaded while it is "
                              "WAITING_FOR_DATA", code="state_conflict")
    return job


def check_length(request: Request, services: Services) -> None:
    """Refuse a body whose announced length is over the limit before reading any of it."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > services.settings.upload_limit_bytes:
        raise errors.TooLarge(f"the upload is larger than this server's limit of "
                              f"{services.settings.max_upload_mb} MiB", code="upload_too_large")


async def receive_body(services: Services, caller: Caller, job_id: uuid.UUID | str, filename: str,
                       request: Request, requested_input: str | None) -> records.JobRecord:
    """Stream the raw request body into an input of the job; the job as it is afterwards.

    Name and input are decided before the body is read, so a bad name costs the client no upload.
    """
    job = await services.read(lambda: waiting_job(services, caller, job_id))
    check_length(request, services)
    placements = service.plan_uploads(services, job, [filename], requested_input)
    stream = services.blobs.start_upload(job.id, services.settings.upload_limit_bytes)
    try:
        buffer = bytearray()
        async for chunk in request.stream():
            buffer += chunk
            if len(buffer) >= WRITE_CHUNK:
                await anyio.to_thread.run_sync(stream.write, bytes(buffer))
                buffer.clear()
        await run_in_threadpool(_seal, stream, bytes(buffer))
        return await services.write(functools.partial(_accept, services, job, [(placements[0], stream)],
                                                      request.headers))
    finally:
        stream.abort()  # no-op once the file was moved into place


async def receive_form(services: Services, caller: Caller, job_id: uuid.UUID | str, request: Request,
                       field: str, requested_input: str | None) -> records.JobRecord:
    """Every file of a multipart form field into inputs of the job: all of them, or none.

    Checks that need no bytes (a checksum header for several files, names, inputs, how many files an
    input takes) come first; then every file is staged to a temporary file and checked (not empty,
    the checksum of a lone file); only then is any recorded. A refusal leaves the job as it was and
    no file behind.
    """
    job = await services.read(lambda: waiting_job(services, caller, job_id))
    check_length(request, services)
    async with request.form(max_files=100) as form:
        files = [f for f in form.getlist(field) if isinstance(f, UploadFile)]
        if not files:
            raise errors.Invalid(f"the form has no file in field {field!r}", code="missing_file")
        service.check_one_checksum(request.headers, len(files))
        placements = service.plan_uploads(services, job, [f.filename or "" for f in files], requested_input)
        with contextlib.ExitStack() as cleanup:
            staged: list[tuple[service.Placement, blobs.Upload]] = []
            for placement, item in zip(placements, files, strict=True):
                upload = services.blobs.start_upload(job.id, services.settings.upload_limit_bytes)
                cleanup.callback(upload.abort)  # no-op for a file moved into place
                await _stage(item, upload)
                staged.append((placement, upload))
            return await services.write(functools.partial(_accept, services, job, staged, request.headers))


async def _stage(item: UploadFile, upload: blobs.Upload) -> None:
    """Copy one form part into its temporary file (writes off the event loop)."""
    while chunk := await item.read(WRITE_CHUNK):
        await anyio.to_thread.run_sync(upload.write, chunk)
    await anyio.to_thread.run_sync(upload.close)


def _seal(stream: blobs.Upload, rest: bytes) -> None:
    """The body's last bytes and the fsync, in one trip to a thread: a small upload (the common case)
    costs one thread hop in all."""
    if rest:
        stream.write(rest)
    stream.close()


def _accept(services: Services, job: records.JobRecord, staged: Sequence[tuple[service.Placement, blobs.Upload]],
            headers: Mapping[str, str]) -> records.JobRecord:
    """Check every staged file, then record them all. A checksum header reaches here only with one
    file (:func:`service.check_one_checksum` refused it for several)."""
    for placement, upload in staged:
        if upload.size == 0:
            raise errors.Invalid(f"the upload {placement.name!r} is empty; send the file's bytes",
                                 code="empty_upload")
        service.check_digest(upload, headers)
    return service.accept_uploads(services, job, staged)
