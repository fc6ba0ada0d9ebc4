"""The repository's guarantees against a real database (SQLite, or PostgreSQL in CI's second run)."""

from __future__ import annotations

import pathlib
import threading

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from jobsmith.config import Settings
from jobsmith.domain import errors, states
from jobsmith.execution import sweeper
from jobsmith.store import admin, blobs, leases, models, records, repository
from jobsmith.store.database import Database

S = states.Status


def new_job(queued: bool = True, priority: int = 0, max_retries: int = 1, process: str = "p") -> repository.NewJob:
    return repository.NewJob(process=process, process_version="1", owner="o", parameters={}, metadata={},
                             labels={}, target=None, description=None, priority=priority, timeout_s=60,
                             max_retries=max_retries, queued=queued)


def expire_lease(database: Database, job_id: str) -> None:
    """Time travel: move the lease into the past instead of sleeping."""
    with database.engine.begin() as connection:
        connection.execute(sa.update(models.Job).where(models.Job.id == job_id)
                           .values(lease_expires_at=models.Job.created_at))


def test_migrations_create_exactly_the_models(database: Database) -> None:
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), models.Base.metadata)
        indexes = {i["name"] for i in sa.inspect(connection).get_indexes("jobs")}
    # Alembic cannot compare expression indexes (priority DESC): check that one by name instead.
    assert [d for d in differences if "ix_jobs_queue" not in str(d)] == []
    assert "ix_jobs_queue" in indexes


def test_claim_order_is_priority_then_fifo_and_pause_holds_it(database: Database) -> None:
    jobs = repository.Repository(database)
    claims = leases.Leases(database, lease_s=30)
    low, _ = jobs.create(new_job(priority=-5))
    first, _ = jobs.create(new_job())
    second, _ = jobs.create(new_job())
    urgent, _ = jobs.create(new_job(priority=50))
    admin.Admin(database).set_maintenance(True, "hold", "test")
    assert claims.claim("w") is None
    admin.Admin(database).set_maintenance(False, "", "test")
    order = [c.job.id for c in (claims.claim("w") for _ in range(4)) if c is not None]
    assert order == [urgent.id, first.id, second.id, low.id]
    assert claims.claim("w") is None


def test_a_claim_can_be_restricted_to_processes(database: Database) -> None:
    jobs = repository.Repository(database)
    heavy, _ = jobs.create(new_job(process="heavy"))
    light, _ = jobs.create(new_job(process="light"))
    claim = leases.Leases(database, 30).claim("w", ["light"])
    assert claim is not None and claim.job.id == light.id
    assert leases.Leases(database, 30).claim("w", ["light"]) is None
    assert heavy.state == S.QUEUED


