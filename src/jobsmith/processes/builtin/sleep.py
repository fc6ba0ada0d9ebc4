"""``sleep``: waits (or keeps a core busy), reporting progress; for trying a setup and load tests.

It waits in slices of at most :data:`SLICE_S` so that a cancel is seen within a tenth of a second,
which makes it the process of choice for testing cancel, timeouts and worker supervision.
"""

from __future__ import annotations

import json
import time

import pydantic

from jobsmith.processes import context, registry

SLICE_S = 0.05


class SleepParameters(pydantic.BaseModel):
    """How long to take, and whether to burn CPU (to test CPU limits and supervision) meanwhile."""

    model_config = pydantic.ConfigDict(extra="forbid", json_schema_extra={"examples": [{"seconds": 2.5}]})

    seconds: float = pydantic.Field(default=1.0, ge=0, le=86400, description="How long to take.")
    cpu: bool = pydantic.Field(default=False, description="Keep a core busy instead of sleeping.")


@registry.process("sleep", title="Wait a while", version="1.0.0", parameters=SleepParameters,
                  outputs=["sleep.json"], steps=["sleep"])
def sleep(ctx: context.JobContext) -> None:
    """Waits ``seconds`` (with ``cpu: true`` computes instead), reporting progress; stops when cancelled.

    With ``seconds: 0`` it enters no step (its declared ``sleep`` step ends ``skip``) and only writes
    ``sleep.json``: throughput benchmarks use it to measure the service's own cost per job, which
    nothing else should blur.
    """
    params = _parameters(ctx)
    started = time.monotonic()
    if params.seconds > 0:
        with ctx.step("sleep"):
            _wait(ctx, params, started)
    slept = time.monotonic() - started
    (ctx.output_dir / "sleep.json").write_text(
        json.dumps({"seconds": params.seconds, "cpu": params.cpu, "slept": round(slept, 3)}))


def _parameters(ctx: context.JobContext) -> SleepParameters:
    params = ctx.parameters
    if not isinstance(params, SleepParameters):
        raise TypeError(f"sleep expects SleepParameters, got {type(params).__name__}")
    return params


def _wait(ctx: context.JobContext, params: SleepParameters, started: float) -> None:
    """Wait slice by slice until ``seconds`` passed; raise :class:`context.Cancelled` on a cancel."""
    end = started + params.seconds
    while (now := time.monotonic()) < end:
        if ctx.cancelled():
            ctx.log.info("cancelled after %.2f of %.2f seconds", now - started, params.seconds)
            raise context.Cancelled("the job was asked to stop")
        if params.cpu:
            _spin(min(SLICE_S, end - now))
        else:
            time.sleep(min(SLICE_S, end - now))
        ctx.progress(min(1.0, (time.monotonic() - started) / params.seconds))


def _spin(seconds: float) -> None:
    """Busy arithmetic for ``seconds``: a stand-in for CPU-heavy work."""
    end = time.monotonic() + seconds
    total = 0
    while time.monotonic() < end:
        total += sum(i * i for i in range(1000))
