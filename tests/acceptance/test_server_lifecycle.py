"""A real server process: kill -9 and restart, SIGTERM drain, many concurrent polls while busy."""

from __future__ import annotations

import concurrent.futures
import json
import pathlib
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import psutil
import pytest

from tests.support import waiting
from tests.support.server import ServerProcess

pytestmark = pytest.mark.slow
FAST = {"JOBSMITH_LEASE_S": "3", "JOBSMITH_SWEEP_INTERVAL_S": "0.5", "JOBSMITH_SHUTDOWN_GRACE_S": "2",
        "JOBSMITH_SUPERVISE_INTERVAL_S": "0.1"}


@pytest.fixture
def server(tmp_path: pathlib.Path) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path / "data", env=FAST)
    process.start()
    yield process
    process.stop()


def submit(client: httpx.Client, process: str, **parameters: object) -> str:
    response = client.post("/v1/jobs", json={"process": process, "parameters": parameters})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def test_kill_9_mid_job_then_restart_retries_running_and_runs_queued(server: ServerProcess) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        client.put("/v1/maintenance", json={"paused": False})
        running = [submit(client, "test-ignore-cancel", seconds=3) for _ in range(2)]
        waiting.until(lambda: all(client.get(f"/v1/jobs/{j}").json()["state"] == "PROCESSING" for j in running),
                      what="both jobs to run")
        queued = [submit(client, "test-retryable") for _ in range(3)]
        assert server.process is not None
        children = descendants(server.process.pid)
    server.kill9()
    waiting.until(lambda: not any(c.is_running() and c.status() != psutil.STATUS_ZOMBIE for c in children),
                  timeout=10, what="workers and jobs to die with the server")
    server.start()
    with httpx.Client(base_url=server.url, timeout=10) as client:
        for job_id in running:
            done = waiting.final(client, job_id, timeout=40)
            assert done["state"] == "COMPLETED", done
            assert done["attempts"] == 2
            reasons = [h["reason"] or "" for h in client.get(f"/v1/jobs/{job_id}/history").json()]
            assert any("worker lost during attempt 1; retrying" in r for r in reasons)
        for job_id in queued:
            assert waiting.final(client, job_id, timeout=40)["state"] == "COMPLETED"
        stuck = client.get("/v1/jobs", params={"state": "PROCESSING,CANCELLATION_REQUESTED"}).json()["results"]
        assert stuck == []


def test_sigterm_drains_and_requeues_without_spending_an_attempt(server: ServerProcess) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        long_job = submit(client, "test-ignore-cancel", seconds=30)
        short_job = submit(client, "test-ignore-cancel", seconds=1)
        waiting.until(lambda: client.get(f"/v1/jobs/{long_job}").json()["state"] == "PROCESSING",
                      what="the long job to run")
        waiting.until(lambda: client.get(f"/v1/jobs/{short_job}").json()["state"] == "PROCESSING",
                      what="the short job to run")
    started = time.monotonic()
    assert server.stop() in (0, -15)  # uvicorn re-raises the signal after a clean shutdown
    assert time.monotonic() - started < 30
    assert "Application shutdown complete" in server.log()
    server.start()
    with httpx.Client(base_url=server.url, timeout=10) as client:
        assert waiting.final(client, short_job, timeout=30)["attempts"] == 1  # finished within the grace period
        view = client.get(f"/v1/jobs/{long_job}").json()
        history = client.get(f"/v1/jobs/{long_job}/history").json()
        assert any(h["to"] == "QUEUED" and "without spending an attempt" in (h["reason"] or "") for h in history)
        assert view["attempts"] <= 1  # re-claimed after restart: attempt 1 again
        client.post(f"/v1/jobs/{long_job}/cancel")
        assert waiting.final(client, long_job, timeout=20)["state"] == "CANCELLED"


def test_200_concurrent_polls_answer_promptly_while_both_cores_run_jobs(server: ServerProcess) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        busy = [submit(client, "sleep", seconds=20, cpu=True) for _ in range(2)]
        waiting.until(lambda: all(client.get(f"/v1/jobs/{j}").json()["state"] == "PROCESSING" for j in busy),
                      what="CPU jobs to run")

    def poll(index: int) -> tuple[int, float]:
        with httpx.Client(base_url=server.url, timeout=10) as own:
            started = time.monotonic()
            status = own.get(f"/v1/jobs/{busy[index % 2]}").status_code
            return status, time.monotonic() - started

    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(poll, range(200)))
    assert all(status == 200 for status, _ in answers)
    slowest = max(duration for _, duration in answers)
    assert slowest < 5, f"slowest poll took {slowest:.2f} s"
    with httpx.Client(base_url=server.url, timeout=10) as client:
        for job_id in busy:
            client.post(f"/v1/jobs/{job_id}/cancel")


def test_the_command_line_submits_waits_and_downloads(server: ServerProcess, tmp_path: pathlib.Path) -> None:
    data = tmp_path / "data.csv"
    data.write_text("a,b\n1,2\n3,4\n")
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "jobsmith", "submit", str(data), "--process", "inspect", "--wait",
                           "--output", str(out), "--url", server.url], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    report = json.loads((out / "inspect.json").read_text())
    assert report["files"][0]["records"] == 2
    job_id = done.stdout.split()[0]
    status = subprocess.run([sys.executable, "-m", "jobsmith", "status", job_id, "--json", "--url", server.url],
                            capture_output=True, text=True, timeout=30)
    assert json.loads(status.stdout)["state"] == "COMPLETED"
