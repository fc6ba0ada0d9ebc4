"""Processes used only by the tests: they fail, crash, ignore cancel, hog memory or run quickly."""

from __future__ import annotations

import os
import signal
import time

import pydantic

from jobsmith.processes import context, registry


class Seconds(pydantic.BaseModel):
    seconds: float = 30.0


@registry.process("test-fail", title="Raises an error")
def fail(ctx: context.JobContext) -> None:
    with ctx.step("about to fail"):
        ctx.log.info("this line is in the log before the failure")
        raise ValueError("the data is not what this process expects")


@registry.process("test-crash", title="Dies without a word")
def crash(ctx: context.JobContext) -> None:
    with ctx.step("crash"):
        os.kill(os.getpid(), signal.SIGKILL)


@registry.process("test-ignore-cancel", title="Busy in a loop that never checks for cancel",
                  parameters=Seconds)
def ignore_cancel(ctx: context.JobContext) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    end = time.monotonic() + ctx.parameters.seconds  # type: ignore[attr-defined]
    with ctx.step("spin"):
        while time.monotonic() < end:
            sum(range(10_000))


class Hog(pydantic.BaseModel):
    megabytes: int = 2048


@registry.process("test-memory-hog", title="Allocates memory until stopped", parameters=Hog)
def memory_hog(ctx: context.JobContext) -> None:
    blocks = []
    with ctx.step("allocate"):
        for _ in range(ctx.parameters.megabytes):  # type: ignore[attr-defined]
            blocks.append(bytearray(1024 * 1024))
            time.sleep(0.002)
        time.sleep(30)


@registry.process("test-retryable", title="Fails with a retryable error on its first attempt")
def retryable(ctx: context.JobContext) -> None:
    marker = ctx.output_dir.parent / "tried-once"
    if not marker.exists():
        marker.write_text("x")
        raise context.RetryableError("a flaky dependency did not answer")
    (ctx.output_dir / "ok.txt").write_text("second attempt worked\n")


@registry.process("test-files", title="Needs two uploaded files",
                  inputs=[registry.FileInput("left"), registry.FileInput("right")])
def two_files(ctx: context.JobContext) -> None:
    with ctx.step("concatenate"):
        out = ctx.output_dir / "both.txt"
        with out.open("wb") as handle:
            for path in ctx.input_files:
                handle.write(path.read_bytes())
        (ctx.output_dir / "nested").mkdir()
        (ctx.output_dir / "nested" / "count.txt").write_text(str(len(ctx.input_files)))


@registry.process("test-many", title="Takes any number of files; queued explicitly",
                  inputs=[registry.FileInput("files", multiple=True)])
def many_files(ctx: context.JobContext) -> None:
    names = sorted(p.name for p in ctx.input_files)
    (ctx.output_dir / "names.txt").write_text("\n".join(names) + "\n")


@registry.process("test-noop", title="Does nothing, at once")
def noop(ctx: context.JobContext) -> None:
    (ctx.output_dir / "ok.txt").write_text("ok\n")


@registry.process("test-leave-orphan", title="Starts a background process and returns without waiting")
def leave_orphan(ctx: context.JobContext) -> None:
    import subprocess

    child = subprocess.Popen(["sleep", "300"])
    (ctx.output_dir / "pid.txt").write_text(str(child.pid))


@registry.process("test-exclusive", title="One active job per target; waits for its file",
                  inputs=[registry.FileInput("data")], exclusive=True)
def exclusive(ctx: context.JobContext) -> None:
    (ctx.output_dir / "done.txt").write_text("done\n")


class Stepping(pydantic.BaseModel):
    gate: str = ""
    """A file the ``work`` step waits for (up to 30 s), so a test can look at the job mid-run."""
    fail: bool = False
    lines: int = 0


@registry.process("test-steps", title="Declares three steps and enters two", parameters=Stepping,
                  steps=["prepare", "work", "publish"])
def stepping(ctx: context.JobContext) -> None:
    params: Stepping = ctx.parameters  # type: ignore[assignment]
    ctx.log.info("before any step")
    with ctx.step("prepare") as step:
        for number in range(params.lines):
            ctx.log.debug("debug line %d", number)  # below the job logger's level: never written
            ctx.log.info("line %d", number)
        ctx.log.warning("a warning in prepare")
        step.message = "prepared"
    with ctx.step("work"):
        deadline = time.monotonic() + 30
        while params.gate and not os.path.exists(params.gate) and time.monotonic() < deadline:
            ctx.check_cancelled()
            time.sleep(0.02)
        try:
            raise KeyError("missing")
        except KeyError:
            ctx.log.exception("a handled error, logged with its traceback")
        if params.fail:
            raise ValueError("work went wrong")
    (ctx.output_dir / "ok.txt").write_text("ok\n")
