"""Sending stored files: results, inputs, result zips, reports."""

from __future__ import annotations

import os
import pathlib

from starlette.responses import FileResponse
from starlette.types import Receive, Scope, Send

from jobsmith.domain import errors

INLINE_MAX = 256 * 1024


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
