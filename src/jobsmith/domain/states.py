"""The job state machine of the HTTP contract, as data.

Every state change anywhere in jobsmith is checked against :data:`TRANSITIONS`; the store turns
each allowed edge into one compare-and-set statement, so this table is the single place where the
lifecycle is defined. The README's state diagram is generated from it (:func:`mermaid`).
"""

from __future__ import annotations

import enum


class Status(enum.StrEnum):
    """Where a job is in its life. The values are the wire values of the API."""

    WAITING_FOR_DATA = "WAITING_FOR_DATA"
    QUEUED = "QUEUED"
    PROCESSING = "PROCESSING"
    CANCELLATION_REQUESTED = "CANCELLATION_REQUESTED"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    DELETED = "DELETED"

    def is_terminal(self) -> bool:
        """A final job never runs again; only deletion may still change it."""
        return self in FINAL

    def is_running(self) -> bool:
        """A worker holds the job (and its lease)."""
        return self in RUNNING


FINAL: frozenset[Status] = frozenset(
    {Status.COMPLETED, Status.FAILED, Status.CANCELLED, Status.DELETED}
)
RUNNING: frozenset[Status] = frozenset({Status.PROCESSING, Status.CANCELLATION_REQUESTED})
ACTIVE: frozenset[Status] = frozenset(set(Status) - FINAL)

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.WAITING_FOR_DATA: frozenset({Status.QUEUED, Status.CANCELLED, Status.DELETED}),
    Status.QUEUED: frozenset(
        {Status.PROCESSING, Status.CANCELLED, Status.FAILED, Status.DELETED}
    ),
    Status.PROCESSING: frozenset(
        {
            Status.COMPLETED,
            Status.FAILED,
            Status.CANCELLATION_REQUESTED,
            Status.QUEUED,  # retry after a lost worker, or handed back on shutdown
            Status.DELETED,
        }
    ),
    Status.CANCELLATION_REQUESTED: frozenset(
        {Status.CANCELLED, Status.COMPLETED, Status.FAILED, Status.DELETED}
    ),
    Status.COMPLETED: frozenset({Status.DELETED}),
    Status.FAILED: frozenset({Status.DELETED}),
    Status.CANCELLED: frozenset({Status.DELETED}),
    Status.DELETED: frozenset(),
}


def can_transition(source: Status, target: Status) -> bool:
    """Whether the contract allows ``source -> target``."""
    return target in TRANSITIONS[source]


def sources_of(target: Status) -> frozenset[Status]:
    """Every state from which ``target`` may be reached: the guard of a compare-and-set."""
    return frozenset(s for s, targets in TRANSITIONS.items() if target in targets)


def mermaid(*, with_deleted: bool = True) -> str:
    """The state diagram as Mermaid text, generated so that docs never drift from the table.

    ``with_deleted=False`` leaves out the edges into DELETED (every state has one), for readability.
    """
    lines = ["stateDiagram-v2", "    [*] --> WAITING_FOR_DATA", "    [*] --> QUEUED"]
    order = list(Status)
    for source, targets in TRANSITIONS.items():
        for target in sorted(targets, key=order.index):
            if with_deleted or target != Status.DELETED:
                lines.append(f"    {source.value} --> {target.value}")
    return "\n".join(lines)


class StepState(enum.StrEnum):
    """The state of one step of a job, as the contract names them."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    FAILURE = "failure"
    WARNING = "warning"
    SKIP = "skip"


class Actor(enum.StrEnum):
    """Who caused a state change, as recorded in a job's history."""

    CLIENT = "client"
    WORKER = "worker"
    SWEEPER = "sweeper"
    SYSTEM = "system"
