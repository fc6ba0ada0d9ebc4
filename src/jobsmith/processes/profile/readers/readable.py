"""Whether an upload holds anything the profile reads, and if not, a sentence saying what it is.

The readers list files they do not profile (an image in an archive beside a CSV is fine: the
notes name it). But an upload in which *nothing* is profiled would end with an empty EDP that
says nothing, so :func:`require_data` fails the job instead, naming what the content is (as far
as its first bytes tell) and what the profile reads, so the person who uploaded it knows what to
send instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from jobsmith.processes.profile.readers import sources

READS = ("delimited text (CSV, TSV, semicolon- or pipe-separated), Excel workbooks (.xlsx, .xls), OpenDocument "
         "spreadsheets (.ods), Parquet, JSON and NDJSON, or a zip or tar archive of them")
"""What the profile reads, as the sentences of a refusal put it."""

LISTED = 5
"""Files of an archive named in its refusal; the rest are counted."""

_NESTED = "an archive inside an archive inside the upload (archives are opened one level deep)"
KINDS: dict[str, str] = {
    "application/octet-stream": "binary data of unknown format",
    "inode/x-empty": "an empty file",
    "inode/symlink": "a symbolic link (never followed)",
    "inode/chardevice": "a device file", "inode/blockdevice": "a device file", "inode/fifo": "a named pipe",
    "application/pdf": "a PDF document",
    "image/png": "a PNG image", "image/jpeg": "a JPEG image", "image/gif": "a GIF image", "image/tiff": "a TIFF image",
    "image/webp": "a WebP image", "image/bmp": "a BMP image",
    "audio/wav": "a WAV audio file", "audio/ogg": "an Ogg audio file", "audio/flac": "a FLAC audio file",
    "audio/mpeg": "an MP3 audio file", "audio/mp4": "an MP4 audio file", "video/mp4": "an MP4 video",
    "video/quicktime": "a QuickTime video", "video/x-msvideo": "an AVI video", "video/x-matroska": "a Matroska video",
    "application/x-7z-compressed": "a 7-Zip archive", "application/vnd.rar": "a RAR archive",
    "application/vnd.sqlite3": "an SQLite database", "application/vnd.apache.arrow.file": "an Arrow IPC file",
    "application/avro": "an Avro file", "application/x-hdf5": "an HDF5 file", "application/x-npy": "a NumPy array file",
    "application/x-executable": "an executable program",
    "application/x-python-pickle": "a Python pickle (never unpickled: loading one can run code)",
    "application/xml": "an XML document", "text/html": "an HTML page",
    "application/msword": "a Word document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "a Word document",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "a PowerPoint presentation",
    "application/vnd.ms-excel.sheet.binary.macroenabled.12": "an Excel binary workbook (.xlsb)",
    "application/x-ole-storage": "an OLE compound document that is not an Excel workbook",
    "application/zip": _NESTED, "application/x-tar": _NESTED, "application/gzip": _NESTED,
    "application/x-bzip2": _NESTED, "application/x-xz": _NESTED,
}
"""What a person calls the media types the readers list (:mod:`.file_format`, :mod:`.archives`).
Archive types only reach this table for archives nested past ``ArchiveLimits.max_depth``."""


def describe(media_type: str) -> str:
    """``a PNG image``, ``binary data of unknown format``; the media type itself when it has no name here."""
    return KINDS.get(media_type, f"a file of type {media_type}")


def require_data(found: Sequence[sources.Source], name: str) -> None:
    """Raise :class:`sources.UnreadableData` when no dataset in ``found`` is profiled.

    A table or a JSON document is profiled; an archive only through its members, and a file we
    do not read not at all. ``name`` is the upload's name, as the readers were given it.
    """
    if any(isinstance(source, (sources.TabularSource, sources.SemiStructuredSource)) for source in found):
        return
    others = [source for source in found if isinstance(source, sources.OtherSource)]
    if any(isinstance(source, sources.ArchiveSource) for source in found) or len(others) != 1:
        raise sources.UnreadableData(
            f"'{name}' holds nothing the profile process reads: {_listing(others, name)}. It reads {READS}.")
    raise sources.UnreadableData(f"'{name}' is {describe(others[0].media_type)}: the profile process reads {READS}.")


def _listing(others: Sequence[sources.OtherSource], archive: str) -> str:
    """``'logo.png' (a PNG image), 'notes.pdf' (a PDF document) and 3 more files``: paths inside the archive."""
    if not others:
        return "no files"
    named = [f"'{source.name.removeprefix(archive + '/')}' ({describe(source.media_type)})"
             for source in others[:LISTED]]
    rest = len(others) - len(named)
    if rest:
        return ", ".join(named) + f" and {rest} more file{'s' if rest > 1 else ''}"
    return named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
