"""The job service without any face: what a new face (or a test) gets by calling it directly.

The same runtime and executor as ``jobsmith serve`` (real worker processes, the real database), no
HTTP anywhere: a job is created, another owner cannot see it, its file is staged and recorded, it
runs and its result is found.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from jobsmith import runtime
from jobsmith.config import Settings
from jobsmith.domain import errors
from jobsmith.execution.local import LocalExecutor
from jobsmith.service import callers, core, requests

ALICE = callers.Caller("alice", admin=False)
BOB = callers.Caller("bob", admin=False)


async def _inspect_one_file(service: core.Service) -> None:
    job, created = await service.jobs.create(ALICE, requests.JobRequest(process="inspect", labels={"via": "service"}))
    assert created and job.state == "WAITING_FOR_DATA" and job.owner == "alice"
    with pytest.raises(errors.NotFound):
        await service.jobs.get(BOB, job.id)  # another owner's job does not exist for them

    placements = service.uploads.plan(job, ["../data.csv"], None)
    assert [(p.input, p.name) for p in placements] == [("files", "data.csv")]
    staged = service.uploads.stage(job)
    staged.write(b"a,b\n1,2\n3,4\n")
    staged.close()
    with pytest.raises(errors.Invalid):  # the client's checksum is checked before anything is recorded
        await service.uploads.accept(job, [(placements[0], staged)], expected_sha256="0" * 64)
    queued = await service.uploads.accept(job, [(placements[0], staged)])
    assert queued.state == "QUEUED" and [i.name for i in queued.inputs] == ["data.csv"]

    done = await service.jobs.wait(ALICE, job.id, 30, until_final=True)
    assert done.state == "COMPLETED", done.state_detail
    found = await service.downloads.result(ALICE, job.id, "inspect.json")
    assert found.media_type == "application/json"
    document = json.loads(found.path.read_text())
    assert document["files"][0]["name"] == "data.csv" and document["files"][0]["records"] == 2
    history = await service.jobs.history(ALICE, job.id)
    assert [h.to_state for h in history] == ["WAITING_FOR_DATA", "QUEUED", "PROCESSING", "COMPLETED"]

    deleted = await service.jobs.delete(ALICE, job.id)
    assert deleted.state == "DELETED"
    with pytest.raises(errors.Gone):
        await service.downloads.log(ALICE, job.id)


def test_a_job_runs_through_the_service_alone(settings: Settings) -> None:
    async def scenario() -> None:
        opened = runtime.open_runtime(settings, runtime.Role.API)
        service = core.Service.open(opened, LocalExecutor(settings))
        await service.start()
        try:
            await _inspect_one_file(service)
        finally:
            await service.stop()
            opened.close()

    asyncio.run(scenario())
