"""Recovery and cleaning: run by every worker at start and on a timer, idempotently.

- jobs whose lease expired go back to the queue (or fail, or finish cancelling);
- workers of this host that died without saying so have their leases ended at once;
- files of jobs past their retention, and of deleted jobs, are removed (the record stays);
- old idempotency keys are forgotten.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket

from jobsmith.config import Settings
from jobsmith.domain import states
from jobsmith.execution import osproc
from jobsmith.store import admin, blobs, leases, repository
from jobsmith.store.database import Database

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class SweepReport:
    requeued: list[str]
    failed_or_cancelled: list[str]
    files_removed: int
    dead_workers: int


class Sweeper:
    def __init__(self, settings: Settings, database: Database, store: blobs.BlobStore) -> None:
        self.settings = settings
        self.leases = leases.Leases(database, settings.lease_s)
        self.admin = admin.Admin(database)
        self.jobs = repository.Repository(database)
        self.blobs = store

    def sweep(self, *, own_worker_ids: frozenset[str] = frozenset()) -> SweepReport:
        dead = self._reap_dead_local_workers(own_worker_ids)
        recovered = self.leases.requeue_stalled()
        removed = self._remove_files()
        self.jobs.purge_idempotency_keys(self.settings.idempotency_ttl_h)
        for item in recovered:
            log.warning("job %s recovered: %s (%s)", item.job_id, item.state.value, item.reason,
                        extra={"job_id": item.job_id})
        return SweepReport(
            requeued=[r.job_id for r in recovered if r.state == states.Status.QUEUED],
            failed_or_cancelled=[r.job_id for r in recovered if r.state != states.Status.QUEUED],
            files_removed=removed, dead_workers=dead)

    def _reap_dead_local_workers(self, own: frozenset[str]) -> int:
        """Workers on this host whose process is gone: end their leases now, not after expiry."""
        here = socket.gethostname()
        dead = [wid for wid, pid in self.admin.live_workers_on(here)
                if wid not in own and pid != os.getpid() and not osproc.pid_alive(pid)]
        if dead:
            self.leases.expire_leases_of(dead)
            self.admin.mark_workers_stopped(dead)
        return len(dead)

    def _remove_files(self) -> int:
        doomed = self.admin.expired_jobs() + self.admin.deleted_with_files()
        for job_id in doomed:
            self.blobs.remove(job_id)
            self.jobs.mark_files_removed(job_id)
        return len(doomed)
