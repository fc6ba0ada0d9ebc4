"""A small typed Python client for the native ``/v1`` API; the command line uses it.

Uploads stream from disk and downloads stream to disk, so files of any size pass in bounded
memory. Every refusal of the server becomes a :class:`JobsmithClientError` with its code.
"""

from __future__ import annotations

import hashlib
import pathlib
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

import httpx

FINAL_STATES = frozenset({"COMPLETED", "FAILED", "CANCELLED", "DELETED"})
CHUNK = 1024 * 1024
JSON = dict[str, Any]


class JobsmithClientError(Exception):
    """The server refused a request: ``status``, machine ``code`` and a sentence in ``detail``."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(f"{detail} (HTTP {status}, {code})")
        self.status, self.code, self.detail = status, code, detail

    @classmethod
    def from_response(cls, response: httpx.Response) -> JobsmithClientError:
        try:
            body = response.json()
            return cls(response.status_code, str(body.get("code", "error")), str(body.get("detail", response.text)))
        except ValueError:
            return cls(response.status_code, "error", response.text.strip() or response.reason_phrase)


def file_sha256(path: pathlib.Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _stream(path: pathlib.Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def safe_extract(archive: zipfile.ZipFile, destination: pathlib.Path) -> list[pathlib.Path]:
    """Extract every member inside ``destination``; a member that would escape it is refused."""
    root = destination.resolve()
    written = []
    for member in archive.infolist():
        target = (root / member.filename).resolve()
        if not target.is_relative_to(root) or target == root:
            raise ValueError(f"refusing to extract {member.filename!r}: it would land outside {root}")
        if member.is_dir():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(member) as source, target.open("wb") as sink:
            while chunk := source.read(CHUNK):
                sink.write(chunk)
        written.append(target)
    return written


class Client:
    def __init__(self, base_url: str = "http://127.0.0.1:8000", api_key: str | None = None, timeout: float = 30.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout,
                                  transport=transport)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self._http.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise JobsmithClientError.from_response(response)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._call(method, path, **kwargs).json()

    # -- processes and jobs --------------------------------------------------------------
    def processes(self) -> list[JSON]:
        result: list[JSON] = self._json("GET", "/v1/processes")
        return result

    def process(self, process_id: str) -> JSON:
        result: JSON = self._json("GET", f"/v1/processes/{process_id}")
        return result

    def create_job(self, process: str, *, idempotency_key: str | None = None, **fields: Any) -> JSON:
        """``fields``: parameters, metadata, target, labels, description, priority, timeout_s, max_retries."""
        body = {"process": process, **{k: v for k, v in fields.items() if v is not None}}
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        result: JSON = self._json("POST", "/v1/jobs", json=body, headers=headers)
        return result

    def upload(self, job_id: str, path: str | pathlib.Path, *, input: str | None = None,
               filename: str | None = None) -> JSON:
        """Stream one file as the raw body, with its sha256 for the server to verify."""
        path = pathlib.Path(path)
        params = {"input": input} if input else {}
        headers = {"X-Checksum-SHA256": file_sha256(path), "Content-Type": "application/octet-stream",
                   "Content-Length": str(path.stat().st_size)}
        result: JSON = self._json("PUT", f"/v1/jobs/{job_id}/inputs/{filename or path.name}", params=params,
                                  headers=headers, content=_stream(path), timeout=None)
        return result

    def queue(self, job_id: str) -> JSON:
        result: JSON = self._json("POST", f"/v1/jobs/{job_id}/queue")
        return result

    def job(self, job_id: str) -> JSON:
        result: JSON = self._json("GET", f"/v1/jobs/{job_id}")
        return result

    def jobs(self, **filters: Any) -> JSON:
        """One page: filters as in the API (state, process, target, label, active, limit, cursor, fields)."""
        params = {k: v for k, v in filters.items() if v is not None}
        result: JSON = self._json("GET", "/v1/jobs", params=params)
        return result

    def iter_jobs(self, **filters: Any) -> Iterator[JSON]:
        page = self.jobs(**filters)
        while True:
            yield from page["results"]
            if not page["next"]:
                return
            page = self._json("GET", page["next"])

    def history(self, job_id: str) -> list[JSON]:
        result: list[JSON] = self._json("GET", f"/v1/jobs/{job_id}/history")
        return result

    def patch(self, job_id: str, **changes: Any) -> JSON:
        result: JSON = self._json("PATCH", f"/v1/jobs/{job_id}", json=changes)
        return result

    def cancel(self, job_id: str) -> JSON:
        result: JSON = self._json("POST", f"/v1/jobs/{job_id}/cancel")
        return result

    def delete(self, job_id: str) -> JSON:
        result: JSON = self._json("DELETE", f"/v1/jobs/{job_id}")
        return result

    def log(self, job_id: str) -> str:
        return self._call("GET", f"/v1/jobs/{job_id}/log").text

    def wait(self, job_id: str, *, timeout: float | None = None, poll: float = 0.5,
             on_update: Callable[[JSON], None] | None = None) -> JSON:
        """Poll until the job is final (COMPLETED, FAILED, CANCELLED or DELETED); returns its view."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            view = self.job(job_id)
            if on_update is not None:
                on_update(view)
            if view["state"] in FINAL_STATES:
                return view
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} is still {view['state']} after {timeout} s")
            time.sleep(poll)

    # -- files ---------------------------------------------------------------------------
    def download_result(self, job_id: str, path: str, destination: str | pathlib.Path) -> pathlib.Path:
        destination = pathlib.Path(destination)
        with self._http.stream("GET", f"/v1/jobs/{job_id}/results/{path}", timeout=None) as response:
            if response.status_code >= 400:
                response.read()
                raise JobsmithClientError.from_response(response)
            with destination.open("wb") as sink:
                for chunk in response.iter_bytes(CHUNK):
                    sink.write(chunk)
        return destination

    def download_results(self, job_id: str, destination: str | pathlib.Path) -> list[pathlib.Path]:
        """Every result, streamed as one zip to a temporary file and extracted safely into ``destination``."""
        destination = pathlib.Path(destination)
        destination.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile() as spool:
            with self._http.stream("GET", f"/v1/jobs/{job_id}/results", timeout=None) as response:
                if response.status_code >= 400:
                    response.read()
                    raise JobsmithClientError.from_response(response)
                for chunk in response.iter_bytes(CHUNK):
                    spool.write(chunk)
            spool.seek(0)
            with zipfile.ZipFile(spool) as archive:
                return safe_extract(archive, destination)
