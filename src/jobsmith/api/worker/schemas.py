"""Bodies of the worker protocol: what an external worker sends and gets back."""

from __future__ import annotations

import uuid
from typing import Literal

import pydantic

from jobsmith.api import schemas as views
from jobsmith.domain import states

EXAMPLE_JOB_ID = "7d0c2f5e-3a55-4b0f-9f55-0f5c1b8a2e11"
EXAMPLE_TOKEN = "0b9f1c1e-4a7d-4a55-9d61-3f1f0a6f2c11"


class ClaimRequest(pydantic.BaseModel):
    """What to claim: the best queued job of some processes, or a named job."""

    model_config = pydantic.ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"processes": ["waterfall", "spectrogram"], "wait_s": 2, "lease_s": 60},
        {"job": EXAMPLE_JOB_ID, "lease_s": 300}]})
    processes: list[str] = pydantic.Field(default_factory=list, max_length=100, description=(
        "Processes this worker runs; empty: any."))
    job: uuid.UUID | None = pydantic.Field(default=None, description=(
        "Claim this job (an executor handed its id), once it is QUEUED, instead of the best queued one."))
    wait_s: float = pydantic.Field(default=0, ge=0, le=60, description=(
        "How long to wait for a job before answering 204."))
    lease_s: float = pydantic.Field(default=60, ge=5, le=3600, description=(
        "How long the lease lives without a heartbeat or event; each extends it by as much."))


class LeaseView(views._View):
    model_config = pydantic.ConfigDict(json_schema_extra={"examples": [
        {"token": EXAMPLE_TOKEN, "expires_at": "2026-12-08T10:01:00Z"}]})
    token: str = pydantic.Field(description="Send it as the `Lease-Token` header with every later call.")
    expires_at: views.UtcTime


class WorkerInputView(views.InputView):
    href: str = pydantic.Field(description="Where to download the file (with the `Lease-Token` header).")


class WorkerJobView(views.JobView):
    """The job as its worker sees it: the job view, each input with its download address, and the
    cancel signal."""

    inputs: list[WorkerInputView]  # type: ignore[assignment]
    cancel_requested: bool


class Claimed(views._View):
    job: WorkerJobView
    lease: LeaseView


class HeartbeatView(views._View):
    model_config = pydantic.ConfigDict(json_schema_extra={"examples": [
        {"expires_at": "2026-12-08T10:01:00Z", "cancel_requested": False}]})
    expires_at: views.UtcTime
    cancel_requested: bool = pydantic.Field(description="Stop the work and finish the job CANCELLED.")


class StepEvent(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    name: str = pydantic.Field(min_length=1, max_length=500)
    state: states.StepState
    message: str | None = pydantic.Field(default=None, max_length=10_000)


class LogEvent(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    level: views.LogLevel = "info"
    message: str = pydantic.Field(max_length=1_000_000)


class Events(views._Storable):
    """What happened since the last report; every field is optional."""

    model_config = pydantic.ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"progress": 0.4, "step": {"name": "fft", "state": "running"},
         "log": [{"level": "info", "message": "read 1.2 GB of samples"}]}]})
    progress: float | None = pydantic.Field(default=None, ge=0, le=1)
    step: StepEvent | None = None
    log: list[LogEvent] = pydantic.Field(default_factory=list, max_length=10_000)


class EventsAnswer(views._View):
    model_config = pydantic.ConfigDict(json_schema_extra={"examples": [{"cancel_requested": False}]})
    cancel_requested: bool


class Finish(views._Storable):
    """How the attempt ended."""

    model_config = pydantic.ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"state": "COMPLETED"}, {"state": "FAILED", "reason": "the recording has no sample rate"},
        {"state": "FAILED", "reason": "the instrument did not answer", "retryable": True}]})
    state: Literal["COMPLETED", "FAILED", "CANCELLED"]
    reason: str | None = pydantic.Field(default=None, max_length=10_000, description=(
        "Why it failed (the job's `state_detail`)."))
    retryable: bool = pydantic.Field(default=False, description=(
        "A FAILED job goes back to the queue while retries are left (`max_retries`)."))


class ResultStored(views._View):
    model_config = pydantic.ConfigDict(json_schema_extra={"examples": [
        {"path": "waterfall.json", "size": 18234, "media_type": "application/json",
         "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}]})
    path: str
    size: int
    sha256: str
    media_type: str

