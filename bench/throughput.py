#!/usr/bin/env python3
"""End-to-end job throughput of jobsmith in embedded mode (a benchmark, not a test).

It starts ``jobsmith serve`` (SQLite, local storage, 2 workers) on a free 127.0.0.1 port with a
fresh data directory, then runs N jobs through the whole HTTP flow with C concurrent clients:

- ``sleep``   POST /v1/jobs (queued at once), poll GET /v1/jobs/{id} until COMPLETED, GET results zip;
- ``inspect`` POST /v1/jobs, PUT a 1 KB CSV (which queues it), poll until COMPLETED, GET results zip.

Clients run in several processes (each an asyncio loop with keep-alive connections) so that the
client is not the bottleneck; the same client also measures the bare server (GET /healthz, GET of
one job) as its own ceiling. Then it stops the server, adds 100 000 finished jobs to the same
database, starts it again and repeats, to show whether a full store slows it down.

    python bench/throughput.py                # N=1000, C=16 and C=1
    python bench/throughput.py --quick        # N=200
    python bench/throughput.py --poll 0       # clients long-poll (Prefer: wait) instead of polling
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing
import os
import pathlib
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Any

import httpx
import sqlalchemy as sa

CSV_1K = ("id,name,value\n" + "".join(f"{i},item-{i:04d},{i * 1.5:.1f}\n" for i in range(60))).encode()[:1024]
STAGES = ("create", "upload", "wait", "download", "total")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """``jobsmith serve`` in a subprocess on one data directory."""

    def __init__(self, data_dir: pathlib.Path, workers: int) -> None:
        self.data_dir, self.workers, self.port = data_dir, workers, free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {**os.environ, "JOBSMITH_LOG_LEVEL": "warning"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jobsmith", "serve", "--port", str(self.port), "--data-dir", str(self.data_dir),
             "--workers", str(self.workers)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("the server did not start")

    def stop(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


async def one_job(client: httpx.AsyncClient, scenario: str, poll_s: float) -> dict[str, float]:
    """One job through create, upload (inspect only), wait and download; seconds per stage."""
    times: dict[str, float] = {}
    start = time.perf_counter()
    process = "sleep" if scenario == "sleep" else "inspect"
    body: dict[str, Any] = {"process": process, "parameters": {"seconds": 0} if process == "sleep" else {}}
    created = await client.post("/v1/jobs", json=body)
    job_id = created.json()["id"]
    times["create"] = time.perf_counter() - start
    mark = time.perf_counter()
    if scenario == "inspect":
        uploaded = await client.put(f"/v1/jobs/{job_id}/inputs/data.csv", content=CSV_1K)
        assert uploaded.status_code == 200, uploaded.text
    times["upload"] = time.perf_counter() - mark
    mark = time.perf_counter()
    polls = 0
    headers = {"Prefer": "wait=10"} if poll_s == 0 else {}  # poll 0: long-poll instead of sleeping
    while True:
        state = (await client.get(f"/v1/jobs/{job_id}", headers=headers)).json()["state"]
        polls += 1
        if state == "COMPLETED":
            break
        if state in ("FAILED", "CANCELLED", "DELETED"):
            raise RuntimeError(f"job {job_id} ended {state}")
        await asyncio.sleep(poll_s)
    times["wait"] = time.perf_counter() - mark
    mark = time.perf_counter()
    results = await client.get(f"/v1/jobs/{job_id}/results")
    assert results.status_code == 200 and results.content[:2] == b"PK"
    times["download"] = time.perf_counter() - mark
    times["total"] = time.perf_counter() - start
    times["polls"] = polls
    return times


async def _client_loop(url: str, scenario: str, n: int, c: int, poll_s: float) -> list[dict[str, float]]:
    limits = httpx.Limits(max_connections=c, max_keepalive_connections=c)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        gate = asyncio.Semaphore(c)

        async def guarded() -> dict[str, float]:
            async with gate:
                if scenario in ("healthz", "get"):
                    start = time.perf_counter()
                    path = "/healthz" if scenario == "healthz" else f"/v1/jobs/{os.environ['BENCH_JOB']}"
                    response = await client.get(path)
                    assert response.status_code == 200
                    return {"total": time.perf_counter() - start}
                return await one_job(client, scenario, poll_s)

        return list(await asyncio.gather(*[guarded() for _ in range(n)]))


def _client_process(args: tuple[str, str, int, int, float, str, float]) -> tuple[float, float, list[dict[str, float]]]:
    """Waits for a common start time (so process start-up is not measured); returns its own span."""
    url, scenario, n, c, poll_s, job, start_at = args
    os.environ["BENCH_JOB"] = job
    time.sleep(max(0.0, start_at - time.time()))
    began = time.time()
    samples = asyncio.run(_client_loop(url, scenario, n, c, poll_s))
    return began, time.time(), samples


def run_scenario(url: str, scenario: str, n: int, c: int, poll_s: float, processes: int,
                 job: str = "") -> dict[str, Any]:
    """N operations at concurrency C, spread over client processes; jobs/s and per-stage percentiles."""
    processes = max(1, min(processes, c))
    start_at = time.time() + 3.0  # after every client process has started
    shares = [(url, scenario, n // processes + (i < n % processes), max(1, c // processes), poll_s, job, start_at)
              for i in range(processes)]
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        spans = pool.map(_client_process, shares)
    samples = [s for _, _, chunk in spans for s in chunk]
    elapsed = max(end for _, end, _ in spans) - min(begin for begin, _, _ in spans)
    figures: dict[str, Any] = {"scenario": scenario, "n": n, "c": c, "per_s": round(n / elapsed, 1)}
    for stage in STAGES:
        values = sorted(s[stage] for s in samples if stage in s)
        if values:
            figures[stage] = {f"p{q}": round(values[min(len(values) - 1, int(len(values) * q / 100))] * 1000, 1)
                              for q in (50, 95, 99)}
    polls = [s["polls"] for s in samples if "polls" in s]
    if polls:
        figures["polls_per_job"] = round(statistics.mean(polls), 1)
    return figures


def prefill(data_dir: pathlib.Path, count: int) -> None:
    """Add ``count`` COMPLETED jobs (with one history row each) straight into the SQLite database."""
    engine = sa.create_engine(f"sqlite:///{data_dir / 'jobsmith.db'}")
    meta = sa.MetaData()
    jobs = sa.Table("jobs", meta, autoload_with=engine)
    history = sa.Table("job_history", meta, autoload_with=engine)
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    with engine.begin() as connection:
        start_seq = connection.execute(sa.select(sa.func.coalesce(sa.func.max(jobs.c.seq), 0))).scalar_one() + 1
        for offset in range(0, count, 10_000):
            rows = [dict(seq=start_seq + offset + i, id=str(uuid.uuid4()), process="sleep", process_version="1.0.0",
                         state="COMPLETED", previous_state="PROCESSING", state_detail=None, owner="anonymous",
                         target=f"dataset-{i % 100}", labels={}, description=None, metadata={},
                         parameters={"seconds": 0, "cpu": False}, priority=0, attempts=1, max_retries=2,
                         timeout_s=3600, progress=1.0, created_at=now, updated_at=now, queued_at=now,
                         started_at=now, finished_at=now, expires_at=now + dt.timedelta(days=30), duration_s=0.01,
                         lease_token=None, lease_expires_at=None, worker_id=None, files_removed=False)
                    for i in range(min(10_000, count - offset))]
            connection.execute(jobs.insert(), rows)
            connection.execute(history.insert(), [dict(job_seq=r["seq"], time=now, from_state="PROCESSING",
                                                       to_state="COMPLETED", actor="bench", attempt=1, reason=None)
                                                  for r in rows])
    engine.dispose()


def measure(server: Server, n: int, concurrencies: list[int], poll_s: float, processes: int) -> list[dict[str, Any]]:
    job = httpx.post(f"{server.url}/v1/jobs", json={"process": "sleep", "parameters": {"seconds": 0}}).json()["id"]
    figures = []
    for c in concurrencies:
        figures.append(run_scenario(server.url, "healthz", n * 2, c, poll_s, processes))
        figures.append(run_scenario(server.url, "get", n * 2, c, poll_s, processes, job))
        for scenario in ("sleep", "inspect"):
            figures.append(run_scenario(server.url, scenario, n if c > 1 else max(50, n // 5), c, poll_s, processes))
    return figures


def show(label: str, figures: list[dict[str, Any]]) -> None:
    print(f"\n{label}")
    print(f"{'scenario':<9} {'C':>3} {'N':>6} {'per s':>8}  {'create p50/p95':>15} {'upload p50':>10} "
          f"{'wait p50/p95':>14} {'download p50':>12} {'total p50/p95/p99':>20} {'polls':>6}")
    for f in figures:
        def cell(stage: str, keys: tuple[str, ...]) -> str:
            return "/".join(f"{f[stage][k]:.0f}" for k in keys) if stage in f else "-"
        print(f"{f['scenario']:<9} {f['c']:>3} {f['n']:>6} {f['per_s']:>8}  {cell('create', ('p50', 'p95')):>15} "
              f"{cell('upload', ('p50',)):>10} {cell('wait', ('p50', 'p95')):>14} {cell('download', ('p50',)):>12} "
              f"{cell('total', ('p50', 'p95', 'p99')):>20} {f.get('polls_per_job', '-'):>6}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000, help="jobs per scenario")
    parser.add_argument("--c", type=int, nargs="+", default=[16, 1], help="concurrent clients")
    parser.add_argument("--poll", type=float, default=0.02,
                        help="seconds between status polls; 0 long-polls with 'Prefer: wait=10' instead")
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--prefill", type=int, default=100_000, help="finished jobs added before the second round")
    parser.add_argument("--quick", action="store_true", help="N=200, for a smoke run")
    args = parser.parse_args()
    n = 200 if args.quick else args.n
    with tempfile.TemporaryDirectory(prefix="jobsmith-bench-") as tmp:
        server = Server(pathlib.Path(tmp) / "data", args.workers)
        server.start()
        empty = measure(server, n, args.c, args.poll, args.client_processes)
        server.stop()
        started = time.perf_counter()
        prefill(server.data_dir, args.prefill)
        fill_s = time.perf_counter() - started
        server.start()
        full = measure(server, n, args.c, args.poll, args.client_processes)
        server.stop()
    show("empty store", empty)
    show(f"store with {args.prefill} more jobs (added in {fill_s:.1f} s)", full)
    ratios = {f"{a['scenario']}@C{a['c']}": round(b["per_s"] / a["per_s"], 2) for a, b in zip(empty, full)}
    print("\nfull/empty ratio:", ratios)
    print(json.dumps({"empty": empty, "full": full, "ratio": ratios}))


if __name__ == "__main__":
    main()
