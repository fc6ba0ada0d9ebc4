"""``jobsmith profile FILE``: the same analysis as the ``profile`` process, locally, with no server.

The process runs with a :class:`~jobsmith.processes.context.JobContext` whose reports go to a Rich
progress display instead of a supervisor, and whose log goes to ``<output>/profile.log``, so a
person sees the steps as they happen and keeps a record of how every figure was obtained.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import pathlib
import tempfile
from collections.abc import Iterator
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn, TimeElapsedColumn

from jobsmith.domain import states
from jobsmith.processes import context


class ProgressReporter:
    """Shows the running step and the fraction done on a Rich progress bar."""

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self._progress, self._task = progress, task

    def step(self, position: int, name: str, state: states.StepState, at: dt.datetime,
             message: str | None) -> None:
        text = name if state == states.StepState.RUNNING else f"{name}: {message or state.value}"
        self._progress.update(self._task, step=text)
        if state != states.StepState.RUNNING:
            self._progress.console.print(f"  {name}: {state.value}" + (f" ({message})" if message else ""),
                                         markup=False, highlight=False)

    def progress(self, fraction: float) -> None:
        self._progress.update(self._task, total=1.0, completed=max(0.0, min(1.0, fraction)))


@contextlib.contextmanager
def _file_logger(path: pathlib.Path) -> Iterator[logging.Logger]:
    logger = logging.getLogger(f"jobsmith.profile.local.{id(path)}")
    logger.propagate, logger.level = False, logging.INFO
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    try:
        yield logger
    finally:
        logger.removeHandler(handler)
        handler.close()


def run(source: pathlib.Path, output: pathlib.Path, metadata: dict[str, Any],
        parameters: dict[str, Any], console: Console) -> Any:
    """Profile ``source`` into ``output``; returns the profile result (its notes and warnings)."""
    from jobsmith.processes.profile import process

    options = process.ProfileOptions.model_validate(parameters)
    output.mkdir(parents=True, exist_ok=True)
    columns = (TextColumn("profiling"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
               TextColumn("{task.fields[step]}", markup=False))
    with tempfile.TemporaryDirectory(prefix="jobsmith-profile-") as scratch, \
            _file_logger(output / "profile.log") as logger, \
            Progress(*columns, console=console, transient=False) as bar:
        reporter = ProgressReporter(bar, bar.add_task("profile", total=None, step=""))
        ctx = context.JobContext(
            job_id="local", inputs={"data": [source]}, parameters=options, metadata=metadata,
            output_dir=output, logger=logger, reporter=reporter, cancelled=lambda: False,
            work_dir=pathlib.Path(scratch))
        return process.run(source, ctx, options)
