"""The built-in processes on real files, through a real JobContext."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import pathlib
import tempfile
import time

import pytest

from jobsmith.domain import states
from jobsmith.processes import context, registry
from jobsmith.processes.builtin import echo, inspect, sleep


class Recorder:
    def __init__(self) -> None:
        self.steps: list[tuple[str, str]] = []
        self.fractions: list[float] = []

    def step(self, position: int, name: str, state: states.StepState, at: dt.datetime, message: str | None) -> None:
        self.steps.append((name, state.value))

    def progress(self, fraction: float) -> None:
        self.fractions.append(fraction)


def run(function: object, tmp_path: pathlib.Path, files: dict[str, list[pathlib.Path]] | None = None,
        cancelled: bool = False, **parameters: object) -> tuple[Recorder, pathlib.Path]:
    spec = registry.describe(function)
    assert spec is not None
    out = pathlib.Path(tempfile.mkdtemp(prefix="results-", dir=tmp_path))
    recorder = Recorder()
    ctx = context.JobContext(job_id="j", inputs=files or {}, parameters=spec.validate_parameters(parameters),
                             metadata={"who": "test"}, output_dir=out, logger=logging.getLogger("test"),
                             reporter=recorder, cancelled=lambda: cancelled)
    spec.function(ctx)
    return recorder, out


def write(tmp_path: pathlib.Path, name: str, data: bytes) -> pathlib.Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_the_registry_finds_the_built_ins_through_entry_points() -> None:
    found = registry.load()
    assert {"echo", "inspect", "sleep"} <= {p.id for p in found.all()}
    assert found.get("inspect").needs_upload and not found.get("sleep").needs_upload


@pytest.mark.parametrize(("data", "records", "media_type"), [
    (b"a,b\n1,2\n3,4\n", 2, "text/csv"),
    (b'a,b\n1,"two\nlines"\n3,4\n', 2, "text/csv"),
    ("x;y\n1;2\n".encode("utf-16"), 1, "text/csv"),
    (b"a\tb\n1\t2\n3\t4\n5\t6\n", 3, "text/tab-separated-values"),
    (b'{"a": 1}\n{"a": 2}\n\n{"a": 3}\n', 3, "application/x-ndjson"),
    (b"PAR1\x00\x00binary", None, "application/vnd.apache.parquet"),
])
def test_inspect_reports_type_from_content_size_hash_and_records(
        tmp_path: pathlib.Path, data: bytes, records: int | None, media_type: str) -> None:
    path = write(tmp_path, "file.bin", data)
    recorder, out = run(inspect.inspect_files, tmp_path, {"files": [path]})
    report = json.loads((out / "inspect.json").read_text())["files"][0]
    assert report["media_type"] == media_type
    assert report["records"] == records
    assert report["size"] == len(data) and report["sha256"] == hashlib.sha256(data).hexdigest()
    assert recorder.steps == [("inspect file.bin", "running"), ("inspect file.bin", "success")]


def test_inspect_stops_when_cancelled(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, "a.csv", b"a\n1\n")
    with pytest.raises(context.Cancelled):
        run(inspect.inspect_files, tmp_path, {"files": [path]}, cancelled=True)


def test_echo_returns_parameters_metadata_and_inputs(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, "in.txt", b"hello")
    _, out = run(echo.echo, tmp_path, {"files": [path]}, message="hi", n=3)
    document = json.loads((out / "echo.json").read_text())
    assert document["parameters"] == {"message": "hi", "n": 3}
    assert document["metadata"] == {"who": "test"}
    assert document["inputs"] == [{"input": "files", "name": "in.txt", "size": 5,
                                   "sha256": hashlib.sha256(b"hello").hexdigest()}]
    assert (out / "inputs" / "in.txt").read_bytes() == b"hello"


def test_sleep_waits_reports_progress_and_writes_what_it_did(tmp_path: pathlib.Path) -> None:
    recorder, out = run(sleep.sleep, tmp_path, seconds=0.2)
    assert json.loads((out / "sleep.json").read_text())["slept"] >= 0.2
    assert recorder.fractions and recorder.fractions[-1] >= 0.99
    assert recorder.steps[-1] == ("sleep", "success")


def test_sleep_zero_returns_at_once_and_cancel_stops_it(tmp_path: pathlib.Path) -> None:
    _, out = run(sleep.sleep, tmp_path, seconds=0)
    assert json.loads((out / "sleep.json").read_text())["slept"] < 0.5
    started = time.monotonic()
    with pytest.raises(context.Cancelled):
        run(sleep.sleep, tmp_path, cancelled=True, seconds=60)
    assert time.monotonic() - started < 5


def test_sleep_refuses_bad_parameters() -> None:
    spec = registry.describe(sleep.sleep)
    assert spec is not None
    with pytest.raises(Exception, match="seconds"):
        spec.validate_parameters({"seconds": -1})
