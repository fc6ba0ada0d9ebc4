"""Polling helpers for tests: wait for what a user would wait for, with a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

FINAL = {"COMPLETED", "FAILED", "CANCELLED", "DELETED"}


def until(check: Callable[[], Any], timeout: float = 20.0, interval: float = 0.05, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def job_state(client: httpx.Client | Any, job_id: str, states: set[str], timeout: float = 20.0) -> dict[str, Any]:
    """Poll the job until its state is one of ``states``; returns the job view."""

    def check() -> dict[str, Any] | None:
        view: dict[str, Any] = client.get(f"/v1/jobs/{job_id}").json()
        return view if view["state"] in states else None

    result: dict[str, Any] = until(check, timeout, what=f"job {job_id} to reach {sorted(states)}")
    return result


def final(client: httpx.Client | Any, job_id: str, timeout: float = 20.0) -> dict[str, Any]:
    return job_state(client, job_id, FINAL, timeout)
