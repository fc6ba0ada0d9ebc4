"""The one place where a job's state changes: a compare-and-set plus its history row.

Every caller names the states it expects the job to be in (and, for a worker, its lease
token); the UPDATE only matches when that still holds, so of two racing changes exactly one
wins and the other gets :class:`errors.TransitionConflict`. ``previous_state = state`` in the
same UPDATE captures the state that was replaced, for the history row written in the same
transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from jobsmith.domain import errors, states
from jobsmith.store import dialects, models, records, steps

JOBS = records.JOBS
_RUNNING = frozenset(s.value for s in states.RUNNING)


def transition(
    tx: sa.Connection,
    job_id: str,
    to: states.Status,
    *,
    allowed: Iterable[states.Status],
    actor: str,
    reason: str | None = None,
    token: str | None = None,
    values: dict[str, Any] | None = None,
) -> records.JobRecord:
    """Move ``job_id`` to ``to`` if it is in one of ``allowed`` (and holds ``token``).

    Caller MUST be inside a transaction (``Database.begin()``); the history row is written in
    it. ``allowed`` is intersected with the contract's table, so no caller can open an edge
    that :data:`states.TRANSITIONS` does not have.
    """
    stmt = statement(to, allowed=allowed, with_token=token is not None, values=values)
    return apply(tx, stmt, job_id, to, actor=actor, reason=reason, token=token)


def statement(to: states.Status, *, allowed: Iterable[states.Status], with_token: bool,
              values: dict[str, Any] | None = None) -> sa.Update:
    """The compare-and-set of a transition, with ``:job_id``, ``:reason`` (and ``:token``) to bind.

    Building a statement costs more CPU than the database takes to run it, so hot paths (a worker
    finishing a job) build theirs once with this and run it with :func:`apply`; ``values`` may hold
    further bind parameters, passed to :func:`apply` as ``params``.
    """
    sources = [s.value for s in allowed if states.can_transition(s, to)]
    stmt = (
        sa.update(JOBS)
        .where(JOBS.c.id == sa.bindparam("job_id"), sa.or_(*(JOBS.c.state == source for source in sources)))
        .values(previous_state=JOBS.c.state, state=to.value,
                state_detail=sa.bindparam("reason", type_=JOBS.c.state_detail.type),
                updated_at=dialects.now(), **(values or {}))
        .returning(*JOBS.c)
    )
    return stmt.where(JOBS.c.lease_token == sa.bindparam("token")) if with_token else stmt


def apply(tx: sa.Connection, stmt: sa.Update, job_id: str, to: states.Status, *, actor: str,
          reason: str | None = None, token: str | None = None,
          params: dict[str, Any] | None = None, close_steps: bool = True) -> records.JobRecord:
    """Run a statement from :func:`statement` and write the history row; a typed conflict if it
    matched nothing. Caller MUST be inside a transaction.

    The job's steps follow in the same transaction: a job handed back to the queue by its worker
    shows them ``queued`` again; a final job has none left open (:func:`steps.close`), unless
    ``close_steps`` is False, when the caller records the attempt's last steps first and then closes
    them itself.
    """
    bound = {"job_id": job_id, "reason": reason, **(params or {})}
    if token is not None:
        bound["token"] = token
    row = tx.execute(stmt, bound).one_or_none()
    if row is None:
        raise _conflict(tx, job_id, to, token)
    job = records.job(row)
    record(tx, job, actor=actor, reason=reason)
    if to.is_terminal():
        if close_steps:
            steps.close(tx, job.seq, to, reason)
    elif to is states.Status.QUEUED and job.previous_state in _RUNNING:
        steps.reset(tx, job.seq)
    return job


def record(tx: sa.Connection, job: records.JobRecord, *, actor: str, reason: str | None) -> None:
    """Write the history row of the change that just happened to ``job``."""
    tx.execute(_INSERT_HISTORY, {"job_seq": job.seq, "from_state": job.previous_state, "to_state": job.state,
                                 "actor": actor, "attempt": job.attempts, "reason": reason})


_HISTORY: sa.Table = models.JobHistory.__table__  # type: ignore[assignment]
_INSERT_HISTORY = sa.insert(_HISTORY).values({  # built once: every transition writes one
    **{name: sa.bindparam(name, type_=_HISTORY.c[name].type)
       for name in ("job_seq", "from_state", "to_state", "actor", "attempt", "reason")}, "time": dialects.now()})


def _conflict(tx: sa.Connection, job_id: str, to: states.Status, token: str | None) -> errors.JobsmithError:
    row = tx.execute(sa.select(JOBS.c.state, JOBS.c.lease_token).where(JOBS.c.id == job_id)).one_or_none()
    if row is None:
        return errors.NotFound(f"no job {job_id}", code="job_not_found")
    if token is not None and row.lease_token != token:
        return errors.TransitionConflict(
            f"job {job_id} is no longer held by this worker (it is {row.state})", code="lease_lost"
        )
    return errors.TransitionConflict(
        f"job {job_id} is {row.state}; it cannot become {to.value}", code="state_conflict"
    )
