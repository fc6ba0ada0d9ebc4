"""From a file to its datasets: recognise the format, hand the file to the reader for it.

Archives call back into :func:`read_file` for each member, one level deeper; past
``ArchiveLimits.max_depth`` an archive is only listed. The file *name* matters only where the
content is ambiguous: binary bytes in a ``.csv`` are an error (the user meant data), binary
bytes in ``photo.heic`` are a file to list.
"""

from __future__ import annotations

import dataclasses
import pathlib

from jobsmith.processes.profile.readers import (
    archives,
    delimited,
    excel,
    file_format,
    jsonfiles,
    parquet,
    read_context,
    readable,
    sources,
)

DATA_SUFFIXES = frozenset(
    {".csv", ".tsv", ".tab", ".txt", ".dat", ".psv", ".json", ".jsonl", ".ndjson", ".xlsx", ".xlsm", ".xls", ".ods", ".parquet"}
)
JSON_SUFFIXES = {".json": "array", ".geojson": "object", ".jsonl": "lines", ".ndjson": "lines"}
_ARCHIVES = (file_format.Format.ZIP, file_format.Format.TAR, file_format.Format.COMPRESSED)
_WORKBOOKS = (file_format.Format.XLSX, file_format.Format.XLS, file_format.Format.ODS)


def read_file(path: pathlib.Path, name: str, ctx: read_context.Context) -> list[sources.Source]:
    """The file's datasets, the one standing for the whole file carrying its :class:`sources.FileProperties`."""
    found = file_format.detect(path)
    suffix = pathlib.PurePosixPath(name).suffix.lower()
    if found.format is file_format.Format.DELIMITED and found.detail == "bracket" and suffix in JSON_SUFFIXES:
        found = file_format.Detected(file_format.Format.JSON, "application/json", _json_layout(path, suffix))
    datasets = _read_file(path, name, suffix, found, ctx)
    return _with_file(datasets, name, found, path.stat().st_size)


def _read_file(path: pathlib.Path, name: str, suffix: str, found: file_format.Detected,
               ctx: read_context.Context) -> list[sources.Source]:
    if found.format is file_format.Format.EMPTY:
        if ctx.depth:
            return [sources.OtherSource(name, "inode/x-empty")]
        raise sources.UnreadableData(f"'{name}' is empty: there is nothing to profile.")
    if found.format is file_format.Format.BINARY:
        return [_binary(name, suffix)]
    if found.format in _ARCHIVES:
        if ctx.depth > ctx.limits.max_depth:
            return [sources.OtherSource(name, found.media_type)]
        return archives.read(path, name, found, ctx, read_file)
    return _read_data(path, name, found, ctx)


def _read_data(path: pathlib.Path, name: str, found: file_format.Detected, ctx: read_context.Context) -> list[sources.Source]:
    if found.format is file_format.Format.DELIMITED:
        return [delimited.read(path, name, ctx)]
    if found.format is file_format.Format.JSON:
        return jsonfiles.read(path, name, found, ctx)
    if found.format in _WORKBOOKS:
        return list(excel.read(path, name, found.format.value, ctx))
    if found.format is file_format.Format.PARQUET:
        return [parquet.read(path, name, ctx)]
    return [sources.OtherSource(name, found.media_type)]


def _with_file(datasets: list[sources.Source], name: str, found: file_format.Detected, size: int) -> list[sources.Source]:
    """Set the file's properties on the dataset named like the file or, for a workbook, on every sheet.

    A dataset that already has them keeps them: an archive member read as its own file was
    stamped one call deeper, with its own size. Datasets named below the file (a JSON document's
    record tables) do not get them: the dataset tree reaches the file through their parent.
    """
    named = [d for d in datasets if d.name == name]
    if not named and found.format in _WORKBOOKS:
        named = datasets  # every sheet is read from the workbook, and none stands for it alone
    properties = sources.FileProperties(name.rsplit("/", 1)[-1], _file_type(found), size)
    chosen = {id(d) for d in named}
    return [_stamped(d, properties) if id(d) in chosen else d for d in datasets]


def _stamped(dataset: sources.Source, properties: sources.FileProperties) -> sources.Source:
    """Files we do not profile are not in the dataset tree, so they need no file properties."""
    if isinstance(dataset, sources.OtherSource) or dataset.file is not None:
        return dataset
    return dataclasses.replace(dataset, file=properties)


def _file_type(found: file_format.Detected) -> str:
    """The type of file we read, named as a person would (``csv``, ``xlsx``, ``ndjson``, ``tar.gz``)."""
    if found.format in _ARCHIVES:
        return archives.file_type(found)
    if found.format is file_format.Format.DELIMITED:
        return "csv"
    if found.format is file_format.Format.JSON:
        return "ndjson" if found.detail in ("lines", "concatenated") else "json"
    return str(found.format.value)


def _binary(name: str, suffix: str) -> sources.OtherSource:
    if suffix in DATA_SUFFIXES:
        raise sources.UnreadableData(
            f"'{name}' does not hold text or any data format we read: it starts with binary bytes "
            f"(a damaged file, or a format other than its name says?). The profile process reads {readable.READS}."
        )
    return sources.OtherSource(name, "application/octet-stream")


def _json_layout(path: pathlib.Path, suffix: str) -> str:
    if JSON_SUFFIXES[suffix] == "lines":
        return "lines"
    with path.open("rb") as handle:
        start = handle.read(4096).decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    return "array" if start.startswith("[") else "object"
