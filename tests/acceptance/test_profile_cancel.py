"""Cancel a profile busy in native code (DuckDB scanning a large file): its CPU use is gone within seconds."""

from __future__ import annotations

import pathlib
import time
from collections.abc import Iterator

import duckdb
import httpx
import psutil
import pytest

from tests.support import waiting
from tests.support.server import ServerProcess

pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path: pathlib.Path) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path / "data", env={"JOBSMITH_SUPERVISE_INTERVAL_S": "0.1",
                                                     "JOBSMITH_CANCEL_GRACE_S": "2"}, workers=1)
    process.start()
    yield process
    process.stop()


def big_csv(path: pathlib.Path, rows: int) -> pathlib.Path:
    """A few hundred MB of mixed columns, written by DuckDB in a few seconds."""
    with duckdb.connect() as con:
        con.execute(f"""COPY (SELECT i AS id, random() * 1000 AS value, (i % 37)::VARCHAR || '-kind' AS kind,
                                     TIMESTAMP '2020-01-01' + to_seconds(i) AS at,
                                     md5(i::VARCHAR) || md5((i * 7)::VARCHAR) AS text
                              FROM range({rows}) t(i)) TO '{path}' (HEADER)""")
    return path


def busy_seconds(pid: int) -> float:
    """CPU seconds used by the server's whole process tree so far."""
    total = 0.0
    for process in [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def test_cancel_stops_a_profile_busy_in_duckdb(server: ServerProcess, tmp_path: pathlib.Path) -> None:
    source = big_csv(tmp_path / "big.csv", 3_000_000)
    assert server.process is not None
    with httpx.Client(base_url=server.url, timeout=60) as client:
        job = client.post("/v1/jobs", json={"process": "profile"}).json()
        with source.open("rb") as body:
            client.put(f"/v1/jobs/{job['id']}/inputs/big.csv", content=body)
        waiting.until(lambda: any(s["name"] == "analyse" and s["state"] == "running"
                                  for s in client.get(f"/v1/jobs/{job['id']}").json()["steps"]),
                      timeout=60, what="the analysis to run")
        asked = time.monotonic()
        assert client.post(f"/v1/jobs/{job['id']}/cancel").status_code == 202
        done = waiting.job_state(client, job["id"], {"CANCELLED"}, timeout=15)
        stopped_after = time.monotonic() - asked
        assert done["state"] == "CANCELLED" and stopped_after < 10, stopped_after
        before = busy_seconds(server.process.pid)
        time.sleep(2)
        idle_cpu = busy_seconds(server.process.pid) - before
        assert idle_cpu < 0.5, f"the server's processes still used {idle_cpu:.2f} s of CPU in 2 s"
