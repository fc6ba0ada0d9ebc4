"""A file's format, recognised from its content: connectors upload everything as ``file.csv``.

Only the first 64 KiB are looked at, plus a zip's or OLE file's directory; nothing is decoded
beyond that here. Unknown binary content is reported as such; whether that is an error (a
``.csv`` full of binary) or just a file to list (``photo.heic``) is the caller's decision.
"""

from __future__ import annotations

import bz2
import dataclasses
import enum
import gzip
import json
import lzma
import mmap
import pathlib
import struct
import zipfile

from jobsmith import safe_archive
from jobsmith.processes.profile.readers import encoding

HEAD = 64 * 1024
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_COMPRESSED = {b"\x1f\x8b": "gzip", b"BZh": "bzip2", b"\xfd7zXZ\x00": "xz"}
_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"%PDF", 0, "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"II*\x00", 0, "image/tiff"),
    (b"MM\x00*", 0, "image/tiff"),
    (b"WEBP", 8, "image/webp"),
    (b"WAVE", 8, "audio/wav"),
    (b"AVI ", 8, "video/x-msvideo"),
    (b"OggS", 0, "audio/ogg"),
    (b"fLaC", 0, "audio/flac"),
    (b"ID3", 0, "audio/mpeg"),
    (b"ftypqt", 4, "video/quicktime"),
    (b"ftypM4A", 4, "audio/mp4"),
    (b"ftyp", 4, "video/mp4"),
    (b"\x1aE\xdf\xa3", 0, "video/x-matroska"),
    (b"7z\xbc\xaf'\x1c", 0, "application/x-7z-compressed"),
    (b"Rar!\x1a\x07", 0, "application/vnd.rar"),
    (b"SQLite format 3\x00", 0, "application/vnd.sqlite3"),
    (b"ARROW1", 0, "application/vnd.apache.arrow.file"),
    (b"Obj\x01", 0, "application/avro"),
    (b"\x89HDF\r\n\x1a\n", 0, "application/x-hdf5"),
    (b"\x93NUMPY", 0, "application/x-npy"),
    (b"\x7fELF", 0, "application/x-executable"),
)
_ZIP_KINDS = {
    "word/document.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "ppt/presentation.xml": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "xl/workbook.bin": "application/vnd.ms-excel.sheet.binary.macroenabled.12",
}
_ODS = "application/vnd.oasis.opendocument.spreadsheet"
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Format(enum.Enum):
    EMPTY = "empty"
    DELIMITED = "delimited"
    JSON = "json"
    XLSX = "xlsx"
    XLS = "xls"
    ODS = "ods"
    PARQUET = "parquet"
    ZIP = "zip"
    TAR = "tar"
    COMPRESSED = "compressed"  # one gzip/bzip2/xz stream that is not a tar
    OTHER = "other"  # a known format we do not profile; see media_type
    BINARY = "binary"  # not text, and no format we know


@dataclasses.dataclass(frozen=True)
class Detected:
    """``detail``: the JSON layout (array, object, lines, concatenated) or the compression."""

    format: Format
    media_type: str = "application/octet-stream"
    detail: str = ""


def detect(path: pathlib.Path) -> Detected:
    size = path.stat().st_size
    if size == 0:
        return Detected(Format.EMPTY)
    with path.open("rb") as handle:
        head = handle.read(HEAD)
    return _binary(path, head) or _text(head, complete=size <= HEAD)


def _binary(path: pathlib.Path, head: bytes) -> Detected | None:
    if head.startswith(_ZIP):
        return _zip(path, head)
    if head.startswith(_OLE):
        return _ole(path)
    if head.startswith(b"PAR1"):
        return Detected(Format.PARQUET, "application/vnd.apache.parquet")
    for magic, compression in _COMPRESSED.items():
        if head.startswith(magic):
            return _compressed(path, compression)
    if head[257:262] == b"ustar":
        return Detected(Format.TAR, "application/x-tar")
    return _magic(path, head)


def _magic(path: pathlib.Path, head: bytes) -> Detected | None:
    for magic, offset, media_type in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return Detected(Format.OTHER, media_type)
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return Detected(Format.OTHER, "application/x-python-pickle")  # listed, never unpickled
    if head[:2] == b"BM" and len(head) > 6 and struct.unpack("<I", head[2:6])[0] == path.stat().st_size:
        return Detected(Format.OTHER, "image/bmp")
    return None


def _text(head: bytes, complete: bool) -> Detected:
    announced = encoding.from_head(head)
    if announced is None and _looks_binary(head):
        return Detected(Format.BINARY)
    text = head.decode(announced.codec if announced else "utf-8", errors="replace")
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped and complete:
        return Detected(Format.EMPTY)
    if stripped[:1] in ("{", "["):
        return _json(stripped, complete)
    lowered = stripped[:256].lower()
    if lowered.startswith("<?xml"):
        return Detected(Format.OTHER, "application/xml")
    if lowered.startswith(("<!doctype html", "<html")):
        return Detected(Format.OTHER, "text/html")
    return Detected(Format.DELIMITED, "text/csv")


