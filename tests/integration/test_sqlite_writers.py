"""Writers of one embedded SQLite database, across threads and processes: queued, none refused."""

from __future__ import annotations

import multiprocessing
import os
import pathlib
import time

import pytest

from jobsmith.domain import states
from jobsmith.store import leases, migrate, repository
from jobsmith.store.database import Database, WriterLock

_FORK = multiprocessing.get_context("fork")
JOBS = 300


def _url(path: pathlib.Path) -> str:
    return f"sqlite:///{path}"


def _new_job() -> repository.NewJob:
    return repository.NewJob(process="p", process_version="1", owner="o", parameters={}, metadata={},
                             labels={}, target=None, description=None, priority=0, timeout_s=60,
                             max_retries=1, queued=True)


def _claim_and_finish_all(url: str, worker: str, out: multiprocessing.Queue[list[str] | str]) -> None:
    """A worker process: claim and complete jobs until none is queued; report the ids it got."""
    try:
        database = Database(url)
        claims = leases.Leases(database, 30)
        got = []
        while (claim := claims.claim(worker)) is not None:
            claims.finish(claim.job.id, claim.token, states.Status.COMPLETED, reason=None, retention_s=60,
                          worker_id=worker)
            got.append(claim.job.id)
        database.dispose()
        out.put(got)
    except Exception as error:  # reported to the test, which fails with it
        out.put(f"{type(error).__name__}: {error}")


def test_workers_in_several_processes_and_an_api_thread_write_at_once_without_a_refusal(
        tmp_path: pathlib.Path) -> None:
    url = _url(tmp_path / "jobsmith.db")
    database = Database(url)
    migrate.upgrade(database.engine)
    jobs = repository.Repository(database)
    created = {jobs.create(_new_job())[0].id for _ in range(JOBS // 2)}
    out: multiprocessing.Queue[list[str] | str] = _FORK.Queue()
    workers = [_FORK.Process(target=_claim_and_finish_all, args=(url, f"w{i}", out)) for i in range(3)]
    for process in workers:
        process.start()
    created |= {jobs.create(_new_job())[0].id for _ in range(JOBS // 2)}  # while they claim
    reports = [out.get(timeout=120) for _ in workers]
    for process in workers:
        process.join(30)
    assert not [r for r in reports if isinstance(r, str)], reports  # no "database is locked", nothing else
    claimed = [job_id for report in reports for job_id in report]
    leftover = []  # created after every worker found the queue empty
    claims = leases.Leases(database, 30)
    while (claim := claims.claim("late")) is not None:
        leftover.append(claim.job.id)
    assert sorted(claimed + leftover) == sorted(created)  # every job claimed exactly once
    assert all(jobs.get(job_id).state == states.Status.COMPLETED for job_id in claimed)
    database.dispose()


def test_a_forked_child_does_not_share_its_parents_hold_on_the_writer_lock(tmp_path: pathlib.Path) -> None:
    lock = WriterLock(str(tmp_path / "jobsmith.db"))
    with lock:
        read_end, write_end = os.pipe()
        child = os.fork()
        if child == 0:  # the child's first write must wait for the parent's to end
            started = time.monotonic()
            with lock:
                waited = time.monotonic() - started
            os.write(write_end, f"{waited:.3f}".encode())
            os._exit(0)
        time.sleep(0.5)
    os.waitpid(child, 0)
    waited = float(os.read(read_end, 64).decode())
    assert waited >= 0.4
    lock.close()


@pytest.mark.parametrize("database_path", [":memory:", None])
def test_a_database_without_a_file_needs_no_lock_file(database_path: str | None, tmp_path: pathlib.Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # where a lock file named after ":memory:" would appear
    lock = WriterLock(database_path)
    with lock:
        pass
    lock.close()
    assert list(tmp_path.iterdir()) == []
