"""The EDPS-compatible dataspace routes (``/v1/dataspace``): a drop-in for existing connectors.

A dataspace job is an ordinary ``profile`` job (``metadata`` = the user's EDP data, ``parameters``
= the config), so it is also listed and readable under ``/v1/jobs``, and any ``profile`` job can be
read here. What differs is the surface the connectors were written against: their paths and
bodies, a 400 with ``detail`` for every refusal (unknown job, wrong state, missing file name, empty
upload, metadata without ``assetRefs``), and a result zip laid out as dataspace catalogues ingest it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Request, Response
from fastapi.responses import FileResponse, PlainTextResponse, StreamingResponse

from jobsmith.api import errors as api_errors
from jobsmith.api import schemas as views
from jobsmith.api.deps import Caller, CallerDep, ServiceDep
from jobsmith.api.file_responses import stored_file
from jobsmith.api import request_files
from jobsmith.domain import errors, snapshots, states
from jobsmith.processes.profile import dataspace_archive
from jobsmith.service import core, requests

router = APIRouter(prefix="/v1/dataspace", tags=["dataspace"])
PROCESS = "profile"
PROBLEMS: dict[int | str, dict[str, Any]] = {400: {"model": views.Problem, "description": "a refusal, with a reason"}}
JobId = Annotated[uuid.UUID, Path(description="The job's id (a UUID).")]
# Refusals keep their sentence and code but answer 400, as the service this API replaces does; a
# server-side condition (database down, credentials, size limit) keeps its own status.
_KEEP_STATUS = frozenset({401, 403, 413, 503})


@contextlib.contextmanager
def refusals_as_400() -> Iterator[None]:
    try:
        yield
    except errors.JobsmithError as refusal:
        if api_errors.status_of(refusal) in _KEEP_STATUS:
            raise
        raise api_errors.Refusal(refusal.detail, code=refusal.code, status=400) from refusal


async def dataspace_job(service: core.Service, caller: Caller, job_id: uuid.UUID) -> snapshots.JobRecord:
    """The caller's ``profile`` job; any other (or unknown) job is a 400, as in EDPS."""
    with refusals_as_400():
        job = await service.jobs.get(caller, str(job_id))
    if job.process != PROCESS:
        raise api_errors.Refusal(f"job {job.id} is a {job.process!r} job, not an analysis job",
                                 code="not_an_analysis_job", status=400)
    return job


def job_view(job: snapshots.JobRecord, upload_url: str | None = None) -> views.DataspaceJob:
    return views.DataspaceJob(job_id=job.id, state=states.Status(job.state), state_detail=job.state_detail,
                              upload_url=upload_url)


@router.post("/analysisjob", response_model=views.DataspaceJob, responses=PROBLEMS, summary="Create an analysis job",
             description="The job waits for its data (WAITING_FOR_DATA). With `x-service-base-url: B` the answer "
                         "also has `upload_url` = `B/api/<job_id>`. Metadata without `assetRefs` is a 400. Keys of "
                         "`config` that are parameters of the `profile` process are used; others (the old "
                         "service's own tuning sections) are ignored. String values never appear on the plots.")
async def create(body: views.DataspaceCreate, service: ServiceDep, caller: CallerDep,
                 x_service_base_url: Annotated[str | None, Header()] = None) -> views.DataspaceJob:
    with refusals_as_400():
        check_metadata(body.user_provided_edp_data)
        known = service.operations.process(PROCESS).parameters.model_fields
        parameters = {key: value for key, value in body.config.items() if key in known}
        request = requests.JobRequest(process=PROCESS, metadata=body.user_provided_edp_data,
                                      parameters={**parameters, "anonymise_strings": True})
        job, _ = await service.jobs.create(caller, request)
    upload_url = f"{x_service_base_url.rstrip('/')}/api/{job.id}" if x_service_base_url else None
    return job_view(job, upload_url)


def check_metadata(metadata: dict[str, Any]) -> None:
    """The part of the user's EDP data the result depends on: a name and at least one asset reference."""
    refs = metadata.get("assetRefs")
    if not isinstance(refs, list) or not refs:
        raise errors.Invalid("user_provided_edp_data has no assetRefs: at least one asset reference "
                             "(assetId, assetUrl, dataSpace, publisher, publishDate, license) is required",
                             code="missing_asset_refs")
    if not all(isinstance(ref, dict) and isinstance(ref.get("assetId"), str) and ref["assetId"] for ref in refs):
        raise errors.Invalid("every asset reference in assetRefs needs an assetId (a non-empty string)",
                             code="bad_asset_refs")
    if not isinstance(metadata.get("name"), str) or not metadata["name"]:
        raise errors.Invalid("user_provided_edp_data needs a name (a non-empty string)", code="missing_name")


