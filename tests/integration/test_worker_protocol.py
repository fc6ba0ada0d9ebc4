"""The worker protocol, driven with httpx alone, as an executor outside jobsmith would.

The server runs no worker of its own (``workers=0``): the external workers ``lab`` and ``spare``
claim, run and finish its jobs; the user sees the same states, steps, log, results and history as
for a job jobsmith ran itself.
"""

from __future__ import annotations

import io
import pathlib
import threading
import time
import zipfile
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from jobsmith.config import Settings
from jobsmith.store import models
from jobsmith.store.database import Database

ALICE = {"Authorization": "Bearer alice-key"}
LAB = {"Authorization": "Bearer lab-token"}
SPARE = {"Authorization": "Bearer spare-token"}


@pytest.fixture
def settings(settings: Settings, tmp_path: pathlib.Path) -> Settings:
    (tmp_path / "incoming").mkdir()
    return settings.model_copy(update={"workers": 0, "api_keys": "alice:alice-key,ops:ops-key:admin",
                                       "worker_tokens": "lab:lab-token,spare:spare-token",
                                       "input_dir": tmp_path / "incoming"})


def queued_inspect(client: httpx.Client) -> str:
    job = client.post("/v1/jobs", json={"process": "inspect"}, headers=ALICE).json()
    client.put(f"/v1/jobs/{job['id']}/inputs/cities.csv", content=b"city,people\nBonn,330000\n", headers=ALICE)
    return str(job["id"])


def claim(client: httpx.Client, worker: dict[str, str], **body: Any) -> httpx.Response:
    return client.post("/v1/worker/claims", json={"processes": ["inspect"], "lease_s": 30, **body}, headers=worker)


def held(worker: dict[str, str], token: str) -> dict[str, str]:
    return {**worker, "Lease-Token": token}


def expire_lease(settings: Settings, job_id: str) -> None:
    """Time travel: the lease ran out (no sleeping for it)."""
    database = Database(settings.resolved_database_url)
    with database.engine.begin() as connection:
        connection.execute(sa.update(models.Job).where(models.Job.id == job_id)
                           .values(lease_expires_at=models.Job.created_at))
    database.dispose()


