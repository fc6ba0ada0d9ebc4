"""What clients send at the edges of the contract: every refusal a 4xx, nothing stored that cannot be read.

Each test runs on SQLite and on PostgreSQL (the ``client`` fixture).
"""

from __future__ import annotations

import base64
import json

import httpx

from tests.support import waiting


def post_raw(client: httpx.Client, path: str, body: str) -> httpx.Response:
    """A JSON body sent as written: escapes such as ``\\ud800`` reach the server untouched."""
    return client.post(path, content=body.encode(), headers={"Content-Type": "application/json"})


def test_text_and_numbers_that_cannot_be_stored_are_refused_and_lists_keep_working(client: httpx.Client) -> None:
    for body in (r'{"process": "test-files", "labels": {"\ud800": "x"}}',
                 r'{"process": "test-files", "metadata": {"k": ["fine", "\udfff"]}}',
                 r'{"process": "test-files", "labels": {"k": "a\u0000b"}}',
                 '{"process": "test-files", "parameters": {"n": NaN}}',
                 '{"process": "test-files", "metadata": {"n": -Infinity}}'):
        refused = post_raw(client, "/v1/jobs", body)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.json()["code"] == "invalid"
    kept = post_raw(client, "/v1/jobs", r'{"process": "test-files", "labels": {"mood": "\ud83d\ude00"}}')
    assert kept.status_code == 201 and kept.json()["labels"] == {"mood": "\U0001F600"}  # a pair is one character
    job_id = kept.json()["id"]
    patched = client.patch(f"/v1/jobs/{job_id}", content=rb'{"labels": {"\ud800": "x"}}',
                           headers={"Content-Type": "application/json"})
    assert patched.status_code == 422, patched.text
    assert client.get(f"/v1/jobs/{job_id}").json()["labels"] == {"mood": "\U0001F600"}
    listed = client.get("/v1/jobs")
    assert listed.status_code == 200 and [j["id"] for j in listed.json()["results"]] == [job_id]


def test_labels_with_any_characters_can_be_filtered_on(client: httpx.Client) -> None:
    keys = ['say "hi"', "back\\slash", "Straße", "a.b[0]", "ünïcode ✓"]
    made = {key: post_raw(client, "/v1/jobs", json.dumps({"process": "test-files", "labels": {key: "v ä"}}))
            .json()["id"] for key in keys}
    for key, job_id in made.items():
        found = client.get("/v1/jobs", params={"label": f"{key}:v ä"})
        assert found.status_code == 200, found.text
        assert [j["id"] for j in found.json()["results"]] == [job_id], key
    assert client.get("/v1/jobs", params={"label": "Straße:other"}).json()["results"] == []


def test_filters_and_cursors_out_of_range_are_422(client: httpx.Client) -> None:
    for params in ({"label": "k\x00:v"}, {"process": "a\x00"},
                   {"created_after": "0001-01-01T00:00:00+14:00"}, {"created_before": "9999-12-31T23:59:59-14:00"}):
        answer = client.get("/v1/jobs", params=params)
        assert answer.status_code == 422, (params, answer.text)
        assert answer.json()["detail"]
    for position in (10**30, -1, 1e30):
        cursor = base64.urlsafe_b64encode(json.dumps({"d": "n", "s": position}).encode()).decode().rstrip("=")
        answer = client.get("/v1/jobs", params={"cursor": cursor})
        assert answer.status_code == 422 and answer.json()["code"] == "bad_cursor", (position, answer.text)
    assert client.get("/healthz").status_code == 200  # the connection and the server are fine afterwards


def test_bodies_that_do_not_parse_are_422(client: httpx.Client) -> None:
    not_utf8 = client.post("/v1/jobs", content=b'{"process": "\xff\xfe"}', headers={"Content-Type": "application/json"})
    assert not_utf8.status_code == 422 and not_utf8.json()["code"] in ("invalid", "invalid_body"), not_utf8.text
    deep = client.post("/v1/jobs", content=b"[" * 5000 + b"]" * 5000, headers={"Content-Type": "application/json"})
    assert deep.status_code == 422, deep.text


def test_result_files_answer_conditional_head_and_range_requests(client: httpx.Client) -> None:
    job_id = client.post("/v1/jobs", json={"process": "test-files"}).json()["id"]
    client.put(f"/v1/jobs/{job_id}/inputs/left.txt", content=b"hello ")
    client.put(f"/v1/jobs/{job_id}/inputs/right.txt", content=b"world")
    assert waiting.final(client, job_id)["state"] == "COMPLETED"
    url = f"/v1/jobs/{job_id}/results/both.txt"
    whole = client.get(url)
    etag, modified = whole.headers["etag"], whole.headers["last-modified"]
    for headers in ({"If-None-Match": etag}, {"If-None-Match": f'"other", W/{etag}'}, {"If-None-Match": "*"},
                    {"If-Modified-Since": modified}):
        same = client.get(url, headers=headers)
        assert same.status_code == 304 and same.content == b"" and same.headers["etag"] == etag, headers
    assert client.get(url, headers={"If-None-Match": '"other"'}).content == b"hello world"
    assert client.get(url, headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status_code == 200
    head = client.head(url)
    assert head.status_code == 200 and head.content == b"" and head.headers["content-length"] == "11"
    assert client.head(f"/v1/jobs/{job_id}/results").status_code == 200
    assert client.head(f"/v1/jobs/{job_id}/inputs/left.txt").headers["etag"]
    assert client.head("/healthz").status_code == 200
    for malformed in ("bytes=5-2", "garbage", "items=0-1"):  # ignored, as RFC 9110 says: the whole file
        ignored = client.get(url, headers={"Range": malformed})
        assert ignored.status_code == 200 and ignored.content == b"hello world", malformed
    beyond = client.get(url, headers={"Range": "bytes=100-200"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == "bytes */11"
    assert beyond.json()["code"] == "range_not_satisfiable"


def test_the_openapi_document_names_headers_and_answers(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    upload = spec["paths"]["/v1/jobs/{job_id}/inputs/{filename}"]["put"]
    assert {"Digest", "X-Checksum-SHA256"} <= {p["name"] for p in upload["parameters"] if p["in"] == "header"}
    assert "Location" in spec["paths"]["/v1/jobs"]["post"]["responses"]["201"]["headers"]
    assert {"206", "304", "416"} <= set(spec["paths"]["/v1/jobs/{job_id}/results/{path}"]["get"]["responses"])
    assert set(spec["components"]["securitySchemes"]) == {"bearer", "apiKey"}
