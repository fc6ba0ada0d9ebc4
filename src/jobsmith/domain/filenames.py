"""Sanitising client-supplied file names: no path escapes, no hidden tricks, always storable."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from jobsmith.domain import errors

_UNSAFE = re.compile(r"[^\w.\- ()+,=@]+", re.UNICODE)
# The longest name kept, in UTF-8 bytes: Linux file systems take 255 bytes per path component, and
# the margin leaves room for a suffix a process may add to an input's name (``data.csv.gz``).
MAX_LENGTH = 200
_MAX_EXTENSION = 16  # bytes, dot excluded; anything longer is not an extension worth keeping
_TAG_HEX = 8  # hex digits of the full name's sha256 that keep two shortened names apart


def sanitise(name: str) -> str:
    """Reduce ``name`` to a safe base name that fits the file system, or refuse it with a 422.

    Only the last path component survives (``../../etc/passwd`` becomes ``passwd``); control
    characters and separators are dropped; leading dots are removed so a name can neither be
    ``..`` nor hidden. Letters of any script are kept (``Äöüß.csv`` stays as it is). A name over
    :data:`MAX_LENGTH` bytes is shortened by :func:`shorten`, not refused. The result is a fixed
    point: sanitising it again changes nothing.
    """
    base = unicodedata.normalize("NFC", name).replace("\\", "/").split("/")[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = _UNSAFE.sub("_", base).strip(" .")
    base = base.lstrip(".")
    if not base or set(base) <= {"_"}:
        raise errors.Invalid(
            f"the file name {name!r} has no usable characters once path parts are removed",
            code="bad_filename",
        )
    return shorten(base)


def shorten(base: str) -> str:
    """``base`` cut to :data:`MAX_LENGTH` UTF-8 bytes, keeping its extension; short names unchanged.

    Why shorten rather than refuse: the name is the client's label for the bytes it sends, and
    clients (browsers, dataspace connectors) pass on whatever name the user's file has. A name that
    is legal on the user's machine (macOS allows 255 UTF-16 units, up to 765 bytes in UTF-8) would
    otherwise be refused only after its whole body was sent, for no fault in the data. The limit is
    in bytes, not characters, because that is what the file system counts (200 ``é`` are 400 bytes).

    The extension is kept (media type and format detection read it), and the cut stem ends with
    ``-`` and 8 hex digits of the full name's sha256: two long names that share their first 200
    bytes stay two files, while the same long name sent again maps to the same short name and
    replaces its file as any re-upload does. The stored name is in the job view's ``inputs``.
    """
    if len(base.encode()) <= MAX_LENGTH:
        return base
    stem, dot, extension = base.rpartition(".")
    if not dot or not stem or len(extension.encode()) > _MAX_EXTENSION:
        stem, dot, extension = base, "", ""
    tag = "-" + hashlib.sha256(base.encode()).hexdigest()[:_TAG_HEX]
    budget = MAX_LENGTH - len(tag.encode()) - len((dot + extension).encode())
    return _cut_utf8(stem, budget).rstrip(" .") + tag + dot + extension


def _cut_utf8(text: str, limit: int) -> str:
    """The longest prefix of ``text`` within ``limit`` UTF-8 bytes (never half a character)."""
    return text.encode()[:limit].decode("utf-8", errors="ignore")
