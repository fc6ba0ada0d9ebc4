"""Targets (what jobs are about) with their job counts: one aggregate statement per page.

A target exists while a job names it; it has no table of its own. A page is ordered by the last
change of any of its jobs, newest first, and positioned by ``(last_change_at, target)``: a target
whose jobs change moves to the front, as a list of live things should.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from jobsmith.domain import snapshots, states
from jobsmith.store import records

JOBS = records.JOBS
Position = tuple[dt.datetime, str]
_ACTIVE = frozenset(s.value for s in states.ACTIVE)


@dataclasses.dataclass(frozen=True)
class TargetPage:
    targets: list[snapshots.TargetRecord]
    has_next: bool
    has_previous: bool

    @property
    def first(self) -> Position | None:
        return (self.targets[0].last_change_at, self.targets[0].target) if self.targets else None

    @property
    def last(self) -> Position | None:
        return (self.targets[-1].last_change_at, self.targets[-1].target) if self.targets else None


def page(connection: sa.Connection, owner: str | None, *, limit: int, after: Position | None = None,
         before: Position | None = None) -> TargetPage:
    """Newest change first; ``after``/``before`` are positions from a cursor (exclusive).

    One statement: the page of targets (GROUP BY target), joined with its jobs counted by state
    (GROUP BY target, state) and the newest job of each of those groups.
    """
    rows = connection.execute(_statement(owner, limit, after, before)).all()
    found = _records(rows)
    more = len(found) > limit
    if before is not None:
        found = found[-limit:] if more else found
        return TargetPage(found, has_next=bool(found), has_previous=more and bool(found))
    found = found[:limit]
    return TargetPage(found, has_next=more and bool(found), has_previous=after is not None and bool(found))


def _statement(owner: str | None, limit: int, after: Position | None, before: Position | None) -> sa.Select[Any]:
    scope = [JOBS.c.target.is_not(None)] + ([JOBS.c.owner == owner] if owner is not None else [])
    grouped = (sa.select(JOBS.c.target, sa.func.max(JOBS.c.updated_at).label("last_change_at"),
                         sa.func.count().label("jobs"))
               .where(*scope).group_by(JOBS.c.target).subquery("grouped"))
    key = (grouped.c.last_change_at, grouped.c.target)
    chosen = sa.select(grouped)
    if before is not None:  # a "previous" page: the targets just newer than ``before``
        chosen = chosen.where(_beyond(key, before, newer=True)).order_by(key[0].asc(), key[1].asc())
    else:
        if after is not None:
            chosen = chosen.where(_beyond(key, after, newer=False))
        chosen = chosen.order_by(key[0].desc(), key[1].desc())
    page_ = chosen.limit(limit + 1).cte("page")
    by_state = (sa.select(JOBS.c.target, JOBS.c.state, sa.func.count().label("in_state"),
                          sa.func.max(JOBS.c.seq).label("newest"), sa.func.max(JOBS.c.updated_at).label("changed"))
                .where(*scope, JOBS.c.target.in_(sa.select(page_.c.target)))
                .group_by(JOBS.c.target, JOBS.c.state).subquery("by_state"))
    return (sa.select(page_.c.target, page_.c.last_change_at, page_.c.jobs, by_state.c.state, by_state.c.in_state,
                      by_state.c.newest, by_state.c.changed, JOBS.c.id.label("newest_id"))
            .join(by_state, by_state.c.target == page_.c.target)
            .join(JOBS, JOBS.c.seq == by_state.c.newest))


def _beyond(key: tuple[sa.ColumnElement[Any], sa.ColumnElement[Any]], position: Position,
            *, newer: bool) -> sa.ColumnElement[bool]:
    """Strictly after ``position`` in the page order (older), or before it (``newer``)."""
    (time, target), (at, name) = key, position
    if newer:
        return sa.or_(time > at, sa.and_(time == at, target > name))
    return sa.or_(time < at, sa.and_(time == at, target < name))


def _records(rows: Sequence[sa.Row[Any]]) -> list[snapshots.TargetRecord]:
    """One record per target, newest change first, from its rows (one per state)."""
    groups: dict[str, list[sa.Row[Any]]] = {}
    for row in rows:
        groups.setdefault(row.target, []).append(row)
    found = []
    for target, group in groups.items():
        last = max(group, key=lambda row: (row.changed, row.newest))
        active = [row for row in group if row.state in _ACTIVE]
        found.append(snapshots.TargetRecord(
            target=target, jobs=group[0].jobs,
            active_job=max(active, key=lambda row: row.newest).newest_id if active else None,
            last_state=last.state, last_change_at=group[0].last_change_at,
            by_state={row.state: row.in_state for row in sorted(group, key=lambda row: row.state)}))
    found.sort(key=lambda record: (record.last_change_at, record.target), reverse=True)
    return found
