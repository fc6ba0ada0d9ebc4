"""The runner handed its collaborators directly (no server, no worker loop): a real database, store and
job host, and what it writes as an attempt ends."""

from __future__ import annotations

import errno
import os
import pathlib
import zipfile
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from jobsmith.config import Settings
from jobsmith.domain import states
from jobsmith.execution import host, runner
from jobsmith.processes import context, registry
from jobsmith.store import admin, blobs, leases, records, repository
from jobsmith.store.database import Database

S = states.Status


def by_name(path: str, metadata: Mapping[str, Any], job_id: str) -> str | None:
    """Results at the root, named after the job's metadata; text files left out."""
    return None if path.endswith(".txt") else f"{metadata['name']}-{path.rsplit('/', 1)[-1]}"


@registry.process("test-runner-archived", archives=[registry.Archive("by-name", by_name)])
def archived(ctx: context.JobContext) -> None:
    (ctx.output_dir / "notes.txt").write_text("notes\n")
    (ctx.output_dir / "plots").mkdir()
    (ctx.output_dir / "plots" / "a.png").write_bytes(b"\x89PNG-a")
    (ctx.output_dir / "table.csv").write_text("x\n1\n")


class FullDisk(blobs.BlobStore):
    """The real store on a disk that fills up as the results are sealed."""

    def seal_results(self, job_id: str, archives: Mapping[str, blobs.Layout] | None = None) -> list[blobs.SealedResult]:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.job_dir(job_id) / ".results-x.part"))


@pytest.fixture
def processes() -> registry.Registry:
    return registry.load(f"{__name__},tests.support.processes", entry_points=False)


RunJob = Callable[..., tuple[records.JobRecord, S | None]]


@pytest.fixture
def run_job(database: Database, settings: Settings, processes: registry.Registry,
            tmp_path: pathlib.Path) -> Iterator[RunJob]:
    """Create, claim and run one job with a runner built here; returns the job as stored and what the runner
    said it wrote."""
    jobs, book = repository.Repository(database), leases.Leases(database, settings.lease_s)
    worker_id = admin.Admin(database).register_worker("test-host", os.getpid())
    job_host = host.JobHost(processes)

    def run(process: str, *, store: blobs.BlobStore | None = None, metadata: dict[str, Any] | None = None,
            parameters: dict[str, Any] | None = None, shutting_down: Callable[[], bool] = lambda: False,
            **overrides: Any) -> tuple[records.JobRecord, S | None]:
        job, _ = jobs.create(repository.NewJob(
            process=process, process_version="1", owner="o", parameters=parameters or {}, metadata=metadata or {},
            labels={}, target=None, description=None, priority=0, timeout_s=60, max_retries=1, queued=True))
        the_runner = runner.Runner(settings.model_copy(update=overrides), book,
                                   store or blobs.BlobStore(tmp_path / "storage"), processes, job_host, worker_id)
        claim = book.claim(worker_id, [process])
        assert claim is not None and claim.job.id == job.id
        ended = the_runner.run(claim, shutting_down)
        return jobs.get(job.id), ended

    yield run
    job_host.retire()


def test_a_job_completes_with_its_results_zip_and_archives_already_sealed(run_job: RunJob,
                                                                          tmp_path: pathlib.Path) -> None:
    job, ended = run_job("test-runner-archived", metadata={"name": "census"})
    assert ended is S.COMPLETED and job.state == S.COMPLETED
    store = blobs.BlobStore(tmp_path / "storage")
    assert sorted(r.path for r in job.results) == ["notes.txt", "plots/a.png", "table.csv"]
    with zipfile.ZipFile(store.zip_path(job.id)) as everything:
        assert sorted(everything.namelist()) == ["notes.txt", "plots/a.png", "table.csv"]
    with zipfile.ZipFile(store.archive_path(job.id, "by-name")) as laid_out:
        assert sorted(laid_out.namelist()) == ["census-a.png", "census-table.csv"]
        assert laid_out.read("census-a.png") == b"\x89PNG-a"


def test_results_that_cannot_be_stored_fail_the_job_saying_why(run_job: RunJob, tmp_path: pathlib.Path) -> None:
    job, ended = run_job("test-runner-archived", store=FullDisk(tmp_path / "storage"), metadata={"name": "n"})
    assert ended is S.FAILED and job.state == S.FAILED
    assert job.state_detail == "the results could not be stored: No space left on device"
    assert job.results == ()
    log = FullDisk(tmp_path / "storage").read_log(job.id)
    assert "finished: FAILED (the results could not be stored: No space left on device)" in log


def test_an_archive_layout_that_fails_fails_the_job_with_its_traceback_in_the_log(run_job: RunJob,
                                                                                  tmp_path: pathlib.Path) -> None:
    job, ended = run_job("test-runner-archived", metadata={"title": "no name"})
    assert ended is S.FAILED
    assert job.state_detail == "the results could not be stored: KeyError: 'name'"
    store = blobs.BlobStore(tmp_path / "storage")
    assert "Traceback" in store.read_log(job.id) and "by_name" in store.read_log(job.id)
    assert not store.zip_path(job.id).exists() and not store.archive_path(job.id, "by-name").exists()


def test_a_shutdown_hands_the_job_back_without_spending_its_attempt(run_job: RunJob) -> None:
    job, ended = run_job("test-ignore-cancel", parameters={"seconds": 30}, shutting_down=lambda: True,
                         shutdown_grace_s=0, cancel_grace_s=0.2)
    assert ended is S.QUEUED and job.state == S.QUEUED and job.attempts == 0
    assert job.state_detail == ("the worker shut down before the job finished; "
                                "re-queued without spending an attempt")


def test_a_retryable_error_goes_back_to_the_queue_spending_its_attempt(run_job: RunJob) -> None:
    job, ended = run_job("test-retryable")
    assert ended is S.QUEUED and job.attempts == 1
    assert job.state_detail == "RetryableError: a flaky dependency did not answer; retrying"
