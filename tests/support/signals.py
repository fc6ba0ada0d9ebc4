"""Synthetic SigMF recordings with a known tone, in any SigMF datatype, as a pair or a ``.sigmf`` archive."""

from __future__ import annotations

import io
import json
import pathlib
import tarfile
from typing import Any

import numpy as np

_TYPES = {"f32": "f4", "f64": "f8", "i32": "i4", "i16": "i2", "i8": "i1", "u32": "u4", "u16": "u2", "u8": "u1"}


def tone(datatype: str, tone_hz: float, rate: float, samples: int, *, amplitude: float = 0.5,
         noise: float = 0.01, seed: int = 7) -> bytes:
    """The raw bytes of a tone at ``tone_hz`` (plus a little noise) in ``datatype`` (e.g. ``ci16_be``)."""
    rng = np.random.default_rng(seed)
    t = np.arange(samples) / rate
    is_complex = datatype.startswith("c")
    if is_complex:
        values = amplitude * np.exp(2j * np.pi * tone_hz * t) + noise * (rng.standard_normal(samples)
                                                                      + 1j * rng.standard_normal(samples))
        parts = np.empty(2 * samples)
        parts[0::2], parts[1::2] = values.real, values.imag
    else:
        parts = amplitude * np.cos(2 * np.pi * tone_hz * t) + noise * rng.standard_normal(samples)
    return encode(parts, datatype)


def encode(parts: np.ndarray[Any, Any], datatype: str) -> bytes:
    """Interleaved components in [-1, 1) as ``datatype`` bytes, scaled as SigMF readers scale them back."""
    body, _, order = datatype[1:].partition("_")
    code = _TYPES[body]
    dtype = np.dtype(("<" if order != "be" else ">") + code)
    if code.startswith("f"):
        return bytes(parts.astype(dtype).tobytes())
    full = 2 ** (dtype.itemsize * 8 - 1)
    scaled = np.clip(np.round(parts * full), -full, full - 1)
    if code.startswith("u"):
        scaled = scaled + full
    return bytes(scaled.astype(dtype).tobytes())


def metadata(datatype: str | None, rate: float | None, center: float | None = None,
             **extra: Any) -> dict[str, Any]:
    glob: dict[str, Any] = {"core:version": "1.2.0"}
    if datatype is not None:
        glob["core:datatype"] = datatype
    if rate is not None:
        glob["core:sample_rate"] = rate
    capture: dict[str, Any] = {"core:sample_start": 0}
    if center is not None:
        capture["core:frequency"] = center
    document = {"global": glob, "captures": [capture], "annotations": []}
    for key, value in extra.items():
        document[key] = value
    return document


def write_pair(folder: pathlib.Path, name: str, meta: dict[str, Any], data: bytes) -> list[pathlib.Path]:
    folder.mkdir(parents=True, exist_ok=True)
    meta_path, data_path = folder / f"{name}.sigmf-meta", folder / f"{name}.sigmf-data"
    meta_path.write_text(json.dumps(meta))
    data_path.write_bytes(data)
    return [meta_path, data_path]


def write_archive(path: pathlib.Path, name: str, meta: dict[str, Any], data: bytes, *,
                  gzipped: bool = False) -> pathlib.Path:
    """A ``.sigmf`` archive laid out as SigMF writers do: ``name/name.sigmf-meta`` and ``-data``."""
    with tarfile.open(path, "w:gz") if gzipped else tarfile.open(path, "w") as tar:
        for member, content in ((f"{name}/{name}.sigmf-meta", json.dumps(meta).encode()),
                                (f"{name}/{name}.sigmf-data", data)):
            info = tarfile.TarInfo(member)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return path
