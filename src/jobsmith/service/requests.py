"""What a face asks the service for, once it has parsed its own request: plain values, no HTTP."""

from __future__ import annotations

import dataclasses
from typing import Any


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
