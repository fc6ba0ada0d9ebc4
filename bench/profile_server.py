#!/usr/bin/env python3
"""Where a jobsmith server spends its time per job: SQL statements and py-spy samples, per process.

A profiling aid for ``bench/throughput.py`` (whose server, client and pre-fill it reuses), not a
benchmark: the instrumentation slows the server down, so its rates are not figures to quote.

It starts the server with ``bench/_hooks`` on ``PYTHONPATH`` (counts every SQL statement, its time
in the driver and every commit, in the API process and in each worker), warms up, takes a snapshot,
runs N jobs of one scenario at concurrency C while ``py-spy record --subprocesses`` samples the
server's process tree, takes a second snapshot and prints, per job:

- statements and commits of the API process and of the workers, the most frequent ones first;
- CPU of each process kind (API, workers, job hosts) and the functions the samples were in.

    /work/venv/bin/python bench/profile_server.py --scenario sleep --n 400 --c 16
    /work/venv/bin/python bench/profile_server.py --scenario inspect --n 400 --c 16 --prefill 100000
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any

import psutil

import throughput as tp

HOOKS = pathlib.Path(__file__).resolve().parent / "_hooks"
PY_SPY = pathlib.Path(sys.executable).parent / "py-spy"


def server_tree(server: tp.Server) -> dict[int, str]:
    """pid -> kind (api, worker, host, other) for the server and its descendants."""
    assert server.process is not None
    api = psutil.Process(server.process.pid)
    kinds = {api.pid: "api"}
    for child in api.children(recursive=True):
        try:
            cmdline = " ".join(child.cmdline())
            parent = child.ppid()
        except psutil.NoSuchProcess:
            continue
        if "resource_tracker" in cmdline:
            kinds[child.pid] = "other"
        elif parent == api.pid:
            kinds[child.pid] = "worker"
        else:
            kinds[child.pid] = "host"
    return kinds


def snapshot(server: tp.Server, directory: pathlib.Path) -> dict[str, dict[str, Any]]:
    """SIGUSR1 to the API and the workers; their running SQL totals by kind."""
    kinds = server_tree(server)
    targets = {pid: kind for pid, kind in kinds.items() if kind in ("api", "worker")}
    for pid in targets:
        (directory / f"{pid}.json").unlink(missing_ok=True)
        os.kill(pid, signal.SIGUSR1)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not all((directory / f"{pid}.json").exists() for pid in targets):
        time.sleep(0.05)
    totals: dict[str, dict[str, Any]] = {k: {"counts": collections.Counter(), "seconds": collections.Counter()}
                                         for k in ("api", "worker")}
    for pid, kind in targets.items():
        data = json.loads((directory / f"{pid}.json").read_text())
        totals[kind]["counts"].update(data["counts"])
        totals[kind]["seconds"].update(data["seconds"])
    return totals


def cpu_by_kind(server: tp.Server) -> dict[str, float]:
    """CPU seconds so far per kind (hosts that ended are in their worker's children times)."""
    totals: dict[str, float] = collections.defaultdict(float)
    for pid, kind in server_tree(server).items():
        try:
            t = psutil.Process(pid).cpu_times()
        except psutil.NoSuchProcess:
            continue
        totals[kind] += t.user + t.system
        if kind == "worker":
            totals["host"] += t.children_user + t.children_system
    return dict(totals)


def short(statement: str, width: int = 150) -> str:
    statement = re.sub(r"SELECT (.{60}).*? FROM", r"SELECT \1... FROM", statement)
    return statement if len(statement) <= width else statement[:width - 3] + "..."


def report_sql(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]], n: int, top: int) -> None:
    for kind in ("api", "worker"):
        counts = after[kind]["counts"] - before[kind]["counts"]
        seconds = after[kind]["seconds"] - before[kind]["seconds"]
        statements = sum(v for k, v in counts.items() if k != "<COMMIT>")
        print(f"\n{kind}: {statements / n:.1f} statements and {counts['<COMMIT>'] / n:.1f} commits per job, "
              f"{sum(seconds.values()) / n * 1000:.2f} ms in the driver per job")
        for statement, count in counts.most_common(top):
            if statement != "<COMMIT>":
                print(f"  {count / n:6.2f}/job {seconds[statement] / count * 1000:6.2f} ms  {short(statement)}")


IDLE_LEAVES = ("threading.py:Condition.wait", "multiprocessing/connection.py:Connection._recv",
               "selectors.py:_PollLikeSelector.select", "jobsmith/execution/local.py:_wait",
               "threading.py:Event.wait", "queue.py:Queue.get")


