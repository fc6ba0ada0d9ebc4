"""``jobsmith.worker``: jobsmith's own processes run remotely over the worker protocol, unchanged.

The server runs no worker (``workers=0``); a :class:`RemoteWorker` in this process (and ``jobsmith
worker --http`` as a command) claims its jobs over HTTP, runs the local process functions with a
``JobContext``, and the user sees the outcome as if jobsmith had run them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from jobsmith import worker
from jobsmith.config import Settings
from jobsmith.processes import registry
from tests.support.server import ROOT

TOKEN = "lab-token"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"workers": 0, "worker_tokens": f"lab:{TOKEN}"})


@pytest.fixture
def remote(client: httpx.Client) -> Iterator[worker.RemoteWorker]:
    runner = worker.RemoteWorker(str(client.base_url), TOKEN, processes_registry=registry.load("tests.support.processes"),
                                 wait_s=5, lease_s=10)
    yield runner
    runner.close()


def view(client: httpx.Client, job_id: str) -> dict[str, Any]:
    answer: dict[str, Any] = client.get(f"/v1/jobs/{job_id}").json()
    return answer


def test_a_builtin_process_runs_remotely_unchanged(client: httpx.Client, remote: worker.RemoteWorker) -> None:
    job_id = client.post("/v1/jobs", json={"process": "inspect"}).json()["id"]
    client.put(f"/v1/jobs/{job_id}/inputs/cities.csv", content=b"city,people\nBonn,330000\nKiel,250000\n")
    assert remote.run_one() == "COMPLETED"
    seen = view(client, job_id)
    assert seen["state"] == "COMPLETED" and [r["path"] for r in seen["results"]] == ["inspect.json"]
    assert seen["steps"][0]["name"] == "inspect" and seen["steps"][0]["state"] == "success"
    report = client.get(f"/v1/jobs/{job_id}/results/inspect.json").json()
    assert "cities.csv" in str(report)
    assert any(h["actor"] == "worker:lab" for h in client.get(f"/v1/jobs/{job_id}/history").json())
    entries = client.get(f"/v1/jobs/{job_id}/log", headers={"Accept": "application/json"}).json()["entries"]
    assert any(e["message"] == "step inspect started" and e["step"] == "inspect" for e in entries)


def test_a_failing_process_fails_the_job_with_its_reason(client: httpx.Client, remote: worker.RemoteWorker) -> None:
    job_id = client.post("/v1/jobs", json={"process": "test-fail", "max_retries": 0}).json()["id"]
    assert remote.run_one() == "FAILED"
    seen = view(client, job_id)
    assert seen["state_detail"] == "ValueError: the data is not what this process expects"
    assert seen["steps"][0]["name"] == "about to fail" and seen["steps"][0]["state"] == "failure"
    assert "Traceback" in client.get(f"/v1/jobs/{job_id}/log").text


def test_a_cancel_reaches_the_running_process(client: httpx.Client, remote: worker.RemoteWorker) -> None:
    job_id = client.post("/v1/jobs", json={"process": "sleep", "parameters": {"seconds": 60}}).json()["id"]
    outcome: list[str | None] = []
    thread = threading.Thread(target=lambda: outcome.append(remote.run_one()))
    thread.start()
    deadline = time.monotonic() + 20
    while view(client, job_id)["state"] != "PROCESSING" and time.monotonic() < deadline:
        time.sleep(0.1)
    client.post(f"/v1/jobs/{job_id}/cancel")
    thread.join(30)  # the next heartbeat (every lease_s / 3) brings the cancel signal
    assert outcome == ["CANCELLED"] and view(client, job_id)["state"] == "CANCELLED"


def test_jobsmith_worker_http_runs_jobs_until_stopped(client: httpx.Client, settings: Settings) -> None:
    job_id = client.post("/v1/jobs", json={"process": "test-noop"}).json()["id"]
    env = {**os.environ, "JOBSMITH_PROCESSES": "tests.support.processes", "JOBSMITH_WORKER_TOKEN": TOKEN,
           "PYTHONPATH": str(ROOT)}
    command = subprocess.Popen([sys.executable, "-m", "jobsmith", "worker", "--http", str(client.base_url),
                                "--process", "test-noop"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while view(client, job_id)["state"] != "COMPLETED" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert view(client, job_id)["state"] == "COMPLETED"
    finally:
        command.terminate()
        output = command.communicate(timeout=60)[0].decode()
    assert command.returncode == 0, output


def test_a_worker_refuses_to_claim_what_it_cannot_run(client: httpx.Client) -> None:
    with pytest.raises(Exception, match="no-such-process"):
        worker.RemoteWorker(str(client.base_url), TOKEN, processes=["no-such-process"])
