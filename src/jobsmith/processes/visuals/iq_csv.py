"""A CSV of I/Q columns as a recording: converted once, in chunks, to interleaved float32 samples.

The result is an ordinary ``cf32_le`` (or ``rf32_le`` without a Q column) recording in the job's work
directory, so the spectra are computed by the same block reader as for SigMF, in bounded memory.
"""

from __future__ import annotations

import pathlib
from typing import Any

import duckdb
import numpy as np

from jobsmith.processes import context
from jobsmith.processes.visuals import archive, recording, tabular

CHUNK_ROWS = 65_536


def to_recording(path: pathlib.Path, work_dir: pathlib.Path, *, i_column: str, q_column: str | None,
                 sample_rate: float | None, center_frequency: float | None) -> recording.Recording:
    if sample_rate is None:
        raise context.JobFailed(f"{path.name} is a table of samples, which carries no sample rate: give the "
                                "parameter sample_rate (Hz)")
    con, columns = tabular.open_table(path)
    try:
        names = [i_column] + ([q_column] if q_column else [])
        for name, role in zip(names, ("I (in-phase) column", "Q (quadrature) column"), strict=False):
            tabular.column(columns, name, path.name, numeric=True, role=role)
        target = work_dir / "recording-from-csv.sigmf-data"
        samples = _convert(con, names, target, path.name)
    finally:
        con.close()
    is_complex = q_column is not None
    return recording.Recording(
        name=path.name, data=archive.ByteRange(target, 0, target.stat().st_size),
        datatype="cf32_le" if is_complex else "rf32_le", component=np.dtype("<f4"), is_complex=is_complex,
        sample_rate=sample_rate, center_frequency=center_frequency, samples=samples)


def _convert(con: duckdb.DuckDBPyConnection, names: list[str], target: pathlib.Path, file: str) -> int:
    selected = ", ".join(f"CAST({tabular.ident(n)} AS DOUBLE)" for n in names)
    try:
        con.execute(f"SELECT {selected} FROM {tabular.VIEW}")
        samples = 0
        with target.open("wb") as sink:
            while rows := con.fetchmany(CHUNK_ROWS):
                block = np.asarray(rows, dtype=np.float64)
                _finite(block, samples, file)
                sink.write(block.astype("<f4").tobytes())
                samples += len(rows)
    except duckdb.Error as exc:
        raise context.JobFailed(f"{file} cannot be read as numbers: {tabular.first_line(exc)}") from None
    if samples == 0:
        raise context.JobFailed(f"{file} holds no samples")
    return samples


def _finite(block: np.ndarray[Any, Any], before: int, file: str) -> None:
    bad = ~np.isfinite(block).all(axis=1)
    if bad.any():
        row = before + int(np.argmax(bad)) + 1
        raise context.JobFailed(f"data row {row} of {file} has an empty or non-finite sample; every row must "
                                "hold numbers")

