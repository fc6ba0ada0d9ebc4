"""``inspect``: what each input file is: media type from its content, size, sha256, record count.

Each file is read once, in 1 MiB chunks: the same bytes feed the hash, the progress report and
(for delimited text and NDJSON) the record count, so memory stays bounded whatever the file size
and a large CSV is not read twice. Records of delimited text are counted with the ``csv`` module,
so a quoted field spanning lines counts once. The media type comes from the first 64 KiB of
content; the file name only breaks ties, because uploads are often named ``data.bin`` or ``upload``.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import hashlib
import io
import json
import mimetypes
import pathlib
from collections.abc import Callable, Iterator
from typing import IO, TYPE_CHECKING, Any

from jobsmith.processes import context, registry

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

CHUNK = 1024 * 1024
SNIFF_BYTES = 64 * 1024
MAX_LINE_CHARS = 16 * 1024 * 1024
DELIMITERS = (",", "\t", ";", "|")

CSV = "text/csv"
TSV = "text/tab-separated-values"
NDJSON = "application/x-ndjson"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PAR1", "application/vnd.apache.parquet"),
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"\x1f\x8b", "application/gzip"),
    (b"BZh", "application/x-bzip2"),
    (b"\xfd7zXZ\x00", "application/x-xz"),
    (b"\x28\xb5\x2f\xfd", "application/zstd"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/vnd.ms-excel"),
    (b"SQLite format 3\x00", "application/vnd.sqlite3"),
    (b"ARROW1", "application/vnd.apache.arrow.file"),
)
_ZIP_MEMBERS: tuple[tuple[bytes, str], ...] = (
    (b"xl/", XLSX),
    (b"word/", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (b"ppt/", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
)
_BY_SUFFIX = {".csv": CSV, ".tsv": TSV, ".tab": TSV, ".ndjson": NDJSON, ".jsonl": NDJSON,
              ".json": "application/json", ".parquet": "application/vnd.apache.parquet"}

Meter = Callable[[int], None]


@dataclasses.dataclass(frozen=True)
class Kind:
    """What the first bytes of a file say it is; ``delimiter`` is set for delimited text only."""

    media_type: str
    encoding: str | None = None
    delimiter: str | None = None

    @property
    def countable(self) -> bool:
        return self.encoding is not None and (self.delimiter is not None or self.media_type == NDJSON)


@registry.process("inspect", title="Inspect files", version="1.0.0",
                  inputs=[registry.FileInput("files", "The file to inspect.", required=True, multiple=False)],
                  outputs=["inspect.json"], steps=["inspect"])
def inspect_files(ctx: context.JobContext) -> None:
    """For each input: media type (from the content), size, sha256 and, for tabular text, the record count.

    One step, ``inspect``: its message is the file's summary (with several files, each one's, named).
    """
    total = sum(p.stat().st_size for p in ctx.input_files) or 1
    done = 0
    reports: list[dict[str, Any]] = []
    with ctx.step("inspect") as step:
        problems: list[str] = []
        for input_name, paths in ctx.inputs.items():
            for path in paths:
                report, problem = inspect_file(path, _meter(ctx, done, total))
                if problem:
                    problems.append(f"records not counted: {problem}")
                ctx.log.info("%s", json.dumps(report))
                done += report["size"]
                reports.append({"input": input_name, **report})
        step.message = _summaries(reports)
        if problems:
            step.warn(f"{step.message}; {'; '.join(problems)}")
    document = {"files": reports}
    (ctx.output_dir / "inspect.json").write_text(json.dumps(document, indent=2, ensure_ascii=False))


def _summaries(reports: list[dict[str, Any]]) -> str:
    if len(reports) == 1:
        return _summary(reports[0])
    return "; ".join(f"{r['name']}: {_summary(r)}" for r in reports) or "no files"


def _meter(ctx: context.JobContext, done: int, total: int) -> Meter:
    """Progress over all files by bytes read; a cancel stops the job at the next chunk."""

    def meter(read: int) -> None:
        ctx.check_cancelled()
        ctx.progress(min(1.0, (done + read) / total))

    return meter


def _summary(report: dict[str, Any]) -> str:
    records = report["records"]
    counted = f", {records} records" if records is not None else ""
    return f"{report['media_type']}, {report['size']} bytes{counted}"


def inspect_file(path: pathlib.Path, meter: Meter) -> tuple[dict[str, Any], str | None]:
    """The report of one file, and why its records could not be counted (None when they were, or n/a).

    ``meter`` is called with the bytes read so far after every chunk; it may raise to stop.
    """
    meter(0)
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    kind = sniff(head, path.name, complete=len(head) < SNIFF_BYTES)
    records: int | None = None
    problem: str | None = None
    with io.FileIO(path, "rb") as raw:
        tap = _Tap(raw, meter)
        buffered = io.BufferedReader(tap, CHUNK)
        if kind.encoding is not None and kind.countable:
            records, problem = _count(buffered, kind.encoding, kind.delimiter)
        while buffered.read(CHUNK):
            pass
    report = {"name": path.name, "size": tap.size, "sha256": tap.digest.hexdigest(),
              "media_type": kind.media_type, "records": records, "encoding": kind.encoding,
              "delimiter": kind.delimiter}
    return report, problem


class _Tap(io.RawIOBase):
    """Reads ``source`` and sees every byte once: hashes it, counts it, reports it to ``meter``."""

    def __init__(self, source: io.RawIOBase, meter: Meter) -> None:
        super().__init__()
        self._source = source
        self._meter = meter
        self.digest = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        n = self._source.readinto(view)
        if n is None:  # only a non-blocking source does this; a file never should
            raise OSError("the input file had no data ready")
        self.digest.update(view[:n])
        self.size += n
        self._meter(self.size)
        return n


def _count(buffered: IO[bytes], encoding: str, delimiter: str | None) -> tuple[int | None, str | None]:
    """Records in the rest of ``buffered`` (NDJSON lines when no delimiter), or None and why not.

    The text wrapper is detached, not closed, so the caller can still drain ``buffered`` to finish
    the hash after a count that stopped early.
    """
    text = io.TextIOWrapper(buffered, encoding=encoding, errors="replace", newline="")
    try:
        if delimiter is None:
            return count_json_lines(text), None
        return count_rows(text, delimiter), None
    except (csv.Error, _LineTooLong) as exc:
        return None, str(exc)
    finally:
        text.detach()


class _LineTooLong(Exception):
    """A line longer than :data:`MAX_LINE_CHARS`: counting it would hold it all in memory."""


def count_rows(text: IO[str], delimiter: str) -> int:
    """Data rows of delimited text: every non-blank row after the header row."""
    rows = sum(1 for row in csv.reader(_lines(text), delimiter=delimiter) if not _blank(row))
    return max(0, rows - 1)


def _blank(row: list[str]) -> bool:
    return not row or (len(row) == 1 and not row[0].strip())


def _lines(text: IO[str]) -> Iterator[str]:
    """Lines of ``text`` each at most :data:`MAX_LINE_CHARS` long, so memory stays bounded."""
    while line := text.readline(MAX_LINE_CHARS):
        if len(line) >= MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
            raise _LineTooLong(f"a line is longer than {MAX_LINE_CHARS} characters")
        yield line


def count_json_lines(text: IO[str]) -> int:
    """Non-blank lines, read in fixed-size chunks whatever the line lengths."""
    count, open_line = 0, False
    while chunk := text.read(CHUNK):
        *complete, rest = chunk.split("\n")
        for piece in complete:
            count += open_line or bool(piece.strip())
            open_line = False
        open_line = open_line or bool(rest.strip())
    return count + open_line


def sniff(head: bytes, name: str, *, complete: bool = False) -> Kind:
    """What ``head`` (the first bytes of a file called ``name``) is; ``complete`` if it is the whole file."""
    for magic, media_type in _MAGIC:
        if head.startswith(magic):
            return Kind(media_type)
    if head.startswith(b"PK\x03\x04"):
        return Kind(_zip_kind(head))
    encoding = text_encoding(head, complete=complete)
    if encoding is None or (not head and _by_name(name) not in (CSV, TSV, NDJSON)):
        return Kind(_by_name(name) or "application/octet-stream")
    text = head.decode(encoding, errors="replace").lstrip("\ufeff")
    if not complete:
        text = text[: text.rfind("\n") + 1] or text
    return _text_kind(text, name, encoding)


def _zip_kind(head: bytes) -> str:
    """Office Open XML by its member folders, OpenDocument by its stored ``mimetype`` member."""
    if head[30:38] == b"mimetype":
        stored = int.from_bytes(head[18:22], "little")
        declared = head[38:38 + stored].decode("ascii", errors="replace")
        if declared.startswith("application/"):
            return declared
    for member, media_type in _ZIP_MEMBERS:
        if b"[Content_Types].xml" in head and member in head:
            return media_type
    return "application/zip"


def text_encoding(head: bytes, *, complete: bool = False) -> str | None:
    """The encoding to read ``head`` as text with, or None when it looks binary.

    A BOM decides; otherwise UTF-8 if it decodes (a character cut by the sniff window is fine),
    else Latin-1, which decodes any byte, as long as the text is mostly printable.
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        return None
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=complete)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    return "latin-1" if _mostly_printable(head.decode("latin-1")) else None


