"""Run jobsmith's jobs anywhere: a worker that speaks only the worker protocol (``/v1/worker``).

``jobsmith worker --http URL --token T [--process P]`` runs :func:`serve`; an application can call
it, or :func:`run_one`, itself. Each claimed job runs a process function with the same
:class:`~jobsmith.processes.context.JobContext` the built-in processes get, so any jobsmith process
(from the registry, an entry point or ``JOBSMITH_PROCESSES``) runs remotely unchanged: its inputs
are downloaded first, its steps, progress and log lines are sent as events, every file it writes
under ``ctx.output_dir`` is uploaded as a result, and the job is finished with its outcome. A
background thread keeps the lease alive and hears the cancel signal. This module touches no
database and no shared directory: HTTP is all it needs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import pathlib
import tempfile
import threading
import traceback
import urllib.parse
from collections.abc import Iterator, Sequence
from typing import Any

import httpx

from jobsmith.domain import states
from jobsmith.processes import context, registry

log = logging.getLogger(__name__)
JSON = dict[str, Any]
CHUNK = 1024 * 1024


class LeaseLost(Exception):
    """The server no longer counts this worker as the job's holder: stop and write nothing more."""


class _Session:
    """The protocol calls for one held job, with its lease token."""

    def __init__(self, http: httpx.Client, job_id: str, token: str) -> None:
        self.http, self.job_id = http, job_id
        self.headers = {"Lease-Token": token}

    def call(self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        response = self.http.request(method, f"/v1/worker/jobs/{self.job_id}{path}",
                                     headers={**self.headers, **(headers or {})}, **kwargs)
        if response.status_code == 409 and _code(response) == "lease_lost":
            raise LeaseLost(response.json().get("detail", "lease lost"))
        response.raise_for_status()
        return response

    def download(self, href: str, target: pathlib.Path) -> None:
        with self.http.stream("GET", href, headers=self.headers, timeout=None) as response:
            if response.status_code == 409:
                response.read()
                raise LeaseLost("lease lost while downloading an input")
            response.raise_for_status()
            with target.open("wb") as sink:
                for chunk in response.iter_bytes(CHUNK):
                    sink.write(chunk)


class _Reports(logging.Handler):
    """Collects what the process reports (steps, progress, log records) and sends it as events:
    steps at once, the rest with the next heartbeat. Also the context's reporter."""

    def __init__(self, session: _Session, declared: Sequence[str]) -> None:
        super().__init__(logging.INFO)
        self.session, self.declared = session, set(declared)
        self._guard = threading.Lock()
        self.lines: list[JSON] = []
        self.progress_value: float | None = None
        self.cancel_requested = False
        self.lost = False

    # -- context.Reporter ---------------------------------------------------------------------
    def step(self, position: int, name: str, state: states.StepState, at: dt.datetime,
             message: str | None) -> None:
        self.flush_events({"name": name, "state": state.value, "message": message})

    def progress(self, fraction: float) -> None:
        with self._guard:
            self.progress_value = max(0.0, min(1.0, float(fraction)))

    # -- logging.Handler ----------------------------------------------------------------------
    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + "".join(traceback.format_exception(*record.exc_info)).rstrip()
        with self._guard:
            self.lines.append({"level": logging.getLevelName(record.levelno).lower(), "message": text})

    # -- sending --------------------------------------------------------------------------------
    def flush_events(self, step: JSON | None = None) -> None:
        """Send what was collected (and ``step``); learns whether a cancel was requested."""
        with self._guard:
            body: JSON = {"log": self.lines[:10_000]}
            self.lines = self.lines[10_000:]
            if self.progress_value is not None:
                body["progress"], self.progress_value = self.progress_value, None
        if step is not None:
            body["step"] = step
        try:
            answer = self.session.call("POST", "/events", json=body).json()
            self.cancel_requested = self.cancel_requested or bool(answer.get("cancel_requested"))
        except LeaseLost:
            self.lost = self.cancel_requested = True
        except httpx.HTTPError as problem:  # the next beat tries again; the lease outlives a blip
            log.warning("job %s: events not sent: %s", self.session.job_id, problem)


def _code(response: httpx.Response) -> str:
    with contextlib.suppress(ValueError, AttributeError):
        return str(response.json().get("code", ""))
    return ""


@contextlib.contextmanager
def _heartbeat(reports: _Reports, every_s: float) -> Iterator[None]:
    """Sends the collected events every ``every_s`` (which extends the lease) until the block ends."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every_s) and not reports.lost:
            reports.flush_events()

    thread = threading.Thread(target=beat, name="jobsmith-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=every_s + 30)


class RemoteWorker:
    """Claims jobs of ``processes`` (default: every process of ``processes_registry`` the server
    asks for) from the server at ``url`` and runs them with the local process functions."""

    def __init__(self, url: str, token: str, *, processes: Sequence[str] = (),
                 processes_registry: registry.Registry | None = None, lease_s: float = 60,
                 wait_s: float = 20, timeout: float = 60) -> None:
        self.registry = processes_registry if processes_registry is not None else registry.load()
        self.processes = list(processes) or [p.id for p in self.registry.all()]
        for name in self.processes:
            self.registry.get(name)  # a process this worker cannot run is refused before any claim
        self.lease_s, self.wait_s = lease_s, wait_s
        self.http = httpx.Client(base_url=url.rstrip("/"), timeout=timeout,
                                 headers={"Authorization": f"Bearer {token}"})
        self.stopping = threading.Event()

    def close(self) -> None:
        self.http.close()

    def serve(self) -> None:
        """Claim and run jobs until :attr:`stopping` is set (SIGTERM, Ctrl-C in the CLI)."""
        while not self.stopping.is_set():
            try:
                self.run_one()
            except httpx.HTTPError as problem:
                log.warning("the server could not be reached (%s); trying again in 5 s", problem)
                self.stopping.wait(5)

    def run_one(self, job_id: str | None = None) -> str | None:
        """Claim one job (the next one, or ``job_id``) and run it to its end; its final state, or
        None when no job came within ``wait_s`` (or the lease was lost on the way)."""
        body: JSON = {"processes": self.processes, "wait_s": self.wait_s, "lease_s": self.lease_s}
        if job_id is not None:
            body["job"] = job_id
        answer = self.http.post("/v1/worker/claims", json=body, timeout=self.wait_s + 30)
        if answer.status_code == 204:
            return None
        answer.raise_for_status()
        claimed = answer.json()
        session = _Session(self.http, claimed["job"]["id"], claimed["lease"]["token"])
        try:
            return self._run(session, claimed["job"])
        except LeaseLost as lost:
            log.warning("job %s: %s; its work was dropped", session.job_id, lost)
            return None

    def _run(self, session: _Session, job: JSON) -> str:
        process = self.registry.get(job["process"])
        reports = _Reports(session, process.steps)
        logger = logging.getLogger(f"jobsmith.remote.{job['id']}")
        logger.addHandler(reports)
        logger.setLevel(logging.INFO)
        logger.propagate = False
        try:
            with tempfile.TemporaryDirectory(prefix="jobsmith-job-") as scratch, \
                    _heartbeat(reports, max(1.0, self.lease_s / 3)):
                root = pathlib.Path(scratch)
                inputs = self._download(session, job, root / "inputs")
                output = root / "results"
                output.mkdir()
                outcome = _outcome(process, job, inputs, output, root / "work", logger, reports)
                reports.flush_events()
                if reports.lost:
                    raise LeaseLost("lease lost while the job ran")
                if outcome["state"] == "COMPLETED":
                    self._upload(session, output)
            return str(session.call("POST", "/finish", json=outcome).json()["state"])
        finally:
            logger.removeHandler(reports)
            logging.Logger.manager.loggerDict.pop(logger.name, None)

    @staticmethod
    def _download(session: _Session, job: JSON, directory: pathlib.Path) -> dict[str, list[pathlib.Path]]:
        directory.mkdir()
        inputs: dict[str, list[pathlib.Path]] = {}
        for item in job["inputs"]:
            target = directory / item["name"]
            session.download(item["href"], target)
            inputs.setdefault(item["input"], []).append(target)
        return inputs

    @staticmethod
    def _upload(session: _Session, output: pathlib.Path) -> None:
        for path in sorted(p for p in output.rglob("*") if p.is_file()):
            relative = path.relative_to(output).as_posix()
            with path.open("rb") as source:
                session.call("PUT", f"/results/{urllib.parse.quote(relative)}", content=_chunks(source),
                             headers={"Content-Length": str(path.stat().st_size)},
                             timeout=None)


def _chunks(source: Any) -> Iterator[bytes]:
    while chunk := source.read(CHUNK):
        yield chunk


def _outcome(process: registry.Process, job: JSON, inputs: dict[str, list[pathlib.Path]], output: pathlib.Path,
             work: pathlib.Path, logger: logging.Logger, reports: _Reports) -> JSON:
    """Run the process as the job host does; the body of the finish call it ended with."""
    ctx: context.JobContext | None = None
    try:
        ctx = context.JobContext(
            job_id=job["id"], inputs=inputs, parameters=process.validate_parameters(job["parameters"]),
            metadata=job["metadata"], output_dir=output, work_dir=work, logger=logger, reporter=reports,
            cancelled=lambda: reports.cancel_requested, declared_steps=process.steps)
        process.function(ctx)
        return {"state": "COMPLETED"}
    except context.Cancelled:
        logger.info("the process stopped on request")
        return {"state": "CANCELLED"} if reports.cancel_requested and not reports.lost else {
            "state": "FAILED", "reason": "the process stopped as if cancelled, but no cancel was requested"}
    except Exception as exc:  # noqa: BLE001 - every failure must reach the server
        logger.error("the process failed:\n%s", traceback.format_exc().rstrip())
        message = str(exc).strip() or type(exc).__name__
        reason = message if isinstance(exc, context.JobFailed) else f"{type(exc).__name__}: {message}"
        return {"state": "FAILED", "reason": reason, "retryable": isinstance(exc, context.RetryableError)}


def serve(url: str, token: str, processes: Sequence[str] = (), **options: Any) -> None:
    """Run a :class:`RemoteWorker` until interrupted."""
    worker = RemoteWorker(url, token, processes=processes, **options)
    try:
        worker.serve()
    except KeyboardInterrupt:
        pass
    finally:
        worker.close()


__all__ = ["LeaseLost", "RemoteWorker", "serve"]