@router.post("/analysisjob/{job_id}/data/{filename}", response_model=views.DataspaceJob, responses=PROBLEMS,
             summary="Upload the data as the raw request body; queues the job",
             openapi_extra={"requestBody": {"content": {"application/octet-stream": {
                 "schema": {"type": "string", "format": "binary"}}}}})
async def upload(job_id: JobId, filename: str, request: Request, service: ServiceDep,
                 caller: CallerDep) -> views.DataspaceJob:
    await dataspace_job(service, caller, job_id)
    with refusals_as_400():
        return job_view(await request_files.receive_body(service, caller, job_id, filename, request, None))


@router.post("/analysisjob/{job_id}/data/", response_model=None, include_in_schema=False)
async def upload_without_name(job_id: JobId, service: ServiceDep, caller: CallerDep) -> Response:
    """A raw upload whose file name is empty: a 400, as in EDPS.

    Without this route the router would answer 307 to ``/data`` (the multipart route), which a
    connector either does not follow or follows with a raw body that route cannot read.
    """
    job = await dataspace_job(service, caller, job_id)
    raise api_errors.Refusal(f"the upload to job {job.id} has no file name; post the file's bytes to "
                             f".../data/<file name>, or post a multipart form to .../data",
                             code="missing_filename", status=400)


@router.post("/analysisjob/{job_id}/data", response_model=views.DataspaceJob, responses=PROBLEMS,
             summary="Upload the data as multipart form data (field `upload_file`); queues the job")
async def upload_form(job_id: JobId, request: Request, service: ServiceDep,
                      caller: CallerDep) -> views.DataspaceJob:
    await dataspace_job(service, caller, job_id)
    with refusals_as_400():
        return job_view(await request_files.receive_form(service, caller, job_id, request, "upload_file", None))


@router.get("/analysisjob/{job_id}/status", response_model=views.DataspaceJob, responses=PROBLEMS,
            summary="The job's state")
async def status(job_id: JobId, service: ServiceDep, caller: CallerDep) -> views.DataspaceJob:
    return job_view(await dataspace_job(service, caller, job_id))


@router.get("/analysisjob/{job_id}/result", response_class=FileResponse, responses=PROBLEMS,
            summary="The results as dataspace catalogues ingest them (zip)",
            description="Exactly one JSON file at the root, `{assetId}_{assetVersion}.json` from the first asset "
                        "reference (`{assetId}.json` without a version), `report.pdf` at the root and the plots "
                        "under `<dataset name>/`.")
async def result(job_id: JobId, service: ServiceDep, caller: CallerDep) -> FileResponse:
    job = await dataspace_job(service, caller, job_id)
    with refusals_as_400():
        found = await service.downloads.archive(caller, job.id, dataspace_archive.NAME)
    return stored_file(dataclasses.replace(found, filename=f"{job.id}-result.zip"))


@router.get("/analysisjob/{job_id}/report", response_class=FileResponse, responses=PROBLEMS,
            summary="The PDF report once COMPLETED")
async def report(job_id: JobId, service: ServiceDep, caller: CallerDep) -> FileResponse:
    job = await dataspace_job(service, caller, job_id)
    try:
        with refusals_as_400():
            found = await service.downloads.result(caller, job.id, "report.pdf")
    except api_errors.Refusal as refusal:
        if refusal.code != "result_not_found":
            raise
        raise api_errors.Refusal(f"job {job.id} has no report", code="no_report", status=400) from None
    return stored_file(dataclasses.replace(found, filename="report.pdf"))


@router.get("/analysisjob/{job_id}/log", response_class=PlainTextResponse, responses={
    **PROBLEMS, 204: {"description": "no log yet"}}, summary="The job's log; 204 while there is none")
async def log(job_id: JobId, service: ServiceDep, caller: CallerDep) -> Response:
    job = await dataspace_job(service, caller, job_id)
    with refusals_as_400():
        chunks = await service.downloads.log_text(caller, job.id)
    if chunks is None:
        return Response(status_code=204)
    return StreamingResponse(chunks, media_type="text/plain; charset=utf-8")


@router.post("/analysisjob/{job_id}/cancel", status_code=204, response_class=Response, responses=PROBLEMS,
             summary="Cancel the job (also while it waits for data)")
async def cancel(job_id: JobId, service: ServiceDep, caller: CallerDep) -> Response:
    job = await dataspace_job(service, caller, job_id)
    with refusals_as_400():
        await service.jobs.cancel(caller, job.id)
    return Response(status_code=204)


@router.delete("/analysisjob/{job_id}", response_model=views.DataspaceJob, responses=PROBLEMS,
               summary="Delete the job's files; the record stays, in state DELETED")
async def delete(job_id: JobId, service: ServiceDep, caller: CallerDep) -> views.DataspaceJob:
    job = await dataspace_job(service, caller, job_id)
    with refusals_as_400():
        return job_view(await service.jobs.delete(caller, job.id))

