"""Importable datasets over HTTP: the list, creates that name a dataset (queued at once, no upload),
hostile archives failing their job with the reason, and deleting (admins only)."""

from __future__ import annotations

import hashlib
import json
import os
import pathlib

import httpx
import pytest

from jobsmith.config import Settings
from tests.support import waiting
from tests.unit.test_safe_archive import make_tar, make_zip

CSV = b"city,people\nBonn,330000\nKoeln,1080000\nMuenster,320000\n"


@pytest.fixture
def input_dir(tmp_path: pathlib.Path) -> pathlib.Path:
    root = tmp_path / "inputs"
    root.mkdir()
    (root / "cities.csv").write_bytes(CSV)
    (root / "cities.json").write_text('{"title": "Cities"}')
    make_zip(root / "regions.zip", {"north.csv": CSV, "south/south.csv": CSV, "regions.json": b"{}"})
    (root / "census").mkdir()
    (root / "census" / "2020.csv").write_bytes(CSV)
    (root / "census" / "2021.csv").write_bytes(CSV)
    (root / "pending").mkdir()
    (root / "pending" / "pending.json").write_text("{}")
    make_zip(root / "slip.zip", {"ok.csv": CSV, "../../escaped.csv": CSV})
    make_tar(root / "linked.tar.gz", {"ok.csv": CSV}, link=("data.csv", "/etc/passwd"))
    make_zip(root / "bomb.zip", {"zeros.csv": bytes(12 * 1024 * 1024)})
    make_tar(root / "many.tgz", {f"f{i}.csv": CSV for i in range(30)})
    make_zip(root / "many.zip", {f"f{i}.csv": CSV for i in range(30)})
    outside = tmp_path / "outside.csv"
    outside.write_bytes(b"secret\n")
    os.symlink(outside, root / "outside.csv")
    return root


@pytest.fixture
def settings(settings: Settings, input_dir: pathlib.Path) -> Settings:
    return settings.model_copy(update={"input_dir": input_dir, "archive_max_members": 20})


def create(client: httpx.Client, process: str, input_name: str, dataset: str) -> httpx.Response:
    return client.post("/v1/jobs", json={"process": process, "inputs": {input_name: {"dataset": dataset}}})


def test_the_list_shows_every_dataset_and_names_the_problems_of_hostile_archives(client: httpx.Client) -> None:
    answer = client.get("/v1/datasets")
    assert answer.status_code == 200
    found = {d["name"]: d for d in answer.json()["results"]}
    assert sorted(found) == ["bomb.zip", "census", "cities.csv", "linked.tar.gz", "many.tgz", "many.zip",
                             "pending", "regions.zip", "slip.zip"]  # no metadata, nothing outside
    assert found["cities.csv"] == {"name": "cities.csv", "kind": "file", "files": 1, "size": len(CSV),
                                   "has_data": True, "has_metadata": True, "problem": None}
    assert found["regions.zip"]["kind"] == "archive" and found["regions.zip"]["files"] == 2
    assert found["census"]["files"] == 2 and found["census"]["has_metadata"] is False
    assert found["pending"]["has_data"] is False and found["pending"]["has_metadata"] is True
    assert "has a path leading outside the archive" in found["slip.zip"]["problem"]
    assert "is a link" in found["linked.tar.gz"]["problem"]
    assert "more than 20 files" in found["many.tgz"]["problem"] and "more than 20" in found["many.zip"]["problem"]
    assert client.get("/v1/datasets", params={"dir": "/etc"}).status_code == 422


def test_a_create_naming_a_dataset_is_queued_at_once_and_imports_it(client: httpx.Client) -> None:
    created = create(client, "echo", "files", "regions.zip")
    assert created.status_code == 201 and created.json()["state"] == "QUEUED", created.text
    done = waiting.final(client, created.json()["id"])
    assert done["state"] == "COMPLETED", done
    assert sorted(i["name"] for i in done["inputs"]) == ["north.csv", "south.csv"]  # metadata is not an input
    assert all(i["input"] == "files" and i["size"] == len(CSV) and i["sha256"] == hashlib.sha256(CSV).hexdigest()
               for i in done["inputs"])
    assert client.get(f"/v1/jobs/{done['id']}/inputs/north.csv").content == CSV
    by_stem = create(client, "inspect", "files", "cities")
    assert by_stem.status_code == 201 and by_stem.json()["state"] == "QUEUED"
    inspected = waiting.final(client, by_stem.json()["id"])
    assert inspected["state"] == "COMPLETED" and [i["name"] for i in inspected["inputs"]] == ["cities.csv"]
    log = client.get(f"/v1/jobs/{inspected['id']}/log").text
    assert "input 'files': imported dataset 'cities.csv' (1 file)" in log


