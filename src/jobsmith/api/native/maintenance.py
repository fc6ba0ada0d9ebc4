"""``/v1/maintenance``: pause claiming (running jobs finish, creation still works), with history."""

from __future__ import annotations

from fastapi import APIRouter

from jobsmith.api import presenters
from jobsmith.api import schemas as views
from jobsmith.api.deps import CallerDep, KnownQueryOnly, ServiceDep

router = APIRouter(prefix="/v1/maintenance", tags=["maintenance"])


@router.get("", response_model=views.Maintenance, summary="Whether queued jobs are held back")
async def get_maintenance(service: ServiceDep, _: CallerDep) -> views.Maintenance:
    return presenters.maintenance(await service.operations.maintenance())


@router.put("", response_model=views.Maintenance, summary="Pause or resume starting queued jobs",
            description="While paused no queued job starts; running jobs finish; jobs can still be created. "
                        "Admin only when API keys are configured.",
            responses={403: {"model": views.Problem}})
async def put_maintenance(body: views.MaintenanceChange, service: ServiceDep, caller: CallerDep) -> views.Maintenance:
    return presenters.maintenance(await service.operations.set_maintenance(caller, body.paused, body.message))


@router.get("/history", response_model=views.MaintenanceHistory, summary="Every maintenance change, newest first",
            description="It takes no query parameters: any is a 422 naming it.", dependencies=[KnownQueryOnly])
async def maintenance_history(service: ServiceDep, _: CallerDep) -> views.MaintenanceHistory:
    history = await service.operations.maintenance_history()
    return views.MaintenanceHistory(results=[presenters.maintenance(r) for r in history])
