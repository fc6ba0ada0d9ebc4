"""Bringing files into a job's inputs on the server: a dataset of the input directory, or an earlier
job's result. The client sends no bytes; the files are hard-linked (else copied) into the job's own
input directory, so the source may be deleted later without touching the job.

A dataset is imported by the worker that runs the job, right before its process starts, because only
the worker is sure to reach both the input directory and the job's storage (in cluster mode, on
shared storage). What an input receives:

- a file dataset: that file;
- a directory: its data files (one, for an input that takes a single file);
- an archive: for an input taking several files, its data files, unpacked under
  :mod:`jobsmith.safe_archive`'s rules; for a single-file input, the archive itself once every member
  has been read through those same rules (the process may read archives itself, as ``profile`` does).

Metadata (a JSON document describing the dataset) is not an input file.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import shutil
import uuid
from collections.abc import Callable

from jobsmith import safe_archive
from jobsmith.domain import errors, filenames
from jobsmith.store import blobs, input_dir, leases, repository

CHUNK = 1024 * 1024


def link_or_copy(source: pathlib.Path, destination: pathlib.Path) -> None:
    """A hard link when the file system allows one (same device, link permitted), else a copy."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, destination)
    except OSError:
        shutil.copyfile(source, destination)


def stored(input_name: str, name: str, path: pathlib.Path) -> repository.StoredInput:
    """The input row of a placed file: its size and sha256 read from the file itself."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return repository.StoredInput(input=input_name, name=name, size=size, sha256=digest.hexdigest(),
                                  media_type=blobs.media_type_of(name))


def free_name(base: str, taken: set[str]) -> str:
    """``base`` (sanitised), or ``stem-2.ext``, ``stem-3.ext`` ... when a file of the job has it already."""
    clean = filenames.sanitise(base)
    stem, dot, extension = clean.rpartition(".")
    if not dot or not stem:
        stem, extension = clean, ""
    candidate, number = clean, 1
    while candidate in taken:
        number += 1
        candidate = filenames.shorten(f"{stem}-{number}" + (f".{extension}" if extension else ""))
    taken.add(candidate)
    return candidate


def fill_datasets(book: leases.Leases, importer: Importer, claim: leases.Claim, multiple: Callable[[str], bool],
                  beat: Callable[[], None] = lambda: None) -> list[tuple[str, str, int]]:
    """Fill the inputs a claimed job names datasets for, unless an earlier attempt did (its rows exist);
    ``(input, dataset, files)`` of each import made. ``multiple(input)`` says whether an input takes
    several files. Whoever holds the claim calls this before the work starts (jobsmith's runner, or the
    service for an external worker); a refusal is a :class:`errors.JobsmithError` the job fails with."""
    wanted = book.datasets_of(claim)
    if not wanted:
        return []
    existing = book.inputs_of(claim)
    filled, taken = {i.input for i in existing}, {i.name for i in existing}
    made = []
    for input_name, dataset in wanted:
        if input_name in filled:
            continue
        files = importer.import_dataset(claim.job.id, input_name, multiple(input_name), dataset, taken, beat)
        book.record_inputs(claim, files)
        made.append((input_name, dataset, len(files)))
    return made


class Importer:
    """Imports datasets of one input directory into jobs' input directories of one blob store."""

    def __init__(self, directory: input_dir.InputDir, store: blobs.BlobStore) -> None:
        self.directory = directory
        self.blobs = store

    def import_dataset(self, job_id: str, input_name: str, multiple: bool, name: str, taken: set[str],
                       beat: Callable[[], None] = lambda: None) -> list[repository.StoredInput]:
        """Place the dataset's files among the job's inputs and return their rows (not yet recorded).

        Refusals are :class:`errors.JobsmithError` with a sentence for the job's reason: a dataset gone
        from the directory, one with several files for a single-file input, an archive refused by the
        safe-archive rules. ``taken`` holds the job's file names and receives the new ones. Files are
        prepared in a hidden staging directory and moved into place only once all are ready.
        """
        dataset = self._find(input_name, name)
        inputs = self.blobs.inputs_dir(job_id)
        staging = inputs / f".import-{uuid.uuid4().hex}"
        staging.mkdir(parents=True)
        try:
            placed = self._stage(dataset, input_name, multiple, staging, beat)
            rows = []
            for relative, path in placed:
                final = free_name(relative.rsplit("/", 1)[-1], taken)
                os.replace(path, inputs / final)
                rows.append(stored(input_name, final, inputs / final))
                beat()
            return rows
        except safe_archive.Refused as refused:
            raise errors.Invalid(f"input {input_name!r}: dataset {str(refused)}", code="dataset_refused") from None
        except OSError as problem:
            raise errors.Unavailable(f"input {input_name!r}: dataset {name!r} could not be imported: "
                                     f"{problem.strerror or problem}", code="dataset_import_failed") from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _find(self, input_name: str, name: str) -> input_dir.Dataset:
        try:
            return self.directory.find(name)
        except errors.JobsmithError as missing:
            raise errors.NotFound(f"input {input_name!r}: {missing.detail}; it was there when the job was "
                                  "created", code="dataset_not_found") from None

    def _stage(self, dataset: input_dir.Dataset, input_name: str, multiple: bool, staging: pathlib.Path,
               beat: Callable[[], None]) -> list[tuple[str, pathlib.Path]]:
        if dataset.kind == "archive":
            if not multiple:
                safe_archive.unpack(dataset.path, dataset.name, None, self.directory.limits, beat)
                link_or_copy(dataset.path, staging / dataset.name)
                return [(dataset.name, staging / dataset.name)]
            return self._unpacked(dataset, staging, beat)
        files = self.directory.data_files(dataset)
        _check_count(dataset, input_name, multiple, [relative for relative, _ in files])
        placed = []
        for index, (relative, source) in enumerate(files):
            target = staging / str(index) / relative.rsplit("/", 1)[-1]
            link_or_copy(source, target)
            placed.append((relative, target))
            beat()
        return placed

    def _unpacked(self, dataset: input_dir.Dataset, staging: pathlib.Path,
                  beat: Callable[[], None]) -> list[tuple[str, pathlib.Path]]:
        target = staging / "unpacked"
        members = safe_archive.unpack(dataset.path, dataset.name, target, self.directory.limits, beat)
        paths = [m.path for m in members if input_dir.visible(m.path)]
        data, _ = input_dir.split_metadata(paths, safe_archive.archive_stem(dataset.name))
        if not data:
            raise errors.Invalid(f"dataset {dataset.name!r} holds no data files, only metadata",
                                 code="dataset_without_data")
        return [(relative, target / relative) for relative in data]


def _check_count(dataset: input_dir.Dataset, input_name: str, multiple: bool, data: list[str]) -> None:
    if not data:
        raise errors.Conflict(f"dataset {dataset.name!r} holds no data yet, only metadata", code="dataset_without_data")
    if not multiple and len(data) > 1:
        raise errors.Invalid(f"input {input_name!r} takes one file, but dataset {dataset.name!r} holds {len(data)}: "
                             f"{', '.join(data[:5])}{' ...' if len(data) > 5 else ''}", code="too_many_files")


def check_fits(directory: input_dir.InputDir, dataset: input_dir.Dataset, input_name: str, multiple: bool) -> None:
    """At create: refuse a dataset that cannot fill the input whatever happens (no data; several files
    for a single-file input). An archive's members are only read on import."""
    if dataset.kind != "archive":
        _check_count(dataset, input_name, multiple, [relative for relative, _ in directory.data_files(dataset)])

