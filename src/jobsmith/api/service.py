"""Job operations behind the routes: one function per client action, no HTTP in here.

Routers parse and map; this module applies the contract's rules (which process, which input,
when a job is queued, what a delete removes) through the repository and blob store, and wakes
the executor after a commit that queued a job.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import hashlib
import json
from collections.abc import Mapping, Sequence

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
    expected = _expected_sha256(headers)
    if expected is not None and expected != upload.sha256:
        raise errors.Invalid(f"the upload's sha256 is {upload.sha256}, not {expected} as the client said; "
                             "the file was discarded", code="checksum_mismatch")


def check_one_checksum(headers: Mapping[str, str], files: int) -> None:
    """Refuse (422) a checksum header on a request of several files, before any of them is stored.

    A header checksum describes one body; guessing which file it means (the first? all of them
    concatenated?) would verify the wrong thing, and ignoring it would tell the client its data was
    checked when it was not.
    """
    if files > 1 and _expected_sha256(headers) is not None:
        raise errors.Invalid(f"the request has {files} files but one checksum header, and a single checksum "
                             "cannot describe several files; send each file in its own request with its "
                             "checksum, or send them without one", code="ambiguous_checksum")


def _expected_sha256(headers: Mapping[str, str]) -> str | None:
    """The sha256 (hex) the client announced, if any; a malformed ``Digest`` value is a 422."""
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


@dataclasses.dataclass(frozen=True)
class Placement:
    """Where one file of an upload request goes: the input it fills and the name it is stored under."""

    input: str
    name: str


def plan_uploads(services: Services, job: records.JobRecord, raw_names: Sequence[str],
                 requested_input: str | None) -> list[Placement]:
    """The input and stored name of every file of one request, decided together before any is stored.

    Files fill ``requested_input``; else a file named like one the job already has replaces it in its
    input, and any other fills the first required input still empty (counting the request's earlier
    files), as a sequence of single uploads would. Refused with a 422, so that the
    request changes nothing: a name that sanitises to nothing, an unknown input, two files of the
    request with one name (the second would silently replace the first), and more files for a
    single-file input than it takes.
    """
    process = services.processes.get(job.process)
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


def _refuse_duplicates(names: Sequence[str]) -> None:
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise errors.Invalid(f"the request has several files named {', '.join(map(repr, repeated))} (after "
                             "unsafe characters are replaced); give every file its own name",
                             code="duplicate_filename")


def _check_counts(process: registry.Process, job: records.JobRecord, placements: Sequence[Placement]) -> None:
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


def accept_uploads(services: Services, job: records.JobRecord,
                   staged: Sequence[tuple[Placement, blobs.Upload]]) -> records.JobRecord:
    """Record the files of one request as inputs of ``job``, all in one transaction; the request
    that completes the job queues it.

    The caller MUST have checked every file first (:func:`plan_uploads`, not empty, checksum), so
    that nothing is recorded unless everything can be; should the job have left WAITING_FOR_DATA
    meanwhile (a concurrent cancel, delete or upload that queued it), none is (409).
    """
    process = services.processes.get(job.process)
    required = {i.name for i in process.inputs if i.required}
    files = [(repository.StoredInput(input=placement.input, name=placement.name, size=upload.size,
                                     sha256=upload.sha256, media_type=blobs.media_type_of(placement.name)),
              functools.partial(services.blobs.place_input, upload, job.id, placement.name))
             for placement, upload in staged]
    updated = services.jobs.add_inputs(job.id, files,
                                       lambda filled: process.queues_on_upload and required <= filled)
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
    verb = "is" if what == "log" else "are"
    if job.state == S.DELETED:
        raise errors.Gone(f"job {job.id} was deleted; its {what} {verb} gone", code="job_deleted")
    if job.files_removed:
        raise errors.Gone(f"the {what} of job {job.id} expired with its retention period and "
                          f"{'was' if what == 'log' else 'were'} removed", code="job_expired")


def ensure_results(job: records.JobRecord) -> None:
    ensure_files(job, "results")
    if job.state != S.COMPLETED:
        raise errors.Conflict(f"job {job.id} is {job.state}; results exist once it is COMPLETED",
                              code="not_completed")
