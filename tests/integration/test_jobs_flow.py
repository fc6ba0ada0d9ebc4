"""The native job flow over real HTTP against the real app and its worker processes."""

from __future__ import annotations

import base64
import hashlib
import io
import time
import uuid
import zipfile

import httpx

from jobsmith.config import Settings
from tests.support import waiting


def create(client: httpx.Client, process: str = "test-files", **body: object) -> dict[str, object]:
    response = client.post("/v1/jobs", json={"process": process, **body})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_upload_queue_run_and_download(client: httpx.Client) -> None:
    job = create(client, labels={"project": "demo"}, description="two files")
    assert job["state"] == "WAITING_FOR_DATA"
    job_id = str(job["id"])
    left = client.put(f"/v1/jobs/{job_id}/inputs/left.txt", content=b"hello ")
    assert left.status_code == 200 and left.json()["state"] == "WAITING_FOR_DATA"
    right = client.put(f"/v1/jobs/{job_id}/inputs/right.txt", content=b"world",
                       headers={"X-Checksum-SHA256": hashlib.sha256(b"world").hexdigest()})
    assert right.json()["state"] == "QUEUED"  # the last required input queues it
    assert [i["input"] for i in right.json()["inputs"]] == ["left", "right"]
    done = waiting.final(client, job_id)
    assert done["state"] == "COMPLETED", done
    assert done["attempts"] == 1 and done["progress"] == 1.0
    assert [s["state"] for s in done["steps"]] == ["success"]
    assert {r["path"] for r in done["results"]} == {"both.txt", "nested/count.txt"}
    both = client.get(f"/v1/jobs/{job_id}/results/both.txt")
    assert both.content == b"hello world"
    assert both.headers["etag"] == f'"{hashlib.sha256(b"hello world").hexdigest()}"'
    partial = client.get(f"/v1/jobs/{job_id}/results/both.txt", headers={"Range": "bytes=6-10"})
    assert partial.status_code == 206 and partial.content == b"world"
    assert both.headers["content-length"] == "11" and both.headers["accept-ranges"] == "bytes"
    assert both.headers["last-modified"] and both.headers["content-type"].startswith("text/plain")
    zipped = client.get(f"/v1/jobs/{job_id}/results")
    assert zipped.headers["content-type"] == "application/zip"
    assert zipped.headers["content-disposition"] == f'attachment; filename="{job_id}-results.zip"'
    assert zipped.headers["content-length"] == str(len(zipped.content))
    archive = zipfile.ZipFile(io.BytesIO(zipped.content))
    assert sorted(archive.namelist()) == ["both.txt", "nested/count.txt"]
    assert archive.read("both.txt") == b"hello world"
    manifest = {r["path"]: r for r in done["results"]}
    assert manifest["both.txt"]["size"] == 11
    assert manifest["both.txt"]["sha256"] == hashlib.sha256(b"hello world").hexdigest()
    assert client.get(f"/v1/jobs/{job_id}/inputs/left.txt").content == b"hello "
    log = client.get(f"/v1/jobs/{job_id}/log")
    assert "step concatenate started" in log.text and "finished: COMPLETED" in log.text
    history = client.get(f"/v1/jobs/{job_id}/history").json()
    assert [(h["from"], h["to"]) for h in history] == [
        (None, "WAITING_FOR_DATA"), ("WAITING_FOR_DATA", "QUEUED"), ("QUEUED", "PROCESSING"),
        ("PROCESSING", "COMPLETED")]
    assert all(h["time"].endswith("Z") for h in history)


def test_a_process_without_files_is_queued_at_creation_and_runs(client: httpx.Client) -> None:
    job = create(client, "test-retryable")
    assert job["state"] == "QUEUED"
    done = waiting.final(client, str(job["id"]))
    assert done["state"] == "COMPLETED" and done["attempts"] == 2  # retryable error, retried once
    history = client.get(f"/v1/jobs/{job['id']}/history").json()
    assert any("a flaky dependency did not answer; retrying" in (h["reason"] or "") for h in history)


def test_a_failing_process_fails_the_job_with_its_reason_and_traceback_in_the_log(client: httpx.Client) -> None:
    job = create(client, "test-fail")
    done = waiting.final(client, str(job["id"]))
    assert done["state"] == "FAILED"
    assert done["state_detail"] == "ValueError: the data is not what this process expects"
    assert done["steps"][0]["state"] == "failure"
    log = client.get(f"/v1/jobs/{job['id']}/log").text
    assert "this line is in the log before the failure" in log and "Traceback" in log
    assert client.get(f"/v1/jobs/{job['id']}/results").status_code == 409


def test_a_crashing_process_fails_the_job_saying_how_it_died(client: httpx.Client) -> None:
    job = create(client, "test-crash")
    done = waiting.final(client, str(job["id"]))
    assert done["state"] == "FAILED"
    assert "killed by SIGKILL" in done["state_detail"]