def wait_for(client: httpx.Client, job_id: str, state: str, timeout: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        view: dict[str, Any] = client.get(f"/v1/jobs/{job_id}", headers=ALICE).json()
        if view["state"] == state or time.monotonic() > deadline:
            return view
        time.sleep(0.1)


def test_an_external_worker_runs_a_job_as_jobsmith_would(client: httpx.Client) -> None:
    job_id = queued_inspect(client)
    answer = claim(client, LAB)
    assert answer.status_code == 200
    job, lease = answer.json()["job"], answer.json()["lease"]
    assert job["id"] == job_id and job["state"] == "PROCESSING" and job["attempts"] == 1
    assert lease["expires_at"].endswith("Z") and not job["cancel_requested"]
    token = held(LAB, lease["token"])
    data = client.get(job["inputs"][0]["href"], headers=token)
    assert data.status_code == 200 and data.content == b"city,people\nBonn,330000\n"
    events = client.post(f"/v1/worker/jobs/{job_id}/events", headers=token, json={
        "progress": 0.5, "step": {"name": "inspect", "state": "running"},
        "log": [{"level": "info", "message": "counting rows"}, {"level": "warning", "message": "one row only"}]})
    assert events.status_code == 200 and events.json() == {"cancel_requested": False}
    mid = client.get(f"/v1/jobs/{job_id}", headers=ALICE).json()
    assert mid["progress"] == 0.5 and mid["steps"][0]["name"] == "inspect" and mid["steps"][0]["state"] == "running"
    stored = client.put(f"/v1/worker/jobs/{job_id}/results/summary.json", content=b'{"rows": 1}', headers=token)
    assert stored.status_code == 201 and stored.json()["size"] == 11 and stored.json()["media_type"] == "application/json"
    client.put(f"/v1/worker/jobs/{job_id}/results/plots/rows.txt", content=b"1\n", headers=token)
    client.post(f"/v1/worker/jobs/{job_id}/events", headers=token,
                json={"step": {"name": "inspect", "state": "success", "message": "1 row"}})
    done = client.post(f"/v1/worker/jobs/{job_id}/finish", headers=token, json={"state": "COMPLETED"})
    assert done.status_code == 200 and done.json()["state"] == "COMPLETED"

    seen = client.get(f"/v1/jobs/{job_id}", headers=ALICE).json()
    assert seen["state"] == "COMPLETED" and seen["progress"] == 1.0
    assert {r["path"] for r in seen["results"]} == {"summary.json", "plots/rows.txt"}
    assert seen["steps"] == [{**seen["steps"][0], "name": "inspect", "state": "success", "message": "1 row"}]
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/v1/jobs/{job_id}/results", headers=ALICE).content))
    assert sorted(archive.namelist()) == ["plots/rows.txt", "summary.json"]
    assert client.get(f"/v1/jobs/{job_id}/results/summary.json", headers=ALICE).json() == {"rows": 1}
    history = client.get(f"/v1/jobs/{job_id}/history", headers=ALICE).json()
    assert [(h["to"], h["actor"]) for h in history][-2:] == [("PROCESSING", "worker:lab"), ("COMPLETED", "worker:lab")]
    log = client.get(f"/v1/jobs/{job_id}/log", headers={**ALICE, "Accept": "application/json"}).json()["entries"]
    assert [(e["level"], e["message"], e["step"]) for e in log if "row" in e["message"]][:2] == [
        ("info", "counting rows", "inspect"), ("warning", "one row only", "inspect")]
    assert "counting rows" in client.get(f"/v1/jobs/{job_id}/log", headers=ALICE).text


def test_worker_tokens_and_user_keys_each_keep_to_their_routes(client: httpx.Client) -> None:
    assert claim(client, ALICE).status_code == 403
    assert claim(client, {}).status_code == 401
    assert claim(client, {"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/v1/jobs", headers=LAB).status_code == 403
    assert claim(client, LAB).status_code == 204  # nothing queued


def test_two_workers_racing_for_one_job_have_one_winner(client: httpx.Client) -> None:
    job_id = queued_inspect(client)
    barrier, answers = threading.Barrier(2), []

    def race(worker: dict[str, str]) -> None:
        barrier.wait()
        answers.append(claim(client, worker, job=job_id).status_code)

    threads = [threading.Thread(target=race, args=(w,)) for w in (LAB, SPARE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(answers) == [200, 204]
    assert client.get(f"/v1/jobs/{job_id}", headers=ALICE).json()["attempts"] == 1


def test_a_lost_lease_is_retried_and_the_stale_worker_changes_nothing(client: httpx.Client,
                                                                      settings: Settings) -> None:
    job_id = queued_inspect(client)
    stale = held(LAB, claim(client, LAB).json()["lease"]["token"])
    expire_lease(settings, job_id)
    assert wait_for(client, job_id, "QUEUED")["state"] == "QUEUED"  # the server's sweeper, without any worker
    lost = client.post(f"/v1/worker/jobs/{job_id}/heartbeat", headers=stale)
    assert lost.status_code == 409 and lost.json()["code"] == "lease_lost"
    second = claim(client, SPARE).json()
    assert second["job"]["attempts"] == 2
    for write in (client.post(f"/v1/worker/jobs/{job_id}/finish", headers=stale, json={"state": "COMPLETED"}),
                  client.put(f"/v1/worker/jobs/{job_id}/results/x.txt", headers=stale, content=b"x"),
                  client.post(f"/v1/worker/jobs/{job_id}/events", headers=stale, json={"progress": 0.9})):
        assert write.status_code == 409 and write.json()["code"] == "lease_lost"
    view = client.get(f"/v1/jobs/{job_id}", headers=ALICE).json()
    assert view["state"] == "PROCESSING" and view["progress"] == 0.0 and view["results"] == []


def test_a_cancel_reaches_the_worker_which_ends_the_job_cancelled(client: httpx.Client) -> None:
    job_id = queued_inspect(client)
    token = held(LAB, claim(client, LAB).json()["lease"]["token"])
    early = client.post(f"/v1/worker/jobs/{job_id}/finish", headers=token, json={"state": "CANCELLED"})
    assert early.status_code == 409 and early.json()["code"] == "not_cancelled"
    assert client.post(f"/v1/jobs/{job_id}/cancel", headers=ALICE).json()["state"] == "CANCELLATION_REQUESTED"
    assert client.post(f"/v1/worker/jobs/{job_id}/heartbeat", headers=token).json()["cancel_requested"] is True
    assert client.post(f"/v1/worker/jobs/{job_id}/events", headers=token, json={}).json()["cancel_requested"] is True
    assert client.get(f"/v1/worker/jobs/{job_id}", headers=token).json()["cancel_requested"] is True
    done = client.post(f"/v1/worker/jobs/{job_id}/finish", headers=token, json={"state": "CANCELLED"})
    assert done.json()["state"] == "CANCELLED"
    assert client.get(f"/v1/jobs/{job_id}", headers=ALICE).json()["state"] == "CANCELLED"


def test_a_retryable_failure_goes_back_to_the_queue_then_fails_with_its_reason(client: httpx.Client) -> None:
    job_id = client.post("/v1/jobs", json={"process": "inspect", "max_retries": 1}, headers=ALICE).json()["id"]
    client.put(f"/v1/jobs/{job_id}/inputs/a.csv", content=b"a\n1\n", headers=ALICE)
    first = held(LAB, claim(client, LAB).json()["lease"]["token"])
    again = client.post(f"/v1/worker/jobs/{job_id}/finish", headers=first,
                        json={"state": "FAILED", "reason": "the instrument did not answer", "retryable": True})
    assert again.json()["state"] == "QUEUED"
    second = held(LAB, claim(client, LAB).json()["lease"]["token"])
    failed = client.post(f"/v1/worker/jobs/{job_id}/finish", headers=second,
                         json={"state": "FAILED", "reason": "the recording has no sample rate", "retryable": True})
    assert failed.json()["state"] == "FAILED"  # no retry left
    view = client.get(f"/v1/jobs/{job_id}", headers=ALICE).json()
    assert view["state_detail"] == "the recording has no sample rate" and view["attempts"] == 2


def test_a_waiting_claim_gets_the_job_queued_meanwhile(client: httpx.Client) -> None:
    timer = threading.Timer(0.5, queued_inspect, args=(client,))
    timer.start()
    started = time.monotonic()
    answer = claim(client, LAB, wait_s=10)
    timer.join()
    assert answer.status_code == 200 and time.monotonic() - started < 8


def test_bad_requests_are_refused_naming_why(client: httpx.Client) -> None:
    assert claim(client, LAB, processes=["no-such-process"]).status_code == 404
    assert client.post("/v1/worker/claims", json={"lease_s": 1}, headers=LAB).status_code == 422
    job_id = queued_inspect(client)
    token = held(LAB, claim(client, LAB).json()["lease"]["token"])
    for path in ("../escape.txt", "a//b"):
        answer = client.put(f"/v1/worker/jobs/{job_id}/results/{path}", headers=token, content=b"x")
        assert answer.status_code in (404, 422), path  # a client may normalise ".." away before sending
    refused = client.put(f"/v1/worker/jobs/{job_id}/results/a%2F..%2F..%2Fescape.txt", headers=token, content=b"x")
    assert refused.status_code == 422 and refused.json()["code"] == "bad_result_path"
    assert client.post(f"/v1/worker/jobs/{job_id}/heartbeat", headers=LAB).status_code == 422  # no Lease-Token
    finished = client.post(f"/v1/worker/jobs/{job_id}/finish", headers=token, json={"state": "COMPLETED"})
    assert client.post("/v1/worker/claims", json={"job": job_id}, headers=LAB).status_code == 409
    assert finished.json()["state"] == "COMPLETED"


def test_a_dataset_input_is_imported_before_the_worker_gets_the_job(client: httpx.Client, settings: Settings) -> None:
    assert settings.input_dir is not None
    (settings.input_dir / "cities.csv").write_text("city\nBonn\n")
    job_id = client.post("/v1/jobs", json={"process": "inspect", "inputs": {"files": {"dataset": "cities.csv"}}},
                         headers=ALICE).json()["id"]
    answer = claim(client, LAB).json()
    assert [i["name"] for i in answer["job"]["inputs"]] == ["cities.csv"]
    token = held(LAB, answer["lease"]["token"])
    assert client.get(answer["job"]["inputs"][0]["href"], headers=token).content == b"city\nBonn\n"
    assert answer["job"]["id"] == job_id
