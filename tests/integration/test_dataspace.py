"""The EDPS-compatible dataspace API, driven as a dataspace connector drives it, on real files."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from typing import Any

import httpx
import jsonschema
import pytest

from jobsmith.processes.profile.edp import schema
from tests.support import waiting
from tests.support.data import EDP_TESTDATA

USER_DATA: dict[str, Any] = json.loads((EDP_TESTDATA / "user_provided_data.json").read_text())
SCHEMA: dict[str, Any] = schema.load()
BASE = "/v1/dataspace/analysisjob"


def create(client: httpx.Client, metadata: dict[str, Any] | None = None, **headers: str) -> dict[str, Any]:
    response = client.post(BASE, json={"user_provided_edp_data": metadata or USER_DATA, "config": {}},
                           headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def wait_done(client: httpx.Client, job_id: str, timeout: float = 120) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        view: dict[str, Any] = client.get(f"{BASE}/{job_id}/status").json()
        return view if view["state"] in waiting.FINAL else None

    done: dict[str, Any] = waiting.until(check, timeout, interval=0.2, what=f"analysis job {job_id}")
    return done


def test_a_connector_analyses_a_csv_and_gets_the_catalogue_zip(client: httpx.Client) -> None:
    job = create(client, **{"x-service-base-url": "https://edps.example.org/"})
    assert job["state"] == "WAITING_FOR_DATA"
    assert job["upload_url"] == f"https://edps.example.org/api/{job['job_id']}"
    uploaded = client.post(f"{BASE}/{job['job_id']}/data/file.csv", content=(EDP_TESTDATA / "test.csv").read_bytes())
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["state"] in {"QUEUED", "PROCESSING", "COMPLETED"}
    done = wait_done(client, job["job_id"])
    assert done["state"] == "COMPLETED", done

    archive = zipfile.ZipFile(io.BytesIO(client.get(f"{BASE}/{job['job_id']}/result").content))
    names = archive.namelist()
    root_json = [n for n in names if "/" not in n and n.endswith(".json")]
    assert root_json == ["my-dataset-id_2.3.1.json"]
    assert "report.pdf" in names and "report.html" not in names
    alerts = json.loads(archive.read("quality/alerts.json"))  # in a folder: the EDP is the one JSON at the root
    assert {(a["kind"], a["column"]) for a in alerts} >= {("unique", "uuid"), ("constant", "parkhaus")}
    edp = json.loads(archive.read("my-dataset-id_2.3.1.json"))
    jsonschema.validate(edp, SCHEMA)
    assert edp["name"] == "dataset-dummy-name" and edp["tags"] == ["test", "csv", "Äöüß"]
    assert edp["assetRefs"][0]["assetId"] == "my-dataset-id"
    plots = [n for n in names if n.endswith(".png")]
    assert plots and all("/" in n for n in plots)  # under <dataset name>/
    for plot in plots:
        assert archive.read(plot)[:8] == b"\x89PNG\r\n\x1a\n"

    report = client.get(f"{BASE}/{job['job_id']}/report")
    assert report.status_code == 200 and report.headers["content-type"] == "application/pdf"
    assert report.content.startswith(b"%PDF-")
    log = client.get(f"{BASE}/{job['job_id']}/log")
    assert log.status_code == 200 and len(log.text.splitlines()) > 3  # every line of the run, not the last

    native = client.get(f"/v1/jobs/{job['job_id']}").json()  # an ordinary profile job underneath
    assert native["process"] == "profile" and native["metadata"]["name"] == "dataset-dummy-name"
    assert native["parameters"]["anonymise_strings"] is True


def test_multipart_upload_with_upload_file(client: httpx.Client) -> None:
    job = create(client)
    response = client.post(f"{BASE}/{job['job_id']}/data",
                           files={"upload_file": ("file.csv", (EDP_TESTDATA / "test_counts.csv").read_bytes())})
    assert response.status_code == 200, response.text
    assert wait_done(client, job["job_id"])["state"] == "COMPLETED"


def test_refusals_are_400_with_a_reason_and_change_nothing(client: httpx.Client) -> None:
    unknown = client.get(f"{BASE}/{uuid.uuid4()}/status")
    assert unknown.status_code == 400 and "no job" in unknown.json()["detail"]
    no_refs = client.post(BASE, json={"user_provided_edp_data": {**USER_DATA, "assetRefs": []}})
    assert no_refs.status_code == 400 and "assetRefs" in no_refs.json()["detail"]
    missing_refs = {k: v for k, v in USER_DATA.items() if k != "assetRefs"}
    assert client.post(BASE, json={"user_provided_edp_data": missing_refs}).status_code == 400

    job = create(client)
    empty = client.post(f"{BASE}/{job['job_id']}/data/file.csv", content=b"")
    assert empty.status_code == 400 and "empty" in empty.json()["detail"]
    assert client.get(f"{BASE}/{job['job_id']}/status").json()["state"] == "WAITING_FOR_DATA"
    too_early = client.get(f"{BASE}/{job['job_id']}/result")
    assert too_early.status_code == 400 and "WAITING_FOR_DATA" in too_early.json()["detail"]
    assert client.get(f"{BASE}/{job['job_id']}/log").status_code == 204  # nothing ran yet
    no_file = client.post(f"{BASE}/{job['job_id']}/data", files={"other": ("x.csv", b"a\n1\n")})
    assert no_file.status_code == 400


@pytest.mark.parametrize("path", ["not-a-uuid/status", "not-a-uuid/result"])
def test_request_validation_is_fastapis_422(client: httpx.Client, path: str) -> None:
    response = client.get(f"{BASE}/{path}")
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], list)  # as FastAPI reports it
    wrong_types = client.post(BASE, json={"user_provided_edp_data": "not an object"})
    assert wrong_types.status_code == 422


def test_cancel_while_waiting_for_data_then_delete(client: httpx.Client) -> None:
    job = create(client)
    cancelled = client.post(f"{BASE}/{job['job_id']}/cancel")
    assert cancelled.status_code == 204
    assert client.get(f"{BASE}/{job['job_id']}/status").json()["state"] == "CANCELLED"
    late_upload = client.post(f"{BASE}/{job['job_id']}/data/file.csv", content=b"a,b\n1,2\n")
    assert late_upload.status_code == 400
    deleted = client.delete(f"{BASE}/{job['job_id']}")
    assert deleted.status_code == 200 and deleted.json()["state"] == "DELETED"
    assert client.get(f"{BASE}/{job['job_id']}/status").json()["state"] == "DELETED"


def test_config_fills_known_parameters_and_ignores_the_old_services_sections(client: httpx.Client) -> None:
    response = client.post(BASE, json={"user_provided_edp_data": USER_DATA,
                                       "config": {"seed": 7, "structured_config": {"distribution": {}}}})
    assert response.status_code == 200, response.text
    parameters = client.get(f"/v1/jobs/{response.json()['job_id']}").json()["parameters"]
    assert parameters["seed"] == 7 and parameters["anonymise_strings"] is True
    assert "structured_config" not in parameters
    bad = client.post(BASE, json={"user_provided_edp_data": USER_DATA, "config": {"seed": -1}})
    assert bad.status_code == 400 and "seed" in bad.json()["detail"]


def test_job_views_have_the_edps_fields_only(client: httpx.Client) -> None:
    job = create(client)
    assert set(job) == {"job_id", "state", "state_detail"}  # no upload_url without x-service-base-url
    status = client.get(f"{BASE}/{job['job_id']}/status").json()
    assert status == {"job_id": job["job_id"], "state": "WAITING_FOR_DATA", "state_detail": None}


def test_an_upload_without_a_file_name_is_a_400_not_a_redirect(client: httpx.Client) -> None:
    job = create(client)
    nameless = client.post(f"{BASE}/{job['job_id']}/data/", content=b"a,b\n1,2\n")
    assert nameless.status_code == 400, nameless.text
    assert "file name" in nameless.json()["detail"]
    assert client.get(f"{BASE}/{job['job_id']}/status").json()["state"] == "WAITING_FOR_DATA"
    unknown = client.post(f"{BASE}/{uuid.uuid4()}/data/", content=b"a,b\n1,2\n")
    assert unknown.status_code == 400 and "detail" in unknown.json()


def test_a_long_non_ascii_file_name_is_accepted(client: httpx.Client) -> None:
    job = create(client)
    uploaded = client.post(f"{BASE}/{job['job_id']}/data/{'%C3%A9' * 200}.csv",
                           content=(EDP_TESTDATA / "test_counts.csv").read_bytes())
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["state"] in {"QUEUED", "PROCESSING", "COMPLETED"}
