"""A SigMF recording as the signal processes read it: where its samples are, their type, rate and centre.

The metadata is read with the ``sigmf`` package; everything a picture depends on is checked here,
before any sample is read, so an unusable recording fails the job with one sentence (no sample
rate, an unknown datatype, several channels, a data file shorter than its metadata says) instead of
drawing something that looks plausible and is wrong.
"""

from __future__ import annotations

import dataclasses
import json
import math
import pathlib
import re
from typing import Any

import numpy as np
from sigmf import keys, sigmffile

from jobsmith.processes import context
from jobsmith.processes.visuals import archive

DATATYPE = re.compile(r"[cr](?:(?:f64|f32|i32|i16|u32|u16)_(?:le|be)|i8|u8)")
"""The datatypes of SigMF's ``core:datatype``: complex or real; float, signed or unsigned integer;
little or big endian for anything wider than a byte."""


@dataclasses.dataclass(frozen=True)
class Recording:
    """A single-channel recording: ``samples`` samples of ``datatype`` in ``data``."""

    name: str
    data: archive.ByteRange
    datatype: str
    component: np.dtype[Any]
    is_complex: bool
    sample_rate: float
    center_frequency: float | None
    samples: int
    notes: tuple[str, ...] = ()

    @property
    def sample_bytes(self) -> int:
        return self.component.itemsize * (2 if self.is_complex else 1)

    @property
    def duration_s(self) -> float:
        return self.samples / self.sample_rate


def from_pair(meta: pathlib.Path, data: pathlib.Path) -> Recording:
    """The recording of an uploaded ``.sigmf-meta`` and ``.sigmf-data`` pair."""
    try:
        text = meta.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise context.JobFailed(f"{meta.name} is not UTF-8 text, so not SigMF metadata") from None
    return parse(text, meta.name, archive.ByteRange(data, 0, data.stat().st_size))


def parse(text: str, name: str, data: archive.ByteRange) -> Recording:
    """Check the metadata ``text`` (from a file called ``name``) against the data it describes."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise context.JobFailed(f"{name} is not JSON, so not SigMF metadata: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("global"), dict):
        raise context.JobFailed(f"{name} has no \"global\" object, so it is not SigMF metadata")
    meta = sigmffile.SigMFFile(metadata=document)
    datatype, component, is_complex = _datatype(meta.get_global_field(keys.DATATYPE_KEY), name)
    rate = _sample_rate(meta.get_global_field(keys.SAMPLE_RATE_KEY), name)
    _single_channel(meta.get_global_field(keys.NUM_CHANNELS_KEY, 1), name)
    sample_bytes = component.itemsize * (2 if is_complex else 1)
    trailing = _count(meta.get_global_field(keys.TRAILING_BYTES_KEY, 0), keys.TRAILING_BYTES_KEY, name)
    usable = max(0, data.length - trailing)
    samples, partial = divmod(usable, sample_bytes)
    if partial:
        raise context.JobFailed(f"the data file of {name} ends inside a sample: {usable} bytes is not a whole "
                                f"number of {sample_bytes}-byte {datatype} samples (a truncated upload?)")
    captures = [c for c in meta.get_captures() if isinstance(c, dict)]
    _long_enough(samples, _described(captures, meta.get_annotations(), name), name)
    center, notes = _center(captures, name)
    return Recording(name=name, data=archive.ByteRange(data.path, data.offset, samples * sample_bytes),
                     datatype=datatype, component=component, is_complex=is_complex, sample_rate=rate,
                     center_frequency=center, samples=samples, notes=notes)


def _datatype(value: object, name: str) -> tuple[str, np.dtype[Any], bool]:
    if not isinstance(value, str) or not value:
        raise context.JobFailed(f"{name} gives no core:datatype, so its samples cannot be read")
    match = DATATYPE.fullmatch(value.lower())
    if match is None:
        raise context.JobFailed(
            f"{name} gives core:datatype {value!r}, which is not a SigMF sample type this service reads "
            "(c or r, then f32, f64, i32, i16, u32, u16 with _le or _be, or i8, u8)")
    info = sigmffile.dtype_info(value.lower())
    component = np.dtype(info["component_dtype"])
    return value.lower(), component, bool(info["is_complex"])


def _sample_rate(value: object, name: str) -> float:
    if value is None:
        raise context.JobFailed(f"{name} gives no core:sample_rate, so its time and frequency axes are unknown")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise context.JobFailed(f"{name} gives core:sample_rate {value!r}; it must be a positive number of Hz")
    return float(value)


def _single_channel(value: object, name: str) -> None:
    if value != 1:
        raise context.JobFailed(f"{name} has core:num_channels {value!r}; only single-channel recordings "
                                "are drawn")


def _count(value: object, key: str, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise context.JobFailed(f"{name} gives {key} {value!r}; it must be a whole number of at least 0")
    return value


def _described(captures: list[dict[str, Any]], annotations: object, name: str) -> int:
    """How many samples the metadata says there are at least: the last capture's start, the last
    annotation's end."""
    needed = 0
    for capture in captures:
        start = _count(capture.get(keys.SAMPLE_START_KEY, 0), keys.SAMPLE_START_KEY, name)
        needed = max(needed, start + 1 if start else 0)  # a capture from sample 0 asks for no sample
    for note in annotations if isinstance(annotations, list) else []:
        if isinstance(note, dict):
            start = _count(note.get(keys.SAMPLE_START_KEY, 0), keys.SAMPLE_START_KEY, name)
            length = _count(note.get(keys.SAMPLE_COUNT_KEY, 0), keys.SAMPLE_COUNT_KEY, name)
            needed = max(needed, start + length)
    return needed


def _long_enough(samples: int, needed: int, name: str) -> None:
    if samples < needed:
        raise context.JobFailed(f"the data file of {name} holds {samples} samples but its metadata describes "
                                f"{needed} (captures and annotations reach sample {needed - 1}): the data file "
                                "is shorter than its metadata says")
    if samples == 0:
        raise context.JobFailed(f"the data file of {name} holds no samples")


def _center(captures: list[dict[str, Any]], name: str) -> tuple[float | None, tuple[str, ...]]:
    """The first capture's ``core:frequency``; a note when later captures tune elsewhere."""
    frequencies = [c.get(keys.FREQUENCY_KEY) for c in captures]
    given = [f for f in frequencies if f is not None]
    for value in given:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise context.JobFailed(f"{name} gives core:frequency {value!r}; it must be a number of Hz")
    if not given:
        return None, ()
    notes: tuple[str, ...] = ()
    if len(set(given)) > 1:
        notes = (f"the captures are at {len(set(given))} centre frequencies; frequencies are drawn relative "
                 f"to the first, {float(given[0]):g} Hz",)
    return float(given[0]), notes
