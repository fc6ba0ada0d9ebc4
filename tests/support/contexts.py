"""A JobContext for running a process in the test's own process, as `jobsmith profile` does."""

from __future__ import annotations

import datetime as dt
import logging
import pathlib

import pydantic

from jobsmith.domain import states
from jobsmith.processes import context


class QuietReporter:
    """Steps and progress go nowhere: the tests look at results and exceptions."""

    def step(self, position: int, name: str, state: states.StepState, at: dt.datetime, message: str | None) -> None:
        pass

    def progress(self, fraction: float) -> None:
        pass


def local_context(root: pathlib.Path, source: pathlib.Path, parameters: pydantic.BaseModel,
                  cancelled: bool = False) -> context.JobContext:
    """A context whose results go to ``root/out`` (made here) and scratch files to ``root/work``."""
    (root / "out").mkdir(parents=True, exist_ok=True)
    return context.JobContext(job_id="local", inputs={"data": [source]}, parameters=parameters, metadata={},
                              output_dir=root / "out", logger=logging.getLogger("jobsmith.tests"),
                              reporter=QuietReporter(), cancelled=lambda: cancelled, work_dir=root / "work")
