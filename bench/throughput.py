#!/usr/bin/env python3
"""End-to-end job throughput of jobsmith, embedded or (``--cluster``) in cluster mode. A benchmark: it
prints figures, asserts none.

What it measures
    N small jobs through the whole HTTP flow, with C concurrent clients (closed loop: each client
    starts its next job when the previous one is downloaded):

    ``sleep``    POST /v1/jobs ``{"process": "sleep", "parameters": {"seconds": 0}}`` (QUEUED at once),
                 poll GET /v1/jobs/{id} every ``--poll`` seconds until COMPLETED, GET /v1/jobs/{id}/results;
    ``inspect``  POST /v1/jobs ``{"process": "inspect"}`` (WAITING_FOR_DATA), PUT a 1 KB CSV to
                 /v1/jobs/{id}/inputs/data.csv (which queues it), poll until COMPLETED, GET the results zip.

    For each: jobs/s over the run; p50/p95/p99 of every stage (create, upload, wait = from the end of
    create/upload until the poll that saw COMPLETED, download, total) in milliseconds; polls per job;
    CPU per job of the API process, of the worker processes and of the client.

    The same client also measures the bare server, ``healthz`` (N GET /healthz) and ``get`` (N GET
    /v1/jobs/{id} of one finished job), at the same concurrency: requests/s that no job flow can beat,
    i.e. the ceiling of this client on this machine.

    Then it stops the server, inserts ``--prefill`` (100 000) COMPLETED jobs with one history row each
    straight into the same SQLite file (SQLAlchemy Core bulk inserts), starts the server again on the
    same data directory and repeats everything, printing both rounds side by side with their ratio.

How
    The server is a subprocess, ``python -m jobsmith serve --port P --data-dir D --workers W`` (the
    ``jobsmith`` command; if it does not come up, ``jobsmith.cli.serve.run(Settings(...))`` instead), on a
    free 127.0.0.1 port with a fresh temporary data directory, stopped with SIGTERM (killed after 30 s).
    Clients run in ``--client-processes`` processes, each an asyncio loop with one aiohttp.ClientSession
    (HTTP/1.1 keep-alive); they take job numbers from a shared counter so that no process idles while
    another still has work, and they start together after a barrier, so process start-up is not timed.
    The machine's cores are shared by client and server: the client's CPU per job is printed so that its
    share can be subtracted by the reader. ``ref ms`` is a fixed piece of pure-Python work run on every
    core at once right after each scenario (the slowest core's time): this machine's speed drifts (up
    to 2x within minutes), and the reference gives a rough idea of how fast it was at the time.

    /work/venv/bin/python bench/throughput.py              # N=1000, C=16 and C=1, then with 100 000 jobs stored
    /work/venv/bin/python bench/throughput.py --quick      # N=200, a smoke run
    /work/venv/bin/python bench/throughput.py --poll 0     # long-poll (Prefer: wait=10, until=final) instead of polling

Cluster mode (``--cluster``)
    The README's "Running on a cluster" on this machine: a fresh schema in the PostgreSQL at
    ``--postgres-url``, a private redis-server on a free port as the broker, a shared directory,
    ``jobsmith migrate``, ``jobsmith serve`` (``JOBSMITH_EXECUTOR=celery``: it runs no job) and
    ``--workers`` (2) ``jobsmith worker --concurrency --worker-concurrency`` (1) processes. The same
    client and scenarios as above, without the prefill round. Before it, on the same redis-server, the
    bare Celery limit: ``apply_async`` -> result of an empty task (Celery's defaults, a Redis result
    backend), ``--bare-in-flight`` (the largest C) in flight, through the same number of Celery worker
    processes; jobsmith's jobs/s are printed as a share of that rate (the goal is at least 0.5).

    /work/venv/bin/python bench/throughput.py --cluster --n 1000 --c 16

The last line of output is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import dataclasses
import importlib.metadata
import datetime as dt
import json
import math
import multiprocessing as mp
import os
import pathlib
import platform
import random
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Barrier
from typing import Any

import aiohttp
import httpx
import psutil
import sqlalchemy as sa
import uvloop

from jobsmith.execution.osproc import tree_cpu_seconds

ROOT = pathlib.Path(__file__).resolve().parents[1]
JOB_SCENARIOS = ("sleep", "inspect")
BARE_SCENARIOS = ("healthz", "get")
STAGES = ("create", "upload", "wait", "download", "total")
FINAL_STATES = {"COMPLETED", "FAILED", "CANCELLED", "DELETED"}
CSV_1K = ("id,name,value,flag\n" + "".join(f"{i},item-{i:05d},{i * 1.25:.2f},{i % 2 == 0}\n"
                                           for i in range(40))).encode()[:1024]
EXPECTED_RESULT = {"sleep": "sleep.json", "inspect": "inspect.json"}
CREATE_BODY: dict[str, dict[str, Any]] = {
    "sleep": {"process": "sleep", "parameters": {"seconds": 0}},
    "inspect": {"process": "inspect"},
}
Sample = dict[str, float]


# -- the server ---------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """A jobsmith server in a subprocess, on one data directory; its output goes to ``log_path``."""

    def __init__(self, data_dir: pathlib.Path, workers: int, log_path: pathlib.Path,
                 env: dict[str, str] | None = None) -> None:
        self.data_dir, self.workers, self.log_path = data_dir, workers, log_path
        self.env = {**os.environ, **(env or {})}
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.how = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def commands(self) -> list[tuple[str, list[str]]]:
        """The ``jobsmith serve`` command when the CLI exists, then the plain ``run(Settings(...))``."""
        fallback = ("from jobsmith.cli.serve import run; from jobsmith.config import Settings; "
                    f"run(Settings(port={self.port}, data_dir={str(self.data_dir)!r}, workers={self.workers}))")
        found = [("python -c run(Settings(...))", [sys.executable, "-c", fallback])]
        cli = ROOT / "src" / "jobsmith" / "cli"
        if cli.is_dir() or cli.with_suffix(".py").exists():
            # ``-m jobsmith.cli`` only imports the module; ``-m jobsmith`` is the ``jobsmith`` command.
            found.insert(0, ("jobsmith serve", [sys.executable, "-m", "jobsmith", "serve", "--port", str(self.port),
                                                "--data-dir", str(self.data_dir), "--workers", str(self.workers)]))
        return found

    def start(self, timeout_s: float = 60.0) -> None:
        """Start and wait until GET /healthz answers 200; tries the next command if one exits first."""
        for how, command in self.commands():
            with self.log_path.open("ab") as log:
                log.write(f"\n=== {how}: {' '.join(command)}\n".encode())
                self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log,
                                                stderr=subprocess.STDOUT, start_new_session=True)
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline and self.process.poll() is None:
                try:
                    if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                        self.how = how
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            self.stop()
        tail = self.log_path.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"the server did not start; its log ({self.log_path}) ends with:\n{tail}")

    def stop(self) -> float:
        """SIGTERM, then SIGKILL after 30 s; returns how long it took to stop."""
        if self.process is None or self.process.poll() is not None:
            self.process = None
            return 0.0
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # the server and the workers it started
            self.process.wait()
        self.process = None
        return time.monotonic() - started

    def cpu_seconds(self) -> tuple[float, float]:
        """CPU seconds (user + system) used so far by the API process and by all its descendants."""
        assert self.process is not None
        own = sum(psutil.Process(self.process.pid).cpu_times()[:2])
        return own, tree_cpu_seconds(self.process.pid) - own


# -- the client ---------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Plan:
    """What the client processes of one scenario do."""

    url: str
    scenario: str
    n: int
    concurrency: int
    poll_s: float
    job_id: str = ""


@dataclasses.dataclass(frozen=True)
class Reply:
    """What the benchmark keeps of a response."""

    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


async def call(client: aiohttp.ClientSession, method: str, path: str, expect: int, counts: dict[str, int],
               **kwargs: Any) -> Reply:
    """One request; a 503 (database busy) is retried after its Retry-After and counted, anything else
    unexpected ends the run. aiohttp, not httpx: it costs the shared cores about a third of httpx's CPU
    per request, so the client takes less from the server it measures."""
    for _ in range(100):
        async with client.request(method, path, **kwargs) as response:
            reply = Reply(response.status, await response.read())
            retry_after = response.headers.get("Retry-After", "0.1")
        if reply.status == expect:
            return reply
        if reply.status != 503:
            raise RuntimeError(f"{method} {path}: {reply.status} {reply.body[:300]!r}")
        counts["retries_503"] = counts.get("retries_503", 0) + 1
        await asyncio.sleep(float(retry_after or 0.1))
    raise RuntimeError(f"{method} {path}: still 503 after 100 tries")


async def one_job(client: aiohttp.ClientSession, scenario: str, poll_s: float, counts: dict[str, int]) -> Sample:
    """One job through create, upload (``inspect``), wait and download; seconds per stage."""
    clock = time.perf_counter
    start = clock()
    created = (await call(client, "POST", "/v1/jobs", 201, counts, json=CREATE_BODY[scenario])).json()
    job_id, state = created["id"], created["state"]
    sample: Sample = {"create": clock() - start}
    if scenario == "inspect":
        if state != "WAITING_FOR_DATA":
            raise RuntimeError(f"a new inspect job is {state}, not WAITING_FOR_DATA")
        mark = clock()
        state = (await call(client, "PUT", f"/v1/jobs/{job_id}/inputs/data.csv", 200, counts,
                            data=CSV_1K, headers={"Content-Type": "text/csv"})).json()["state"]
        sample["upload"] = clock() - mark
    mark = clock()
    polls = 0
    wait_header = {"Prefer": "wait=10"} if poll_s == 0 else {}
    wait_path = f"/v1/jobs/{job_id}?until=final" if poll_s == 0 else f"/v1/jobs/{job_id}"
    while state != "COMPLETED":
        if state in FINAL_STATES:
            raise RuntimeError(f"job {job_id} ended {state}")
        if poll_s > 0:
            await asyncio.sleep(poll_s)
        state = (await call(client, "GET", wait_path, 200, counts, headers=wait_header)).json()["state"]
        polls += 1
    sample["wait"] = clock() - mark
    mark = clock()
    results = await call(client, "GET", f"/v1/jobs/{job_id}/results", 200, counts)
    sample["download"] = clock() - mark
    sample["total"] = clock() - start
    sample["polls"] = polls
    if results.body[:2] != b"PK" or EXPECTED_RESULT[scenario].encode() not in results.body:
        raise RuntimeError(f"job {job_id}: the results are not a zip with {EXPECTED_RESULT[scenario]}")
    return sample


async def one_request(client: aiohttp.ClientSession, plan: Plan, counts: dict[str, int]) -> Sample:
    start = time.perf_counter()
    await call(client, "GET", "/healthz" if plan.scenario == "healthz" else f"/v1/jobs/{plan.job_id}", 200, counts)
    return {"total": time.perf_counter() - start}


async def client_loop(plan: Plan, in_flight: int, counter: Synchronized[int]) -> tuple[list[Sample], dict[str, int]]:
    """``in_flight`` closed-loop clients over one keep-alive connection pool; they stop at N in total."""
    samples: list[Sample] = []
    counts: dict[str, int] = {}

    def take() -> bool:
        with counter.get_lock():
            if counter.value >= plan.n:
                return False
            counter.value += 1
            return True

    async def one_client(client: aiohttp.ClientSession) -> None:
        while take():
            if plan.scenario in JOB_SCENARIOS:
                samples.append(await one_job(client, plan.scenario, plan.poll_s, counts))
            else:
                samples.append(await one_request(client, plan, counts))

    connector = aiohttp.TCPConnector(limit=in_flight, keepalive_timeout=60)
    async with aiohttp.ClientSession(base_url=plan.url, connector=connector, cookie_jar=aiohttp.DummyCookieJar(),
                                     timeout=aiohttp.ClientTimeout(total=120)) as client:
        await asyncio.gather(*(one_client(client) for _ in range(in_flight)))
    return samples, counts


def client_process(plan: Plan, in_flight: int, counter: Synchronized[int], barrier: Barrier,
                   out: mp.Queue[dict[str, Any]]) -> None:
    """One client process: waits for the others, runs, reports its span, CPU and samples."""
    barrier.wait()
    began, cpu0 = time.monotonic(), resource.getrusage(resource.RUSAGE_SELF)
    samples, counts = uvloop.run(client_loop(plan, in_flight, counter))  # the server's event loop too
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    out.put({"began": began, "ended": time.monotonic(), "samples": samples, "counts": counts,
             "cpu": (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)})


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent on anything but idling, since boot."""
    times = psutil.cpu_times()  # guest time is already counted in user and nice
    return times.user + times.nice + times.system + getattr(times, "irq", 0.0) + getattr(times, "softirq", 0.0)


