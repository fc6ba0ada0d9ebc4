"""``/v1/worker``: the routes of the worker protocol, thin over :mod:`jobsmith.service.workers`.

Authentication is a worker token (``WorkerDep``); every route but the claim also needs the lease
token of the current claim in ``Lease-Token``, and answers 409 ``lease_lost`` once it is not.
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Request, Response
from fastapi.responses import FileResponse

from jobsmith.api import presenters
from jobsmith.api import schemas as views
from jobsmith.api.deps import ServiceDep, WorkerDep
from jobsmith.api.file_responses import StoredFileResponse, stored_file
from jobsmith.api.request_files import announced_length, stream_body
from jobsmith.api.worker import schemas
from jobsmith.domain import errors, snapshots, states
from jobsmith.service import workers

router = APIRouter(prefix="/v1/worker", tags=["workers"])
JobId = Annotated[uuid.UUID, Path(description="The id of the job the worker holds.")]
LeaseToken = Annotated[str, Header(alias="Lease-Token", description="The token of the current claim.",
                                   examples=[schemas.EXAMPLE_TOKEN])]
PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"model": views.Problem, "description": why} for status, why in {
        401: "no worker token, or an unknown one", 403: "a user's API key, which may not use the protocol",
        404: "unknown job", 409: "`lease_lost`: the lease is no longer current; nothing was changed",
        422: "an invalid body, path or header"}.items()}
_PATH_SEGMENT = re.compile(r"[^/\x00]+")


def _view(request: Request, job: snapshots.JobRecord) -> schemas.WorkerJobView:
    base = str(request.base_url).rstrip("/")
    plain = presenters.job_view(job, base)
    inputs = [schemas.WorkerInputView(**i.model_dump(), href=f"{base}/v1/worker/jobs/{job.id}/inputs/{i.name}")
              for i in plain.inputs]
    return schemas.WorkerJobView(**{**plain.model_dump(), "inputs": inputs},
                                 cancel_requested=job.state == states.Status.CANCELLATION_REQUESTED)


@router.post("/claims", response_model=schemas.Claimed, responses={**PROBLEMS, 204: {
    "description": "no job came within `wait_s` (or claiming is paused for maintenance)"}},
             summary="Claim a job", description=(
                 "The best QUEUED job of the given processes (priority, then age), or the named job once it is "
                 "QUEUED: it becomes PROCESSING, `attempts` + 1, with a fresh lease. Waits up to `wait_s` for "
                 "one; 204 if none came. An unknown process is a 404; a named job that is already final a 409."))
async def claim(body: schemas.ClaimRequest, request: Request, service: ServiceDep,
                worker: WorkerDep) -> schemas.Claimed | Response:
    claimed = await service.workers.claim(worker, body.processes, str(body.job) if body.job else None,
                                          body.wait_s, body.lease_s)
    if claimed is None:
        return Response(status_code=204)
    return schemas.Claimed(job=_view(request, claimed.job),
                           lease=schemas.LeaseView(token=claimed.lease.token, expires_at=claimed.lease.expires_at))


@router.get("/jobs/{job_id}", response_model=schemas.WorkerJobView, responses=PROBLEMS, summary="The held job",
            description="Its parameters, metadata, steps and inputs (each with `href` to download it).")
async def held_job(job_id: JobId, lease_token: LeaseToken, request: Request, service: ServiceDep,
                   worker: WorkerDep) -> schemas.WorkerJobView:
    return _view(request, await service.workers.job(worker, str(job_id), lease_token))


@router.get("/jobs/{job_id}/inputs/{name}", response_class=FileResponse, responses=PROBLEMS,
            summary="Download an input of the held job")
async def input_file(job_id: JobId, name: str, lease_token: LeaseToken, service: ServiceDep,
                     worker: WorkerDep) -> StoredFileResponse:
    return stored_file(await service.workers.input_file(worker, str(job_id), lease_token, name))


@router.post("/jobs/{job_id}/heartbeat", response_model=schemas.HeartbeatView, responses=PROBLEMS,
             summary="Extend the lease", description="By the claim's `lease_s`, on the database's clock.")
async def heartbeat(job_id: JobId, lease_token: LeaseToken, service: ServiceDep,
                    worker: WorkerDep) -> schemas.HeartbeatView:
    expires_at, cancel_requested = await service.workers.heartbeat(worker, str(job_id), lease_token)
    return schemas.HeartbeatView(expires_at=expires_at, cancel_requested=cancel_requested)


@router.post("/jobs/{job_id}/events", response_model=schemas.EventsAnswer, responses=PROBLEMS,
             summary="Report progress, a step and log lines", description=(
                 "Also extends the lease. A step is known by its name: a declared one is updated in place, "
                 "another is added after them. Log lines are tagged with the step."))
async def events(job_id: JobId, body: schemas.Events, lease_token: LeaseToken, service: ServiceDep,
                 worker: WorkerDep) -> schemas.EventsAnswer:
    step = workers.StepReport(body.step.name, body.step.state, body.step.message) if body.step else None
    cancel_requested = await service.workers.report(
        worker, str(job_id), lease_token, progress=body.progress, step=step,
        log=[workers.LogLine(line.level, line.message) for line in body.log])
    return schemas.EventsAnswer(cancel_requested=cancel_requested)


@router.put("/jobs/{job_id}/results/{path:path}", status_code=201, response_model=schemas.ResultStored,
            responses={**PROBLEMS, 413: {"model": views.Problem, "description": "over the upload limit"}},
            summary="Store a result file", description=(
                "The raw body, streamed, becomes the result at `path` (relative; no `..`); the same path again "
                "replaces it. A JSON document is a result like any file. The results are sealed (zip, "
                "manifest) when the job is finished COMPLETED."),
            openapi_extra={"requestBody": {"required": True, "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}})
async def put_result(job_id: JobId, path: str, lease_token: LeaseToken, request: Request, service: ServiceDep,
                     worker: WorkerDep) -> schemas.ResultStored:
    relative = _result_path(path)
    service.uploads.check_announced_size(announced_length(request))
    await service.workers.job(worker, str(job_id), lease_token)  # refuse before reading the body
    staged = service.workers.stage_result(str(job_id))
    try:
        await stream_body(request, staged)
        stored = await service.workers.put_result(worker, str(job_id), lease_token, relative, staged)
    finally:
        staged.abort()  # no-op once placed
    return schemas.ResultStored(path=stored.path, size=stored.size, sha256=stored.sha256,
                                media_type=stored.media_type)


@router.post("/jobs/{job_id}/finish", response_model=schemas.WorkerJobView, responses=PROBLEMS,
             summary="End the attempt", description=(
                 "COMPLETED seals the results; FAILED with `retryable` goes back to the queue while retries are "
                 "left, else fails the job with `reason`; CANCELLED only after a cancel was requested (409 "
                 "`not_cancelled` otherwise)."))
async def finish(job_id: JobId, body: schemas.Finish, lease_token: LeaseToken, request: Request,
                 service: ServiceDep, worker: WorkerDep) -> schemas.WorkerJobView:
    job = await service.workers.finish(worker, str(job_id), lease_token, states.Status(body.state), body.reason,
                                       body.retryable)
    return _view(request, job)


def _result_path(path: str) -> str:
    """A result path as stored: relative, ``/``-separated, no empty, ``.`` or ``..`` segment."""
    segments = path.split("/")
    if (not path or len(path) > 1000 or path.startswith("/") or "\\" in path
            or any(s in ("", ".", "..") or not _PATH_SEGMENT.fullmatch(s) for s in segments)):
        raise errors.Invalid(f"result path {path!r} must be relative, with no empty, '.' or '..' part",
                             code="bad_result_path")
    return path

