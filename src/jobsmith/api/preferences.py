"""``Prefer`` (RFC 7240) and ``Accept`` as the native face reads them: how long a request may wait for a
change, and which of two media types an answer takes."""

from __future__ import annotations

MAX_WAIT_S = 30.0


def requested_wait(prefer: str | None) -> float:
    """Seconds asked for by ``Prefer: wait=N`` (RFC 7240), capped at :data:`MAX_WAIT_S`; 0 if none."""
    for preference in (prefer or "").split(","):
        name, _, value = preference.strip().partition("=")
        if name.strip().lower() == "wait":
            try:
                return max(0.0, min(MAX_WAIT_S, float(value.strip().strip('"'))))
            except ValueError:
                return 0.0
    return 0.0


def _quality(accept: str, media_type: str) -> float:
    """The quality ``accept`` gives ``media_type``: its most specific matching range's ``q`` (0 if none)."""
    kind = media_type.split("/", 1)[0]
    best, best_q = -1, 0.0
    for item in accept.split(","):
        range_, *params = (part.strip() for part in item.split(";"))
        specificity = {media_type: 2, f"{kind}/*": 1, "*/*": 0}.get(range_.lower(), -1)
        if specificity <= best:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        best, best_q = specificity, q
    return best_q


def prefers(accept: str | None, offered: str, default: str) -> bool:
    """Whether ``Accept`` asks for ``offered`` rather than ``default`` (HTTP's content negotiation, RFC
    9110 12.5.1): a higher quality, or the same quality named more specifically. No header: ``default``."""
    if not accept:
        return False
    ours, theirs = _quality(accept, offered), _quality(accept, default)
    if ours != theirs:
        return ours > theirs
    return ours > 0 and offered.lower() in accept.lower() and default.lower() not in accept.lower()
