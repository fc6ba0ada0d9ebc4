"""``/v1/targets``: targets with their job counts, last change first, and each target's job list."""

from __future__ import annotations

import datetime as dt

import httpx
import sqlalchemy as sa

from jobsmith.store import models, repository
from jobsmith.store.database import Database


def make(client: httpx.Client, target: str, process: str = "test-files") -> str:
    response = client.post("/v1/jobs", json={"process": process, "target": target})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_targets_count_jobs_by_state_name_the_active_job_and_page_by_last_change(client: httpx.Client) -> None:
    a1 = make(client, "dataset-a")
    a2 = make(client, "dataset-a")
    b1 = make(client, "dataset/b")
    make(client, "dataset-c")
    client.post("/v1/jobs", json={"process": "test-files"})  # no target: not listed
    assert client.post(f"/v1/jobs/{a2}/cancel").status_code == 202  # dataset-a changes last
    body = client.get("/v1/targets").json()
    assert [t["target"] for t in body["results"]] == ["dataset-a", "dataset-c", "dataset/b"]
    first = body["results"][0]
    assert first["jobs"] == 2 and first["active_job"] == a1 and first["last_state"] == "CANCELLED"
    assert first["by_state"] == {"CANCELLED": 1, "WAITING_FOR_DATA": 1}
    assert first["last_change_at"].endswith("Z") and body["next"] is None and body["previous"] is None

    page1 = client.get("/v1/targets", params={"limit": 2}).json()
    assert [t["target"] for t in page1["results"]] == ["dataset-a", "dataset-c"] and page1["previous"] is None
    page2 = client.get(page1["next"]).json()
    assert [t["target"] for t in page2["results"]] == ["dataset/b"] and page2["next"] is None
    assert page2["results"][0]["active_job"] == b1
    back = client.get(page2["previous"]).json()
    assert [t["target"] for t in back["results"]] == ["dataset-a", "dataset-c"]
    assert client.get("/v1/targets", params={"cursor": "garbage"}).status_code == 422


def test_a_targets_jobs_are_listed_like_the_job_list(client: httpx.Client) -> None:
    ids = [make(client, "dataset/b") for _ in range(3)]
    make(client, "dataset-a")
    listed = client.get("/v1/targets/dataset/b/jobs", params={"limit": 2, "fields": "state"}).json()
    assert listed["results"] == [{"id": i, "state": "WAITING_FOR_DATA"} for i in ids[::-1][:2]]
    rest = client.get(listed["next"]).json()
    assert [j["id"] for j in rest["results"]] == [ids[0]]
    client.post(f"/v1/jobs/{ids[1]}/cancel")
    active = client.get("/v1/targets/dataset%2Fb/jobs", params={"active": "true"}).json()
    assert [j["id"] for j in active["results"]] == [ids[2], ids[0]]
    assert client.get("/v1/targets/nothing/jobs").json()["results"] == []


def test_targets_of_several_owners_are_each_owners_own(database: Database) -> None:
    jobs = repository.Repository(database)
    for owner, target in (("ann", "shared"), ("bob", "shared"), ("bob", "bobs")):
        jobs.create(repository.NewJob(process="p", process_version="1", owner=owner, parameters={}, metadata={},
                                      labels={}, target=target, description=None, priority=0, timeout_s=60,
                                      max_retries=0, queued=True))
    anns = jobs.targets("ann", limit=10)
    assert [(t.target, t.jobs, t.by_state) for t in anns.targets] == [("shared", 1, {"QUEUED": 1})]
    everyone = {t.target: t.jobs for t in jobs.targets(None, limit=10).targets}
    assert everyone == {"shared": 2, "bobs": 1}
    with database.engine.begin() as connection:  # equal last changes: the name decides, on every page
        connection.execute(sa.update(models.Job).values(updated_at=dt.datetime(2026, 1, 1, 12, 0, 0, 123456)))
    one = jobs.targets(None, limit=1)
    two = jobs.targets(None, limit=1, after=one.last)
    assert [one.targets[0].target, two.targets[0].target] == ["shared", "bobs"] and not two.has_next
    assert one.targets[0].last_change_at == dt.datetime(2026, 1, 1, 12, 0, 0, 123456)
    back = jobs.targets(None, limit=1, before=two.first)
    assert [t.target for t in back.targets] == ["shared"] and back.has_next and not back.has_previous
