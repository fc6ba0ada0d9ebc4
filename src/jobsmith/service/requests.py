"""What a face asks the service for, once it has parsed its own request: plain values, no HTTP."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from jobsmith.domain import states


@dataclasses.dataclass(frozen=True)
class JobRequest:
    """A job to create, as every face describes it (validated for shape by the face, for meaning by
    the service: the process, its parameters, its inputs)."""

    process: str
    parameters: dict[str, Any] = dataclasses.field(default_factory=dict)
    metadata: dict[str, Any] = dataclasses.field(default_factory=dict)
    target: str | None = None
    labels: dict[str, str] = dataclasses.field(default_factory=dict)
    description: str | None = None
    priority: int = 0
    timeout_s: int | None = None
    max_retries: int | None = None
    inputs: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class JobQuery:
    """Which jobs a list shows. ``owner`` is only a wish: a caller who is not an admin sees only
    their own jobs whatever it says."""

    owner: str | None = None
    states: Sequence[states.Status] = ()
    processes: Sequence[str] = ()
    targets: Sequence[str] = ()
    labels: Sequence[tuple[str, str]] = ()
    active: bool | None = None
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None
