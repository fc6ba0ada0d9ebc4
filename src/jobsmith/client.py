"""A small typed Python client for the native ``/v1`` API; the command line is built on it.

Uploads stream from disk and downloads stream to disk, so files of any size pass in bounded
memory. Every refusal of the server becomes a :class:`JobsmithClientError` carrying the
server's ``code`` and sentence; failures to reach the server stay ``httpx.TransportError``.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import tempfile
import time
import urllib.parse
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import IO, Any

import httpx

FINAL_STATES = frozenset({"COMPLETED", "FAILED", "CANCELLED", "DELETED"})
MAX_WAIT_S = 30.0  # the longest `Prefer: wait` a server grants
CHUNK = 1024 * 1024
DEFAULT_URL = "http://127.0.0.1:8000"
JSON = dict[str, Any]
StrPath = str | os.PathLike[str]


class JobsmithClientError(Exception):
    """The server refused a request: HTTP ``status``, machine ``code`` and a sentence in ``detail``."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(f"{detail} (HTTP {status}, {code})")
        self.status = status
        self.code = code
        self.detail = detail

    @classmethod
    def from_response(cls, response: httpx.Response) -> JobsmithClientError:
        """Built from the ``{"detail", "code"}`` body; a proxy's HTML or text page becomes the detail.

        The response MUST have been read (``response.read()``) when it was streamed.
        """
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            text = response.text.strip() or response.reason_phrase or f"HTTP {response.status_code}"
            return cls(response.status_code, "http_error", text)
        detail = body.get("detail", response.text)
        return cls(response.status_code, str(body.get("code") or "http_error"),
                   detail if isinstance(detail, str) else json.dumps(detail))


class UnsafeArchiveError(ValueError):
    """A results zip holds a member that would be written outside the destination directory."""


def file_sha256(path: StrPath) -> str:
    """Hex SHA-256 of a file, read in chunks so that its size does not matter."""
    digest = hashlib.sha256()
    for chunk in _chunks(path):
        digest.update(chunk)
    return digest.hexdigest()


def _chunks(path: StrPath) -> Iterator[bytes]:
    """Fixed-size chunks of a file; iterating a binary file object would split at newlines instead."""
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def _member_target(root: pathlib.Path, name: str) -> pathlib.Path:
    """Where a zip member lands under ``root``; refuses absolute names, ``..`` and symlinked escapes."""
    target = (root / name).resolve()
    if target == root or not target.is_relative_to(root):
        raise UnsafeArchiveError(f"refusing to extract {name!r}: it would land outside {root}")
    return target


def safe_extract(archive: zipfile.ZipFile, destination: StrPath) -> list[pathlib.Path]:
    """Extract every file member inside ``destination`` and return the written paths.

    Every member is checked before anything is written, so a hostile archive leaves no partial
    extraction behind. Members are written as plain files: a symlink entry never becomes a link.
    """
    root = pathlib.Path(destination).resolve()
    members = [(m, _member_target(root, m.filename)) for m in archive.infolist()]
    written: list[pathlib.Path] = []
    for member, target in members:
        if member.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(member) as source, target.open("wb") as sink:
            while chunk := source.read(CHUNK):
                sink.write(chunk)
        written.append(target)
    return written


def _segment(value: str, safe: str = "") -> str:
    """Percent-encode a path segment: a filename with ``#``, ``?`` or spaces must not change the route."""
    return urllib.parse.quote(value, safe=safe)


def _comma(value: str | Sequence[str] | None) -> str | None:
    """The API's comma-list query values accept a string or a sequence of strings."""
    if value is None or isinstance(value, str):
        return value
    return ",".join(value)


def _labels(label: Mapping[str, str] | Sequence[str] | None) -> list[str]:
    """Label filters as ``key:value`` strings (repeated in the query, all must match)."""
    if label is None:
        return []
    if isinstance(label, Mapping):
        return [f"{key}:{value}" for key, value in label.items()]
    return [label] if isinstance(label, str) else list(label)


def _without_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None and value != []}


def _raise_for_status(response: httpx.Response) -> None:
    """Map any 4xx/5xx to a :class:`JobsmithClientError`; streamed bodies are read first."""
    if response.status_code >= 400:
        response.read()
        raise JobsmithClientError.from_response(response)


def _next_params(next_url: str) -> list[tuple[str, str]]:
    """The query of a page's ``next`` link, to re-issue against our own base URL.

    The server's absolute URL can name a scheme or host the client cannot use (behind a proxy
    that terminates TLS); the query holds everything the next page needs.
    """
    return urllib.parse.parse_qsl(urllib.parse.urlsplit(next_url).query, keep_blank_values=True)


