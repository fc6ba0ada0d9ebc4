"""The one error type of jobsmith, with a machine code and the HTTP status it maps to.

Raised anywhere below the API; a single handler in :mod:`jobsmith.api.errors` turns it into
``{"detail", "code"}``. Keeping the status here (and not in each router) makes the mapping of
API.md's table one lookup.
"""

from __future__ import annotations


class JobsmithError(Exception):
    """A refusal a client can understand: ``detail`` is a sentence for a person."""

    status: int = 400
    code: str = "bad_request"

    def __init__(self, detail: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class NotFound(JobsmithError):
    status = 404
    code = "not_found"


class Conflict(JobsmithError):
    status = 409
    code = "conflict"


class TransitionConflict(Conflict):
    """A compare-and-set found the job in a state (or lease) that does not allow the change."""

    code = "state_conflict"


class Gone(JobsmithError):
    status = 410
    code = "gone"


class TooLarge(JobsmithError):
    status = 413
    code = "too_large"


class Invalid(JobsmithError):
    status = 422
    code = "invalid"


class Unauthorized(JobsmithError):
    status = 401
    code = "unauthorized"


class Forbidden(JobsmithError):
    status = 403
    code = "forbidden"


class Unavailable(JobsmithError):
    status = 503
    code = "unavailable"
