"""The job log as data on real files: numbering by place, several writers, a cut-off line, the index
that pages a long log without reading it, and the text rendering."""

from __future__ import annotations

import json
import multiprocessing
import os
import pathlib

from jobsmith.store import joblog

WRITERS = 3
LINES_EACH = 400


def bytes_read_by_this_process() -> int:
    """Bytes this process read through system calls so far (Linux ``/proc/self/io``)."""
    for row in pathlib.Path("/proc/self/io").read_text().splitlines():
        if row.startswith("rchar:"):
            return int(row.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


def write_many(path: pathlib.Path, count: int, batch: int = 5000) -> None:
    writer = joblog.Writer(path)
    try:
        for start in range(0, count, batch):
            writer.append([joblog.line(f"entry {n}", level="warning" if n % 1000 == 0 else "info", step="s")
                           for n in range(start, min(count, start + batch))])
    finally:
        writer.close()


def test_entries_are_numbered_by_place_and_filtered_by_level(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "job.log"
    writer = joblog.Writer(path)
    writer.append([joblog.line("first", origin=joblog.ORIGIN), joblog.line("in a step", step="read")])
    writer.append([joblog.line("Traceback (most recent call last):\n  File \"x\"\nValueError: no", level="error")])
    writer.close()
    page = joblog.read(path, 0, 10)
    assert [(e.seq, e.level, e.step, e.origin) for e in page.entries] == [
        (0, "info", None, "jobsmith"), (1, "info", "read", None), (2, "error", None, None)]
    assert page.entries[2].message.count("\n") == 2 and page.at_end and page.next_seq == 3
    errors_only = joblog.read(path, 0, 10, "error")
    assert [e.seq for e in errors_only.entries] == [2]
    assert [e.seq for e in joblog.read(path, 1, 1).entries] == [1] and not joblog.read(path, 1, 1).at_end
    assert joblog.read(path, 7, 10) == joblog.Page([], 7, True)
    text = b"".join(joblog.text_chunks(path)).decode()
    lines = text.splitlines()
    assert lines[0].endswith(" INFO [jobsmith] first") and lines[1].endswith(" INFO in a step")
    assert lines[2].endswith(" ERROR Traceback (most recent call last):") and lines[-1] == "ValueError: no"
    assert len(lines[0].split(" ")[1]) == len("12:00:00,123")


def test_a_message_that_is_not_text_is_kept_readable(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "job.log"
    writer = joblog.Writer(path)
    writer.append([joblog.line("no such file: 'caf\udce9.csv'"), joblog.line("NUL \x00 and tab \t")])
    writer.close()
    assert [e.message for e in joblog.read(path, 0, 10).entries] == [
        "no such file: 'caf\\udce9.csv'", "NUL \x00 and tab \t"]


def _append_lines(path: str, name: str) -> None:
    writer = joblog.Writer(pathlib.Path(path))
    for n in range(LINES_EACH):
        writer.append([joblog.line(f"{name} {n}")])
    writer.close()


def test_writers_in_several_processes_never_share_a_number_or_a_line(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "job.log"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_lines, args=(str(path), f"w{i}")) for i in range(WRITERS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    total = WRITERS * LINES_EACH
    page = joblog.read(path, 0, total + 10)
    assert [e.seq for e in page.entries] == list(range(total)) and page.at_end
    assert sorted(e.message for e in page.entries) == sorted(f"w{i} {n}" for i in range(WRITERS)
                                                             for n in range(LINES_EACH))
    for name in ("w0", "w1", "w2"):  # each writer's lines in its own order
        mine = [int(e.message.split()[1]) for e in page.entries if e.message.startswith(name)]
        assert mine == sorted(mine)
    index = joblog.index_path(path).read_bytes()  # every stride's offset points at that entry
    for k in range(1, total // joblog.STRIDE + 1):
        offset = int.from_bytes(index[8 * (k - 1):8 * k], "little")
        with path.open("rb") as handle:
            handle.seek(offset)
            assert json.loads(handle.readline())["message"] == page.entries[k * joblog.STRIDE].message


def test_a_line_left_half_written_by_a_killed_writer_is_cut_off(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "job.log"
    write_many(path, 10)
    with path.open("ab") as handle:
        handle.write(b'{"level":"info","time":"2026-01-01T00:00:00.000Z","mess')  # killed mid-line
    assert [e.seq for e in joblog.read(path, 0, 100).entries] == list(range(10))  # a partial line is not read
    assert b"".join(joblog.text_chunks(path)).decode().count("\n") == 10
    later = joblog.Writer(path)
    later.append([joblog.line("after the crash")])
    later.close()
    page = joblog.read(path, 8, 100)
    assert [(e.seq, e.message) for e in page.entries] == [(8, "entry 8"), (9, "entry 9"), (10, "after the crash")]


def test_a_long_log_pages_from_its_index_without_reading_what_comes_before(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "job.log"
    write_many(path, 200_000)
    size = path.stat().st_size
    assert size > 10_000_000
    before = bytes_read_by_this_process()
    page = joblog.read(path, 150_000, 100)
    read = bytes_read_by_this_process() - before
    assert [e.seq for e in page.entries] == list(range(150_000, 150_100))
    assert [e.message for e in page.entries][:2] == ["entry 150000", "entry 150001"]
    assert page.next_seq == 150_100 and not page.at_end
    assert read < 200_000, f"read {read} bytes of a {size}-byte log for one page"
    before = bytes_read_by_this_process()
    warnings = joblog.read(path, 150_001, 3, "warning")
    assert [e.seq for e in warnings.entries] == [151_000, 152_000, 153_000]
    assert bytes_read_by_this_process() - before < 1_000_000
    last = joblog.read(path, 199_990, 100)
    assert [e.seq for e in last.entries] == list(range(199_990, 200_000)) and last.at_end
    appender = joblog.Writer(path)  # a writer that comes later counts from the index, not the whole log
    before = bytes_read_by_this_process()
    appender.append([joblog.line("one more")])
    assert bytes_read_by_this_process() - before < 200_000
    appender.close()
    assert [(e.seq, e.message) for e in joblog.read(path, 200_000, 5).entries] == [(200_000, "one more")]


def test_a_plain_text_log_of_an_earlier_version_is_still_read(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "job.log"
    old = ("2026-01-01 10:00:00 INFO [jobsmith] attempt 1 started\n"
           "2026-01-01 10:00:01,250 ERROR the process failed:\nTraceback (most recent call last):\nKeyError: 'x'\n")
    path.write_text(old)
    assert b"".join(joblog.text_chunks(path)).decode() == old
    page = joblog.read(path, 0, 10)
    assert [(e.seq, e.level, e.origin) for e in page.entries] == [(0, "info", "jobsmith"), (1, "error", None)]
    assert page.entries[1].message == "the process failed:\nTraceback (most recent call last):\nKeyError: 'x'"
    assert page.entries[1].time == "2026-01-01T10:00:01.250Z"
    assert joblog.read(path, 0, 1, "error").entries[0].seq == 1
    assert not os.path.exists(joblog.index_path(path))
