"""jobsmith inside an application: the job service and its local worker processes, with no HTTP.

An application that wants background jobs without running a server starts an
:class:`EmbeddedService` and hands it to :func:`jobsmith.submit`. It is one more face over the one
job service: the same rules, states, files and workers as ``jobsmith serve`` on the same settings
(SQLite and a data directory by default; PostgreSQL and a shared directory work too), answering
with the same job views. The service lives on an event loop in a thread of its own, so the
application's code stays synchronous.
"""

from __future__ import annotations

import asyncio
import pathlib
import threading
import zipfile
from collections.abc import Coroutine, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from jobsmith import client, runtime
from jobsmith.api import presenters
from jobsmith.cli import serve
from jobsmith.config import Settings
from jobsmith.service import callers, core, requests

if TYPE_CHECKING:
    from collections.abc import Callable

JSON = dict[str, Any]
T = TypeVar("T")
_CALLER = callers.Caller(owner=callers.ANONYMOUS, admin=True)  # the application owns every job it runs
_COPY_CHUNK = 1024 * 1024


class EmbeddedService:
    """The service on ``settings`` (or ``Settings(**overrides)``: ``data_dir``, ``workers`` ...),
    started by :meth:`start` or ``with``; :meth:`stop` lets running jobs finish their grace period.

    Its methods mirror :class:`~jobsmith.client.Client`'s, so a :class:`~jobsmith.submission.Job`
    handle works with either.
    """

    def __init__(self, settings: Settings | None = None, **overrides: Any) -> None:
        self.settings = settings if settings is not None else Settings(**overrides)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runtime: runtime.Runtime | None = None
        self._service: core.Service | None = None

    def __enter__(self) -> EmbeddedService:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    def start(self) -> EmbeddedService:
        """Open the database (migrating the embedded one), start the workers; idempotent."""
        if self._service is not None:
            return self
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="jobsmith-embedded", daemon=True)
        self._thread.start()
        self._runtime = runtime.open_runtime(self.settings, runtime.Role.API)
        self._service = core.Service.open(self._runtime, serve.executor_for(self.settings))
        self._run(self._service.start())
        return self

    def stop(self) -> None:
        if self._service is None or self._loop is None or self._thread is None:
            return
        try:
            self._run(self._service.stop())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=30)
            self._loop.close()
            if self._runtime is not None:
                self._runtime.close()
            self._service = self._loop = self._thread = self._runtime = None

    # -- what a job handle calls (the Client's names and answers) ------------------------
    def create_job(self, process: str, *, parameters: Mapping[str, Any] | None = None,
                   metadata: Mapping[str, Any] | None = None, target: str | None = None,
                   labels: Mapping[str, str] | None = None, description: str | None = None,
                   priority: int | None = None) -> JSON:
        request = requests.JobRequest(process=process, parameters=dict(parameters or {}),
                                      metadata=dict(metadata or {}), target=target, labels=dict(labels or {}),
                                      description=description, priority=priority or 0)
        job, _ = self._run(self._on_service(lambda s: s.jobs.create(_CALLER, request)))
        return self._view(job)

    def upload(self, job_id: str, path: client.StrPath, *, input: str | None = None) -> JSON:
        """Copy a local file into an input of the job, through the same checks as an HTTP upload."""
        return self._view(self._run(self._upload(job_id, pathlib.Path(path), input)))

    def queue(self, job_id: str) -> JSON:
        return self._view(self._run(self._on_service(lambda s: s.jobs.queue(_CALLER, job_id))))

    def job(self, job_id: str) -> JSON:
        return self._view(self._run(self._on_service(lambda s: s.jobs.get(_CALLER, job_id))))

    def wait(self, job_id: str, *, timeout: float | None = None, poll: float = 0.5,
             on_update: Callable[[JSON], None] | None = None) -> JSON:
        """Until the job is final, woken by its changes (no polling); see :meth:`Client.wait`."""
        view = self.job(job_id)
        waited = 0.0
        while True:
            if on_update is not None:
                on_update(view)
            if view["state"] in client.FINAL_STATES:
                return view
            if timeout is not None and waited >= timeout:
                raise TimeoutError(f"job {job_id} is still {view['state']} after {timeout} s")
            step = min(client.MAX_WAIT_S if on_update is None else poll,
                       client.MAX_WAIT_S if timeout is None else max(0.05, timeout - waited))
            view = self._view(self._run(self._on_service(
                lambda s: s.jobs.wait(_CALLER, job_id, step, until_final=on_update is None))))
            waited += step

    def cancel(self, job_id: str) -> JSON:
        return self._view(self._run(self._on_service(lambda s: s.jobs.cancel(_CALLER, job_id))))

    def log(self, job_id: str) -> str:
        return self._run(self._on_service(lambda s: s.downloads.log(_CALLER, job_id)))

    def download_results(self, job_id: str, dest_dir: client.StrPath) -> list[pathlib.Path]:
        """Every result into ``dest_dir``, extracted safely from the job's sealed zip."""
        stored = self._run(self._on_service(lambda s: s.downloads.results_zip(_CALLER, job_id)))
        destination = pathlib.Path(dest_dir)
        destination.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(stored.path) as archive:
            return client.safe_extract(archive, destination)

    # -- plumbing --------------------------------------------------------------------------
    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if self._loop is None:
            coroutine.close()
            raise RuntimeError("the embedded service is not started; call start() or use it in a with block")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    async def _on_service(self, call: Callable[[core.Service], Coroutine[Any, Any, T]]) -> T:
        assert self._service is not None
        return await call(self._service)

    async def _upload(self, job_id: str, path: pathlib.Path, requested_input: str | None) -> Any:
        assert self._service is not None
        uploads = self._service.uploads
        job = await uploads.waiting_job(_CALLER, job_id)
        uploads.check_announced_size(path.stat().st_size)
        placements = uploads.plan(job, [path.name], requested_input)
        staged = uploads.stage(job)
        try:
            await asyncio.to_thread(_copy_into, path, staged)
            return await uploads.accept(job, [(placements[0], staged)])
        finally:
            staged.abort()  # no-op once the file was moved into place

    def _view(self, job: Any) -> JSON:
        view: JSON = presenters.job_view(job, "").model_dump(mode="json")
        return view


def _copy_into(path: pathlib.Path, staged: Any) -> None:
    with path.open("rb") as source:
        while chunk := source.read(_COPY_CHUNK):
            staged.write(chunk)
    staged.close()

