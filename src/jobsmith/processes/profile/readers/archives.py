"""Archives (.zip, .tar, .tar.gz/.tgz/.tar.bz2/.tar.xz, a lone .gz): each member is a dataset.

The archive is a dataset too, handed over before its members (:class:`sources.ArchiveSource`),
so the EDP's dataset tree can show which archive each member came from.

The rules every archive follows (member paths, metering, limits) are :mod:`jobsmith.safe_archive`'s,
shared with the import of datasets from the input directory; this module reads what they let through.

Members are unpacked by us, never by ``extractall``: every name is checked (no absolute paths,
drive letters or ``..``), links and devices are listed but not followed or created, and what is
written is metered against :class:`ArchiveLimits` as it is written, because the sizes an archive
declares can be forged. A member's dataset is named ``<archive name>/<member path>``.

Anything unsafe refuses the whole archive with a sentence naming the member: a path escape or a
bomb is not a file to half-read.
"""

from __future__ import annotations

import collections.abc
import contextlib
import lzma
import pathlib
import tarfile
import typing
import zipfile

from jobsmith import safe_archive
from jobsmith.processes.profile.readers import file_format, read_context, readable, sources

ReadMember = collections.abc.Callable[[pathlib.Path, str, read_context.Context], list[sources.Source]]
_SYMLINK = 0o120000
_SUFFIXES = {"gzip": (".gz", ".gzip"), "bzip2": (".bz2",), "xz": (".xz",)}


def read(
    path: pathlib.Path, name: str, found: file_format.Detected, ctx: read_context.Context, read_member: ReadMember
) -> list[sources.Source]:
    """The archive itself (an :class:`sources.ArchiveSource`, first) and then its members' datasets.

    A lone compressed file whose name has no compression suffix to strip (a connector's
    ``file.csv``) is read as the file it holds, without an archive: its one dataset keeps the
    upload's name, so there would be no member name to put under the archive's.
    """
    target = ctx.scratch("-unpacked")
    if found.format is file_format.Format.ZIP:
        members = _zip(path, name, target, ctx, read_member)
    elif found.format is file_format.Format.TAR:
        members = _tar(path, name, target, ctx, read_member)
    else:
        members = _single(path, name, found.detail, target, ctx, read_member)
        if not _inner_name(name, found.detail):
            return members
    return [sources.ArchiveSource(name, algorithm(found), _extracted_size(target)), *members]


def algorithm(found: file_format.Detected) -> str:
    """How the archive was packed: ``zip``, ``tar`` (uncompressed), or the compression around a tar or file."""
    if found.format is file_format.Format.ZIP:
        return "zip"
    return found.detail or "tar"


def file_type(found: file_format.Detected) -> str:
    """The archive's type as its usual suffix says it: ``zip``, ``tar``, ``tar.gz``, ``gz``, ..."""
    if found.format is file_format.Format.ZIP:
        return "zip"
    suffix = _SUFFIXES[found.detail][0].lstrip(".") if found.detail else ""
    if found.format is file_format.Format.TAR:
        return f"tar.{suffix}" if suffix else "tar"
    return suffix


def _extracted_size(target: pathlib.Path) -> int:
    """Bytes the archive's own members unpacked to.

    ``target`` is this archive's fresh scratch directory and holds its members only: nested
    archives unpack into scratch directories of their own and UTF-8 copies are written beside
    them, so a nested archive counts at its packed size, as the schema's ``extractedSize`` asks.
    """
    return sum(file.stat().st_size for file in target.rglob("*") if file.is_file())


def safe_member_path(raw: str, archive: str) -> str | None:
    """The member's path as a relative POSIX path; None for the archive root itself.

    Raises UnreadableData for a path that would land outside the unpack directory (the shared
    rule of :func:`jobsmith.safe_archive.member_path`).
    """
    with _refusals():
        return safe_archive.member_path(raw, archive)


def _zip(path: pathlib.Path, name: str, target: pathlib.Path, ctx: read_context.Context, read_member: ReadMember) -> list[sources.Source]:
    declared = safe_archive.zip_entry_count(path)
    if declared is not None:
        _count_members(ctx, name, declared)  # before zipfile loads a directory of that size
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise sources.UnreadableData(f"'{name}' is a damaged or truncated ZIP archive: {error}.") from error
    with archive:
        members = [(info, safe_member_path(info.filename, name)) for info in archive.infolist() if not info.is_dir()]
        _count_members(ctx, name, len(members), increment=True)
        found: list[sources.Source] = []
        for index, (info, member) in enumerate(members):
            if member is not None:
                found += _zip_member(archive, info, member, name, target / str(index), ctx, read_member)
    return _nonempty(found, name)


