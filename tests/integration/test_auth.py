"""API keys: owners see and touch only their own jobs; admin-only changes."""

from __future__ import annotations

import httpx
import pytest

from jobsmith.config import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"api_keys": "alice:alice-key,bob:bob-key,ops:ops-key:admin"})


def as_(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_keys_are_required_except_for_health(client: httpx.Client) -> None:
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    missing = client.get("/v1/jobs")
    assert missing.status_code == 401 and missing.json()["code"] == "missing_credentials"
    assert client.get("/v1/jobs", headers=as_("wrong")).status_code == 401
    assert client.get("/v1/jobs", headers={"X-API-Key": "alice-key"}).status_code == 200
    for path in ("/openapi.json", "/docs", "/redoc"):  # the document describes a private server
        assert client.get(path).status_code == 401, path
        assert client.get(path, headers=as_("bob-key")).status_code == 200, path
    schemes = client.get("/openapi.json", headers=as_("bob-key")).json()["components"]["securitySchemes"]
    assert schemes["bearer"]["scheme"] == "bearer" and schemes["apiKey"]["name"] == "X-API-Key"


def test_owners_see_only_their_own_jobs(client: httpx.Client) -> None:
    job = client.post("/v1/jobs", json={"process": "test-files"}, headers=as_("alice-key")).json()
    assert job["owner"] == "alice"
    assert client.get(f"/v1/jobs/{job['id']}", headers=as_("bob-key")).status_code == 404
    assert client.post(f"/v1/jobs/{job['id']}/cancel", headers=as_("bob-key")).status_code == 404
    assert client.delete(f"/v1/jobs/{job['id']}", headers=as_("bob-key")).status_code == 404
    assert client.put(f"/v1/jobs/{job['id']}/inputs/a.txt", content=b"x", headers=as_("bob-key")).status_code == 404
    assert client.get("/v1/jobs", headers=as_("bob-key")).json()["results"] == []
    assert client.get("/v1/jobs", params={"owner": "alice"}, headers=as_("bob-key")).json()["results"] == []
    assert [j["id"] for j in client.get("/v1/jobs", headers=as_("alice-key")).json()["results"]] == [job["id"]]
    assert client.get(f"/v1/jobs/{job['id']}", headers=as_("ops-key")).status_code == 200


def test_maintenance_changes_need_an_admin_key(client: httpx.Client) -> None:
    refused = client.put("/v1/maintenance", json={"paused": True}, headers=as_("alice-key"))
    assert refused.status_code == 403
    allowed = client.put("/v1/maintenance", json={"paused": True, "message": "m"}, headers=as_("ops-key"))
    assert allowed.status_code == 200 and allowed.json()["updated_by"] == "ops"
    assert client.get("/v1/maintenance", headers=as_("alice-key")).json()["paused"] is True
