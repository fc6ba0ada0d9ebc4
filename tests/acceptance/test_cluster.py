"""Cluster mode against the real services: PostgreSQL, a broker, `jobsmith serve` and `jobsmith worker`s.

Every test starts the cluster the way the README's "Running on a cluster" says (the environment,
``jobsmith migrate``, ``jobsmith serve``, ``jobsmith worker --concurrency N``) on a fresh schema
and, unless it tests RabbitMQ, a private redis-server that it may stop without disturbing anyone.
"""

from __future__ import annotations

import pathlib
import subprocess
import time
import uuid
from collections.abc import Iterator

import httpx
import psutil
import pytest

from jobsmith.config import Settings
from jobsmith.execution import celery_app, dispatch
from tests.support import waiting
from tests.support.cluster import (RABBITMQ_URL, Cluster, PostgresSchema, RabbitMQServer, RedisServer, attempts_of,
                                   live, owner_of, submit)

pytestmark = [pytest.mark.services, pytest.mark.slow]


@pytest.fixture
def schema() -> Iterator[PostgresSchema]:
    with PostgresSchema() as fresh:
        yield fresh


def stopped_after(made: Cluster) -> Iterator[Cluster]:
    """Yield the cluster to the test; stop it after, printing its logs (shown when the test failed)."""
    try:
        yield made
    finally:
        made.stop()
        print(made.logs())


@pytest.fixture
def cluster(tmp_path: pathlib.Path, schema: PostgresSchema, redis: RedisServer) -> Iterator[Cluster]:
    yield from stopped_after(Cluster(tmp_path, schema.url, redis.url))


def state_of(client: httpx.Client, job_id: str) -> str:
    return str(client.get(f"/v1/jobs/{job_id}").json()["state"])


def reasons(client: httpx.Client, job_id: str) -> list[str]:
    return [h["reason"] or "" for h in client.get(f"/v1/jobs/{job_id}/history").json()]


def claims(client: httpx.Client, job_id: str) -> int:
    return sum(1 for h in client.get(f"/v1/jobs/{job_id}/history").json() if h["to"] == "PROCESSING")


def test_jobs_spread_over_the_workers_and_the_api_runs_none(cluster: Cluster) -> None:
    cluster.start(workers=2, concurrency=2)
    assert cluster.server is not None
    with cluster.client() as client:
        jobs = [submit(client, "sleep", parameters={"seconds": 1}) for _ in range(8)]
        for job_id in jobs:
            assert waiting.final(client, job_id, timeout=60)["state"] == "COMPLETED"
        runners = {pid for job_id in jobs for _, _, pid in attempts_of(client, job_id)}
        results = client.get(f"/v1/jobs/{jobs[0]}/results/sleep.json")
        assert results.status_code == 200  # written by a worker to the shared directory, served by the API
    by_worker = {w.name: runners & w.pids() for w in cluster.workers}
    assert all(by_worker.values()), f"every worker should have run jobs: {by_worker}"
    assert runners <= set().union(*by_worker.values())
    assert not runners & cluster.server.pids()
    assert psutil.Process(cluster.server.pid).children(recursive=True) == []


def test_creating_and_uploading_never_depend_on_the_broker(cluster: Cluster, redis: RedisServer) -> None:
    cluster.start(workers=1, concurrency=2)
    redis.stop()
    with cluster.client() as client:
        started = time.monotonic()
        queued = submit(client, "sleep", parameters={"seconds": 0})
        uploaded = submit(client, "inspect")
        answer = client.put(f"/v1/jobs/{uploaded}/inputs/data.csv", content=b"a,b\n1,2\n")
        assert answer.status_code == 200 and answer.json()["state"] == "QUEUED"
        assert time.monotonic() - started < 3, "the API must not wait for the broker"
        time.sleep(1)
        assert {state_of(client, queued), state_of(client, uploaded)} == {"QUEUED"}
        redis.start()  # back, empty: the wake-ups sent while it was down are gone
        for job_id in (queued, uploaded):
            done = waiting.final(client, job_id, timeout=60)
            assert done["state"] == "COMPLETED" and done["attempts"] == 1


