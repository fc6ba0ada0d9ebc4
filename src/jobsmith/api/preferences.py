"""``Prefer`` (RFC 7240) as the native face reads it: how long a request may wait for a change."""

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
