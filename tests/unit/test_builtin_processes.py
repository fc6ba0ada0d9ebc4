"""The built-in processes run on real files through a real JobContext; we check what a user gets back."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import hashlib
import io
import json
import logging
import pathlib
import time
import zipfile
from collections.abc import Callable
from typing import Any

import pytest

from jobsmith.domain import errors, states
from jobsmith.processes import context, registry
from jobsmith.processes.builtin import echo, inspect, sleep
from jobsmith.processes.profile import process as profile_process

RUNNING, SUCCESS, WARNING, FAILURE = (states.StepState.RUNNING.value, states.StepState.SUCCESS.value,
                                      states.StepState.WARNING.value, states.StepState.FAILURE.value)


class Recorder:
    """A Reporter that keeps what it was told, in order."""

    def __init__(self) -> None:
        self.steps: list[tuple[int, str, str, str | None]] = []
        self.fractions: list[float] = []

    def step(self, position: int, name: str, state: states.StepState, at: dt.datetime,
             message: str | None) -> None:
        assert at.tzinfo is not None
        self.steps.append((position, name, state.value, message))

    def progress(self, fraction: float) -> None:
        self.fractions.append(fraction)

    def states(self) -> list[tuple[str, str]]:
        return [(name, state) for _, name, state, _ in self.steps]


class CancelAfter:
    """``cancelled`` that answers False ``checks`` times, then True: a cancel arriving mid-run."""

    def __init__(self, checks: int) -> None:
        self.checks = checks
        self.calls = 0

    def __call__(self) -> bool:
        self.calls += 1
        return self.calls > self.checks


@dataclasses.dataclass
class Job:
    """One run of a process: what it reported, where its results and log are."""

    recorder: Recorder
    output_dir: pathlib.Path
    log_path: pathlib.Path

    def result(self, name: str) -> Any:
        return json.loads((self.output_dir / name).read_text(encoding="utf-8"))

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8")


def make_context(tmp_path: pathlib.Path, function: object, *, inputs: dict[str, list[pathlib.Path]] | None = None,
                 parameters: dict[str, Any] | None = None, cancelled: Callable[[], bool] = lambda: False,
                 ) -> tuple[context.JobContext, Job, logging.Handler]:
    spec = registry.describe(function)
    assert spec is not None
    job_dir = tmp_path / "job"
    (job_dir / "results").mkdir(parents=True)
    logger = logging.Logger(f"job-{id(job_dir)}", logging.INFO)
    handler = logging.FileHandler(job_dir / "job.log", encoding="utf-8")
    logger.addHandler(handler)
    job = Job(Recorder(), job_dir / "results", job_dir / "job.log")
    ctx = context.JobContext(job_id="job-1", inputs=inputs or {}, parameters=spec.validate_parameters(parameters or {}),
                             metadata={"owner": "ada", "tags": ["x"]}, output_dir=job.output_dir, logger=logger,
                             reporter=job.recorder, cancelled=cancelled, declared_steps=spec.steps)
    return ctx, job, handler


def run(tmp_path: pathlib.Path, function: Callable[[context.JobContext], None], **kwargs: Any) -> Job:
    """Run ``function`` as the runner would; the log handler is closed even when the process raises."""
    ctx, job, handler = make_context(tmp_path, function, **kwargs)
    try:
        function(ctx)
    finally:
        handler.close()
    return job


def upload(tmp_path: pathlib.Path, name: str, data: bytes) -> pathlib.Path:
    folder = tmp_path / "inputs"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def inspect_one(tmp_path: pathlib.Path, name: str, data: bytes) -> dict[str, Any]:
    job = run(tmp_path, inspect.inspect_files, inputs={"files": [upload(tmp_path, name, data)]})
    reports: list[dict[str, Any]] = job.result("inspect.json")["files"]
    assert len(reports) == 1
    return reports[0]


# inspect -------------------------------------------------------------------------------------------


def test_inspect_reports_a_csv_with_header_and_hashes_it_like_hashlib(tmp_path: pathlib.Path) -> None:
    data = b"city,population\nBerlin,3850809\nHamburg,1945532\nMunich,1512491\n"
    job = run(tmp_path, inspect.inspect_files, inputs={"files": [upload(tmp_path, "cities.csv", data)]})
    assert job.result("inspect.json") == {"files": [{
        "input": "files", "name": "cities.csv", "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
        "media_type": "text/csv", "records": 3, "encoding": "utf-8", "delimiter": ",",
    }]}
    assert job.recorder.states() == [("inspect", RUNNING), ("inspect", SUCCESS)]
    assert job.recorder.steps[-1][3] == f"text/csv, {len(data)} bytes, 3 records"
    assert job.recorder.fractions[-1] == 1.0
    assert "cities.csv" in job.log()


@pytest.mark.parametrize(("data", "records"), [
    (b'id,comment\n1,"first line\nsecond line"\n2,plain\n', 2),
    (b'id,comment\r\n1,"a\r\nb\r\nc"\r\n2,"x, y"\r\n', 2),
    (b"a,b\n1,2\n3,4\n\n\n", 2),
    (b"a,b\n1,2\n\n3,4", 2),
    (b"a,b\n", 0),
    (b"a,b\n,\n", 1),
])
def test_inspect_counts_data_rows_of_csv_whatever_the_newlines(
        tmp_path: pathlib.Path, data: bytes, records: int) -> None:
    report = inspect_one(tmp_path, "data.csv", data)
    assert (report["media_type"], report["records"], report["delimiter"]) == ("text/csv", records, ",")


def test_inspect_reads_a_utf16_csv_with_its_bom(tmp_path: pathlib.Path) -> None:
    data = "Straße;Stadt\nAllee;Köln\nWeg;Zürich\n".encode("utf-16")
    report = inspect_one(tmp_path, "export.csv", data)
    assert (report["media_type"], report["encoding"], report["delimiter"], report["records"]) == (
        "text/csv", "utf-16", ";", 2)
    assert report["sha256"] == hashlib.sha256(data).hexdigest() and report["size"] == len(data)


def test_inspect_reads_utf8_with_bom_and_latin1(tmp_path: pathlib.Path) -> None:
    bom = inspect_one(tmp_path / "a", "bom.csv", "\ufeffname\tage\nÅsa\t31\n".encode("utf-8"))
    assert (bom["media_type"], bom["encoding"], bom["delimiter"], bom["records"]) == (
        "text/tab-separated-values", "utf-8-sig", "\t", 1)
    latin = inspect_one(tmp_path / "b", "old.txt", "név;város\nÁrpád;Pécs\nÉva;Győr\n".encode("cp1250"))
    assert (latin["media_type"], latin["encoding"], latin["records"]) == ("text/csv", "latin-1", 2)


def test_inspect_counts_non_blank_ndjson_lines(tmp_path: pathlib.Path) -> None:
    data = b'{"a": 1}\n{"a": 2, "b": "x\\ny"}\n\n   \n{"a": 3}'
    report = inspect_one(tmp_path, "events.jsonl", data)
    assert (report["media_type"], report["records"], report["delimiter"]) == ("application/x-ndjson", 3, None)


def test_inspect_recognises_a_csv_uploaded_under_a_meaningless_name(tmp_path: pathlib.Path) -> None:
    report = inspect_one(tmp_path, "file.bin", b"id;name;score\n1;ann;3.5\n2;bob;4.0\n")
    assert (report["media_type"], report["delimiter"], report["records"]) == ("text/csv", ";", 2)


def test_inspect_does_not_take_prose_for_a_table(tmp_path: pathlib.Path) -> None:
    report = inspect_one(tmp_path, "notes.txt", b"Hello, world.\nThis is text, with commas, and more of them.\n")
    assert (report["media_type"], report["records"], report["delimiter"]) == ("text/plain", None, None)


def _xlsx_like() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.csv", "a,b\n1,2\n")
    return buffer.getvalue()


@pytest.mark.parametrize(("name", "data", "media_type"), [
    ("upload", b"PAR1\x15\x04\x15\x10\x00\x00PAR1", "application/vnd.apache.parquet"),
    ("upload", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "application/pdf"),
    ("upload", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
    ("data.csv.gz", gzip.compress(b"a,b\n1,2\n"), "application/gzip"),
    ("upload", _xlsx_like(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("upload.xlsx", _zip(), "application/zip"),
    ("upload", b'{"type": "FeatureCollection", "features": []}', "application/json"),
    ("upload", b"<?xml version='1.0'?><root/>", "application/xml"),
    ("blob.dat", bytes(range(256)) * 4, "application/octet-stream"),
])
def test_inspect_recognises_the_media_type_from_the_content(
        tmp_path: pathlib.Path, name: str, data: bytes, media_type: str) -> None:
    report = inspect_one(tmp_path, name, data)
    assert report["media_type"] == media_type
    assert report["records"] is None and report["delimiter"] is None
    assert report["sha256"] == hashlib.sha256(data).hexdigest()


def test_inspect_an_empty_csv_has_no_records(tmp_path: pathlib.Path) -> None:
    report = inspect_one(tmp_path, "empty.csv", b"")
    assert (report["size"], report["records"], report["sha256"]) == (0, 0, hashlib.sha256(b"").hexdigest())


def test_inspect_streams_a_file_of_several_chunks(tmp_path: pathlib.Path) -> None:
    row = b'%d,"a quoted\nnewline, and a comma",%d\n'
    data = b"id,text,value\n" + b"".join(row % (i, i * 7) for i in range(120_000))
    assert len(data) > 3 * inspect.CHUNK
    job = run(tmp_path, inspect.inspect_files, inputs={"files": [upload(tmp_path, "big.csv", data)]})
    report = job.result("inspect.json")["files"][0]
    assert report["records"] == 120_000
    assert report["sha256"] == hashlib.sha256(data).hexdigest() and report["size"] == len(data)
    fractions = job.recorder.fractions
    assert len(fractions) > 3 and fractions == sorted(fractions) and fractions[-1] == 1.0


def test_inspect_reports_every_file_in_its_one_step_and_progress_across_all(tmp_path: pathlib.Path) -> None:
    first = upload(tmp_path, "a.csv", b"x,y\n" + b"1,2\n" * 1000)
    second = upload(tmp_path, "b.ndjson", b'{"k": 1}\n' * 500)
    job = run(tmp_path, inspect.inspect_files, inputs={"files": [first], "more": [second]})
    assert [(f["input"], f["name"], f["records"]) for f in job.result("inspect.json")["files"]] == [
        ("files", "a.csv", 1000), ("more", "b.ndjson", 500)]
    assert [(p, n, s) for p, n, s, _ in job.recorder.steps] == [(0, "inspect", RUNNING), (0, "inspect", SUCCESS)]
    assert job.recorder.steps[-1][3] == ("a.csv: text/csv, 4004 bytes, 1000 records; "
                                         "b.ndjson: application/x-ndjson, 4500 bytes, 500 records")
    fractions = job.recorder.fractions
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any(0.3 < f < 0.7 for f in fractions), "the first file is about half of all bytes"


def test_inspect_warns_when_a_field_is_too_large_to_count_but_still_hashes(tmp_path: pathlib.Path) -> None:
    data = b"a,b\n1,2\n3," + b"x" * 300_000 + b"\n"
    job = run(tmp_path, inspect.inspect_files, inputs={"files": [upload(tmp_path, "wide.csv", data)]})
    report = job.result("inspect.json")["files"][0]
    assert report["records"] is None and report["media_type"] == "text/csv"
    assert report["sha256"] == hashlib.sha256(data).hexdigest()
    position, name, state, message = job.recorder.steps[-1]
    assert (name, state) == ("inspect", WARNING)
    assert message is not None and "records not counted" in message and "field limit" in message


def test_inspect_stops_at_once_when_cancelled_and_the_step_fails(tmp_path: pathlib.Path) -> None:
    path = upload(tmp_path, "a.csv", b"a,b\n1,2\n")
    with pytest.raises(context.Cancelled):
        run(tmp_path, inspect.inspect_files, inputs={"files": [path]}, cancelled=lambda: True)
    assert not (tmp_path / "job" / "results" / "inspect.json").exists()


def test_inspect_checks_for_cancel_while_reading(tmp_path: pathlib.Path) -> None:
    path = upload(tmp_path, "big.csv", b"a,b\n" + b"1,2\n" * 1_000_000)
    cancel = CancelAfter(checks=2)
    ctx, job, handler = make_context(tmp_path, inspect.inspect_files, inputs={"files": [path]}, cancelled=cancel)
    try:
        with pytest.raises(context.Cancelled):
            inspect.inspect_files(ctx)
    finally:
        handler.close()
    assert cancel.calls == 3, "checked as each chunk is read, stopped at the first True"
    assert job.recorder.states() == [("inspect", RUNNING), ("inspect", FAILURE)]


# echo ----------------------------------------------------------------------------------------------


def test_echo_returns_parameters_metadata_and_copies_of_the_inputs(tmp_path: pathlib.Path) -> None:
    a = upload(tmp_path, "a.txt", b"hello")
    b = upload(tmp_path, "b.bin", bytes(range(256)))
    job = run(tmp_path, echo.echo, inputs={"files": [a, b]},
              parameters={"message": "hi", "n": 3, "nested": {"ok": True}})
    assert job.result("echo.json") == {
        "parameters": {"message": "hi", "n": 3, "nested": {"ok": True}},
        "metadata": {"owner": "ada", "tags": ["x"]},
        "inputs": [
            {"input": "files", "name": "a.txt", "size": 5, "sha256": hashlib.sha256(b"hello").hexdigest()},
            {"input": "files", "name": "b.bin", "size": 256, "sha256": hashlib.sha256(bytes(range(256))).hexdigest()},
        ],
    }
    assert (job.output_dir / "inputs" / "a.txt").read_bytes() == b"hello"
    assert (job.output_dir / "inputs" / "b.bin").read_bytes() == bytes(range(256))
    assert job.recorder.states() == [("echo", RUNNING), ("echo", SUCCESS)]


def test_echo_without_inputs_or_parameters(tmp_path: pathlib.Path) -> None:
    job = run(tmp_path, echo.echo)
    assert job.result("echo.json")["parameters"] == {} and job.result("echo.json")["inputs"] == []
    assert not (job.output_dir / "inputs").exists()


# sleep ---------------------------------------------------------------------------------------------


def test_sleep_waits_reports_progress_and_writes_what_it_did(tmp_path: pathlib.Path) -> None:
    started = time.monotonic()
    job = run(tmp_path, sleep.sleep, parameters={"seconds": 0.3})
    assert time.monotonic() - started >= 0.3
    result = job.result("sleep.json")
    assert result["seconds"] == 0.3 and result["cpu"] is False and result["slept"] >= 0.3
    fractions = job.recorder.fractions
    assert len(fractions) >= 3 and fractions == sorted(fractions) and fractions[-1] == 1.0
    assert job.recorder.states() == [("sleep", RUNNING), ("sleep", SUCCESS)]


def test_sleep_can_keep_a_core_busy_instead(tmp_path: pathlib.Path) -> None:
    cpu_started = time.process_time()
    job = run(tmp_path, sleep.sleep, parameters={"seconds": 0.2, "cpu": True})
    assert time.process_time() - cpu_started >= 0.1
    assert job.result("sleep.json")["cpu"] is True


def test_sleep_zero_returns_at_once_with_a_result(tmp_path: pathlib.Path) -> None:
    started = time.monotonic()
    job = run(tmp_path, sleep.sleep, parameters={"seconds": 0})
    assert time.monotonic() - started < 0.5
    assert job.result("sleep.json")["seconds"] == 0 and job.result("sleep.json")["slept"] < 0.5
    assert job.recorder.steps == [] and job.recorder.fractions == []


def test_sleep_stops_soon_after_a_cancel_and_says_so_in_the_log(tmp_path: pathlib.Path) -> None:
    cancel = CancelAfter(checks=1)
    started = time.monotonic()
    ctx, job, handler = make_context(tmp_path, sleep.sleep, parameters={"seconds": 60}, cancelled=cancel)
    try:
        with pytest.raises(context.Cancelled):
            sleep.sleep(ctx)
    finally:
        handler.close()
    assert time.monotonic() - started < 1.0
    assert cancel.calls == 2
    assert job.recorder.states() == [("sleep", RUNNING), ("sleep", FAILURE)]
    assert "cancelled after" in job.log()
    assert not (job.output_dir / "sleep.json").exists()


@pytest.mark.parametrize("parameters", [{"seconds": -1}, {"seconds": 86401}, {"secs": 1}])
def test_sleep_refuses_bad_parameters(parameters: dict[str, Any]) -> None:
    spec = registry.describe(sleep.sleep)
    assert spec is not None
    with pytest.raises(errors.Invalid, match="invalid parameters for process 'sleep'"):
        spec.validate_parameters(parameters)


# steps ---------------------------------------------------------------------------------------------


def test_steps_are_recorded_in_order_and_a_failing_step_records_its_failure(tmp_path: pathlib.Path) -> None:
    ctx, job, handler = make_context(tmp_path, echo.echo)
    try:
        with ctx.step("read"):
            pass
        with ctx.step("check") as step:
            step.warn("3 rows skipped")
        with pytest.raises(ValueError), ctx.step("write"):
            raise ValueError("disk says no")
    finally:
        handler.close()
    assert [(p, n, s, m) for p, n, s, m in job.recorder.steps] == [  # after echo's one declared step
        (1, "read", RUNNING, None), (1, "read", SUCCESS, None),
        (2, "check", RUNNING, None), (2, "check", WARNING, "3 rows skipped"),
        (3, "write", RUNNING, None), (3, "write", FAILURE, "disk says no"),
    ]
    assert "step write failed: disk says no" in job.log()


def test_a_declared_step_keeps_its_place_and_log_records_carry_the_running_step(tmp_path: pathlib.Path) -> None:
    ctx, job, handler = make_context(tmp_path, profile_process.profile)
    tagged: list[str | None] = []
    handler.addFilter(ctx.tag_step)

    def remember(record: logging.LogRecord) -> bool:
        tagged.append(getattr(record, "jobsmith_step", "untagged"))
        return True

    handler.addFilter(remember)
    try:
        ctx.log.info("before any step")
        with ctx.step("plots"):
            with ctx.step("extra"):
                ctx.log.info("inside a step of no declaration")
            ctx.log.info("back in plots")
        with ctx.step("read"):
            pass
    finally:
        handler.close()
    assert [(p, n, s) for p, n, s, _ in job.recorder.steps] == [
        (2, "plots", RUNNING), (4, "extra", RUNNING), (4, "extra", SUCCESS), (2, "plots", SUCCESS),
        (0, "read", RUNNING), (0, "read", SUCCESS)]
    assert tagged == [None, "plots", "extra", "extra", "extra", "plots", "plots", "read", "read"]
    assert ctx.current_step is None
