"""Result paths of plots, ``<dataset name>/<plot>.png``, safe on every file system.

Dataset and column names come from uploaded files, so each path segment is cleaned: ``/`` in a
*column* name, ``\\``, ``:``, ``*``, ``?``, ``"``, ``<``, ``>``, ``|`` and control characters
become ``_``; ``.`` and ``..`` segments and leading or trailing dots and blanks are neutralised;
segments are cut to 100 characters. A dataset name keeps its ``/`` separators (``book.xlsx/Sheet1``
and ``archive.zip/data.csv`` become directories), each segment cleaned. When cleaning changed a
name, or two names would collide (also ignoring case, for macOS and Windows), a short hash of the
original name is appended, so every plot keeps its own file and the same name always gets the
same path.
"""

from __future__ import annotations

import hashlib
import re

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
MAX_SEGMENT = 100


def segment(name: str) -> str:
    """One path segment for ``name``; see the module docstring."""
    cleaned = _UNSAFE.sub("_", name).strip(" .")
    cleaned = cleaned[:MAX_SEGMENT] or "_"
    if cleaned != name:
        cleaned = f"{cleaned}-{_digest(name)}"
    return cleaned


def dataset_dir(name: str) -> str:
    """The directory of a dataset's plots: its name with every ``/``-separated part cleaned."""
    return "/".join(segment(part) for part in name.split("/"))


class PlotPaths:
    """Hands out unique plot paths within one dataset directory."""

    def __init__(self, dataset_name: str) -> None:
        self.directory = dataset_dir(dataset_name)
        self._taken: set[str] = set()

    def path(self, column: str | None, suffix: str) -> str:
        """``<dir>/<column>_<suffix>.png`` (``<dir>/<suffix>.png`` without a column)."""
        stem = suffix if column is None else f"{segment(column)}_{suffix}"
        candidate = f"{self.directory}/{stem}.png"
        if candidate.casefold() in self._taken:
            key = f"{column}\x00{suffix}"
            candidate = f"{self.directory}/{stem}-{_digest(key)}.png"
        self._taken.add(candidate.casefold())
        return candidate


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()[:8]
