"""The messages between a worker and its job host survive the pipe (which pickles them) unchanged."""

from __future__ import annotations

import datetime as dt
import pathlib
import pickle

import pytest

from jobsmith.domain import decisions, states
from jobsmith.execution import messages

EVERY_MESSAGE = [
    messages.ChildSpec(job_id="j", process_id="p", parameters={"n": 1}, metadata={"name": "x"},
                       inputs={"data": [pathlib.Path("/tmp/in.csv")]}, output_dir=pathlib.Path("/tmp/out"),
                       work_dir=pathlib.Path("/tmp/work"), log_path=pathlib.Path("/tmp/job.log")),
    messages.Step(2, "analyse", states.StepState.RUNNING, None, dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)),
    messages.Progress(0.25),
    messages.Done(),
    messages.Failed("ValueError: bad data", retryable=True),
    messages.Cancelled(),
]


@pytest.mark.parametrize("message", EVERY_MESSAGE, ids=lambda m: type(m).__name__)
def test_every_message_pickles_to_an_equal_one(message: object) -> None:
    assert pickle.loads(pickle.dumps(message)) == message


def test_each_outcome_names_its_kind_for_the_decision() -> None:
    assert [m.kind for m in (messages.Done(), messages.Failed("x", False), messages.Cancelled())] == [
        decisions.Outcome.DONE, decisions.Outcome.FAILED, decisions.Outcome.CANCELLED]
