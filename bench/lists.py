#!/usr/bin/env python3
"""The first page of the job list with 100 000 jobs stored, for every combination of filters, on
SQLite and on PostgreSQL. A benchmark: it prints figures, asserts none.

What it measures
    A fresh database (a SQLite file in a temporary directory; a new PostgreSQL database
    ``jsm_bench_lists`` on ``--pg-url``) migrated to head, filled with ``--jobs`` jobs as a busy
    service holds them: 20 owners, 8 processes (two of them rare), 2 000 targets, states mostly final
    with a few hundred active, labels ``team`` (5 values) and ``batch`` (1 000 values), created over
    90 days, each job with two steps, one input and three results. Then ``jobsmith serve`` (no
    workers) is started on that database and, for each of the 256 combinations of the seven filters
    of ``GET /v1/jobs`` (state, process, target, owner, label, active, time range), the first page
    (``limit`` 100, the default) is asked ``--repeat`` times over HTTP on a kept-alive connection.
    Filter values are chosen so that each filter is selective (a rare state, a rare process, one
    target, one owner, one batch label, active only, a ten-day window a month ago), the worst case
    for a list ordered newest first, where an index that does not serve the filter means walking the
    table; and ``since``, created in the last 89 days (nearly every job), the window no index narrows.
    256 combinations: the time range counts twice.

    PostgreSQL gets ``ANALYZE`` after the fill, as autovacuum would give it soon after; the SQLite file
    has no statistics, as a new embedded server's has none.

    Printed per backend: the slowest combinations (median and maximum milliseconds, rows returned),
    the share of combinations whose median is under the goal (50 ms), and the query plans of the
    three slowest combinations as the database explains it. The last line is JSON with every figure.

How
    .venv/bin/python bench/lists.py                      # both backends, 100 000 jobs
    .venv/bin/python bench/lists.py --backends sqlite --jobs 20000 --repeat 3
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import itertools
import json
import os
import pathlib
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import sqlalchemy as sa

from jobsmith.domain import queries, states
from jobsmith.store import migrate, models, repository
from jobsmith.store.database import Database

GOAL_MS = 50.0
FILTERS = ("state", "process", "target", "owner", "label", "active", "time", "since")
PROCESSES = [("profile", 30), ("inspect", 30), ("sleep", 20), ("echo", 10), ("tables", 5), ("visuals", 3),
             ("audit", 1), ("rebuild", 1)]
STATES = [("COMPLETED", 850), ("FAILED", 80), ("CANCELLED", 30), ("DELETED", 10), ("QUEUED", 15),
          ("PROCESSING", 5), ("WAITING_FOR_DATA", 10)]


def _weighted(rng: random.Random, table: list[tuple[str, int]]) -> str:
    return rng.choices([name for name, _ in table], weights=[weight for _, weight in table])[0]


def fill(engine: sa.Engine, count: int, seed: int = 7, chunk: int = 5_000) -> float:
    """Insert ``count`` jobs with their history, steps, inputs and results; returns seconds taken."""
    jobs, history = models.Job.__table__, models.JobHistory.__table__
    steps, inputs, results = models.JobStep.__table__, models.JobInput.__table__, models.JobResult.__table__
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    started = time.perf_counter()
    with engine.begin() as connection:
        for offset in range(0, count, chunk):
            rows: dict[str, list[dict[str, Any]]] = {"jobs": [], "history": [], "steps": [], "inputs": [],
                                                     "results": []}
            for seq in range(offset + 1, min(count, offset + chunk) + 1):
                rows_of_job(rng, seq, count, now, rows)
            connection.execute(jobs.insert(), rows["jobs"])
            connection.execute(history.insert(), rows["history"])
            connection.execute(steps.insert(), rows["steps"])
            connection.execute(inputs.insert(), rows["inputs"])
            connection.execute(results.insert(), rows["results"])
    return time.perf_counter() - started


def rows_of_job(rng: random.Random, seq: int, count: int, now: dt.datetime,
                rows: dict[str, list[dict[str, Any]]]) -> None:
    """One job's rows, appended to ``rows``: created evenly over the last 90 days, oldest first."""
    created = now - dt.timedelta(days=90) + dt.timedelta(seconds=seq * 90 * 86400 / count)
    state = _weighted(rng, STATES)
    final = states.Status(state).is_terminal()
    running = state == "PROCESSING"
    finished = created + dt.timedelta(seconds=rng.uniform(0.1, 60)) if final else None
    labels = {"team": f"team-{rng.randrange(5)}", "batch": f"batch-{rng.randrange(1000)}"} if rng.random() < 0.7 else {}
    rows["jobs"].append({
        "seq": seq, "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "process": _weighted(rng, PROCESSES), "process_version": "1.0.0", "state": state,
        "previous_state": None, "state_detail": "failed: bench" if state == "FAILED" else None,
        "owner": f"user-{rng.randrange(20)}", "target": f"dataset-{rng.randrange(10) if rng.random() < 0.3 else rng.randrange(2000)}",
        "exclusive_target": None, "labels": labels, "description": None, "metadata": {"source": "bench"},
        "parameters": {}, "priority": 0, "attempts": 1 if final else 0, "max_retries": 2, "timeout_s": 3600,
        "progress": 1.0 if state == "COMPLETED" else None, "created_at": created, "updated_at": finished or created,
        "queued_at": created, "started_at": created if final else None, "finished_at": finished,
        "expires_at": finished + dt.timedelta(days=30) if finished else None,
        "duration_s": (finished - created).total_seconds() if finished else None,
        "lease_token": str(uuid.uuid4()) if running else None,
        "lease_expires_at": now + dt.timedelta(days=1) if running else None, "worker_id": None, "files_removed": state == "DELETED",
    })
    rows["history"].append({"job_seq": seq, "time": finished or created, "from_state": None, "to_state": state,
                            "actor": "bench", "attempt": 1, "reason": None})
    for position, name in enumerate(("read", "analyse")):
        rows["steps"].append({"job_seq": seq, "position": position, "name": name, "state": "success",
                              "started_at": created, "ended_at": finished, "message": None})
    rows["inputs"].append({"job_seq": seq, "name": "data.csv", "input": "data", "size": 1024, "sha256": "0" * 64,
                           "media_type": "text/csv", "uploaded_at": created})
    for path in ("edp.json", "report.pdf", "alerts.json"):
        rows["results"].append({"job_seq": seq, "path": path, "size": 2048, "sha256": "1" * 64,
                                "media_type": "application/json"})


