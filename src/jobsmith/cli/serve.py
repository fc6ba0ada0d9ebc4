"""``jobsmith serve``: the API under uvicorn, with the executor the settings name."""

from __future__ import annotations

import logging

import uvicorn

from jobsmith import runtime
from jobsmith.api.app import create_app
from jobsmith.config import Settings
from jobsmith.service.executors import Executor

log = logging.getLogger("jobsmith")


def announce(settings: Settings) -> None:
    """Say where the service listens and whether it is protected, before it starts."""
    keys = settings.parsed_api_keys()
    where = f"http://{settings.host}:{settings.port}"
    runs = (f"{settings.workers} local worker(s)" if settings.executor == "local"
            else "no jobs here: they go to `jobsmith worker`s through the broker")
    log.warning("jobsmith %s: API %s (docs %s/docs), data in %s, %s",
                "embedded" if settings.is_embedded_db else "external database", where, where,
                settings.data_dir.resolve(), runs)
    if not keys:
        if settings.host in ("127.0.0.1", "localhost", "::1"):
            log.warning("no API keys configured (JOBSMITH_API_KEYS): listening on %s only, "
                        "so only this machine can reach the service", settings.host)
        else:
            log.warning("no API keys configured (JOBSMITH_API_KEYS) and listening on %s: anyone who can reach "
                        "this port can create, read and delete jobs", settings.host)


def executor_for(settings: Settings) -> Executor:
    """Local worker processes of this server, or (cluster mode) announcements to `jobsmith worker`s."""
    if settings.executor == "celery":
        from jobsmith.execution.celery_executor import CeleryExecutor  # Celery loads only in cluster mode

        return CeleryExecutor(settings)
    from jobsmith.execution.local import LocalExecutor

    return LocalExecutor(settings)


def run(settings: Settings) -> None:
    """Serve until stopped. SIGTERM drains: no new claims, running jobs get their grace period."""
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    announce(settings)
    try:  # refuse to start on a schema of another version, with the command to run, not a traceback
        runtime.ensure_schema(settings, runtime.Role.API)
    except runtime.SchemaMismatch as problem:
        log.error("%s", problem)
        raise SystemExit(2) from None
    uvicorn.run(create_app(settings, executor_for(settings)), host=settings.host, port=settings.port,
                log_level=settings.log_level, access_log=False, timeout_graceful_shutdown=5)
