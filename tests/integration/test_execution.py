"""Running work is really stopped: cancel, timeout and memory limit, seen from the API and the OS."""

from __future__ import annotations

import time

import httpx
import psutil
import pytest

from jobsmith.config import Settings
from tests.support import waiting


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"job_memory_mb": 300})


def job_processes(job_id: str) -> list[psutil.Process]:
    """Processes whose command line or environment is the job's child: found by its log file handle."""
    found = []
    for process in psutil.process_iter(["pid"]):
        try:
            if any(job_id in f.path for f in process.open_files()):
                found.append(process)
        except psutil.Error:
            continue
    return found


def running(client: httpx.Client, process: str, **parameters: object) -> str:
    job = client.post("/v1/jobs", json={"process": process, "parameters": parameters}).json()
    waiting.until(lambda: client.get(f"/v1/jobs/{job['id']}").json()["steps"], what="the first step")
    return str(job["id"])


def test_cancel_kills_a_process_that_ignores_the_request(client: httpx.Client) -> None:
    job_id = running(client, "test-ignore-cancel", seconds=60)
    busy = job_processes(job_id)
    assert busy, "the job's process should be running"
    started = time.monotonic()
    answer = client.post(f"/v1/jobs/{job_id}/cancel")
    assert answer.status_code == 202 and answer.json()["state"] == "CANCELLATION_REQUESTED"
    assert client.post(f"/v1/jobs/{job_id}/cancel").status_code == 202  # again while stopping
    done = waiting.final(client, job_id, timeout=15)
    assert done["state"] == "CANCELLED" and done["state_detail"] == "cancelled by the client"
    assert time.monotonic() - started < 8
    waiting.until(lambda: not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in busy),
                  timeout=5, what="the job's process to be gone")


def test_a_job_over_its_timeout_is_stopped_and_failed(client: httpx.Client) -> None:
    job = client.post("/v1/jobs", json={"process": "test-ignore-cancel", "parameters": {"seconds": 60},
                                        "timeout_s": 1}).json()
    done = waiting.final(client, job["id"], timeout=15)
    assert done["state"] == "FAILED"
    assert done["state_detail"].startswith("timed out after 1 s")


def test_a_job_over_the_memory_limit_fails_saying_so(client: httpx.Client) -> None:
    job = client.post("/v1/jobs", json={"process": "test-memory-hog", "parameters": {"megabytes": 1000}}).json()
    done = waiting.final(client, job["id"], timeout=30)
    assert done["state"] == "FAILED"
    assert "over the limit of 300 MiB" in done["state_detail"]


def test_delete_of_a_running_job_stops_its_work(client: httpx.Client) -> None:
    job_id = running(client, "test-ignore-cancel", seconds=60)
    busy = job_processes(job_id)
    deleted = client.delete(f"/v1/jobs/{job_id}")
    assert deleted.json()["state"] == "DELETED"
    waiting.until(lambda: not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in busy),
                  timeout=5, what="the deleted job's process to be gone")
    assert client.get(f"/v1/jobs/{job_id}").json()["state"] == "DELETED"
    history = [(h["from"], h["to"]) for h in client.get(f"/v1/jobs/{job_id}/history").json()]
    assert history[-2:] == [("PROCESSING", "CANCELLATION_REQUESTED"), ("CANCELLATION_REQUESTED", "DELETED")]
    waiting_job = client.post("/v1/jobs", json={"process": "test-files"}).json()["id"]
    assert client.delete(f"/v1/jobs/{waiting_job}").json()["state"] == "DELETED"
    history = [(h["from"], h["to"]) for h in client.get(f"/v1/jobs/{waiting_job}/history").json()]
    assert history == [(None, "WAITING_FOR_DATA"), ("WAITING_FOR_DATA", "CANCELLED"), ("CANCELLED", "DELETED")]


def test_nothing_a_finished_job_started_outlives_it(client: httpx.Client) -> None:
    job = client.post("/v1/jobs", json={"process": "test-leave-orphan"}).json()
    done = waiting.final(client, job["id"])
    assert done["state"] == "COMPLETED"
    pid = int(client.get(f"/v1/jobs/{job['id']}/results/pid.txt").text)

    def gone() -> bool:
        try:
            return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return True

    waiting.until(gone, timeout=5, what="the job's background process to be killed")


def test_jobs_after_a_crash_or_a_kill_run_normally(client: httpx.Client) -> None:
    crashed = client.post("/v1/jobs", json={"process": "test-crash"}).json()
    assert waiting.final(client, crashed["id"])["state"] == "FAILED"
    after = [client.post("/v1/jobs", json={"process": "sleep", "parameters": {"seconds": 0}}).json()
             for _ in range(4)]
    assert [waiting.final(client, j["id"])["state"] for j in after] == ["COMPLETED"] * 4
