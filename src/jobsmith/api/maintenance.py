"""``/v1/maintenance``: pause claiming (running jobs finish, creation still works), with history."""

from __future__ import annotations

from fastapi import APIRouter

from jobsmith.api import presenters
from jobsmith.api.deps import AdminDep, CallerDep, ServicesDep
from jobsmith.domain import views

router = APIRouter(prefix="/v1/maintenance", tags=["maintenance"])


@router.get("", response_model=views.Maintenance, summary="Whether queued jobs are held back")
def get_maintenance(services: ServicesDep, _: CallerDep) -> views.Maintenance:
    return presenters.maintenance(services.admin.maintenance())


@router.put("", response_model=views.Maintenance, summary="Pause or resume starting queued jobs",
            description="While paused no queued job starts; running jobs finish; jobs can still be created. "
                        "Admin only when API keys are configured.",
            responses={403: {"model": views.Problem}})
def put_maintenance(body: views.MaintenanceChange, services: ServicesDep, caller: AdminDep) -> views.Maintenance:
    row = services.admin.set_maintenance(body.paused, body.message, caller.owner)
    if not body.paused:
        for _ in range(max(1, services.settings.workers)):
            services.executor.notify()
    return presenters.maintenance(row)


@router.get("/history", response_model=views.MaintenanceHistory, summary="Every maintenance change, newest first")
def maintenance_history(services: ServicesDep, _: CallerDep) -> views.MaintenanceHistory:
    return views.MaintenanceHistory(results=[presenters.maintenance(r) for r in services.admin.maintenance_history()])
