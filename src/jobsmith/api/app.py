"""The FastAPI application: resources opened in the lifespan, routers, one error mapping."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI

import jobsmith
from jobsmith.api import errors as api_errors
from jobsmith.api import dataspace, docs, health, jobs, maintenance, processes
from jobsmith.api.changes import ChangeFeed
from jobsmith.api.deps import Services
from jobsmith.config import Settings
from jobsmith.runtime import Role, Runtime, open_runtime
from jobsmith.service.executors import Executor
from jobsmith.store import admin, notices, repository

log = logging.getLogger(__name__)

DESCRIPTION = """A job service for data work. Create a job for a process, upload its input files,
poll its state while it runs in the background, then download the results.

Errors are `{"detail": "<sentence>", "code": "<machine code>"}` with a fitting status."""


def build_services(runtime: Runtime, executor: Executor, changes: ChangeFeed) -> Services:
    database = runtime.database
    return Services(
        settings=runtime.settings, database=database, jobs=repository.Repository(database),
        admin=admin.Admin(database), blobs=runtime.blobs, processes=runtime.processes,
        executor=executor, api_keys=runtime.settings.parsed_api_keys(), changes=changes)


def create_app(settings: Settings, executor: Executor) -> FastAPI:
    """Build the app around ``executor``, which runs the jobs it queues (the server's own worker
    processes, or announcements to a cluster's workers): the API knows nothing of how. Nothing is
    read at import; the database is opened in the lifespan.
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        changes = ChangeFeed()
        changes.bind(asyncio.get_running_loop())
        runtime = open_runtime(settings, Role.API)
        services = build_services(runtime, executor, changes)
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
            runtime.close()

    app = FastAPI(title="jobsmith", version=jobsmith.__version__, description=DESCRIPTION, lifespan=lifespan,
                  openapi_url=None, docs_url=None, redoc_url=None)  # served by api.docs, behind the API keys
    api_errors.install(app)
    api_errors.document(app)
    for router in (jobs.router, processes.router, maintenance.router, dataspace.router, health.router, docs.router):
        app.include_router(router)
    return app