def _reference_work(barrier: Barrier, out: mp.Queue[float]) -> None:
    """A fixed piece of pure-Python work, best of three, started together with the other cores'."""
    barrier.wait()
    best = math.inf
    for _ in range(3):
        began, total = time.perf_counter(), 0
        for i in range(300_000):
            total += i * i % 7
        best = min(best, time.perf_counter() - began)
    out.put(best)


def machine_reference_ms() -> float:
    """Milliseconds a fixed piece of pure-Python work takes with every core doing it at once (the slowest).

    This machine's speed drifts: the same code and scenario gave 2 885 and 1 265 healthz requests/s
    fifteen minutes apart, with the CPU per request moving alike. Each scenario's figures carry this
    reference, measured right after it on the idle machine, so rates from different moments can be
    read against the machine's speed at the time (a higher figure: a slower machine). A rough
    indicator: one process alone did not show the drift at all (11.6-12.6 ms while the rates moved
    1.4x), all cores at once show some of it and vary by themselves (13-23 ms in six runs).
    """
    ctx = mp.get_context("spawn")
    cores = os.cpu_count() or 1
    barrier, out = ctx.Barrier(cores), ctx.Queue()
    workers = [ctx.Process(target=_reference_work, args=(barrier, out)) for _ in range(cores)]
    for worker in workers:
        worker.start()
    times = [out.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join()
    return round(max(times) * 1000, 1)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of sorted ``values``."""
    return values[max(0, math.ceil(q / 100 * len(values)) - 1)]


def run_scenario(server: Server, plan: Plan, client_processes: int) -> dict[str, Any]:
    """Runs one plan with its client processes; returns its figures."""
    processes = max(1, min(client_processes, plan.concurrency))
    shares = [plan.concurrency // processes + (i < plan.concurrency % processes) for i in range(processes)]
    ctx = mp.get_context("spawn")
    counter: Synchronized[int] = ctx.Value("q", 0)
    barrier = ctx.Barrier(processes + 1)
    out: mp.Queue[dict[str, Any]] = ctx.Queue()
    workers = [ctx.Process(target=client_process, args=(plan, share, counter, barrier, out)) for share in shares]
    for worker in workers:
        worker.start()
    barrier.wait(timeout=60)
    api0, others0 = server.cpu_seconds()
    busy0 = machine_busy_seconds()
    reports = [out.get(timeout=3600) for _ in workers]
    api1, others1 = server.cpu_seconds()
    busy1 = machine_busy_seconds()
    for worker in workers:
        worker.join()
        if worker.exitcode:
            raise RuntimeError(f"a client process of {plan.scenario} failed (exit code {worker.exitcode})")
    samples = [s for r in reports for s in r["samples"]]
    if len(samples) != plan.n:
        raise RuntimeError(f"{plan.scenario}: {len(samples)} of {plan.n} done")
    elapsed = max(r["ended"] for r in reports) - min(r["began"] for r in reports)
    client_cpu = sum(r["cpu"] for r in reports)
    server_cpu = (api1 - api0) + (others1 - others0)
    figures: dict[str, Any] = {
        "scenario": plan.scenario, "c": plan.concurrency, "n": plan.n, "seconds": round(elapsed, 2),
        "per_s": round(plan.n / elapsed, 1),
        "cpu_ms": {"api": round((api1 - api0) / plan.n * 1000, 2),
                   "workers": round((others1 - others0) / plan.n * 1000, 2),
                   "client": round(client_cpu / plan.n * 1000, 2)},
        # cores busy with anything else on the machine meanwhile (other users' work): noise to know of
        "other_cores": round(max(0.0, (busy1 - busy0) - server_cpu - client_cpu) / elapsed, 2),
        "machine_ref_ms": machine_reference_ms(),
    }
    if server_cpu > 0:
        # what the server alone could do on these cores if the client cost nothing: all cores busy with
        # server work, or the single API process saturated, whichever comes first (an estimate)
        figures["server_bound_per_s"] = round(min((os.cpu_count() or 1) * plan.n / server_cpu,
                                                  plan.n / max(api1 - api0, 1e-9)), 0)
    for stage in STAGES:
        values = sorted(s[stage] for s in samples if stage in s)
        if values:
            figures[stage] = {f"p{q}": round(percentile(values, q) * 1000, 1) for q in (50, 95, 99)}
    if plan.scenario in JOB_SCENARIOS:
        polls = sum(int(s["polls"]) for s in samples)
        figures["polls"] = polls
        figures["polls_per_job"] = round(polls / plan.n, 2)
    retries = sum(r["counts"].get("retries_503", 0) for r in reports)
    if retries:
        figures["retries_503"] = retries
    return figures


# -- pre-filling the store ----------------------------------------------------------------------
def prefill(data_dir: pathlib.Path, count: int, chunk: int = 10_000) -> float:
    """Adds ``count`` COMPLETED jobs, one history row each, straight into the embedded database.

    The jobs are spread over the last 60 days; those finished more than 30 days ago are past their
    retention and already cleaned (``files_removed``), as the sweeper would have left them, so the
    restarted server has no backlog of clean-ups to do. Returns the seconds it took.
    """
    from jobsmith.store import models  # the tables as the server defines them

    jobs, history = models.Job.__table__, models.JobHistory.__table__
    started = time.perf_counter()
    engine = sa.create_engine(f"sqlite:///{(data_dir / 'jobsmith.db').resolve()}")
    rng = random.Random(42)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    try:
        with engine.begin() as connection:
            first_seq = connection.execute(sa.select(sa.func.coalesce(sa.func.max(jobs.c.seq), 0))).scalar_one() + 1
            for offset in range(0, count, chunk):
                job_rows: list[dict[str, Any]] = []
                history_rows: list[dict[str, Any]] = []
                for seq in range(first_seq + offset, first_seq + min(count, offset + chunk)):
                    created = now - dt.timedelta(days=60) + dt.timedelta(seconds=(seq - first_seq) * 60 * 86400 / count)
                    finished = created + dt.timedelta(seconds=rng.uniform(0.05, 30))
                    expires = finished + dt.timedelta(days=30)
                    process = "inspect" if seq % 3 == 0 else "sleep"
                    job_rows.append({
                        "seq": seq, "id": str(uuid.uuid4()), "process": process, "process_version": "1.0.0",
                        "state": "COMPLETED", "previous_state": "PROCESSING", "state_detail": None,
                        "owner": f"user-{seq % 7}", "target": f"dataset-{seq % 500}", "labels": {"bench": "prefill"},
                        "description": None, "metadata": {},
                        "parameters": {} if process == "inspect" else {"seconds": 0.0, "cpu": False},
                        "priority": 0, "attempts": 1, "max_retries": 2, "timeout_s": 3600, "progress": 1.0,
                        "created_at": created, "updated_at": finished, "queued_at": created,
                        "started_at": created, "finished_at": finished, "expires_at": expires,
                        "duration_s": (finished - created).total_seconds(), "lease_token": None,
                        "lease_expires_at": None, "worker_id": None, "files_removed": expires < now,
                    })
                    history_rows.append({"job_seq": seq, "time": finished, "from_state": "PROCESSING",
                                         "to_state": "COMPLETED", "actor": "bench-prefill", "attempt": 1,
                                         "reason": None})
                connection.execute(jobs.insert(), job_rows)
                connection.execute(history.insert(), history_rows)
    finally:
        engine.dispose()
    return time.perf_counter() - started


# -- cluster mode: jobsmith workers behind a broker, and the bare Celery limit on the same broker ---------
BARE_QUEUE = "bench-bare"


class RedisBroker:
    """A private redis-server on a free port (nothing kept on disk): the broker of both measurements."""

    def __init__(self, directory: pathlib.Path) -> None:
        self.port, self.directory = free_port(), directory
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no", "--dir", str(self.directory)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True).stdout != b"PONG\n":
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)


def bare_celery_app(broker_url: str, backend_url: str) -> Any:
    """Celery with its defaults (prefetch 4, early acks, JSON) and one empty task: the engine's limit."""
    from celery import Celery

    app = Celery("bench-bare", broker=broker_url, backend=backend_url, set_as_current=False)
    app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"],
                    task_default_queue=BARE_QUEUE, worker_hijack_root_logger=False, result_expires=600,
                    broker_connection_retry_on_startup=True)
    app.task(name="bench.noop")(noop)
    return app


