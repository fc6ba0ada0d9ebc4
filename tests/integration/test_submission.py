"""``jobsmith.submit()`` from a script: against a server over HTTP, and against a service the
application embeds (no HTTP). The handle behaves the same way on both."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator

import httpx
import pytest

import jobsmith
from jobsmith.client import JobsmithClientError
from jobsmith.config import Settings
from jobsmith.domain import errors


@pytest.fixture
def embedded(settings: Settings) -> Iterator[jobsmith.EmbeddedService]:
    with jobsmith.EmbeddedService(settings) as service:
        yield service


def write(directory: pathlib.Path, name: str, text: str) -> pathlib.Path:
    path = directory / name
    path.write_text(text)
    return path


def test_submit_to_a_server_uploads_queues_and_hands_back_the_results(client: httpx.Client,
                                                                       tmp_path: pathlib.Path) -> None:
    left, right = write(tmp_path, "l.txt", "left\n"), write(tmp_path, "r.txt", "right\n")
    job = jobsmith.submit("test-files", {"left": left, "right": right}, labels={"run": "script"},
                          url=str(client.base_url))
    assert job.wait(timeout=60)["state"] == "COMPLETED"
    assert {r["path"] for r in job.results()} == {"both.txt", "nested/count.txt"}
    written = job.download(tmp_path / "out")
    assert (tmp_path / "out" / "both.txt").read_text() == "left\nright\n" and len(written) == 2
    assert "concatenate" in job.log()
    assert client.get(f"/v1/jobs/{job.id}").json()["labels"] == {"run": "script"}


def test_a_process_taking_many_files_is_queued_after_its_uploads(client: httpx.Client, tmp_path: pathlib.Path) -> None:
    files = [write(tmp_path, f"{n}.txt", str(n)) for n in range(3)]
    job = jobsmith.submit("test-many", files, url=str(client.base_url))
    assert job.state != "WAITING_FOR_DATA"  # queued by submit() once every file was up
    job.wait(timeout=60)
    job.download(tmp_path / "out")
    assert (tmp_path / "out" / "names.txt").read_text().split() == ["0.txt", "1.txt", "2.txt"]


def test_a_refusal_and_a_failure_say_why(client: httpx.Client, tmp_path: pathlib.Path) -> None:
    with pytest.raises(JobsmithClientError) as refused:
        jobsmith.submit("no-such-process", url=str(client.base_url))
    assert refused.value.status == 422 and refused.value.code == "unknown_process"
    failing = jobsmith.submit("test-fail", url=str(client.base_url))
    assert failing.wait(timeout=60)["state"] == "FAILED"
    with pytest.raises(jobsmith.JobNotCompleted, match="FAILED"):
        failing.results()
    before = len(client.get("/v1/jobs").json()["results"])
    with pytest.raises(FileNotFoundError):
        jobsmith.submit("inspect", [tmp_path / "missing.csv"], url=str(client.base_url))
    assert len(client.get("/v1/jobs").json()["results"]) == before  # nothing was created


def test_an_embedded_service_runs_jobs_without_http(embedded: jobsmith.EmbeddedService,
                                                    tmp_path: pathlib.Path) -> None:
    data = write(tmp_path, "cities.csv", "city,people\nBonn,330000\nKiel,250000\n")
    job = jobsmith.submit("inspect", [data], service=embedded, metadata={"source": "app"})
    assert job.wait(timeout=60)["state"] == "COMPLETED"
    assert [r["path"] for r in job.results()] == ["inspect.json"]
    assert job.download(tmp_path / "out") == [tmp_path / "out" / "inspect.json"]
    assert "cities.csv" in (tmp_path / "out" / "inspect.json").read_text()
    assert job.view["metadata"] == {"source": "app"} and job.view["inputs"][0]["name"] == "cities.csv"


def test_an_embedded_job_can_be_cancelled_and_refusals_are_the_services(embedded: jobsmith.EmbeddedService) -> None:
    job = jobsmith.submit("sleep", parameters={"seconds": 30}, service=embedded)
    assert job.cancel()["state"] in {"CANCELLED", "CANCELLATION_REQUESTED"}
    assert job.wait(timeout=60)["state"] == "CANCELLED"
    with pytest.raises(errors.Invalid, match="unknown process"):
        jobsmith.submit("no-such-process", service=embedded)
