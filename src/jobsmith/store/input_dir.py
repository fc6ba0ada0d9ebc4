"""The input directory: datasets an operator put on the server, which a create may name instead of uploading.

A dataset is an entry of the directory: a file, a directory, or an archive (``.zip``, ``.tar``,
``.tar.gz``, ``.tgz``, ``.tar.bz2``, ``.tar.xz``). A JSON document of the same stem beside it
(``cities.json`` for ``cities.csv``, ``regions.json`` for ``regions.zip`` or the directory
``regions``) is its metadata, not a dataset of its own; so is a JSON inside a directory or archive
named after a data file beside it, after the dataset, or ``metadata.json``. A directory holding only
metadata has no data yet.

Nothing outside the directory can be named: a name is one plain path component (no ``/``, ``\\``,
NUL, ``..``, leading dot), hidden entries are not datasets, and a symlink counts only when it
resolves inside the directory (one pointing out is not followed, listed, read or deleted).
Archives are surveyed with :mod:`jobsmith.safe_archive`'s rules, so the list already says why a
hostile archive would be refused.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import shutil
import stat
from typing import Literal

from jobsmith import safe_archive
from jobsmith.domain import errors

Kind = Literal["file", "directory", "archive"]
_METADATA_NAMES = frozenset({"metadata"})
_SURVEYS_KEPT = 1000


@dataclasses.dataclass(frozen=True)
class Dataset:
    """One importable dataset. ``size`` is the bytes its data takes in the input directory (an archive's
    packed size); ``problem`` says why an archive would be refused on import (None: none found)."""

    name: str
    kind: Kind
    path: pathlib.Path
    link: pathlib.Path
    metadata: pathlib.Path | None
    files: int
    size: int
    has_data: bool
    has_metadata: bool
    problem: str | None = None


@dataclasses.dataclass(frozen=True)
class _Entry:
    name: str
    kind: Kind
    link: pathlib.Path  # the entry as named in the directory (maybe a symlink)
    path: pathlib.Path  # what it resolves to, inside the directory
    stem: str


class _Entries:
    """The entries of the directory split into datasets and the metadata beside them.

    ``X.json`` is metadata when another entry has the stem ``X``; otherwise it is a dataset itself.
    """

    def __init__(self, entries: list[_Entry]) -> None:
        stems: dict[str, int] = {}
        for entry in entries:
            stems[entry.stem] = stems.get(entry.stem, 0) + 1
        self._json = {e.stem: e for e in entries if e.kind == "file" and e.name.lower().endswith(".json")}
        self._metadata = {id(e) for stem, e in self._json.items() if stems[stem] > 1}
        self.datasets = [e for e in entries if id(e) not in self._metadata]

    def metadata_of(self, entry: _Entry) -> pathlib.Path | None:
        found = self._json.get(entry.stem)
        return found.link if found is not None and found is not entry else None


def check_name(name: str) -> str:
    """``name`` if it can name an entry of the input directory, else a 422 saying why not."""
    if (not name or name in (".", "..") or name.startswith(".") or any(c in name for c in "/\\\x00")
            or len(name.encode("utf-8", "surrogatepass")) > 255):  # any other name is merely not found
        raise errors.Invalid(f"{name!r} cannot name a dataset: a dataset's name is one entry of the input "
                             "directory (no '/', '\\', NUL or '..', not hidden)", code="bad_dataset_name")
    return name


def split_metadata(paths: list[str], stem: str) -> tuple[list[str], list[str]]:
    """``(data, metadata)`` of a directory's or archive's files (relative POSIX paths).

    A JSON file is metadata when a data file beside it has its stem, or when it lies at the top and is
    named after the dataset (``stem``) or ``metadata.json``; every other file is data.
    """
    def folder_stem(path: str) -> tuple[str, str]:
        folder, _, base = path.rpartition("/")
        return folder, base.rsplit(".", 1)[0] if "." in base else base

    is_json = [path.lower().endswith(".json") for path in paths]
    data_stems = {folder_stem(path) for path, json_file in zip(paths, is_json) if not json_file}
    data: list[str] = []
    metadata: list[str] = []
    for path, json_file in zip(paths, is_json):
        folder, own = folder_stem(path)
        named = folder == "" and (own == stem or own.lower() in _METADATA_NAMES)
        (metadata if json_file and ((folder, own) in data_stems or named) else data).append(path)
    return data, metadata


def visible(relative: str) -> bool:
    """Whether a file of a directory or archive counts: hidden files and macOS resource forks do not."""
    parts = relative.split("/")
    return not any(part.startswith(".") or part == "__MACOSX" for part in parts)


class InputDir:
    """The datasets of one directory (None: no directory configured, so no datasets).

    Thread-safe for reading; surveys of archives are remembered by size and modification time, so a
    list does not read every archive again.
    """

    def __init__(self, root: pathlib.Path | None, limits: safe_archive.Limits) -> None:
        self.root = root.resolve() if root is not None else None
        self.limits = limits
        self._surveys: dict[tuple[str, int, int], list[safe_archive.Member] | str] = {}

    # -- reading -------------------------------------------------------------------------------
    def datasets(self) -> list[Dataset]:
        """Every dataset, by name; archives surveyed (their files counted, a problem named)."""
        entries = _Entries(self._entries())
        found = []
        for entry in entries.datasets:
            try:
                found.append(self._describe(entry, entries, survey=True))
            except FileNotFoundError:
                continue  # removed while the list was made
        return found

    def find(self, name: str) -> Dataset:
        """The dataset of that name (or, when only one has it, of that stem); archives not surveyed.

        422 for a name that could never be a dataset, 404 for one that is not there (or is metadata).
        """
        check_name(name)
        entries = _Entries(self._entries())
        found = [entry for entry in entries.datasets if entry.name == name] or [
            entry for entry in entries.datasets if entry.stem == name]
        if len(found) != 1:
            where = "" if self.root is not None else " (this server has no input directory: JOBSMITH_INPUT_DIR)"
            also = f"; {', '.join(e.name for e in found)} share that stem" if len(found) > 1 else ""
            raise errors.NotFound(f"no dataset {name!r} in the input directory{where}{also}", code="dataset_not_found")
        try:
            return self._describe(found[0], entries, survey=False)
        except FileNotFoundError:
            raise errors.NotFound(f"no dataset {name!r} in the input directory", code="dataset_not_found") from None

    def data_files(self, dataset: Dataset) -> list[tuple[str, pathlib.Path]]:
        """``(relative path, file)`` of a file's or directory's data files, in a stable order."""
        if dataset.kind == "file":
            return [(dataset.name, dataset.path)]
        if dataset.kind != "directory":
            raise ValueError(f"an archive's files are unpacked, not listed: {dataset.name}")
        files = self._walk(dataset.path)
        data, _ = split_metadata(sorted(files), dataset.name)
        return [(relative, files[relative]) for relative in data]

    # -- changing ------------------------------------------------------------------------------
    def delete(self, name: str) -> Dataset:
        """Remove a dataset and its metadata beside it. A symlink is removed, never what it points to."""
        dataset = self.find(name)
        try:
            for entry in (dataset.link, dataset.metadata):
                if entry is None:
                    continue
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink(missing_ok=True)
        except OSError as problem:
            raise errors.Conflict(f"dataset {dataset.name!r} could not be removed: "
                                  f"{problem.strerror or type(problem).__name__}", code="dataset_not_removed") from None
        return dataset

    # -- scanning ------------------------------------------------------------------------------
    def _entries(self) -> list[_Entry]:
        if self.root is None or not self.root.is_dir():
            return []
        entries = []
        with os.scandir(self.root) as scan:
            for item in scan:
                entry = self._entry(item)
                if entry is not None:
                    entries.append(entry)
        return sorted(entries, key=lambda e: e.name)

    def _entry(self, item: os.DirEntry[str]) -> _Entry | None:
        try:
            check_name(item.name)
        except errors.Invalid:
            return None
        link = pathlib.Path(item.path)
        path = self._inside(link)
        if path is None:
            return None
        try:
            mode = path.stat().st_mode
        except OSError:
            return None  # gone meanwhile, or not ours to read
        if stat.S_ISDIR(mode):
            return _Entry(item.name, "directory", link, path, item.name)
        if not stat.S_ISREG(mode):
            return None  # a fifo or device is nothing to import
        if safe_archive.archive_kind(item.name):
            return _Entry(item.name, "archive", link, path, safe_archive.archive_stem(item.name))
        stem = item.name.rsplit(".", 1)[0] if "." in item.name else item.name
        return _Entry(item.name, "file", link, path, stem)

    def _inside(self, path: pathlib.Path) -> pathlib.Path | None:
        """Where ``path`` leads if that is inside the directory (and not the directory itself), else None."""
        assert self.root is not None
        try:
            resolved = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return None  # dangling or looping link
        if resolved == self.root or not resolved.is_relative_to(self.root):
            return None
        return resolved

    def _describe(self, entry: _Entry, entries: _Entries, *, survey: bool) -> Dataset:
        beside = entries.metadata_of(entry)
        files, size, has_data, inner, problem = self._contents(entry, survey)
        return Dataset(name=entry.name, kind=entry.kind, path=entry.path, link=entry.link, metadata=beside,
                       files=files, size=size, has_data=has_data, has_metadata=beside is not None or inner,
                       problem=problem)

    def _contents(self, entry: _Entry, survey: bool) -> tuple[int, int, bool, bool, str | None]:
        """``(files, size, has_data, metadata inside, problem)`` of an entry."""
        if entry.kind == "file":
            return 1, entry.path.stat().st_size, True, False, None
        if entry.kind == "directory":
            files = self._walk(entry.path)
            data, inner = split_metadata(sorted(files), entry.name)
            return len(data), sum(files[relative].stat().st_size for relative in data), bool(data), bool(inner), None
        packed = entry.path.stat().st_size
        members = self._survey(entry) if survey else []
        if isinstance(members, str):
            return 0, packed, True, False, members
        data, inner = split_metadata([m.path for m in members if visible(m.path)], entry.stem)
        return len(data), packed, bool(data) or not survey, bool(inner), None

    def _walk(self, directory: pathlib.Path) -> dict[str, pathlib.Path]:
        """The visible regular files under ``directory`` by relative path; links are kept only when they
        lead to a file inside the input directory, and linked directories are not entered."""
        found: dict[str, pathlib.Path] = {}
        for folder, subdirs, names in os.walk(directory, followlinks=False):
            subdirs[:] = sorted(d for d in subdirs if not d.startswith(".") and d != "__MACOSX")
            for name in names:
                path = pathlib.Path(folder) / name
                relative = path.relative_to(directory).as_posix()
                if not visible(relative):
                    continue
                target = self._inside(path) if path.is_symlink() else path
                if target is not None and target.is_file():
                    found[relative] = target
        return found

    def _survey(self, entry: _Entry) -> list[safe_archive.Member] | str:
        facts = entry.path.stat()
        key = (str(entry.path), facts.st_size, facts.st_mtime_ns)
        known = self._surveys.get(key)
        if known is None:
            try:
                known = safe_archive.survey(entry.path, entry.name, self.limits)
            except safe_archive.Refused as refused:
                known = str(refused)
            if len(self._surveys) >= _SURVEYS_KEPT:
                self._surveys.clear()
            self._surveys[key] = known
        return known
