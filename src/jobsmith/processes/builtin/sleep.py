"""``sleep``: waits (or keeps a core busy), reporting progress; for trying a setup and load tests."""

from __future__ import annotations

import json
import time

import pydantic

from jobsmith.processes import context, registry

SLICE_S = 0.05


class SleepParameters(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    seconds: float = pydantic.Field(default=1.0, ge=0, le=86400, description="How long to take.")
    cpu: bool = pydantic.Field(default=False, description="Keep a core busy instead of sleeping.")


@registry.process("sleep", title="Wait a while", version="1.0.0", parameters=SleepParameters,
                  outputs=["sleep.json"])
def sleep(ctx: context.JobContext) -> None:
    """Waits ``seconds`` (with ``cpu: true`` computes instead), reporting progress; stops when cancelled."""
    params = ctx.parameters
    assert isinstance(params, SleepParameters)
    started = time.monotonic()
    if params.seconds > 0:
        with ctx.step("sleep"):
            _wait(ctx, params, started)
    slept = time.monotonic() - started
    (ctx.output_dir / "sleep.json").write_text(
        json.dumps({"seconds": params.seconds, "cpu": params.cpu, "slept": round(slept, 3)}))


def _wait(ctx: context.JobContext, params: SleepParameters, started: float) -> None:
    end = started + params.seconds
    while (now := time.monotonic()) < end:
        ctx.check_cancelled()
        if params.cpu:
            _spin(min(SLICE_S, end - now))
        else:
            time.sleep(min(SLICE_S, end - now))
        ctx.progress((time.monotonic() - started) / params.seconds)


def _spin(seconds: float) -> None:
    """Busy arithmetic for ``seconds``: a stand-in for CPU-heavy work."""
    end = time.monotonic() + seconds
    total = 0
    while time.monotonic() < end:
        total += sum(i * i for i in range(1000))
