"""What a label may be: the limits every face checks and the store's index columns are sized by."""

from __future__ import annotations

KEY_MAX = 100
VALUE_MAX = 500


def problem(labels: dict[str, str]) -> str | None:
    """Why ``labels`` cannot be stored, as a sentence; None when they can.

    A key holds no ``:`` because the list filter ``label=key:value`` splits on the first one.
    """
    for key, value in labels.items():
        if not key or ":" in key or len(key) > KEY_MAX:
            return f"label key {key!r} must be 1-{KEY_MAX} characters without ':'"
        if len(value) > VALUE_MAX:
            return f"the value of label {key!r} is {len(value)} characters; at most {VALUE_MAX} are allowed"
    return None
