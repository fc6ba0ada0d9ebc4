"""The safe-archive rules shared by the import of datasets and the profile's readers: hostile archives
(members escaping, links, bombs by ratio, size and count) are refused with a sentence naming why."""

from __future__ import annotations

import io
import os
import pathlib
import tarfile
import zipfile

import pytest

from jobsmith import safe_archive

SMALL = safe_archive.Limits(max_members=5, max_total_bytes=50 * 1024 * 1024, max_member_bytes=50 * 1024 * 1024,
                            max_ratio=100, ratio_threshold_bytes=1024 * 1024)


def make_zip(path: pathlib.Path, members: dict[str, bytes], *, symlink: str | None = None) -> pathlib.Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
        if symlink is not None:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (0o120777 << 16)
            archive.writestr(info, "/etc/passwd")
    return path


def make_tar(path: pathlib.Path, members: dict[str, bytes], *, mode: str = "w:gz",
             link: tuple[str, str] | None = None) -> pathlib.Path:
    with tarfile.open(path, mode) as archive:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
        if link is not None:
            info = tarfile.TarInfo(link[0])
            info.type, info.linkname = tarfile.SYMTYPE, link[1]
            archive.addfile(info)
    return path


def test_a_good_zip_and_tar_gz_unpack_their_regular_files(tmp_path: pathlib.Path) -> None:
    members = {"a.csv": b"x,y\n1,2\n", "sub/b.csv": b"x\n3\n"}
    for archive in (make_zip(tmp_path / "good.zip", members), make_tar(tmp_path / "good.tar.gz", members),
                    make_tar(tmp_path / "good.tar", members, mode="w")):
        target = tmp_path / f"out-{archive.name}"
        found = safe_archive.unpack(archive, archive.name, target, SMALL)
        assert [(m.path, m.size) for m in found] == [("a.csv", 8), ("sub/b.csv", 4)]
        assert (target / "sub" / "b.csv").read_bytes() == b"x\n3\n"
        assert safe_archive.survey(archive, archive.name, SMALL) == found


@pytest.mark.parametrize("member", ["../evil.csv", "/etc/evil.csv", "a/../../evil.csv", "C:/evil.csv"])
def test_a_member_escaping_the_archive_is_refused_before_anything_is_written(tmp_path: pathlib.Path,
                                                                            member: str) -> None:
    for archive in (make_zip(tmp_path / "slip.zip", {"ok.csv": b"1\n", member: b"owned\n"}),
                    make_tar(tmp_path / "slip.tgz", {"ok.csv": b"1\n", member: b"owned\n"})):
        with pytest.raises(safe_archive.Refused) as refused:
            safe_archive.unpack(archive, archive.name, tmp_path / "out", SMALL)
        assert str(refused.value) == (f"'{archive.name}' was not unpacked: member '{member}' has a path leading "
                                      "outside the archive.")
        assert not (tmp_path / "evil.csv").exists() and not (tmp_path.parent / "evil.csv").exists()


def test_a_link_member_is_refused_in_tar_and_zip(tmp_path: pathlib.Path) -> None:
    tar = make_tar(tmp_path / "link.tar.gz", {"ok.csv": b"1\n"}, link=("data.csv", "/etc/passwd"))
    with pytest.raises(safe_archive.Refused, match=r"^'link\.tar\.gz' was not unpacked: member 'data\.csv' is a "
                                                   r"link, and such members are not unpacked\.$"):
        safe_archive.unpack(tar, tar.name, tmp_path / "out", SMALL)
    assert not (tmp_path / "out" / "data.csv").exists()
    zipped = make_zip(tmp_path / "link.zip", {"ok.csv": b"1\n"}, symlink="data.csv")
    for read in (lambda: safe_archive.unpack(zipped, zipped.name, tmp_path / "out2", SMALL),
                 lambda: safe_archive.survey(zipped, zipped.name, SMALL)):
        with pytest.raises(safe_archive.Refused, match="member 'data.csv' is a link"):
            read()