def probe_values(engine: sa.Engine) -> dict[str, Any]:
    """Selective values that exist: a rare state and process, one busy owner, one mid-sized target,
    one batch label, a ten-day window a month ago."""
    jobs = models.Job.__table__
    with engine.connect() as connection:
        target = connection.execute(
            sa.select(jobs.c.target).group_by(jobs.c.target).having(sa.func.count() > 20)
            .order_by(sa.func.count()).limit(1)).scalar_one()
    now = dt.datetime.now(dt.UTC)
    return {"state": "FAILED", "process": "audit", "target": target, "owner": "user-3", "label": "batch:batch-17",
            "active": "true", "created_after": (now - dt.timedelta(days=40)).isoformat().replace("+00:00", "Z"),
            "created_before": (now - dt.timedelta(days=30)).isoformat().replace("+00:00", "Z"),
            "since": (now - dt.timedelta(days=89)).isoformat().replace("+00:00", "Z")}


def query_params(combination: tuple[str, ...], values: dict[str, Any]) -> dict[str, str]:
    params: dict[str, str] = {}
    for name in combination:
        if name == "time":
            params["created_after"], params["created_before"] = values["created_after"], values["created_before"]
        elif name == "since":  # nearly every job: the window that no index narrows
            params["created_after"] = values["since"]
        else:
            params[name] = values[name]
    return params


def job_query(params: dict[str, str]) -> queries.JobQuery:
    """The store's view of the same filters, for EXPLAIN."""
    def when(key: str) -> dt.datetime | None:
        return dt.datetime.fromisoformat(params[key]) if key in params else None
    label = tuple(params["label"].split(":", 1)) if "label" in params else None
    return queries.JobQuery(
        owner=params.get("owner"), states=[states.Status(params["state"])] if "state" in params else (),
        processes=[params["process"]] if "process" in params else (),
        targets=[params["target"]] if "target" in params else (),
        labels=[label] if label else (), active=True if "active" in params else None,  # type: ignore[list-item]
        created_after=when("created_after"), created_before=when("created_before"))


