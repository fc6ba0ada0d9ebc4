"""Opaque cursors for newest-first lists: a position in ``seq`` and a direction."""

from __future__ import annotations

import base64
import binascii
import json

from starlette.datastructures import URL

from jobsmith.domain import errors


def encode(direction: str, seq: int) -> str:
    raw = json.dumps({"d": direction, "s": seq}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str) -> tuple[int | None, int | None]:
    """``(after, before)`` seq bounds; a cursor that is not ours is a 422."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        direction, seq = data["d"], int(data["s"])
        if not 0 <= seq < 2**63:  # a position a database integer holds, else the query itself fails
            raise ValueError(seq)
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError, OverflowError):
        raise errors.Invalid("the cursor is not valid; use the next or previous URL of a list response",
                             code="bad_cursor") from None
    if direction == "n":
        return seq, None
    if direction == "p":
        return None, seq
    raise errors.Invalid("the cursor is not valid", code="bad_cursor")


def page_url(url: URL, cursor: str) -> str:
    return str(url.include_query_params(cursor=cursor))
