"""Importing a dataset into a job's inputs: what an input receives, names kept apart, links not copies
where the file system allows, and nothing left behind when an import is refused or stopped."""

from __future__ import annotations

import pathlib

import pytest

from jobsmith import safe_archive
from jobsmith.domain import errors
from jobsmith.store import blobs, imports, input_dir
from tests.unit.test_safe_archive import make_tar, make_zip

CSV = b"a,b\n1,2\n"


@pytest.fixture
def importer(tmp_path: pathlib.Path) -> imports.Importer:
    root = tmp_path / "inputs"
    (root / "census" / "old").mkdir(parents=True)
    (root / "census" / "data.csv").write_bytes(CSV)
    (root / "census" / "old" / "data.csv").write_bytes(CSV + b"3,4\n")
    (root / "census" / "metadata.json").write_text("{}")
    (root / "cities.csv").write_bytes(CSV)
    make_zip(root / "regions.zip", {"north.csv": CSV, "regions.json": b"{}"})
    make_tar(root / "slip.tgz", {"ok.csv": CSV, "../x.csv": CSV})
    return imports.Importer(input_dir.InputDir(root, safe_archive.Limits()), blobs.BlobStore(tmp_path / "storage"))


def test_files_keep_their_names_and_collisions_get_a_number(importer: imports.Importer) -> None:
    taken: set[str] = set()
    rows = importer.import_dataset("job", "files", True, "census", taken)
    rows += importer.import_dataset("job", "files", True, "cities.csv", taken)
    assert [(r.name, r.size) for r in rows] == [("data.csv", 8), ("data-2.csv", 12), ("cities.csv", 8)]
    inputs = importer.blobs.inputs_dir("job")
    assert sorted(p.name for p in inputs.iterdir()) == ["cities.csv", "data-2.csv", "data.csv"]  # no staging left
    assert (inputs / "cities.csv").stat().st_ino == (importer.directory.root / "cities.csv").stat().st_ino


def test_an_archive_is_unpacked_for_several_files_and_handed_whole_for_one(importer: imports.Importer) -> None:
    several = importer.import_dataset("a", "files", True, "regions.zip", set())
    assert [r.name for r in several] == ["north.csv"]
    whole = importer.import_dataset("b", "data", False, "regions", set())
    assert [r.name for r in whole] == ["regions.zip"] and whole[0].media_type == "application/zip"


def test_refusals_leave_nothing_behind(importer: imports.Importer) -> None:
    for multiple in (True, False):
        with pytest.raises(errors.Invalid, match="member '../x.csv' has a path leading outside"):
            importer.import_dataset("job", "files", multiple, "slip.tgz", set())
    with pytest.raises(errors.Invalid, match="takes one file, but dataset 'census' holds 2"):
        importer.import_dataset("job", "files", False, "census", set())

    def stop() -> None:
        raise errors.TransitionConflict("lease lost")

    with pytest.raises(errors.TransitionConflict):
        importer.import_dataset("job", "files", True, "census", set(), beat=stop)
    assert list(importer.blobs.inputs_dir("job").iterdir()) == []
    with pytest.raises(errors.NotFound, match="no dataset 'gone.csv'"):
        importer.import_dataset("job", "files", True, "gone.csv", set())
