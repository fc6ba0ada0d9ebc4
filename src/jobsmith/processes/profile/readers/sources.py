"""What a reader hands to the analysis: one entry per dataset found in an uploaded file.

These are plain records, so the analysis, the report and the EDP writer can depend on them
without knowing how a file was read. The rows themselves stay in DuckDB (``TabularSource.table``):
a reader never holds a dataset in Python memory.
"""

from __future__ import annotations

import dataclasses

from jobsmith.processes.context import JobFailed


class UnreadableData(JobFailed, ValueError):
    """The file cannot be read; the message is a sentence for a person (what, and where).

    Raised instead of a library's exception so a failed job shows the user why, never a
    traceback: ``"'sales.csv' is not valid UTF-8 ... at line 12"``.
    """


@dataclasses.dataclass
class TabularSource:
    """Rows and columns, ready for the analysis in a DuckDB table or view.

    Columns read from text are VARCHAR and absent from ``native_types``: the analysis infers
    their types, helped by ``decimal_comma`` and ``thousands``. Columns whose source carries a
    type other than text (parquet, Excel numbers and dates, JSON numbers) are listed in
    ``native_types`` with their DuckDB type, so the analysis need not guess them.
    """

    name: str
    table: str
    format: str
    native_types: dict[str, str]
    decimal_comma: bool
    thousands: str | None
    notes: list[str]
    row_count: int
    sample: str | None = None
    """A temporary table holding the seeded sample of rows the analysis infers types on, when the
    reader drew it during its own full read (see :class:`Sampling`); the analysis drops it."""


@dataclasses.dataclass(frozen=True)
class Sampling:
    """The seeded sample of rows a reader may draw while it reads a file whole anyway.

    Parsing a CSV is the expensive part of sampling it: drawing the sample in the reader's own
    pass (which counts the rows and checks the file) saves the analysis a second parse of the
    file. The rule is the analysis' (``sqlbits.seeded_sample``: the ``rows`` smallest of a seeded
    hash of every column, within a slice of the hash space), so the same file always gives the
    same sample; only the slice is sized from an estimate of the rows, as they are not counted yet.
    """

    rows: int
    seed: int


@dataclasses.dataclass
class SemiStructuredSource:
    """Nested JSON documents that are not one flat table, described by an inferred JSON schema."""

    name: str
    json_schema: dict[str, object]
    document_count: int


@dataclasses.dataclass
class OtherSource:
    """A file we do not profile (image, PDF, unknown binary): it appears in the dataset tree only."""

    name: str
    media_type: str


Source = TabularSource | SemiStructuredSource | OtherSource


@dataclasses.dataclass(frozen=True)
class ArchiveLimits:
    """Bounds on what an archive may unpack to, so a hostile upload cannot fill the disk.

    Sizes are checked against the bytes actually written, not the sizes an archive declares
    (which a zip bomb can forge). ``max_ratio`` applies to members larger than
    ``ratio_threshold_bytes``, since tiny files compress by large factors quite legitimately.
    Archives inside an archive are opened ``max_depth`` levels deep; deeper ones are only listed.
    """

    max_members: int = 10_000
    max_total_bytes: int = 8 * 1024**3
    max_member_bytes: int = 4 * 1024**3
    max_ratio: float = 250.0
    ratio_threshold_bytes: int = 1024 * 1024
    max_depth: int = 1
