"""Sealing a completed job's results on a real directory: the manifest, results.zip and the archives."""

from __future__ import annotations

import errno
import hashlib
import pathlib
import zipfile

import pytest

from jobsmith.domain import errors
from jobsmith.store import blobs

JOB = "0b7c6a52-3f0e-4d5c-9a43-2d1f7d1c2a10"


@pytest.fixture
def store(tmp_path: pathlib.Path) -> blobs.BlobStore:
    """A store with one job's results: two files at the root and one in a directory."""
    store = blobs.BlobStore(tmp_path / "storage")
    store.prepare_run(JOB)
    results = store.results_dir(JOB)
    (results / "edp.json").write_text('{"a": 1}')
    (results / "notes.txt").write_text("notes\n")
    (results / "plots").mkdir()
    (results / "plots" / "a.png").write_bytes(b"\x89PNG" + bytes(range(256)) * 100)
    return store


def flat(path: str) -> str | None:
    """Every result at the root under its own name; text left out."""
    return None if path.endswith(".txt") else path.rsplit("/", 1)[-1]


def names(path: pathlib.Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return sorted(archive.namelist())


def leftovers(store: blobs.BlobStore) -> list[str]:
    return sorted(p.name for p in store.job_dir(JOB).rglob("*.part"))


def test_one_pass_seals_the_manifest_the_zip_and_every_archive(store: blobs.BlobStore) -> None:
    sealed = store.seal_results(JOB, {"flat": flat, "none": lambda path: None})
    results = store.results_dir(JOB)
    assert sealed == [blobs.SealedResult(p, (results / p).stat().st_size,
                                         hashlib.sha256((results / p).read_bytes()).hexdigest())
                      for p in ("edp.json", "notes.txt", "plots/a.png")]
    assert names(store.zip_path(JOB)) == ["edp.json", "notes.txt", "plots/a.png"]
    assert store.archive_path(JOB, "flat") == store.job_dir(JOB) / "archives" / "flat.zip"
    assert names(store.archive_path(JOB, "flat")) == ["a.png", "edp.json"]
    with zipfile.ZipFile(store.archive_path(JOB, "flat")) as archive:
        assert archive.read("a.png") == (results / "plots" / "a.png").read_bytes()
    assert names(store.archive_path(JOB, "none")) == []
    assert leftovers(store) == []


def test_a_name_given_twice_is_kept_by_the_first_result(store: blobs.BlobStore) -> None:
    store.seal_results(JOB, {"one": lambda path: "same.bin"})
    with zipfile.ZipFile(store.archive_path(JOB, "one")) as archive:
        assert archive.namelist() == ["same.bin"] and archive.read("same.bin") == b'{"a": 1}'


@pytest.mark.parametrize("escape", ["../up.json", "/etc/x", "a/../../b", ""])
def test_a_layout_leading_outside_its_archive_seals_nothing(store: blobs.BlobStore, escape: str) -> None:
    with pytest.raises(ValueError, match="outside the archive"):
        store.seal_results(JOB, {"bad": lambda path: escape})
    assert not store.zip_path(JOB).exists() and not store.archive_path(JOB, "bad").exists()
    assert leftovers(store) == []


def test_a_failure_midway_leaves_no_zip_and_no_temporary(store: blobs.BlobStore) -> None:
    def full_disk(path: str) -> str:
        if path.startswith("plots/"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return path

    with pytest.raises(OSError, match="No space left"):
        store.seal_results(JOB, {"full": full_disk})
    assert not store.zip_path(JOB).exists() and not store.archive_path(JOB, "full").exists()
    assert leftovers(store) == []


def test_a_retry_starts_without_the_archives_of_an_earlier_attempt(store: blobs.BlobStore) -> None:
    store.seal_results(JOB, {"flat": flat})
    store.prepare_run(JOB)
    assert not store.zip_path(JOB).exists() and not store.archive_path(JOB, "flat").exists()


@pytest.mark.parametrize("name", ["", "..", ".hidden", "a/b", "../../etc"])
def test_an_archive_name_never_leads_out_of_the_job(store: blobs.BlobStore, name: str) -> None:
    with pytest.raises(errors.NotFound):
        store.archive_path(JOB, name)
