"""Power spectra of a recording over time, computed in blocks so memory stays flat in the file's size.

The recording is cut into frames of ``fft_size`` samples, ``hop`` apart (the overlap), each
windowed and transformed. Consecutive frames are averaged (in linear power) into at most
``max_slices`` slices, so a long recording gives a picture and a JSON of bounded size; the mean
spectrum averages every frame. Samples are read block by block with plain reads (no memory map,
whose touched pages would count against the job as the file is scanned); a block holds at most
:data:`BLOCK_VALUES` values of the frame matrix.

Power is normalised so that a full-scale complex tone reads 0 dBFS (|X|² divided by the squared
sum of the window); for a real recording the one-sided spectrum counts both halves, so a real
full-scale sine reads -3 dBFS.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import fft, signal  # type: ignore[import-untyped]

from jobsmith.processes import context
from jobsmith.processes.visuals import recording

BLOCK_VALUES = 2 * 1024 * 1024
"""Frame values (frames × fft_size) transformed at once: ~16 MB of complex64, ~50 MB with the FFT's
output and the power, whatever the size of the recording."""
FLOOR = 1e-30

Array = np.ndarray[Any, Any]
Tick = Callable[[float], None]


@dataclasses.dataclass(frozen=True)
class Settings:
    fft_size: int
    window: str
    overlap: float
    max_slices: int

    @property
    def hop(self) -> int:
        return max(1, round(self.fft_size * (1 - self.overlap)))


@dataclasses.dataclass(frozen=True)
class Spectra:
    """Slices × frequency bins of power in dB, their axes, and the mean spectrum over all frames."""

    frequencies_hz: Array
    times_s: Array
    power_db: Array
    mean_db: Array
    frames: int
    frames_per_slice: int

    @property
    def peak_frequency_hz(self) -> float:
        return float(self.frequencies_hz[int(np.argmax(self.mean_db))])


def frequencies(rec: recording.Recording, fft_size: int) -> Array:
    """Bin frequencies in Hz: absolute when the recording has a centre frequency. A complex recording
    spans centre ± rate/2; a real one spans rate/2 whose middle is the centre."""
    step = 1.0 / rec.sample_rate
    if rec.is_complex:
        offsets: Array = np.fft.fftshift(np.fft.fftfreq(fft_size, step))
        return offsets + (rec.center_frequency or 0.0)
    baseband: Array = np.fft.rfftfreq(fft_size, step)
    if rec.center_frequency is None:
        return baseband
    return baseband + rec.center_frequency - rec.sample_rate / 4


def compute(rec: recording.Recording, settings: Settings, tick: Tick, *, block_values: int = BLOCK_VALUES) -> Spectra:
    """Every frame's power spectrum, averaged into slices; ``tick(fraction)`` after every block (it
    may raise to stop, as a cancel does). ``block_values`` bounds the frame matrix of one block."""
    n = settings.fft_size
    if rec.samples < n:
        raise context.JobFailed(f"{rec.name} holds {rec.samples} samples, fewer than one FFT of fft_size {n}; "
                                "choose a smaller fft_size")
    hop = settings.hop
    frames = 1 + (rec.samples - n) // hop
    per_slice = math.ceil(frames / settings.max_slices)
    slices = math.ceil(frames / per_slice)
    bins = n if rec.is_complex else n // 2 + 1
    total = np.zeros((slices, bins), dtype=np.float64)
    window = signal.get_window(settings.window, n, fftbins=True).astype(np.float32)
    scale = 1.0 / float(window.sum()) ** 2
    block = max(1, block_values // n)
    with rec.data.path.open("rb") as handle:
        for first in range(0, frames, block):
            count = min(block, frames - first)
            samples = read(handle, rec, first * hop, (count - 1) * hop + n)
            power = _power(samples, window, hop, count, rec.is_complex) * scale
            _accumulate(total, power, first, per_slice)
            tick((first + count) / frames)
    counts = np.diff(np.minimum(np.arange(slices + 1) * per_slice, frames)).astype(np.float64)
    mean = total.sum(axis=0) / frames
    return Spectra(frequencies_hz=frequencies(rec, n), times_s=_times(slices, per_slice, frames, hop, n, rec),
                   power_db=decibels(total / counts[:, None]), mean_db=decibels(mean), frames=frames,
                   frames_per_slice=per_slice)


def read(handle: Any, rec: recording.Recording, start: int, count: int) -> Array:
    """``count`` samples from sample ``start`` as complex64 or float32 in [-1, 1) for integer types."""
    values = count * (2 if rec.is_complex else 1)
    handle.seek(rec.data.offset + start * rec.sample_bytes)
    raw = np.fromfile(handle, dtype=rec.component, count=values)
    if raw.size < values:
        got = raw.size // (2 if rec.is_complex else 1)
        raise context.JobFailed(f"the data of {rec.name} ended early, at sample {start + got}; the file changed "
                                "while it was read")
    scaled = _scaled(raw, rec.component)
    if not rec.is_complex:
        return scaled
    pairs = scaled.reshape(-1, 2)
    return (pairs[:, 0] + 1j * pairs[:, 1]).astype(np.complex64)


def _scaled(raw: Array, component: np.dtype[Any]) -> Array:
    if component.kind == "f":
        return raw.astype(np.float32)
    bits = component.itemsize * 8
    full = float(2 ** (bits - 1))
    if component.kind == "u":
        return ((raw.astype(np.float64) - full) / full).astype(np.float32)
    return (raw.astype(np.float64) / full).astype(np.float32)


def _power(samples: Array, window: Array, hop: int, count: int, is_complex: bool) -> Array:
    n = window.size
    frames = np.lib.stride_tricks.sliding_window_view(samples, n)[::hop][:count] * window
    if is_complex:
        spectrum = fft.fftshift(fft.fft(frames, axis=1), axes=1)
        power: Array = (spectrum.real ** 2 + spectrum.imag ** 2).astype(np.float64)
        return power
    spectrum = fft.rfft(frames, axis=1)
    power = (spectrum.real ** 2 + spectrum.imag ** 2).astype(np.float64)
    last = n // 2 if n % 2 == 0 else n // 2 + 1
    power[:, 1:last] *= 2  # one-sided: the negative frequencies' half of the power
    return power


def _accumulate(total: Array, power: Array, first: int, per_slice: int) -> None:
    """Add each frame's power to its slice's sum (frame ``first + i`` belongs to slice ``// per_slice``)."""
    index = (first + np.arange(power.shape[0])) // per_slice
    starts = np.flatnonzero(np.r_[True, index[1:] != index[:-1]])
    total[index[starts]] += np.add.reduceat(power, starts, axis=0)


def _times(slices: int, per_slice: int, frames: int, hop: int, n: int, rec: recording.Recording) -> Array:
    """The middle of each slice's samples, in seconds from the recording's start."""
    first = np.arange(slices) * per_slice
    last = np.minimum(first + per_slice, frames) - 1
    middle = (first * hop + last * hop + n) / 2
    times: Array = middle / rec.sample_rate
    return times


def decibels(power: Array) -> Array:
    result: Array = 10 * np.log10(np.maximum(power, FLOOR))
    return result