def test_multipart_upload_and_digest_header(client: httpx.Client) -> None:
    job_id = str(create(client)["id"])
    digest = base64.b64encode(hashlib.sha256(b"abc").digest()).decode()
    ok = client.put(f"/v1/jobs/{job_id}/inputs/a.txt?input=left", content=b"abc",
                    headers={"Digest": f"sha-256={digest}"})
    assert ok.status_code == 200
    form = client.post(f"/v1/jobs/{job_id}/inputs", files=[("file", ("b.txt", b"def", "text/plain"))])
    assert form.status_code == 200 and form.json()["state"] == "QUEUED"
    assert waiting.final(client, job_id)["state"] == "COMPLETED"
    assert client.get(f"/v1/jobs/{job_id}/results/both.txt").content == b"abcdef"


def test_uploading_the_same_name_again_replaces_the_file(client: httpx.Client) -> None:
    job_id = str(create(client)["id"])
    client.put(f"/v1/jobs/{job_id}/inputs/a.txt", content=b"first")
    again = client.put(f"/v1/jobs/{job_id}/inputs/a.txt?input=left", content=b"second")
    assert [(i["name"], i["size"]) for i in again.json()["inputs"]] == [("a.txt", 6)]
    assert client.get(f"/v1/jobs/{job_id}/inputs/a.txt").content == b"second"
    third = client.put(f"/v1/jobs/{job_id}/inputs/a.txt", content=b"third!!")  # no ?input: stays where it is
    assert [(i["input"], i["name"], i["size"]) for i in third.json()["inputs"]] == [("left", "a.txt", 7)]
    assert third.json()["state"] == "WAITING_FOR_DATA"  # 'right' is still empty


def test_bad_uploads_are_refused_and_lose_nothing(client: httpx.Client) -> None:
    job_id = str(create(client)["id"])
    client.put(f"/v1/jobs/{job_id}/inputs/keep.txt", content=b"keep me")
    empty = client.put(f"/v1/jobs/{job_id}/inputs/empty.txt", content=b"")
    assert empty.status_code == 422 and empty.json()["code"] == "empty_upload"
    wrong = client.put(f"/v1/jobs/{job_id}/inputs/x.txt", content=b"data", headers={"X-Checksum-SHA256": "00" * 32})
    assert wrong.status_code == 422 and wrong.json()["code"] == "checksum_mismatch"
    nameless = client.put(f"/v1/jobs/{job_id}/inputs/...", content=b"data")
    assert nameless.status_code == 422 and nameless.json()["code"] == "bad_filename"
    escaping = client.put(f"/v1/jobs/{job_id}/inputs/%2E%2E%2F%2E%2E%2Fetc", content=b"data")
    assert escaping.status_code in (404, 405)  # a slash never reaches the file name
    too_big = client.put(f"/v1/jobs/{job_id}/inputs/big.bin", content=b"x" * (6 * 1024 * 1024))
    assert too_big.status_code == 413 and too_big.json()["code"] == "upload_too_large"
    unknown_input = client.put(f"/v1/jobs/{job_id}/inputs/y.txt?input=nope", content=b"data")
    assert unknown_input.status_code == 422
    view = client.get(f"/v1/jobs/{job_id}").json()
    assert view["state"] == "WAITING_FOR_DATA"
    assert [(i["name"], i["size"]) for i in view["inputs"]] == [("keep.txt", 7)]
    leftovers = [p for p in client.get(f"/v1/jobs/{job_id}/inputs/keep.txt").content.split()]
    assert leftovers == [b"keep", b"me"]


def test_wrong_state_and_unknown_things_get_the_contract_status(client: httpx.Client) -> None:
    missing = str(uuid.uuid4())
    assert client.get(f"/v1/jobs/{missing}").json() == {"detail": f"no job {missing}", "code": "job_not_found"}
    assert client.get("/v1/jobs/not-a-uuid").status_code == 422
    unknown = client.post("/v1/jobs", json={"process": "no-such-process"})
    assert unknown.status_code == 422 and "no-such-process" in unknown.json()["detail"]
    assert client.post("/v1/jobs", json={"process": "test-files", "priority": 1000}).status_code == 422
    assert client.post("/v1/jobs", json={"process": "test-files", "bogus": 1}).status_code == 422
    assert client.post("/v1/jobs", content=b"{not json", headers={"content-type": "application/json"}
                       ).status_code == 422
    by_reference = client.post("/v1/jobs", json={"process": "test-files", "inputs": {
        "left": {"dataset": "d"}, "right": {"dataset": "e"}}})
    assert by_reference.status_code == 422 and by_reference.json()["code"] == "unknown_dataset"
    bad_params = client.post("/v1/jobs", json={"process": "test-ignore-cancel", "parameters": {"seconds": "x"}})
    assert bad_params.status_code == 422 and "seconds" in bad_params.json()["detail"]
    job_id = str(create(client)["id"])
    assert client.get(f"/v1/jobs/{job_id}/results").status_code == 409
    assert client.post(f"/v1/jobs/{job_id}/queue").json()["code"] == "inputs_missing"
    assert client.get(f"/v1/jobs/{job_id}/results/nothing.txt").status_code == 409
    assert client.get(f"/v1/jobs/{job_id}/inputs/nothing.txt").status_code == 404
    assert client.get("/v1/processes/no-such").status_code == 404
    no_inputs = create(client, "test-retryable")
    upload = client.put(f"/v1/jobs/{no_inputs['id']}/inputs/a.txt", content=b"x")
    assert upload.status_code == 409


