"""``/v1/targets``: what jobs are about (a dataset, a compendium ...), with their jobs. Thin, like the
job routes: parse, call the service, present."""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import APIRouter, Path, Request

from jobsmith.api import paging, presenters
from jobsmith.api import schemas as views
from jobsmith.api.deps import CallerDep, KnownQueryOnly, ServiceDep
from jobsmith.api.native import jobs

router = APIRouter(prefix="/v1/targets", tags=["targets"])


@router.get("", response_model=views.TargetList, responses=jobs.PROBLEMS,
            summary="Every target of the caller's jobs, last change first",
            description="Each target with its number of jobs, its active job (the newest that is not final), "
                        "the state of the job that changed last, when, and how many jobs are in each state. "
                        "Only the caller's jobs count (an admin's: everyone's). Paged like the job list; an "
                        "unknown query parameter is a 422 naming it.",
            dependencies=[KnownQueryOnly])
async def list_targets(request: Request, service: ServiceDep, caller: CallerDep, limit: jobs.Limit = 100,
                       cursor: jobs.Cursor = None) -> views.TargetList:
    after, before = paging.decode_target(cursor) if cursor else (None, None)
    page = await service.jobs.targets(caller, limit=limit, after=after, before=before)
    return views.TargetList(
        results=[presenters.target_view(t) for t in page.targets],
        next=paging.page_url(request.url, paging.encode_target("n", page.last))
        if page.has_next and page.last is not None else None,
        previous=paging.page_url(request.url, paging.encode_target("p", page.first))
        if page.has_previous and page.first is not None else None)


@router.get("/{target:path}/jobs", response_model=views.JobList, responses=jobs.PROBLEMS,
            summary="One target's jobs, newest first",
            description="The job list (`GET /v1/jobs`) of this target: the same filters, paging and `fields`; "
                        "an unknown query parameter is a 422 naming it.",
            dependencies=[KnownQueryOnly])
async def target_jobs(target: Annotated[str, Path(description="The target, as jobs name it.")],
                      request: Request, service: ServiceDep, caller: CallerDep, filters: jobs.JobFilters,
                      limit: jobs.Limit = 100, cursor: jobs.Cursor = None, fields: jobs.Fields = None,
                      ) -> views.JobList:
    query = dataclasses.replace(filters, targets=[target])
    return await jobs.list_page(request, service, caller, query, limit, cursor, fields)
