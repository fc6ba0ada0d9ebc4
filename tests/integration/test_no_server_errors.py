"""Whatever a client sends, the answer is not a 500, and what was accepted can be read back.

Generated requests (hypothesis) against the live app: JSON bodies for create and PATCH, written as
raw text so that escapes a JSON library would never produce (lone surrogates, NUL, NaN, deep
nesting) reach the server; and query strings for the job list.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Text with the characters that break things: controls, NUL, quotes, non-ASCII, and escapes of lone
# surrogates spliced in after encoding.
_odd_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ["", "\x00", "a:b", '"', "\\", "ä", "../x", "\U0001F600", " ", "null", "1e309"])
_json_leaf: st.SearchStrategy[Any] = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
                                      | st.floats(allow_nan=False, allow_infinity=False) | _odd_text)
_json_value = st.recursive(_json_leaf, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(_odd_text, inner, max_size=3), max_leaves=8)
_raw_extras = st.sampled_from(['"\\ud800"', '"\\udfff x"', '"a\\u0000b"', "NaN", "-Infinity", "1e400",
                               "[" * 600 + "]" * 600])


@st.composite
def _create_body(draw: st.DrawFn) -> str:
    """A create body as text: mostly plausible fields with odd values, sometimes a raw oddity spliced in."""
    body: dict[str, Any] = {"process": draw(st.sampled_from(["test-files", "sleep", "echo", "nope", ""]))}
    for field in draw(st.sets(st.sampled_from(["parameters", "metadata", "labels", "target", "description",
                                               "priority", "timeout_s", "max_retries", "inputs", "unknown"]))):
        body[field] = draw(_json_value)
    text = json.dumps(body)
    if draw(st.booleans()):
        text = text[:-1] + f', "metadata": {{"odd": {draw(_raw_extras)}}}}}'
    return text


def _assert_readable(client: httpx.Client, answer: httpx.Response) -> None:
    assert answer.status_code < 500, answer.text
    if answer.status_code == 201:
        job_id = answer.json()["id"]
        assert client.get(f"/v1/jobs/{job_id}").status_code == 200
        assert client.get("/v1/jobs", params={"limit": 5}).status_code == 200


@FUZZ
@given(body=_create_body())
def test_creates_never_answer_500_and_accepted_jobs_stay_readable(client: httpx.Client, body: str) -> None:
    answer = client.post("/v1/jobs", content=body.encode("utf-8", "surrogatepass"),
                         headers={"Content-Type": "application/json"})
    _assert_readable(client, answer)


@FUZZ
@given(patch=st.dictionaries(st.sampled_from(["labels", "description", "priority", "other"]), _json_value, max_size=3),
       oddity=st.none() | _raw_extras)
def test_patches_never_answer_500(client: httpx.Client, patch: dict[str, Any], oddity: str | None) -> None:
    job_id = client.post("/v1/jobs", json={"process": "test-files"}).json()["id"]
    text = json.dumps(patch) if oddity is None else json.dumps(patch)[:-1] + \
        f'{", " if patch else ""}"labels": {{"k": {oddity}}}}}'
    answer = client.patch(f"/v1/jobs/{job_id}", content=text.encode(), headers={"Content-Type": "application/json"})
    assert answer.status_code < 500, answer.text
    assert client.get(f"/v1/jobs/{job_id}").status_code == 200
    assert client.get("/v1/jobs").status_code == 200


@FUZZ
@given(params=st.dictionaries(st.sampled_from(["state", "process", "target", "owner", "label", "active", "limit",
                                               "cursor", "fields", "created_after", "created_before"]),
                              _odd_text | st.integers().map(str), max_size=4))
def test_job_lists_never_answer_500(client: httpx.Client, params: dict[str, str]) -> None:
    answer = client.get("/v1/jobs", params=params)
    assert answer.status_code < 500, (params, answer.text)


@FUZZ
@given(name=st.text(alphabet=st.characters(codec="utf-8", exclude_characters="/?#"), min_size=1, max_size=300))
def test_uploads_under_any_file_name_never_answer_500(client: httpx.Client, name: str) -> None:
    job_id = client.post("/v1/jobs", json={"process": "test-files"}).json()["id"]
    answer = client.put(f"/v1/jobs/{job_id}/inputs/{quote(name, safe='')}", content=b"data")
    assert answer.status_code < 500, (name, answer.text)
    if answer.status_code == 200:
        (stored,) = answer.json()["inputs"]
        assert client.get(f"/v1/jobs/{job_id}/inputs/{quote(stored['name'], safe='')}").content == b"data"


@FUZZ
@given(metadata=st.dictionaries(st.sampled_from(["name", "assetRefs", "description", "tags", "other"]), _json_value,
                                max_size=4))
def test_dataspace_creates_never_answer_500(client: httpx.Client, metadata: dict[str, Any]) -> None:
    answer = client.post("/v1/dataspace/analysisjob", json={"user_provided_edp_data": metadata})
    assert answer.status_code < 500, (metadata, answer.text)
