"""Chained inputs: a create takes a result of an earlier COMPLETED job of the same owner, linked on the
server into the new job's inputs; every reference that cannot be followed is a 4xx naming why."""

from __future__ import annotations

import hashlib
import json
import uuid

import httpx
import pytest

from jobsmith.config import Settings
from tests.support import waiting

CSV = b"city,people\nBonn,330000\nKoeln,1080000\nMuenster,320000\n"


def chain(client: httpx.Client, job_id: str, path: str, process: str = "inspect", input_name: str = "files",
          **headers: str) -> httpx.Response:
    return client.post("/v1/jobs", json={"process": process, "inputs": {input_name: {"job": job_id, "path": path}}},
                       headers=headers)


def echoed(client: httpx.Client, **headers: str) -> dict[str, object]:
    job = client.post("/v1/jobs", json={"process": "echo", "parameters": {"message": "hi"}}, headers=headers).json()
    done = waiting.final(_Scoped(client, headers), job["id"])
    assert done["state"] == "COMPLETED", done
    return done


class _Scoped:
    """A client that sends the caller's headers with every read (for the polling helpers)."""

    def __init__(self, client: httpx.Client, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers

    def get(self, url: str) -> httpx.Response:
        return self.client.get(url, headers=self.headers)


def test_a_profile_chained_into_inspect_of_its_edp(client: httpx.Client) -> None:
    profile = client.post("/v1/jobs", json={"process": "profile"}).json()
    assert client.put(f"/v1/jobs/{profile['id']}/inputs/cities.csv", content=CSV).status_code == 200
    profiled = waiting.final(client, profile["id"], timeout=120)
    assert profiled["state"] == "COMPLETED", profiled
    edp = next(r for r in profiled["results"] if r["path"] == "edp.json")
    created = chain(client, profile["id"], "edp.json")
    assert created.status_code == 201, created.text
    job = created.json()
    assert job["state"] == "QUEUED"
    assert job["inputs"] == [{"input": "files", "name": "edp.json", "size": edp["size"], "sha256": edp["sha256"]}]
    inspected = waiting.final(client, job["id"])
    assert inspected["state"] == "COMPLETED", inspected
    report = json.loads(client.get(f"/v1/jobs/{job['id']}/results/inspect.json").content)
    assert "edp.json" in json.dumps(report) and edp["sha256"] in json.dumps(report)
    original = client.get(f"/v1/jobs/{profile['id']}/results/edp.json").content
    assert client.get(f"/v1/jobs/{job['id']}/inputs/edp.json").content == original
    assert hashlib.sha256(original).hexdigest() == edp["sha256"]
    assert client.delete(f"/v1/jobs/{profile['id']}").status_code == 200  # the chained copy stays
    assert client.get(f"/v1/jobs/{job['id']}/inputs/edp.json").content == original


def test_a_nested_result_path_is_taken_by_its_file_name(client: httpx.Client) -> None:
    source = echoed(client)
    created = chain(client, str(source["id"]), "echo.json", process="echo")
    assert created.status_code == 201 and [i["name"] for i in created.json()["inputs"]] == ["echo.json"]


def test_each_reference_that_cannot_be_followed_is_refused_naming_why(client: httpx.Client) -> None:
    unknown = chain(client, str(uuid.uuid4()), "edp.json")
    assert unknown.status_code == 404 and unknown.json()["code"] == "job_not_found"
    assert unknown.json()["detail"].startswith("input 'files': no job ")
    malformed = chain(client, "not-a-uuid", "edp.json")
    assert malformed.status_code == 422
    waiting_job = client.post("/v1/jobs", json={"process": "test-files"}).json()
    busy = chain(client, waiting_job["id"], "both.txt")
    assert busy.status_code == 409 and busy.json() == {
        "detail": f"input 'files': job {waiting_job['id']} is WAITING_FOR_DATA; only a COMPLETED job's results "
                  "can fill an input", "code": "job_not_completed"}
    source = echoed(client)
    missing = chain(client, str(source["id"]), "edp.json")
    assert missing.status_code == 404 and missing.json()["code"] == "result_not_found"
    assert f"job {source['id']} has no result 'edp.json' (its results: echo.json)" in missing.json()["detail"]
    for path in ("../../jobsmith.db", "/etc/passwd"):
        escaping = chain(client, str(source["id"]), path)
        assert escaping.status_code == 404 and escaping.json()["code"] == "result_not_found", path
    no_path = client.post("/v1/jobs", json={"process": "inspect", "inputs": {"files": {"job": source["id"]}}})
    assert no_path.status_code == 422
    deleted = echoed(client)
    client.delete(f"/v1/jobs/{deleted['id']}")
    gone = chain(client, str(deleted["id"]), "echo.json")
    assert gone.status_code == 409 and "is DELETED" in gone.json()["detail"]
    jobs = client.get("/v1/jobs").json()["results"]
    assert {j["process"] for j in jobs} == {"echo", "test-files"}  # nothing refused was created


def test_an_idempotent_replay_returns_the_first_job_and_leaves_no_files(client: httpx.Client,
                                                                       settings: Settings) -> None:
    source = echoed(client)
    body = {"process": "inspect", "inputs": {"files": {"job": source["id"], "path": "echo.json"}}}
    first = client.post("/v1/jobs", json=body, headers={"Idempotency-Key": "k1"})
    again = client.post("/v1/jobs", json=body, headers={"Idempotency-Key": "k1"})
    assert first.status_code == 201 and again.status_code == 200 and again.json()["id"] == first.json()["id"]
    job_dirs = {p.name for p in (settings.resolved_storage / "jobs").iterdir()}
    assert job_dirs == {str(source["id"]), first.json()["id"]}
    client.delete(f"/v1/jobs/{source['id']}")  # its results gone: the replay still answers with the first job
    replay = client.post("/v1/jobs", json=body, headers={"Idempotency-Key": "k1"})
    assert replay.status_code == 200 and replay.json()["id"] == first.json()["id"]


class TestOwners:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(update={"api_keys": "alice:alice-key,bob:bob-key"})

    def test_another_owners_job_is_as_if_it_did_not_exist(self, client: httpx.Client) -> None:
        alice = {"Authorization": "Bearer alice-key"}
        source = echoed(client, **alice)
        refused = chain(client, str(source["id"]), "echo.json", Authorization="Bearer bob-key")
        assert refused.status_code == 404 and refused.json() == {
            "detail": f"input 'files': no job {source['id']}", "code": "job_not_found"}
        allowed = chain(client, str(source["id"]), "echo.json", **alice)
        assert allowed.status_code == 201 and allowed.json()["owner"] == "alice"
