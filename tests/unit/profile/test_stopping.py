"""How a profile ends early: a request to stop while plots are drawn, DuckDB out of memory, and an upload
holding nothing the profile reads."""

from __future__ import annotations

import io
import pathlib
import random
import zipfile
from typing import Any

import duckdb
import pytest

from jobsmith.processes import context
from jobsmith.processes.profile import process
from jobsmith.processes.profile.analysis import model
from jobsmith.processes.profile.report import drawing, plots
from tests.support.contexts import local_context


def _boxes(count: int) -> list[model.PlotRequest]:
    return [model.PlotRequest(f"d/box_{i}.png", f"Box {i}", model.BoxPlot(f"c{i}", 1, 2, 3, 0, 4, 2, ()))
            for i in range(count)]


@pytest.mark.parametrize("workers", [1, 2])
def test_no_plot_starts_once_the_job_is_asked_to_stop(tmp_path: pathlib.Path, workers: int) -> None:
    asked = iter([False, False, True])  # asked to stop after the first plots

    def stop() -> bool:
        return next(asked, True)

    with pytest.raises(context.Cancelled):
        plots.render(_boxes(40), tmp_path, workers=workers, stop=stop)
    drawn = list((tmp_path / "d").glob("*.png"))
    assert 1 <= len(drawn) < 40


def test_out_of_memory_fails_the_job_with_a_sentence_naming_the_parameter(tmp_path: pathlib.Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    def exhausted(*_: Any) -> Any:
        raise duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block of size 256.0 KiB "
                                          "(127.9 MiB/128.0 MiB used)\n\nPossible solutions:\n* Reducing ...")

    monkeypatch.setattr(process, "_analyse", exhausted)
    options = process.ProfileOptions(memory_limit_mb=128)
    with pytest.raises(context.JobFailed) as failed:
        process.run(tmp_path / "data.csv", local_context(tmp_path, tmp_path / "data.csv", options), options)
    assert str(failed.value) == ("the dataset needs more memory than the job's memory_limit_mb (128) lets the analysis "
                                 "use (could not allocate block of size 256.0 KiB (127.9 MiB/128.0 MiB used)); run it "
                                 "again with a larger memory_limit_mb")


def test_numbers_beyond_double_precision_fail_with_a_sentence(tmp_path: pathlib.Path) -> None:
    source = tmp_path / "data.csv"
    source.write_text("x,y\n0,1\n0,2\n1e308,3\n1e308,4\n")
    options = process.ProfileOptions()
    with pytest.raises(context.JobFailed, match=r"column 'x' holds numbers so large \(up to 1e\+308\)"):
        process.run(source, local_context(tmp_path, source, options), options)


def test_plot_text_from_the_data_is_drawn_literally(tmp_path: pathlib.Path) -> None:
    assert drawing.literal("a\nb\tc\x1b $x^{$") == "a b c\ufffd \\$x^{\\$"
    odd = model.TopValues("line\nbreak $x^{$", ("two\nlines", "$a_{$", "ok"), (3, 2, 1), False, 6)
    plots.render([model.PlotRequest("d/top.png", "Most frequent values of line\nbreak $x^{$", odd)], tmp_path,
                 workers=1)  # warnings are errors in this suite: a missing glyph or a mathtext error fails it
    assert (tmp_path / "d" / "top.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(("name", "content", "sentence"), [
    ("file.csv", b"\x89PNG\r\n\x1a\n" + bytes(64), "'file.csv' is a PNG image: the profile process reads delimited text"),
    ("upload.bin", random.Random(7).randbytes(4096),
     "'upload.bin' is binary data of unknown format: the profile process reads delimited text"),
    ("paper.dat", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "'paper.dat' is a PDF document: the profile process reads"),
])
def test_an_upload_that_is_no_data_fails_the_job_saying_what_it_is(tmp_path: pathlib.Path, name: str, content: bytes,
                                                                   sentence: str) -> None:
    source = tmp_path / name
    source.write_bytes(content)
    options = process.ProfileOptions()
    with pytest.raises(context.JobFailed) as failed:
        process.run(source, local_context(tmp_path, source, options), options)
    assert str(failed.value).startswith(sentence)
    assert str(failed.value).endswith("Parquet, JSON and NDJSON, or a zip or tar archive of them.")
    assert not (tmp_path / "out" / "edp.json").exists()


def test_an_archive_without_data_fails_the_job_naming_what_it_held(tmp_path: pathlib.Path) -> None:
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("scan.png", b"\x89PNG\r\n\x1a\n" + bytes(64))
        archive.writestr("notes.pdf", b"%PDF-1.7\n")
    source = tmp_path / "file.csv"
    source.write_bytes(packed.getvalue())
    options = process.ProfileOptions()
    with pytest.raises(context.JobFailed, match=r"^'file\.csv' holds nothing the profile process reads: 'scan\.png' "
                                                r"\(a PNG image\) and 'notes\.pdf' \(a PDF document\)\. It reads "):
        process.run(source, local_context(tmp_path, source, options), options)
