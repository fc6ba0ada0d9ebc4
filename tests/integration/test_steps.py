"""A job's declared steps: queued from creation (single and bulk create), their progression in a real
run, the job's progress following them, and what they become when a job ends or is retried."""

from __future__ import annotations

import dataclasses
import datetime as dt
import pathlib

import httpx
import pytest

from jobsmith.domain import states
from jobsmith.store import leases, repository
from jobsmith.store.database import Database
from tests.integration.test_store import expire_lease, new_job
from tests.support import waiting

S = states.Status
StepState = states.StepState
DECLARED = ["prepare", "work", "publish"]


def steps_of(view: dict[str, object]) -> list[tuple[str, str]]:
    return [(s["name"], s["state"]) for s in view["steps"]]  # type: ignore[attr-defined]


def test_a_new_job_shows_every_declared_step_queued(client: httpx.Client) -> None:
    created = client.post("/v1/jobs", json={"process": "profile"}).json()
    assert created["state"] == "WAITING_FOR_DATA"
    assert steps_of(created) == [(n, "queued") for n in ("read", "analyse", "plots", "report")]
    assert all(s["started_at"] is None and s["ended_at"] is None and s["message"] is None for s in created["steps"])
    assert steps_of(client.get(f"/v1/jobs/{created['id']}").json()) == steps_of(created)
    inspect = client.post("/v1/jobs", json={"process": "inspect"}).json()
    assert steps_of(inspect) == [("inspect", "queued")]
    listed = client.get("/v1/jobs", params={"fields": "steps", "process": "inspect"}).json()["results"]
    assert [steps_of(v) for v in listed] == [[("inspect", "queued")]]
    processes = {p["id"]: p["steps"] for p in client.get("/v1/processes").json()}
    assert processes["profile"] == ["read", "analyse", "plots", "report"] and processes["test-files"] == []


def test_the_upload_that_queues_a_job_answers_with_its_steps(client: httpx.Client) -> None:
    job = client.post("/v1/jobs", json={"process": "profile"}).json()
    queued = client.put(f"/v1/jobs/{job['id']}/inputs/a.csv", content=b"a,b\n1,2\n").json()
    assert queued["state"] != "WAITING_FOR_DATA"
    assert [name for name, _ in steps_of(queued)] == ["read", "analyse", "plots", "report"]


def test_a_bulk_create_declares_the_steps_of_every_job(client: httpx.Client) -> None:
    answer = client.post("/v1/jobs/bulk", json={"jobs": [
        {"process": "test-steps"},
        {"process": "profile"}, {"process": "nope"}, {"process": "test-files"}]})
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert "error" in results[2]
    views = [client.get(f"/v1/jobs/{results[i]['job_id']}").json() for i in (0, 1, 3)]
    assert [n for n, _ in steps_of(views[0])] == DECLARED
    assert steps_of(views[1]) == [(n, "queued") for n in ("read", "analyse", "plots", "report")]
    assert steps_of(views[2]) == []  # declares none: its steps appear as it runs


def test_steps_go_running_then_end_and_progress_follows_them(client: httpx.Client, tmp_path: pathlib.Path) -> None:
    gate = tmp_path / "open"
    job = client.post("/v1/jobs", json={"process": "test-steps", "parameters": {"gate": str(gate)}}).json()
    assert steps_of(job) == [(n, "queued") for n in DECLARED] and job["progress"] is None
    running = waiting.until(lambda: (v := client.get(f"/v1/jobs/{job['id']}").json())["steps"][1]["state"]
                            == "running" and v, what="the work step to run")
    assert steps_of(running) == [("prepare", "success"), ("work", "running"), ("publish", "queued")]
    prepare, work, publish = running["steps"]
    assert prepare["message"] == "prepared" and prepare["started_at"] and prepare["ended_at"]
    assert prepare["started_at"] <= prepare["ended_at"] <= work["started_at"] and work["ended_at"] is None
    assert publish["started_at"] is None
    assert running["progress"] == pytest.approx(1 / 3)  # one of three declared steps ended; no figure reported
    gate.write_text("go")
    done = waiting.final(client, job["id"])
    assert done["state"] == "COMPLETED" and done["progress"] == 1.0
    assert steps_of(done) == [("prepare", "success"), ("work", "success"), ("publish", "skip")]
    assert done["steps"][2]["message"] == "not run: the process did not need it"
    assert done["steps"][2]["started_at"] is None and done["steps"][2]["ended_at"] is None


