"""The runner imports a job's datasets before its process starts: once per job (a retry keeps the files),
and a cancel or a lost lease during a long import stops it."""

from __future__ import annotations

import os
import pathlib
from collections.abc import Callable, Iterator

import pytest

from jobsmith.config import Settings
from jobsmith.domain import errors, states
from jobsmith.execution import host, runner
from jobsmith.processes import registry
from jobsmith.store import admin, blobs, imports, leases, records, repository
from jobsmith.store.database import Database

S = states.Status
CSV = b"a,b\n1,2\n"
Run = Callable[..., tuple[records.JobRecord, S | None]]


class CancelledMidway(imports.Importer):
    """An import during which the client cancels the job, and which then reaches its next beat."""

    def __init__(self, importer: imports.Importer, cancel: Callable[[], object]) -> None:
        super().__init__(importer.directory, importer.blobs)
        self.cancel = cancel

    def import_dataset(self, job_id: str, input_name: str, multiple: bool, name: str, taken: set[str],
                       beat: Callable[[], None] = lambda: None) -> list[repository.StoredInput]:
        self.cancel()
        assert isinstance(beat, runner._Beat)
        beat.next = 0  # as if a third of the lease had passed
        beat()
        raise AssertionError("the beat should have stopped the import")


@pytest.fixture
def run(database: Database, settings: Settings, tmp_path: pathlib.Path) -> Iterator[Run]:
    (tmp_path / "inputs").mkdir()
    (tmp_path / "inputs" / "cities.csv").write_bytes(CSV)
    processes = registry.load("tests.support.processes", entry_points=False)
    jobs, book = repository.Repository(database), leases.Leases(database, settings.lease_s)
    worker_id = admin.Admin(database).register_worker("test-host", os.getpid())
    job_host = host.JobHost(processes)
    store = blobs.BlobStore(tmp_path / "storage")

    def run_one(wrap: Callable[[imports.Importer, str], imports.Importer] | None = None,
                ) -> tuple[records.JobRecord, S | None]:
        job, _ = jobs.create(repository.NewJob(
            process="test-many", process_version="1", owner="o", parameters={}, metadata={}, labels={},
            target=None, description=None, priority=0, timeout_s=60, max_retries=1, queued=True,
            datasets=(("files", "cities.csv"),)))
        the_runner = runner.Runner(settings.model_copy(update={"input_dir": tmp_path / "inputs"}), book, store,
                                   processes, job_host, worker_id)
        if wrap is not None:
            the_runner.importer = wrap(the_runner.importer, job.id)
        claim = book.claim(worker_id, ["test-many"])
        assert claim is not None and claim.job.id == job.id
        return jobs.get(job.id), the_runner.run(claim, lambda: False)

    yield run_one
    job_host.retire()


def test_the_dataset_is_imported_and_recorded_before_the_process_runs(run: Run, database: Database,
                                                                     tmp_path: pathlib.Path) -> None:
    job, ended = run()
    assert ended is S.COMPLETED
    stored = repository.Repository(database).get(job.id)
    assert [(i.input, i.name, i.size) for i in stored.inputs] == [("files", "cities.csv", len(CSV))]
    names = blobs.BlobStore(tmp_path / "storage").results_dir(job.id) / "names.txt"
    assert names.read_text() == "cities.csv\n"  # the process saw the imported file


def test_a_cancel_during_the_import_ends_the_job_cancelled(run: Run, database: Database) -> None:
    jobs = repository.Repository(database)
    job, ended = run(lambda importer, job_id: CancelledMidway(importer, lambda: jobs.cancel(job_id)))
    assert ended is S.CANCELLED
    stored = jobs.get(job.id)
    assert stored.state == S.CANCELLED and stored.state_detail == "cancelled while its datasets were being imported"


def test_a_lost_lease_during_the_import_writes_nothing(run: Run, database: Database) -> None:
    jobs = repository.Repository(database)
    job, ended = run(lambda importer, job_id: CancelledMidway(importer, lambda: jobs.delete(job_id)))
    assert ended is None and jobs.get(job.id).state == S.DELETED
    with pytest.raises(errors.NotFound):
        jobs.get(job.id, owner="someone else")



def test_a_retry_keeps_the_files_an_earlier_attempt_imported(database: Database, settings: Settings,
                                                             tmp_path: pathlib.Path) -> None:
    (tmp_path / "inputs").mkdir()
    (tmp_path / "inputs" / "cities.csv").write_bytes(CSV)
    processes = registry.load("tests.support.processes", entry_points=False)
    jobs, book = repository.Repository(database), leases.Leases(database, settings.lease_s)
    worker_id = admin.Admin(database).register_worker("test-host", os.getpid())
    job_host = host.JobHost(processes)
    the_runner = runner.Runner(settings.model_copy(update={"input_dir": tmp_path / "inputs"}), book,
                               blobs.BlobStore(tmp_path / "storage"), processes, job_host, worker_id)
    try:
        job, _ = jobs.create(repository.NewJob(
            process="test-many", process_version="1", owner="o", parameters={}, metadata={}, labels={},
            target=None, description=None, priority=0, timeout_s=60, max_retries=1, queued=True,
            datasets=(("files", "cities.csv"),)))
        first = book.claim(worker_id, ["test-many"])
        assert first is not None
        the_runner._import_datasets(first, processes.get("test-many"))
        book.release(job.id, first.token, reason="the worker is shutting down", worker_id=worker_id)
        (tmp_path / "inputs" / "cities.csv").unlink()  # gone from the directory: the job has its copy
        second = book.claim(worker_id, ["test-many"])
        assert second is not None and second.token != first.token
        assert the_runner.run(second, lambda: False) is S.COMPLETED
        assert [i.name for i in jobs.get(job.id).inputs] == ["cities.csv"]
    finally:
        job_host.retire()
