"""Service-wide state: the maintenance pause, worker rows, retention, and metrics aggregates."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence

import sqlalchemy as sa

from jobsmith.domain import snapshots, states
from jobsmith.store import dialects, models
from jobsmith.store.database import Database

Job = models.Job

DURATION_BUCKETS: tuple[float, ...] = (0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600)


MaintenanceState = snapshots.MaintenanceState


@dataclasses.dataclass(frozen=True)
class Stats:
    by_state: dict[str, int]
    duration_buckets: list[tuple[float, int]]
    duration_count: int
    duration_sum: float


class Admin:
    def __init__(self, database: Database) -> None:
        self.db = database

    # -- maintenance ---------------------------------------------------------------------
    def maintenance(self) -> MaintenanceState:
        with self.db.read() as tx:
            row = tx.execute(sa.select(models.Maintenance).where(models.Maintenance.id == 1)).one_or_none()
        if row is None:
            return MaintenanceState(paused=False, message="", updated_at=None, updated_by=None)
        return MaintenanceState(row.paused, row.message or "", row.updated_at, row.updated_by)

    def set_maintenance(self, paused: bool, message: str, by: str) -> MaintenanceState:
        """Pause or resume claiming; the change and its author go to the history."""
        with self.db.begin() as tx:
            values = dict(paused=paused, message=message, updated_by=by, updated_at=dialects.now())
            updated = tx.execute(sa.update(models.Maintenance).where(models.Maintenance.id == 1)
                                      .values(**values))
            if updated.rowcount == 0:
                tx.execute(sa.insert(models.Maintenance).values(id=1, **values))
            tx.execute(sa.insert(models.MaintenanceHistory).values(**values))
        return self.maintenance()

    def maintenance_history(self, limit: int = 1000) -> list[MaintenanceState]:
        table = models.MaintenanceHistory
        with self.db.read() as tx:
            rows = tx.execute(sa.select(table.paused, table.message, table.updated_at, table.updated_by)
                              .order_by(table.id.desc()).limit(limit)).all()
        return [MaintenanceState(r.paused, r.message, r.updated_at, r.updated_by) for r in rows]

    # -- workers -------------------------------------------------------------------------
    def register_worker(self, hostname: str, pid: int) -> str:
        worker_id = str(uuid.uuid4())
        with self.db.begin() as tx:
            tx.execute(sa.insert(models.Worker).values(
                id=worker_id, hostname=hostname, pid=pid, started_at=dialects.now(), heartbeat_at=dialects.now()))
        return worker_id

    def beat_worker(self, worker_id: str) -> None:
        with self.db.begin() as tx:
            tx.execute(sa.update(models.Worker).where(models.Worker.id == worker_id)
                            .values(heartbeat_at=dialects.now()))

    def stop_worker(self, worker_id: str) -> None:
        with self.db.begin() as tx:
            tx.execute(sa.update(models.Worker).where(models.Worker.id == worker_id)
                            .values(stopped_at=dialects.now()))

    def live_workers_on(self, hostname: str) -> list[tuple[str, int]]:
        """Workers of ``hostname`` that never said they stopped: ``(id, pid)``."""
        with self.db.read() as tx:
            rows = tx.execute(sa.select(models.Worker.id, models.Worker.pid).where(
                models.Worker.hostname == hostname, models.Worker.stopped_at.is_(None))).all()
        return [(r.id, r.pid) for r in rows]

    def mark_workers_stopped(self, worker_ids: Sequence[str]) -> None:
        if worker_ids:
            with self.db.begin() as tx:
                tx.execute(sa.update(models.Worker).where(models.Worker.id.in_(worker_ids))
                                .values(stopped_at=dialects.now()))

    # -- recovery ------------------------------------------------------------------------
    def stale_queued(self, older_than_s: float) -> dict[str, int]:
        """How many jobs of each process have been QUEUED for longer than ``older_than_s``.

        In cluster mode such a job has lost its wake-up message (the broker was down or restarted, or
        the message expired), and the sweeper announces it again. Served by the queue's partial index.
        """
        with self.db.read() as tx:
            rows = tx.execute(sa.select(Job.process, sa.func.count()).where(
                Job.state == states.Status.QUEUED.value, Job.queued_at < dialects.now(-older_than_s))
                .group_by(Job.process)).all()
        return {process: int(count) for process, count in rows}

    # -- retention -----------------------------------------------------------------------
    def expired_jobs(self, limit: int = 500) -> list[str]:
        """Final jobs whose retention ended and whose files are still there."""
        final = [s.value for s in states.FINAL]
        with self.db.read() as tx:
            return list(tx.execute(sa.select(Job.id).where(
                Job.files_removed.is_(False), Job.state.in_(final), Job.expires_at < dialects.now()).limit(limit)
            ).scalars())

    def deleted_with_files(self, limit: int = 500) -> list[str]:
        """DELETED jobs whose files were not removed yet (a crash between the two)."""
        with self.db.read() as tx:
            return list(tx.execute(sa.select(Job.id).where(
                Job.files_removed.is_(False), Job.state == states.Status.DELETED.value).limit(limit)).scalars())

    # -- metrics -------------------------------------------------------------------------
    def stats(self) -> Stats:
        """Counts by state and a cumulative duration histogram, computed by the database."""
        finished = Job.duration_s.is_not(None)
        with self.db.read() as tx:
            by_state = {state: count for state, count in tx.execute(
                sa.select(Job.state, sa.func.count()).group_by(Job.state))}
            columns = [sa.func.sum(sa.case((Job.duration_s <= b, 1), else_=0)) for b in DURATION_BUCKETS]
            row = tx.execute(sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Job.duration_s), 0.0),
                                            *columns).where(finished)).one()
        count, total, *buckets = row
        return Stats(
            by_state={s.value: int(by_state.get(s.value, 0)) for s in states.Status},
            duration_buckets=[(b, int(n or 0)) for b, n in zip(DURATION_BUCKETS, buckets, strict=True)],
            duration_count=int(count), duration_sum=float(total),
        )
