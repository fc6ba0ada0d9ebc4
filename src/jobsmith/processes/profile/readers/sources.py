"""What a reader hands to the analysis: one entry per dataset found in an uploaded file.

These are plain records, so the analysis, the report and the EDP writer can depend on them
without knowing how a file was read. The rows themselves stay in DuckDB (``TabularSource.table``):
a reader never holds a dataset in Python memory.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from jobsmith import safe_archive
from jobsmith.processes.context import JobFailed

if TYPE_CHECKING:
    import duckdb


class UnreadableData(JobFailed, ValueError):
    """The file cannot be read; the message is a sentence for a person (what, and where).

    Raised instead of a library's exception so a failed job shows the user why, never a
    traceback: ``"'sales.csv' is not valid UTF-8 ... at line 12"``.
    """


@dataclasses.dataclass(frozen=True)
class FileProperties:
    """The file in the upload a dataset was read from: what the EDP's dataset tree calls ``fileProperties``.

    ``name`` is the file's own name (the last segment of its dataset name), ``size`` its bytes as
    uploaded or as unpacked from its archive. Set by :mod:`.choose_reader`, the one place that knows
    which file it is reading, on the dataset that stands for the whole file (the table of a CSV,
    the document of a JSON file, the archive itself) or, as a workbook has no dataset of its own,
    on each of its sheets. Tables derived from a JSON document carry none: their parent does.
    """

    name: str
    file_type: str
    size: int


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
    file: FileProperties | None = None
    typed: TypedCopy | None = None
    """The typed table written in the reader's full read (see :class:`Sampling`), which the
    analysis uses if its own plan types the columns the same way, and drops otherwise."""


@dataclasses.dataclass(frozen=True)
class TypedCopy:
    """A typed copy of a table, written by :attr:`Sampling.speculate` in the reader's full read."""

    table: str
    """Quoted reference of the table: its columns are the analysis' typed columns, its row order the file's."""
    typing: str
    """The SELECT that typed it (without the reader's own columns): the same text, the same table."""
    store: str | None = None
    """The quoted alias of the scratch database attached to hold it, detached when it is dropped."""


class Speculate(Protocol):
    """Writes a typed copy of ``source`` typed from its first rows (``source.sample``), with the
    ``derived`` columns (name: SQL) beside the typed ones, which may use the ``inner`` ones (name:
    SQL over the source's columns, computed once a row, not written); ``rows`` is an estimate of
    its rows. None: no copy."""

    def __call__(self, con: duckdb.DuckDBPyConnection, source: TabularSource, rows: int,
                 inner: Mapping[str, str], derived: Mapping[str, str]) -> TypedCopy | None: ...


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
    speculate: Speculate | None = None
    """With it, the full read also writes the analysis' typed table, typed from the first rows'
    types (:class:`TypedCopy`), so that a file whose sample is typed as its head is parsed once."""


@dataclasses.dataclass
class SemiStructuredSource:
    """Nested JSON documents that are not one flat table, described by an inferred JSON schema."""

    name: str
    json_schema: dict[str, object]
    document_count: int
    file: FileProperties | None = None


@dataclasses.dataclass
class ArchiveSource:
    """An archive the readers unpacked; its members are the datasets named ``<name>/<member path>``.

    Handed over *before* its members, so the dataset tree can mirror the upload: the archive a
    node, each member a child pointing at it, nested archives nested. ``algorithm`` is how the
    archive was packed (``zip``, ``tar``, ``gzip``, ``bzip2``, ``xz``; a ``.tar.gz`` is ``gzip``
    with ``file.file_type`` ``tar.gz``). ``extracted_size`` counts the bytes of its own members as
    unpacked, a nested archive at its packed size (the schema's ``extractedSize`` does not include
    recursive archives).
    """

    name: str
    algorithm: str
    extracted_size: int
    file: FileProperties | None = None


@dataclasses.dataclass
class OtherSource:
    """A file we do not profile (image, PDF, unknown binary): the notes name it; the EDP has no dataset for it."""

    name: str
    media_type: str


Source = TabularSource | SemiStructuredSource | ArchiveSource | OtherSource


@dataclasses.dataclass(frozen=True)
class ArchiveLimits(safe_archive.Limits):
    """Bounds on what an archive may unpack to, so a hostile upload cannot fill the disk
    (:class:`jobsmith.safe_archive.Limits`, the rules every archive jobsmith reads follows).

    Archives inside an archive are opened ``max_depth`` levels deep; deeper ones are only listed.
    """

    max_depth: int = 1
