"""The worker seals what the faces serve before a job reads COMPLETED: no request builds a result file."""

from __future__ import annotations

import hashlib
import io
import json
import time
import zipfile
from typing import Any

import httpx

from jobsmith.config import Settings
from jobsmith.store import blobs
from tests.support import data, waiting

TESTDATA = data.EDP_TESTDATA
USER_DATA: dict[str, Any] = json.loads((TESTDATA / "user_provided_data.json").read_text())


def test_a_profile_job_has_its_dataspace_archive_on_disk_as_it_completes(client: httpx.Client,
                                                                         settings: Settings) -> None:
    job = client.post("/v1/jobs", json={"process": "profile", "metadata": USER_DATA}).json()
    client.put(f"/v1/jobs/{job['id']}/inputs/file.csv", content=(TESTDATA / "test.csv").read_bytes())
    done = waiting.final(client, job["id"], timeout=120)
    assert done["state"] == "COMPLETED", done

    store = blobs.BlobStore(settings.resolved_storage)
    deadline = time.monotonic() + 10  # the attempt's scratch goes right after the final state is written
    while (store.job_dir(job["id"]) / "work").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(p.name for p in store.job_dir(job["id"]).iterdir()) == [
        "archives", "inputs", "job.log", "results", "results.zip"]  # no zip built by a request
    with zipfile.ZipFile(store.archive_path(job["id"], "dataspace")) as archive:
        names = archive.namelist()
        assert [n for n in names if "/" not in n] == ["my-dataset-id_2.3.1.json", "report.pdf"]
        assert archive.read("quality/alerts.json") == store.result_path(job["id"], "alerts.json").read_bytes()
        plots = [n for n in names if "/" in n and n != "quality/alerts.json"]
        assert plots and all(n.endswith(".png") for n in plots)
        assert archive.read("my-dataset-id_2.3.1.json") == store.result_path(job["id"], "edp.json").read_bytes()
    results = {r["path"] for r in done["results"]}
    assert set(plots) == {p for p in results if p.endswith(".png")}
    assert {"edp.json", "alerts.json", "report.html", "report.pdf"} <= results
    served = zipfile.ZipFile(io.BytesIO(client.get(f"/v1/dataspace/analysisjob/{job['id']}/result").content))
    assert sorted(served.namelist()) == sorted(names)  # the face serves this layout


def test_a_completed_job_has_its_results_zip_before_anyone_asks(client: httpx.Client, settings: Settings) -> None:
    job = client.post("/v1/jobs", json={"process": "test-files"}).json()
    client.put(f"/v1/jobs/{job['id']}/inputs/a.txt", params={"input": "left"}, content=b"left\n")
    client.put(f"/v1/jobs/{job['id']}/inputs/b.txt", params={"input": "right"}, content=b"right\n")
    done = waiting.final(client, job["id"])
    assert done["state"] == "COMPLETED", done

    sealed = blobs.BlobStore(settings.resolved_storage).zip_path(job["id"])
    with zipfile.ZipFile(sealed) as archive:
        packed = {name: hashlib.sha256(archive.read(name)).hexdigest() for name in archive.namelist()}
    assert packed == {r["path"]: r["sha256"] for r in done["results"]} and set(packed) == {"both.txt",
                                                                                             "nested/count.txt"}
    assert client.get(f"/v1/jobs/{job['id']}/results").content == sealed.read_bytes()  # sent, not rebuilt


def test_a_job_sealed_before_its_archive_existed_is_told_not_rebuilt(client: httpx.Client,
                                                                      settings: Settings) -> None:
    """A job completed by an older jobsmith has no dataspace archive: the face says so (400, as the
    dataspace API answers every refusal) and builds nothing."""
    job = client.post("/v1/dataspace/analysisjob", json={"user_provided_edp_data": USER_DATA}).json()
    client.post(f"/v1/dataspace/analysisjob/{job['job_id']}/data/file.csv", content=(TESTDATA / "test.csv").read_bytes())
    assert waiting.final(client, job["job_id"], timeout=120)["state"] == "COMPLETED"
    archive = blobs.BlobStore(settings.resolved_storage).archive_path(job["job_id"], "dataspace")
    archive.unlink()

    answer = client.get(f"/v1/dataspace/analysisjob/{job['job_id']}/result")
    assert answer.status_code == 400 and answer.json()["code"] == "archive_missing"
    assert "completed before its process sealed a 'dataspace' archive" in answer.json()["detail"]
    assert not archive.exists()
    assert client.get(f"/v1/jobs/{job['job_id']}/results").status_code == 200  # the native zip is there
