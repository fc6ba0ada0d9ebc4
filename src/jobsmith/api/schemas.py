"""What clients send and see: the typed bodies of the HTTP contract (API.md).

These are API schemas, kept apart from the database rows (:mod:`jobsmith.store.models`) and from
the domain's snapshots (:mod:`jobsmith.domain.snapshots`); :mod:`jobsmith.api.presenters` maps the latter
to these.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from typing import Annotated, Any, Literal

import pydantic

from jobsmith.domain import labels, states
from jobsmith.service import requests

Timestamp = pydantic.AwareDatetime


def _storable_labels(value: dict[str, str]) -> dict[str, str]:
    problem = labels.problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _whole_number(value: Any) -> Any:
    """JSON has one number type: ``5.0`` is the integer 5 (JSON Schema agrees), ``5.5`` and ``true`` and
    ``"5"`` are not integers. Lax pydantic would take ``"5"``; strict pydantic refuses ``5.0``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be an integer")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("must be an integer")
        return int(value)
    return value


Priority = Annotated[int, pydantic.Field(ge=-100, le=100), pydantic.BeforeValidator(_whole_number)]
TimeoutS = Annotated[int, pydantic.Field(ge=1, le=30 * 24 * 3600), pydantic.BeforeValidator(_whole_number)]
MaxRetries = Annotated[int, pydantic.Field(ge=0, le=100), pydantic.BeforeValidator(_whole_number)]

Labels = Annotated[dict[str, str], pydantic.AfterValidator(_storable_labels), pydantic.WithJsonSchema({
    "type": "object", "description": f"Free key/value pairs to find jobs by (`label=key:value` in lists): keys "
                                     f"1-{labels.KEY_MAX} characters without ':', values up to {labels.VALUE_MAX}.",
    "propertyNames": {"minLength": 1, "maxLength": labels.KEY_MAX, "pattern": "^[^:]*$"},
    "additionalProperties": {"type": "string", "maxLength": labels.VALUE_MAX}})]


