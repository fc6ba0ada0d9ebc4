"""``/v1/processes``: what this server can run."""

from __future__ import annotations

from fastapi import APIRouter

from jobsmith.api import presenters
from jobsmith.api.deps import CallerDep, ServicesDep
from jobsmith.domain import views

router = APIRouter(prefix="/v1/processes", tags=["processes"])


@router.get("", response_model=list[views.ProcessView], summary="The processes this server can run")
def list_processes(services: ServicesDep, _: CallerDep) -> list[views.ProcessView]:
    return [presenters.process_view(p) for p in services.processes.all()]


@router.get("/{process_id}", response_model=views.ProcessView, summary="One process",
            responses={404: {"model": views.Problem}})
def get_process(process_id: str, services: ServicesDep, _: CallerDep) -> views.ProcessView:
    return presenters.process_view(services.processes.get(process_id))