def _looks_binary(head: bytes) -> bool:
    """More than 1 % control characters (NUL included) that text never holds.

    A stray NUL in an otherwise fine CSV (a broken export) keeps it text.
    """
    controls = sum(head.count(bytes([code])) for code in (*range(0, 9), 14, 15, *range(16, 27), 28, 29, 30, 31, 127))
    return controls > max(1, len(head) // 100)


def _json(text: str, complete: bool) -> Detected:
    """JSON if the first value parses, or fails only past its first line or kilobyte.

    A text starting with a bracket that fails at once (``[id],[name]``) is more likely a CSV;
    it is reported as delimited with detail ``bracket`` so a ``.json`` name can still win.
    """
    layout = "array" if text[0] == "[" else "object"
    try:
        _, end = json.JSONDecoder().raw_decode(text)
    except json.JSONDecodeError as error:
        line_end = text.find("\n")
        early = error.pos <= 1024 and (line_end < 0 or error.pos <= line_end)
        if early and (complete or error.pos < len(text) - 1):
            return Detected(Format.DELIMITED, "text/csv", "bracket")
        return Detected(Format.JSON, "application/json", layout)
    rest = text[end:].lstrip(" \t\r")
    if not rest.strip():
        return Detected(Format.JSON, "application/json", layout)
    if rest.lstrip()[:1] in ("{", "["):
        one_line = "\n" not in text[:end] and rest.startswith("\n")
        kind = "lines" if one_line else "concatenated"
        return Detected(Format.JSON, "application/x-ndjson", kind)
    return Detected(Format.DELIMITED, "text/csv", "bracket")


def _zip(path: pathlib.Path, head: bytes) -> Detected:
    """What a zip holds decides: a workbook, another office document, or an archive.

    A zip without a readable directory is damaged; if its first entries are a workbook's, the
    workbook reader says so, else the archive reader does.
    """
    entries = zip_entry_count(path)
    if entries is not None and entries > 100_000:
        return Detected(Format.ZIP, "application/zip")  # the archive reader refuses it
    try:
        if entries is None:
            raise zipfile.BadZipFile("no end of central directory")
        with zipfile.ZipFile(path) as archive:
            return _zip_content(archive)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        if b"xl/" in head or b"[Content_Types].xml" in head:
            return Detected(Format.XLSX, _XLSX)
        return Detected(Format.ZIP, "application/zip")


def _zip_content(archive: zipfile.ZipFile) -> Detected:
    names = archive.NameToInfo
    if "xl/workbook.xml" in names:
        return Detected(Format.XLSX, _XLSX)
    if "mimetype" in names and names["mimetype"].file_size < 200:
        with archive.open("mimetype") as stream:
            media_type = stream.read(200).decode("ascii", errors="replace").strip()
        return Detected(Format.ODS if media_type == _ODS else Format.OTHER, media_type)
    for member, media_type in _ZIP_KINDS.items():
        if member in names:
            return Detected(Format.OTHER, media_type)
    return Detected(Format.ZIP, "application/zip")


zip_entry_count = safe_archive.zip_entry_count


def _ole(path: pathlib.Path) -> Detected:
    """An OLE2 container is an ``.xls`` when its directory names a workbook stream."""
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        if mapped.find("Workbook".encode("utf-16-le")) >= 0 or mapped.find("Book\x00".encode("utf-16-le")) >= 0:
            return Detected(Format.XLS, "application/vnd.ms-excel")
        if mapped.find("WordDocument".encode("utf-16-le")) >= 0:
            return Detected(Format.OTHER, "application/msword")
    return Detected(Format.OTHER, "application/x-ole-storage")


def _compressed(path: pathlib.Path, compression: str) -> Detected:
    """A tar inside the compression is a tar archive; anything else is one compressed file."""
    try:
        with decompressed(path, compression) as stream:
            start = stream.read(512)
    except (OSError, EOFError, lzma.LZMAError):
        start = b""
    if start[257:262] == b"ustar":
        return Detected(Format.TAR, "application/x-tar", compression)
    return Detected(Format.COMPRESSED, f"application/{'x-' if compression != 'gzip' else ''}{compression}", compression)


Stream = gzip.GzipFile | bz2.BZ2File | lzma.LZMAFile


def decompressed(path: pathlib.Path, compression: str) -> Stream:
    """A stream of the decompressed bytes of a gzip, bzip2 or xz file."""
    if compression == "gzip":
        return gzip.GzipFile(path, "rb")
    if compression == "bzip2":
        return bz2.BZ2File(path, "rb")
    return lzma.LZMAFile(path, "rb")