def noop() -> None:
    """The empty task of the bare Celery measurement."""


def bare_celery_worker(broker_url: str, backend_url: str, concurrency: int) -> None:
    """``--bare-celery-worker``: one Celery worker (prefork) for the empty task, like a jobsmith worker's."""
    app = bare_celery_app(broker_url, backend_url)
    worker = app.Worker(concurrency=concurrency, pool="prefork", queues=[BARE_QUEUE], loglevel="WARNING", quiet=True,
                        without_gossip=True, without_mingle=True, without_heartbeat=True)
    worker.start()


def bare_celery(broker: RedisBroker, n: int, in_flight: int, workers: int, concurrency: int,
                log_path: pathlib.Path) -> dict[str, Any]:
    """apply_async -> result of an empty task, ``in_flight`` at a time (a sliding window), through
    ``workers`` Celery workers of ``concurrency`` processes each on the same broker: tasks/s."""
    broker_url, backend_url = broker.url(1), broker.url(2)
    command = [sys.executable, str(pathlib.Path(__file__).resolve()), "--bare-celery-worker", broker_url, backend_url,
               str(concurrency)]
    with log_path.open("ab") as log:
        processes = [subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
                     for _ in range(workers)]
    app = bare_celery_app(broker_url, backend_url)
    noop = app.tasks["bench.noop"]
    try:
        for _ in range(3):  # the workers are up when an empty task comes back
            noop.apply_async().get(timeout=60)
        for _ in range(3):  # warm up
            _bare_window(noop, 200, in_flight)
        cpu0, started = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        busy0 = machine_busy_seconds()
        _bare_window(noop, n, in_flight)
        elapsed, busy1 = time.perf_counter() - started, machine_busy_seconds()
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(30)
        app.close()
    client = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    return {"n": n, "in_flight": in_flight, "workers": workers, "concurrency": concurrency,
            "seconds": round(elapsed, 2), "per_s": round(n / elapsed, 1),
            "client_cpu_ms": round(client / n * 1000, 2), "busy_cores": round((busy1 - busy0) / elapsed, 2)}


