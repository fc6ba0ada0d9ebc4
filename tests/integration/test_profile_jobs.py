"""The ``profile`` process as a native job: real files in, a valid EDP, reports and plots out."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import httpx
import jsonschema

from jobsmith.processes.profile.edp import schema
from tests.support import waiting
from tests.support.data import EDP_TESTDATA

SCHEMA: dict[str, Any] = schema.load()


def profile(client: httpx.Client, content: bytes, filename: str = "file.csv", **body: Any) -> dict[str, Any]:
    job = client.post("/v1/jobs", json={"process": "profile", **body}).json()
    assert job["state"] == "WAITING_FOR_DATA", job
    uploaded = client.put(f"/v1/jobs/{job['id']}/inputs/{filename}", content=content)
    assert uploaded.status_code == 200 and uploaded.json()["state"] != "WAITING_FOR_DATA", uploaded.text
    return waiting.final(client, job["id"], timeout=120)


def test_an_excel_file_named_csv_is_profiled_sheet_by_sheet(client: httpx.Client) -> None:
    done = profile(client, (EDP_TESTDATA / "test.xlsx").read_bytes())
    assert done["state"] == "COMPLETED", done
    assert [s["name"] for s in done["steps"]] == ["read", "analyse", "plots", "report"]
    paths = {r["path"] for r in done["results"]}
    assert {"edp.json", "report.pdf", "report.html"} <= paths
    edp = json.loads(client.get(f"/v1/jobs/{done['id']}/results/edp.json").content)
    jsonschema.validate(edp, SCHEMA)
    assert edp["name"] == "file.csv" and edp["freely_available"] is False  # no user metadata
    assert edp["structuredDatasets"] and all(d["rowCount"] > 0 for d in edp["structuredDatasets"])
    referenced = {c["boxPlot"] for d in edp["structuredDatasets"] for c in d["numericColumns"]}
    assert referenced and referenced <= paths  # every plot the EDP names is a result
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/v1/jobs/{done['id']}/results").content))
    assert sorted(archive.namelist()) == sorted(paths)
    assert client.get(f"/v1/jobs/{done['id']}/results/report.pdf").content.startswith(b"%PDF-")


def test_known_answers_of_a_small_csv(client: httpx.Client) -> None:
    rows = "".join(f"{i};{i * 1.5:.1f};2024-01-{i:02d}T10:00:00;{'ab'[i % 2]}\n".replace(".", ",")
                   for i in range(1, 21))
    done = profile(client, ("id;value;at;kind\n" + rows).encode("cp1252"), parameters={"seed": 3})
    assert done["state"] == "COMPLETED", done
    assert done["parameters"]["seed"] == 3 and done["parameters"]["anonymise_strings"] is False
    edp = json.loads(client.get(f"/v1/jobs/{done['id']}/results/edp.json").content)
    (dataset,) = edp["structuredDatasets"]
    assert (dataset["rowCount"], dataset["columnCount"]) == (20, 4)
    value = next(c for c in dataset["numericColumns"] if c["name"] == "value")
    assert (value["min"], value["max"], value["mean"]) == (1.5, 30.0, 15.75)  # decimal comma, exact
    (at,) = dataset["datetimeColumns"]
    assert at["periodicity"] == "days" and at["monotonically_increasing"] is True


def test_unreadable_data_fails_the_job_with_a_sentence(client: httpx.Client) -> None:
    done = profile(client, b"\x00\x01\x02garbage\xff" * 100, filename="data.csv")
    assert done["state"] == "FAILED"
    assert "data.csv" in done["state_detail"] and "Traceback" not in done["state_detail"]
    assert done["state_detail"].startswith("'data.csv'")  # the sentence itself, no exception class in front
    assert client.get(f"/v1/jobs/{done['id']}/log").status_code == 200



def test_an_image_or_unknown_binary_fails_the_job_saying_what_it_is_and_what_is_read(client: httpx.Client) -> None:
    image = profile(client, b"\x89PNG\r\n\x1a\n" + bytes(200))
    assert image["state"] == "FAILED", image
    assert image["state_detail"].startswith("'file.csv' is a PNG image: the profile process reads delimited text")
    blob = profile(client, bytes(range(256)) * 20, filename="blob.bin")
    assert blob["state"] == "FAILED", blob
    assert blob["state_detail"].startswith("'blob.bin' is binary data of unknown format: the profile process reads")
    assert "Excel" in blob["state_detail"] and "zip or tar archive" in blob["state_detail"]
    assert blob["results"] == []  # no empty EDP


def test_an_archive_holding_no_data_fails_the_job_naming_its_files(client: httpx.Client) -> None:
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("photos/a.jpg", b"\xff\xd8\xff\xe0" + bytes(100))
    done = profile(client, packed.getvalue(), filename="upload.zip")
    assert done["state"] == "FAILED", done
    assert done["state_detail"].startswith("'upload.zip' holds nothing the profile process reads: 'photos/a.jpg' "
                                           "(a JPEG image). It reads delimited text")


def test_alerts_json_lists_the_data_quality_alerts_and_the_log_repeats_them(client: httpx.Client) -> None:
    rows = "".join(f"{i},{'0' if i % 3 else i},{i % 4 * 1.5},{'-' if i % 5 == 0 else i * 2},{'%05d' % (i % 9)}\n"
                   for i in range(1, 61))
    done = profile(client, ("id,zeros,level,price,code\n" + rows).encode())
    assert done["state"] == "COMPLETED", done
    assert "alerts.json" in {r["path"] for r in done["results"]}
    alerts = json.loads(client.get(f"/v1/jobs/{done['id']}/results/alerts.json").content)
    found = {(a["kind"], a["column"]) for a in alerts}
    assert {("unique", "id"), ("zeros", "zeros"), ("numeric_code", "code")} <= found
    assert ("mixed_types", "price") not in found  # its dashes are placeholders, read as missing
    assert all(set(a) == {"dataset", "column", "columns", "kind", "message"} for a in alerts)
    log = client.get(f"/v1/jobs/{done['id']}/log").text
    assert "alert zeros: file.csv: 'zeros' is zero in 40 of its 60 values (67 %)" in log
    assert "column 'price': the value '-' (12×) was read as missing" in log
