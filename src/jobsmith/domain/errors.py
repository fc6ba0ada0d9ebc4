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

    def fields(self) -> dict[str, str]:
        """What a client needs besides the sentence and the code to act on the refusal (none here)."""
        return {}


class NotFound(JobsmithError):
    code = "not_found"


class Conflict(JobsmithError):
    code = "conflict"


class TransitionConflict(Conflict):
    """A compare-and-set found the job in a state (or lease) that does not allow the change."""

    code = "state_conflict"


class TargetBusy(Conflict):
    """An exclusive process already has an active job on the target: ``job_id`` names that job, so
    a client can wait for it, cancel it or take its results instead."""

    code = "target_busy"

    def __init__(self, detail: str, *, job_id: str) -> None:
        super().__init__(detail)
        self.job_id = job_id

    def fields(self) -> dict[str, str]:
        return {"job_id": self.job_id}


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
