"""A jobsmith cluster on this machine, started exactly as the README's "Running on a cluster" says.

PostgreSQL (a fresh schema of the test database), a broker (a private ``redis-server`` on a free
port by default, so that stopping it disturbs no one; the machine's RabbitMQ; or a private RabbitMQ
node for a test that crashes it), a shared
directory, ``jobsmith migrate``, one ``jobsmith serve`` and any number of ``jobsmith worker``
subprocesses, each in its own session so that a test can kill -9 one whole worker.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from typing import IO, Any

import httpx
import psutil
import sqlalchemy as sa

from tests.support.server import free_port, terminate

ROOT = pathlib.Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("JOBSMITH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
RABBITMQ_URL = os.environ.get("JOBSMITH_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")
# Short leases and timers so that recovery happens within a test's patience.
FAST = {"JOBSMITH_LEASE_S": "3", "JOBSMITH_SWEEP_INTERVAL_S": "0.5", "JOBSMITH_SHUTDOWN_GRACE_S": "2",
        "JOBSMITH_SUPERVISE_INTERVAL_S": "0.1", "JOBSMITH_CANCEL_GRACE_S": "1", "JOBSMITH_RESEND_AFTER_S": "2"}
ATTEMPT_LINE = re.compile(r"attempt (\d+) started on \S+ \(worker ([0-9a-f-]+), pid (\d+)\)")


def on_postgres(statement: str) -> None:
    engine = sa.create_engine(PG_URL)
    with engine.begin() as connection:
        connection.execute(sa.text(statement))
    engine.dispose()


class PostgresSchema:
    """A fresh, empty schema; its URL points every connection at it."""

    def __init__(self) -> None:
        self.name = f"c_{uuid.uuid4().hex[:12]}"
        self.url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{self.name}"

    def __enter__(self) -> PostgresSchema:
        on_postgres(f"CREATE SCHEMA {self.name}")
        return self

    def __exit__(self, *_: object) -> None:
        on_postgres(f"DROP SCHEMA {self.name} CASCADE")


class RedisServer:
    """A private redis-server (nothing kept on disk) that a test may stop and start again."""

    def __init__(self, directory: pathlib.Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        with (self.directory / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", str(self.directory)], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True).stdout != b"PONG\n":
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        """Like a crash of the broker: everything it held is lost."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None