def test_bombs_by_ratio_are_stopped_after_a_few_mib(tmp_path: pathlib.Path) -> None:
    zeros = bytes(20 * 1024 * 1024)  # deflates about 1000-fold
    for archive in (make_zip(tmp_path / "bomb.zip", {"zeros.csv": zeros}),
                    make_tar(tmp_path / "bomb.tar.gz", {"zeros.csv": zeros})):
        with pytest.raises(safe_archive.Refused, match=r"'zeros\.csv' expands more than 100-fold .* which is how "
                                                       r"zip bombs look\.$"):
            safe_archive.unpack(archive, archive.name, tmp_path / f"out-{archive.name}", SMALL)
        written = sum(f.stat().st_size for f in (tmp_path / f"out-{archive.name}").rglob("*") if f.is_file())
        assert written < 4 * 1024 * 1024
    tar = tmp_path / "bomb.tar.gz"
    with pytest.raises(safe_archive.Refused, match="expands more than 100-fold"):
        safe_archive.survey(tar, tar.name, SMALL)  # a tar's survey reads through it under the same meter


def test_bombs_by_member_count_and_total_size_are_refused(tmp_path: pathlib.Path) -> None:
    many = {f"f{i}.csv": b"1\n" for i in range(6)}
    for archive in (make_zip(tmp_path / "many.zip", many), make_tar(tmp_path / "many.tar", many, mode="w")):
        with pytest.raises(safe_archive.Refused, match=r"was not unpacked: it holds more than 5 files\.$"):
            safe_archive.unpack(archive, archive.name, None, SMALL)
    big = make_tar(tmp_path / "big.tar", {"a.bin": bytes(800), "b.bin": bytes(800)}, mode="w")
    tight = safe_archive.Limits(max_total_bytes=1000)
    with pytest.raises(safe_archive.Refused, match="its files unpack to more than 1000 bytes in total"):
        safe_archive.unpack(big, big.name, tmp_path / "big", tight)


def test_damaged_archives_are_refused_not_raised(tmp_path: pathlib.Path) -> None:
    truncated = tmp_path / "cut.tar.gz"
    truncated.write_bytes(make_tar(tmp_path / "whole.tar.gz", {"a.csv": os.urandom(100_000)}).read_bytes()[:5000])
    not_zip = tmp_path / "text.zip"
    not_zip.write_text("not a zip")
    for archive in (truncated, not_zip):
        with pytest.raises(safe_archive.Refused, match=f"^'{archive.name}' was not unpacked: it is"):
            safe_archive.unpack(archive, archive.name, tmp_path / "x", SMALL)


def test_archive_names() -> None:
    assert [safe_archive.archive_kind(n) for n in ("a.zip", "a.TGZ", "a.tar.gz", "a.tar", "a.csv", "a.gz")] == [
        "zip", "tar", "tar", "tar", None, None]
    assert safe_archive.archive_stem("regions.tar.gz") == "regions" and safe_archive.archive_stem("r.zip") == "r"


def test_members_clashing_on_one_path_are_refused_without_naming_server_paths(tmp_path: pathlib.Path) -> None:
    twice = make_tar(tmp_path / "twice.tar", {"a.csv": b"1\n", "./a.csv": b"2\n"}, mode="w")
    file_and_folder = make_tar(tmp_path / "clash.tar", {"a": b"1\n", "a/b.csv": b"2\n"}, mode="w")
    for archive, member in ((twice, "a.csv"), (file_and_folder, "a/b.csv")):
        with pytest.raises(safe_archive.Refused) as refused:
            safe_archive.unpack(archive, archive.name, tmp_path / "out" / archive.name, SMALL)
        assert str(refused.value) == (f"'{archive.name}' was not unpacked: member '{member}' clashes with another "
                                      "member of the same path.")
        assert str(tmp_path) not in str(refused.value)