class Client:
    """A connection to one jobsmith server; use it as a context manager so the pool gets closed.

    ``transport`` lets tests and embedders route requests elsewhere (``httpx.MockTransport``,
    a WSGI transport) without touching the network.
    """

    def __init__(self, base_url: str = DEFAULT_URL, api_key: str | None = None, timeout: float = 30.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout, transport=transport)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self._http.request(method, path, **kwargs)
        _raise_for_status(response)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._call(method, path, **kwargs).json()

    def _object(self, method: str, path: str, **kwargs: Any) -> JSON:
        result: JSON = self._json(method, path, **kwargs)
        return result

    def _list(self, method: str, path: str, **kwargs: Any) -> list[JSON]:
        result: list[JSON] = self._json(method, path, **kwargs)
        return result

    @staticmethod
    def _job_path(job_id: str, *rest: str) -> str:
        return "/".join(["/v1/jobs", _segment(job_id), *rest])

    # -- processes ------------------------------------------------------------------------
    def processes(self) -> list[JSON]:
        return self._list("GET", "/v1/processes")

    def process(self, process_id: str) -> JSON:
        return self._object("GET", f"/v1/processes/{_segment(process_id)}")

    # -- creating and feeding a job -----------------------------------------------------
    def create_job(self, process: str, *, parameters: Mapping[str, Any] | None = None,
                   metadata: Mapping[str, Any] | None = None, target: str | None = None,
                   labels: Mapping[str, str] | None = None, description: str | None = None,
                   priority: int | None = None, timeout_s: float | None = None, max_retries: int | None = None,
                   idempotency_key: str | None = None) -> JSON:
        """Create a job; fields left as ``None`` take the server's defaults.

        With ``idempotency_key`` a retry after a lost response returns the first job instead of a
        second one, as long as the body is the same.
        """
        body = _without_none({"process": process, "parameters": parameters, "metadata": metadata,
                              "target": target, "labels": labels, "description": description,
                              "priority": priority, "timeout_s": timeout_s, "max_retries": max_retries})
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return self._object("POST", "/v1/jobs", json=body, headers=headers)

    def upload(self, job_id: str, path: StrPath, *, input: str | None = None, filename: str | None = None) -> JSON:
        """Stream one file as the raw body and return the job view.

        The file is read twice: once for the checksum the server verifies, once to send. It is
        never held in memory. ``Content-Length`` is sent so an oversized upload is refused at
        once. The server may queue the job when this was its last required input.
        """
        source = pathlib.Path(path)
        headers = {"X-Checksum-SHA256": file_sha256(source), "Content-Type": "application/octet-stream",
                   "Content-Length": str(source.stat().st_size)}
        params = {"input": input} if input else {}
        return self._object("PUT", self._job_path(job_id, "inputs", _segment(filename or source.name)),
                            params=params, headers=headers, content=_chunks(source), timeout=None)

    def queue(self, job_id: str) -> JSON:
        return self._object("POST", self._job_path(job_id, "queue"))

    # -- reading jobs ---------------------------------------------------------------------
    def job(self, job_id: str, *, wait_for_change: float = 0.0, until_final: bool = False) -> JSON:
        """The job's view; with ``wait_for_change`` the server answers when its state changes (with
        ``until_final``: once it is final) or after that many seconds (at most 30), instead of at once."""
        headers = {"Prefer": f"wait={wait_for_change:g}"} if wait_for_change > 0 else {}
        params = {"until": "final"} if until_final and wait_for_change > 0 else None
        read = self._http.timeout.read
        timeout = None if read is None else max(read, wait_for_change + 10)
        return self._object("GET", self._job_path(job_id), params=params, headers=headers, timeout=timeout)

    def jobs(self, *, state: str | Sequence[str] | None = None, process: str | Sequence[str] | None = None,
             target: str | Sequence[str] | None = None, label: Mapping[str, str] | Sequence[str] | None = None,
             owner: str | None = None, active: bool | None = None, created_after: str | None = None,
             created_before: str | None = None, limit: int | None = None, cursor: str | None = None,
             fields: str | Sequence[str] | None = None) -> JSON:
        """One page ``{"results", "next", "previous"}``, newest first; ``label`` as ``{k: v}`` or ``k:v``."""
        params = _without_none({"state": _comma(state), "process": _comma(process), "target": _comma(target),
                                "label": _labels(label), "owner": owner, "active": active,
                                "created_after": created_after, "created_before": created_before,
                                "limit": limit, "cursor": cursor, "fields": _comma(fields)})
        return self._object("GET", "/v1/jobs", params=params)

    def iter_jobs(self, **filters: Any) -> Iterator[JSON]:
        """Every matching job across pages, following ``next``; filters as in :meth:`jobs`."""
        page = self.jobs(**filters)
        while True:
            yield from page["results"]
            if not page.get("next"):
                return
            page = self._object("GET", "/v1/jobs", params=_next_params(page["next"]))

    def history(self, job_id: str) -> list[JSON]:
        return self._list("GET", self._job_path(job_id, "history"))

    def log(self, job_id: str) -> str:
        return self._call("GET", self._job_path(job_id, "log")).text

    def log_entries(self, job_id: str, *, offset: int = 0, level: str | None = None,
                    limit: int | None = None) -> JSON:
        """A page of the job's log as entries: ``{"entries": [{"seq", "time", "level", "step", "message"}],
        "next_offset"}``; go on with ``offset=next_offset`` until it is None (the job is final, the log read)."""
        query: dict[str, Any] = {"offset": offset}
        if level is not None:
            query["level"] = level
        if limit is not None:
            query["limit"] = limit
        return self._object("GET", self._job_path(job_id, "log"), params=query,
                            headers={"Accept": "application/json"})

    def wait(self, job_id: str, *, timeout: float | None = None, poll: float = 0.5,
             on_update: Callable[[JSON], None] | None = None) -> JSON:
        """Wait until the job is final (COMPLETED, FAILED, CANCELLED, DELETED) and return its view.

        Long-polls: without ``on_update`` one request waits for the final state (renewed every 30 s);
        with it, a request answers on each change of state or after ``poll`` seconds, so that
        ``on_update`` sees every state and the progress as it goes, the final view included. Raises
        ``TimeoutError`` after ``timeout`` seconds; the job itself keeps running on the server.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        view = self.job(job_id)
        while True:
            if on_update is not None:
                on_update(view)
            if view["state"] in FINAL_STATES:
                return view
            remaining = MAX_WAIT_S if deadline is None else deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"job {job_id} is still {view['state']} after {timeout} s")
            if on_update is None:
                view = self.job(job_id, wait_for_change=max(0.1, min(MAX_WAIT_S, remaining)), until_final=True)
            else:
                view = self.job(job_id, wait_for_change=max(0.1, min(poll, remaining)))

    # -- changing jobs --------------------------------------------------------------------
    def patch(self, job_id: str, *, description: str | None = None, labels: Mapping[str, str] | None = None,
              priority: int | None = None) -> JSON:
        """Change what may change after creation; priority only while the job has not started."""
        body = _without_none({"description": description, "labels": labels, "priority": priority})
        return self._object("PATCH", self._job_path(job_id), json=body)

    def cancel(self, job_id: str) -> JSON:
        """Returns the view: CANCELLED, or CANCELLATION_REQUESTED while running work is stopped."""
        return self._object("POST", self._job_path(job_id, "cancel"))

    def delete(self, job_id: str) -> JSON:
        return self._object("DELETE", self._job_path(job_id))

    # -- results --------------------------------------------------------------------------
    def _download(self, path: str, sink: IO[bytes]) -> None:
        with self._http.stream("GET", path, timeout=None) as response:
            _raise_for_status(response)
            for chunk in response.iter_bytes(CHUNK):
                sink.write(chunk)

    def download_result(self, job_id: str, path: str, dest: StrPath) -> pathlib.Path:
        """One result file to ``dest`` (into it, when ``dest`` is a directory).

        Written to a temporary sibling and renamed, so a failed download leaves no truncated file.
        """
        target = pathlib.Path(dest)
        if target.is_dir():
            target = target / pathlib.PurePosixPath(path).name
        with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".download-", delete=False) as sink:
            try:
                self._download(self._job_path(job_id, "results", _segment(path, safe="/")), sink)
            except BaseException:
                sink.close()
                os.unlink(sink.name)
                raise
        os.replace(sink.name, target)
        return target

    def download_results(self, job_id: str, dest_dir: StrPath) -> list[pathlib.Path]:
        """Every result: the zip is spooled to a temporary file, then extracted safely into ``dest_dir``."""
        destination = pathlib.Path(dest_dir)
        destination.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile() as spool:
            self._download(self._job_path(job_id, "results"), spool)
            spool.seek(0)
            with zipfile.ZipFile(spool) as archive:
                return safe_extract(archive, destination)
