"""How to read a delimited text as a table, decided from a sample of its start.

The decisions (delimiter, rows to skip, header, column names, separators in numbers) are made
here in Python on at most a megabyte; the whole file is then read by DuckDB's parallel CSV
reader with those decisions spelled out, so nothing depends on DuckDB's own sniffer (which
gives up on ragged files such as ``test_missing_headers.csv``).
"""

from __future__ import annotations

import collections
import csv
import dataclasses
import io

from jobsmith.processes.profile.readers import header, number_separators

DELIMITERS = (",", ";", "\t", "|")
NO_DELIMITER = "\x1f"  # the ASCII unit separator: never in real text, so one column results
SCORE_ROWS = 1000
LAYOUT_ROWS = 1000  # rows that decide junk, header and width of the sample
NUMBER_ROWS = 2000  # data rows that decide the number separators
_SHOWN = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}


@dataclasses.dataclass(frozen=True)
class Plan:
    """Everything DuckDB needs to read the file, and what a person should be told about it.

    ``fields`` names every field DuckDB splits a row into; ``names`` are those exposed to the
    analysis (a trailing always-empty field, from rows ending in a delimiter, is read but hidden).
    """

    delimiter: str
    skip_lines: int
    fields: list[str]
    names: list[str]
    ragged: bool
    separators: number_separators.Separators
    notes: list[str]


@dataclasses.dataclass(frozen=True)
class _Rows:
    rows: list[list[str]]
    lines: list[int]  # physical lines before each row, for DuckDB's ``skip``
    end: int  # physical lines up to the end of the last row

    def before(self, index: int) -> int:
        return self.lines[index] if index < len(self.lines) else self.end


def plan(sample: str, complete: bool) -> Plan:
    """Decide how to read the text whose start is ``sample`` (the whole text if ``complete``)."""
    delimiter = choose_delimiter(sample, complete)
    parsed = parse(sample, delimiter, complete)
    layout = header.find_layout(parsed.rows[:LAYOUT_ROWS])
    data = parsed.rows[layout.data_start :]
    head = parsed.rows[layout.skip] if layout.has_header else []
    width = _width(head, data, complete)
    fields, names, notes = _names(head, data, width, layout.has_header)
    notes = [_delimiter_note(delimiter), *_layout_notes(parsed, layout), *notes]
    if head and len(head) > width and any(cell.strip() for cell in head[width:]):
        dropped = ", ".join(f"'{header.clean(cell)}'" for cell in head[width:] if cell.strip())
        notes.append(f"No row has values under the header cell(s) {dropped}; they were left out.")
    separators = number_separators.detect(_columns(data[:NUMBER_ROWS], len(fields)), delimiter == ";")
    if note := separators.note():
        notes.append(note)
    skip = parsed.before(layout.data_start)
    ragged = any(len(row) < width for row in data)
    return Plan(delimiter, skip, fields, names, ragged, separators, notes)


def choose_delimiter(sample: str, complete: bool) -> str:
    """The candidate splitting the most rows into the most consistent number of fields.

    Scored like CleverCSV's pattern score: rows are grouped by field count, each group counts
    ``rows * (fields - 1) / fields``, and the sum is divided by the number of groups, so both
    consistency and width are rewarded. If no candidate splits at least half the rows, the
    text is one column.
    """
    best, best_score = NO_DELIMITER, 0.0
    for delimiter in DELIMITERS:
        rows = [row for row in parse(sample, delimiter, complete, SCORE_ROWS).rows if any(row)]
        split = sum(1 for row in rows if len(row) > 1)
        if not rows or split * 2 < len(rows):
            continue
        groups = collections.Counter(len(row) for row in rows)
        score = sum(count * (width - 1) / width for width, count in groups.items()) / len(groups)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def parse(sample: str, delimiter: str, complete: bool, limit: int | None = None) -> _Rows:
    """Rows of the sample as the CSV rules split them; an unfinished last row is dropped."""
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, quotechar='"', doublequote=True)
    rows: list[list[str]] = []
    lines: list[int] = []
    consumed = 0
    try:
        for row in reader:
            rows.append(row)
            lines.append(consumed)  # csv.reader counts a row's lines only once it is read
            consumed = reader.line_num
            if limit is not None and len(rows) >= limit:
                return _Rows(rows, lines, consumed)
    except csv.Error:  # a field over the csv module's size limit, or a NUL: stop before it
        return _Rows(rows, lines, consumed)
    if not complete and rows:
        return _Rows(rows[:-1], lines[:-1], lines[-1])
    return _Rows(rows, lines, consumed)


def _width(head: list[str], data: list[list[str]], complete: bool) -> int:
    """Fields per row: the widest data row, or the header where it names more columns.

    Header cells beyond every data row are kept when the sample is only the file's start (later
    rows may fill them), but left out when the sample is the whole file; an empty header cell
    beyond the data is just a trailing delimiter either way.
    """
    widest = max((len(row) for row in data), default=len(head))
    named = max((index + 1 for index, cell in enumerate(head) if cell.strip()), default=0)
    return widest if complete else max(widest, named)


def _names(head: list[str], data: list[list[str]], width: int, has_header: bool) -> tuple[list[str], list[str], list[str]]:
    trailing = _trailing_empty(head, data, width)
    shown = width - trailing
    if has_header:
        names, notes = header.column_names(head, shown)
    else:
        names, notes = header.headerless_names(shown), [f"There is no header row; the columns are named column_1 to column_{shown}."]
    if trailing:
        notes.append("Rows end with a delimiter; the empty field after it is ignored.")
    fields = names + [f"__trailing_{index}" for index in range(trailing)]
    return fields, names, notes


def _trailing_empty(head: list[str], data: list[list[str]], width: int) -> int:
    """How many last fields have no header and no value in any sampled row (at least one kept)."""
    count = 0
    for index in range(width - 1, 0, -1):
        if (index < len(head) and head[index].strip()) or any(index < len(row) and row[index].strip() for row in data):
            break
        count += 1
    return count if data else 0


def _columns(rows: list[list[str]], width: int) -> list[list[str]]:
    return [[row[index] for row in rows if index < len(row)] for index in range(width)]


def _delimiter_note(delimiter: str) -> str:
    if delimiter == NO_DELIMITER:
        return "No field delimiter was found; each line is one value of a single column."
    return f"Fields are separated by {_SHOWN[delimiter]}; '\"' quotes fields."


def _layout_notes(parsed: _Rows, layout: header.Layout) -> list[str]:
    return header.layout_notes(parsed.rows, layout, parsed.before(layout.skip) + 1, "line")
