"""The one error type of jobsmith: a sentence for a person and a machine code.

Raised anywhere below the faces. Each subclass names a *kind* of refusal (not found, conflict,
gone, too large, invalid, unauthenticated, forbidden, unavailable); which HTTP status a kind becomes
is the faces' business, decided in one table in :mod:`jobsmith.api.errors`.
"""

from __future__ import annotations


class JobsmithError(Exception):
    """A refusal a client can understand: ``detail`` is a sentence for a person."""

    code: str = "bad_request"

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code


class NotFound(JobsmithError):
    code = "not_found"


class Conflict(JobsmithError):
    code = "conflict"


class TransitionConflict(Conflict):
    """A compare-and-set found the job in a state (or lease) that does not allow the change."""

    code = "state_conflict"


class Gone(JobsmithError):
    code = "gone"


class TooLarge(JobsmithError):
    code = "too_large"


class Invalid(JobsmithError):
    code = "invalid"


class Unauthorized(JobsmithError):
    code = "unauthorized"


class Forbidden(JobsmithError):
    code = "forbidden"


class Unavailable(JobsmithError):
    code = "unavailable"