def explain(database: Database, params: dict[str, str]) -> str:
    engine = database.engine
    statement = repository.Repository(database).page_statement(job_query(params), limit=100)
    compiled = statement.compile(engine, compile_kwargs={"literal_binds": True})
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(prefix + str(compiled)).fetchall()
    return "\n".join(" ".join(str(cell) for cell in row[-1:]) if engine.dialect.name == "sqlite" else str(row[0])
                     for row in rows)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def server(database_url: str, data_dir: pathlib.Path) -> Iterator[str]:
    """``jobsmith serve`` with no workers on ``database_url``; yields its base URL."""
    port = free_port()
    env = {**os.environ, "JOBSMITH_DATABASE_URL": database_url, "JOBSMITH_DATA_DIR": str(data_dir),
           "JOBSMITH_WORKERS": "0"}
    process = subprocess.Popen([sys.executable, "-m", "jobsmith", "serve", "--host", "127.0.0.1", "--port", str(port)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            time.sleep(0.2)
        else:
            raise RuntimeError("the server did not become ready in 60 s")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def measure(base: str, values: dict[str, Any], repeat: int) -> list[dict[str, Any]]:
    figures = []
    with httpx.Client(base_url=base, timeout=30) as client:
        client.get("/v1/jobs")  # warm: connection, caches
        for size in range(len(FILTERS) + 1):
            for combination in itertools.combinations(FILTERS, size):
                params = query_params(combination, values)
                times, rows = [], 0
                for _ in range(repeat):
                    started = time.perf_counter()
                    response = client.get("/v1/jobs", params=params)
                    times.append((time.perf_counter() - started) * 1000)
                    response.raise_for_status()
                    rows = len(response.json()["results"])
                figures.append({"filters": "+".join(combination) or "(none)", "params": params,
                                "median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1),
                                "rows": rows})
    return figures


def run_backend(name: str, pg_url: str, jobs: int, repeat: int, work: pathlib.Path) -> dict[str, Any]:
    if name == "sqlite":
        url = f"sqlite:///{work / 'lists.db'}"
    else:
        admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql("DROP DATABASE IF EXISTS jsm_bench_lists WITH (FORCE)")
            connection.exec_driver_sql("CREATE DATABASE jsm_bench_lists")
        admin.dispose()
        url = str(sa.make_url(pg_url).set(database="jsm_bench_lists").render_as_string(hide_password=False))
    database = Database(url)
    try:
        migrate.upgrade(database.engine)
        fill_s = fill(database.engine, jobs)
        if name == "postgresql":  # as autovacuum would soon after; a new SQLite file has no statistics
            with database.engine.begin() as connection:
                connection.exec_driver_sql("ANALYZE")
        values = probe_values(database.engine)
        with server(url, work / f"data-{name}") as base:
            figures = measure(base, values, repeat)
        worst = sorted(figures, key=lambda f: -f["median_ms"])[:10]
        plans = {f["filters"]: explain(database, f["params"]) for f in worst[:3]}
    finally:
        database.dispose()
    under = sum(1 for f in figures if f["median_ms"] < GOAL_MS)
    return {"backend": name, "jobs": jobs, "fill_s": round(fill_s, 1), "combinations": len(figures),
            "under_goal": under, "worst": worst,
            "median_of_medians_ms": round(statistics.median(f["median_ms"] for f in figures), 1),
            "plans": plans}


def report(result: dict[str, Any]) -> None:
    print(f"\n== {result['backend']}: {result['jobs']} jobs (filled in {result['fill_s']} s); "
          f"{result['under_goal']}/{result['combinations']} combinations under {GOAL_MS:.0f} ms "
          f"(median of medians {result['median_of_medians_ms']} ms)")
    print(f"{'filters':<52} {'median':>7} {'max':>7} {'rows':>5}")
    for figure in result["worst"]:
        print(f"{figure['filters']:<52} {figure['median_ms']:>7} {figure['max_ms']:>7} {figure['rows']:>5}")
    for filters, plan in result["plans"].items():
        print(f"plan of {filters}:\n  " + plan.replace("\n", "\n  "))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5, help="requests per combination [5]")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="jsm-lists-") as work:
        for name in args.backends:
            result = run_backend(name, args.pg_url, args.jobs, args.repeat, pathlib.Path(work))
            report(result)
            results.append(result)
    print(json.dumps({"goal_ms": GOAL_MS, "results": [
        {k: v for k, v in r.items() if k != "plans"} for r in results]}))


if __name__ == "__main__":
    main()