def test_a_single_file_input_takes_an_archive_whole_once_it_passed_the_checks(client: httpx.Client) -> None:
    done = waiting.final(client, create(client, "inspect", "files", "regions.zip").json()["id"])
    assert done["state"] == "COMPLETED", done
    assert [i["name"] for i in done["inputs"]] == ["regions.zip"]


@pytest.mark.parametrize(("dataset", "reason"), [
    ("slip.zip", "input 'files': dataset 'slip.zip' was not unpacked: member '../../escaped.csv' has a path "
                 "leading outside the archive."),
    ("linked.tar.gz", "input 'files': dataset 'linked.tar.gz' was not unpacked: member 'data.csv' is a link, and "
                      "such members are not unpacked."),
    ("bomb.zip", "input 'files': dataset 'bomb.zip' was not unpacked: 'zeros.csv' expands more than 250-fold"),
    ("many.tgz", "input 'files': dataset 'many.tgz' was not unpacked: it holds more than 20 files."),
    ("many.zip", "input 'files': dataset 'many.zip' was not unpacked: it holds more than 20 files."),
])
def test_a_hostile_archive_fails_its_job_with_the_reason(client: httpx.Client, input_dir: pathlib.Path,
                                                         dataset: str, reason: str) -> None:
    for process in ("echo", "inspect"):  # unpacked for several files, read through for one
        created = create(client, process, "files", dataset)
        assert created.status_code == 201 and created.json()["state"] == "QUEUED", created.text
        failed = waiting.final(client, created.json()["id"])
        assert failed["state"] == "FAILED" and failed["state_detail"].startswith(reason), failed["state_detail"]
        assert failed["inputs"] == []
    assert not (input_dir.parent / "escaped.csv").exists()
    assert not any(p.name == "escaped.csv" for p in input_dir.parent.rglob("*"))


def test_refusals_at_create_name_the_dataset(client: httpx.Client) -> None:
    unknown = create(client, "echo", "files", "nowhere.csv")
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_dataset"
    assert "no dataset 'nowhere.csv'" in unknown.json()["detail"]
    metadata = create(client, "echo", "files", "cities.json")
    assert metadata.status_code == 422 and "no dataset 'cities.json'" in metadata.json()["detail"]
    outside = create(client, "echo", "files", "outside.csv")
    assert outside.status_code == 422 and outside.json()["code"] == "unknown_dataset"
    for name in ("../inputs/cities.csv", "/etc/passwd", ".."):
        bad = create(client, "echo", "files", name)
        assert bad.status_code == 422 and bad.json()["code"] == "bad_dataset_name", bad.text
    pending = create(client, "echo", "files", "pending")
    assert pending.status_code == 409 and pending.json() == {
        "detail": "dataset 'pending' holds no data yet, only metadata", "code": "dataset_without_data"}
    several = create(client, "inspect", "files", "census")
    assert several.status_code == 422 and several.json()["code"] == "too_many_files"
    assert "takes one file, but dataset 'census' holds 2: 2020.csv, 2021.csv" in several.json()["detail"]
    wrong_input = create(client, "echo", "nope", "cities.csv")
    assert wrong_input.status_code == 422 and wrong_input.json()["code"] == "unknown_input"
    both = client.post("/v1/jobs", json={"process": "echo", "inputs": {"files": {"dataset": "cities.csv",
                                                                                 "path": "x"}}})
    assert both.status_code == 422
    incomplete = client.post("/v1/jobs", json={"process": "test-files", "inputs": {"left": {"dataset": "cities"}}})
    assert incomplete.status_code == 422 and incomplete.json()["code"] == "inputs_incomplete"
    assert "missing: right" in incomplete.json()["detail"]
    assert client.get("/v1/jobs").json()["results"] == []


def test_a_dataset_deleted_before_its_job_runs_fails_the_job_saying_so(client: httpx.Client) -> None:
    assert client.put("/v1/maintenance", json={"paused": True}).status_code == 200
    created = create(client, "echo", "files", "cities.csv").json()
    deleted = client.delete("/v1/datasets/cities.csv")
    assert deleted.status_code == 200 and deleted.json() == {"name": "cities.csv", "deleted": True}
    assert client.put("/v1/maintenance", json={"paused": False}).status_code == 200
    failed = waiting.final(client, created["id"])
    assert failed["state"] == "FAILED"
    assert failed["state_detail"].startswith("input 'files': no dataset 'cities.csv' in the input directory")


