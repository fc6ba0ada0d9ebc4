"""Cluster mode while its services restart under load: PostgreSQL, and the broker.

Each test runs its own PostgreSQL server, redis-server or RabbitMQ node (started by the fixture)
so that stopping it disturbs nobody else's tests.
"""

from __future__ import annotations

import pathlib
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support import waiting
from tests.support.cluster import Cluster, PostgresSchema, PrivatePostgres, RabbitMQServer, RedisServer, submit

pytestmark = [pytest.mark.services, pytest.mark.slow]
LOAD = 24


def load(client: httpx.Client) -> list[str]:
    """Jobs that keep two workers busy for a few seconds; returns once the first have completed."""
    jobs = [submit(client, "sleep", parameters={"seconds": 0.5}) for _ in range(LOAD)]
    waiting.until(lambda: client.get("/v1/jobs", params={"state": "COMPLETED"}).json()["results"],
                  timeout=30, what="the first jobs to complete")
    return jobs


def all_complete(client: httpx.Client, jobs: list[str]) -> None:
    for job_id in jobs:
        done = waiting.final(client, job_id, timeout=120)
        assert done["state"] == "COMPLETED", done


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres().init()
    yield server
    server.remove()


def test_postgresql_restart_under_load(tmp_path: pathlib.Path, postgres: PrivatePostgres, redis: RedisServer) -> None:
    cluster = Cluster(tmp_path, postgres.url, redis.url)
    try:
        cluster.start(workers=2, concurrency=1)
        with cluster.client() as client:
            jobs = load(client)
            postgres.stop()
            refused = client.post("/v1/jobs", json={"process": "sleep"})
            assert refused.status_code == 503 and refused.headers["Retry-After"], refused.text
            assert client.get("/readyz").status_code == 503
            time.sleep(2)  # an outage longer than a heartbeat period, shorter than a lease
            postgres.start()
            waiting.until(lambda: client.get("/readyz").status_code == 200, timeout=30, what="the API to recover")
            all_complete(client, jobs)
            late = submit(client, "sleep", parameters={"seconds": 0})
            all_complete(client, [late])
    finally:
        cluster.stop()
        print(cluster.logs())


def test_job_reads_answer_503_while_postgresql_is_down(tmp_path: pathlib.Path, postgres: PrivatePostgres,
                                                       redis: RedisServer) -> None:
    cluster = Cluster(tmp_path, postgres.url, redis.url)
    try:
        cluster.start(workers=1, concurrency=1)
        with cluster.client() as client:
            job_id = submit(client, "sleep", parameters={"seconds": 0})
            postgres.stop()
            for path in (f"/v1/jobs/{job_id}", "/v1/jobs"):
                answer = client.get(path)
                assert answer.status_code == 503 and answer.headers["Retry-After"], (path, answer.text)
    finally:
        cluster.stop()


@pytest.mark.parametrize("broker_kind", ["redis", "rabbitmq"])
def test_broker_restart_under_load(tmp_path: pathlib.Path, broker_kind: str, request: pytest.FixtureRequest) -> None:
    broker: RedisServer | RabbitMQServer = request.getfixturevalue(broker_kind)
    with PostgresSchema() as schema:
        cluster = Cluster(tmp_path, schema.url, broker.url)
        try:
            cluster.start(workers=2, concurrency=1)
            with cluster.client() as client:
                jobs = load(client)
                broker.stop()  # a crash: redis loses every message it held, RabbitMQ what it had not synced
                more = [submit(client, "sleep", parameters={"seconds": 0}) for _ in range(3)]
                time.sleep(2)
                broker.start()
                all_complete(client, jobs + more)
        finally:
            cluster.stop()
            print(cluster.logs())