@pytest.mark.parametrize(("max_retries", "expected"), [(2, "COMPLETED"), (0, "FAILED")])
def test_kill_9_of_a_worker_mid_job_is_retried_elsewhere_or_failed(cluster: Cluster, max_retries: int,
                                                                   expected: str) -> None:
    cluster.start(workers=2, concurrency=1)
    with cluster.client() as client:
        job_id = submit(client, "test-ignore-cancel", parameters={"seconds": 3}, max_retries=max_retries)
        first = waiting.until(lambda: attempts_of(client, job_id), timeout=30, what="the first attempt")
        victim = owner_of(first[0][2], cluster.workers)
        assert victim is not None
        survivor = next(w for w in cluster.workers if w is not victim)
        victim.kill9()
        done = waiting.final(client, job_id, timeout=60)
        assert done["state"] == expected, done
        if expected == "COMPLETED":
            assert done["attempts"] == 2
            assert any("worker lost during attempt 1; retrying" in r for r in reasons(client, job_id))
            assert attempts_of(client, job_id)[-1][2] in survivor.pids()
        else:
            assert done["state_detail"] == "worker lost during attempt 1 and no retries are left (max_retries=0)"
        assert client.get("/v1/jobs", params={"state": "PROCESSING,CANCELLATION_REQUESTED"}).json()["results"] == []


def test_a_duplicate_delivery_does_nothing(cluster: Cluster, redis: RedisServer) -> None:
    cluster.start(workers=2, concurrency=2)
    settings = Settings(broker_url=redis.url)
    routing = celery_app.Routing.of(settings)
    app = celery_app.create(settings, routing)
    sender = dispatch.Dispatcher(app, routing, expires_s=60)
    with cluster.client() as client:
        job_id = submit(client, "sleep", parameters={"seconds": 1})
        assert sender.wake(routing.default, 3) == 3  # the same message again, three times
        done = waiting.final(client, job_id, timeout=30)

        def delivered() -> bool:
            length = subprocess.run(["redis-cli", "-p", str(redis.port), "llen", routing.default],
                                    capture_output=True, text=True).stdout.strip()
            return length == "0"

        waiting.until(delivered, timeout=20, what="every delivery to be taken")
        time.sleep(1)  # what a duplicate would have done, it has done by now
        again = client.get(f"/v1/jobs/{job_id}").json()
        assert claims(client, job_id) == 1
    app.close()
    assert done["state"] == again["state"] == "COMPLETED"
    assert again["attempts"] == 1
    assert [r["path"] for r in again["results"]] == ["sleep.json"]


def test_cancel_stops_the_work_on_the_worker_within_seconds(cluster: Cluster) -> None:
    cluster.start(workers=2, concurrency=1)
    with cluster.client() as client:
        job_id = submit(client, "test-ignore-cancel", parameters={"seconds": 60})
        waiting.until(lambda: client.get(f"/v1/jobs/{job_id}").json()["steps"], timeout=30, what="the first step")
        runner_pid = attempts_of(client, job_id)[0][2]
        work = {p.pid for p in psutil.Process(runner_pid).children(recursive=True)}
        assert live(work), "the job's process should be running on the worker"
        started = time.monotonic()
        assert client.post(f"/v1/jobs/{job_id}/cancel").status_code == 202
        done = waiting.final(client, job_id, timeout=20)
        assert done["state"] == "CANCELLED" and done["state_detail"] == "cancelled by the client"
        assert time.monotonic() - started < 8
        waiting.until(lambda: not live(work), timeout=5, what="the job's processes to be gone")


def test_worker_sigterm_drains_and_requeues_without_spending_an_attempt(cluster: Cluster) -> None:
    cluster.start(workers=1, concurrency=2)
    draining = cluster.workers[0]
    with cluster.client() as client:
        long_job = submit(client, "test-ignore-cancel", parameters={"seconds": 5})
        short_job = submit(client, "test-ignore-cancel", parameters={"seconds": 1})
        for job_id in (long_job, short_job):
            waiting.job_state(client, job_id, {"PROCESSING"}, timeout=30)
        started = time.monotonic()
        assert draining.stop(timeout=30) == 0
        assert time.monotonic() - started < 2 + 1 + 8  # shutdown grace + cancel grace + slack
        assert waiting.final(client, short_job, timeout=5)["state"] == "COMPLETED"
        back = client.get(f"/v1/jobs/{long_job}").json()
        assert back["state"] == "QUEUED" and back["attempts"] == 0, back
        assert any("re-queued without spending an attempt" in r for r in reasons(client, long_job))
        cluster.worker(concurrency=1)
        done = waiting.final(client, long_job, timeout=60)
        assert done["state"] == "COMPLETED" and done["attempts"] == 1


def test_maintenance_pause_holds_in_cluster_mode(cluster: Cluster) -> None:
    cluster.start(workers=2, concurrency=1)
    with cluster.client() as client:
        assert client.put("/v1/maintenance", json={"paused": True, "message": "upgrade"}).status_code == 200
        jobs = [submit(client, "sleep", parameters={"seconds": 0}) for _ in range(3)]
        time.sleep(5)  # longer than a wake-up lives (2 s here), and ten sweeps of every worker
        assert [state_of(client, j) for j in jobs] == ["QUEUED"] * 3
        assert client.put("/v1/maintenance", json={"paused": False}).status_code == 200
        for job_id in jobs:
            assert waiting.final(client, job_id, timeout=30)["state"] == "COMPLETED"


