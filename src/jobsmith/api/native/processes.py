"""``/v1/processes``: what this server can run."""

from __future__ import annotations

from fastapi import APIRouter

from jobsmith.api import presenters
from jobsmith.api import schemas as views
from jobsmith.api.deps import CallerDep, ServiceDep

router = APIRouter(prefix="/v1/processes", tags=["processes"])


@router.get("", response_model=list[views.ProcessView], summary="The processes this server can run")
async def list_processes(service: ServiceDep, _: CallerDep) -> list[views.ProcessView]:
    return [presenters.process_view(p) for p in service.operations.processes()]


@router.get("/{process_id}", response_model=views.ProcessView, summary="One process",
            responses={404: {"model": views.Problem}})
async def get_process(process_id: str, service: ServiceDep, _: CallerDep) -> views.ProcessView:
    return presenters.process_view(service.operations.process(process_id))
