"""Liveness, readiness and Prometheus metrics. No authentication on health probes."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from jobsmith.api.deps import CallerDep, Services, ServicesDep
from jobsmith.domain import errors

router = APIRouter(tags=["health"])


@router.head("/healthz", include_in_schema=False)
@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> dict[str, str]:  # async: answered on the event loop, no hop to a thread
    return {"status": "ok"}


@router.head("/readyz", include_in_schema=False)
@router.get("/readyz", summary="Readiness: database and storage reachable",
            responses={503: {"description": "a dependency is down"}})
def readyz(services: ServicesDep) -> JSONResponse:
    problems = []
    try:
        services.database.ping()
    except errors.JobsmithError as exc:
        problems.append(f"database: {exc.detail}")
    try:
        with tempfile.NamedTemporaryFile(dir=services.blobs.root, prefix=".ready-"):
            pass
    except OSError as exc:
        problems.append(f"storage: {exc.strerror}")
    if problems:
        return JSONResponse({"status": "unavailable", "problems": problems}, status_code=503,
                            headers={"Retry-After": "5"})
    return JSONResponse({"status": "ready"})


class JobsCollector:
    """Reads the figures from the database at scrape time, so every process and machine agrees."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self) -> Iterator[Metric]:
        stats = self.services.admin.stats()
        jobs = GaugeMetricFamily("jobsmith_jobs", "Jobs by state.", labels=["state"])
        for state, count in stats.by_state.items():
            jobs.add_metric([state], count)
        yield jobs
        yield GaugeMetricFamily("jobsmith_queue_depth", "Jobs waiting to be claimed.",
                                value=stats.by_state.get("QUEUED", 0))
        buckets = [(str(bound), count) for bound, count in stats.duration_buckets]
        buckets.append(("+Inf", stats.duration_count))
        yield HistogramMetricFamily("jobsmith_job_duration_seconds", "Run time of finished jobs.",
                                    buckets=buckets, sum_value=stats.duration_sum)
        paused = self.services.admin.maintenance().paused
        yield GaugeMetricFamily("jobsmith_maintenance_paused", "1 while claiming is paused.", value=int(paused))
        yield GaugeMetricFamily("jobsmith_local_workers", "Worker processes of this server.",
                                value=self.services.settings.workers)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(services: ServicesDep, _: CallerDep) -> Response:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(JobsCollector(services))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST,
                    headers={"X-Server-Pid": str(os.getpid())})
