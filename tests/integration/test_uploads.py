"""Uploads over real HTTP: a request either fills the inputs it names or changes nothing.

Every refusal here is checked as a user sees it (status, code, reason) and by what it left: the
job's state, its inputs, its history, and no file in its inputs directory.
"""

from __future__ import annotations

import base64
import hashlib
import urllib.parse
from typing import Any

import httpx
import pytest

from jobsmith.config import Settings
from tests.support import waiting

NAME_LIMIT_BYTES = 255  # one path component on Linux file systems (ext4, xfs, btrfs)


def create(client: httpx.Client, process: str) -> str:
    response = client.post("/v1/jobs", json={"process": process})
    assert response.status_code == 201, response.text
    assert response.json()["state"] == "WAITING_FOR_DATA"
    return str(response.json()["id"])


def view(client: httpx.Client, job_id: str) -> dict[str, Any]:
    body: dict[str, Any] = client.get(f"/v1/jobs/{job_id}").json()
    return body


def assert_unchanged(client: httpx.Client, settings: Settings, job_id: str) -> None:
    """The job as it was created: waiting, no input, never queued, no file on disk."""
    job = view(client, job_id)
    assert job["state"] == "WAITING_FOR_DATA" and job["inputs"] == []
    history = client.get(f"/v1/jobs/{job_id}/history").json()
    assert [(h["from"], h["to"]) for h in history] == [(None, "WAITING_FOR_DATA")]
    inputs_dir = settings.resolved_storage / "jobs" / job_id / "inputs"
    assert not inputs_dir.exists() or list(inputs_dir.iterdir()) == []


def post_files(client: httpx.Client, job_id: str, *files: tuple[str, bytes], query: str = "",
               headers: dict[str, str] | None = None) -> httpx.Response:
    parts = [("file", (name, content, "text/csv")) for name, content in files]
    return client.post(f"/v1/jobs/{job_id}/inputs{query}", files=parts, headers=headers)


# -- 1. a multipart upload verifies the client's checksum, as the raw upload does --------------------

@pytest.mark.parametrize("header", [
    {"X-Checksum-SHA256": "0" * 64},
    {"Digest": "sha-256=" + base64.b64encode(hashlib.sha256(b"something else").digest()).decode()},
])
def test_a_multipart_upload_with_a_wrong_checksum_is_refused(client: httpx.Client, settings: Settings,
                                                             header: dict[str, str]) -> None:
    job_id = create(client, "inspect")
    refused = post_files(client, job_id, ("a.csv", b"a\n1\n"), headers=header)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "checksum_mismatch"
    assert hashlib.sha256(b"a\n1\n").hexdigest() in refused.json()["detail"]
    assert_unchanged(client, settings, job_id)


def test_a_multipart_upload_with_the_right_checksum_is_accepted(client: httpx.Client) -> None:
    job_id = create(client, "inspect")
    digest = base64.b64encode(hashlib.sha256(b"a\n1\n").digest()).decode()
    accepted = post_files(client, job_id, ("a.csv", b"a\n1\n"), headers={"Digest": f"sha-256={digest}"})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["state"] == "QUEUED"
    assert accepted.json()["inputs"][0]["sha256"] == hashlib.sha256(b"a\n1\n").hexdigest()
    assert waiting.final(client, job_id)["state"] == "COMPLETED"


def test_one_checksum_for_several_files_is_refused_before_anything_is_stored(
        client: httpx.Client, settings: Settings) -> None:
    job_id = create(client, "test-files")
    checksum = hashlib.sha256(b"left").hexdigest()  # right for the first file: still not meaningful
    refused = post_files(client, job_id, ("l.txt", b"left"), ("r.txt", b"right"),
                         headers={"X-Checksum-SHA256": checksum})
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "ambiguous_checksum"
    assert "2 files" in refused.json()["detail"]
    assert_unchanged(client, settings, job_id)


# -- 2. every file of a request is checked before any is recorded ------------------------------------

def test_more_files_than_a_single_file_input_takes_change_nothing(client: httpx.Client, settings: Settings) -> None:
    job_id = create(client, "inspect")
    refused = post_files(client, job_id, ("a.csv", b"a\n1\n"), ("b.csv", b"b\n2\n"))
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "too_many_files"
    assert "'files' takes one file" in refused.json()["detail"]
    assert_unchanged(client, settings, job_id)
    one = post_files(client, job_id, ("a.csv", b"a\n1\n"))  # the job still takes its one file
    assert one.status_code == 200 and one.json()["state"] == "QUEUED"


