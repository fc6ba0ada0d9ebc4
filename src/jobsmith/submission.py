"""``jobsmith.submit()``: create a job, upload its files and queue it in one call, then hold it by a
handle. The same handle works against a server (through :class:`~jobsmith.client.Client`) and
against a service running inside the application (:class:`~jobsmith.embedded.EmbeddedService`),
because both answer the few calls in :class:`Jobs` with the same job views.
"""

from __future__ import annotations

import os
import pathlib
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from jobsmith import client

if TYPE_CHECKING:
    from collections.abc import Callable

JSON = dict[str, Any]


class Jobs(Protocol):
    """What a job handle needs from where the job lives: a server or an embedded service."""

    def create_job(self, process: str, *, parameters: Mapping[str, Any] | None = None,
                   metadata: Mapping[str, Any] | None = None, target: str | None = None,
                   labels: Mapping[str, str] | None = None, description: str | None = None,
                   priority: int | None = None) -> JSON: ...

    def upload(self, job_id: str, path: client.StrPath, *, input: str | None = None) -> JSON: ...

    def queue(self, job_id: str) -> JSON: ...

    def job(self, job_id: str) -> JSON: ...

    def wait(self, job_id: str, *, timeout: float | None = None, poll: float = 0.5,
             on_update: Callable[[JSON], None] | None = None) -> JSON: ...

    def cancel(self, job_id: str) -> JSON: ...

    def log(self, job_id: str) -> str: ...

    def download_results(self, job_id: str, dest_dir: client.StrPath) -> list[pathlib.Path]: ...


class JobNotCompleted(RuntimeError):
    """Results were asked of a job that did not complete; ``view`` is the job as it is (its
    ``state_detail`` says why a failed job failed)."""

    def __init__(self, view: JSON) -> None:
        detail = f": {view['state_detail']}" if view.get("state_detail") else ""
        super().__init__(f"job {view['id']} is {view['state']}, not COMPLETED{detail}")
        self.view = view


class Job:
    """A submitted job. ``view`` is its latest known JobView; every method that asks refreshes it."""

    def __init__(self, jobs: Jobs, view: JSON) -> None:
        self._jobs = jobs
        self.view = view

    def __repr__(self) -> str:
        return f"<jobsmith.Job {self.id} {self.process} {self.state}>"

    @property
    def id(self) -> str:
        return str(self.view["id"])

    @property
    def process(self) -> str:
        return str(self.view["process"])

    @property
    def state(self) -> str:
        return str(self.view["state"])

    def refresh(self) -> JSON:
        self.view = self._jobs.job(self.id)
        return self.view

    def wait(self, *, timeout: float | None = None, progress: bool = False) -> JSON:
        """Block until the job is final and return its view. ``progress=True`` draws a Rich progress
        bar (state, current step, fraction) while in a terminal; elsewhere it is silent. Raises
        ``TimeoutError`` after ``timeout`` seconds (the job goes on)."""
        if not (progress and sys.stderr.isatty()):
            self.view = self._jobs.wait(self.id, timeout=timeout)
            return self.view
        from rich.console import Console  # Rich loads only for a bar

        from jobsmith.cli import render

        with render.live_job(Console(stderr=True)) as display:
            self.view = self._jobs.wait(self.id, timeout=timeout, on_update=display.update)
        return self.view

    def results(self) -> list[JSON]:
        """The result files (``path``, ``size``, ``sha256``, ``media_type``) of the completed job."""
        return list(self._completed()["results"])

    def download(self, directory: client.StrPath) -> list[pathlib.Path]:
        """Every result file into ``directory`` (created if needed), as the paths written."""
        self._completed()
        return self._jobs.download_results(self.id, directory)

    def cancel(self) -> JSON:
        self.view = self._jobs.cancel(self.id)
        return self.view

    def log(self) -> str:
        return self._jobs.log(self.id)

    def _completed(self) -> JSON:
        view = self.view if self.view["state"] == "COMPLETED" else self.refresh()
        if view["state"] != "COMPLETED":
            raise JobNotCompleted(view)
        return view


def submit(process: str, files: Iterable[client.StrPath] | Mapping[str, client.StrPath | Sequence[client.StrPath]] = (),
           *, parameters: Mapping[str, Any] | None = None, metadata: Mapping[str, Any] | None = None,
           labels: Mapping[str, str] | None = None, target: str | None = None, description: str | None = None,
           priority: int | None = None, url: str | None = None, api_key: str | None = None,
           service: Jobs | None = None) -> Job:
    """Create a job of ``process``, upload ``files`` and queue it; returns its :class:`Job`.

    ``files`` is a list of paths (each fills the next required input, as uploads do) or a mapping
    from input name to a path or a list of paths. The job goes to ``service`` when given (an
    :class:`~jobsmith.embedded.EmbeddedService`), else to the server at ``url`` (default
    ``JOBSMITH_URL``, then ``http://127.0.0.1:8000``) with ``api_key`` (default ``JOBSMITH_API_KEY``).
    A job still waiting for data after its uploads (a process taking several files per input) is
    queued explicitly. A refusal raises :class:`~jobsmith.client.JobsmithClientError` (remote) or
    the service's error (embedded) with the server's sentence.
    """
    uploads = _uploads(files)
    jobs = service if service is not None else client.Client(
        url or os.environ.get("JOBSMITH_URL") or client.DEFAULT_URL,
        api_key=api_key if api_key is not None else os.environ.get("JOBSMITH_API_KEY"), timeout=60.0)
    view = jobs.create_job(process, parameters=parameters, metadata=metadata, labels=labels, target=target,
                           description=description, priority=priority)
    for input_name, path in uploads:
        view = jobs.upload(view["id"], path, input=input_name)
    if view["state"] == "WAITING_FOR_DATA":
        view = jobs.queue(view["id"])
    return Job(jobs, view)


def _uploads(files: Iterable[client.StrPath] | Mapping[str, client.StrPath | Sequence[client.StrPath]],
             ) -> list[tuple[str | None, client.StrPath]]:
    """``(input or None, path)`` for every file, in the order given; checked before anything is sent."""
    if isinstance(files, Mapping):
        pairs: list[tuple[str | None, client.StrPath]] = []
        for name, paths in files.items():
            many = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
            pairs.extend((name, path) for path in many)
    else:
        pairs = [(None, path) for path in files]
    for _, path in pairs:
        if not pathlib.Path(path).is_file():
            raise FileNotFoundError(f"{path}: no such file to upload")
    return pairs
