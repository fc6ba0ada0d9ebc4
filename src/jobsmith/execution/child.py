"""The job's own process: forked from a worker, runs the process function, reports by pipe.

It touches no database and no lease: everything it reports goes to its supervising parent over
a pipe, and the parent records it with its lease token. It runs in its own process group so that
cancel and timeouts can stop it (and anything it started) as a whole, and it dies with its
parent. It always leaves through ``os._exit``: no inherited connection is closed from here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import pathlib
import signal
import time
import traceback
from multiprocessing.connection import Connection
from typing import Any, NoReturn

from jobsmith.domain import states
from jobsmith.execution import osproc
from jobsmith.processes import context, registry

PROGRESS_EVERY_S = 0.2


@dataclasses.dataclass(frozen=True)
class ChildSpec:
    job_id: str
    process: registry.Process
    parameters: dict[str, Any]
    metadata: dict[str, Any]
    inputs: dict[str, list[pathlib.Path]]
    output_dir: pathlib.Path
    work_dir: pathlib.Path
    log_path: pathlib.Path


class PipeReporter:
    """Sends steps at once and progress at most every :data:`PROGRESS_EVERY_S` seconds."""

    def __init__(self, pipe: Connection) -> None:
        self._pipe = pipe
        self._last_progress = 0.0

    def step(self, position: int, name: str, state: states.StepState, at: dt.datetime,
             message: str | None) -> None:
        self._pipe.send(("step", position, name, state.value, message))

    def progress(self, fraction: float) -> None:
        now = time.monotonic()
        if now - self._last_progress >= PROGRESS_EVERY_S or fraction >= 1.0:
            self._last_progress = now
            self._pipe.send(("progress", float(fraction)))


def _job_logger(path: pathlib.Path) -> logging.Logger:
    logger = logging.getLogger("jobsmith.job")
    logger.handlers.clear()
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger


def main(spec: ChildSpec, pipe: Connection) -> NoReturn:
    """Entry point of the forked child: run the process and report how it ended."""
    os.setpgid(0, 0)
    osproc.die_with_parent()
    stop_requested = False

    def on_term(_signum: int, _frame: object) -> None:
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logger = _job_logger(spec.log_path)
    code = 0
    try:
        ctx = context.JobContext(
            job_id=spec.job_id, inputs=spec.inputs,
            parameters=spec.process.validate_parameters(spec.parameters), metadata=spec.metadata,
            output_dir=spec.output_dir, work_dir=spec.work_dir, logger=logger,
            reporter=PipeReporter(pipe), cancelled=lambda: stop_requested)
        spec.process.function(ctx)
        pipe.send(("done",))
    except context.Cancelled:
        logger.info("the process stopped on request")
        pipe.send(("cancelled",))
    except BaseException as exc:  # noqa: BLE001 - every failure must reach the parent
        logger.error("the process failed:\n%s", traceback.format_exc().rstrip())
        message = str(exc).strip() or type(exc).__name__
        pipe.send(("error", f"{type(exc).__name__}: {message}", isinstance(exc, context.RetryableError)))
        code = 1
    finally:
        logging.shutdown()
        pipe.close()
    os._exit(code)
