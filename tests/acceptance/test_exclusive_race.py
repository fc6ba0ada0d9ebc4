"""Two API servers sharing one PostgreSQL: creates racing for one exclusive target have one winner.

The unique partial index, not either server's memory, decides: each round, both servers get a create
for the same new target at the same moment; one answers 201, the other 409 ``target_busy`` naming
the winner's job.
"""

from __future__ import annotations

import pathlib
import threading
from collections.abc import Iterator

import httpx
import pytest

from tests.support.cluster import Cluster, PostgresSchema, RedisServer

pytestmark = [pytest.mark.services, pytest.mark.slow]


@pytest.fixture
def two_servers(tmp_path: pathlib.Path, redis: RedisServer) -> Iterator[tuple[Cluster, Cluster]]:
    shared = tmp_path / "shared"
    shared.mkdir()
    with PostgresSchema() as schema:
        first = Cluster(tmp_path / "a", schema.url, redis.url, env={"JOBSMITH_STORAGE": str(shared)})
        second = Cluster(tmp_path / "b", schema.url, redis.url, env={"JOBSMITH_STORAGE": str(shared)})
        for cluster in (first, second):
            cluster.directory.mkdir()
        done = first.migrate()
        assert done.returncode == 0, done.stdout + done.stderr
        try:
            first.serve()
            second.serve()
            yield first, second
        finally:
            first.stop()
            second.stop()
            print(first.logs(), second.logs())


def test_creates_racing_on_two_servers_for_one_target_have_exactly_one_winner(
        two_servers: tuple[Cluster, Cluster]) -> None:
    clients = [cluster.client() for cluster in two_servers]
    for round_ in range(12):
        barrier = threading.Barrier(2)
        answers: list[httpx.Response] = []

        def create(client: httpx.Client, target: str = f"dataset-{round_}") -> None:
            barrier.wait()
            answers.append(client.post("/v1/jobs", json={"process": "test-exclusive", "target": target}))

        threads = [threading.Thread(target=create, args=(client,)) for client in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
        won = next(a.json() for a in answers if a.status_code == 201)
        lost = next(a.json() for a in answers if a.status_code == 409)
        assert lost["code"] == "target_busy" and lost["job_id"] == won["id"]
    listed = clients[1].get("/v1/targets", params={"limit": 100}).json()["results"]
    assert sorted(t["target"] for t in listed) == sorted(f"dataset-{n}" for n in range(12))
    assert all(t["jobs"] == 1 and t["active_job"] is not None for t in listed)
