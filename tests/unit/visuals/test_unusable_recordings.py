"""Recordings that cannot be drawn fail with one sentence saying why, never with a picture."""

from __future__ import annotations

import io
import json
import pathlib
import tarfile
from typing import Any

import pytest

from jobsmith.processes import context
from jobsmith.processes.visuals import spectrogram, waterfall
from tests.support import signals
from tests.unit.visuals.running import run

RATE = 1e6
TONE = signals.tone("cf32_le", 1e3, RATE, 4096)


def fails(tmp_path: pathlib.Path, paths: list[pathlib.Path], **parameters: Any) -> str:
    with pytest.raises(context.JobFailed) as caught:
        run(spectrogram.spectrogram, {"recording": paths}, tmp_path, **parameters)
    assert not (tmp_path / "out" / "spectrogram.png").exists()
    return str(caught.value)


def pair(tmp_path: pathlib.Path, meta: dict[str, Any], data: bytes = TONE) -> list[pathlib.Path]:
    return signals.write_pair(tmp_path / "in", "rec", meta, data)


def test_no_sample_rate(tmp_path: pathlib.Path) -> None:
    assert fails(tmp_path, pair(tmp_path, signals.metadata("cf32_le", None))) == (
        "rec.sigmf-meta gives no core:sample_rate, so its time and frequency axes are unknown")


@pytest.mark.parametrize("rate", [0, -1e6, "fast", True])
def test_a_sample_rate_that_is_no_positive_number(tmp_path: pathlib.Path, rate: object) -> None:
    meta = signals.metadata("cf32_le", RATE)
    meta["global"]["core:sample_rate"] = rate
    assert "it must be a positive number of Hz" in fails(tmp_path, pair(tmp_path, meta))


@pytest.mark.parametrize("datatype", ["cf16_le", "ci16", "cf32", "complex64", "ri24_le", "cu8_le"])
def test_an_unknown_datatype(tmp_path: pathlib.Path, datatype: str) -> None:
    message = fails(tmp_path, pair(tmp_path, signals.metadata(datatype, RATE)))
    assert message.startswith(f"rec.sigmf-meta gives core:datatype {datatype!r}, which is not a SigMF sample type")


def test_no_datatype(tmp_path: pathlib.Path) -> None:
    assert fails(tmp_path, pair(tmp_path, signals.metadata(None, RATE))) == (
        "rec.sigmf-meta gives no core:datatype, so its samples cannot be read")


def test_a_data_file_shorter_than_its_annotations_say(tmp_path: pathlib.Path) -> None:
    meta = signals.metadata("cf32_le", RATE, annotations=[{"core:sample_start": 4000, "core:sample_count": 1000}])
    assert fails(tmp_path, pair(tmp_path, meta)) == (
        "the data file of rec.sigmf-meta holds 4096 samples but its metadata describes 5000 (captures and "
        "annotations reach sample 4999): the data file is shorter than its metadata says")


def test_a_capture_beyond_the_data(tmp_path: pathlib.Path) -> None:
    meta = signals.metadata("cf32_le", RATE)
    meta["captures"].append({"core:sample_start": 10_000})
    assert "shorter than its metadata says" in fails(tmp_path, pair(tmp_path, meta))


def test_a_data_file_that_ends_inside_a_sample(tmp_path: pathlib.Path) -> None:
    message = fails(tmp_path, pair(tmp_path, signals.metadata("ci16_be", RATE), TONE[:1001]))
    assert message == ("the data file of rec.sigmf-meta ends inside a sample: 1001 bytes is not a whole number of "
                       "4-byte ci16_be samples (a truncated upload?)")


def test_an_empty_data_file(tmp_path: pathlib.Path) -> None:
    assert fails(tmp_path, pair(tmp_path, signals.metadata("cf32_le", RATE), b"")) == (
        "the data file of rec.sigmf-meta holds no samples")


def test_fewer_samples_than_one_fft(tmp_path: pathlib.Path) -> None:
    message = fails(tmp_path, pair(tmp_path, signals.metadata("cf32_le", RATE), TONE[:800]), fft_size=1024)
    assert message == "rec.sigmf-meta holds 100 samples, fewer than one FFT of fft_size 1024; choose a smaller fft_size"


def test_several_channels(tmp_path: pathlib.Path) -> None:
    meta = signals.metadata("cf32_le", RATE)
    meta["global"]["core:num_channels"] = 2
    assert "only single-channel recordings are drawn" in fails(tmp_path, pair(tmp_path, meta))


def test_metadata_that_is_not_json(tmp_path: pathlib.Path) -> None:
    paths = pair(tmp_path, signals.metadata("cf32_le", RATE))
    paths[0].write_text("{not json")
    assert fails(tmp_path, paths).startswith("rec.sigmf-meta is not JSON, so not SigMF metadata")


def test_a_sample_rate_parameter_with_a_sigmf_recording(tmp_path: pathlib.Path) -> None:
    message = fails(tmp_path, pair(tmp_path, signals.metadata("cf32_le", RATE)), sample_rate=2e6)
    assert message.endswith("leave out sample_rate (they are for a CSV input)")


