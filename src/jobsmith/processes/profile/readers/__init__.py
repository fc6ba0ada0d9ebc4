"""The readers of the ``profile`` process: one uploaded file in, the datasets it holds out.

:func:`read` recognises the format from the content (connectors upload everything as
``file.csv``) and returns one :class:`Source` per dataset: tables as DuckDB views or tables in
the caller's connection, nested JSON as a schema, an archive as itself (before its members),
anything else as a name and media type for the notes. Nothing is loaded into Python memory whole and nothing is evaluated.

The caller owns the connection and the work directory: views read the uploaded file (or
UTF-8 copies and unpacked archive members in ``work_dir``), so both must outlive the analysis.
The caller also turns off extension autoloading; no reader needs an extension that is not
built into DuckDB (CSV, Parquet and JSON are).
"""

from __future__ import annotations

import pathlib

import duckdb

from jobsmith.processes.profile.readers import choose_reader, duck, read_context, readable
from jobsmith.processes.profile.readers.sources import (
    ArchiveLimits,
    ArchiveSource,
    FileProperties,
    OtherSource,
    Sampling,
    SemiStructuredSource,
    Source,
    TabularSource,
    UnreadableData,
)

__all__ = [
    "ArchiveLimits",
    "ArchiveSource",
    "FileProperties",
    "OtherSource",
    "Sampling",
    "SemiStructuredSource",
    "Source",
    "TabularSource",
    "UnreadableData",
    "read",
]


def read(
    path: pathlib.Path,
    con: duckdb.DuckDBPyConnection,
    *,
    display_name: str | None = None,
    work_dir: pathlib.Path,
    limits: ArchiveLimits = ArchiveLimits(),
    sampling: Sampling | None = None,
) -> list[Source]:
    """All datasets in the file; raises UnreadableData (a ValueError subclass, defined in the package)
    with a sentence saying what and where (file, line) when it cannot be read, and saying what the
    file is when nothing in it is data we profile (an image, a PDF, an archive of such files).

    With ``sampling``, readers that parse a whole file anyway (delimited text) draw that sample of
    its rows in the same pass (``TabularSource.sample``)."""
    name = display_name or path.name
    if not path.is_file():
        raise UnreadableData(f"'{name}' does not exist or is not a regular file.")
    ctx = read_context.Context(con, work_dir, limits, duck.TableNames(con), sampling=sampling)
    try:
        found = choose_reader.read_file(path, name, ctx)
    except duckdb.Error as error:
        raise UnreadableData(f"'{name}' could not be read: {duck.first_line(error)}.") from error
    except (OSError, UnicodeError) as error:
        raise UnreadableData(f"'{name}' could not be read: {error}.") from error
    readable.require_data(found, name)
    return found
