"""Receiving input files over HTTP, shared by the native and the dataspace routes.

A body is streamed to a temporary file in bounded memory (hashed and counted as it arrives, writes
off the event loop), checked (not empty, the client's checksum), and only then recorded as an
input; whatever goes wrong before that leaves the job as it was and no file behind.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

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
    """Stream the raw request body into an input of the job; the job as it is afterwards."""
    job = await services.read(lambda: waiting_job(services, caller, job_id))
    check_length(request, services)
    stream = services.blobs.start_upload(job.id, services.settings.upload_limit_bytes)
    try:
        buffer = bytearray()
        async for chunk in request.stream():
            buffer += chunk
            if len(buffer) >= WRITE_CHUNK:
                await anyio.to_thread.run_sync(stream.write, bytes(buffer))
                buffer.clear()
        rest = bytes(buffer)
        return await run_in_threadpool(_finish, services, job, filename, stream, rest, request.headers,
                                       requested_input)
    finally:
        stream.abort()  # no-op once the file was moved into place


async def receive_form(services: Services, caller: Caller, job_id: uuid.UUID | str, request: Request,
                       field: str, requested_input: str | None) -> records.JobRecord:
    """Every file of a multipart form field, in order, into inputs of the job."""
    job = await services.read(lambda: waiting_job(services, caller, job_id))
    check_length(request, services)
    async with request.form(max_files=100) as form:
        files = [f for f in form.getlist(field) if isinstance(f, UploadFile)]
        if not files:
            raise errors.Invalid(f"the form has no file in field {field!r}", code="missing_file")
        for item in files:
            job = await _receive_part(services, job, item, requested_input)
    return job


async def _receive_part(services: Services, job: records.JobRecord, item: UploadFile,
                        requested_input: str | None) -> records.JobRecord:
    stream = services.blobs.start_upload(job.id, services.settings.upload_limit_bytes)
    try:
        while chunk := await item.read(WRITE_CHUNK):
            await anyio.to_thread.run_sync(stream.write, chunk)
        await anyio.to_thread.run_sync(stream.close)
        return await run_in_threadpool(_record, services, job, item.filename or "", stream, {}, requested_input)
    finally:
        stream.abort()


def _finish(services: Services, job: records.JobRecord, filename: str, stream: blobs.Upload, rest: bytes,
            headers: Mapping[str, str], requested_input: str | None) -> records.JobRecord:
    """The body's last bytes, fsync, checks and the record, in one trip to a thread: a small upload
    (the common case) costs one thread hop in all."""
    if rest:
        stream.write(rest)
    stream.close()
    return _record(services, job, filename, stream, headers, requested_input)


def _record(services: Services, job: records.JobRecord, filename: str, stream: blobs.Upload,
            headers: Mapping[str, str], requested_input: str | None) -> records.JobRecord:
    if stream.size == 0:
        raise errors.Invalid("the upload is empty; send the file's bytes as the request body", code="empty_upload")
    service.check_digest(stream, headers)
    return service.accept_upload(services, job, filename, stream, requested_input)