def parse_raw(path: pathlib.Path, kinds: dict[int, str]) -> dict[str, collections.Counter[str]]:
    """py-spy's raw (collapsed) stacks -> per kind: samples per leaf function and per frame anywhere.

    Threads blocked in a wait py-spy did not recognise as idle (the thread pool's idle threads,
    the pump reading the workers' pipe, a worker waiting for work) are left out.
    ``asyncio/runners.py:Runner.run`` as a leaf is uvloop's own C code: the event loop, the HTTP
    parser, or waiting in epoll; py-spy cannot tell these apart.
    """
    leaf: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    anywhere: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    by_package: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        frames = stack.split(";")
        pids = [int(m.group(1)) for f in frames if (m := re.match(r"process (\d+)", f))]
        kind = kinds.get(pids[-1], "host") if pids else "?"
        code = [_frame(f) for f in frames if not f.startswith(("process ", "thread "))]
        if not code or code[-1] in IDLE_LEAVES:
            continue
        count = int(count_text)
        leaf[kind][code[-1]] += count
        leaf[kind]["<all>"] += count
        by_package[kind][_package(code[-1])] += count
        for frame in set(code):
            anywhere[kind][frame] += count
    return {**{f"{k} self": v for k, v in leaf.items()}, **{f"{k} inclusive": v for k, v in anywhere.items()},
            **{f"{k} package": v for k, v in by_package.items()}}


def _package(frame: str) -> str:
    """The library a frame's code belongs to: a site-packages distribution, jobsmith's subpackage, or stdlib."""
    module = frame.partition(":")[0]
    if module.startswith("jobsmith/"):
        return "/".join(module.split("/")[:2])
    if module.startswith("asyncio/runners.py"):
        return "uvloop (C: event loop, HTTP parsing, or waiting)"
    head = module.split("/")[0]
    known = {"engine": "sqlalchemy", "sql": "sqlalchemy", "orm": "sqlalchemy", "pool": "sqlalchemy",
             "util": "sqlalchemy", "event": "sqlalchemy", "dialects": "sqlalchemy", "http": "uvicorn",
             "protocols": "uvicorn", "middleware": "starlette", "dependencies": "fastapi", "_backends": "anyio",
             "_core": "anyio", "telemetry": "fastapi"}
    if "/" in module:
        return known.get(head, head)
    return "stdlib"


def _frame(frame: str) -> str:
    """``fn (path/to/module.py:12)`` -> ``module.py:fn``, with the package for site-packages."""
    match = re.match(r"(.*) \((.*?):\d+\)$", frame)
    if not match:
        return frame
    function, path = match.groups()
    parts = pathlib.Path(path).parts
    if "site-packages" in parts:
        parts = parts[parts.index("site-packages") + 1:]
    elif "jobsmith" in parts:
        parts = parts[parts.index("jobsmith"):]
    else:
        parts = parts[-2:]
    return f"{'/'.join(parts)}:{function}"


def report_samples(samples: dict[str, collections.Counter[str]], top: int) -> None:
    for kind in ("api", "worker", "host"):
        total = samples.get(f"{kind} self", collections.Counter())["<all>"]
        if not total:
            continue
        print(f"\n{kind}: {total} samples on CPU")
        for title in ("package", "self", "inclusive"):
            print(f"  {title}:")
            for frame, count in samples[f"{kind} {title}"].most_common(top + 1):
                if frame != "<all>":
                    print(f"    {count / total * 100:5.1f}%  {frame}")


