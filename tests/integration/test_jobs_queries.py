"""Listing, paging, fields, PATCH, idempotency, maintenance and metrics over HTTP."""

from __future__ import annotations

import time

import httpx

from tests.support import waiting


def make(client: httpx.Client, **body: object) -> str:
    response = client.post("/v1/jobs", json={"process": "test-files", **body})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_list_is_newest_first_with_cursor_paging_both_ways(client: httpx.Client) -> None:
    ids = [make(client) for _ in range(5)]
    first = client.get("/v1/jobs", params={"limit": 2}).json()
    assert [j["id"] for j in first["results"]] == ids[::-1][:2]
    assert first["previous"] is None and first["next"].startswith("http://127.0.0.1")
    second = client.get(first["next"]).json()
    assert [j["id"] for j in second["results"]] == ids[::-1][2:4]
    third = client.get(second["next"]).json()
    assert [j["id"] for j in third["results"]] == [ids[0]] and third["next"] is None
    back = client.get(third["previous"]).json()
    assert [j["id"] for j in back["results"]] == ids[::-1][2:4]
    assert client.get("/v1/jobs", params={"cursor": "garbage"}).status_code == 422
    assert client.get("/v1/jobs", params={"limit": 0}).status_code == 422
    assert client.get("/v1/jobs", params={"limit": 1001}).status_code == 422


def test_filters_combine(client: httpx.Client) -> None:
    a = make(client, target="dataset-a", labels={"team": "geo", "tier": "1"})
    b = make(client, target="dataset-b", labels={"team": "geo"})
    c = make(client, target="dataset-a")
    client.post(f"/v1/jobs/{c}/cancel")

    def ids(**params: object) -> list[str]:
        response = client.get("/v1/jobs", params=params)  # type: ignore[arg-type]
        assert response.status_code == 200, response.text
        return [j["id"] for j in response.json()["results"]]

    assert ids(target="dataset-a") == [c, a]
    assert ids(target="dataset-a,dataset-b") == [c, b, a]
    assert ids(label="team:geo") == [b, a]
    assert ids(label=["team:geo", "tier:1"]) == [a]
    assert ids(state="CANCELLED") == [c]
    assert ids(state="cancelled,waiting_for_data") == [c, b, a]
    assert ids(active="true") == [b, a]
    assert ids(process="test-files", owner="anonymous") == [c, b, a]
    assert ids(process="other") == []
    assert ids(created_before="2000-01-01T00:00:00Z") == []
    assert ids(created_after="2000-01-01T00:00:00Z") == [c, b, a]
    assert client.get("/v1/jobs", params={"state": "NOPE"}).json()["code"] == "unknown_state"
    assert client.get("/v1/jobs", params={"label": "nocolon"}).status_code == 422


def test_fields_returns_id_plus_the_named_fields(client: httpx.Client) -> None:
    make(client, target="t")
    results = client.get("/v1/jobs", params={"fields": "state,target"}).json()["results"]
    assert results == [{"id": results[0]["id"], "state": "WAITING_FOR_DATA", "target": "t"}]
    with_steps = client.get("/v1/jobs", params={"fields": "steps"}).json()["results"]
    assert with_steps[0]["steps"] == []
    bad = client.get("/v1/jobs", params={"fields": "state,nope"})
    assert bad.status_code == 422 and "nope" in bad.json()["detail"]


def test_patch_changes_description_labels_and_priority_only_before_running(client: httpx.Client) -> None:
    job_id = make(client)
    patched = client.patch(f"/v1/jobs/{job_id}", json={"description": "new", "labels": {"k": "v"}, "priority": 7})
    assert patched.status_code == 200
    assert (patched.json()["description"], patched.json()["labels"], patched.json()["priority"]) == ("new", {"k": "v"}, 7)
    client.post(f"/v1/jobs/{job_id}/cancel")
    late = client.patch(f"/v1/jobs/{job_id}", json={"priority": 1})
    assert late.status_code == 409
    assert client.patch(f"/v1/jobs/{job_id}", json={"description": "still fine"}).status_code == 200
    assert client.patch(f"/v1/jobs/{job_id}", json={"priority": 500}).status_code == 422
    nulls = client.patch(f"/v1/jobs/{job_id}", json={"priority": None, "labels": None})
    assert nulls.status_code == 422 and "cannot be null" in nulls.json()["detail"]
    assert client.patch(f"/v1/jobs/{job_id}", json={"description": None}).json()["description"] is None