def test_a_bad_later_file_leaves_the_earlier_ones_unrecorded(client: httpx.Client, settings: Settings) -> None:
    job_id = create(client, "test-files")
    empty_second = post_files(client, job_id, ("l.txt", b"left"), ("r.txt", b""))
    assert empty_second.status_code == 422 and empty_second.json()["code"] == "empty_upload"
    assert "r.txt" in empty_second.json()["detail"]
    nameless_second = post_files(client, job_id, ("l.txt", b"left"), ("...", b"right"))
    assert nameless_second.status_code == 422 and nameless_second.json()["code"] == "bad_filename"
    three = post_files(client, job_id, ("l.txt", b"1"), ("r.txt", b"2"), ("x.txt", b"3"))
    assert three.status_code == 422 and three.json()["code"] == "too_many_files"
    both_for_left = post_files(client, job_id, ("l.txt", b"1"), ("r.txt", b"2"), query="?input=left")
    assert both_for_left.status_code == 422 and both_for_left.json()["code"] == "too_many_files"
    twice = create(client, "test-many")
    same_name = post_files(client, twice, ("a.csv", b"1"), ("a.csv", b"2"))
    assert same_name.status_code == 422 and same_name.json()["code"] == "duplicate_filename"
    for refused_job in (job_id, twice):
        assert_unchanged(client, settings, refused_job)


def test_a_request_filling_every_input_queues_the_job_once_with_all_its_files(client: httpx.Client) -> None:
    job_id = create(client, "test-files")
    both = post_files(client, job_id, ("l.txt", b"hello "), ("r.txt", b"world"))
    assert both.status_code == 200, both.text
    assert both.json()["state"] == "QUEUED"
    assert [(i["input"], i["name"]) for i in both.json()["inputs"]] == [("left", "l.txt"), ("right", "r.txt")]
    assert waiting.final(client, job_id)["state"] == "COMPLETED"
    assert client.get(f"/v1/jobs/{job_id}/results/both.txt").content == b"hello world"


def test_a_second_file_for_a_filled_single_file_input_is_refused(client: httpx.Client) -> None:
    job_id = create(client, "test-files")
    assert client.put(f"/v1/jobs/{job_id}/inputs/a.txt?input=left", content=b"a").status_code == 200
    second = client.put(f"/v1/jobs/{job_id}/inputs/b.txt?input=left", content=b"b")
    assert second.status_code == 422 and second.json()["code"] == "too_many_files"
    assert "a.txt" in second.json()["detail"]
    job = view(client, job_id)
    assert job["state"] == "WAITING_FOR_DATA"
    assert [(i["input"], i["name"]) for i in job["inputs"]] == [("left", "a.txt")]
    replaced = client.put(f"/v1/jobs/{job_id}/inputs/a.txt?input=left", content=b"again")
    assert replaced.status_code == 200 and [i["size"] for i in replaced.json()["inputs"]] == [5]


# -- 3. a long file name is shortened to fit the file system, never a 500 ---------------------------

def test_a_long_non_ascii_name_is_shortened_keeping_its_extension(client: httpx.Client) -> None:
    job_id = create(client, "test-many")
    raw = client.put(f"/v1/jobs/{job_id}/inputs/{'%C3%A9' * 200}", content=b"raw")
    assert raw.status_code == 200, raw.text
    form = post_files(client, job_id, ("é" * 200 + ".csv", b"form"))
    assert form.status_code == 200, form.text
    other = post_files(client, job_id, ("é" * 200 + "-other.csv", b"other"))  # same first 200 letters
    assert other.status_code == 200, other.text
    names = [i["name"] for i in other.json()["inputs"]]
    assert len(set(names)) == 3  # three files, none replaced another
    assert all(len(name.encode()) <= NAME_LIMIT_BYTES and name.startswith("é" * 50) for name in names)
    assert sum(name.endswith(".csv") for name in names) == 2
    again = post_files(client, job_id, ("é" * 200 + ".csv", b"form again"))  # the same long name replaces
    assert len(again.json()["inputs"]) == 3
    stored = {i["size"]: i["name"] for i in again.json()["inputs"]}
    download = client.get(f"/v1/jobs/{job_id}/inputs/{urllib.parse.quote(stored[10])}")
    assert download.status_code == 200 and download.content == b"form again"