def test_cancel_and_completion_racing_have_exactly_one_winner(database: Database) -> None:
    jobs = repository.Repository(database)
    claims = leases.Leases(database, 30)
    for _ in range(10):
        job, _ = jobs.create(new_job())
        claim = claims.claim("w")
        assert claim is not None and claim.job.id == job.id
        barrier = threading.Barrier(2)
        outcomes: dict[str, object] = {}

        def complete(job: records.JobRecord = job, claim: leases.Claim = claim,
                     outcomes: dict[str, object] = outcomes, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            try:
                outcomes["finish"] = claims.finish(job.id, claim.token, S.COMPLETED, reason=None, retention_s=60).state
            except errors.TransitionConflict as conflict:
                outcomes["finish"] = conflict

        def cancel(job: records.JobRecord = job, outcomes: dict[str, object] = outcomes,
                   barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            try:
                outcomes["cancel"] = jobs.cancel(job.id).state
            except errors.Conflict as conflict:
                outcomes["cancel"] = conflict

        threads = [threading.Thread(target=complete), threading.Thread(target=cancel)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        final = jobs.get(job.id).state
        if final == S.COMPLETED:  # completion won; cancel saw a final job (409) or had asked first
            assert outcomes["finish"] == S.COMPLETED
            assert isinstance(outcomes["cancel"], errors.Conflict) or outcomes["cancel"] == S.CANCELLATION_REQUESTED
        else:  # the cancel request won; the worker must now end it as CANCELLED
            assert final == S.CANCELLATION_REQUESTED and outcomes["cancel"] == S.CANCELLATION_REQUESTED
            assert outcomes["finish"] == S.COMPLETED  # COMPLETED is allowed from CANCELLATION_REQUESTED
        history = [(h.from_state, h.to_state) for h in jobs.history(job.id)]
        assert len(history) == len(set(history))


def test_a_worker_presumed_dead_cannot_write_over_the_next_claim(database: Database) -> None:
    jobs = repository.Repository(database)
    claims = leases.Leases(database, 30)
    job, _ = jobs.create(new_job(max_retries=3))
    stale = claims.claim("old")
    assert stale is not None
    expire_lease(database, job.id)
    recovered = claims.requeue_stalled()
    assert [(r.job_id, r.state) for r in recovered] == [(job.id, S.QUEUED)]
    fresh = claims.claim("new")
    assert fresh is not None and fresh.job.attempts == 2
    with pytest.raises(errors.TransitionConflict):
        claims.finish(job.id, stale.token, S.COMPLETED, reason=None, retention_s=60)
    assert claims.heartbeat(job.id, stale.token) is None
    claims.report(job.id, stale.token, [leases.StepUpdate(0, "ghost", states.StepState.RUNNING, None, None, None)],
                  progress=0.5)
    assert claims.heartbeat(job.id, fresh.token) == S.PROCESSING
    done = claims.finish(job.id, fresh.token, S.COMPLETED, reason=None, retention_s=60)
    assert done.state == S.COMPLETED
    assert jobs.get(job.id).steps == () and jobs.get(job.id).progress == 1.0


def test_requeue_fails_once_retries_are_spent_and_is_idempotent(database: Database) -> None:
    jobs = repository.Repository(database)
    claims = leases.Leases(database, 30)
    job, _ = jobs.create(new_job(max_retries=0))
    assert claims.claim("w") is not None
    assert claims.requeue_stalled() == []  # lease still valid
    expire_lease(database, job.id)
    recovered = claims.requeue_stalled()
    assert [r.state for r in recovered] == [S.FAILED]
    assert claims.requeue_stalled() == []
    failed = jobs.get(job.id)
    assert failed.state == S.FAILED and "no retries are left" in (failed.state_detail or "")
    assert jobs.history(job.id)[-1].actor == states.Actor.SWEEPER


def test_a_job_being_cancelled_whose_worker_died_ends_cancelled(database: Database) -> None:
    jobs = repository.Repository(database)
    claims = leases.Leases(database, 30)
    job, _ = jobs.create(new_job())
    assert claims.claim("w") is not None
    assert jobs.cancel(job.id).state == S.CANCELLATION_REQUESTED
    expire_lease(database, job.id)
    assert [r.state for r in claims.requeue_stalled()] == [S.CANCELLED]


def test_release_on_shutdown_refunds_the_attempt(database: Database) -> None:
    jobs = repository.Repository(database)
    claims = leases.Leases(database, 30)
    job, _ = jobs.create(new_job())
    claim = claims.claim("w")
    assert claim is not None and claim.job.attempts == 1
    released = claims.release(job.id, claim.token, reason="shutdown")
    assert released.state == S.QUEUED and released.attempts == 0


def test_every_change_has_one_history_row_written_with_it(database: Database) -> None:
    jobs = repository.Repository(database)
    job, _ = jobs.create(new_job(queued=False))
    jobs.queue(job.id)
    jobs.cancel(job.id)
    jobs.delete(job.id)
    assert [(h.from_state, h.to_state) for h in jobs.history(job.id)] == [
        (None, "WAITING_FOR_DATA"), ("WAITING_FOR_DATA", "QUEUED"), ("QUEUED", "CANCELLED"), ("CANCELLED", "DELETED")]
    with pytest.raises(errors.TransitionConflict):
        jobs.queue(job.id)


def test_the_schema_refuses_impossible_rows(database: Database) -> None:
    jobs = repository.Repository(database)
    job, _ = jobs.create(new_job())
    with pytest.raises(sa.exc.IntegrityError), database.engine.begin() as connection:
        connection.execute(sa.update(models.Job).where(models.Job.id == job.id).values(state="PROCESSING"))
    with pytest.raises(sa.exc.IntegrityError), database.engine.begin() as connection:
        connection.execute(sa.update(models.Job).where(models.Job.id == job.id).values(priority=101))
    with pytest.raises(sa.exc.IntegrityError), database.engine.begin() as connection:
        connection.execute(sa.update(models.Job).where(models.Job.id == job.id).values(state="LOST"))


def test_the_cleaner_removes_files_after_retention_and_keeps_the_record(database: Database, tmp_path: pathlib.Path,
                                                                        settings: Settings) -> None:
    jobs = repository.Repository(database)
    claims = leases.Leases(database, 30)
    store = blobs.BlobStore(tmp_path / "storage")
    job, _ = jobs.create(new_job())
    claim = claims.claim("w")
    assert claim is not None
    store.prepare_run(job.id)
    (store.results_dir(job.id) / "out.txt").write_text("x")
    done = claims.finish(job.id, claim.token, S.COMPLETED, reason=None, retention_s=30 * 86400)
    assert done.expires_at is not None and done.finished_at is not None
    assert 29.9 < (done.expires_at - done.finished_at).total_seconds() / 86400 < 30.1
    cleaner = sweeper.Sweeper(settings, database, store)
    assert cleaner.sweep().files_removed == 0
    with database.engine.begin() as connection:  # time travel: the retention ended
        connection.execute(sa.update(models.Job).where(models.Job.id == job.id)
                           .values(expires_at=models.Job.created_at))
    assert cleaner.sweep().files_removed == 1
    assert not store.job_dir(job.id).exists()
    kept = jobs.get(job.id)
    assert kept.state == S.COMPLETED and kept.files_removed
    assert cleaner.sweep().files_removed == 0