def _bare_window(task: Any, n: int, in_flight: int) -> None:
    pending: Any = collections.deque()
    sent = 0
    while sent < n or pending:
        while sent < n and len(pending) < in_flight:
            pending.append(task.apply_async())
            sent += 1
        pending.popleft().get(timeout=60)


class ClusterServer(Server):
    """The README's "Running on a cluster" on this machine: a fresh PostgreSQL schema, the broker, a shared
    directory, ``jobsmith migrate``, ``jobsmith serve`` and ``jobsmith worker --concurrency K`` (× workers)."""

    def __init__(self, directory: pathlib.Path, workers: int, concurrency: int, postgres_url: str,
                 broker_url: str) -> None:
        super().__init__(directory / "data", workers, directory / "server.log")
        self.directory, self.concurrency = directory, concurrency
        self.schema = f"bench_{uuid.uuid4().hex[:10]}"
        self.postgres_url = postgres_url
        url = f"{postgres_url}{'&' if '?' in postgres_url else '?'}options=-csearch_path%3D{self.schema}"
        self.env.update({"JOBSMITH_DATABASE_URL": url, "JOBSMITH_EXECUTOR": "celery", "JOBSMITH_BROKER_URL": broker_url,
                         "JOBSMITH_STORAGE": str(directory / "shared")})
        self.worker_processes: list[subprocess.Popen[bytes]] = []
        self.how = (f"jobsmith serve + {workers} x jobsmith worker --concurrency {concurrency} "
                    f"(PostgreSQL, Redis)")

    def _sql(self, statement: str) -> None:
        engine = sa.create_engine(self.postgres_url)
        with engine.begin() as connection:
            connection.execute(sa.text(statement))
        engine.dispose()

    def _jobsmith(self, *arguments: str, log_name: str) -> subprocess.Popen[bytes]:
        with (self.directory / log_name).open("ab") as log:
            return subprocess.Popen([sys.executable, "-m", "jobsmith", *arguments], cwd=self.directory, env=self.env,
                                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def start(self, timeout_s: float = 60.0) -> None:
        self._sql(f"CREATE SCHEMA {self.schema}")
        if self._jobsmith("migrate", log_name="migrate.log").wait(120) != 0:
            raise RuntimeError((self.directory / "migrate.log").read_text())
        self.worker_processes = [self._jobsmith("worker", "--concurrency", str(self.concurrency),
                                                log_name=f"worker{i + 1}.log") for i in range(self.workers)]
        self.process = self._jobsmith("serve", "--port", str(self.port), log_name="server.log")
        deadline = time.monotonic() + timeout_s
        logs = [self.directory / f"worker{i + 1}.log" for i in range(self.workers)]
        while not all("jobsmith worker ready" in p.read_text(errors="replace") for p in logs):
            if time.monotonic() > deadline:
                raise RuntimeError("the workers did not start:\n" + "\n".join(p.read_text()[-2000:] for p in logs))
            time.sleep(0.1)
        while True:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start:\n" + (self.directory / "server.log").read_text()[-3000:])
            time.sleep(0.1)

    def stop(self) -> float:
        started = time.monotonic()
        for process in [*self.worker_processes, *([self.process] if self.process else [])]:
            process.send_signal(signal.SIGTERM)
        for process in [*self.worker_processes, *([self.process] if self.process else [])]:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.worker_processes, self.process = [], None
        self._sql(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
        return time.monotonic() - started

    def cpu_seconds(self) -> tuple[float, float]:
        """CPU seconds so far of the API process, and of every worker process tree."""
        assert self.process is not None
        own = sum(psutil.Process(self.process.pid).cpu_times()[:2])
        return own, sum(tree_cpu_seconds(worker.pid) for worker in self.worker_processes)


def cluster_main(args: argparse.Namespace, n: int) -> None:
    """``--cluster``: the bare Celery limit, then jobsmith in cluster mode on the same broker, and their ratio."""
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="jobsmith-bench-cluster-") as tmp:
        directory = pathlib.Path(tmp)
        broker = RedisBroker(directory / "redis")
        broker.start()
        try:
            in_flight = args.bare_in_flight or max(args.c)

            def bare_round() -> dict[str, Any]:
                print(f"bare Celery: {n * 5} empty tasks, {in_flight} in flight, {args.workers} workers x "
                      f"{args.worker_concurrency}; load average {os.getloadavg()[0]:.2f}", file=sys.stderr)
                figures = bare_celery(broker, n * 5, in_flight, args.workers, args.worker_concurrency,
                                      directory / "bare-celery.log")
                print(f"  bare Celery {figures['per_s']}/s", file=sys.stderr)
                return figures

            bare_runs = [bare_round()]  # before and after jobsmith: the machine's load drifts meanwhile
            server = ClusterServer(directory, args.workers, args.worker_concurrency, args.postgres_url, broker.url(0))
            try:
                server.start()
                print(f"cluster: {server.how} on {server.url}", file=sys.stderr)
                figures = measure(server, n, args.c, args.poll, args.client_processes, args.scenarios, args.repeat)
            finally:
                stop_s = round(server.stop(), 1)
            bare_runs.append(bare_round())
        finally:
            broker.stop()
    bare = {**max(bare_runs, key=lambda b: float(b["per_s"])), "runs": [b["per_s"] for b in bare_runs]}
    print(f"\njobsmith cluster: {server.how}, {os.cpu_count()} cores shared with {args.client_processes} client "
          f"processes; poll {'long-poll' if args.poll == 0 else f'{args.poll * 1000:g} ms'}; load average at start "
          f"{load:.2f}")
    show_round("cluster mode", figures)
    print(f"\nbare Celery on the same broker (apply_async -> result of an empty task, {bare['in_flight']} in flight, "
          f"{bare['workers']} workers x {bare['concurrency']}): {bare['per_s']} tasks/s, the better of "
          f"{' and '.join(str(r) for r in bare['runs'])} (before and after jobsmith; client "
          f"{bare['client_cpu_ms']} ms CPU per task, {bare['busy_cores']} cores busy)")
    ratios = {f"{f['scenario']}@C{f['c']}": round(f["per_s"] / bare["per_s"], 2)
              for f in figures if f["scenario"] in JOB_SCENARIOS}
    print("jobsmith jobs/s as a share of it: " + ", ".join(f"{k} {v:.2f}" for k, v in ratios.items()) + " (goal: 0.5)")
    settings = {"mode": "cluster", "n": n, "c": args.c, "poll_s": args.poll, "client_processes": args.client_processes,
                "workers": args.workers, "worker_concurrency": args.worker_concurrency, "cores": os.cpu_count(),
                "load_average": round(load, 2), "server": server.how, "jobsmith": importlib.metadata.version("jobsmith"),
                "celery": importlib.metadata.version("celery"), "python": platform.python_version(),
                "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    print(json.dumps({"settings": settings, "cluster": figures, "bare_celery": bare, "ratio_to_celery": ratios,
                      "stop_s": stop_s}))


