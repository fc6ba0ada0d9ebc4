"""The visualization processes over real HTTP: a SigMF pair uploaded as two files and queued, an archive,
a table; and unusable input ending FAILED with its sentence as the user reads it."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import httpx

from tests.support import signals, waiting

RATE = 2_000_000.0
TONE = -250_000.0
CENTER = 915e6


def create(client: httpx.Client, process: str, **parameters: Any) -> str:
    response = client.post("/v1/jobs", json={"process": process, "parameters": parameters})
    assert response.status_code == 201, response.text
    assert response.json()["state"] == "WAITING_FOR_DATA"
    return str(response.json()["id"])


def upload(client: httpx.Client, job_id: str, name: str, content: bytes) -> dict[str, Any]:
    response = client.put(f"/v1/jobs/{job_id}/inputs/{name}?input=recording", content=content)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_pair_uploaded_as_two_files_then_queued_draws_its_tone(client: httpx.Client) -> None:
    job_id = create(client, "spectrogram", fft_size=512)
    meta = json.dumps(signals.metadata("ci16_be", RATE, CENTER)).encode()
    assert upload(client, job_id, "capture.sigmf-meta", meta)["state"] == "WAITING_FOR_DATA"
    data = signals.tone("ci16_be", TONE, RATE, 200_000)
    assert upload(client, job_id, "capture.sigmf-data", data)["state"] == "WAITING_FOR_DATA"  # more may come
    queued = client.post(f"/v1/jobs/{job_id}/queue")
    assert queued.status_code == 202, queued.text
    done = waiting.final(client, job_id, timeout=60)
    assert done["state"] == "COMPLETED", done
    assert [s["name"] for s in done["steps"]] == ["read recording", "spectra", "draw"]
    assert {r["path"] for r in done["results"]} == {"spectrogram.png", "spectrogram.json"}
    document = client.get(f"/v1/jobs/{job_id}/results/spectrogram.json").json()
    assert abs(document["peak_frequency_hz"] - (CENTER + TONE)) <= RATE / 512
    png = client.get(f"/v1/jobs/{job_id}/results/spectrogram.png")
    assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG")


def test_an_archive_is_one_upload_then_queued(client: httpx.Client, tmp_path: Any) -> None:
    job_id = create(client, "waterfall", max_slices=64)
    archive = signals.write_archive(tmp_path / "capture.sigmf", "capture", signals.metadata("cu8", RATE),
                                    signals.tone("cu8", TONE, RATE, 100_000))
    uploaded = client.put(f"/v1/jobs/{job_id}/inputs/capture.sigmf", content=archive.read_bytes())  # the only input
    assert uploaded.status_code == 200 and uploaded.json()["state"] == "WAITING_FOR_DATA"
    assert client.post(f"/v1/jobs/{job_id}/queue").status_code == 202
    done = waiting.final(client, job_id, timeout=60)
    assert done["state"] == "COMPLETED", done
    zipped = zipfile.ZipFile(io.BytesIO(client.get(f"/v1/jobs/{job_id}/results").content))
    document = json.loads(zipped.read("waterfall.json"))
    assert abs(document["peak_frequency_hz"] - TONE) <= RATE / 1024
    assert len(document["power_db"]) <= 64 and len(document["mean_power_db"]) == 1024


def test_a_recording_without_a_sample_rate_fails_with_the_reason(client: httpx.Client) -> None:
    job_id = create(client, "spectrogram")
    upload(client, job_id, "capture.sigmf-meta", json.dumps(signals.metadata("cf32_le", None)).encode())
    upload(client, job_id, "capture.sigmf-data", signals.tone("cf32_le", TONE, RATE, 4096))
    assert client.post(f"/v1/jobs/{job_id}/queue").status_code == 202
    done = waiting.final(client, job_id, timeout=60)
    assert done["state"] == "FAILED"
    assert done["state_detail"] == ("capture.sigmf-meta gives no core:sample_rate, so its time and frequency "
                                    "axes are unknown")
    assert done["steps"][0]["name"] == "read recording" and done["steps"][0]["state"] == "failure"
    assert done["results"] == []


def test_a_data_file_shorter_than_its_metadata_fails_with_the_reason(client: httpx.Client) -> None:
    job_id = create(client, "waterfall")
    meta = signals.metadata("ci8", RATE, annotations=[{"core:sample_start": 0, "core:sample_count": 10_000}])
    upload(client, job_id, "c.sigmf-meta", json.dumps(meta).encode())
    upload(client, job_id, "c.sigmf-data", signals.tone("ci8", TONE, RATE, 5_000))
    client.post(f"/v1/jobs/{job_id}/queue")
    done = waiting.final(client, job_id, timeout=60)
    assert done["state"] == "FAILED"
    assert done["state_detail"].endswith("the data file is shorter than its metadata says")


def test_queueing_a_recording_job_without_files_is_refused(client: httpx.Client) -> None:
    job_id = create(client, "spectrogram")
    refused = client.post(f"/v1/jobs/{job_id}/queue")
    assert refused.status_code == 409 and refused.json()["code"]


def test_a_table_upload_queues_a_heatmap_and_a_text_column_fails_it(client: httpx.Client) -> None:
    job_id = create(client, "heatmap", x="a", y="b", bins=4)
    table = b"a,b,c\n" + b"".join(f"{i % 7},{i % 5},t{i}\n".encode() for i in range(200))
    assert client.put(f"/v1/jobs/{job_id}/inputs/t.csv", content=table).json()["state"] == "QUEUED"
    done = waiting.final(client, job_id, timeout=60)
    assert done["state"] == "COMPLETED", done
    cells = client.get(f"/v1/jobs/{job_id}/results/heatmap.json").json()["cells"]
    assert sum(map(sum, cells)) == 200
    failing = create(client, "scatterplot", x="a", y="c")
    client.put(f"/v1/jobs/{failing}/inputs/t.csv", content=table)
    failed = waiting.final(client, failing, timeout=60)
    assert failed["state"] == "FAILED"
    assert failed["state_detail"] == ("column 'c' of t.csv is not numeric (it holds varchar values), so it "
                                      "cannot be the y")


def test_bad_parameters_are_a_422_naming_them(client: httpx.Client) -> None:
    for parameters, named in (({"window": "square"}, "window"), ({"db_min": 0, "db_max": -10}, "db_min (0.0) must "
                              "be below db_max (-10.0)"), ({"fft_size": 65536, "max_slices": 500}, "fft_size × max_slices")):
        response = client.post("/v1/jobs", json={"process": "spectrogram", "parameters": parameters})
        assert response.status_code == 422
        assert response.json()["code"] == "invalid_parameters" and named in response.json()["detail"]