def test_a_failing_job_fails_its_step_and_skips_the_rest(client: httpx.Client) -> None:
    job = client.post("/v1/jobs", json={"process": "test-steps", "parameters": {"fail": True}}).json()
    done = waiting.final(client, job["id"])
    assert done["state"] == "FAILED" and done["state_detail"] == "ValueError: work went wrong"
    assert steps_of(done) == [("prepare", "success"), ("work", "failure"), ("publish", "skip")]
    assert done["steps"][1]["message"] == "work went wrong" and done["steps"][1]["ended_at"]
    assert done["steps"][2]["message"] == "not run: the job failed"
    assert done["progress"] == pytest.approx(2 / 3)  # two of three declared steps ended


def test_a_cancelled_waiting_job_skips_every_step(client: httpx.Client) -> None:
    job = client.post("/v1/jobs", json={"process": "profile"}).json()
    cancelled = client.post(f"/v1/jobs/{job['id']}/cancel").json()
    assert cancelled["state"] == "CANCELLED"
    assert {(s["state"], s["message"]) for s in cancelled["steps"]} == {("skip", "not run: the job was cancelled")}


def test_a_retried_job_shows_its_steps_queued_again_and_a_lost_job_closes_them(database: Database) -> None:
    jobs = repository.Repository(database)
    claims = leases.Leases(database, 30)
    job, _ = jobs.create(dataclasses.replace(new_job(max_retries=1), steps=("fetch", "sum")))
    assert [(s.name, s.state) for s in job.steps] == [("fetch", "queued"), ("sum", "queued")]
    at = dt.datetime.now(dt.UTC)
    first = claims.claim("w1")
    assert first is not None
    claims.report(job.id, first.token, [leases.StepUpdate(0, "fetch", StepState.SUCCESS, at, at, "3 files"),
                                        leases.StepUpdate(1, "sum", StepState.RUNNING, at, None, None),
                                        leases.StepUpdate(2, "extra", StepState.RUNNING, at, None, None)], None)
    assert [(s.name, s.state) for s in jobs.get(job.id).steps] == [
        ("fetch", "success"), ("sum", "running"), ("extra", "running")]
    expire_lease(database, job.id)
    assert [r.state for r in claims.requeue_stalled()] == [S.QUEUED]
    requeued = jobs.get(job.id)
    assert {(s.state, s.started_at, s.ended_at, s.message) for s in requeued.steps} == {("queued", None, None, None)}
    second = claims.claim("w2")
    assert second is not None and second.job.attempts == 2
    claims.report(job.id, second.token, [leases.StepUpdate(0, "fetch", StepState.RUNNING, at, None, None)], None)
    expire_lease(database, job.id)
    assert [r.state for r in claims.requeue_stalled()] == [S.FAILED]  # no retries left
    failed = jobs.get(job.id)
    assert [(s.name, s.state) for s in failed.steps] == [("fetch", "failure"), ("sum", "skip"), ("extra", "skip")]
    assert failed.steps[0].message == failed.state_detail and "worker lost" in (failed.state_detail or "")
    assert failed.steps[1].message == "not run: the job failed"


def test_a_worker_finishing_writes_its_last_steps_before_closing_the_rest(database: Database) -> None:
    jobs = repository.Repository(database)
    claims = leases.Leases(database, 30)
    job, _ = jobs.create(dataclasses.replace(new_job(), steps=("a", "b", "c")))
    claim = claims.claim("w")
    assert claim is not None
    at = dt.datetime.now(dt.UTC)
    done = claims.finish(job.id, claim.token, S.FAILED, reason="killed by SIGKILL", retention_s=60, updates=[
        leases.StepUpdate(0, "a", StepState.SUCCESS, at, at, None),
        leases.StepUpdate(1, "b", StepState.RUNNING, at, None, None)])
    assert done.state == S.FAILED
    steps = jobs.get(job.id).steps
    assert [(s.name, s.state, s.message) for s in steps] == [
        ("a", "success", None), ("b", "failure", "killed by SIGKILL"), ("c", "skip", "not run: the job failed")]
    assert steps[1].started_at is not None and steps[1].ended_at is not None