def _z(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


UtcTime = Annotated[dt.datetime, pydantic.PlainSerializer(_z, return_type=str, when_used="json")]
"""A time as the contract writes it: ISO 8601 UTC with a ``Z`` (the store keeps naive UTC). Only the
time fields carry the serializer: one on every field of a view cost a page of 100 jobs ~8 ms."""

MAX_NESTING = 32
"""Levels of arrays and objects a stored value may have; the serializers refuse far deeper ones."""


def storable(value: Any, where: str = "body", depth: int = 0) -> None:
    """Refuse what JSON parsers accept but no database stores or no client reads back.

    Lone UTF-16 surrogates (``"\\ud800"``) are valid JSON escapes but not text: stored, they make
    every later read of the job fail. NUL characters cannot be stored by PostgreSQL, so SQLite must
    refuse them too or a job's fate would depend on the database. ``NaN`` and ``Infinity`` are not
    JSON numbers; kept, they would come back as ``null``. Nesting beyond :data:`MAX_NESTING` levels
    is refused too: the JSON serializer of the answers stops at a depth of its own. Raises
    ValueError naming where it is.
    """
    if depth > MAX_NESTING and isinstance(value, dict | list | tuple):
        raise ValueError(f"{where} is nested more than {MAX_NESTING} levels deep")
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(f"{where} holds a NUL character")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"{where} holds an unpaired surrogate (\\ud800-\\udfff), which is not text") from None
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{where} holds {value}, which is not a JSON number")
    elif isinstance(value, dict):
        for key, item in value.items():
            storable(key, f"{where} key", depth + 1)
            storable(item, f"{where}.{key}" if isinstance(key, str) and key.isprintable() else where, depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            storable(item, f"{where}[]", depth + 1)


class _Storable(pydantic.BaseModel):
    """A request body whose every text and number can be stored and read back (:func:`storable`)."""

    @pydantic.model_validator(mode="after")
    def _storable(self) -> Any:
        for name in type(self).model_fields:
            storable(getattr(self, name), name)
        return self


class _View(pydantic.BaseModel):
    """An answer's body. Its times are :data:`UtcTime`."""

    model_config = pydantic.ConfigDict(ser_json_timedelta="float")


class StepView(_View):
    name: str
    state: states.StepState
    started_at: UtcTime | None = None
    ended_at: UtcTime | None = None
    message: str | None = None


class InputView(_View):
    input: str = pydantic.Field(description="The process input this file fills.")
    name: str = pydantic.Field(description="The sanitised file name.")
    size: int
    sha256: str


class ResultView(_View):
    path: str
    size: int
    sha256: str
    media_type: str


class Links(_View):
    self: str
    log: str
    results: str
    history: str


class JobView(_View):
    """A job as clients see it. ``results`` is filled once the job is COMPLETED."""

    model_config = pydantic.ConfigDict(
        json_schema_extra={
            "example": {
                "id": "7d0c2f5e-3a55-4b0f-9f55-0f5c1b8a2e11",
                "process": "inspect",
                "process_version": "1.0.0",
                "state": "COMPLETED",
                "state_detail": None,
                "owner": "anonymous",
                "target": None,
                "labels": {"project": "demo"},
                "description": "inspect a CSV",
                "metadata": {},
                "parameters": {},
                "priority": 0,
                "attempts": 1,
                "max_retries": 2,
                "timeout_s": 3600,
                "progress": 1.0,
                "steps": [{"name": "inspect", "state": "success", "started_at": "2026-01-01T00:00:00Z",
                           "ended_at": "2026-01-01T00:00:01Z", "message": None}],
                "inputs": [{"input": "files", "name": "data.csv", "size": 1024, "sha256": "ab" * 32}],
                "results": [{"path": "inspect.json", "size": 321, "sha256": "cd" * 32,
                             "media_type": "application/json"}],
                "created_at": "2026-01-01T00:00:00Z",
                "links": {"self": "http://127.0.0.1:8000/v1/jobs/7d0c2f5e-3a55-4b0f-9f55-0f5c1b8a2e11"},
            }
        }
    )

    id: str
    process: str
    process_version: str
    state: states.Status
    state_detail: str | None
    owner: str
    target: str | None
    labels: dict[str, str]
    description: str | None
    metadata: dict[str, Any]
    parameters: dict[str, Any]
    priority: int
    attempts: int
    max_retries: int
    timeout_s: int
    progress: float | None = pydantic.Field(description=(
        "0..1, or null. The process's own figure when it reports one; otherwise the share of its declared "
        "steps that ended."))
    steps: list[StepView] = pydantic.Field(description=(
        "Every step the process declares, in order, `queued` from the job's creation; each goes `running`, "
        "then `success`, `warning`, `skip` or `failure`. A step the process enters without declaring it "
        "follows the declared ones. When the job ends, a step it never entered is `skip` (its message says "
        "why; no times) and a step still running is `failure` (`success` if the job completed). A job "
        "back in the queue after a lost worker shows its steps `queued` again."))
    inputs: list[InputView]
    results: list[ResultView]
    created_at: UtcTime
    updated_at: UtcTime
    queued_at: UtcTime | None
    started_at: UtcTime | None
    finished_at: UtcTime | None
    expires_at: UtcTime | None
    links: Links


JOB_FIELDS: frozenset[str] = frozenset(JobView.model_fields) - {"id"}


class InputReference(pydantic.BaseModel):
    """Fill a named input without an upload: ``{"dataset": NAME}`` (an importable dataset of the input
    directory, imported when the job runs) or ``{"job": ID, "path": PATH}`` (a result of an earlier
    COMPLETED job of the same owner, linked into the job's inputs at once)."""

    model_config = pydantic.ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"dataset": "cities.csv"}, {"job": "7d0c2f5e-3a55-4b0f-9f55-0f5c1b8a2e11", "path": "edp.json"}]})
    dataset: str | None = pydantic.Field(default=None, min_length=1, max_length=255,
                                         description="The name of a dataset in `GET /v1/datasets`.")
    job: uuid.UUID | None = pydantic.Field(default=None, description="An earlier COMPLETED job of the caller.")
    path: str | None = pydantic.Field(default=None, min_length=1, max_length=1000,
                                      description="A result path of that job, as in its `results`.")

    @pydantic.model_validator(mode="after")
    def _one_form(self) -> InputReference:
        if (self.dataset is None) == (self.job is None) or (self.job is None) != (self.path is None):
            raise ValueError('an input reference is {"dataset": NAME} or {"job": ID, "path": RESULT PATH}')
        return self


