"""Reading archives someone else made, safely: the one place that decides what a member may be.

Both the profile's readers (an uploaded ``.zip`` is profiled member by member) and the import of
datasets from the input directory unpack archives nobody here packed, so both go through these
rules, and a fix here protects both. Nothing in this module knows of jobs, HTTP or SQL: it is a
leaf both layers may import (the import-linter contracts say so).

The rules: every member name is checked (no absolute paths, drive letters, ``..`` or NUL), links and
devices are never created, and what is unpacked is metered *as it is written* against
:class:`Limits`, because the sizes an archive declares can be forged. The compression ratio is
measured against the packed bytes actually consumed (a tar's stream, a zip member's compressed
size), so a bomb is stopped after a few MiB of output, not after the disk is full. Anything unsafe
raises :class:`Refused` with a sentence naming the archive and the member.
"""

from __future__ import annotations

import bz2
import contextlib
import dataclasses
import gzip
import lzma
import pathlib
import re
import struct
import tarfile
import typing
import zipfile
from collections.abc import Callable, Iterator

CHUNK = 1024 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")
_SYMLINK = 0o120000
_FILE_TYPE = 0o170000
_TAR_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar")
ARCHIVE_SUFFIXES = (".zip", *_TAR_SUFFIXES)
"""The names read as archives of datasets: ``.zip``, ``.tar`` and the compressed tars."""


