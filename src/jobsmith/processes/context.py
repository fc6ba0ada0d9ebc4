"""What a process gets to do its work: inputs, parameters, an output directory, and ways to report.

A process knows nothing of HTTP, SQL or workers. It reads ``ctx.inputs``, writes files under
``ctx.output_dir`` (they become the job's results), and reports through ``ctx.step()``,
``ctx.progress()`` and ``ctx.log``. Reports go to a :class:`Reporter`: the worker sends them to its
supervisor, which records them; ``jobsmith profile`` prints them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import pathlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

import pydantic

from jobsmith.domain import states


class Cancelled(Exception):
    """Raised by :meth:`JobContext.check_cancelled` once the job was asked to stop."""


class RetryableError(Exception):
    """Raise this from a process to ask for another attempt (while retries are left)."""


class JobFailed(Exception):
    """Raise this when the job cannot be done for a reason its user can act on (the data, a parameter).

    Its message, one sentence saying what and where, becomes the job's ``state_detail`` as it is;
    any other exception is shown with its class name, since it tells of a fault in the process.
    """


class Reporter(Protocol):
    """Receives a running job's steps and progress."""

    def step(self, position: int, name: str, state: states.StepState, at: dt.datetime,
             message: str | None) -> None: ...

    def progress(self, fraction: float) -> None: ...


@dataclasses.dataclass
class Step:
    """A step in progress. Set ``message``, or call :meth:`warn` or :meth:`skip` to end it so."""

    name: str
    message: str | None = None
    outcome: states.StepState = states.StepState.SUCCESS

    def warn(self, message: str) -> None:
        self.message, self.outcome = message, states.StepState.WARNING

    def skip(self, message: str) -> None:
        self.message, self.outcome = message, states.StepState.SKIP


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class JobContext:
    """Everything a process may use. Created by the runner (or the local CLI), never by a process."""

    def __init__(
        self,
        *,
        job_id: str,
        inputs: dict[str, list[pathlib.Path]],
        parameters: pydantic.BaseModel,
        metadata: dict[str, Any],
        output_dir: pathlib.Path,
        logger: logging.Logger,
        reporter: Reporter,
        cancelled: Callable[[], bool],
        work_dir: pathlib.Path | None = None,
        declared_steps: Sequence[str] = (),
    ) -> None:
        self.job_id = job_id
        self.inputs = inputs
        self.parameters = parameters
        self.metadata = metadata
        self.output_dir = output_dir
        self._work_dir = work_dir or output_dir.parent / "work"
        self._work_dir_made = False
        self.log = logger
        self._reporter = reporter
        self._cancelled = cancelled
        self._declared = {name: position for position, name in enumerate(declared_steps)}
        self._next_extra = len(self._declared)
        self.current_step: str | None = None
        """The innermost step running now (None outside steps): what the job's log lines are tagged with."""
        self._left_by: tuple[BaseException, str] | None = None

    @property
    def work_dir(self) -> pathlib.Path:
        """Scratch space of this attempt, removed when it ends. Made on first use: most jobs need none,
        and a directory made and removed per job is a measurable part of a small job's cost."""
        if not self._work_dir_made:
            self._work_dir.mkdir(parents=True, exist_ok=True)
            self._work_dir_made = True
        return self._work_dir

    @property
    def input_files(self) -> list[pathlib.Path]:
        """Every input file, in input then upload order."""
        return [path for paths in self.inputs.values() for path in paths]

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[Step]:
        """Record a named step: running now, then success, warning, skip, or failure on error.

        A step the process declares keeps its declared place (entering it again updates the same
        step); any other step is added after the declared ones, in the order the job reaches it.
        """
        position = self._declared.get(name)
        if position is None:
            position, self._next_extra = self._next_extra, self._next_extra + 1
        current, outer = Step(name), self.current_step
        self.current_step = name
        try:
            self._reporter.step(position, name, states.StepState.RUNNING, _now(), None)
            self.log.info("step %s started", name)
            try:
                yield current
            except BaseException as exc:
                if self._left_by is None or self._left_by[0] is not exc:
                    self._left_by = (exc, name)  # the innermost step this exception left
                self._reporter.step(position, name, states.StepState.FAILURE, _now(), str(exc) or type(exc).__name__)
                self.log.info("step %s failed: %s", name, exc)
                raise
            self._reporter.step(position, name, current.outcome, _now(), current.message)
            self.log.info("step %s ended: %s", name, current.outcome.value)
        finally:
            self.current_step = outer

    def step_left_by(self, exc: BaseException) -> str | None:
        """The innermost step ``exc`` left, if it passed through one: where a failure happened."""
        return self._left_by[1] if self._left_by is not None and self._left_by[0] is exc else None

    def tag_step(self, record: logging.LogRecord) -> bool:
        """A logging filter: tags ``record`` with the step running now (``record.jobsmith_step``) unless
        the record names its step already (the traceback of a failed job names the step it left)."""
        if not hasattr(record, "jobsmith_step"):
            record.jobsmith_step = self.current_step
        return True

    def progress(self, fraction: float) -> None:
        """Report how much of the work is done, as a fraction in [0, 1]."""
        self._reporter.progress(fraction)

    def cancelled(self) -> bool:
        """True once the job was asked to stop; long loops should check it and return."""
        return self._cancelled()

    def check_cancelled(self) -> None:
        """Raise :class:`Cancelled` once the job was asked to stop."""
        if self._cancelled():
            raise Cancelled("the job was asked to stop")