def test_an_imported_dataset_outlives_its_deletion(client: httpx.Client, input_dir: pathlib.Path) -> None:
    done = waiting.final(client, create(client, "echo", "files", "census").json()["id"])
    assert done["state"] == "COMPLETED"
    assert client.delete("/v1/datasets/census").status_code == 200 and not (input_dir / "census").exists()
    assert client.get(f"/v1/jobs/{done['id']}/inputs/2020.csv").content == CSV
    echoed = json.loads(client.get(f"/v1/jobs/{done['id']}/results/echo.json").content)
    assert echoed  # the process ran on the imported files


def test_delete_refuses_names_outside_and_unknown_ones(client: httpx.Client, tmp_path: pathlib.Path) -> None:
    for name in ("..", "...", "%2e%2e", "..%2Foutside.csv", "%2Fetc%2Fpasswd", "a%5Cb"):
        refused = client.delete(f"/v1/datasets/{name}")
        assert refused.status_code in (404, 422) and "code" in refused.json(), (name, refused.text)
    assert client.delete("/v1/datasets/nothing.csv").json()["code"] == "dataset_not_found"
    assert client.delete("/v1/datasets/outside.csv").status_code == 404
    assert (tmp_path / "outside.csv").read_bytes() == b"secret\n"
    assert client.delete("/v1/datasets/cities.json").status_code == 404  # metadata goes with its dataset
    assert client.delete("/v1/datasets/cities.csv").status_code == 200
    assert not (tmp_path / "inputs" / "cities.json").exists()
    assert client.delete("/v1/datasets/cities.csv").status_code == 404


class TestWithoutAnInputDirectory:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(update={"input_dir": None})

    def test_the_list_is_empty_and_a_reference_is_refused(self, client: httpx.Client) -> None:
        assert client.get("/v1/datasets").json() == {"results": []}
        refused = create(client, "echo", "files", "cities.csv")
        assert refused.status_code == 422 and "no input directory" in refused.json()["detail"]


class TestWithApiKeys:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(update={"api_keys": "alice:alice-key,ops:ops-key:admin"})

    def test_only_an_admin_deletes_a_dataset(self, client: httpx.Client, input_dir: pathlib.Path) -> None:
        assert client.delete("/v1/datasets/cities.csv").status_code == 401
        refused = client.delete("/v1/datasets/cities.csv", headers={"Authorization": "Bearer alice-key"})
        assert refused.status_code == 403 and refused.json()["code"] == "admin_only"
        assert (input_dir / "cities.csv").exists()
        listed = client.get("/v1/datasets", headers={"Authorization": "Bearer alice-key"})
        assert "cities.csv" in {d["name"] for d in listed.json()["results"]}
        allowed = client.delete("/v1/datasets/cities.csv", headers={"Authorization": "Bearer ops-key"})
        assert allowed.status_code == 200 and not (input_dir / "cities.csv").exists()


def test_the_openapi_document_describes_the_routes(client: httpx.Client) -> None:
    document = client.get("/openapi.json").json()
    listing = document["paths"]["/v1/datasets"]["get"]
    deleting = document["paths"]["/v1/datasets/{name}"]["delete"]
    assert listing["summary"] and deleting["summary"]
    schemas = document["components"]["schemas"]
    assert schemas["DatasetView"]["example"]["kind"] == "file"
    assert schemas["InputReference"]["examples"]


def test_profile_reads_an_archive_dataset_and_a_damaged_one_fails_its_job(client: httpx.Client,
                                                                          input_dir: pathlib.Path) -> None:
    (input_dir / "damaged.zip").write_bytes(b"PK\x03\x04 this is not the rest of a zip")
    profiled = waiting.final(client, create(client, "profile", "data", "regions.zip").json()["id"], timeout=120)
    assert profiled["state"] == "COMPLETED", profiled["state_detail"]
    edp = json.loads(client.get(f"/v1/jobs/{profiled['id']}/results/edp.json").content)
    assert len(edp["structuredDatasets"]) == 2  # both members of the archive
    damaged = waiting.final(client, create(client, "profile", "data", "damaged.zip").json()["id"])
    assert damaged["state"] == "FAILED"
    assert damaged["state_detail"].startswith("input 'data': dataset 'damaged.zip' was not unpacked: it is not a "
                                              "ZIP archive"), damaged["state_detail"]
