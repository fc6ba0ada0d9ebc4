"""Rows to API views: the only place that knows both shapes."""

from __future__ import annotations

from typing import Any

from jobsmith.api import schemas as views
from jobsmith.domain import errors, snapshots, states
from jobsmith.processes import registry
from jobsmith.service import datasets


def links(base_url: str, job_id: str) -> views.Links:
    root = f"{base_url.rstrip('/')}/v1/jobs/{job_id}"
    return views.Links(self=root, log=f"{root}/log", results=f"{root}/results", history=f"{root}/history")


DETAIL_FIELDS = frozenset({"steps", "inputs", "results"})


def job_view(job: snapshots.JobRecord, base_url: str, *, details: bool = True) -> views.JobView:
    """The full view; with ``details=False`` steps, inputs and results are not loaded (left empty)."""
    completed = job.state == states.Status.COMPLETED
    return views.JobView(
        id=job.id, process=job.process, process_version=job.process_version,
        state=states.Status(job.state), state_detail=job.state_detail, owner=job.owner, target=job.target,
        labels=job.labels, description=job.description, metadata=job.job_metadata,
        parameters=job.parameters, priority=job.priority, attempts=job.attempts,
        max_retries=job.max_retries, timeout_s=job.timeout_s, progress=job.progress,
        steps=[views.StepView(name=s.name, state=states.StepState(s.state), started_at=s.started_at,
                              ended_at=s.ended_at, message=s.message) for s in job.steps] if details else [],
        inputs=[views.InputView(input=i.input, name=i.name, size=i.size, sha256=i.sha256)
                for i in job.inputs] if details else [],
        results=[views.ResultView(path=r.path, size=r.size, sha256=r.sha256, media_type=r.media_type)
                 for r in job.results] if completed and details else [],
        created_at=job.created_at, updated_at=job.updated_at, queued_at=job.queued_at,
        started_at=job.started_at, finished_at=job.finished_at, expires_at=job.expires_at,
        links=links(base_url, job.id),
    )


def partial_view(job: snapshots.JobRecord, base_url: str, fields: frozenset[str]) -> dict[str, Any]:
    """``id`` plus the requested fields, serialised as in the full view."""
    full = job_view(job, base_url, details=bool(fields & DETAIL_FIELDS)).model_dump(mode="json")
    return {"id": full["id"], **{name: full[name] for name in sorted(fields)}}


def history_entry(row: snapshots.HistoryRecord) -> views.HistoryEntry:
    return views.HistoryEntry(
        time=row.time, from_=states.Status(row.from_state) if row.from_state else None,
        to=states.Status(row.to_state), actor=row.actor, attempt=row.attempt, reason=row.reason)


def maintenance(row: snapshots.MaintenanceState) -> views.Maintenance:
    return views.Maintenance(paused=row.paused, message=row.message or "", updated_at=row.updated_at,
                             updated_by=row.updated_by)


def process_view(spec: registry.Process) -> views.ProcessView:
    return views.ProcessView(
        id=spec.id, title=spec.title, description=spec.description, version=spec.version,
        inputs=[views.InputSpecView(name=i.name, description=i.description, required=i.required,
                                    multiple=i.multiple, media_types=list(i.media_types)) for i in spec.inputs],
        parameters=spec.parameters.model_json_schema(), outputs=list(spec.outputs), exclusive=spec.exclusive,
        steps=list(spec.steps))


def target_view(record: snapshots.TargetRecord) -> views.TargetView:
    return views.TargetView(target=record.target, jobs=record.jobs, active_job=record.active_job,
                            last_state=states.Status(record.last_state), last_change_at=record.last_change_at,
                            by_state=record.by_state)


def dataset_view(dataset: datasets.Dataset) -> views.DatasetView:
    return views.DatasetView(name=dataset.name, kind=dataset.kind, files=dataset.files, size=dataset.size,
                             has_data=dataset.has_data, has_metadata=dataset.has_metadata, problem=dataset.problem)


def bulk_item(index: int, outcome: snapshots.JobRecord | errors.JobsmithError) -> views.BulkItem:
    """A bulk item's result: the job created, or the refusal as a single create's error body."""
    if isinstance(outcome, errors.JobsmithError):
        return views.BulkItem(index=index, error=views.BulkError(
            detail=outcome.detail, code=outcome.code, **outcome.fields()))
    return views.BulkItem(index=index, job_id=outcome.id, state=states.Status(outcome.state))


def log_page(page: snapshots.LogPage) -> views.LogPageView:
    """Entries as the JSON log shows them; the service's own lines are told apart by their text only
    in the plain log (``[jobsmith]``), here they are entries without a step like any other."""
    return views.LogPageView(
        entries=[views.LogEntryView(seq=e.seq, time=e.time, level=_level(e.level), step=e.step, message=e.message)
                 for e in page.entries],
        next_offset=page.next_offset)


def _level(name: str) -> views.LogLevel:
    levels: dict[str, views.LogLevel] = {"debug": "debug", "info": "info", "warning": "warning",
                                         "error": "error", "critical": "critical"}
    return levels.get(name, "info")
