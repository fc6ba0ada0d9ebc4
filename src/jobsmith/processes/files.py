"""File helpers shared by processes (which may not use the store's)."""

from __future__ import annotations

import hashlib
import pathlib

CHUNK = 1024 * 1024


def sha256_of(path: pathlib.Path) -> str:
    """The hex sha256 of a file, read in 1 MiB chunks so memory stays bounded. ``hashlib`` releases
    the GIL on large chunks, so this can run in a thread beside other work."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
