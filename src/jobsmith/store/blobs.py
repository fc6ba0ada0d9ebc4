"""Files of jobs on a local (or shared) directory: inputs, results, log, and scratch space.

Layout: ``<root>/jobs/<job id>/{inputs/, results/, work/, job.log, results.zip, archives/<name>.zip}``
(a long ``job.log`` has its index beside it, :mod:`jobsmith.store.joblog`).
Every write goes to a temporary name in the same directory and is renamed into place, so a reader
never sees half a file and a crash leaves only ``.part`` files behind. Result files, their zip and
the archives are written by the worker only (the job's process writes ``results/``, the runner seals
the rest as the job completes); the API reads them and writes inputs.
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
from collections.abc import Callable, Iterator, Mapping, Sequence

from jobsmith.domain import errors
from jobsmith.store import joblog

CHUNK = 1024 * 1024
ARCHIVES = "archives"
RESULTS_ZIP = "results.zip"
Layout = Callable[[str], str | None]
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


class _PendingZip:
    """A zip being written under a temporary name beside its target, with the member names it holds.

    ``layout`` None keeps every result at its own path; otherwise it gives the member name of a
    result or None to leave it out, and a name it gives twice is kept by the first result only.
    """

    def __init__(self, target: pathlib.Path, layout: Layout | None) -> None:
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}-", suffix=".part")
        self.target, self.temporary, self.layout = target, pathlib.Path(name), layout
        self.members: set[str] = set()
        self._file = os.fdopen(fd, "wb")
        try:
            self.archive = zipfile.ZipFile(self._file, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        except BaseException:
            self._file.close()
            self.temporary.unlink(missing_ok=True)
            raise

    def member(self, relative: str) -> str | None:
        """The name of result ``relative`` in this zip, or None when it stays out."""
        name = relative if self.layout is None else self.layout(relative)
        if name is None or name in self.members:
            return None
        if name.startswith("/") or ".." in name.split("/") or not name.strip("/"):
            raise ValueError(f"an archive layout put the result {relative!r} at {name!r}, outside the archive")
        self.members.add(name)
        return name

    def close(self) -> None:
        """Finish the zip (its central directory) and close its file; may be called again."""
        try:
            self.archive.close()
        finally:
            self._file.close()

    def discard(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.close()
        self.temporary.unlink(missing_ok=True)


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
        shutil.rmtree(self.job_dir(job_id) / ARCHIVES, ignore_errors=True)

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

    def seal_results(self, job_id: str, archives: Mapping[str, Layout] | None = None) -> list[SealedResult]:
        """The results' manifest, their zip (``results.zip``) and every archive of ``archives`` (its name
        and its layout: the path of a result inside it, or None to leave the result out), from one read
        of each result file.

        Only the worker calls this, as the job completes, so that faces only ever send files. Each zip
        is written under a temporary name and renamed into place once all of them are whole; when
        anything fails (OSError: a full disk; ValueError: a layout that leads outside its archive)
        the temporaries are removed and the error raised, and no zip of this call is in place.
        """
        self.job_dir(job_id).mkdir(parents=True, exist_ok=True)
        if archives:
            (self.job_dir(job_id) / ARCHIVES).mkdir(exist_ok=True)
        pending: list[_PendingZip] = []
        try:
            pending.append(_PendingZip(self.zip_path(job_id), None))
            for name, layout in (archives or {}).items():
                pending.append(_PendingZip(self.archive_path(job_id, name), layout))
            sealed = [_pack(relative, path, pending) for relative, path in self.result_files(job_id)]
            for archive in pending:
                archive.close()
            for archive in pending:
                os.replace(archive.temporary, archive.target)
        except BaseException:
            for archive in pending:
                archive.discard()
            raise
        return sealed

    def zip_path(self, job_id: str) -> pathlib.Path:
        """The zip of all results of a completed job, sealed by its worker (read-only for faces)."""
        return self.job_dir(job_id) / RESULTS_ZIP

    def archive_path(self, job_id: str, name: str) -> pathlib.Path:
        """The archive ``name`` its process declares, sealed by the worker as the job completed
        (read-only for faces). A name that is not a plain file name is a :class:`errors.NotFound`."""
        if not name or name.startswith(".") or pathlib.PurePath(name).name != name:
            raise errors.NotFound(f"no archive {name!r}", code="archive_not_found")
        return self.job_dir(job_id) / ARCHIVES / f"{name}.zip"

    def read_log(self, job_id: str) -> str:
        """The whole log as text ("" before its first line); faces stream it with :meth:`log_text`."""
        return b"".join(self.log_text(job_id)).decode("utf-8", errors="replace")

    def log_text(self, job_id: str) -> Iterator[bytes]:
        """The log as text, a chunk at a time (nothing before its first line)."""
        return joblog.text_chunks(self.log_path(job_id))

    def log_entries(self, job_id: str, offset: int, limit: int, min_level: str) -> joblog.Page:
        """Entries from ``offset`` on (see :func:`joblog.read`): an index look-up, not a read of the log."""
        return joblog.read(self.log_path(job_id), offset, limit, min_level)

    def has_log(self, job_id: str) -> bool:
        try:
            return self.log_path(job_id).stat().st_size > 0
        except FileNotFoundError:
            return False

    def append_log(self, job_id: str, message: str, *, level: str = "info") -> None:
        """An entry of the service's own about the job (``origin: jobsmith``): attempts, outcomes."""
        writer = joblog.Writer(self.log_path(job_id))
        try:
            writer.append([joblog.line(message, level=level, origin=joblog.ORIGIN)])
        finally:
            writer.close()

    def append_entries(self, job_id: str, entries: Sequence[tuple[str, str, str | None]], *, origin: str) -> None:
        """Log entries ``(level, message, step)`` sent by an executor outside jobsmith, in one locked append."""
        writer = joblog.Writer(self.log_path(job_id))
        try:
            writer.append([joblog.line(message, level=level, step=step, origin=origin)
                           for level, message, step in entries])
        finally:
            writer.close()

    def start_result(self, job_id: str, limit: int) -> Upload:
        """A result file an external worker sends, staged in the attempt's scratch directory."""
        return Upload(self.work_dir(job_id) / "incoming", limit)

    def place_result(self, upload: Upload, job_id: str, path: str) -> pathlib.Path:
        """Move a staged result to ``path`` under the results (the same path again replaces it)."""
        target = self.result_path(job_id, path)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(upload.path, target)
        upload.placed = True
        return target

    def remove(self, job_id: str) -> None:
        shutil.rmtree(self.job_dir(job_id), ignore_errors=True)


def _pack(relative: str, path: pathlib.Path, zips: Sequence[_PendingZip]) -> SealedResult:
    """Read the result file once: hash it and write it into every zip that takes it."""
    large = path.stat().st_size >= zipfile.ZIP64_LIMIT
    digest, size = hashlib.sha256(), 0
    with contextlib.ExitStack() as members, path.open("rb") as source:
        targets = [members.enter_context(z.archive.open(name, "w", force_zip64=large))
                   for z in zips if (name := z.member(relative)) is not None]
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            for target in targets:
                target.write(chunk)
    return SealedResult(relative, size, digest.hexdigest())
