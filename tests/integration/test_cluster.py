"""Cluster mode without a broker: what a worker takes, and refusing a schema of another version."""

from __future__ import annotations

import os
import queue
import time
import subprocess
import sys
from collections.abc import Iterator

import pytest

from jobsmith.config import Settings
from jobsmith.execution import celery_app, celery_worker
from tests.support.cluster import ROOT, PostgresSchema, on_postgres
from tests.support.server import free_port

KNOWN = ["echo", "inspect", "profile", "sleep"]


def routing(queues: str = "") -> celery_app.Routing:
    return celery_app.Routing.of(Settings(queues=queues))


def test_by_default_a_worker_takes_every_queue_and_process() -> None:
    plan = celery_worker.make_plan(routing("profile=heavy"), KNOWN)
    assert plan.queues == ("jobsmith", "heavy")
    assert plan.claims == {"jobsmith": ("echo", "inspect", "sleep"), "heavy": ("profile",)}
    assert plan.warnings == ()


def test_a_worker_for_some_processes_takes_their_queues_only() -> None:
    plan = celery_worker.make_plan(routing("profile=heavy"), KNOWN, processes=["profile"])
    assert plan.queues == ("heavy",) and plan.claims == {"heavy": ("profile",)}
    light = celery_worker.make_plan(routing("profile=heavy"), KNOWN, queues=["jobsmith"])
    assert light.claims == {"jobsmith": ("echo", "inspect", "sleep")}


def test_a_worker_that_would_swallow_other_processes_wake_ups_is_warned() -> None:
    plan = celery_worker.make_plan(routing(), KNOWN, processes=["profile"])
    assert plan.claims == {"jobsmith": ("profile",)}
    assert "also announces jobs of echo, inspect, sleep" in plan.warnings[0]
    assert "JOBSMITH_QUEUES" in plan.warnings[0]


def test_a_worker_refuses_unknown_processes_and_queues_it_cannot_serve() -> None:
    with pytest.raises(ValueError, match="unknown process.*nope"):
        celery_worker.make_plan(routing(), KNOWN, processes=["nope"])
    with pytest.raises(ValueError, match="runs none of the processes of queue.*heavy"):
        celery_worker.make_plan(routing("profile=heavy"), KNOWN, processes=["sleep"], queues=["heavy"])


@pytest.mark.parametrize("queues", ["profile", "profile=", "=heavy", "profile=a,profile=b"])
def test_malformed_queue_routes_are_refused(queues: str) -> None:
    with pytest.raises(ValueError, match="JOBSMITH_QUEUES"):
        Settings(queues=queues).parsed_queues()


def run_jobsmith(*arguments: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jobsmith", *arguments], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT), **env})


def test_the_worker_command_refuses_a_bad_route_in_one_line() -> None:
    done = run_jobsmith("worker", env={"JOBSMITH_QUEUES": "profile"})
    assert done.returncode == 2
    assert done.stderr.strip() == "error: JOBSMITH_QUEUES entry 'profile' is not process=queue"


@pytest.fixture
def schema() -> Iterator[PostgresSchema]:
    with PostgresSchema() as fresh:
        yield fresh


def cluster_env(schema: PostgresSchema) -> dict[str, str]:
    """The broker is a port nobody listens on: a refusal must come before any broker traffic."""
    return {"JOBSMITH_DATABASE_URL": schema.url, "JOBSMITH_EXECUTOR": "celery",
            "JOBSMITH_BROKER_URL": f"redis://127.0.0.1:{free_port()}/0"}


@pytest.mark.services
def test_worker_and_server_refuse_a_database_that_was_not_migrated(schema: PostgresSchema) -> None:
    env = cluster_env(schema)
    for command in (["worker", "--concurrency", "1"], ["serve", "--port", str(free_port())]):
        done = run_jobsmith(*command, env=env)
        assert done.returncode == 2, done.stderr
        assert "the database schema is at nothing" in done.stderr
        assert "run 'jobsmith migrate' with the same JOBSMITH_DATABASE_URL" in done.stderr
    migrated = run_jobsmith("migrate", env=env)
    assert migrated.returncode == 0 and "database schema: empty -> " in migrated.stdout


@pytest.mark.services
def test_worker_and_server_refuse_a_schema_newer_than_themselves(schema: PostgresSchema) -> None:
    """One schema check for every role: the server says the same as the worker."""
    env = cluster_env(schema)
    assert run_jobsmith("migrate", env=env).returncode == 0
    on_postgres(f"UPDATE {schema.name}.alembic_version SET version_num = '9999_from_the_future'")
    for command in (["worker", "--concurrency", "1"], ["serve", "--port", str(free_port())]):
        done = run_jobsmith(*command, env=env)
        assert done.returncode == 2, done.stderr
        assert "the database schema is at 9999_from_the_future, newer than this jobsmith knows" in done.stderr
        assert "install on this machine the jobsmith version the database was migrated with" in done.stderr


@pytest.mark.services
def test_a_state_change_committed_anywhere_reaches_a_listening_server(schema: PostgresSchema) -> None:
    """What a worker on another machine commits wakes the API's long-polls: PostgreSQL notifies on commit."""
    from jobsmith.store import migrate, notices, repository
    from jobsmith.store.database import Database

    database = Database(schema.url)
    migrate.upgrade(database.engine)
    heard: queue.SimpleQueue[tuple[str, str | None]] = queue.SimpleQueue()
    listener = notices.NoticeListener(schema.url, lambda job_id, state: heard.put((job_id, state)))
    listener.start()
    try:
        assert listener.listening.wait(10)
        jobs = repository.Repository(database)
        job, _ = jobs.create(repository.NewJob(
            process="sleep", process_version="1", owner="o", parameters={}, metadata={}, labels={}, target=None,
            description=None, priority=0, timeout_s=60, max_retries=0, queued=False))
        jobs.patch(job.id, None, {"description": "not a state change"})
        jobs.cancel(job.id)  # WAITING_FOR_DATA -> CANCELLED, in another connection
        assert _next_notice_of(heard, job.id, timeout=10) == "CANCELLED"
        with pytest.raises(queue.Empty):  # one notice per change of state, none for the description
            _next_notice_of(heard, job.id, timeout=0.5)
    finally:
        listener.stop()
        database.dispose()


def _next_notice_of(heard: queue.SimpleQueue[tuple[str, str | None]], job_id: str, timeout: float) -> str | None:
    """The next state heard for ``job_id``. The channel carries every job of the database, and other
    test runs on the same PostgreSQL database notify on it too: their notices are passed over."""
    deadline = time.monotonic() + timeout
    while True:
        changed, state = heard.get(timeout=max(0.0, deadline - time.monotonic()))
        if changed == job_id:
            return state