def _zip_member(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    member: str,
    name: str,
    target: pathlib.Path,
    ctx: read_context.Context,
    read_member: ReadMember,
) -> list[sources.Source]:
    label = f"{name}/{member}"
    if (info.external_attr >> 16) & 0o170000 == _SYMLINK:
        return [sources.OtherSource(label, "inode/symlink")]
    if info.flag_bits & 0x1:
        return [sources.OtherSource(label, "application/octet-stream")]  # encrypted: listed, unread
    destination = target / member
    try:
        with archive.open(info) as stream:
            _copy(stream, destination, _meter(ctx, name, info.compress_size), member)
    except sources.UnreadableData:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as error:
        raise sources.UnreadableData(f"'{name}' is damaged: member '{member}' cannot be unpacked ({error}).") from error
    return read_member(destination, label, ctx.nested())


def _tar(path: pathlib.Path, name: str, target: pathlib.Path, ctx: read_context.Context, read_member: ReadMember) -> list[sources.Source]:
    found: list[sources.Source] = []
    try:
        with safe_archive.open_tar(path) as (archive, consumed):  # expansion measured as it is read
            meter = _meter(ctx, name, consumed)
            for index, info in enumerate(archive):
                _count_members(ctx, name, 1, increment=True)
                found += _tar_member(archive, info, name, target / str(index), meter, ctx, read_member)
    except (tarfile.TarError, OSError, EOFError, lzma.LZMAError) as error:
        raise sources.UnreadableData(f"'{name}' is a damaged or truncated tar archive: {error}.") from error
    return _nonempty(found, name)


def _tar_member(
    archive: tarfile.TarFile,
    info: tarfile.TarInfo,
    name: str,
    target: pathlib.Path,
    meter: safe_archive.Meter,
    ctx: read_context.Context,
    read_member: ReadMember,
) -> list[sources.Source]:
    member = safe_member_path(info.name, name)
    if member is None or info.isdir():
        return []
    label = f"{name}/{member}"
    if not info.isfile():
        return [sources.OtherSource(label, _special_type(info))]
    stream = archive.extractfile(info)
    if stream is None:
        return []
    destination = target / member
    with stream:
        _copy(stream, destination, meter, member)
    return read_member(destination, label, ctx.nested())


def _special_type(info: tarfile.TarInfo) -> str:
    if info.issym() or info.islnk():
        return "inode/symlink"
    if info.ischr():
        return "inode/chardevice"
    if info.isblk():
        return "inode/blockdevice"
    return "inode/fifo" if info.isfifo() else "application/octet-stream"


def _single(
    path: pathlib.Path, name: str, compression: str, target: pathlib.Path, ctx: read_context.Context, read_member: ReadMember
) -> list[sources.Source]:
    """One gzip/bzip2/xz stream holding one file: ``data.csv.gz`` gives ``data.csv.gz/data.csv``.

    Without a compression suffix to strip (a connector's ``file.csv``), the dataset keeps the
    upload's name.
    """
    inner = _inner_name(name, compression)
    _count_members(ctx, name, 1, increment=True)
    destination = target / (inner or "content")
    try:
        with file_format.decompressed(path, compression) as stream:
            _copy(stream, destination, _meter(ctx, name, path.stat().st_size), inner)
    except sources.UnreadableData:
        raise
    except (OSError, EOFError, lzma.LZMAError) as error:
        raise sources.UnreadableData(f"'{name}' is damaged or truncated {compression} data: {error}.") from error
    return read_member(destination, f"{name}/{inner}" if inner else name, ctx.nested())


def _inner_name(name: str, compression: str) -> str:
    """The compressed file's name without its compression suffix; empty when it has none."""
    outer = name.rsplit("/", 1)[-1]
    return next((outer[: -len(s)] for s in _SUFFIXES[compression] if outer.lower().endswith(s)), "")


def _copy(stream: typing.IO[bytes] | file_format.Stream, destination: pathlib.Path, meter: safe_archive.Meter,
          member: str) -> None:
    with _refusals():
        safe_archive.copy(stream, destination, meter, member)


def _meter(ctx: read_context.Context, archive: str, packed: int | collections.abc.Callable[[], int],
           ) -> safe_archive.Meter:
    """Bytes written against the limits of this read (nested archives share its tally)."""
    return safe_archive.Meter(ctx.limits, ctx.unpacked, archive, packed)


def _count_members(ctx: read_context.Context, name: str, count: int, increment: bool = False) -> None:
    with _refusals():
        safe_archive.count_members(ctx.limits, ctx.unpacked, name, count, increment=increment)


@contextlib.contextmanager
def _refusals() -> collections.abc.Iterator[None]:
    """The shared rules' refusal as the profile's: a sentence for the job's reason."""
    try:
        yield
    except safe_archive.Refused as refused:
        raise sources.UnreadableData(str(refused)) from refused


def _nonempty(found: list[sources.Source], name: str) -> list[sources.Source]:
    if not found:
        raise sources.UnreadableData(f"'{name}' is an empty archive: there is nothing to profile. The profile process "
                                     f"reads {readable.READS}.")
    return found
