"""What a worker and its job host say to each other over their pipe.

The worker sends a :class:`ChildSpec` per job; the host answers with any number of :class:`Step`
and :class:`Progress` messages and then exactly one outcome (:class:`Done`, :class:`Failed` or
:class:`Cancelled`) before it takes the next job. A host that dies says nothing more: the worker
learns of it from the closed pipe and the exit status. An outcome's ``kind`` is what the domain's
:func:`~jobsmith.domain.decisions.after_attempt` knows it by. Every message is a frozen dataclass of
picklable values, defined at module level, so that :mod:`multiprocessing` can send it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import pathlib
from typing import Any, ClassVar

from jobsmith.domain import decisions, states


@dataclasses.dataclass(frozen=True)
class ChildSpec:
    """One job to run, as sent to the host (the process goes by id: the host has the registry)."""

    job_id: str
    process_id: str
    parameters: dict[str, Any]
    metadata: dict[str, Any]
    inputs: dict[str, list[pathlib.Path]]
    output_dir: pathlib.Path
    work_dir: pathlib.Path
    log_path: pathlib.Path


@dataclasses.dataclass(frozen=True)
class Step:
    """A step of the job began or ended; ``at`` is the host's clock."""

    position: int
    name: str
    state: states.StepState
    message: str | None
    at: dt.datetime


@dataclasses.dataclass(frozen=True)
class Progress:
    """The job's own estimate of how far it got, as reported (not yet clamped)."""

    fraction: float


@dataclasses.dataclass(frozen=True)
class Done:
    """The process returned."""

    kind: ClassVar[decisions.Outcome] = decisions.Outcome.DONE


@dataclasses.dataclass(frozen=True)
class Failed:
    """The process raised; ``text`` is the sentence for the user, ``retryable`` whether it asked for
    another attempt (:class:`jobsmith.processes.context.RetryableError`)."""

    kind: ClassVar[decisions.Outcome] = decisions.Outcome.FAILED
    text: str
    retryable: bool


@dataclasses.dataclass(frozen=True)
class Cancelled:
    """The process stopped because it was asked to (it saw the stop flag)."""

    kind: ClassVar[decisions.Outcome] = decisions.Outcome.CANCELLED


Outcome = Done | Failed | Cancelled
FromHost = Step | Progress | Outcome