class JobCreate(_Storable):
    """Body of ``POST /v1/jobs``."""

    model_config = pydantic.ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"process": "inspect", "labels": {"project": "demo"}, "description": "inspect a CSV"},
                {"process": "sleep", "parameters": {"seconds": 2}, "priority": 10},
                {"process": "profile", "inputs": {"data": {"dataset": "cities.csv"}}},
                {"process": "inspect", "inputs": {"files": {"job": "7d0c2f5e-3a55-4b0f-9f55-0f5c1b8a2e11",
                                                            "path": "edp.json"}}},
            ]
        },
    )

    process: str = pydantic.Field(min_length=1, max_length=200)
    parameters: dict[str, Any] = pydantic.Field(default_factory=dict)
    metadata: dict[str, Any] = pydantic.Field(default_factory=dict)
    target: str | None = pydantic.Field(default=None, min_length=1, max_length=500)
    labels: Labels = pydantic.Field(default_factory=dict)
    description: str | None = pydantic.Field(default=None, max_length=10_000)
    priority: Priority = 0
    timeout_s: TimeoutS | None = None
    max_retries: MaxRetries | None = None
    inputs: dict[str, InputReference] = pydantic.Field(default_factory=dict, description=(
        "Inputs filled without an upload, by input name: `{\"dataset\": NAME}` (see `GET /v1/datasets`) or "
        "`{\"job\": ID, \"path\": RESULT PATH}`. They must fill every required input; the job is then "
        "QUEUED at once."))

    def request(self) -> requests.JobRequest:
        """What the service is asked for."""
        return requests.JobRequest(
            process=self.process, parameters=self.parameters, metadata=self.metadata, target=self.target,
            labels=self.labels, description=self.description, priority=self.priority, timeout_s=self.timeout_s,
            max_retries=self.max_retries,
            inputs={name: ref.model_dump(mode="json", exclude_none=True) for name, ref in self.inputs.items()})


class BulkCreate(pydantic.BaseModel):
    """Body of ``POST /v1/jobs/bulk``: create bodies, each checked and created on its own."""

    model_config = pydantic.ConfigDict(extra="forbid", json_schema_extra={"examples": [{"jobs": [
        {"process": "echo", "parameters": {"message": "one"}}, {"process": "sleep", "parameters": {"seconds": 1}}]}]})
    jobs: list[dict[str, Any]] = pydantic.Field(max_length=1000, description=(
        "Up to 1000 bodies of `POST /v1/jobs`; an item that is not valid is refused alone."))


class BulkError(pydantic.BaseModel):
    detail: str
    code: str
    job_id: str | None = pydantic.Field(default=None, exclude_if=lambda value: value is None,
                                        description="With `target_busy`: the active job holding the target.")


class BulkItem(pydantic.BaseModel):
    """One item's outcome: ``job_id`` and ``state`` when it was created, else ``error`` as a single create's."""

    index: int
    job_id: str | None = pydantic.Field(default=None, exclude_if=lambda value: value is None)
    state: states.Status | None = pydantic.Field(default=None, exclude_if=lambda value: value is None)
    error: BulkError | None = pydantic.Field(default=None, exclude_if=lambda value: value is None)


class BulkResults(pydantic.BaseModel):
    results: list[BulkItem]


