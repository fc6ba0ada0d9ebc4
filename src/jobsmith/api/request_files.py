"""Receiving input files over HTTP, shared by the native and the dataspace routes.

A body is streamed to a staged file in bounded memory (hashed and counted as it arrives, writes
off the event loop); the service decides names and inputs before the first byte is read, checks
every file (not empty, the client's checksum) and records a request's files all or none.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import uuid
from collections.abc import Mapping

import anyio.to_thread
from fastapi import Request
from starlette.datastructures import UploadFile

from jobsmith.domain import errors, snapshots
from jobsmith.service import callers, core, uploads

WRITE_CHUNK = 1024 * 1024


def announced_length(request: Request) -> int | None:
    length = request.headers.get("content-length")
    return int(length) if length and length.isdigit() else None


def expected_sha256(headers: Mapping[str, str]) -> str | None:
    """The sha256 (hex) the client announced (``Digest: sha-256=<base64>`` or ``X-Checksum-SHA256:
    <hex>``), if any; a malformed ``Digest`` value is a 422."""
    if header := headers.get("x-checksum-sha256"):
        return header.strip().lower()
    for part in (headers.get("digest") or "").split(","):
        algorithm, _, value = part.strip().partition("=")
        if algorithm.lower() == "sha-256":
            try:
                return base64.b64decode(value, validate=True).hex()
            except (binascii.Error, ValueError):
                raise errors.Invalid("the Digest header's sha-256 value is not base64", code="bad_digest") from None
    return None


async def receive_body(service: core.Service, caller: callers.Caller, job_id: uuid.UUID | str, filename: str,
                       request: Request, requested_input: str | None) -> snapshots.JobRecord:
    """Stream the raw request body into an input of the job; the job as it is afterwards.

    Name and input are decided before the body is read, so a bad name costs the client no upload.
    """
    job = await service.uploads.waiting_job(caller, str(job_id))
    service.uploads.check_announced_size(announced_length(request))
    expected = expected_sha256(request.headers)
    placements = service.uploads.plan(job, [filename], requested_input, expected)
    stream = service.uploads.stage(job)
    try:
        await stream_body(request, stream)
        return await service.uploads.accept(job, [(placements[0], stream)], expected)
    finally:
        stream.abort()  # no-op once the file was moved into place


async def stream_body(request: Request, stream: uploads.Upload) -> None:
    """The raw request body into a staged file, in chunks of :data:`WRITE_CHUNK` written off the
    event loop, then flushed to disk."""
    buffer = bytearray()
    async for chunk in request.stream():
        buffer += chunk
        if len(buffer) >= WRITE_CHUNK:
            await anyio.to_thread.run_sync(stream.write, bytes(buffer))
            buffer.clear()
    await anyio.to_thread.run_sync(_seal, stream, bytes(buffer))


async def receive_form(service: core.Service, caller: callers.Caller, job_id: uuid.UUID | str, request: Request,
                       field: str, requested_input: str | None) -> snapshots.JobRecord:
    """Every file of a multipart form field into inputs of the job: all of them, or none.

    Checks that need no bytes (names, inputs, how many files an input takes, one checksum for several
    files) come first; then every file is staged and checked; only then is any recorded. A refusal
    leaves the job as it was and no file behind.
    """
    job = await service.uploads.waiting_job(caller, str(job_id))
    service.uploads.check_announced_size(announced_length(request))
    expected = expected_sha256(request.headers)
    async with request.form(max_files=100) as form:
        files = [f for f in form.getlist(field) if isinstance(f, UploadFile)]
        if not files:
            raise errors.Invalid(f"the form has no file in field {field!r}", code="missing_file")
        placements = service.uploads.plan(job, [f.filename or "" for f in files], requested_input, expected)
        with contextlib.ExitStack() as cleanup:
            staged: list[tuple[uploads.Placement, uploads.Upload]] = []
            for placement, item in zip(placements, files, strict=True):
                upload = service.uploads.stage(job)
                cleanup.callback(upload.abort)  # no-op for a file moved into place
                await _stage(item, upload)
                staged.append((placement, upload))
            return await service.uploads.accept(job, staged, expected)


async def _stage(item: UploadFile, upload: uploads.Upload) -> None:
    """Copy one form part into its staged file (writes off the event loop)."""
    while chunk := await item.read(WRITE_CHUNK):
        await anyio.to_thread.run_sync(upload.write, chunk)
    await anyio.to_thread.run_sync(upload.close)


def _seal(stream: uploads.Upload, rest: bytes) -> None:
    """The body's last bytes and the fsync, in one trip to a thread: a small upload (the common case)
    costs one thread hop in all."""
    if rest:
        stream.write(rest)
    stream.close()
