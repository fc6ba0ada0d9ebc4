"""The spectrogram (time across, frequency up) and the waterfall (mean spectrum above, time down)."""

from __future__ import annotations

import pathlib
from typing import Any

import numpy as np
from matplotlib import figure
from matplotlib.axes import Axes

from jobsmith.processes.visuals import outputs, recording, spectra

POWER_LABEL = "Power (dBFS)"


def db_range(power_db: Any, low: float | None, high: float | None) -> tuple[float, float]:
    """The colour scale: the given bounds, else the 1st percentile to the maximum."""
    top = float(np.max(power_db)) if high is None else high
    bottom = float(np.percentile(power_db, 1)) if low is None else low
    if bottom >= top:
        bottom = top - 1.0
    return bottom, top


def subtitle(rec: recording.Recording, settings: spectra.Settings, result: spectra.Spectra) -> str:
    centre = f", centre {outputs.hertz(rec.center_frequency)}" if rec.center_frequency is not None else ""
    averaged = f", {result.frames_per_slice} frames per slice" if result.frames_per_slice > 1 else ""
    return (f"{rec.datatype}, {outputs.hertz(rec.sample_rate).replace('Hz', 'S/s')}{centre}; "
            f"FFT {settings.fft_size}, {settings.window}, overlap {settings.overlap:g}{averaged}; "
            f"peak at {outputs.hertz(result.peak_frequency_hz)}")


def title_name(rec: recording.Recording) -> str:
    """The recording's file name without its SigMF suffix."""
    for suffix in (".sigmf-meta", ".sigmf"):
        if rec.name.endswith(suffix):
            return rec.name[: -len(suffix)]
    return rec.name


def _edges(values: Any, fallback_step: float) -> tuple[float, float]:
    step = float(values[1] - values[0]) if len(values) > 1 else fallback_step
    return float(values[0]) - step / 2, float(values[-1]) + step / 2


def spectrogram(rec: recording.Recording, settings: spectra.Settings, result: spectra.Spectra,
                colormap: str, limits: tuple[float, float], target: pathlib.Path) -> None:
    divisor, unit = outputs.frequency_unit(result.frequencies_hz)
    fig = outputs.new_figure(10, 5.6)
    axes = fig.add_subplot()
    f_low, f_high = _edges(result.frequencies_hz / divisor, 1.0)
    image = axes.imshow(result.power_db.T, origin="lower", aspect="auto", interpolation="nearest",
                        extent=(0.0, rec.duration_s, f_low, f_high), cmap=colormap, vmin=limits[0], vmax=limits[1])
    axes.set_xlabel("Time (s)")
    axes.set_ylabel(f"Frequency ({unit})")
    axes.ticklabel_format(axis="y", useOffset=False)
    fig.colorbar(image, ax=axes, label=POWER_LABEL)
    _titles(fig, axes, f"Spectrogram of {title_name(rec)}", rec, settings, result)
    outputs.save_png(fig, target)


def waterfall(rec: recording.Recording, settings: spectra.Settings, result: spectra.Spectra,
              colormap: str, limits: tuple[float, float], target: pathlib.Path) -> None:
    divisor, unit = outputs.frequency_unit(result.frequencies_hz)
    freqs = result.frequencies_hz / divisor
    fig = outputs.new_figure(10, 7.5)
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 2.6]})
    top.plot(freqs, result.mean_db, color="#1f4e79", linewidth=0.9)
    top.set_ylabel("Mean power (dBFS)")
    top.grid(True, color="0.85", linewidth=0.6)
    top.axvline(result.peak_frequency_hz / divisor, color="#c0392b", linestyle="--", linewidth=0.8,
                label=f"peak {outputs.hertz(result.peak_frequency_hz)}")
    top.legend(loc="upper right", fontsize="small")
    f_low, f_high = _edges(freqs, 1.0)
    image = bottom.imshow(result.power_db, origin="upper", aspect="auto", interpolation="nearest",
                          extent=(f_low, f_high, rec.duration_s, 0.0), cmap=colormap, vmin=limits[0], vmax=limits[1])
    bottom.set_xlabel(f"Frequency ({unit})")
    bottom.set_ylabel("Time (s)")
    bottom.ticklabel_format(axis="x", useOffset=False)
    fig.colorbar(image, ax=[top, bottom], label=POWER_LABEL, shrink=0.7, anchor=(0.0, 0.0))
    _titles(fig, top, f"Waterfall of {title_name(rec)}", rec, settings, result)
    outputs.save_png(fig, target)


def _titles(fig: figure.Figure, axes: Axes, title: str, rec: recording.Recording, settings: spectra.Settings,
            result: spectra.Spectra) -> None:
    fig.suptitle(title.replace("$", r"\$"), fontsize="large")
    axes.set_title(subtitle(rec, settings, result), fontsize="small", color="0.3")