def test_delete_removes_files_and_keeps_the_record(client: httpx.Client, settings: Settings) -> None:
    job_id = str(create(client)["id"])
    client.put(f"/v1/jobs/{job_id}/inputs/a.txt", content=b"x")
    deleted = client.delete(f"/v1/jobs/{job_id}")
    assert deleted.status_code == 200 and deleted.json()["state"] == "DELETED"
    assert client.delete(f"/v1/jobs/{job_id}").json()["state"] == "DELETED"
    assert client.get(f"/v1/jobs/{job_id}").json()["state"] == "DELETED"
    for path in ("log", "results", "inputs/a.txt"):
        gone = client.get(f"/v1/jobs/{job_id}/{path}")
        assert gone.status_code == 410, path
    storage = settings.resolved_storage
    assert not (storage / "jobs" / job_id).exists()
    history = client.get(f"/v1/jobs/{job_id}/history").json()
    assert history[-1]["to"] == "DELETED" and history[-1]["reason"] == "deleted by the client"


def test_a_process_taking_many_files_is_queued_explicitly(client: httpx.Client) -> None:
    job_id = str(create(client, "test-many")["id"])
    for name in ("b.csv", "a.csv"):
        assert client.put(f"/v1/jobs/{job_id}/inputs/{name}", content=b"1").json()["state"] == "WAITING_FOR_DATA"
    queued = client.post(f"/v1/jobs/{job_id}/queue")
    assert queued.status_code == 202 and queued.json()["state"] in ("QUEUED", "PROCESSING", "COMPLETED")
    assert waiting.final(client, job_id)["state"] == "COMPLETED"
    assert client.get(f"/v1/jobs/{job_id}/results/names.txt").text == "a.csv\nb.csv\n"
    assert client.post(f"/v1/jobs/{job_id}/queue").status_code == 409


def test_prefer_wait_answers_when_the_state_changes(client: httpx.Client) -> None:
    job = create(client, "sleep", parameters={"seconds": 1.0})
    job_id = str(job["id"])
    seen = [str(job["state"])]
    started = time.monotonic()
    while seen[-1] != "COMPLETED" and time.monotonic() - started < 20:
        answer = client.get(f"/v1/jobs/{job_id}", headers={"Prefer": "wait=10"})
        assert answer.status_code == 200 and answer.headers["preference-applied"] == "wait=10"
        seen.append(answer.json()["state"])
    assert seen[-1] == "COMPLETED"
    assert len(seen) <= 4  # QUEUED -> PROCESSING -> COMPLETED: one answer per change, no busy polling
    assert time.monotonic() - started < 8
    final_started = time.monotonic()
    assert client.get(f"/v1/jobs/{job_id}", headers={"Prefer": "wait=10"}).json()["state"] == "COMPLETED"
    assert time.monotonic() - final_started < 2  # a final job is answered at once


def test_prefer_wait_until_final_answers_once_with_the_final_state(client: httpx.Client) -> None:
    job_id = str(create(client, "sleep", parameters={"seconds": 1.0})["id"])
    started = time.monotonic()
    answer = client.get(f"/v1/jobs/{job_id}", params={"until": "final"}, headers={"Prefer": "wait=10"})
    assert answer.status_code == 200 and answer.json()["state"] == "COMPLETED"  # QUEUED, PROCESSING passed by
    assert 0.9 < time.monotonic() - started < 8
    waiting_id = str(create(client)["id"])  # waits for data: never final, so the wait runs out
    answer = client.get(f"/v1/jobs/{waiting_id}", params={"until": "final"}, headers={"Prefer": "wait=1"})
    assert answer.json()["state"] == "WAITING_FOR_DATA"
    assert client.get(f"/v1/jobs/{job_id}", params={"until": "soon"}).status_code == 422


def test_prefer_wait_gives_up_after_the_time_asked(client: httpx.Client) -> None:
    job_id = str(create(client)["id"])  # waits for data: nothing will change
    started = time.monotonic()
    answer = client.get(f"/v1/jobs/{job_id}", headers={"Prefer": "wait=1.5"})
    assert answer.json()["state"] == "WAITING_FOR_DATA"
    assert 1.4 < time.monotonic() - started < 5
    assert client.get(f"/v1/jobs/{job_id}", headers={"Prefer": "wait=nonsense"}).status_code == 200