class Stream(typing.Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


@dataclasses.dataclass(frozen=True)
class Limits:
    """Bounds on what an archive may unpack to, so a hostile archive cannot fill the disk.

    ``max_ratio`` applies once a member (or a tar stream) has written more than
    ``ratio_threshold_bytes``, since tiny files compress by large factors quite legitimately.
    """

    max_members: int = 10_000
    max_total_bytes: int = 8 * 1024**3
    max_member_bytes: int = 4 * 1024**3
    max_ratio: float = 250.0
    ratio_threshold_bytes: int = 1024 * 1024


@dataclasses.dataclass
class Tally:
    """Members and bytes unpacked so far; shared by nested archives so the limits hold across them."""

    members: int = 0
    bytes: int = 0


class Refused(ValueError):
    """An archive that is not unpacked, and why: ``"'x.zip' was not unpacked: member '../a' ..."``."""

    def __init__(self, archive: str, reason: str) -> None:
        super().__init__(f"'{archive}' was not unpacked: {reason}.")
        self.archive, self.reason = archive, reason


def member_path(raw: str, archive: str) -> str | None:
    """The member's path as a relative POSIX path; None for the archive's root itself.

    Raises :class:`Refused` for a path that would land outside the directory it is unpacked into.
    """
    text = raw.replace("\\", "/")
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if text.startswith("/") or _DRIVE.match(text) or ".." in parts or "\x00" in text:
        raise Refused(archive, f"member '{raw}' has a path leading outside the archive")
    return "/".join(parts) or None


def count_members(limits: Limits, tally: Tally, archive: str, count: int, *, increment: bool = False) -> None:
    """Refuse once the archives of one read hold more than ``max_members`` files."""
    total = tally.members + count
    if total > limits.max_members:
        raise Refused(archive, f"it holds more than {limits.max_members} files")
    if increment:
        tally.members = total


class Meter:
    """Counts bytes written against the limits.

    ``packed`` is what they came from, for the ratio: a zip member's compressed size, or a
    function giving the packed bytes a tar stream has consumed so far.
    """

    def __init__(self, limits: Limits, tally: Tally, archive: str, packed: int | Callable[[], int]) -> None:
        self._limits, self._tally, self._archive, self._packed = limits, tally, archive, packed
        self.written = 0

    def add(self, count: int, member: str, member_written: int) -> None:
        limits = self._limits
        self.written += count
        self._tally.bytes += count
        if member_written > limits.max_member_bytes:
            raise Refused(self._archive, f"'{member}' unpacks to more than {size_text(limits.max_member_bytes)}")
        if self._tally.bytes > limits.max_total_bytes:
            raise Refused(self._archive, f"its files unpack to more than {size_text(limits.max_total_bytes)} in total")
        if self.written > limits.ratio_threshold_bytes:
            packed = max(self._packed() if callable(self._packed) else self._packed, 1)
            if self.written > limits.max_ratio * packed:
                raise Refused(self._archive, f"'{member}' expands more than {limits.max_ratio:g}-fold (from "
                                             f"{size_text(packed)}), which is how zip bombs look")


def copy(stream: Stream, destination: pathlib.Path | None, meter: Meter, member: str) -> None:
    """Stream a member to ``destination`` (a new file), or only through the meter when it is None."""
    written = 0
    if destination is None:
        while chunk := stream.read(CHUNK):
            written += len(chunk)
            meter.add(len(chunk), member, written)
        return
    destination.parent.mkdir(parents=True, exist_ok=True)
    with destination.open("xb") as out:
        while chunk := stream.read(CHUNK):
            written += len(chunk)
            meter.add(len(chunk), member, written)
            out.write(chunk)


def size_text(count: int) -> str:
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if count >= factor:
            return f"{count / factor:.1f} {unit}"
    return f"{count} bytes"


def zip_entry_count(path: pathlib.Path) -> int | None:
    """Entries a zip declares in its end record, read without loading its directory; None if absent.

    ``zipfile`` builds an object per entry up front, so a forged directory of millions of
    entries would exhaust memory before any limit could be checked.
    """
    with path.open("rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - 65_557))
        tail = handle.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return None
    count = int(struct.unpack("<H", tail[at + 10 : at + 12])[0])
    if count != 0xFFFF:
        return count
    locator = tail.rfind(b"PK\x06\x06", 0, at)  # zip64: the real count is in its own record
    return int(struct.unpack("<Q", tail[locator + 32 : locator + 40])[0]) if locator >= 0 else count


# -- whole archives of datasets ----------------------------------------------------------------
def archive_kind(name: str) -> str | None:
    """``zip`` or ``tar`` when ``name`` is an archive of datasets by its suffix, else None."""
    lower = name.lower()
    if lower.endswith(".zip"):
        return "zip"
    return "tar" if lower.endswith(_TAR_SUFFIXES) else None


def archive_stem(name: str) -> str:
    """The name without its archive suffix: ``regions`` for ``regions.tar.gz``."""
    lower = name.lower()
    for suffix in ARCHIVE_SUFFIXES:
        if lower.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


@dataclasses.dataclass(frozen=True)
class Member:
    """A regular file of an archive: its checked relative path and its unpacked size."""

    path: str
    size: int


class _Paths:
    """The member paths seen so far: one path cannot be two files, or a file and a folder."""

    def __init__(self, archive: str) -> None:
        self._archive, self._files, self._folders = archive, set[str](), set[str]()

    def add(self, member: str) -> None:
        parts = member.split("/")
        folders = {"/".join(parts[:i]) for i in range(1, len(parts))}
        if member in self._files or member in self._folders or not folders.isdisjoint(self._files):
            raise Refused(self._archive, f"member '{member}' clashes with another member of the same path")
        self._files.add(member)
        self._folders |= folders


def unpack(path: pathlib.Path, name: str, destination: pathlib.Path | None, limits: Limits,
           beat: Callable[[], None] = lambda: None) -> list[Member]:
    """Unpack the regular files of archive ``path`` (called ``name`` in sentences) under ``destination``;
    with ``destination`` None, only read them through the checks (nothing is written).

    Stricter than the profile's reading: a link, device or fifo member is refused, not listed,
    because a dataset unpacked for any process must hold plain files only. ``beat`` is called
    between chunks of work, so that a caller can show it is alive (a worker's lease) or stop it by
    raising. Raises :class:`Refused`; a damaged archive is refused too, naming what failed.
    """
    kind = archive_kind(name)
    try:
        if kind == "zip":
            return _unpack_zip(path, name, destination, limits, beat)
        return _unpack_tar(path, name, destination, limits, beat)
    except Refused:
        raise
    except (zipfile.BadZipFile, tarfile.TarError, gzip.BadGzipFile, EOFError, lzma.LZMAError, ValueError,
            NotImplementedError) as error:
        raise Refused(name, f"it is damaged or truncated ({error})") from error
    except OSError as error:  # its words only: the paths it names are this server's
        raise Refused(name, f"it could not be unpacked ({error.strerror or type(error).__name__})") from error


def _unpack_zip(path: pathlib.Path, name: str, destination: pathlib.Path | None, limits: Limits,
                beat: Callable[[], None]) -> list[Member]:
    tally = Tally()
    declared = zip_entry_count(path)
    if declared is None:
        raise Refused(name, "it is not a ZIP archive (no central directory)")
    count_members(limits, tally, name, declared)  # before zipfile loads a directory of that size
    members: list[Member] = []
    seen = _Paths(name)
    with zipfile.ZipFile(path) as archive:
        entries = [(info, member_path(info.filename, name)) for info in archive.infolist()]
        for info, member in entries:
            if member is None or info.is_dir():
                continue
            seen.add(member)
            if (info.external_attr >> 16) & _FILE_TYPE == _SYMLINK:
                raise Refused(name, f"member '{info.filename}' is a link, and links are not unpacked")
            if info.flag_bits & 0x1:
                raise Refused(name, f"member '{info.filename}' is encrypted")
            count_members(limits, tally, name, 1, increment=True)
            beat()
            meter = Meter(limits, tally, name, info.compress_size)
            with archive.open(info) as stream:
                copy(stream, None if destination is None else destination / member, meter, member)
            members.append(Member(member, meter.written))
    return members


class _Counting:
    """A file read through, counting the bytes it gave: the packed bytes a tar stream consumed."""

    def __init__(self, raw: typing.BinaryIO) -> None:
        self._raw, self.consumed = raw, 0

    def read(self, size: int = -1) -> bytes:
        chunk = self._raw.read(size)
        self.consumed += len(chunk)
        return chunk


def _decompressed(raw: _Counting, head: bytes) -> Stream:
    packed = typing.cast(typing.BinaryIO, raw)  # read() is all the decompressors call
    if head.startswith(b"\x1f\x8b"):
        return gzip.GzipFile(fileobj=packed, mode="rb")
    if head.startswith(b"BZh"):
        return bz2.BZ2File(packed)
    if head.startswith(b"\xfd7zXZ\x00"):
        return lzma.LZMAFile(packed)
    return raw


@contextlib.contextmanager
def open_tar(path: pathlib.Path) -> Iterator[tuple[tarfile.TarFile, Callable[[], int]]]:
    """A tar (compressed by gzip, bzip2 or xz, or not) read as a stream, and a function giving the packed
    bytes consumed so far: what a :class:`Meter` measures a tar's expansion against, so that a bomb is
    stopped by its ratio after a few MiB rather than after the whole file's worth of ratio.

    Stream mode (``r|``) reads every byte through once, skipped members too: members must be read in
    order, each with ``extractfile`` while it is the current one.
    """
    with path.open("rb") as handle:
        head = handle.read(6)
        handle.seek(0)
        raw = _Counting(handle)
        with tarfile.open(fileobj=_decompressed(raw, head), mode="r|") as archive:  # type: ignore[call-overload]
            yield archive, lambda: raw.consumed


def _unpack_tar(path: pathlib.Path, name: str, destination: pathlib.Path | None, limits: Limits,
                beat: Callable[[], None]) -> list[Member]:
    """Read as a stream (``r|``): the ratio is measured against the packed bytes consumed so far, and
    skipped data passes through the meter too, so no member's bytes go uncounted."""
    tally = Tally()
    members: list[Member] = []
    seen = _Paths(name)
    with open_tar(path) as (archive, consumed):
        meter = Meter(limits, tally, name, consumed)
        for info in archive:
            member = member_path(info.name, name)
            count_members(limits, tally, name, 1, increment=True)
            if member is None or info.isdir():
                continue
            if not info.isfile():
                what = "a link" if info.issym() or info.islnk() else "a device or fifo"
                raise Refused(name, f"member '{info.name}' is {what}, and such members are not unpacked")
            seen.add(member)
            beat()
            before = meter.written
            source = archive.extractfile(info)
            if source is not None:
                with source:
                    copy(source, None if destination is None else destination / member, meter, member)
            members.append(Member(member, meter.written - before))
    return members


def survey(path: pathlib.Path, name: str, limits: Limits) -> list[Member]:
    """The regular files of an archive without writing any, under the same checks as :func:`unpack`.

    A zip's directory is read as it declares itself (cheap; its forged sizes are caught when it is
    unpacked); a tar has no directory, so it is read through, as :func:`unpack` reads it.
    """
    if archive_kind(name) != "zip":
        return unpack(path, name, None, limits)
    try:
        declared = zip_entry_count(path)
        if declared is None:
            raise Refused(name, "it is not a ZIP archive (no central directory)")
        count_members(limits, Tally(), name, declared)
        with zipfile.ZipFile(path) as archive:
            members = []
            seen = _Paths(name)
            for info in archive.infolist():
                member = member_path(info.filename, name)
                if member is None or info.is_dir():
                    continue
                seen.add(member)
                if (info.external_attr >> 16) & _FILE_TYPE == _SYMLINK:
                    raise Refused(name, f"member '{info.filename}' is a link, and links are not unpacked")
                members.append(Member(member, info.file_size))
            return members
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        if isinstance(error, Refused):
            raise
        raise Refused(name, f"it is damaged or truncated ({error})") from error