class RabbitMQServer:
    """A private RabbitMQ node (its own name, port and data directory) that a test may crash and restart.

    ``rabbitmq-server`` run as root switches to the ``rabbitmq`` user, so the node's directory is
    its own under the system's temporary directory (pytest's are private to root) and handed to
    that user. The node keeps its durable queues across a restart, like a real broker.
    """

    def __init__(self, settings: dict[str, str] | None = None, advanced: str = "[].") -> None:
        self.port, self.dist_port = free_port(), free_port()
        self.node = f"jsmtest{uuid.uuid4().hex[:8]}@localhost"
        self.directory = pathlib.Path(tempfile.mkdtemp(prefix="jsm-rabbitmq-"))
        self.settings = {"listeners.tcp.local": f"127.0.0.1:{self.port}", "loopback_users": "none", **(settings or {})}
        self.advanced = advanced  # Erlang terms, for settings rabbitmq.conf does not take
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def start(self, timeout: float = 60) -> None:
        (self.directory / "mnesia").mkdir(parents=True, exist_ok=True)
        (self.directory / "log").mkdir(exist_ok=True)
        (self.directory / "plugins").write_text("[].\n")
        (self.directory / "rabbitmq.conf").write_text("".join(f"{k} = {v}\n" for k, v in self.settings.items()))
        (self.directory / "advanced.config").write_text(self.advanced + "\n")
        if os.geteuid() == 0:
            shutil.chown(self.directory, "rabbitmq", "rabbitmq")
            for path in self.directory.rglob("*"):
                shutil.chown(path, "rabbitmq", "rabbitmq")
        env = {**os.environ, "RABBITMQ_NODENAME": self.node, "RABBITMQ_DIST_PORT": str(self.dist_port),
               "RABBITMQ_CONFIG_FILE": str(self.directory / "rabbitmq.conf"),
               "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.directory / "advanced.config"),
               "RABBITMQ_MNESIA_BASE": str(self.directory / "mnesia"), "RABBITMQ_LOG_BASE": str(self.directory / "log"),
               "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.directory / "plugins"),
               "RABBITMQ_PID_FILE": str(self.directory / "node.pid")}
        with (self.directory / "server.log").open("ab") as log:
            self.process = subprocess.Popen(["rabbitmq-server"], env=env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        deadline = time.monotonic() + timeout
        while not _accepts(self.port):
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"RabbitMQ node {self.node} did not start: see {self.directory / 'server.log'}")
            time.sleep(0.2)

    def stop(self) -> None:
        """Like a crash of the broker: the node is killed, not shut down."""
        if self.process is None:
            return
        with contextlib.suppress(psutil.Error):
            tree = psutil.Process(self.process.pid)
            for process in [tree, *tree.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    process.kill()
        self.process.wait(10)
        self.process = None

    def log(self) -> str:
        """The node's own log (its file under ``log/``)."""
        found = self.directory / "log" / f"{self.node}.log"
        return found.read_text(errors="replace") if found.exists() else ""

    def remove(self) -> None:
        """Stop the node and delete its data, printing its log's tail for a failing test's report."""
        self.stop()
        log = self.directory / "server.log"
        if log.exists():
            print(log.read_text(errors="replace")[-2000:])
        shutil.rmtree(self.directory, ignore_errors=True)


def _accepts(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


class Process:
    """A jobsmith subprocess in its own session, its output in a log file."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], directory: pathlib.Path) -> None:
        self.name, self.command, self.env = name, command, env
        self.log_path = directory / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.directory = directory

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen([sys.executable, "-m", "jobsmith", *self.command], env=self.env,
                                        stdout=self._log, stderr=subprocess.STDOUT, cwd=self.directory,
                                        start_new_session=True)

    def pids(self) -> set[int]:
        """This process and every descendant (pool processes, job hosts)."""
        try:
            main = psutil.Process(self.pid)
            return {self.pid, *(p.pid for p in main.children(recursive=True))}
        except psutil.Error:
            return set()

    def wait_for_log(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log():
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not log {text!r} within {timeout} s:\n{self.log()}")
            time.sleep(0.1)

    def wait(self, timeout: float) -> int:
        assert self.process is not None
        return self.process.wait(timeout)

    def kill9(self) -> None:
        """kill -9 of the whole worker: the main process, its pool processes and their job hosts."""
        everyone = [psutil.Process(pid) for pid in self.pids()]
        for member in everyone:
            try:
                member.kill()
            except psutil.Error:
                pass
        psutil.wait_procs(everyone, timeout=10)
        self.wait(10)

    def stop(self, timeout: float = 60) -> int | None:
        """SIGTERM (a drain), SIGKILL to the whole session if it takes longer than ``timeout``."""
        if self.process is None:
            return None
        return terminate(self.process, self._log, timeout, whole_session=True)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class Cluster:
    """The README's steps: the environment, ``jobsmith migrate``, ``jobsmith serve``, ``jobsmith worker``s."""

    def __init__(self, directory: pathlib.Path, database_url: str, broker_url: str,
                 env: dict[str, str] | None = None) -> None:
        self.directory = directory
        self.shared = directory / "shared"
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "JOBSMITH_PROCESSES": "tests.support.processes",
                    **FAST, "JOBSMITH_DATABASE_URL": database_url, "JOBSMITH_EXECUTOR": "celery",
                    "JOBSMITH_BROKER_URL": broker_url, "JOBSMITH_STORAGE": str(self.shared), **(env or {})}
        self.server: Process | None = None
        self.workers: list[Process] = []
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def migrate(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "jobsmith", "migrate"], env=self.env, cwd=self.directory,
                              capture_output=True, text=True, timeout=120)

    def serve(self) -> Process:
        self.server = Process("server", ["serve", "--port", str(self.port)], self.env, self.directory)
        self.server.start()
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return self.server
            except httpx.HTTPError:
                pass
            if self.server.process is not None and self.server.process.poll() is not None:
                raise RuntimeError(f"the server exited:\n{self.server.log()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not become ready:\n{self.server.log()}")
            time.sleep(0.1)

    def worker(self, *arguments: str, concurrency: int = 2, env: dict[str, str] | None = None,
               ready: bool = True) -> Process:
        name = f"worker{len(self.workers) + 1}"
        process = Process(name, ["worker", "--concurrency", str(concurrency), *arguments],
                          {**self.env, **(env or {})}, self.directory)
        process.start()
        self.workers.append(process)
        if ready:
            process.wait_for_log("jobsmith worker ready")
        return process

    def start(self, workers: int = 2, concurrency: int = 2) -> Cluster:
        """Every step of the README, in its order."""
        self.shared.mkdir(parents=True, exist_ok=True)
        done = self.migrate()
        assert done.returncode == 0, done.stdout + done.stderr
        self.serve()
        for _ in range(workers):
            self.worker(concurrency=concurrency, ready=False)
        for process in self.workers:
            process.wait_for_log("jobsmith worker ready")
        return self

    def stop(self) -> None:
        for process in [*self.workers, *([self.server] if self.server else [])]:
            process.stop(timeout=30)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=15)

    def logs(self) -> str:
        parts = [self.server, *self.workers] if self.server else self.workers
        return "\n".join(f"===== {p.name}\n{p.log()[-6000:]}" for p in parts)


