"""A method a path does not take is a 405 whose ``Allow`` lists every method the document gives it."""

from __future__ import annotations

import httpx


def test_a_405_lists_every_method_of_the_path(client: httpx.Client) -> None:
    for method, path, allowed in [("OPTIONS", "/v1/jobs", "GET, POST"),
                                  ("PUT", "/v1/jobs/36797e8a-122a-406e-9981-0d29af9972b7", "DELETE, GET, PATCH"),
                                  ("DELETE", "/v1/maintenance", "GET, PUT")]:
        answer = client.request(method, path)
        assert answer.status_code == 405 and answer.headers["allow"] == allowed, (path, answer.headers)
        assert answer.json()["code"] == "method_not_allowed"


def test_bulk_is_not_a_job_id(client: httpx.Client) -> None:
    for method in ("GET", "PATCH", "DELETE"):
        answer = client.request(method, "/v1/jobs/bulk")
        assert answer.status_code == 405 and answer.headers["allow"] == "POST"


def test_integers_written_as_whole_floats_are_integers(client: httpx.Client) -> None:
    created = client.post("/v1/jobs", json={"process": "echo", "priority": -100.0, "timeout_s": 60.0})
    assert created.status_code == 201 and created.json()["priority"] == -100
    for bad in (5.5, "5", True):
        refused = client.post("/v1/jobs", json={"process": "echo", "priority": bad})
        assert refused.status_code == 422 and "integer" in refused.json()["detail"], bad


def test_an_empty_label_filter_filters_nothing(client: httpx.Client) -> None:
    job = client.post("/v1/jobs", json={"process": "echo"}).json()
    assert job["id"] in [j["id"] for j in client.get("/v1/jobs", params={"label": ""}).json()["results"]]
