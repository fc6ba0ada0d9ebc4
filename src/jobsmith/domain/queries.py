"""Which jobs a list shows: the filters every face's list offers, as plain values."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from jobsmith.domain import states


@dataclasses.dataclass(frozen=True)
class JobQuery:
    """The list filters of API.md; every given one must match.

    ``owner`` None means every owner. A face passes what the client asked for; the service narrows
    it to the caller's own jobs unless the caller is an admin, before the store sees it.
    """

    owner: str | None = None
    states: Sequence[states.Status] = ()
    processes: Sequence[str] = ()
    targets: Sequence[str] = ()
    labels: Sequence[tuple[str, str]] = ()
    active: bool | None = None
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None
