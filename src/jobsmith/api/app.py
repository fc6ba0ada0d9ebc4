"""The FastAPI application: the service opened in the lifespan, the faces' routers, one error mapping."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI

import jobsmith
from jobsmith import runtime
from jobsmith.api import docs, health
from jobsmith.api import errors as api_errors
from jobsmith.api.dataspace import routes as dataspace
from jobsmith.api.native import datasets, jobs, maintenance, processes, targets
from jobsmith.api.worker import routes as worker
from jobsmith.config import Settings
from jobsmith.service import core, executors

log = logging.getLogger(__name__)

DESCRIPTION = """A job service for data work. Create a job for a process, upload its input files,
poll its state while it runs in the background, then download the results.

Errors are `{"detail": "<sentence>", "code": "<machine code>"}` with a fitting status."""


def create_app(settings: Settings, executor: executors.Executor) -> FastAPI:
    """Build the app around ``executor``, which runs the jobs it queues (the server's own worker
    processes, or announcements to a cluster's workers): the API knows nothing of how. Nothing is
    read at import; the database is opened in the lifespan.
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = runtime.open_runtime(settings, runtime.Role.API)
        service = core.Service.open(opened, executor)
        app.state.service = service
        await service.start()
        try:
            yield
        finally:
            await service.stop()
            opened.close()

    app = FastAPI(title="jobsmith", version=jobsmith.__version__, description=DESCRIPTION, lifespan=lifespan,
                  openapi_url=None, docs_url=None, redoc_url=None)  # served by api.docs, behind the API keys
    api_errors.install(app)
    api_errors.document(app)
    for router in (jobs.router, targets.router, datasets.router, processes.router, maintenance.router, dataspace.router, worker.router, health.router, docs.router):
        app.include_router(router)
    return app
