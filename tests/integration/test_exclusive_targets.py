"""One active job per target of an exclusive process: the schema's guarantee, and the 409 that says
which job holds the target."""

from __future__ import annotations

import dataclasses
import threading

import httpx
import pytest

from jobsmith.domain import errors, states
from jobsmith.store import repository
from jobsmith.store.database import Database

S = states.Status


def exclusive_job(target: str | None = "dataset-a", process: str = "x") -> repository.NewJob:
    return repository.NewJob(process=process, process_version="1", owner="o", parameters={}, metadata={},
                             labels={}, target=target, description=None, priority=0, timeout_s=60,
                             max_retries=0, queued=False, exclusive=True)


def test_a_second_active_job_on_the_target_is_refused_naming_the_first(database: Database) -> None:
    jobs = repository.Repository(database)
    first, _ = jobs.create(exclusive_job())
    with pytest.raises(errors.TargetBusy) as refused:
        jobs.create(exclusive_job())
    assert refused.value.job_id == first.id and first.id in refused.value.detail
    other_target, _ = jobs.create(exclusive_job(target="dataset-b"))
    other_process, _ = jobs.create(exclusive_job(process="y"))
    shared, _ = jobs.create(dataclasses.replace(exclusive_job(), exclusive=False))  # not exclusive: no claim
    assert {other_target.exclusive_target, other_process.exclusive_target, shared.exclusive_target} == {
        "dataset-b", "dataset-a", None}
    jobs.cancel(first.id)
    again, created = jobs.create(exclusive_job())
    assert created and again.state == S.WAITING_FOR_DATA


def test_two_creates_racing_for_one_target_have_exactly_one_winner(database: Database) -> None:
    jobs = repository.Repository(database)
    for round_ in range(5):
        target = f"raced-{round_}"
        barrier = threading.Barrier(2)
        outcomes: list[object] = []

        def create(target: str = target, barrier: threading.Barrier = barrier,
                   outcomes: list[object] = outcomes) -> None:
            other = Database(database.url)  # a connection pool of its own, as another server would have
            try:
                barrier.wait()
                outcomes.append(repository.Repository(other).create(exclusive_job(target))[0].id)
            except errors.TargetBusy as busy:
                outcomes.append(busy)
            finally:
                other.dispose()

        threads = [threading.Thread(target=create) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        winners = [o for o in outcomes if isinstance(o, str)]
        losers = [o for o in outcomes if isinstance(o, errors.TargetBusy)]
        assert len(winners) == 1 and len(losers) == 1, outcomes
        assert losers[0].job_id == winners[0]
        assert jobs.get(winners[0]).exclusive_target == target


def test_the_api_answers_409_target_busy_with_the_holding_job(client: httpx.Client) -> None:
    body = {"process": "test-exclusive", "target": "dataset-a"}
    first = client.post("/v1/jobs", json=body)
    assert first.status_code == 201, first.text
    second = client.post("/v1/jobs", json=body)
    assert second.status_code == 409
    holder = first.json()["id"]
    assert second.json() == {"detail": second.json()["detail"], "code": "target_busy", "job_id": holder}
    assert holder in second.json()["detail"]
    assert client.post("/v1/jobs", json={**body, "target": "dataset-b"}).status_code == 201
    assert client.post(f"/v1/jobs/{holder}/cancel").status_code == 202
    assert client.post("/v1/jobs", json=body).status_code == 201


def test_an_exclusive_process_needs_a_target(client: httpx.Client) -> None:
    refused = client.post("/v1/jobs", json={"process": "test-exclusive"})
    assert refused.status_code == 422 and refused.json()["code"] == "target_required"
    assert "needs a target" in refused.json()["detail"]
    processes = {p["id"]: p["exclusive"] for p in client.get("/v1/processes").json()}
    assert processes["test-exclusive"] is True and processes["echo"] is False
