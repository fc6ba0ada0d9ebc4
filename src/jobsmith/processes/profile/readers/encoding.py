"""Which text encoding a file uses, and a streamed transcoding to UTF-8 when DuckDB can't read it.

DuckDB's CSV reader knows UTF-8, UTF-16 (little-endian with a byte order mark) and Latin-1
without extensions; everything else (UTF-16 big-endian, Windows-1252) is rewritten to UTF-8 in
the work directory, chunk by chunk, never holding the file in memory.

An 8-bit file is checked for UTF-8 validity over its *whole* length: a sample would miss the one
"ü" in Latin-1 on line 2 million and the analysis would then fail half-way. The check runs at
disk speed because pure ASCII chunks, the common case, need no decoding.
"""

from __future__ import annotations

import codecs
import dataclasses
import pathlib
import re

CHUNK = 4 * 1024 * 1024
_C1 = re.compile(rb"[\x80-\x9f]")


@dataclasses.dataclass(frozen=True)
class Encoding:
    """How to decode a file: a Python codec, a label for people, and DuckDB's name if native."""

    codec: str
    label: str
    duckdb: str | None  # None: DuckDB cannot read it, transcode to UTF-8 first
    errors: str = "strict"
    note: str | None = None


UTF8 = Encoding("utf-8", "UTF-8", "utf-8")
UTF8_BOM = Encoding("utf-8-sig", "UTF-8 with byte order mark", "utf-8")
UTF16_LE_BOM = Encoding("utf-16", "UTF-16 little-endian with byte order mark", "utf-16")
UTF16_BE_BOM = Encoding("utf-16", "UTF-16 big-endian with byte order mark", None)
UTF16_LE = Encoding("utf-16-le", "UTF-16 little-endian", None)
UTF16_BE = Encoding("utf-16-be", "UTF-16 big-endian", None)
LATIN1 = Encoding("latin-1", "Latin-1 (ISO-8859-1)", "latin-1")
CP1252 = Encoding("cp1252", "Windows-1252", None, errors="replace")


def from_head(head: bytes) -> Encoding | None:
    """The encoding a byte order mark or a UTF-16 byte pattern announces; None for 8-bit text."""
    if head.startswith(codecs.BOM_UTF8):
        return UTF8_BOM
    if head.startswith(codecs.BOM_UTF16_LE) and not head.startswith(codecs.BOM_UTF32_LE):
        return UTF16_LE_BOM
    if head.startswith(codecs.BOM_UTF16_BE):
        return UTF16_BE_BOM
    return _utf16_without_bom(head[:4096])


def _utf16_without_bom(head: bytes) -> Encoding | None:
    """Mostly-ASCII UTF-16 has a NUL in every other byte; which side says the byte order."""
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return UTF16_LE
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return UTF16_BE
    return None


def detect(path: pathlib.Path) -> Encoding:
    """The file's encoding: announced by its start, or else UTF-8 if every byte of it is valid."""
    with path.open("rb") as handle:
        announced = from_head(handle.read(4096))
    return announced if announced is not None else _scan_8bit(path)


def _scan_8bit(path: pathlib.Path) -> Encoding:
    """UTF-8 if the whole file decodes; otherwise Windows-1252 or Latin-1, or UTF-8 with repairs.

    A file that held valid multi-byte UTF-8 before its first bad byte is UTF-8 with a damaged
    spot, not Latin-1: reading it as Latin-1 would garble every umlaut to fix one byte.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    seen_multibyte = False
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            if not chunk.isascii() or decoder.getstate()[0]:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as error:
                    start = max(error.start, 0)
                    seen_multibyte = seen_multibyte or not chunk[:start].isascii()
                    return _not_utf8(path, seen_multibyte, offset + start)
                seen_multibyte = True
            offset += len(chunk)
    if decoder.getstate()[0]:
        return _not_utf8(path, seen_multibyte, offset)
    return UTF8


def _not_utf8(path: pathlib.Path, seen_multibyte: bool, offset: int) -> Encoding:
    if seen_multibyte:
        note = f"Invalid UTF-8 at byte {offset + 1} (line {_line_at(path, offset)}) was replaced by '\ufffd'."
        return Encoding("utf-8", "UTF-8 with invalid bytes", None, errors="replace", note=note)
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            if _C1.search(chunk):
                return CP1252
    return LATIN1


def _line_at(path: pathlib.Path, offset: int) -> int:
    """The 1-based line holding byte ``offset``; counted only when there is an error to report."""
    lines = 0
    with path.open("rb") as handle:
        while offset > 0 and (chunk := handle.read(min(CHUNK, offset))):
            lines += chunk.count(b"\n")
            offset -= len(chunk)
    return lines + 1


def decode_head(path: pathlib.Path, encoding: Encoding, size: int) -> tuple[str, bool]:
    """The first ``size`` bytes as text, and whether that was the whole file.

    A multi-byte character cut at the end is dropped rather than garbled.
    """
    with path.open("rb") as handle:
        raw = handle.read(size + 1)
    complete = len(raw) <= size
    decoder = codecs.getincrementaldecoder(encoding.codec)(errors="replace")
    return decoder.decode(raw[:size], final=complete), complete


def transcode(source: pathlib.Path, encoding: Encoding, target: pathlib.Path) -> pathlib.Path:
    """Rewrite ``source`` as UTF-8 without byte order mark into ``target``, streamed in chunks."""
    decoder = codecs.getincrementaldecoder(encoding.codec)(errors=encoding.errors)
    target.parent.mkdir(parents=True, exist_ok=True)
    with source.open("rb") as reader, target.open("wb") as writer:
        while chunk := reader.read(CHUNK):
            writer.write(decoder.decode(chunk).encode("utf-8"))
        writer.write(decoder.decode(b"", final=True).encode("utf-8"))
    return target
