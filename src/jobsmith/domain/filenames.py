"""Sanitising client-supplied file names: no path escapes, no hidden tricks."""

from __future__ import annotations

import re
import unicodedata

from jobsmith.domain import errors

_UNSAFE = re.compile(r"[^\w.\- ()+,=@]+", re.UNICODE)
MAX_LENGTH = 200


def sanitise(name: str) -> str:
    """Reduce ``name`` to a safe base name, or refuse it with a 422.

    Only the last path component survives (``../../etc/passwd`` becomes ``passwd``); control
    characters and separators are dropped; leading dots are removed so a name can neither be
    ``..`` nor hidden. Letters of any script are kept (``Äöüß.csv`` stays as it is).
    """
    base = unicodedata.normalize("NFC", name).replace("\\", "/").split("/")[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = _UNSAFE.sub("_", base).strip(" .")
    base = base.lstrip(".")
    if len(base) > MAX_LENGTH:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: MAX_LENGTH - len(ext) - 1] + dot + ext) if dot and len(ext) < 16 else base[:MAX_LENGTH]
    if not base or set(base) <= {"_"}:
        raise errors.Invalid(
            f"the file name {name!r} has no usable characters once path parts are removed",
            code="bad_filename",
        )
    return base
