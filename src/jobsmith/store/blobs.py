"""Files of jobs on a local (or shared) directory: inputs, results, log, and scratch space.

Layout: ``<root>/jobs/<job id>/{inputs/, results/, work/, job.log, results.zip}``. Every write
goes to a temporary name in the same directory and is renamed into place, so a reader never
sees half a file and a crash leaves only ``.part`` files behind.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import mimetypes
import os
import pathlib
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator

from jobsmith.domain import errors

CHUNK = 1024 * 1024
_EXTRA_TYPES = {".csv": "text/csv", ".tsv": "text/tab-separated-values", ".parquet": "application/vnd.apache.parquet",
                ".ndjson": "application/x-ndjson", ".jsonl": "application/x-ndjson", ".md": "text/markdown",
                ".log": "text/plain", ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def media_type_of(name: str) -> str:
    suffix = pathlib.PurePath(name).suffix.lower()
    return _EXTRA_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def sha256_of(path: pathlib.Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class Upload:
    """An upload being streamed to a temporary file, hashed and counted as it arrives."""

    def __init__(self, directory: pathlib.Path, limit: int) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=directory, prefix=".upload-", suffix=".part")
        self.path = pathlib.Path(name)
        self._file = os.fdopen(fd, "wb")
        self._digest = hashlib.sha256()
        self._limit = limit
        self.size = 0
        self.placed = False

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self._limit:
            self.abort()
            raise errors.TooLarge(
                f"the upload is larger than this server's limit of {self._limit // (1024 * 1024)} MiB",
                code="upload_too_large")
        self._digest.update(chunk)
        self._file.write(chunk)

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()

    def close(self) -> None:
        if not self._file.closed:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()

    def abort(self) -> None:
        """Discard the upload unless it was placed as an input."""
        if not self._file.closed:
            self._file.close()
        if not self.placed:
            self.path.unlink(missing_ok=True)


@dataclasses.dataclass(frozen=True)
class SealedResult:
    """A result file as packed: its path under the results directory, size and sha256."""

    path: str
    size: int
    sha256: str


class BlobStore:
    """Files by job id under one root directory (local disk, or a directory shared by all machines)."""

    def __init__(self, root: pathlib.Path) -> None:
        self.root = root
        self._jobs = root / "jobs"
        self._jobs.mkdir(parents=True, exist_ok=True)

    def job_dir(self, job_id: str) -> pathlib.Path:
        return self._jobs / job_id

    def inputs_dir(self, job_id: str) -> pathlib.Path:
        return self.job_dir(job_id) / "inputs"

    def results_dir(self, job_id: str) -> pathlib.Path:
        return self.job_dir(job_id) / "results"

    def work_dir(self, job_id: str) -> pathlib.Path:
        return self.job_dir(job_id) / "work"

    def log_path(self, job_id: str) -> pathlib.Path:
        return self.job_dir(job_id) / "job.log"

    def start_upload(self, job_id: str, limit: int) -> Upload:
        return Upload(self.inputs_dir(job_id), limit)

    def place_input(self, upload: Upload, job_id: str, name: str) -> None:
        os.replace(upload.path, self.inputs_dir(job_id) / name)
        upload.placed = True

    def input_path(self, job_id: str, name: str) -> pathlib.Path:
        return self.inputs_dir(job_id) / name

    def result_path(self, job_id: str, path: str) -> pathlib.Path:
        """The file of a result path, refusing anything that would leave the results directory."""
        base = self.results_dir(job_id).resolve()
        candidate = (base / path).resolve()
        if not candidate.is_relative_to(base) or candidate == base:
            raise errors.NotFound(f"no result {path!r}", code="result_not_found")
        return candidate

    def prepare_run(self, job_id: str) -> None:
        """A fresh, empty results directory for an attempt and no scratch or zip of an earlier one (a
        retry starts clean). The scratch directory is made by the job when it first needs it."""
        results = self.results_dir(job_id)
        try:
            results.mkdir(parents=True)
            return  # a first attempt: nothing earlier to remove
        except FileExistsError:
            pass
        shutil.rmtree(results)
        results.mkdir()
        self.remove_scratch(job_id)
        for archive in self.job_dir(job_id).glob("*.zip"):
            archive.unlink(missing_ok=True)

    def remove_scratch(self, job_id: str) -> None:
        """Remove an attempt's scratch directory, if the job made one."""
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(self.work_dir(job_id))

    def result_files(self, job_id: str) -> Iterator[tuple[str, pathlib.Path]]:
        """``(relative path, file)`` of every result, in a stable order; symlinks are ignored."""
        base = self.results_dir(job_id)
        for directory, subdirs, files in os.walk(base):
            subdirs.sort()
            for name in sorted(files):
                path = pathlib.Path(directory) / name
                if path.is_file() and not path.is_symlink():
                    yield path.relative_to(base).as_posix(), path

    def seal_results(self, job_id: str) -> list[SealedResult]:
        """The results' manifest and their zip (``results.zip``), from one read of each file.

        Called by the worker as the job completes, so that the API only ever sends files. Every file
        is hashed as it is packed; the zip is written under a temporary name and renamed.
        """
        sealed: list[SealedResult] = []
        fd, temporary = tempfile.mkstemp(dir=self.job_dir(job_id), prefix=".results-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED,
                                                             compresslevel=1) as archive:
                for relative, path in self.result_files(job_id):
                    digest, size = hashlib.sha256(), 0
                    large = path.stat().st_size >= zipfile.ZIP64_LIMIT
                    with path.open("rb") as source, archive.open(relative, "w", force_zip64=large) as member:
                        while chunk := source.read(CHUNK):
                            digest.update(chunk)
                            member.write(chunk)
                            size += len(chunk)
                    sealed.append(SealedResult(relative, size, digest.hexdigest()))
            os.replace(temporary, self.zip_path(job_id))
        except BaseException:
            pathlib.Path(temporary).unlink(missing_ok=True)
            raise
        return sealed

    def zip_path(self, job_id: str, name: str = "results.zip") -> pathlib.Path:
        """Where :meth:`results_zip` keeps the zip called ``name`` (which may not be built yet)."""
        return self.job_dir(job_id) / name

    def results_zip(self, job_id: str, *, name: str = "results.zip",
                    layout: Callable[[str], str | None] | None = None) -> pathlib.Path:
        """All results as one zip: built once (the native one by the worker as the job completes, else
        on first request) and then served as a file.

        ``layout`` maps a result path to its path in the archive, or to None to leave it out; a zip
        with another layout needs its own ``name``. Built under a temporary name and renamed, so
        concurrent first requests both get a whole file.
        """
        target = self.zip_path(job_id, name)
        if target.exists():
            return target
        fd, temporary = tempfile.mkstemp(dir=self.job_dir(job_id), prefix=".results-", suffix=".part")
        os.close(fd)
        try:
            with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
                for relative, path in self.result_files(job_id):
                    member = relative if layout is None else layout(relative)
                    if member is not None:
                        archive.write(path, member)
            os.replace(temporary, target)
        except BaseException:
            pathlib.Path(temporary).unlink(missing_ok=True)
            raise
        return target

    def read_log(self, job_id: str) -> str:
        try:
            return self.log_path(job_id).read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def append_log(self, job_id: str, line: str) -> None:
        path = self.log_path(job_id)
        text = line if line.endswith("\n") else line + "\n"
        try:
            handle = path.open("a", encoding="utf-8")
        except FileNotFoundError:  # the job's first line
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = path.open("a", encoding="utf-8")
        with handle:
            handle.write(text)

    def remove(self, job_id: str) -> None:
        shutil.rmtree(self.job_dir(job_id), ignore_errors=True)
