"""The parameters of ``spectrogram`` and ``waterfall``: the FFT, the picture, and the CSV form's axes.

Kept free of numpy and matplotlib so the registry can describe the processes without importing them.
"""

from __future__ import annotations

from typing import Literal, Self

import pydantic

Window = Literal["hann", "hamming", "blackman", "blackmanharris", "flattop", "bartlett", "boxcar"]
Colormap = Literal["viridis", "magma", "inferno", "plasma", "cividis", "turbo", "gray", "gray_r", "jet"]
MAX_VALUES = 4 * 1024 * 1024
"""fft_size × max_slices at most: the power grid in the JSON holds that many numbers."""


class SignalParameters(pydantic.BaseModel):
    """How the spectra are computed and drawn. ``sample_rate``, ``center_frequency`` and the column
    names are for a CSV of I/Q columns; a SigMF recording brings its own rate and centre."""

    model_config = pydantic.ConfigDict(extra="forbid")

    fft_size: int = pydantic.Field(1024, ge=16, le=65536, description="Samples per FFT (frequency bins).")
    window: Window = pydantic.Field("hann", description="The window applied to each FFT frame.")
    overlap: float = pydantic.Field(0.5, ge=0, le=0.95, description="Fraction of a frame shared with the next.")
    colormap: Colormap = pydantic.Field("viridis", description="The matplotlib colour map of the power.")
    db_min: float | None = pydantic.Field(None, description="Lowest power drawn (dB); default: the 1st percentile.")
    db_max: float | None = pydantic.Field(None, description="Highest power drawn (dB); default: the maximum.")
    max_slices: int = pydantic.Field(500, ge=1, le=8192, description=(
        "At most this many time slices in the picture and the JSON; consecutive FFT frames are averaged "
        "into one slice when there are more."))
    sample_rate: float | None = pydantic.Field(None, gt=0, description="Samples per second of a CSV input.")
    center_frequency: float | None = pydantic.Field(None, description="Centre frequency (Hz) of a CSV input.")
    i_column: str = pydantic.Field("i", min_length=1, description="The in-phase column of a CSV input.")
    q_column: str | None = pydantic.Field("q", description="The quadrature column of a CSV input; null for a "
                                                           "real signal.")

    @pydantic.model_validator(mode="after")
    def _bounded(self) -> Self:
        if self.db_min is not None and self.db_max is not None and self.db_min >= self.db_max:
            raise ValueError(f"db_min ({self.db_min}) must be below db_max ({self.db_max})")
        if self.fft_size * self.max_slices > MAX_VALUES:
            raise ValueError(f"fft_size × max_slices is {self.fft_size * self.max_slices}; at most {MAX_VALUES} "
                             "(the JSON holds one number per bin and slice): lower one of them")
        return self


class SpectrogramParameters(SignalParameters):
    model_config = pydantic.ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"fft_size": 1024, "window": "hann", "overlap": 0.5}]})


class WaterfallParameters(SignalParameters):
    model_config = pydantic.ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"fft_size": 2048, "max_slices": 256}]})

    max_slices: int = pydantic.Field(256, ge=1, le=8192, description=(
        "At most this many slices (rows of the waterfall); consecutive FFT frames are averaged into one "
        "slice when there are more."))
