"""Where a table starts in a sheet or text file, whether it has a header row, and its column names.

Exports from spreadsheets and statistics offices put a title or unit line above the header
(";;;;;;in Tsd. Euro"), leave header cells empty over a second column of a pair, or have no
header at all. The analysis needs one clean, unique, non-empty name per column, and the person
reading the report needs to know what was guessed: every decision comes with a note.
"""

from __future__ import annotations

import collections
import dataclasses

from jobsmith.processes.profile.readers import cells

MAX_JUNK_ROWS = 30
HEADER_EVIDENCE_ROWS = 200
MAX_NAME = 200


@dataclasses.dataclass(frozen=True)
class Layout:
    """``skip`` rows above the table are junk; then a header row if ``has_header``, then data."""

    skip: int
    has_header: bool

    @property
    def data_start(self) -> int:
        return self.skip + int(self.has_header)


def find_layout(rows: list[list[str]]) -> Layout:
    skip = junk_rows(rows)
    if skip >= len(rows):
        return Layout(0, False)
    first = rows[skip]
    return Layout(skip, has_header(first, rows[skip + 1 : skip + 1 + HEADER_EVIDENCE_ROWS]))


def layout_notes(rows: list[list[str]], layout: Layout, position: int, unit: str) -> list[str]:
    """Where the table starts, for the notes: ``position`` is the header's (or first row's)
    1-based line or row number in the file, ``unit`` "line" or "row"."""
    if not layout.skip:
        return [f"The header is {unit} {position}."] if layout.has_header else []
    first = next((row for row in rows[: layout.skip] if cells.non_empty(row)), [])
    shown = " ".join(cell.strip() for cell in first if cell.strip())[:80]
    what = f" ('{shown}')" if shown else ""
    where = f"the header is {unit} {position}" if layout.has_header else "no header follows"
    skipped = position - 1
    counted = f"1 {unit}" if skipped == 1 else f"{skipped} {unit}s"
    return [f"Skipped {counted} above the table{what}; {where}."]


def typical_width(rows: list[list[str]]) -> int:
    """The most common number of fields among rows that hold at least two values."""
    widths = collections.Counter(len(row) for row in rows if cells.non_empty(row) >= 2)
    if not widths:
        return max((len(row) for row in rows), default=0)
    return widths.most_common(1)[0][0]


def junk_rows(rows: list[list[str]]) -> int:
    """Leading rows holding (almost) nothing compared with the table below: titles, units, blanks.

    A row is junk when at most a quarter of the typical width (at least one cell) is filled. If
    the first ``MAX_JUNK_ROWS`` rows all look like that, the table is just sparse: nothing is junk.
    """
    width = typical_width(rows)
    if width < 2:
        return 0
    limit = max(1, width // 4)
    skip = 0
    while skip < len(rows) and cells.non_empty(rows[skip]) <= limit:
        skip += 1
        if skip >= MAX_JUNK_ROWS:
            return 0
    return skip if skip < len(rows) else 0


def has_header(first: list[str], data: list[list[str]]) -> bool:
    """Does ``first`` name the columns of ``data``? Votes column by column.

    For: a text cell over numbers or dates, or over text values that all have another length
    (a "uuid" over 36-character ids). Against: a number or date over a column of the same kind.
    Any vote for wins, since real headers often hold years ("2019") next to names; with no
    votes at all (text over text) a header is assumed, as in most files.
    """
    if not data:  # a lone row is a header only if it holds no numbers or dates
        return all(cells.kind(cell) in (cells.Kind.TEXT, cells.Kind.EMPTY) for cell in first)
    votes_for = votes_against = 0
    for index, cell in enumerate(first):
        vote = _column_vote(cell, [row[index] for row in data if index < len(row) and row[index].strip()])
        votes_for += vote > 0
        votes_against += vote < 0
    return votes_for > 0 or votes_against == 0


def _column_vote(cell: str, values: list[str]) -> int:
    head = cells.kind(cell)
    if head is cells.Kind.EMPTY or not values:
        return 0
    kinds = collections.Counter(cells.kind(value) for value in values)
    major = kinds.most_common(1)[0][0]
    if head is not cells.Kind.TEXT:
        return -1 if major is not cells.Kind.TEXT else 0
    if major is not cells.Kind.TEXT:
        return 1
    lengths = {len(value.strip()) for value in values}
    return int(len(values) >= 3 and len(lengths) == 1 and len(cell.strip()) not in lengths)


def column_names(header: list[str], width: int) -> tuple[list[str], list[str]]:
    """``width`` unique, non-empty names from the header cells (which may be fewer), with notes."""
    raw = [clean(cell) for cell in header[:width]]
    empty = [index for index, cell in enumerate(raw, start=1) if not cell]
    extra = list(range(len(raw) + 1, width + 1))
    filled = [cell or f"column_{index}" for index, cell in enumerate(raw, start=1)]
    names, notes = unique(filled + [f"column_{index}" for index in extra])
    if empty and header:
        notes.insert(0, f"The header cell is empty in {_columns(empty, names)}.")
    if extra and header:
        notes.insert(0, f"Rows have up to {width} fields but the header names only {len(raw)}: "
                     f"no header for {_columns(extra, names)}.")
    return names, notes


def headerless_names(width: int) -> list[str]:
    return [f"column_{index}" for index in range(1, width + 1)]


def clean(cell: object) -> str:
    """Whitespace (line breaks included) collapsed to single spaces, trimmed, at most 200 chars."""
    return " ".join(str(cell if cell is not None else "").split())[:MAX_NAME]


def unique(names: list[str]) -> tuple[list[str], list[str]]:
    """Names made unique ignoring case (DuckDB's rule): a repeat becomes ``name_2``, ``name_3`` ..."""
    seen: set[str] = set()
    result: list[str] = []
    notes: list[str] = []
    for name in names:
        candidate, number = name, 1
        while candidate.lower() in seen:
            number += 1
            candidate = f"{name}_{number}"
        if candidate != name:
            notes.append(f"The column name '{name}' repeats; the repeat is named '{candidate}'.")
        seen.add(candidate.lower())
        result.append(candidate)
    return result, notes


def _columns(positions: list[int], names: list[str]) -> str:
    """"columns 3 and 5 (named column_3, column_5)", listing at most five."""
    shown = positions[:5]
    more = f" and {len(positions) - len(shown)} more" if len(positions) > len(shown) else ""
    word = "column" if len(positions) == 1 else "columns"
    numbers = ", ".join(str(position) for position in shown)
    named = ", ".join(names[position - 1] for position in shown) + (", ..." if more else "")
    return f"{word} {numbers}{more} (named {named})"
