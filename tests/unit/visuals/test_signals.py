"""spectrogram and waterfall on synthetic recordings with a known tone: the JSON's peak is at the tone."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest
from scipy import signal  # type: ignore[import-untyped]

from jobsmith.processes.visuals import recording, spectra, spectrogram, waterfall
from tests.support import signals
from tests.unit.visuals.running import png_size, result, run

RATE = 1_000_000.0
TONE = 123_456.0
SAMPLES = 100_000
FFT = 1024
BIN = RATE / FFT

COMPLEX = ["cf32_le", "cf32_be", "cf64_le", "cf64_be", "ci32_le", "ci16_le", "ci16_be", "ci8", "cu8", "cu16_be"]
REAL = ["rf32_le", "rf64_be", "ri32_be", "ri16_le", "ri16_be", "ri8", "ru8", "ru16_le"]


def pair(tmp_path: pathlib.Path, datatype: str, center: float | None = None, tone: float = TONE,
         **meta: object) -> list[pathlib.Path]:
    document = signals.metadata(datatype, RATE, center)
    document["global"].update(meta)
    return signals.write_pair(tmp_path / "in", "tone", document, signals.tone(datatype, tone, RATE, SAMPLES))


@pytest.mark.parametrize("datatype", COMPLEX)
@pytest.mark.parametrize("center", [None, 2.4e9])
def test_a_complex_tone_peaks_at_its_frequency_absolute_with_a_centre(tmp_path: pathlib.Path, datatype: str,
                                                                       center: float | None) -> None:
    out = run(spectrogram.spectrogram, {"recording": pair(tmp_path, datatype, center)}, tmp_path)
    document = result(out, "spectrogram")
    expected = TONE + (center or 0.0)
    assert abs(document["peak_frequency_hz"] - expected) <= BIN
    assert document["recording"]["datatype"] == datatype
    assert document["recording"]["center_frequency_hz"] == center
    assert -7.6 < document["peak_power_db"] < -5.9  # amplitude 0.5: -6 dBFS, less up to 1.4 dB of scalloping
    assert len(document["frequencies_hz"]) == FFT == len(document["power_db"][0])
    assert len(document["times_s"]) == len(document["power_db"])
    assert document["frequencies_hz"][0] == pytest.approx((center or 0.0) - RATE / 2)


@pytest.mark.parametrize("datatype", REAL)
@pytest.mark.parametrize("center", [None, 100e6])
def test_a_real_tone_peaks_at_its_frequency_on_a_one_sided_axis(tmp_path: pathlib.Path, datatype: str,
                                                                  center: float | None) -> None:
    out = run(waterfall.waterfall, {"recording": pair(tmp_path, datatype, center)}, tmp_path)
    document = result(out, "waterfall")
    # a real recording spans rate/2; with a centre frequency its middle (rate/4) is the centre
    expected = TONE if center is None else center - RATE / 4 + TONE
    assert abs(document["peak_frequency_hz"] - expected) <= BIN
    assert len(document["frequencies_hz"]) == FFT // 2 + 1
    assert -10.6 < document["peak_power_db"] < -8.9  # a real sine of amplitude 0.5: -9 dBFS, less scalloping


@pytest.mark.parametrize("tone", [-300_000.0, 0.0, 7_812.5, 499_000.0])
def test_negative_zero_and_edge_frequencies_of_a_complex_recording(tmp_path: pathlib.Path, tone: float) -> None:
    out = run(spectrogram.spectrogram, {"recording": pair(tmp_path, "cf32_le", tone=tone)}, tmp_path, fft_size=512)
    assert abs(result(out, "spectrogram")["peak_frequency_hz"] - tone) <= RATE / 512


def test_the_mean_spectrum_is_welchs_power_spectrum(tmp_path: pathlib.Path) -> None:
    paths = pair(tmp_path, "cf64_le")
    out = run(waterfall.waterfall, {"recording": paths}, tmp_path, fft_size=256, overlap=0.5, window="hamming")
    samples = np.frombuffer(paths[1].read_bytes(), dtype="<f8").reshape(-1, 2)
    values = samples[:, 0] + 1j * samples[:, 1]
    _, power = signal.welch(values, RATE, window="hamming", nperseg=256, noverlap=128, detrend=False,
                            scaling="spectrum", return_onesided=False)
    expected = 10 * np.log10(np.fft.fftshift(power))
    assert np.allclose(result(out, "waterfall")["mean_power_db"], expected, atol=0.01)


def test_slices_are_bounded_and_reading_in_blocks_changes_nothing(tmp_path: pathlib.Path) -> None:
    paths = pair(tmp_path, "ci16_be")
    rec = recording.from_pair(*paths)
    settings = spectra.Settings(fft_size=256, window="hann", overlap=0.25, max_slices=37)
    whole = spectra.compute(rec, settings, lambda fraction: None)
    fractions: list[float] = []
    blocks = spectra.compute(rec, settings, fractions.append, block_values=256 * 5)
    assert len(fractions) > 50 and fractions[-1] == 1.0
    assert whole.frames == 1 + (SAMPLES - 256) // 192 == 520
    assert whole.frames_per_slice == 15 and whole.power_db.shape == (35, 256)  # at most 37 slices of 15 frames
    assert np.allclose(whole.power_db, blocks.power_db) and np.allclose(whole.mean_db, blocks.mean_db)
    assert np.all(np.diff(whole.times_s) > 0) and whole.times_s[-1] < rec.duration_s


def test_every_parameter_reaches_the_json_and_the_db_range_is_honoured(tmp_path: pathlib.Path) -> None:
    out = run(spectrogram.spectrogram, {"recording": pair(tmp_path, "cf32_le")}, tmp_path, fft_size=2048,
              window="blackmanharris", overlap=0.75, colormap="magma", db_min=-90, db_max=0, max_slices=40)
    document = result(out, "spectrogram")
    assert (document["fft_size"], document["window"], document["overlap"], document["hop"]) == (
        2048, "blackmanharris", 0.75, 512)
    assert document["db_range"] == [-90, 0] and len(document["times_s"]) <= 40
    assert png_size(out / "spectrogram.png") == (1000, 560)


@pytest.mark.parametrize("gzipped", [False, True])
def test_a_sigmf_archive_reads_as_its_pair(tmp_path: pathlib.Path, gzipped: bool) -> None:
    data = signals.tone("ci16_le", TONE, RATE, SAMPLES)
    archive = signals.write_archive(tmp_path / "tone.sigmf", "tone", signals.metadata("ci16_le", RATE, 433.92e6),
                                    data, gzipped=gzipped)
    out = run(waterfall.waterfall, {"recording": [archive]}, tmp_path / "a")
    from_pair = run(waterfall.waterfall, {"recording": signals.write_pair(
        tmp_path / "p", "tone", signals.metadata("ci16_le", RATE, 433.92e6), data)}, tmp_path / "b")
    archived, paired = result(out, "waterfall"), result(from_pair, "waterfall")
    assert abs(archived["peak_frequency_hz"] - (433.92e6 + TONE)) <= BIN
    assert archived["power_db"] == paired["power_db"]
    assert archived["recording"]["name"] == "tone.sigmf"
    assert png_size(out / "waterfall.png") == (1000, 750)


def test_a_csv_of_iq_columns_with_a_sample_rate(tmp_path: pathlib.Path) -> None:
    t = np.arange(20_000) / 48_000.0
    values = 0.3 * np.exp(2j * np.pi * -5_000.0 * t)
    table = tmp_path / "iq.csv"
    table.write_text("time,I,Q\n" + "".join(f"{a},{v.real},{v.imag}\n" for a, v in zip(t, values, strict=True)))
    out = run(spectrogram.spectrogram, {"recording": [table]}, tmp_path, sample_rate=48_000, i_column="I",
              q_column="Q", center_frequency=1e6, fft_size=256)
    document = result(out, "spectrogram")
    assert abs(document["peak_frequency_hz"] - (1e6 - 5_000.0)) <= 48_000 / 256
    assert document["recording"]["samples"] == 20_000 and document["recording"]["datatype"] == "cf32_le"


def test_a_csv_of_one_real_column(tmp_path: pathlib.Path) -> None:
    t = np.arange(8_000) / 8_000.0
    table = tmp_path / "audio.csv"
    table.write_text("v\n" + "".join(f"{x}\n" for x in np.sin(2 * np.pi * 440.0 * t)))
    out = run(waterfall.waterfall, {"recording": [table]}, tmp_path, sample_rate=8_000, i_column="v",
              q_column=None, fft_size=512)
    assert abs(result(out, "waterfall")["peak_frequency_hz"] - 440.0) <= 8_000 / 512


def test_the_json_holds_no_infinity_for_a_silent_recording(tmp_path: pathlib.Path) -> None:
    paths = signals.write_pair(tmp_path / "in", "zero", signals.metadata("ci8", RATE), bytes(2 * 4096))
    out = run(spectrogram.spectrogram, {"recording": paths}, tmp_path, fft_size=256)
    text = (out / "spectrogram.json").read_text()
    assert "Infinity" not in text and "NaN" not in text
    assert json.loads(text)["peak_power_db"] == -300.0
