"""The FastAPI application: resources opened in the lifespan, routers, one error mapping."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from fastapi import FastAPI

import jobsmith
from jobsmith.api import errors as api_errors
from jobsmith.api import dataspace, docs, health, jobs, maintenance, processes
from jobsmith.api.changes import ChangeFeed
from jobsmith.api.deps import Executor, Services
from jobsmith.config import Settings
from jobsmith.domain import errors
from jobsmith.execution.local import LocalExecutor
from jobsmith.processes import registry
from jobsmith.store import admin, blobs, migrate, notices, repository
from jobsmith.store.database import Database

if TYPE_CHECKING:
    from jobsmith.execution.celery_executor import CeleryExecutor

log = logging.getLogger(__name__)

DESCRIPTION = """A job service for data work. Create a job for a process, upload its input files,
poll its state while it runs in the background, then download the results.

Errors are `{"detail": "<sentence>", "code": "<machine code>"}` with a fitting status."""


def open_database(settings: Settings) -> Database:
    """The embedded SQLite database migrates itself; an external one must already be current."""
    if settings.is_embedded_db:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = Database(settings.resolved_database_url)
    if settings.is_embedded_db:
        migrate.upgrade(database.engine)
    else:
        found, wanted = migrate.current(database.engine), migrate.head()
        if found != wanted:
            database.dispose()
            raise errors.Unavailable(
                f"the database schema is at {found or 'nothing'}, this jobsmith needs {wanted}: "
                "run 'jobsmith migrate' with the same JOBSMITH_DATABASE_URL")
    return database


def build_services(settings: Settings, executor: Executor, changes: ChangeFeed) -> Services:
    database = open_database(settings)
    return Services(
        settings=settings, database=database, jobs=repository.Repository(database), admin=admin.Admin(database),
        blobs=blobs.BlobStore(settings.resolved_storage), processes=registry.load(settings.processes),
        executor=executor, api_keys=settings.parsed_api_keys(), changes=changes)


def _executor(settings: Settings) -> LocalExecutor | CeleryExecutor:
    """Local worker processes of this server, or (cluster mode) announcements to `jobsmith worker`s."""
    if settings.executor == "celery":
        from jobsmith.execution.celery_executor import CeleryExecutor  # Celery loads only in cluster mode

        return CeleryExecutor(settings)
    return LocalExecutor(settings)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app. ``settings`` default to the environment; nothing is read at import."""
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        executor = _executor(settings)
        changes = ChangeFeed()
        changes.bind(asyncio.get_running_loop())
        services = build_services(settings, executor, changes)
        app.state.services = services
        executor.start(on_change=changes.publish)
        listener = None
        if services.database.dialect == "postgresql":  # changes made on other machines, as they commit
            listener = notices.NoticeListener(settings.resolved_database_url, changes.publish)
            listener.start()
        try:
            yield
        finally:
            if listener is not None:
                await asyncio.to_thread(listener.stop)
            await executor.stop()
            services.database.dispose()

    app = FastAPI(title="jobsmith", version=jobsmith.__version__, description=DESCRIPTION, lifespan=lifespan,
                  openapi_url=None, docs_url=None, redoc_url=None)  # served by api.docs, behind the API keys
    api_errors.install(app)
    api_errors.document(app)
    for router in (jobs.router, processes.router, maintenance.router, dataspace.router, health.router, docs.router):
        app.include_router(router)
    return app
