"""A ``.sigmf`` archive (a tar of ``.sigmf-meta`` and ``.sigmf-data`` members) read without extracting it.

Nothing is ever written under a member's name, so no member can escape anywhere; still, an archive
whose members name absolute paths or ``..`` is refused, as are links and devices, since such an
archive was not made by a SigMF writer. An uncompressed tar (what the SigMF specification asks for)
is read in place: the data member is a byte range of the archive, so a 1 GB recording costs no copy.
A compressed one is streamed once into the job's work directory.
"""

from __future__ import annotations

import dataclasses
import pathlib
import shutil
import tarfile

from jobsmith.processes import context

META, DATA = ".sigmf-meta", ".sigmf-data"
MAX_META_BYTES = 64 * 1024 * 1024


@dataclasses.dataclass(frozen=True)
class ByteRange:
    """``length`` bytes of ``path`` from ``offset``: where a recording's samples are."""

    path: pathlib.Path
    offset: int
    length: int


@dataclasses.dataclass(frozen=True)
class Unpacked:
    """The metadata text of the archive's recording and where its data bytes are."""

    meta_text: str
    data: ByteRange


def open_archive(path: pathlib.Path, work_dir: pathlib.Path) -> Unpacked:
    """The one recording in ``path``; :class:`context.JobFailed` says why an archive is unusable."""
    try:
        with tarfile.open(path, "r:*") as tar:
            members = tar.getmembers()
            for member in members:
                _check_member(path, member)
            meta, data = _pair(path, [m for m in members if m.isfile()])
            if meta.size > MAX_META_BYTES:
                raise context.JobFailed(f"the metadata {meta.name} in {path.name} is larger than 64 MB")
            meta_text = _read_text(tar, meta, path)
            if not _compressed(path):
                return Unpacked(meta_text, ByteRange(path, data.offset_data, data.size))
            return Unpacked(meta_text, _copy(tar, data, work_dir))
    except tarfile.TarError as exc:
        raise context.JobFailed(f"{path.name} is not a readable .sigmf archive (a tar file): {exc}") from None


def _check_member(path: pathlib.Path, member: tarfile.TarInfo) -> None:
    name = member.name
    parts = pathlib.PurePosixPath(name).parts
    if name.startswith(("/", "\\")) or ".." in parts or (len(name) > 1 and name[1] == ":"):
        raise context.JobFailed(f"{path.name} holds a member {name!r} whose path leaves the archive; "
                                "it is not a SigMF archive this service reads")
    if not (member.isfile() or member.isdir()):
        raise context.JobFailed(f"{path.name} holds {name!r}, which is a link or a device, not a file; "
                                "a SigMF archive holds only files and folders")


def _pair(path: pathlib.Path, files: list[tarfile.TarInfo]) -> tuple[tarfile.TarInfo, tarfile.TarInfo]:
    metas = [m for m in files if m.name.endswith(META)]
    if len(metas) != 1:
        found = "none" if not metas else f"{len(metas)} ({', '.join(m.name for m in metas[:5])})"
        raise context.JobFailed(f"{path.name} must hold exactly one {META} member; it holds {found}")
    stem = metas[0].name[: -len(META)]
    datas = [m for m in files if m.name == stem + DATA] or [m for m in files if m.name.endswith(DATA)]
    if len(datas) != 1:
        raise context.JobFailed(f"{path.name} holds {metas[0].name} but no single {DATA} member beside it")
    return metas[0], datas[0]


def _read_text(tar: tarfile.TarFile, member: tarfile.TarInfo, path: pathlib.Path) -> str:
    handle = tar.extractfile(member)
    if handle is None:
        raise context.JobFailed(f"{member.name} in {path.name} cannot be read")
    with handle:
        raw = handle.read()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise context.JobFailed(f"{member.name} in {path.name} is not UTF-8 text") from None


def _compressed(path: pathlib.Path) -> bool:
    """Whether the archive is gzip, bzip2 or xz compressed (its data is then no byte range of it)."""
    with path.open("rb") as handle:
        head = handle.read(6)
    return head.startswith((b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00"))


def _copy(tar: tarfile.TarFile, member: tarfile.TarInfo, work_dir: pathlib.Path) -> ByteRange:
    """Stream a compressed archive's data member to a file of a fixed name in ``work_dir``."""
    target = work_dir / "recording.sigmf-data"
    source = tar.extractfile(member)
    if source is None:
        raise context.JobFailed(f"{member.name} cannot be read")
    with source, target.open("wb") as sink:
        shutil.copyfileobj(source, sink, 1024 * 1024)
    return ByteRange(target, 0, target.stat().st_size)
