"""Who is asking: the owner a request acts for, and whether it may see and change every job."""

from __future__ import annotations

import dataclasses

ANONYMOUS = "anonymous"


@dataclasses.dataclass(frozen=True)
class Caller:
    """Who is asking. Without configured keys everyone is the anonymous admin."""

    owner: str
    admin: bool

    def scope(self) -> str | None:
        """The owner to restrict queries to; None lets an admin see every job."""
        return None if self.admin else self.owner


@dataclasses.dataclass(frozen=True)
class Worker:
    """An executor outside jobsmith, known by the name of its token (``JOBSMITH_WORKER_TOKENS``); the
    history of the jobs it runs names it (``worker:<name>``)."""

    name: str
