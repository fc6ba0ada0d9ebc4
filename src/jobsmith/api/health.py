"""Liveness, readiness and Prometheus metrics. No authentication on health probes."""

from __future__ import annotations

import os
from collections.abc import Iterator

import anyio.to_thread

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from jobsmith.api.deps import CallerDep, ServiceDep
from jobsmith.service import operations

router = APIRouter(tags=["health"])


@router.head("/healthz", include_in_schema=False)
@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> dict[str, str]:  # async: answered on the event loop, no hop to a thread
    return {"status": "ok"}


@router.head("/readyz", include_in_schema=False)
@router.get("/readyz", summary="Readiness: database and storage reachable",
            responses={503: {"description": "a dependency is down"}})
async def readyz(service: ServiceDep) -> JSONResponse:
    problems = await service.operations.problems()
    if problems:
        return JSONResponse({"status": "unavailable", "problems": problems}, status_code=503,
                            headers={"Retry-After": "5"})
    return JSONResponse({"status": "ready"})


class JobsCollector:
    """The figures read from the database at scrape time, so every process and machine agrees."""

    def __init__(self, figures: operations.Figures) -> None:
        self.figures = figures

    def collect(self) -> Iterator[Metric]:
        stats = self.figures.stats
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
        yield GaugeMetricFamily("jobsmith_maintenance_paused", "1 while claiming is paused.",
                                value=int(self.figures.paused))
        yield GaugeMetricFamily("jobsmith_local_workers", "Worker processes of this server.",
                                value=self.figures.local_workers)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(service: ServiceDep, _: CallerDep) -> Response:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(JobsCollector(await anyio.to_thread.run_sync(service.operations.figures)))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST,
                    headers={"X-Server-Pid": str(os.getpid())})