@pytest.mark.parametrize("names", [["a.sigmf-meta"], ["a.sigmf-data", "b.bin"], ["a.sigmf-meta", "b.sigmf-meta"],
                                   ["a.sigmf-meta", "a.sigmf-data", "c.csv"]])
def test_files_that_make_no_recording(tmp_path: pathlib.Path, names: list[str]) -> None:
    paths = []
    for name in names:
        (tmp_path / name).write_bytes(b"{}")
        paths.append(tmp_path / name)
    assert fails(tmp_path, paths).startswith(f"the recording input got {', '.join(names)}; it takes a .sigmf-meta")


def archive(tmp_path: pathlib.Path, members: list[tuple[str, bytes]], link: str | None = None) -> pathlib.Path:
    path = tmp_path / "rec.sigmf"
    with tarfile.open(path, "w") as tar:
        for name, content in members:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
        if link:
            info = tarfile.TarInfo(link)
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
            tar.addfile(info)
    return path


META = json.dumps(signals.metadata("cf32_le", RATE)).encode()


@pytest.mark.parametrize("name", ["../rec.sigmf-meta", "/tmp/rec.sigmf-meta", "a/../../rec.sigmf-meta"])
def test_an_archive_member_that_leaves_the_archive(tmp_path: pathlib.Path, name: str) -> None:
    path = archive(tmp_path, [(name, META), ("rec.sigmf-data", TONE)])
    assert fails(tmp_path, [path]) == (f"rec.sigmf holds a member {name!r} whose path leaves the archive; it is not "
                                       "a SigMF archive this service reads")
    assert not (tmp_path.parent / "rec.sigmf-meta").exists()


def test_an_archive_with_a_link(tmp_path: pathlib.Path) -> None:
    path = archive(tmp_path, [("rec/rec.sigmf-meta", META)], link="rec/rec.sigmf-data")
    assert "which is a link or a device, not a file" in fails(tmp_path, [path])


def test_an_archive_of_two_recordings(tmp_path: pathlib.Path) -> None:
    path = archive(tmp_path, [("a.sigmf-meta", META), ("a.sigmf-data", TONE), ("b.sigmf-meta", META),
                              ("b.sigmf-data", TONE)])
    assert fails(tmp_path, [path]) == ("rec.sigmf must hold exactly one .sigmf-meta member; it holds 2 "
                                       "(a.sigmf-meta, b.sigmf-meta)")


def test_an_archive_without_data(tmp_path: pathlib.Path) -> None:
    path = archive(tmp_path, [("rec.sigmf-meta", META)])
    assert fails(tmp_path, [path]) == "rec.sigmf holds rec.sigmf-meta but no single .sigmf-data member beside it"


def test_a_file_that_is_no_archive(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "rec.sigmf"
    path.write_bytes(b"just some bytes" * 100)
    assert fails(tmp_path, [path]).startswith("rec.sigmf is not a readable .sigmf archive (a tar file)")


def test_a_csv_without_a_sample_rate(tmp_path: pathlib.Path) -> None:
    table = tmp_path / "iq.csv"
    table.write_text("i,q\n0.1,0.2\n")
    assert fails(tmp_path, [table]) == ("iq.csv is a table of samples, which carries no sample rate: give the "
                                        "parameter sample_rate (Hz)")


def test_a_csv_whose_column_is_not_numeric(tmp_path: pathlib.Path) -> None:
    table = tmp_path / "iq.csv"
    table.write_text("i,q\n" + "0.1,high\n" * 50)
    assert fails(tmp_path, [table], sample_rate=1000) == (
        "column 'q' of iq.csv is not numeric (it holds varchar values), so it cannot be the Q (quadrature) column")


def test_a_csv_with_an_empty_sample(tmp_path: pathlib.Path) -> None:
    table = tmp_path / "iq.csv"
    table.write_text("i,q\n" + "0.1,0.2\n" * 20 + "0.3,\n" + "0.1,0.2\n" * 2000)
    assert fails(tmp_path, [table], sample_rate=1000) == (
        "data row 21 of iq.csv has an empty or non-finite sample; every row must hold numbers")


def test_a_csv_without_the_named_column(tmp_path: pathlib.Path) -> None:
    table = tmp_path / "iq.csv"
    table.write_text("re,im\n0.1,0.2\n")
    assert fails(tmp_path, [table], sample_rate=1000) == (
        "iq.csv has no column 'i' for I (in-phase) column (its columns: re, im)")


def test_a_cancel_stops_the_spectra(tmp_path: pathlib.Path) -> None:
    paths = signals.write_pair(tmp_path / "in", "rec", signals.metadata("cf32_le", RATE), TONE)
    with pytest.raises(context.Cancelled):
        run(waterfall.waterfall, {"recording": paths}, tmp_path, cancelled=True)
    assert not (tmp_path / "out" / "waterfall.json").exists()