# -- one round, and the report -------------------------------------------------------------------
def finished_job(url: str) -> str:
    """A COMPLETED ``sleep`` job, for the ``get`` scenario."""
    job_id = str(httpx.post(f"{url}/v1/jobs", json=CREATE_BODY["sleep"], timeout=30).json()["id"])
    deadline = time.monotonic() + 60
    while httpx.get(f"{url}/v1/jobs/{job_id}", timeout=30).json()["state"] != "COMPLETED":
        if time.monotonic() > deadline:
            raise RuntimeError("the warm-up job did not complete within 60 s: are the workers running?")
        time.sleep(0.05)
    return job_id


def check_processes(url: str) -> None:
    listed = httpx.get(f"{url}/v1/processes", timeout=30).json()
    ids = {p["id"] for p in (listed if isinstance(listed, list) else listed.get("processes", []))}
    missing = set(JOB_SCENARIOS) - ids
    if missing:
        raise SystemExit(f"the server does not offer {', '.join(sorted(missing))} (it has {', '.join(sorted(ids))})")


def measure(server: Server, n: int, concurrencies: Sequence[int], poll_s: float, client_processes: int,
            scenarios: Sequence[str], repeat: int) -> list[dict[str, Any]]:
    """Every scenario at every concurrency, ``repeat`` times (interleaved, so that a slow spell of the
    machine hits all scenarios alike); each figure is the median run, with every run's rate in ``runs``."""
    check_processes(server.url)
    job_id = finished_job(server.url)
    for scenario in JOB_SCENARIOS:  # warm up: imports, first connections, caches
        run_scenario(server, Plan(server.url, scenario, 20, 4, poll_s), 1)
    figures = []
    for c in concurrencies:
        runs: dict[str, list[dict[str, Any]]] = {scenario: [] for scenario in scenarios}
        for _ in range(repeat):
            for scenario in scenarios:
                runs[scenario].append(run_scenario(server, Plan(server.url, scenario, n, c, poll_s, job_id),
                                                   client_processes))
                print(one_line(runs[scenario][-1]), file=sys.stderr, flush=True)
        for scenario in scenarios:
            ranked = sorted(runs[scenario], key=lambda f: float(f["per_s"]))
            figures.append({**ranked[(len(ranked) - 1) // 2], "runs": [f["per_s"] for f in runs[scenario]]})
    return figures


def stage_cell(figures: dict[str, Any], stage: str, qs: Sequence[int] = (50, 95, 99)) -> str:
    return "/".join(f"{figures[stage][f'p{q}']:.0f}" for q in qs) if stage in figures else "-"


def one_line(f: dict[str, Any]) -> str:
    return (f"  {f['scenario']:<8} C={f['c']:<3} N={f['n']:<5} {f['per_s']:>7}/s  total p50/p95/p99 "
            f"{stage_cell(f, 'total')} ms  polls/job {f.get('polls_per_job', '-')}")


def show_round(title: str, figures: Sequence[dict[str, Any]]) -> None:
    print(f"\n{title}  (milliseconds; per s = jobs/s, or requests/s for healthz and get)")
    head = (f"{'scenario':<8} {'C':>3} {'N':>5} {'per s':>7}  {'create p50/95/99':>16} {'upload p50/95/99':>16} "
            f"{'wait p50/95/99':>15} {'download p50/95/99':>18} {'total p50/95/99':>16} {'polls/job':>9} "
            f"{'cpu ms/job api+workers+client':>30} {'other cores':>11} {'server bound':>12} {'ref ms':>6}")
    print(head)
    print("-" * len(head))
    for f in figures:
        cpu = f["cpu_ms"]
        print(f"{f['scenario']:<8} {f['c']:>3} {f['n']:>5} {f['per_s']:>7}  {stage_cell(f, 'create'):>16} "
              f"{stage_cell(f, 'upload'):>16} {stage_cell(f, 'wait'):>15} {stage_cell(f, 'download'):>18} "
              f"{stage_cell(f, 'total'):>16} {f.get('polls_per_job', '-'):>9} "
              f"{cpu['api']:>9.1f} + {cpu['workers']:>5.1f} + {cpu['client']:>5.1f} {f['other_cores']:>11} "
              f"{f.get('server_bound_per_s', '-'):>12} {f.get('machine_ref_ms', '-'):>6}")


def rate_cell(figures: dict[str, Any]) -> str:
    """The (median) rate, with the range of the runs when there were several."""
    runs = figures.get("runs", [])
    return f"{figures['per_s']}" + (f" ({min(runs)}-{max(runs)})" if len(runs) > 1 else "")


def server_cpu(figures: dict[str, Any]) -> float:
    return float(figures["cpu_ms"]["api"] + figures["cpu_ms"]["workers"])


def show_comparison(empty: Sequence[dict[str, Any]], full: Sequence[dict[str, Any]], prefilled: int) -> dict[str, float]:
    """Both rounds side by side: rates, their ratio, latency, and the server's CPU per job (less noisy
    than the rate on a shared machine: a store that slowed the server down would show here first)."""
    print(f"\nempty store vs. {prefilled} more jobs in the store")
    head = (f"{'scenario':<8} {'C':>3} {'per s empty':>19} {'per s full':>19} {'full/empty':>10}  "
            f"{'total p50/95/99 empty':>21} {'total p50/95/99 full':>20}  {'server cpu ms/job empty':>23} "
            f"{'full':>6}")
    print(head)
    print("-" * len(head))
    ratios: dict[str, float] = {}
    for a, b in zip(empty, full, strict=True):
        ratio = round(b["per_s"] / a["per_s"], 2)
        ratios[f"{a['scenario']}@C{a['c']}"] = ratio
        print(f"{a['scenario']:<8} {a['c']:>3} {rate_cell(a):>19} {rate_cell(b):>19} {ratio:>10.2f}  "
              f"{stage_cell(a, 'total'):>21} {stage_cell(b, 'total'):>20}  {server_cpu(a):>23.1f} "
              f"{server_cpu(b):>6.1f}")
    return ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000, help="jobs (or bare requests) per scenario [1000]")
    parser.add_argument("--c", type=int, nargs="+", default=[16, 1], help="concurrent clients [16 1]")
    parser.add_argument("--poll", type=float, default=0.02,
                        help="seconds between status polls [0.02]; 0: long-poll with 'Prefer: wait=10' and until=final")
    parser.add_argument("--client-processes", type=int, default=2, help="client processes [2]")
    parser.add_argument("--workers", type=int, default=2, help="the server's worker processes [2]")
    parser.add_argument("--prefill", type=int, default=100_000, help="jobs added before the second round [100000]; "
                        "0: one round only")
    parser.add_argument("--scenarios", nargs="+", default=[*BARE_SCENARIOS, *JOB_SCENARIOS],
                        choices=[*BARE_SCENARIOS, *JOB_SCENARIOS])
    parser.add_argument("--repeat", type=int, default=1, help="runs of each scenario; figures are the median run [1]")
    parser.add_argument("--quick", action="store_true", help="N=200: a smoke run")
    parser.add_argument("--keep", type=pathlib.Path, help="use this (new) data directory and keep it")
    parser.add_argument("--cluster", action="store_true",
                        help="cluster mode: --workers x `jobsmith worker`, PostgreSQL and a private redis-server, after "
                             "the bare Celery limit on the same broker (no prefill round)")
    parser.add_argument("--worker-concurrency", type=int, default=1, help="--cluster: processes per worker [1]")
    parser.add_argument("--bare-in-flight", type=int, default=0,
                        help="--cluster: empty Celery tasks in flight [default: the largest --c]")
    parser.add_argument("--postgres-url", default=os.environ.get(
        "JOBSMITH_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
        help="--cluster: the PostgreSQL database to make a fresh schema in")
    parser.add_argument("--bare-celery-worker", nargs=3, metavar=("BROKER", "BACKEND", "CONCURRENCY"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    n = 200 if args.quick else args.n
    if args.bare_celery_worker:
        broker_url, backend_url, concurrency = args.bare_celery_worker
        bare_celery_worker(broker_url, backend_url, int(concurrency))
        return
    if args.cluster:
        cluster_main(args, n)
        return

    with tempfile.TemporaryDirectory(prefix="jobsmith-bench-") as tmp:
        data_dir = args.keep or pathlib.Path(tmp) / "data"
        server = Server(data_dir, args.workers, pathlib.Path(tmp) / "server.log")
        rounds: dict[str, Any] = {}
        try:
            server.start()
            print(f"server: {server.how} on {server.url}, {args.workers} workers, data in {data_dir}; "
                  f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}", file=sys.stderr)
            print("empty store:", file=sys.stderr)
            rounds["empty"] = measure(server, n, args.c, args.poll, args.client_processes, args.scenarios,
                                  args.repeat)
            if args.prefill:
                server.stop()
                rounds["prefill_s"] = round(prefill(data_dir, args.prefill), 1)
                server.start()
                print(f"with {args.prefill} more jobs (inserted in {rounds['prefill_s']} s):", file=sys.stderr)
                rounds["full"] = measure(server, n, args.c, args.poll, args.client_processes, args.scenarios,
                                  args.repeat)
        finally:
            rounds["stop_s"] = round(server.stop(), 1)

    print(f"\njobsmith embedded, {args.workers} workers, {os.cpu_count()} cores shared with "
          f"{args.client_processes} client processes; poll {'long-poll' if args.poll == 0 else f'{args.poll * 1000:g} ms'}")
    show_round("empty store", rounds["empty"])
    if args.prefill:
        show_round(f"with {args.prefill} more jobs in the store (inserted in {rounds['prefill_s']} s)", rounds["full"])
        rounds["ratio"] = show_comparison(rounds["empty"], rounds["full"], args.prefill)
    settings = {"n": n, "c": args.c, "poll_s": args.poll, "client_processes": args.client_processes,
                "workers": args.workers, "prefill": args.prefill, "cores": os.cpu_count(), "server": server.how,
                "jobsmith": importlib.metadata.version("jobsmith"), "python": platform.python_version(),
                "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    print(json.dumps({"settings": settings, **rounds}))


if __name__ == "__main__":
    main()
