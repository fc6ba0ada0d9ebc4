"""The service as a whole: its processes, the maintenance pause, readiness and the figures of its metrics."""

from __future__ import annotations

import dataclasses
import functools
import tempfile

import anyio.to_thread

from jobsmith.domain import errors, snapshots
from jobsmith.processes import registry
from jobsmith.service import backend, callers
from jobsmith.store import admin

Stats = admin.Stats


@dataclasses.dataclass(frozen=True)
class Figures:
    """What the metrics show, read from the database so that every process and machine agrees."""

    stats: Stats
    paused: bool
    local_workers: int


class OperationsService:
    """What an operator and every client read about the service itself."""

    def __init__(self, back: backend.Backend) -> None:
        self.backend = back

    def processes(self) -> list[registry.Process]:
        return self.backend.processes.all()

    def process(self, process_id: str) -> registry.Process:
        return self.backend.processes.get(process_id)

    async def maintenance(self) -> snapshots.MaintenanceState:
        return await self.backend.read(self.backend.admin.maintenance)

    async def set_maintenance(self, caller: callers.Caller, paused: bool, message: str) -> snapshots.MaintenanceState:
        """Pause or resume claiming (admins only); resuming wakes every idle worker."""
        if not caller.admin:
            raise errors.Forbidden("only an admin key may do this", code="admin_only")
        state = await self.backend.write(functools.partial(self.backend.admin.set_maintenance, paused, message,
                                                           caller.owner))
        if not paused:
            for _ in range(max(1, self.backend.settings.workers)):
                self.backend.executor.notify()
        return state

    async def maintenance_history(self) -> list[snapshots.MaintenanceState]:
        return await self.backend.read(self.backend.admin.maintenance_history)

    async def problems(self) -> list[str]:
        """Why the service is not ready (database or storage out of reach); empty when it is."""
        return await anyio.to_thread.run_sync(self._problems)

    def _problems(self) -> list[str]:
        problems = []
        try:
            self.backend.database.ping()
        except errors.JobsmithError as exc:
            problems.append(f"database: {exc.detail}")
        try:
            with tempfile.NamedTemporaryFile(dir=self.backend.blobs.root, prefix=".ready-"):
                pass
        except OSError as exc:
            problems.append(f"storage: {exc.strerror}")
        return problems

    def figures(self) -> Figures:
        """Read at scrape time (called from the metrics collector, in a thread)."""
        return Figures(stats=self.backend.admin.stats(), paused=self.backend.admin.maintenance().paused,
                       local_workers=self.backend.settings.workers)
