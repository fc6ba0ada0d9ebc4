"""Scanning the input directory: files, directories and archives with their metadata, and nothing
outside it (symlinks pointing out, traversal names)."""

from __future__ import annotations

import os
import pathlib

import pytest

from jobsmith import safe_archive
from jobsmith.domain import errors
from jobsmith.store import input_dir
from tests.unit.test_safe_archive import make_tar, make_zip

CSV = b"city,people\nBonn,330000\nKoeln,1080000\n"


def listing(directory: input_dir.InputDir) -> dict[str, tuple[str, int, bool, bool]]:
    return {d.name: (d.kind, d.files, d.has_data, d.has_metadata) for d in directory.datasets()}


@pytest.fixture
def inputs(tmp_path: pathlib.Path) -> pathlib.Path:
    root = tmp_path / "inputs"
    root.mkdir()
    (root / "cities.csv").write_bytes(CSV)
    (root / "cities.json").write_text('{"title": "Cities"}')
    (root / "lonely.json").write_text('[{"a": 1}]')  # no dataset of its stem: a JSON dataset itself
    make_zip(root / "regions.zip", {"north.csv": CSV, "south.csv": CSV, "regions.json": b"{}"})
    (root / "regions.json").write_text("{}")
    make_tar(root / "survey.tar.gz", {"survey/answers.csv": CSV})
    (root / "census").mkdir()
    (root / "census" / "2020.csv").write_bytes(CSV)
    (root / "census" / "2020.json").write_text("{}")
    (root / "census" / "notes" ).mkdir()
    (root / "census" / "notes" / "readme.txt").write_text("hello")
    (root / "pending").mkdir()
    (root / "pending" / "metadata.json").write_text('{"title": "later"}')
    (root / ".partial.csv").write_bytes(CSV)  # hidden: being copied in, not a dataset
    return root


def test_files_directories_and_archives_are_listed_with_their_metadata(inputs: pathlib.Path) -> None:
    directory = input_dir.InputDir(inputs, safe_archive.Limits())
    assert listing(directory) == {
        "cities.csv": ("file", 1, True, True),
        "lonely.json": ("file", 1, True, False),
        "regions.zip": ("archive", 2, True, True),
        "survey.tar.gz": ("archive", 1, True, False),
        "census": ("directory", 2, True, True),
        "pending": ("directory", 0, False, True),
    }
    sizes = {d.name: d.size for d in directory.datasets()}
    assert sizes["cities.csv"] == len(CSV) and sizes["census"] == len(CSV) + 5
    assert sizes["regions.zip"] == (inputs / "regions.zip").stat().st_size
    assert [relative for relative, _ in directory.data_files(directory.find("census"))] == [
        "2020.csv", "notes/readme.txt"]


def test_a_dataset_is_found_by_name_or_by_its_stem_and_metadata_is_not_a_dataset(inputs: pathlib.Path) -> None:
    directory = input_dir.InputDir(inputs, safe_archive.Limits())
    assert directory.find("cities").name == "cities.csv" and directory.find("regions").name == "regions.zip"
    for name in ("cities.json", "regions.json", "nothing"):
        with pytest.raises(errors.NotFound, match=f"no dataset '{name}' in the input directory"):
            directory.find(name)


@pytest.mark.parametrize("name", ["..", "../inputs", "/etc/passwd", "a/b", "a\\b", "x\x00y", ".hidden", ""])
def test_names_that_could_reach_outside_are_refused(inputs: pathlib.Path, name: str) -> None:
    directory = input_dir.InputDir(inputs, safe_archive.Limits())
    with pytest.raises(errors.Invalid, match="cannot name a dataset"):
        directory.find(name)
    with pytest.raises(errors.Invalid):
        directory.delete(name)


def test_symlinks_pointing_out_are_not_followed_listed_or_deleted(tmp_path: pathlib.Path) -> None:
    outside = tmp_path / "secret"
    outside.mkdir()
    (outside / "passwords.csv").write_bytes(CSV)
    root = tmp_path / "inputs"
    root.mkdir()
    os.symlink(outside / "passwords.csv", root / "leak.csv")
    os.symlink(outside, root / "leakdir")
    os.symlink(root, root / "loop")
    (root / "mixed").mkdir()
    (root / "mixed" / "ok.csv").write_bytes(CSV)
    os.symlink(outside / "passwords.csv", root / "mixed" / "leak.csv")
    os.symlink(root / "mixed" / "ok.csv", root / "inside.csv")  # a link within the directory is fine
    directory = input_dir.InputDir(root, safe_archive.Limits())
    assert listing(directory) == {"mixed": ("directory", 1, True, False), "inside.csv": ("file", 1, True, False)}
    assert [r for r, _ in directory.data_files(directory.find("mixed"))] == ["ok.csv"]
    for name in ("leak.csv", "leakdir", "loop"):
        with pytest.raises(errors.NotFound):
            directory.delete(name)
    directory.delete("inside.csv")  # removes the link, never its target
    assert not (root / "inside.csv").exists() and (root / "mixed" / "ok.csv").exists()
    directory.delete("mixed")
    assert (outside / "passwords.csv").read_bytes() == CSV and not (root / "mixed").exists()


def test_delete_removes_the_metadata_beside_it(inputs: pathlib.Path) -> None:
    directory = input_dir.InputDir(inputs, safe_archive.Limits())
    directory.delete("cities")
    assert not (inputs / "cities.csv").exists() and not (inputs / "cities.json").exists()
    directory.delete("census")
    assert not (inputs / "census").exists()


def test_hostile_archives_are_listed_with_the_reason_their_import_would_be_refused(tmp_path: pathlib.Path) -> None:
    root = tmp_path / "inputs"
    root.mkdir()
    make_zip(root / "slip.zip", {"../../evil.csv": CSV})
    make_tar(root / "links.tgz", {"a.csv": CSV}, link=("b.csv", "/etc/passwd"))
    make_zip(root / "bomb.zip", {"zeros.csv": bytes(30 * 1024 * 1024)})
    (root / "broken.tar.gz").write_bytes(b"\x1f\x8b not really")
    problems = {d.name: d.problem for d in input_dir.InputDir(root, safe_archive.Limits()).datasets()}
    assert problems["slip.zip"] == "'slip.zip' was not unpacked: member '../../evil.csv' has a path leading outside " \
                                   "the archive."
    assert "member 'b.csv' is a link" in (problems["links.tgz"] or "")
    assert problems["bomb.zip"] is None  # a zip's survey trusts its directory; its import meters the bytes
    assert "it is damaged or truncated" in (problems["broken.tar.gz"] or "")


def test_no_directory_configured_means_no_datasets(tmp_path: pathlib.Path) -> None:
    assert input_dir.InputDir(None, safe_archive.Limits()).datasets() == []
    assert input_dir.InputDir(tmp_path / "missing", safe_archive.Limits()).datasets() == []
    with pytest.raises(errors.NotFound, match="this server has no input directory"):
        input_dir.InputDir(None, safe_archive.Limits()).find("x")