def _patch_schema(schema: dict[str, Any]) -> None:
    """``labels`` and ``priority`` may be left out but not set to null: the document says so."""
    for name in ("labels", "priority"):
        field = schema["properties"][name]
        field.update({**next(option for option in field.pop("anyOf") if option.get("type") != "null"), **field})
        field.pop("default", None)
    schema["examples"] = [{"priority": 50, "labels": {"team": "geo"}}]


class JobPatch(_Storable):
    """Body of ``PATCH /v1/jobs/{id}``: only what is given changes."""

    model_config = pydantic.ConfigDict(extra="forbid", json_schema_extra=_patch_schema)
    description: str | None = pydantic.Field(default=None, max_length=10_000, description="null clears it.")
    labels: Labels | None = pydantic.Field(default=None, description="Replaces all labels.")
    priority: Priority | None = None

    @pydantic.model_validator(mode="after")
    def _no_null_labels_or_priority(self) -> JobPatch:
        for name in ("labels", "priority"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null; leave it out to keep it as it is")
        return self


class JobList(_View):
    results: list[dict[str, Any]] = pydantic.Field(description="JobViews, or only the requested fields.")
    next: str | None
    previous: str | None


class TargetView(_View):
    """A target (a dataset, compendium or other subject jobs are about) and its jobs."""

    model_config = pydantic.ConfigDict(json_schema_extra={"example": {
        "target": "dataset-a", "jobs": 3, "active_job": "7d0c2f5e-3a55-4b0f-9f55-0f5c1b8a2e11",
        "last_state": "QUEUED", "last_change_at": "2026-01-01T00:00:00Z", "by_state": {"COMPLETED": 2, "QUEUED": 1}}})

    target: str
    jobs: int = pydantic.Field(description="How many jobs name this target.")
    active_job: str | None = pydantic.Field(description="The newest job that is not final, if any.")
    last_state: states.Status = pydantic.Field(description="The state of the job that changed last.")
    last_change_at: UtcTime
    by_state: dict[str, int] = pydantic.Field(description="How many of its jobs are in each state.")


class TargetList(_View):
    results: list[TargetView]
    next: str | None
    previous: str | None


class HistoryEntry(_View):
    time: UtcTime
    from_: states.Status | None = pydantic.Field(serialization_alias="from", validation_alias="from_")
    to: states.Status
    actor: str
    attempt: int
    reason: str | None

    model_config = pydantic.ConfigDict(populate_by_name=True)


class InputSpecView(_View):
    name: str
    description: str
    required: bool
    multiple: bool
    media_types: list[str]


class ProcessView(_View):
    id: str
    title: str
    description: str
    version: str
    inputs: list[InputSpecView]
    parameters: dict[str, Any] = pydantic.Field(description="JSON schema of the parameters.")
    outputs: list[str]
    exclusive: bool
    steps: list[str] = pydantic.Field(
        default_factory=list, description="The steps its jobs go through, in order: a new job shows them all "
                                          "`queued`. Empty: its steps appear as a job enters them.")


LogLevel = Literal["debug", "info", "warning", "error", "critical"]
LOG_LEVELS: tuple[LogLevel, ...] = ("debug", "info", "warning", "error", "critical")


class LogEntryView(_View):
    seq: int = pydantic.Field(description="The entry's place in the log, from 0; an `offset` to start a page at.")
    time: str | None = pydantic.Field(description="ISO 8601 UTC, with milliseconds.")
    level: LogLevel
    step: str | None = pydantic.Field(description="The step running when it was logged; null outside steps.")
    message: str = pydantic.Field(description="A traceback is one message of several lines.")


class LogPageView(_View):
    model_config = pydantic.ConfigDict(json_schema_extra={"examples": [{
        "entries": [
            {"seq": 0, "time": "2026-01-01T12:00:00.120Z", "level": "info", "step": None,
             "message": "attempt 1 started on node-1 (worker 3f2a..., pid 4242)"},
            {"seq": 1, "time": "2026-01-01T12:00:00.250Z", "level": "info", "step": "read",
             "message": "step read started"},
            {"seq": 7, "time": "2026-01-01T12:00:03.020Z", "level": "error", "step": "analyse",
             "message": "the process failed:\nTraceback (most recent call last):\n  ...\nValueError: bad data"}],
        "next_offset": 8}]})

    entries: list[LogEntryView]
    next_offset: int | None = pydantic.Field(description=(
        "The `offset` of the next page. null once the job is final and this page reached the end of its "
        "log; while the job runs, ask again from here later for what it logs next."))


class Maintenance(_View):
    paused: bool = pydantic.Field(strict=True)
    message: str
    updated_at: UtcTime | None
    updated_by: str | None


class MaintenanceChange(_Storable):
    model_config = pydantic.ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"paused": True, "message": "database upgrade"}]}
    )
    paused: bool = pydantic.Field(strict=True)
    message: str = pydantic.Field(default="", max_length=2000)