def test_idempotency_key_returns_the_first_job_and_refuses_a_different_body(client: httpx.Client) -> None:
    body = {"process": "test-files", "description": "once"}
    first = client.post("/v1/jobs", json=body, headers={"Idempotency-Key": "k-1"})
    again = client.post("/v1/jobs", json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["location"].endswith(first.json()["id"])
    other = client.post("/v1/jobs", json={**body, "description": "twice"}, headers={"Idempotency-Key": "k-1"})
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    assert len(client.get("/v1/jobs").json()["results"]) == 1


def test_cancel_of_a_waiting_or_queued_job_is_immediate_and_final_jobs_refuse(client: httpx.Client) -> None:
    job_id = make(client)
    cancelled = client.post(f"/v1/jobs/{job_id}/cancel")
    assert cancelled.status_code == 202 and cancelled.json()["state"] == "CANCELLED"
    again = client.post(f"/v1/jobs/{job_id}/cancel")
    assert again.status_code == 409 and again.json()["code"] == "state_conflict"
    assert client.put(f"/v1/jobs/{job_id}/inputs/a.txt", content=b"x").status_code == 409


def test_maintenance_pause_holds_queued_jobs_and_resume_runs_them(client: httpx.Client) -> None:
    paused = client.put("/v1/maintenance", json={"paused": True, "message": "upgrade"})
    assert paused.status_code == 200 and paused.json()["paused"] is True
    created = client.post("/v1/jobs", json={"process": "test-retryable"})
    assert created.status_code == 201 and created.json()["state"] == "QUEUED"
    time.sleep(1.5)  # several worker polls
    assert client.get(f"/v1/jobs/{created.json()['id']}").json()["state"] == "QUEUED"
    client.put("/v1/maintenance", json={"paused": False, "message": "done"})
    assert waiting.final(client, created.json()["id"])["state"] == "COMPLETED"
    history = client.get("/v1/maintenance/history").json()["results"]
    assert [(h["paused"], h["message"]) for h in history] == [(False, "done"), (True, "upgrade")]
    assert all(h["updated_by"] == "anonymous" and h["updated_at"].endswith("Z") for h in history)
    assert client.get("/v1/maintenance").json()["paused"] is False


def _metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{") and line.split(" ")[0] == name:
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in metrics")


def test_metrics_move_with_a_job(client: httpx.Client) -> None:
    before = client.get("/metrics").text
    assert _metric(before, 'jobsmith_jobs{state="COMPLETED"}') == 0
    job = client.post("/v1/jobs", json={"process": "test-retryable"}).json()
    waiting.final(client, job["id"])
    after = client.get("/metrics").text
    assert _metric(after, 'jobsmith_jobs{state="COMPLETED"}') == 1
    assert _metric(after, "jobsmith_job_duration_seconds_count") == 1
    assert _metric(after, "jobsmith_queue_depth") == 0


def test_health_readiness_processes_and_openapi(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}
    processes = {p["id"]: p for p in client.get("/v1/processes").json()}
    assert processes["test-files"]["inputs"][0]["required"] is True
    assert processes["test-ignore-cancel"]["parameters"]["properties"]["seconds"]["default"] == 30.0
    spec = client.get("/openapi.json").json()
    assert all(op.get("summary") for path in spec["paths"].values() for op in path.values())
    assert client.get("/docs").status_code == 200 and client.get("/redoc").status_code == 200


def test_a_time_filter_must_be_iso_8601_not_a_number(client: httpx.Client) -> None:
    for number in ("0.5", "1700000000", "-3"):
        answer = client.get("/v1/jobs", params={"created_before": number})
        assert answer.status_code == 422 and "ISO 8601" in answer.json()["detail"], answer.text
    assert client.get("/v1/jobs", params={"created_before": "2030-01-01T00:00:00Z"}).status_code == 200
