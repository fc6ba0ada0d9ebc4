"""The native job routes of API.md (``/v1/jobs``). Thin: parse, call the service, present."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Annotated, Any, Literal

import pydantic
from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, StreamingResponse

from jobsmith.api import errors as api_errors
from jobsmith.api import paging, preferences, presenters
from jobsmith.api import schemas as views
from jobsmith.api.deps import CallerDep, KnownQueryOnly, ServiceDep
from jobsmith.api.file_responses import stored_file
from jobsmith.api import request_files
from jobsmith.domain import errors, queries, snapshots, states
from jobsmith.service import requests

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])
PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {"model": views.Problem} for code in (401, 403, 404, 409, 410, 422, 503)}
_CHECKSUM_HEADERS = [
    {"name": "Digest", "in": "header", "required": False, "schema": {"type": "string"},
     "description": "`sha-256=<base64 of the file's sha256>`; a mismatch is a 422 and the file is discarded."},
    {"name": "X-Checksum-SHA256", "in": "header", "required": False, "schema": {"type": "string"},
     "description": "The file's sha256 in hex; a mismatch is a 422 and the file is discarded."}]
_FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEMS,
    200: {"headers": {"ETag": {"description": "The file's sha256, quoted.", "schema": {"type": "string"}}}},
    206: {"description": "The byte range asked for with `Range` (several ranges: multipart/byteranges)."},
    304: {"description": "`If-None-Match` or `If-Modified-Since` says the client's copy is current."},
    416: {"model": views.Problem, "description": "The range lies outside the file (`Content-Range: bytes */size`)."}}
JobId = Annotated[uuid.UUID, Path(description="The job's id (a UUID).")]


def _view(request: Request, job: snapshots.JobRecord) -> views.JobView:
    return presenters.job_view(job, str(request.base_url))


@router.post("", status_code=201, response_model=views.JobView, responses={**PROBLEMS, 201: {"headers": {
    "Location": {"description": "The new job's URL.", "schema": {"type": "string"}}}}, 409: {
        "model": views.TargetBusy | views.Problem,
        "description": "`target_busy` (naming the active job in `job_id`), or a reused `Idempotency-Key`."}},
             summary="Create a job",
             description="QUEUED at once when the process needs no uploaded file, else WAITING_FOR_DATA. "
                         "With an `Idempotency-Key` header a retry with the same key and body returns the "
                         "first job with 200; the same key with another body is a 409. A process declared "
                         "`exclusive` has at most one active job per `target`: its jobs need a target (else "
                         "422 `target_required`), and a second one for a target is a 409 `target_busy` whose "
                         "`job_id` names the active job. `inputs` fills inputs by reference instead of uploads: an "
                         "importable dataset (422 `unknown_dataset`, 409 `dataset_without_data`) or a result of "
                         "an earlier job of the caller (404 `job_not_found` / `result_not_found`, 409 "
                         "`job_not_completed`); such a job is QUEUED at once.")
async def create(body: views.JobCreate, request: Request, response: Response, service: ServiceDep,
                 caller: CallerDep, idempotency_key: Annotated[str | None, Header()] = None) -> views.JobView:
    job, created = await service.jobs.create(caller, body.request(), idempotency_key)
    response.status_code = 201 if created else 200
    response.headers["Location"] = presenters.links(str(request.base_url), job.id).self
    return _view(request, job)


@router.post("/bulk", response_model=views.BulkResults, responses=PROBLEMS, summary="Create many jobs",
             description="Up to 1000 create bodies, created in order, each on its own: every item's result is "
                         "`{index, job_id, state}` or `{index, error: {detail, code}}` with exactly the detail "
                         "and code a single `POST /v1/jobs` would give (`target_busy` also names the holding "
                         "job in `error.job_id`). More than 1000 items, or a body that is not `{\"jobs\": "
                         "[objects]}`, is a 422 for the whole request.")
async def create_bulk(body: views.BulkCreate, service: ServiceDep, caller: CallerDep) -> views.BulkResults:
    parsed = [_parse_create(item) for item in body.jobs]
    created = iter(await service.jobs.create_each(
        caller, [item for item in parsed if not isinstance(item, errors.JobsmithError)]))
    return views.BulkResults(results=[
        presenters.bulk_item(index, item if isinstance(item, errors.JobsmithError) else next(created))
        for index, item in enumerate(parsed)])


def _parse_create(item: dict[str, Any]) -> requests.JobRequest | errors.JobsmithError:
    """One bulk item checked as ``POST /v1/jobs`` checks its body, refused with the same sentence."""
    try:
        return views.JobCreate.model_validate(item).request()
    except pydantic.ValidationError as invalid:
        faults = [{**fault, "loc": ("body", *fault["loc"])} for fault in invalid.errors()]
        return errors.Invalid(api_errors.validation_detail(faults), code="invalid")


_NO_NUL: dict[str, Any] = {"pattern": "^[^\\x00]*$"}
_STATE_NAME = "|".join("".join(f"[{c.lower()}{c}]" if c.isalpha() else c for c in s.value) for s in states.Status)
_STATE_LIST = rf"^\s*(({_STATE_NAME})\s*(,\s*({_STATE_NAME})\s*)*)?,?$"
"""A filter holding NUL is refused (no database stores one): the document says so."""
LabelFilter = Annotated[str, pydantic.WithJsonSchema({"type": "string", "pattern": "^([^:\\x00]+:[^\\x00]*)?$"})]
"""``key:value`` (an empty one filters nothing); the pattern documents, :func:`_query` checks."""


def _iso_text(value: object) -> object:
    """A time filter is ISO 8601 text: a bare number (which pydantic would read as a Unix time) is not."""
    if isinstance(value, str) and value.strip().lstrip("+-").replace(".", "", 1).isdigit():
        raise ValueError("a time must be ISO 8601, such as 2026-01-31T12:00:00Z, not a number")
    return value


QueryTime = Annotated[dt.datetime | None, pydantic.BeforeValidator(_iso_text), Query(
    description="ISO 8601 with a time zone, such as `2026-01-31T12:00:00Z`.")]


async def job_filters(
    state: Annotated[str | None, Query(description="Comma list of states (any case).",
                                       json_schema_extra={"pattern": _STATE_LIST})] = None,
    process: Annotated[str | None, Query(description="Comma list of processes.", json_schema_extra=_NO_NUL)] = None,
    owner: Annotated[str | None, Query(json_schema_extra=_NO_NUL)] = None,
    label: Annotated[list[LabelFilter], Query(description="key:value; repeatable, all must match.")] = [],  # noqa: B006
    active: Annotated[bool | None, Query(description="true: only jobs that are not final.")] = None,
    created_after: QueryTime = None,
    created_before: QueryTime = None,
) -> queries.JobQuery:
    """The filters every job list takes (all but ``target``, which a per-target list fixes)."""
    return _query(state, process, None, owner, label, active, created_after, created_before)


JobFilters = Annotated[queries.JobQuery, Depends(job_filters)]
Limit = Annotated[int, Query(ge=1, le=1000, description="Items per page.")]
Cursor = Annotated[str | None, Query(description="From a list's `next` or `previous` URL (opaque).",
                                     json_schema_extra={"pattern": "^[A-Za-z0-9_-]*$"})]
_FIELD_NAME = "|".join(sorted(views.JOB_FIELDS | {"id"}))
Fields = Annotated[str | None, Query(  # the pattern documents; _fields() checks, naming an unknown field
    description="Comma list of fields to return besides id.",
    json_schema_extra={"pattern": rf"^\s*(({_FIELD_NAME})\s*(,\s*({_FIELD_NAME})\s*)*)?,?$"})]


@router.api_route("/bulk", methods=["GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"], include_in_schema=False)
async def bulk_takes_only_post() -> None:
    """``/v1/jobs/bulk`` is not a job id: any method but POST is a 405, not a malformed-UUID 422."""
    raise api_errors.OnlyMethods("only POST creates jobs in bulk", ["POST"])


@router.get("", response_model=views.JobList, responses=PROBLEMS, summary="List jobs, newest first",
            description="A query parameter this list does not know is a 422 naming it, never an unfiltered list.",
            dependencies=[KnownQueryOnly])
async def list_jobs(
    request: Request, service: ServiceDep, caller: CallerDep, filters: JobFilters,
    target: Annotated[str | None, Query(description="Comma list of targets.", json_schema_extra=_NO_NUL)] = None,
    limit: Limit = 100, cursor: Cursor = None, fields: Fields = None,
) -> views.JobList:
    query = dataclasses.replace(filters, targets=_query(None, None, target, None, [], None, None, None).targets)
    return await list_page(request, service, caller, query, limit, cursor, fields)


async def list_page(request: Request, service: ServiceDep, caller: CallerDep, query: queries.JobQuery, limit: int,
                    cursor: str | None, fields: str | None) -> views.JobList:
    """One page of a job list with absolute next/previous URLs (also used by per-target lists)."""
    wanted = _fields(fields)
    after, before = paging.decode(cursor) if cursor else (None, None)
    details = wanted is None or bool(wanted & presenters.DETAIL_FIELDS)
    page = await service.jobs.page(caller, query, limit=limit, after=after, before=before, details=details)
    base = str(request.base_url)
    results = [presenters.partial_view(j, base, wanted) if wanted is not None
               else presenters.job_view(j, base).model_dump(mode="json") for j in page.jobs]
    return views.JobList(
        results=results,
        next=paging.page_url(request.url, paging.encode("n", page.last_seq))
        if page.has_next and page.last_seq is not None else None,
        previous=paging.page_url(request.url, paging.encode("p", page.first_seq))
        if page.has_previous and page.first_seq is not None else None)


def _query(state: str | None, process: str | None, target: str | None, owner: str | None,
           label: list[str], active: bool | None, created_after: dt.datetime | None,
           created_before: dt.datetime | None) -> queries.JobQuery:
    if any("\x00" in text for text in (state or "", process or "", target or "", owner or "", *label)):
        raise errors.Invalid("a filter holds a NUL character", code="bad_filter")
    for moment in (created_after, created_before):
        _check_utc(moment)
    wanted_states = []
    for name in _split(state):
        try:
            wanted_states.append(states.Status(name.upper()))
        except ValueError:
            raise errors.Invalid(f"unknown state {name!r}; states are {', '.join(states.Status)}",
                                 code="unknown_state") from None
    labels = []
    for item in label:
        if not item:
            continue  # an empty filter filters nothing, as an empty state or process does
        key, sep, value = item.partition(":")
        if not sep or not key:
            raise errors.Invalid(f"label filter {item!r} must be key:value", code="bad_label")
        labels.append((key, value))
    return queries.JobQuery(
        owner=owner, states=wanted_states, processes=_split(process),
        targets=_split(target), labels=labels, active=active, created_after=created_after,
        created_before=created_before)


def _check_utc(moment: dt.datetime | None) -> None:
    """A time filter must have a UTC equivalent (``0001-01-01T00:00+14:00`` has none)."""
    if moment is None:
        return
    try:
        moment.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise errors.Invalid(f"the time {moment.isoformat()} is out of range once converted to UTC",
                             code="bad_time") from None


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _fields(fields: str | None) -> frozenset[str] | None:
    if fields is None:
        return None
    wanted = frozenset(_split(fields)) - {"id"}
    unknown = wanted - views.JOB_FIELDS
    if unknown:
        raise errors.Invalid(f"unknown field(s) {', '.join(sorted(unknown))}; fields are "
                             f"{', '.join(sorted(views.JOB_FIELDS))}", code="unknown_field")
    return wanted


@router.get("/{job_id}", response_model=views.JobView, responses=PROBLEMS, summary="Get a job",
            description="With `Prefer: wait=N` (seconds, at most 30) the answer waits until the job's state "
                        "changes (with `until=final`: until it is final) or the time is up, whichever comes "
                        "first: one request instead of many polls. A final job is answered at once.")
async def get_job(job_id: JobId, request: Request, service: ServiceDep, caller: CallerDep,
                  response: Response, prefer: Annotated[str | None, Header()] = None,
                  until: Annotated[Literal["change", "final"], Query(
                      description="With `Prefer: wait=N`: answer on the next change of state (`change`), "
                                  "or only once the job is final (`final`).")] = "change",
                  ) -> views.JobView:
    wait = preferences.requested_wait(prefer)
    if not wait:
        return _view(request, await service.jobs.get(caller, str(job_id)))
    response.headers["Preference-Applied"] = f"wait={wait:g}"
    return _view(request, await service.jobs.wait(caller, str(job_id), wait, until_final=until == "final"))


@router.patch("/{job_id}", response_model=views.JobView, responses=PROBLEMS,
              summary="Change a job's description, labels or priority",
              description="Priority can change only while the job waits for data or is queued (else 409).")
async def patch_job(job_id: JobId, body: views.JobPatch, request: Request, service: ServiceDep,
                    caller: CallerDep) -> views.JobView:
    return _view(request, await service.jobs.patch(caller, str(job_id), body.model_dump(exclude_unset=True)))


@router.get("/{job_id}/history", response_model=list[views.HistoryEntry], responses=PROBLEMS,
            summary="Every state change of a job, oldest first")
async def history(job_id: JobId, service: ServiceDep, caller: CallerDep) -> list[views.HistoryEntry]:
    return [presenters.history_entry(row) for row in await service.jobs.history(caller, str(job_id))]


@router.post("/{job_id}/cancel", status_code=202, response_model=views.JobView, responses=PROBLEMS,
             summary="Cancel a job",
             description="CANCELLED at once when nobody runs it; CANCELLATION_REQUESTED while its running "
                         "work is stopped (killed after a grace period if it does not stop).")
async def cancel(job_id: JobId, request: Request, service: ServiceDep, caller: CallerDep) -> views.JobView:
    return _view(request, await service.jobs.cancel(caller, str(job_id)))


@router.delete("/{job_id}", response_model=views.JobView, responses=PROBLEMS,
               summary="Delete a job's files; the record stays, in state DELETED")
async def delete(job_id: JobId, request: Request, service: ServiceDep, caller: CallerDep) -> views.JobView:
    return _view(request, await service.jobs.delete(caller, str(job_id)))


@router.post("/{job_id}/queue", status_code=202, response_model=views.JobView, responses=PROBLEMS,
             summary="Queue a job that is waiting for data (processes taking several files per input)")
async def queue(job_id: JobId, request: Request, service: ServiceDep, caller: CallerDep) -> views.JobView:
    return _view(request, await service.jobs.queue(caller, str(job_id)))


LOG_LIMIT = 1000
MAX_LOG_LIMIT = 10_000
_LOG_TEXT_EXAMPLE = (
    "2026-01-01 12:00:00,120 INFO [jobsmith] attempt 1 started on node-1 (worker 3f2a..., pid 4242)\n"
    "2026-01-01 12:00:00,250 INFO step read started\n"
    "2026-01-01 12:00:03,020 ERROR the process failed:\nTraceback (most recent call last):\n  ...\n"
    "ValueError: bad data\n")
_LOG_RESPONSES: dict[int | str, dict[str, Any]] = {**PROBLEMS, 200: {
    "model": views.LogPageView,
    "description": "`text/plain` (the default): the log as lines of text, streamed. `application/json` "
                   "(`Accept: application/json`): a page of entries.",
    "content": {"text/plain": {"schema": {"type": "string"}, "example": _LOG_TEXT_EXAMPLE}},
    "headers": {"Jobsmith-Next-Offset": {
        "description": "Text answers to a request with `offset`, `level` or `limit`: the `offset` of the next "
                       "page (absent once the job is final and the page reached the end).",
        "schema": {"type": "integer"}}}}}


@router.get("/{job_id}/log", response_model=None, responses=_LOG_RESPONSES, dependencies=[KnownQueryOnly],
            summary="The job's log so far, as text or as entries",
            description=(
                "By default `text/plain`: every line so far, streamed whatever the log's size. With `Accept: "
                "application/json`: `{\"entries\": [{\"seq\", \"time\", \"level\", \"step\", \"message\"}], "
                "\"next_offset\"}`, entries in order from `offset`, at most `limit`, of `level` or above; "
                "`step` is the step that was running, a traceback is one entry. Page on with `offset=next_offset` "
                "until `next_offset` is null (the job is final and nothing more will come); while the job runs, "
                "ask again later from the last `next_offset`. A page is found through the log's index, so a "
                "long log pages as fast as a short one; a rare `level` in a long log may give a short page "
                "that is not the end. With `offset`, `level` or `limit` a text answer holds that page's "
                "entries as text. Any other query parameter is a 422; a deleted or expired job's log is a 410."))
async def job_log(
    job_id: JobId, request: Request, service: ServiceDep, caller: CallerDep,
    offset: Annotated[int | None, Query(ge=0, le=2**62, description="The `seq` to start at (default 0).",
                                        openapi_examples={"start": {"value": 0}, "next page": {"value": 1000}})] = None,
    level: Annotated[str | None, Query(
        max_length=20, json_schema_extra={"enum": list(views.LOG_LEVELS)},
        description="The lowest level to include: debug (the default: all), info, warning, error, critical "
                    "(any case).",
        openapi_examples={"problems only": {"value": "warning"}})] = None,
    limit: Annotated[int | None, Query(ge=1, le=MAX_LOG_LIMIT, description=(
        f"Entries per page, 1 to {MAX_LOG_LIMIT} (default {LOG_LIMIT})."), openapi_examples={"small": {"value": 100}})] = None,
) -> Response:
    paged = offset is not None or level is not None or limit is not None
    as_json = preferences.prefers(request.headers.get("accept"), "application/json", "text/plain")
    if not as_json and not paged:
        chunks = await service.downloads.log_text(caller, str(job_id))
        return StreamingResponse(chunks if chunks is not None else iter(()), media_type="text/plain; charset=utf-8")
    page = await service.downloads.log_entries(caller, str(job_id), offset=offset or 0,
                                               limit=limit or LOG_LIMIT, level=_log_level(level))
    if as_json:
        return JSONResponse(presenters.log_page(page).model_dump(mode="json"))
    headers = {} if page.next_offset is None else {"Jobsmith-Next-Offset": str(page.next_offset)}
    return PlainTextResponse("".join(entry.text() for entry in page.entries), headers=headers)


def _log_level(name: str | None) -> str:
    """A level of the query, in any case, as the log names it; an unknown one is a 422 naming the known."""
    if name is None:
        return "debug"
    level = {"warn": "warning", "fatal": "critical"}.get(name.strip().lower(), name.strip().lower())
    if level not in views.LOG_LEVELS:
        raise errors.Invalid(f"unknown level {name!r} in query parameter 'level'; levels are "
                             f"{', '.join(views.LOG_LEVELS)}", code="unknown_level")
    return level


@router.head("/{job_id}/results", include_in_schema=False)
@router.get("/{job_id}/results", response_class=FileResponse, responses=PROBLEMS, summary="All results as one zip")
async def results_zip(job_id: JobId, service: ServiceDep, caller: CallerDep) -> FileResponse:
    return stored_file(await service.downloads.results_zip(caller, str(job_id)))


@router.head("/{job_id}/results/{path:path}", include_in_schema=False)
@router.get("/{job_id}/results/{path:path}", response_class=FileResponse, responses=_FILE_RESPONSES,
            summary="One result file",
            description="With its media type, an ETag (its sha256), `If-None-Match` / `If-Modified-Since` (304), "
                        "HEAD, and Range support (an unsatisfiable range: 416).")
async def result_file(job_id: JobId, path: str, service: ServiceDep, caller: CallerDep) -> FileResponse:
    return stored_file(await service.downloads.result(caller, str(job_id), path))


@router.head("/{job_id}/inputs/{filename}", include_in_schema=False)
@router.get("/{job_id}/inputs/{filename}", response_class=FileResponse, responses=PROBLEMS,
            summary="Download an uploaded input")
async def input_file(job_id: JobId, filename: str, service: ServiceDep, caller: CallerDep) -> FileResponse:
    return stored_file(await service.downloads.input(caller, str(job_id), filename))


@router.put("/{job_id}/inputs/{filename}", response_model=views.JobView, responses={**PROBLEMS, 413: {
    "model": views.Problem}}, summary="Upload one input file as the raw request body",
    description="Streamed to disk. Fills the input named by `?input=`, by default the first required input "
                "not yet filled; the same filename again replaces it. `Digest: sha-256=<base64>` or "
                "`X-Checksum-SHA256: <hex>` is verified. Queues the job when its last required input arrives "
                "(for processes taking one file per input).",
    openapi_extra={"parameters": _CHECKSUM_HEADERS,
                   "requestBody": {"content": {"application/octet-stream": {"schema": {"type": "string",
                                                                                       "format": "binary"}}}}})
async def upload(job_id: JobId, filename: str, request: Request, service: ServiceDep, caller: CallerDep,
                 input: Annotated[str | None, Query(description="The process input to fill.")] = None,
                 ) -> views.JobView:
    return _view(request, await request_files.receive_body(service, caller, job_id, filename, request, input))


@router.post("/{job_id}/inputs", response_model=views.JobView, responses={**PROBLEMS, 413: {"model": views.Problem}},
             summary="Upload input files as multipart form data (field `file`, repeatable)",
             description="Every file is checked before any is recorded: the request fills the inputs it names or "
                         "changes nothing. A checksum header is verified when the form holds one file.",
             openapi_extra={"parameters": _CHECKSUM_HEADERS, "requestBody": {"required": True, "content": {
                 "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
                     "file": {"type": "array", "minItems": 1,
                              "items": {"type": "string", "format": "binary"}}}}}}}})
async def upload_form(job_id: JobId, request: Request, service: ServiceDep, caller: CallerDep,
                      input: Annotated[str | None, Query()] = None) -> views.JobView:
    return _view(request, await request_files.receive_form(service, caller, job_id, request, "file", input))