def submit(client: httpx.Client, process: str, **body: Any) -> str:
    """Create a job; the answer must be a 201 whatever the broker does."""
    response = client.post("/v1/jobs", json={"process": process, **body})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def attempts_of(client: httpx.Client, job_id: str) -> list[tuple[int, str, int]]:
    """``(attempt, worker id, pid)`` of every attempt, as the job's log tells them."""
    return [(int(a), w, int(p)) for a, w, p in ATTEMPT_LINE.findall(client.get(f"/v1/jobs/{job_id}/log").text)]


def owner_of(pid: int, processes: list[Process]) -> Process | None:
    """Which of ``processes`` ran a job whose runner had ``pid``, judged by the pids seen while it ran."""
    for candidate in processes:
        if pid in candidate.pids():
            return candidate
    return None


def live(pids: Iterator[int] | set[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
        except psutil.Error:
            continue
    return alive


class PrivatePostgres:
    """A PostgreSQL server of its own (initdb in a temporary directory, trust auth, fsync off) that a test
    may stop and start again without disturbing anyone else's database."""

    BIN = pathlib.Path("/usr/lib/postgresql")

    def __init__(self) -> None:
        self.port = free_port()
        self.directory = pathlib.Path(tempfile.mkdtemp(prefix="jobsmith-pg-", dir="/tmp"))
        shutil.chown(self.directory, "postgres")
        versions = sorted(self.BIN.glob("*/bin/pg_ctl"))
        if not versions:
            raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql")
        self.bin = versions[-1].parent

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, *command: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True, capture_output=True, timeout=60)

    def init(self) -> PrivatePostgres:
        self._as_postgres(str(self.bin / "initdb"), "-D", str(self.directory / "data"), "-A", "trust", "-U", "postgres")
        return self.start()

    def start(self) -> PrivatePostgres:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.directory / "data"), "-o", options,
                          "-l", str(self.directory / "log"), "-w", "start")
        return self

    def stop(self) -> None:
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.directory / "data"), "-m", "fast", "-w", "stop")

    def log(self) -> str:
        """The server's log (the file ``pg_ctl -l`` writes)."""
        found = self.directory / "log"
        return found.read_text(errors="replace") if found.exists() else ""

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)
