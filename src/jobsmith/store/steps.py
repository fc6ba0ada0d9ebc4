"""A job's steps as rows: declared at creation, reported while it runs, closed as it ends.

The rows of a job's declared steps are inserted with the job (``queued``); a step the job enters
without having declared it is inserted when it is first reported. A step is known by its position:
the declared steps take the first positions in their declared order, others follow in the order
the job reached them. Reports update a row in place, so a step entered again keeps its first start.

Two moments of a job's state machine touch every step at once, and :mod:`jobsmith.store.transitions`
does both in the transaction of the change: a job that goes back to the queue after a lost worker or a
shutdown shows its steps ``queued`` again (the next attempt starts over); a job that becomes final has
no step left ``queued`` or ``running`` (:func:`jobsmith.domain.decisions.steps_at_end`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from jobsmith.domain import decisions, snapshots, states
from jobsmith.store import dialects, models

StepState = states.StepState
_STEPS: sa.Table = models.JobStep.__table__  # type: ignore[assignment]


@dataclasses.dataclass
class StepUpdate:
    """The latest known state of one step, as reported by the job (times on the worker's clock)."""

    position: int
    name: str
    state: states.StepState
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    message: str | None


def _bound(*names: str) -> dict[str, sa.BindParameter[Any]]:
    return {name: sa.bindparam(name, type_=_STEPS.c[name].type) for name in names}


# Built once: a worker runs these for every job, and building one costs more than running it.
_UPDATE = (sa.update(_STEPS).where(_STEPS.c.job_seq == sa.bindparam("of_job"),
                                   _STEPS.c.position == sa.bindparam("at_position"))
           .values(**_bound("name", "state", "message", "ended_at"),
                   started_at=sa.func.coalesce(_STEPS.c.started_at, sa.bindparam("started_at",
                                                                                 type_=_STEPS.c.started_at.type))))
_INSERT = sa.insert(_STEPS).values(_bound("job_seq", "position", "name", "state", "started_at", "ended_at",
                                          "message"))
_INSERT_QUEUED = sa.insert(_STEPS).values(**_bound("job_seq", "position", "name"), state=StepState.QUEUED.value)
_RESET = (sa.update(_STEPS).where(_STEPS.c.job_seq == sa.bindparam("of_job"))
          .values(state=StepState.QUEUED.value, started_at=None, ended_at=None, message=None))
_OPEN = (StepState.QUEUED.value, StepState.RUNNING.value)
_IS_RUNNING = _STEPS.c.state == StepState.RUNNING.value
_CLOSE = (sa.update(_STEPS).where(_STEPS.c.job_seq == sa.bindparam("of_job"), _STEPS.c.state.in_(_OPEN))
          .values(state=sa.case((_IS_RUNNING, sa.bindparam("running_to", type_=_STEPS.c.state.type)),
                                else_=StepState.SKIP.value),
                  ended_at=sa.case((_IS_RUNNING, dialects.now()), else_=_STEPS.c.ended_at),
                  message=sa.case((_IS_RUNNING, sa.func.coalesce(
                      _STEPS.c.message, sa.bindparam("reason", type_=_STEPS.c.message.type))),
                      else_=sa.bindparam("not_run", type_=_STEPS.c.message.type))))


def declare(tx: sa.Connection, job_seq: int, names: Sequence[str]) -> tuple[snapshots.StepRecord, ...]:
    """Insert a new job's declared steps, ``queued``; caller MUST be in the job's creating transaction."""
    if not names:
        return ()
    tx.execute(_INSERT_QUEUED, [{"job_seq": job_seq, "position": position, "name": name}
                                for position, name in enumerate(names)])
    return tuple(snapshots.StepRecord(position, name, StepState.QUEUED.value, None, None, None)
                 for position, name in enumerate(names))


def write(tx: sa.Connection, job_seq: int, updates: Sequence[StepUpdate]) -> None:
    """Record reported steps: update the step at each position, or insert it (a step not declared)."""
    for step in updates:
        values = {"name": step.name, "state": step.state.value, "message": step.message,
                  "ended_at": step.ended_at, "started_at": step.started_at}
        if tx.execute(_UPDATE, {**values, "of_job": job_seq, "at_position": step.position}).rowcount == 0:
            tx.execute(_INSERT, {**values, "job_seq": job_seq, "position": step.position})


def reset(tx: sa.Connection, job_seq: int) -> None:
    """Every step ``queued`` again, without times or message: the job is back in the queue."""
    tx.execute(_RESET, {"of_job": job_seq})


def close(tx: sa.Connection, job_seq: int, final: states.Status, reason: str | None) -> None:
    """No step of a job that became ``final`` stays open: see :func:`decisions.steps_at_end`."""
    at_end = decisions.steps_at_end(final)
    tx.execute(_CLOSE, {"of_job": job_seq, "running_to": at_end.running.value, "reason": reason,
                        "not_run": at_end.not_run})
