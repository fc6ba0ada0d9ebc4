"""``GET /v1/jobs/{id}/log``: plain text by default, entries with ``Accept: application/json``, paged by
``offset``, ``level`` and ``limit``, over real HTTP against the real app and its workers."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from jobsmith import client as jobsmith_client
from jobsmith.config import Settings
from jobsmith.store import blobs, joblog
from tests.support import waiting

JSON = {"Accept": "application/json"}
TEXT_LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) ")


def entries(client: httpx.Client, job_id: str, **query: Any) -> dict[str, Any]:
    answer = client.get(f"/v1/jobs/{job_id}/log", params=query, headers=JSON)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    return answer.json()  # type: ignore[no-any-return]


def all_pages(client: httpx.Client, job_id: str, **query: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    offset: int | None = 0
    while offset is not None:
        page = entries(client, job_id, offset=offset, **query)
        found += page["entries"]
        offset = page["next_offset"]
    return found


@pytest.fixture
def failed_job(client: httpx.Client) -> str:
    job = client.post("/v1/jobs", json={"process": "test-steps", "parameters": {"fail": True, "lines": 5}}).json()
    assert waiting.final(client, job["id"])["state"] == "FAILED"
    return str(job["id"])


def test_the_log_as_entries_with_steps_levels_and_each_traceback_one_entry(client: httpx.Client,
                                                                          failed_job: str) -> None:
    page = entries(client, failed_job)
    found = page["entries"]
    assert page["next_offset"] is None  # the job is final and this is the end
    assert [e["seq"] for e in found] == list(range(len(found)))
    assert all(set(e) == {"seq", "time", "level", "step", "message"} for e in found)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", e["time"]) for e in found)
    by_message = {e["message"]: e for e in found}
    assert by_message["before any step"]["step"] is None
    assert by_message["line 4"]["step"] == "prepare" and by_message["line 4"]["level"] == "info"
    assert by_message["a warning in prepare"]["level"] == "warning"
    assert found[0]["message"].startswith("attempt 1 started on ") and found[0]["step"] is None
    assert found[-1]["message"] == "finished: FAILED (ValueError: work went wrong)"
    tracebacks = [e for e in found if "Traceback (most recent call last)" in e["message"]]
    assert len(tracebacks) == 2  # the handled one and the failure, each one entry of many lines
    handled, failure = tracebacks
    assert handled["message"].startswith("a handled error, logged with its traceback\nTraceback")
    assert handled["message"].rstrip().endswith("KeyError: 'missing'")
    assert handled["level"] == "error" and handled["step"] == "work"
    assert failure["message"].startswith("the process failed:\nTraceback") and failure["step"] == "work"
    assert failure["message"].rstrip().endswith("ValueError: work went wrong")
    assert not any(e["message"].startswith(("  File", "Traceback")) for e in found)


def test_paging_by_offset_level_and_limit(client: httpx.Client, failed_job: str) -> None:
    everything = entries(client, failed_job)["entries"]
    assert all_pages(client, failed_job, limit=2) == everything
    first = entries(client, failed_job, limit=3)
    assert [e["seq"] for e in first["entries"]] == [0, 1, 2] and first["next_offset"] == 3
    middle = entries(client, failed_job, offset=4, limit=2)
    assert middle["entries"] == everything[4:6] and middle["next_offset"] == 6
    warnings = all_pages(client, failed_job, level="warning", limit=1)
    assert warnings == [e for e in everything if e["level"] in ("warning", "error")]
    assert [e["level"] for e in warnings] == ["warning", "error", "error"]
    assert all_pages(client, failed_job, level="error") == [e for e in everything if e["level"] == "error"]
    assert all_pages(client, failed_job, level="ERROR") == all_pages(client, failed_job, level="error")
    assert all_pages(client, failed_job, level="warn") == warnings
    beyond = entries(client, failed_job, offset=10_000)
    assert beyond == {"entries": [], "next_offset": None}


def test_the_text_log_is_unchanged_and_pages_as_text_on_request(client: httpx.Client, failed_job: str) -> None:
    answer = client.get(f"/v1/jobs/{failed_job}/log")
    assert answer.status_code == 200 and answer.headers["content-type"] == "text/plain; charset=utf-8"
    text = answer.text
    assert "step prepare started" in text and "this line" not in text
    assert " INFO [jobsmith] attempt 1 started on " in text and "finished: FAILED (ValueError: work went wrong)" in text
    assert "ERROR the process failed:\nTraceback (most recent call last):\n" in text
    starts = [line for line in text.splitlines() if TEXT_LINE.match(line)]
    assert len(starts) == len(entries(client, failed_job)["entries"])
    for accept in ("text/plain", "*/*", "text/*", "application/json;q=0.5, text/plain"):
        assert client.get(f"/v1/jobs/{failed_job}/log", headers={"Accept": accept}).text == text
    assert client.get(f"/v1/jobs/{failed_job}/log", headers={"Accept": "text/plain;q=0.2, application/*"}
                      ).headers["content-type"] == "application/json"
    paged = client.get(f"/v1/jobs/{failed_job}/log", params={"level": "error"})
    assert paged.headers["content-type"].startswith("text/plain") and "Jobsmith-Next-Offset" not in paged.headers
    assert [line for line in paged.text.splitlines() if TEXT_LINE.match(line)] == [
        line for line in starts if " ERROR " in line]
    first = client.get(f"/v1/jobs/{failed_job}/log", params={"limit": 2})
    assert first.text.splitlines() == text.splitlines()[:2] and first.headers["Jobsmith-Next-Offset"] == "2"


@pytest.mark.parametrize("query", [{"offset": -1}, {"limit": 0}, {"limit": 10_001}, {"level": "verbose"},
                                   {"offset": "x"}, {"start": 2}, {"levle": "error"}])
def test_bad_or_unknown_query_parameters_are_a_422(client: httpx.Client, query: dict[str, Any]) -> None:
    job = client.post("/v1/jobs", json={"process": "test-files"}).json()
    for headers in ({}, JSON):
        answer = client.get(f"/v1/jobs/{job['id']}/log", params=query, headers=headers)
        assert answer.status_code == 422, (query, answer.text)
        assert set(answer.json()) >= {"detail", "code"}
        name = next(iter(query))
        assert name in answer.json()["detail"]


def test_a_job_without_log_lines_and_a_deleted_jobs_log(client: httpx.Client) -> None:
    job = client.post("/v1/jobs", json={"process": "test-files"}).json()
    assert entries(client, job["id"]) == {"entries": [], "next_offset": 0}  # not final: more may come
    assert client.get(f"/v1/jobs/{job['id']}/log").text == ""
    client.delete(f"/v1/jobs/{job['id']}")
    for headers in ({}, JSON):
        gone = client.get(f"/v1/jobs/{job['id']}/log", headers=headers)
        assert gone.status_code == 410 and gone.json()["code"] == "job_deleted"
    assert client.get("/v1/jobs/7d0c2f5e-3a55-4b0f-9f55-0f5c1b8a2e11/log", headers=JSON).status_code == 404


def test_a_long_log_pages_over_http_and_downloads_whole_as_text(client: httpx.Client, settings: Settings) -> None:
    job = client.post("/v1/jobs", json={"process": "test-files"}).json()
    path = blobs.BlobStore(settings.resolved_storage).log_path(job["id"])
    writer = joblog.Writer(path)
    for start in range(0, 200_000, 10_000):
        writer.append([joblog.line(f"entry {n}", level="error" if n == 199_999 else "info")
                       for n in range(start, start + 10_000)])
    writer.close()
    page = entries(client, job["id"], offset=123_456, limit=3)
    assert [(e["seq"], e["message"]) for e in page["entries"]] == [
        (123_456, "entry 123456"), (123_457, "entry 123457"), (123_458, "entry 123458")]
    assert page["next_offset"] == 123_459
    assert len(entries(client, job["id"], offset=1000, limit=10_000)["entries"]) == 10_000
    assert [e["seq"] for e in entries(client, job["id"], offset=190_000, level="error")["entries"]] == [199_999]
    with client.stream("GET", f"/v1/jobs/{job['id']}/log") as streamed:
        assert "content-length" not in streamed.headers  # streamed, not built in memory first
        lines = 0
        last = ""
        for line in streamed.iter_lines():
            lines, last = lines + 1, line or last
    assert lines == 200_000 and last.endswith(" ERROR entry 199999")


def test_the_dataspace_log_says_204_until_there_is_a_line(client: httpx.Client, settings: Settings) -> None:
    job = client.post("/v1/jobs", json={"process": "profile"}).json()
    assert client.get(f"/v1/dataspace/analysisjob/{job['id']}/log").status_code == 204
    blobs.BlobStore(settings.resolved_storage).append_log(job["id"], "a line about the job")
    answer = client.get(f"/v1/dataspace/analysisjob/{job['id']}/log")
    assert answer.status_code == 200 and answer.text.endswith(" INFO [jobsmith] a line about the job\n")
    assert answer.text == client.get(f"/v1/jobs/{job['id']}/log").text


def test_the_openapi_document_describes_both_media_types_and_the_query(client: httpx.Client) -> None:
    route = client.get("/openapi.json").json()["paths"]["/v1/jobs/{job_id}/log"]["get"]
    content = route["responses"]["200"]["content"]
    assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/LogPageView"}
    assert content["text/plain"]["example"].startswith("2026-01-01 12:00:00,120 INFO [jobsmith] attempt 1")
    query = {p["name"]: p for p in route["parameters"] if p["in"] == "query"}
    assert set(query) == {"offset", "level", "limit"}
    assert query["limit"]["schema"]["anyOf"][0]["maximum"] == 10_000
    assert query["level"]["schema"]["enum"] == ["debug", "info", "warning", "error", "critical"] and query["level"]["examples"]["problems only"]["value"] == "warning"
    assert {"410", "422"} <= set(route["responses"])


def test_the_python_client_pages_the_log(client: httpx.Client, failed_job: str) -> None:
    with jobsmith_client.Client(str(client.base_url)) as api:
        first = api.log_entries(failed_job, limit=2)
        assert [e["seq"] for e in first["entries"]] == [0, 1] and first["next_offset"] == 2
        errors = api.log_entries(failed_job, level="error")
        assert [e["level"] for e in errors["entries"]] == ["error", "error"] and errors["next_offset"] is None