class MaintenanceHistory(_View):
    results: list[Maintenance]


class DatasetView(_View):
    """An importable dataset of the input directory (`JOBSMITH_INPUT_DIR`)."""

    model_config = pydantic.ConfigDict(json_schema_extra={"example": {
        "name": "cities.csv", "kind": "file", "files": 1, "size": 20480, "has_data": True, "has_metadata": True,
        "problem": None}})

    name: str = pydantic.Field(description="What a create names in `inputs`: `{\"dataset\": name}`.")
    kind: Literal["file", "directory", "archive"]
    files: int = pydantic.Field(description="Its data files (an archive's members; metadata not counted).")
    size: int = pydantic.Field(description="Bytes its data takes in the input directory (an archive: packed).")
    has_data: bool = pydantic.Field(description="False for a directory holding only metadata so far.")
    has_metadata: bool = pydantic.Field(description="A JSON document of its stem lies beside it or inside it.")
    problem: str | None = pydantic.Field(
        default=None, description="Why importing it would be refused (an archive breaking the safe-archive rules).")


class DatasetList(_View):
    results: list[DatasetView]


class DatasetDeleted(_View):
    model_config = pydantic.ConfigDict(json_schema_extra={"example": {"name": "cities.csv", "deleted": True}})
    name: str
    deleted: bool


class Problem(pydantic.BaseModel):
    """The error body of every refusal."""

    detail: str
    code: str


class TargetBusy(Problem):
    """A 409 ``target_busy``: the process is exclusive and the target already has an active job."""

    job_id: str = pydantic.Field(description="The active job holding the target.")


Order = Literal["asc", "desc"]


class DataspaceCreate(_Storable):
    """Body of ``POST /v1/dataspace/analysisjob``: what a dataspace connector sends (EDPS-compatible)."""

    model_config = pydantic.ConfigDict(json_schema_extra={"examples": [{
        "user_provided_edp_data": {
            "name": "parking-garages", "description": "Occupancy of parking garages",
            "assetRefs": [{"assetId": "parking-garages", "assetVersion": "1.0", "assetUrl": "https://example.org/p",
                           "dataSpace": {"name": "Mobility", "url": "https://example.org"},
                           "publisher": {"name": "City"}, "publishDate": "2025-01-01T00:00:00Z",
                           "license": {"url": "https://opensource.org/license/mit"}}],
            "dataCategory": "Mobility", "tags": ["parking"], "freely_available": True},
        "config": {}}]})

    user_provided_edp_data: dict[str, Any] = pydantic.Field(
        description="The user metadata of the EDP: name, assetRefs (at least one), dataCategory, description, "
                    "tags, publisher ... as in the EDP schema.")
    config: dict[str, Any] = pydantic.Field(default_factory=dict,
                                            description="Parameters of the analysis (the `profile` process).")


class DataspaceJob(_View):
    """A job as the dataspace API shows it (EDPS's JobView)."""

    job_id: str
    state: states.Status
    state_detail: str | None = None
    upload_url: str | None = pydantic.Field(
        default=None, exclude_if=lambda value: value is None,
        description="Where to upload the data; only in the answer to a create with `x-service-base-url`.")
