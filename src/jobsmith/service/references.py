"""Inputs filled by reference at create: a dataset of the input directory, or an earlier job's result.

``{"<input>": {"dataset": NAME}}`` is checked here (the dataset exists and has data; a directory of
several files does not fill a single-file input) and recorded with the job; its files are imported by
the worker that runs the job (:mod:`jobsmith.store.imports`). ``{"<input>": {"job": ID, "path": P}}``
takes result ``P`` of the caller's own COMPLETED job ``ID``: the file is hard-linked (else copied) into
the new job's inputs before the job is recorded, so it appears in the job's ``inputs`` from the start.

References fill whole inputs: a create that names any must name one for every required input, and the
job is queued at once.
"""

from __future__ import annotations

import dataclasses
import functools
import uuid
from typing import Any

import anyio.to_thread

from jobsmith.domain import errors, filenames, snapshots, states
from jobsmith.processes import registry
from jobsmith.service import backend, callers
from jobsmith.store import imports, repository

S = states.Status


@dataclasses.dataclass(frozen=True)
class ChainedFile:
    """A result of an earlier job to place among the new job's inputs."""

    stored: repository.StoredInput
    source_job: str
    source_path: str


@dataclasses.dataclass(frozen=True)
class Resolved:
    """What the references of one create come to: datasets to import later, files to place now."""

    datasets: tuple[tuple[str, str], ...]
    files: tuple[ChainedFile, ...]


async def resolve(back: backend.Backend, caller: callers.Caller, process: registry.Process,
                  references: dict[str, dict[str, Any]]) -> Resolved:
    """Check every reference of a create; refusals name the input and what is wrong with its reference."""
    _check_complete(process, references)
    datasets: list[tuple[str, str]] = []
    files: list[ChainedFile] = []
    taken: set[str] = set()
    for input_name, reference in references.items():
        spec = process.input(input_name)
        kind = _kind(input_name, reference)
        if kind == "dataset":
            dataset = await anyio.to_thread.run_sync(_dataset, back, input_name, spec, str(reference["dataset"]))
            datasets.append((input_name, dataset))
        else:
            files.append(await _chained(back, caller, input_name, str(reference["job"]), str(reference["path"]), taken))
    return Resolved(tuple(datasets), tuple(files))


def place(back: backend.Backend, job_id: str, resolved: Resolved) -> None:
    """Link (else copy) the chained results into the new job's inputs; call before the job is recorded."""
    inputs = back.blobs.inputs_dir(job_id)
    for chained in resolved.files:
        try:
            source = back.blobs.result_path(chained.source_job, chained.source_path)
            imports.link_or_copy(source, inputs / chained.stored.name)
        except (FileNotFoundError, errors.NotFound):
            raise errors.Gone(f"input {chained.stored.input!r}: the result {chained.source_path!r} of job "
                              f"{chained.source_job} is no longer stored", code="result_gone") from None
        except OSError as problem:  # a full disk, say: the server's trouble, not the request's
            raise errors.Unavailable(f"input {chained.stored.input!r}: the result could not be placed among the "
                                     f"job's inputs: {problem.strerror or type(problem).__name__}") from None


def new_id() -> str:
    return str(uuid.uuid4())


def _check_complete(process: registry.Process, references: dict[str, dict[str, Any]]) -> None:
    missing = [i.name for i in process.inputs if i.required and i.name not in references]
    if missing:
        raise errors.Invalid(f"inputs given by reference must fill every required input of process "
                             f"{process.id!r}; missing: {', '.join(missing)} (or upload all files instead)",
                             code="inputs_incomplete")


def _kind(input_name: str, reference: dict[str, Any]) -> str:
    keys = set(reference)
    if keys == {"dataset"} and isinstance(reference["dataset"], str):
        return "dataset"
    if keys == {"job", "path"} and all(isinstance(reference[k], str) for k in keys):
        return "job"
    raise errors.Invalid(f"input {input_name!r}: a reference is {{\"dataset\": NAME}} or {{\"job\": ID, \"path\": "
                         f"RESULT PATH}}, not {sorted(keys)}", code="bad_reference")


def _dataset(back: backend.Backend, input_name: str, spec: registry.FileInput, name: str) -> str:
    try:
        dataset = back.datasets.find(name)
    except errors.NotFound as missing:
        raise errors.Invalid(f"input {input_name!r}: {missing.detail}", code="unknown_dataset") from None
    imports.check_fits(back.datasets, dataset, input_name, spec.multiple)
    return dataset.name


async def _chained(back: backend.Backend, caller: callers.Caller, input_name: str, job_id: str, path: str,
                   taken: set[str]) -> ChainedFile:
    try:
        uuid.UUID(job_id)
        job = await back.read(functools.partial(back.jobs.get, job_id, owner=caller.scope()))
    except (ValueError, errors.NotFound):
        raise errors.NotFound(f"input {input_name!r}: no job {job_id}", code="job_not_found") from None
    if job.state != S.COMPLETED:
        raise errors.Conflict(f"input {input_name!r}: job {job.id} is {job.state}; only a COMPLETED job's results "
                              "can fill an input", code="job_not_completed")
    result = _result(job, path)
    if result is None:
        held = ", ".join(r.path for r in job.results[:10]) or "none"
        raise errors.NotFound(f"input {input_name!r}: job {job.id} has no result {path!r} (its results: {held})",
                              code="result_not_found")
    if job.files_removed:
        raise errors.Gone(f"input {input_name!r}: the results of job {job.id} were removed", code="result_gone")
    name = imports.free_name(filenames.sanitise(path), taken)
    stored = repository.StoredInput(input=input_name, name=name, size=result.size, sha256=result.sha256,
                                    media_type=result.media_type)
    return ChainedFile(stored, job.id, result.path)


def _result(job: snapshots.JobRecord, path: str) -> snapshots.ResultRecord | None:
    return next((r for r in job.results if r.path == path), None)
