"""``inspect``: what each input file is: media type from its content, size, sha256, record count.

Everything streams in fixed-size chunks, so memory stays bounded whatever the file size. The
record count of delimited text uses the ``csv`` module, so a quoted field spanning lines counts once.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import mimetypes
import pathlib
from collections.abc import Iterator
from typing import Any

from jobsmith.processes import context, registry

CHUNK = 1024 * 1024
SNIFF_BYTES = 64 * 1024
_MAGIC: list[tuple[bytes, str]] = [
    (b"PAR1", "application/vnd.apache.parquet"),
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x1f\x8b", "application/gzip"),
    (b"BZh", "application/x-bzip2"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/vnd.ms-excel"),
    (b"SQLite format 3\x00", "application/vnd.sqlite3"),
]
_TABULAR = {"text/csv", "text/tab-separated-values", "application/x-ndjson", "text/plain"}


@registry.process("inspect", title="Inspect files", version="1.0.0",
                  inputs=[registry.FileInput("files", "The file to inspect.")], outputs=["inspect.json"])
def inspect_files(ctx: context.JobContext) -> None:
    """For each input: media type (from the content), size, sha256 and, for tabular text, the record count."""
    total = sum(p.stat().st_size for p in ctx.input_files) or 1
    done = 0
    reports = []
    for name, paths in ctx.inputs.items():
        for path in paths:
            with ctx.step(f"inspect {path.name}") as step:
                report = _inspect(ctx, name, path, lambda n: ctx.progress((done + n) / total))
                step.message = f"{report['media_type']}, {report['size']} bytes" + (
                    f", {report['records']} records" if report["records"] is not None else "")
            done += report["size"]
            reports.append(report)
    (ctx.output_dir / "inspect.json").write_text(json.dumps({"files": reports}, indent=2, ensure_ascii=False))


def _inspect(ctx: context.JobContext, input_name: str, path: pathlib.Path, on_bytes: Any) -> dict[str, Any]:
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    media_type, encoding = sniff(head, path.name)
    digest = hashlib.sha256()
    for n, chunk in enumerate(_chunks(path)):
        ctx.check_cancelled()
        digest.update(chunk)
        on_bytes(n * CHUNK + len(chunk))
    records, delimiter = None, None
    if media_type in _TABULAR and encoding is not None:
        records, delimiter = count_records(ctx, path, encoding, media_type)
    ctx.log.info("%s: %s, %d bytes, %s records", path.name, media_type, path.stat().st_size, records)
    return {"input": input_name, "name": path.name, "size": path.stat().st_size, "sha256": digest.hexdigest(),
            "media_type": media_type, "records": records, "encoding": encoding, "delimiter": delimiter}


def _chunks(path: pathlib.Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def sniff(head: bytes, name: str) -> tuple[str, str | None]:
    """``(media type, text encoding or None)`` from the first bytes, the name only as a tie-breaker."""
    for magic, media_type in _MAGIC:
        if head.startswith(magic):
            return media_type, None
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(head, name), None
    encoding = _text_encoding(head)
    if encoding is None:
        return mimetypes.guess_type(name)[0] or "application/octet-stream", None
    text = head.decode(encoding, errors="ignore").lstrip("\ufeff").lstrip()
    return _text_kind(text, name), encoding


def _zip_kind(head: bytes, name: str) -> str:
    if b"xl/" in head or name.lower().endswith(".xlsx"):
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    if b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet" in head:
        return "application/vnd.oasis.opendocument.spreadsheet"
    return "application/zip"


def _text_encoding(head: bytes) -> str | None:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        return None
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as error:
        if error.start >= len(head) - 4:  # a character cut by the sniff window
            return "utf-8"
    return "cp1252" if _mostly_printable(head.decode("latin-1")) else None


def _mostly_printable(text: str) -> bool:
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    return printable >= 0.95 * max(1, len(text))


def _text_kind(text: str, name: str) -> str:
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if lines and all(line.lstrip().startswith("{") for line in lines[:5]) and len(lines) > 1:
        return "application/x-ndjson"
    if text.startswith(("{", "[")):
        return "application/json"
    if text.startswith("<"):
        return "application/xml" if text.startswith("<?xml") else "text/html"
    delimiter = _delimiter(text)
    if delimiter is not None:
        return "text/tab-separated-values" if delimiter == "\t" else "text/csv"
    return mimetypes.guess_type(name)[0] or "text/plain"


def _delimiter(text: str) -> str | None:
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return None


def count_records(ctx: context.JobContext, path: pathlib.Path, encoding: str,
                  media_type: str) -> tuple[int | None, str | None]:
    """Data records: NDJSON non-empty lines; delimited text rows after the header row."""
    with path.open("r", encoding=encoding, errors="replace", newline="") as handle:
        if media_type == "application/x-ndjson":
            return sum(1 for line in handle if line.strip()), None
        sample = handle.read(SNIFF_BYTES)
        delimiter = _delimiter(sample)
        if delimiter is None:
            return None, None
        handle.seek(0)
        rows = 0
        for n, row in enumerate(csv.reader(_checked(ctx, handle), delimiter=delimiter)):
            if row and any(cell.strip() for cell in row):
                rows += 1
        return max(0, rows - 1), delimiter


def _checked(ctx: context.JobContext, handle: io.TextIOBase | Any) -> Iterator[str]:
    for n, line in enumerate(handle):
        if n % 10_000 == 0:
            ctx.check_cancelled()
        yield line
