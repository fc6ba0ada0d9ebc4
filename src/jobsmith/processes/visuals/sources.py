"""Which form the ``recording`` input came in: a SigMF pair, a ``.sigmf`` archive, or a CSV of I/Q columns."""

from __future__ import annotations

import pathlib

from jobsmith.processes import context
from jobsmith.processes.visuals import archive, iq_csv, recording, signal_parameters

TABLES = (".csv", ".tsv", ".txt", ".parquet")


def open_recording(paths: list[pathlib.Path], work_dir: pathlib.Path,
                   params: signal_parameters.SignalParameters) -> recording.Recording:
    """The recording the uploaded files make; :class:`context.JobFailed` says what is missing."""
    names = ", ".join(p.name for p in paths) or "no file"
    metas = [p for p in paths if p.name.endswith(archive.META)]
    datas = [p for p in paths if p.name.endswith(archive.DATA)]
    if len(paths) == 2 and len(metas) == 1 and len(datas) == 1:
        _no_csv_parameters(params, metas[0].name)
        return recording.from_pair(metas[0], datas[0])
    if len(paths) == 1 and paths[0].suffix.lower() in TABLES:
        return iq_csv.to_recording(paths[0], work_dir, i_column=params.i_column, q_column=params.q_column,
                                   sample_rate=params.sample_rate, center_frequency=params.center_frequency)
    if len(paths) == 1 and not metas and not datas:
        unpacked = archive.open_archive(paths[0], work_dir)
        _no_csv_parameters(params, paths[0].name)
        return recording.parse(unpacked.meta_text, paths[0].name, unpacked.data)
    raise context.JobFailed(
        f"the recording input got {names}; it takes a .sigmf-meta and a .sigmf-data file, one .sigmf "
        "archive, or one CSV of I/Q columns")


def _no_csv_parameters(params: signal_parameters.SignalParameters, name: str) -> None:
    """A SigMF recording brings its own rate and centre: a parameter that would be ignored is refused."""
    given = [k for k in ("sample_rate", "center_frequency") if getattr(params, k) is not None]
    if given:
        raise context.JobFailed(f"{name} is a SigMF recording, which brings its own core:sample_rate and "
                                f"core:frequency; leave out {' and '.join(given)} (they are for a CSV input)")
