"""Shared fixtures: settings in a temp dir, the real app on a live server, a migrated database.

Every database-backed test runs twice: on the embedded SQLite and on the real PostgreSQL at
``JOBSMITH_TEST_POSTGRES_URL`` (default: 127.0.0.1:5432, database ``test``), each test in a
fresh schema. The PostgreSQL runs are marked ``services``.
"""

from __future__ import annotations

import os
import pathlib
import socket
import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa
import uvicorn

from jobsmith.api.app import create_app
from jobsmith.cli.serve import executor_for
from jobsmith.config import Settings
from jobsmith.store import migrate
from jobsmith.store.database import Database

ROOT = pathlib.Path(__file__).resolve().parent.parent
TEST_PROCESSES = "tests.support.processes"
PG_URL = os.environ.get("JOBSMITH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _on_postgres(statement: str) -> None:
    engine = sa.create_engine(PG_URL)
    with engine.begin() as connection:
        connection.execute(sa.text(statement))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None means the embedded SQLite default; PostgreSQL gets a fresh migrated schema per test."""
    if request.param == "sqlite":
        yield None
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    _on_postgres(f"CREATE SCHEMA {schema}")
    url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    database = Database(url)
    migrate.upgrade(database.engine)
    database.dispose()
    yield url
    _on_postgres(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def settings(tmp_path: pathlib.Path, database_url: str | None) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", database_url=database_url, workers=2, processes=TEST_PROCESSES,
        lease_s=3, supervise_interval_s=0.1, cancel_grace_s=1, shutdown_grace_s=2, poll_interval_s=0.2,
        sweep_interval_s=0.5, max_upload_mb=5,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def client(settings: Settings) -> Iterator[httpx.Client]:
    """The real app on a live uvicorn (in a thread of this process) with its real worker processes."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, executor_for(settings)), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        yield http
    server.should_exit = True
    thread.join(60)


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    """A migrated database (SQLite file, or a fresh PostgreSQL schema) without any server."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url)
    migrate.upgrade(db.engine)
    yield db
    db.dispose()