def test_rabbitmq_as_the_broker(tmp_path: pathlib.Path, schema: PostgresSchema) -> None:
    queue = f"jobsmith-test-{uuid.uuid4().hex[:8]}"
    cluster = Cluster(tmp_path, schema.url, RABBITMQ_URL, env={"JOBSMITH_DEFAULT_QUEUE": queue})
    try:
        cluster.start(workers=2, concurrency=1)
        with cluster.client() as client:
            slept = submit(client, "sleep", parameters={"seconds": 0})
            inspected = submit(client, "inspect")
            assert client.put(f"/v1/jobs/{inspected}/inputs/data.csv", content=b"a,b\n1,2\n").status_code == 200
            for job_id in (slept, inspected):
                done = waiting.final(client, job_id, timeout=60)
                assert done["state"] == "COMPLETED" and done["attempts"] == 1
            assert client.get(f"/v1/jobs/{inspected}/results/inspect.json").json()
    finally:
        cluster.stop()
        print(cluster.logs())
        settings = Settings(broker_url=RABBITMQ_URL, default_queue=queue)
        app = celery_app.create(settings, celery_app.Routing.of(settings))
        with app.connection_for_write() as connection:
            connection.default_channel.queue_delete(queue)
        app.close()


def test_jobs_longer_than_rabbitmqs_consumer_timeout_run_once(tmp_path: pathlib.Path, schema: PostgresSchema) -> None:
    """RabbitMQ closes a channel whose delivery stays unacknowledged past ``consumer_timeout`` (30
    minutes by default) and delivers the message again. A running job's message is acknowledged
    when it starts, and the message a busy worker holds behind it names no job: every job runs once.
    """
    broker = RabbitMQServer({"consumer_timeout": "2000"}, "[{rabbit, [{channel_tick_interval, 500}]}].")
    broker.start()
    cluster = Cluster(tmp_path, schema.url, broker.url)
    try:
        cluster.start(workers=1, concurrency=1)
        with cluster.client() as client:
            jobs = [submit(client, "sleep", parameters={"seconds": 4}) for _ in range(3)]
            for job_id in jobs:
                done = waiting.final(client, job_id, timeout=90)
                assert done["state"] == "COMPLETED" and done["attempts"] == 1, done
                assert [a for a, _, _ in attempts_of(client, job_id)] == [1]
                assert claims(client, job_id) == 1
        assert "acknowledgement" in broker.log() and "timed out" in broker.log()  # the timeout did strike
    finally:
        cluster.stop()
        print(cluster.logs())
        broker.remove()


@pytest.fixture
def on_rabbitmq(tmp_path: pathlib.Path, schema: PostgresSchema, rabbitmq: RabbitMQServer) -> Iterator[Cluster]:
    """The cluster with a private RabbitMQ node as its broker, which a test may crash and start again."""
    yield from stopped_after(Cluster(tmp_path, schema.url, rabbitmq.url))


def test_creating_never_depends_on_rabbitmq_either(on_rabbitmq: Cluster, rabbitmq: RabbitMQServer) -> None:
    on_rabbitmq.start(workers=1, concurrency=1)
    rabbitmq.stop()
    with on_rabbitmq.client() as client:
        started = time.monotonic()
        queued = submit(client, "sleep", parameters={"seconds": 0})
        assert time.monotonic() - started < 3, "the API must not wait for the broker"
        rabbitmq.start()
        done = waiting.final(client, queued, timeout=90)
        assert done["state"] == "COMPLETED" and done["attempts"] == 1


def test_kill_9_of_a_worker_mid_job_is_retried_elsewhere_on_rabbitmq(on_rabbitmq: Cluster) -> None:
    """Whatever RabbitMQ hands on from the killed worker's channel names no job: the retry comes from
    jobsmith's lease, once, with the attempt counted."""
    on_rabbitmq.start(workers=2, concurrency=1)
    with on_rabbitmq.client() as client:
        job_id = submit(client, "test-ignore-cancel", parameters={"seconds": 3}, max_retries=2)
        first = waiting.until(lambda: attempts_of(client, job_id), timeout=30, what="the first attempt")
        victim = owner_of(first[0][2], on_rabbitmq.workers)
        assert victim is not None
        victim.kill9()
        done = waiting.final(client, job_id, timeout=60)
        assert done["state"] == "COMPLETED" and done["attempts"] == 2, done
        assert claims(client, job_id) == 2
