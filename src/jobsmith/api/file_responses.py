"""Sending stored files: results, inputs, result zips, reports."""

from __future__ import annotations

import email.utils
import json
import os
import pathlib

from starlette.datastructures import Headers
from starlette.responses import FileResponse, MalformedRangeHeader, RangeNotSatisfiable
from starlette.types import Receive, Scope, Send

from jobsmith.domain import errors
from jobsmith.service import downloads

INLINE_MAX = 256 * 1024
_NOT_MODIFIED_HEADERS = (b"etag", b"last-modified", b"cache-control", b"content-location", b"expires", b"vary")


class StoredFileResponse(FileResponse):
    """A :class:`FileResponse` that sends a small file in one piece.

    Starlette streams every file through the thread pool (open, each chunk, close) and watches for
    a disconnect meanwhile: right for a large file, several times the cost of the request for the
    few kilobytes most results are. A file of at most :data:`INLINE_MAX` bytes asked for whole (no
    ``Range``) is read here and sent with the same headers (length, last-modified, ETag,
    content-disposition); anything else goes the streaming way, ranges included.
    """

    def __init__(self, path: pathlib.Path, *, media_type: str, filename: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        try:
            stat = os.stat(path)
        except FileNotFoundError:  # removed since the job was read: a delete or the retention cleaner
            raise errors.Gone(f"{path.name!r} was removed meanwhile", code="file_removed") from None
        super().__init__(path, media_type=media_type, filename=filename, headers=headers, stat_result=stat)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        stat = self.stat_result
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD") and stat is not None:
            asked = Headers(scope=scope)
            if self._not_modified(asked):
                kept = [(name, value) for name, value in self.raw_headers if name in _NOT_MODIFIED_HEADERS]
                await send({"type": "http.response.start", "status": 304, "headers": kept})
                await send({"type": "http.response.body", "body": b""})
                return
            if "range" in asked:
                try:
                    self._parse_range_header(asked["range"], stat.st_size)
                except MalformedRangeHeader:  # RFC 9110 14.2: a Range that does not parse is ignored
                    scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k != b"range"]}
                except RangeNotSatisfiable:
                    await self._unsatisfiable(send, stat.st_size)
                    return
        whole = scope["type"] == "http" and scope["method"] == "GET" and not any(
            name == b"range" for name, _ in scope["headers"])
        if stat is not None and whole and stat.st_size <= INLINE_MAX:
            body = pathlib.Path(self.path).read_bytes()
            if len(body) == stat.st_size:  # files are replaced whole, never rewritten in place
                await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
                await send({"type": "http.response.body", "body": body})
                if self.background is not None:
                    await self.background()
                return
        await super().__call__(scope, receive, send)

    def _not_modified(self, asked: Headers) -> bool:
        """Whether the client's copy is current: ``If-None-Match`` (weak comparison, ``*`` included),
        or else ``If-Modified-Since`` against the file's modification time (RFC 9110 13.1)."""
        etag = self.headers.get("etag")
        if "if-none-match" in asked:
            if etag is None:
                return False
            wanted = {tag.strip().removeprefix("W/") for tag in asked["if-none-match"].split(",")}
            return "*" in wanted or etag.removeprefix("W/") in wanted
        since = asked.get("if-modified-since")
        if since is None or self.stat_result is None:
            return False
        try:
            moment = email.utils.parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False  # an unreadable date is ignored, as the RFC says
        return int(self.stat_result.st_mtime) <= moment.timestamp()

    async def _unsatisfiable(self, send: Send, size: int) -> None:
        """416 with the error body every refusal has, and the file's size in ``Content-Range``."""
        body = json.dumps({"detail": f"the range is outside the file's {size} bytes",
                           "code": "range_not_satisfiable"}).encode()
        await send({"type": "http.response.start", "status": 416, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"content-range", f"bytes */{size}".encode())]})
        await send({"type": "http.response.body", "body": body})


def stored_file(found: downloads.StoredFile) -> StoredFileResponse:
    """The response for a file the service found: its media type, its sha256 as the ETag, a download name."""
    headers = {"ETag": f'"{found.sha256}"'} if found.sha256 else None
    return StoredFileResponse(found.path, media_type=found.media_type, filename=found.filename, headers=headers)
