"""A job's log as data: one JSON entry per line, numbered by position, with a sparse index.

``job.log`` holds one JSON object per line, ``{"level", "time", "step", "message"}`` (and ``"origin":
"jobsmith"`` on the lines the service writes about the job rather than the job's process). A message
may span lines (a traceback): JSON escapes its newlines, so one entry is always one line of the file.

An entry's ``seq`` is its line number, from 0. It is never written down: it follows from the entry's
place, so the writers of one log (the worker supervising a job and the job's own process; after a
lost worker, its successor on a shared directory) cannot give two entries one number. Every append
holds an exclusive ``flock`` on the log while it writes, so lines never interleave, and a line that a
killed writer left half-written is cut off by the next writer before it appends.

``job.log.idx`` exists once the log has :data:`STRIDE` entries: the byte offset of entry ``k * STRIDE``
as an 8-byte little-endian integer at ``8 * (k - 1)``, written after the entry itself. A reader finds
entry ``n`` by one look-up and fewer than :data:`STRIDE` skipped lines, whatever the log's length.

A log written before this format (plain text lines) is still read: as text unchanged, and as entries
one per line without steps.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import functools
import json
import logging
import os
import pathlib
import re
import struct
import time
from collections.abc import Iterator, Sequence
from typing import IO

from jobsmith.domain import snapshots

STRIDE = 256
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
          "error": logging.ERROR, "critical": logging.CRITICAL}
ORIGIN = "jobsmith"
_HIGHEST_FIRST = tuple(sorted(((number, name) for name, number in LEVELS.items()), reverse=True))
_RECORD = struct.Struct("<Q")
_TEXT_CHUNK = 64 * 1024
_LEGACY_LINE = re.compile(r"(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:,(\d{3}))? (DEBUG|INFO|WARNING|ERROR|CRITICAL) (.*)",
                          re.DOTALL)


Entry = snapshots.LogEntry


@dataclasses.dataclass(frozen=True)
class Page:
    """Entries from ``offset`` on; ``next_seq`` is where the next page starts; ``at_end`` when the
    reading reached the end of what is written so far."""

    entries: list[Entry]
    next_seq: int
    at_end: bool


def level_name(levelno: int) -> str:
    """The name of a :mod:`logging` level, a custom one falling to the standard level below it."""
    for number, name in _HIGHEST_FIRST:
        if levelno >= number:
            return name
    return "debug"


def line(message: str, *, level: str = "info", step: str | None = None, origin: str | None = None,
         created: float | None = None) -> bytes:
    """An entry as stored: the level first, so that a level filter reads it without parsing JSON.
    ``created`` is a POSIX time (a log record's), now if None."""
    moment = time.time() if created is None else created
    second = int(moment)
    document: dict[str, str | None] = {
        "level": level, "time": f"{_iso_second(second)}.{int((moment - second) * 1000):03d}Z",
        "step": step if step is None else _text(step), "message": _text(message)}
    if origin is not None:
        document["origin"] = origin
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def _text(value: str) -> str:
    """``value`` as text that every reader can encode: a lone surrogate (say, from a file name of
    undecodable bytes) is kept as its escape, ``\\udce9``, instead of failing the line or the answer."""
    try:
        value.encode()
        return value
    except UnicodeEncodeError:
        return value.encode("utf-8", "backslashreplace").decode()


@functools.lru_cache(maxsize=8)
def _iso_second(second: int) -> str:
    """``2026-01-01T12:00:00`` of a POSIX second: formatted once for all the lines of that second."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))


def index_path(path: pathlib.Path) -> pathlib.Path:
    return path.with_name(path.name + ".idx")


# -- writing -----------------------------------------------------------------------------------

class Writer:
    """Appends entries to one log. Keep it open for many lines (a job's process) or use it once.

    It remembers the log's length after its own last append; when the file has another length at the
    next append, another writer was there and the count is taken again from the index and the lines
    after it (fewer than two strides), so appends stay cheap however long the log is.
    """

    def __init__(self, path: pathlib.Path) -> None:
        self.path = path
        try:
            self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except FileNotFoundError:  # the job's first line
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._count = 0
        self._size = -1

    def append(self, lines: Sequence[bytes]) -> None:
        """Write ``lines`` (from :func:`line`) as consecutive entries."""
        if not lines:
            return
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            count, size = self._position()
            data = b"".join(lines)
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view):]
            records, offset = [], size
            for number, one in enumerate(lines, start=count):
                if number and number % STRIDE == 0:
                    records.append((number, offset))
                offset += len(one)
            _write_records(self.path, records)
            self._count, self._size = count + len(lines), size + len(data)
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._fd)

    def _position(self) -> tuple[int, int]:
        """``(entries, bytes)`` of the log now; the caller holds the lock."""
        size = os.fstat(self._fd).st_size
        if size == self._size:
            return self._count, size
        count, offset = _last_indexed(self.path)
        records: list[tuple[int, int]] = []
        with open(self.path, "rb") as handle:
            handle.seek(offset)
            while (one := handle.readline()).endswith(b"\n"):
                if count and count % STRIDE == 0:
                    records.append((count, offset))
                count, offset = count + 1, offset + len(one)
        if offset < size:  # a writer killed in the middle of its line: cut the fragment off
            os.ftruncate(self._fd, offset)
        _write_records(self.path, [(n, o) for n, o in records if n > _indexed_entries(self.path)])
        return count, offset


def _indexed_entries(path: pathlib.Path) -> int:
    """The highest entry number the index holds (0 without an index)."""
    try:
        return (index_path(path).stat().st_size // _RECORD.size) * STRIDE
    except FileNotFoundError:
        return 0


def _write_records(path: pathlib.Path, records: Sequence[tuple[int, int]]) -> None:
    if not records:
        return
    fd = os.open(index_path(path), os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        for number, offset in records:
            os.pwrite(fd, _RECORD.pack(offset), (number // STRIDE - 1) * _RECORD.size)
    finally:
        os.close(fd)


def _last_indexed(path: pathlib.Path, at_most: int | None = None) -> tuple[int, int]:
    """``(entry number, byte offset)`` of the last indexed entry (at most ``at_most``), or ``(0, 0)``."""
    try:
        with open(index_path(path), "rb") as index:
            records = os.fstat(index.fileno()).st_size // _RECORD.size
            if at_most is not None:
                records = min(records, at_most // STRIDE)
            if records == 0:
                return 0, 0
            index.seek((records - 1) * _RECORD.size)
            (offset,) = _RECORD.unpack(index.read(_RECORD.size))
            return records * STRIDE, int(offset)
    except FileNotFoundError:
        return 0, 0


class Handler(logging.Handler):
    """A :mod:`logging` handler writing a job's records to its log, each with the step it ran in
    (``record.jobsmith_step``, set by :meth:`jobsmith.processes.context.JobContext.tag_step`).

    The log stays open while the handler lives, as a file handler's would."""

    def __init__(self, path: pathlib.Path) -> None:
        super().__init__()
        self.writer = Writer(path)
        self.setFormatter(logging.Formatter("%(message)s"))  # a traceback joins its message: one entry

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.writer.append([line(self.format(record), level=level_name(record.levelno),
                                     step=getattr(record, "jobsmith_step", None), created=record.created)])
        except Exception:  # noqa: BLE001 - logging must never break the job
            self.handleError(record)

    def close(self) -> None:
        self.writer.close()
        super().close()


# -- reading -----------------------------------------------------------------------------------

def _is_legacy(handle: IO[bytes]) -> bool:
    """A log written as plain text, before entries were stored as JSON lines."""
    first = handle.read(1)
    handle.seek(0)
    return first not in (b"", b"{")


def read(path: pathlib.Path, offset: int, limit: int, min_level: str = "debug", max_scan: int = 20_000) -> Page:
    """Up to ``limit`` entries of level ``min_level`` or above, from entry ``offset`` on.

    Reads the index and at most ``STRIDE - 1 + max_scan`` lines, never the log before ``offset``: a
    rare level in a long log may give fewer than ``limit`` entries with ``at_end`` False, and the next
    page goes on from ``next_seq``. Only whole lines count (a line being written is left for later).
    """
    floor = LEVELS[min_level]
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        return Page([], offset, True)
    with handle:
        if _is_legacy(handle):
            return _read_legacy(handle, offset, limit, floor)
        seq, start = _last_indexed(path, at_most=offset)
        handle.seek(start)
        while seq < offset and (one := handle.readline()).endswith(b"\n"):
            seq += 1
        if seq < offset:
            return Page([], offset, True)
        entries: list[Entry] = []
        scanned = 0
        while len(entries) < limit and scanned < max_scan:
            one = handle.readline()
            if not one.endswith(b"\n"):
                return Page(entries, seq, True)
            if _level_of(one) >= floor:
                entries.append(_entry(seq, one))
            seq, scanned = seq + 1, scanned + 1
        at_end = not handle.readline().endswith(b"\n")
        return Page(entries, seq, at_end)


def _level_of(raw: bytes) -> int:
    """The level of a stored line from its first bytes (:func:`line` writes the level first)."""
    if raw.startswith(b'{"level":"'):
        end = raw.find(b'"', 10)
        return LEVELS.get(raw[10:end].decode("ascii", "replace"), logging.INFO)
    return LEVELS.get(_entry(0, raw).level, logging.INFO)


def _entry(seq: int, raw: bytes) -> Entry:
    try:
        document = json.loads(raw)
        return Entry(seq, document.get("time"), str(document.get("level", "info")), document.get("step"),
                     str(document.get("message", "")), document.get("origin"))
    except (ValueError, AttributeError):  # not an entry of ours: shown as it is
        return Entry(seq, None, "info", None, raw.decode("utf-8", "replace").rstrip("\n"))


def _read_legacy(handle: IO[bytes], offset: int, limit: int, floor: int) -> Page:
    """A plain text log, one entry per line (a traceback's lines join the entry above them)."""
    entries: list[Entry] = []
    count = 0
    for count, entry in enumerate(_legacy_entries(handle), start=1):
        seq = count - 1
        if seq >= offset and LEVELS[entry.level] >= floor:
            if len(entries) == limit:
                return Page(entries, seq, False)
            entries.append(dataclasses.replace(entry, seq=seq))
    return Page(entries, max(offset, count), True)


def _legacy_entries(handle: IO[bytes]) -> Iterator[Entry]:
    pending: Entry | None = None
    for raw in handle:
        text = raw.decode("utf-8", "replace").rstrip("\n")
        matched = _LEGACY_LINE.fullmatch(text)
        if matched is None and pending is not None:
            pending = dataclasses.replace(pending, message=f"{pending.message}\n{text}")
            continue
        if pending is not None:
            yield pending
        if matched is None:
            pending = Entry(0, None, "info", None, text)
        else:
            day, clock, millis, level, message = matched.groups()
            origin = ORIGIN if message.startswith("[jobsmith] ") else None
            pending = Entry(0, f"{day}T{clock}.{millis or '000'}Z", level.lower(), None,
                            message.removeprefix("[jobsmith] "), origin)
    if pending is not None:
        yield pending


def text_chunks(path: pathlib.Path) -> Iterator[bytes]:
    """The whole log as text, in chunks of about 64 KiB: read, rendered and sent a piece at a time."""
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        return
    with handle:
        if _is_legacy(handle):
            while chunk := handle.read(_TEXT_CHUNK):
                yield chunk
            return
        pending: list[str] = []
        size = 0
        for raw in handle:
            if not raw.endswith(b"\n"):
                break  # being written
            text = _entry(0, raw).text()
            pending.append(text)
            size += len(text)
            if size >= _TEXT_CHUNK:
                yield "".join(pending).encode()
                pending, size = [], 0
        if pending:
            yield "".join(pending).encode()