async def request_costs(server: tp.Server, n: int) -> list[tuple[str, float, float]]:
    """API-process CPU and wall time per request, one request type at a time, one client, in sequence.

    Returns ``(request, API CPU ms, wall ms)`` per type; the worker processes' CPU is not included.
    """
    assert server.process is not None
    api = psutil.Process(server.process.pid)

    def cpu() -> float:
        t = api.cpu_times()
        return t.user + t.system

    done = tp.finished_job(server.url)
    rows: list[tuple[str, float, float]] = []
    async with tp.httpx.AsyncClient(base_url=server.url, timeout=60) as client:
        waiting: list[str] = []

        async def healthz(_: int) -> None:
            await client.get("/healthz")

        async def get(_: int) -> None:
            await client.get(f"/v1/jobs/{done}")

        async def results(_: int) -> None:
            await client.get(f"/v1/jobs/{done}/results")

        async def create_sleep(_: int) -> None:
            await client.post("/v1/jobs", json=tp.CREATE_BODY["sleep"])

        async def create_inspect(_: int) -> None:
            waiting.append((await client.post("/v1/jobs", json=tp.CREATE_BODY["inspect"])).json()["id"])

        async def upload(i: int) -> None:
            await client.put(f"/v1/jobs/{waiting[i]}/inputs/data.csv", content=tp.CSV_1K)

        for name, action in (("GET /healthz", healthz), ("GET /v1/jobs/{id}", get),
                             ("GET /v1/jobs/{id}/results (zip built)", results),
                             ("POST /v1/jobs (sleep, queued)", create_sleep),
                             ("POST /v1/jobs (inspect, waiting)", create_inspect),
                             ("PUT /v1/jobs/{id}/inputs/data.csv (1 KB, queues)", upload)):
            await asyncio.sleep(1.0)  # let the workers finish what the previous type queued
            before, started = cpu(), time.perf_counter()
            for i in range(n):
                await action(i)
            rows.append((name, (cpu() - before) / n * 1000, (time.perf_counter() - started) / n * 1000))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", choices=tp.JOB_SCENARIOS + tp.BARE_SCENARIOS, default="sleep")
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--c", type=int, default=16)
    parser.add_argument("--poll", type=float, default=0.02)
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--prefill", type=int, default=0)
    parser.add_argument("--no-py-spy", action="store_true", help="count SQL only")
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--gil", action="store_true", help="py-spy samples only the thread holding the GIL")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--costs", action="store_true",
                        help="instead: API CPU per request type, one request at a time")
    parser.add_argument("--spy-out", type=pathlib.Path, help="keep py-spy's raw stacks in this file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="jobsmith-profile-") as tmp_name:
        tmp = pathlib.Path(tmp_name)
        counts_dir = tmp / "sql"
        counts_dir.mkdir()
        env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(HOOKS), os.environ.get("PYTHONPATH")])),
               "BENCH_SQLCOUNT_DIR": str(counts_dir)}
        server = tp.Server(tmp / "data", args.workers, tmp / "server.log", env)
        try:
            server.start()
            if args.prefill:
                server.stop()
                print(f"pre-filled {args.prefill} jobs in {tp.prefill(server.data_dir, args.prefill):.1f} s")
                server.start()
            tp.check_processes(server.url)
            if args.costs:
                asyncio.run(request_costs(server, 20))  # warm up
                for name, cpu_ms, wall_ms in asyncio.run(request_costs(server, args.n)):
                    print(f"{name:<50} API CPU {cpu_ms:5.2f} ms   wall {wall_ms:5.2f} ms")
                return
            job_id = tp.finished_job(server.url)
            tp.run_scenario(server, tp.Plan(server.url, args.scenario, 40, 4, args.poll, job_id), 1)
            before, cpu0 = snapshot(server, counts_dir), cpu_by_kind(server)
            kinds = server_tree(server)
            spy: subprocess.Popen[bytes] | None = None
            if not args.no_py_spy:
                assert server.process is not None
                spy = subprocess.Popen([str(PY_SPY), "record", "--pid", str(server.process.pid), "--subprocesses",
                                        "--format", "raw", "--rate", str(args.rate), "-o", str(tmp / "spy.txt"),
                                        *(["--gil"] if args.gil else [])],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(1.0)
            figures = tp.run_scenario(server, tp.Plan(server.url, args.scenario, args.n, args.c, args.poll, job_id),
                                      args.client_processes)
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                spy.wait(60)
            after, cpu1 = snapshot(server, counts_dir), cpu_by_kind(server)
            kinds.update(server_tree(server))
        finally:
            server.stop()
        print(tp.one_line(figures), "(instrumented: not a figure to quote)")
        print("CPU ms per job: " + ", ".join(f"{k} {(cpu1.get(k, 0) - cpu0.get(k, 0)) / args.n * 1000:.1f}"
                                            for k in ("api", "worker", "host")))
        if args.scenario in tp.JOB_SCENARIOS:
            report_sql(before, after, args.n, args.top)
        if spy is not None and args.spy_out:
            shutil.copy(tmp / "spy.txt", args.spy_out)
        if spy is not None and (tmp / "spy.txt").exists():
            report_samples(parse_raw(tmp / "spy.txt", kinds), args.top)


if __name__ == "__main__":
    main()
