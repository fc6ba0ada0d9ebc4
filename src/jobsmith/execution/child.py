"""The job host: a child forked from a worker that runs jobs and reports by pipe.

It touches no database and no lease: everything it reports goes to its supervising parent over a
pipe (the messages of :mod:`jobsmith.execution.messages`), and the parent records it with its lease
token. It runs in its own process group, so that cancel and timeouts can stop it (and anything a
job started) as a whole, and it dies with its parent. A host runs one job at a time and may run
many in turn: forking once per job would cost more than most small jobs. The parent retires a host
(kills its group and forks a new one) after any job that did not end cleanly, that left processes
behind, or after ``MAX_JOBS`` jobs. It always leaves through ``os._exit``: no inherited connection
is closed from here.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import time
import traceback
from multiprocessing.connection import Connection
from typing import NoReturn

from jobsmith.domain import states
from jobsmith.execution import messages, osproc
from jobsmith.processes import context, registry
from jobsmith.store import joblog

PROGRESS_EVERY_S = 0.2


class PipeReporter:
    """Sends steps at once and progress at most every :data:`PROGRESS_EVERY_S` seconds."""

    def __init__(self, pipe: Connection) -> None:
        self._pipe = pipe
        self._last_progress = 0.0

    def step(self, position: int, name: str, state: states.StepState, at: dt.datetime,
             message: str | None) -> None:
        self._pipe.send(messages.Step(position, name, state, message, at))

    def progress(self, fraction: float) -> None:
        now = time.monotonic()
        if now - self._last_progress >= PROGRESS_EVERY_S or fraction >= 1.0:
            self._last_progress = now
            self._pipe.send(messages.Progress(float(fraction)))


class _StopFlag:
    """Set by SIGTERM: the job should stop; cleared before each job."""

    def __init__(self) -> None:
        self.raised = False

    def __call__(self) -> bool:
        return self.raised

    def on_signal(self, _signum: int, _frame: object) -> None:
        self.raised = True


def serve(processes: registry.Registry, pipe: Connection) -> NoReturn:
    """Entry point of the forked host: run each job received until told to stop (``None``)."""
    os.setpgid(0, 0)
    osproc.die_with_parent()
    stop = _StopFlag()
    signal.signal(signal.SIGTERM, stop.on_signal)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            spec: messages.ChildSpec | None = pipe.recv()
        except (EOFError, OSError):
            break
        if spec is None:
            break
        stop.raised = False
        pipe.send(run_job(processes, spec, pipe, stop))
    os._exit(0)


def run_job(processes: registry.Registry, spec: messages.ChildSpec, pipe: Connection,
            stop: _StopFlag) -> messages.Outcome:
    """Run one job to its outcome; steps and progress go to ``pipe`` meanwhile. Never raises."""
    handler = joblog.Handler(spec.log_path)
    logger = logging.getLogger(f"jobsmith.job.{spec.job_id}")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    ctx: context.JobContext | None = None
    try:
        process = processes.get(spec.process_id)
        ctx = context.JobContext(
            job_id=spec.job_id, inputs=spec.inputs, parameters=process.validate_parameters(spec.parameters),
            metadata=spec.metadata, output_dir=spec.output_dir, work_dir=spec.work_dir, logger=logger,
            reporter=PipeReporter(pipe), cancelled=stop, declared_steps=process.steps)
        handler.addFilter(ctx.tag_step)
        process.function(ctx)
        return messages.Done()
    except context.Cancelled:
        logger.info("the process stopped on request")
        return messages.Cancelled()
    except BaseException as exc:  # noqa: BLE001 - every failure must reach the parent
        logger.error("the process failed:\n%s", traceback.format_exc().rstrip(),
                     extra={"jobsmith_step": ctx.step_left_by(exc) if ctx else None})
        message = str(exc).strip() or type(exc).__name__
        reason = message if isinstance(exc, context.JobFailed) else f"{type(exc).__name__}: {message}"
        return messages.Failed(reason, isinstance(exc, context.RetryableError))
    finally:
        logger.removeHandler(handler)
        handler.close()
        logging.Logger.manager.loggerDict.pop(logger.name, None)
