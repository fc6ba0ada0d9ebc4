"""Job operations behind the routes: one function per client action, no HTTP in here.

Routers parse and map; this module applies the contract's rules (which process, which input,
when a job is queued, what a delete removes) through the repository and blob store, and wakes
the executor after a commit that queued a job.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping

from jobsmith.api.deps import Caller, Services
from jobsmith.domain import errors, filenames, states, views
from jobsmith.processes import registry
from jobsmith.store import records, blobs, repository

S = states.Status


def create_job(services: Services, caller: Caller, body: views.JobCreate,
               idempotency_key: str | None) -> tuple[records.JobRecord, bool]:
    """Validate and insert a job; ``(job, created)`` where ``created`` is False on an idempotent replay."""
    try:
        process = services.processes.get(body.process)
    except errors.NotFound as exc:
        raise errors.Invalid(exc.detail, code="unknown_process") from None
    if body.inputs:
        raise errors.Invalid("filling inputs by reference (a dataset or another job's result) is not "
                             "supported yet; upload the files instead", code="inputs_by_reference_unsupported")
    parameters = process.validate_parameters(body.parameters).model_dump(mode="json")
    new = repository.NewJob(
        process=process.id, process_version=process.version, owner=caller.owner, parameters=parameters,
        metadata=body.metadata, labels=body.labels, target=body.target, description=body.description,
        priority=body.priority, timeout_s=body.timeout_s or services.settings.job_timeout_s,
        max_retries=services.settings.max_retries if body.max_retries is None else body.max_retries,
        queued=not process.needs_upload)
    idempotency = None
    if idempotency_key is not None:
        if not 1 <= len(idempotency_key) <= 255:
            raise errors.Invalid("the Idempotency-Key header must be 1 to 255 characters", code="bad_idempotency_key")
        canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        idempotency = (idempotency_key, hashlib.sha256(canonical.encode()).hexdigest())
    job, created = services.jobs.create(new, idempotency=idempotency)
    if created and job.state == S.QUEUED:
        services.executor.notify()
    return job, created


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


def check_digest(upload: blobs.Upload, headers: Mapping[str, str]) -> None:
    """Verify a client checksum (``Digest: sha-256=<base64>`` or ``X-Checksum-SHA256: <hex>``)."""
    expected: str | None = None
    if header := headers.get("x-checksum-sha256"):
        expected = header.strip().lower()
    elif header := headers.get("digest"):
        for part in header.split(","):
            algorithm, _, value = part.strip().partition("=")
            if algorithm.lower() == "sha-256":
                try:
                    expected = base64.b64decode(value, validate=True).hex()
                except (binascii.Error, ValueError):
                    raise errors.Invalid("the Digest header's sha-256 value is not base64",
                                         code="bad_digest") from None
    if expected is not None and expected != upload.sha256:
        raise errors.Invalid(f"the upload's sha256 is {upload.sha256}, not {expected} as the client said; "
                             "the file was discarded", code="checksum_mismatch")


def accept_upload(services: Services, job: records.JobRecord, filename: str, upload: blobs.Upload,
                  requested_input: str | None) -> records.JobRecord:
    """Record a streamed upload as an input of ``job``; the upload that completes it queues it."""
    process = services.processes.get(job.process)
    name = filenames.sanitise(filename)
    target = choose_input(process, requested_input, {i.input for i in job.inputs})
    stored = repository.StoredInput(input=target.name, name=name, size=upload.size, sha256=upload.sha256,
                                    media_type=blobs.media_type_of(name))
    required = {i.name for i in process.inputs if i.required}

    def complete(filled: set[str]) -> bool:
        return process.queues_on_upload and required <= filled

    updated = services.jobs.add_input(job.id, stored, lambda: services.blobs.place_input(upload, job.id, name),
                                      complete)
    if updated.state == S.QUEUED:
        services.executor.notify()
        services.changes.publish(job.id, S.QUEUED.value)
    return updated


def queue(services: Services, job: records.JobRecord) -> records.JobRecord:
    """Queue a waiting job explicitly (processes taking several files per input)."""
    process = services.processes.get(job.process)
    filled = {i.input for i in job.inputs}
    missing = [i.name for i in process.inputs if i.required and i.name not in filled]
    if missing:
        raise errors.Conflict(f"required input(s) not uploaded yet: {', '.join(missing)}", code="inputs_missing")
    if job.state != S.WAITING_FOR_DATA:
        raise errors.Conflict(f"job {job.id} is {job.state}; only a job waiting for data can be queued",
                              code="state_conflict")
    services.jobs.queue(job.id)
    services.executor.notify()
    services.changes.publish(job.id, S.QUEUED.value)
    return services.jobs.get(job.id)


def delete(services: Services, job: records.JobRecord) -> records.JobRecord:
    """DELETED first (a running job's worker then stops it), files second; the record stays."""
    deleted = services.jobs.delete(job.id)
    services.blobs.remove(job.id)
    services.jobs.mark_files_removed(job.id)
    services.changes.publish(job.id, S.DELETED.value)
    return deleted


def cancel(services: Services, job: records.JobRecord) -> records.JobRecord:
    cancelled = services.jobs.cancel(job.id)
    services.changes.publish(job.id, cancelled.state)
    return services.jobs.get(cancelled.id)


def ensure_files(job: records.JobRecord, what: str) -> None:
    """410 for the files of a deleted or expired job (its view stays readable)."""
    if job.state == S.DELETED:
        raise errors.Gone(f"job {job.id} was deleted; its {what} are gone", code="job_deleted")
    if job.files_removed:
        raise errors.Gone(f"the {what} of job {job.id} expired with its retention period and were removed",
                          code="job_expired")


def ensure_results(job: records.JobRecord) -> None:
    ensure_files(job, "results")
    if job.state != S.COMPLETED:
        raise errors.Conflict(f"job {job.id} is {job.state}; results exist once it is COMPLETED",
                              code="not_completed")
