"""Shared fixtures: settings in a temp dir, the real app in-process, a real server subprocess.

``JOBSMITH_TEST_DATABASE_URL`` runs the database-backed tests against that database instead of
a fresh SQLite file (CI runs the suite once more with PostgreSQL this way).
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
from jobsmith.config import Settings
from jobsmith.store import migrate
from jobsmith.store.database import Database

ROOT = pathlib.Path(__file__).resolve().parent.parent
TEST_PROCESSES = "tests.support.processes"
PG_URL = os.environ.get("JOBSMITH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def fresh_postgres_url(base: str) -> str:
    """A new, empty schema-less database per test run would be slow; a fresh schema is cheap."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(base)
    with engine.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}"


def database_url(tmp_path: pathlib.Path) -> str | None:
    """None means the embedded SQLite default; a PostgreSQL URL gets its own migrated schema."""
    base = os.environ.get("JOBSMITH_TEST_DATABASE_URL")
    if not base:
        return None
    url = fresh_postgres_url(base)
    database = Database(url)
    migrate.upgrade(database.engine)
    database.dispose()
    return url


@pytest.fixture
def settings(tmp_path: pathlib.Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", database_url=database_url(tmp_path), workers=2, processes=TEST_PROCESSES,
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
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
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