def _mostly_printable(text: str) -> bool:
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    return printable >= 0.95 * max(1, len(text))


def _text_kind(text: str, name: str, encoding: str) -> Kind:
    by_name = _by_name(name)
    stripped = text.lstrip()
    if _json_lines(text, at_least=0 if by_name == NDJSON else 2):
        return Kind(NDJSON, encoding)
    if stripped.startswith(("{", "[")):
        return Kind("application/json", encoding)
    if stripped.startswith("<"):
        return Kind("application/xml" if stripped.startswith("<?xml") else "text/html", encoding)
    delimiter = detect_delimiter(text, at_least=1 if by_name in (CSV, TSV) else 2)
    if delimiter is None and by_name in (CSV, TSV):
        delimiter = "\t" if by_name == TSV else ","
    if delimiter is not None:
        return Kind(TSV if delimiter == "\t" else CSV, encoding, delimiter)
    if by_name is not None and (by_name.startswith("text/") or by_name.endswith(("+xml", "/json"))):
        return Kind(by_name, encoding)
    return Kind("text/plain", encoding)


def _by_name(name: str) -> str | None:
    suffix = pathlib.PurePath(name).suffix.lower()
    return _BY_SUFFIX.get(suffix) or mimetypes.guess_type(name, strict=False)[0]


def _json_lines(text: str, *, at_least: int) -> bool:
    """Whether the first (up to 20) non-blank lines each hold one JSON object or array."""
    lines = [line for line in text.splitlines()[:50] if line.strip()][:20]
    if len(lines) < at_least:
        return False
    for line in lines:
        if not line.lstrip().startswith(("{", "[")):
            return False
        try:
            json.loads(line)
        except ValueError:
            return False
    return True


def detect_delimiter(text: str, *, at_least: int = 2) -> str | None:
    """The delimiter that splits the header into most columns, with 90% of rows as wide as it.

    Parsing with ``csv`` (not counting characters per line) keeps quoted delimiters and quoted
    newlines from misleading the guess. Prose with a comma or two rarely passes the width test.
    """
    best: tuple[int, str] | None = None
    for delimiter in DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if not _blank(r)]
        except csv.Error:
            continue
        rows = rows[:200]
        if len(rows) < at_least or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        if sum(len(r) == width for r in rows) >= 0.9 * len(rows) and (best is None or width > best[0]):
            best = (width, delimiter)
    return best[1] if best else None
