"""Opaque cursors for newest-first lists: a position (a job's ``seq``, or a target's last change
and name) and a direction."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
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


def encode_target(direction: str, position: tuple[dt.datetime, str]) -> str:
    """A cursor into the target list: the last change and name of the target at the page's edge."""
    raw = json.dumps({"d": direction, "t": position[0].isoformat(), "k": position[1]}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_target(cursor: str) -> tuple[tuple[dt.datetime, str] | None, tuple[dt.datetime, str] | None]:
    """``(after, before)`` positions in the target list; a cursor that is not one of its own is a 422."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        direction, position = data["d"], (dt.datetime.fromisoformat(data["t"]), str(data["k"]))
        if position[0].tzinfo is not None or direction not in ("n", "p"):
            raise ValueError(direction)
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError, OverflowError):
        raise errors.Invalid("the cursor is not valid; use the next or previous URL of a list response",
                             code="bad_cursor") from None
    return (position, None) if direction == "n" else (None, position)
