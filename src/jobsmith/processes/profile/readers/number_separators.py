"""Which decimal and thousands separators the numbers in a text sample use.

Values stay text (the analysis infers types on the whole column); the analysis only needs to
know how to read "1.234,5". Each column votes for comma style (decimal comma, '.' groups) or
point style (decimal point, ',' groups) and the file follows the majority of columns, so one
column of codes like "200.01" does not outvote seven columns of German amounts.

"4.782" alone is ambiguous. It counts as a '.' thousands group only in a column that also has
plain numbers below 1000, no plain number of four or more digits, and no other decimal point:
the shape of amounts printed with grouping, and not that of values printed with three decimals.
"""

from __future__ import annotations

import dataclasses
import re

_PLAIN = re.compile(r"[-+]?(\d+)")
_ONE_SEP = re.compile(r"[-+]?(\d+)([.,])(\d+)")
_GROUPED = re.compile(r"[-+]?\d{1,3}(?:([.,\u00a0\u202f ])\d{3})+(?:([.,])\d+)?")
_SPACES = "\u00a0\u202f "


@dataclasses.dataclass
class _Column:
    comma: int = 0  # evidence for ',' decimals / '.' groups
    point: int = 0  # evidence for '.' decimals / ',' groups
    small_plain: int = 0
    big_plain: int = 0
    ambiguous_dot: int = 0  # "4.782"
    ambiguous_comma: int = 0  # "4,782"
    groups: set[str] = dataclasses.field(default_factory=set)


@dataclasses.dataclass(frozen=True)
class Separators:
    decimal_comma: bool
    thousands: str | None

    def note(self) -> str | None:
        if not self.decimal_comma and self.thousands is None:
            return None
        decimal = "','" if self.decimal_comma else "'.'"
        shown = {" ": "a space", "\u00a0": "a no-break space", "\u202f": "a narrow no-break space"}
        grouping = f" and {shown.get(self.thousands, repr(self.thousands))} to group thousands" if self.thousands else ""
        return f"Numbers use {decimal} as decimal separator{grouping}."


def detect(columns: list[list[str]], semicolons: bool) -> Separators:
    """Separators from sample columns; ``semicolons`` (the European CSV habit) breaks a tie."""
    stats = [_column(values) for values in columns]
    comma_style = sum(1 for column in stats if column.comma > column.point)
    point_style = sum(1 for column in stats if column.point > column.comma)
    decimal_comma = comma_style > point_style or (comma_style == point_style > 0 and semicolons)
    agreeing = [column for column in stats if (column.comma > column.point) == decimal_comma]
    group_chars = set().union(*(column.groups for column in agreeing)) if agreeing else set()
    group_chars.discard("," if decimal_comma else ".")
    return Separators(decimal_comma, _pick_group(group_chars))


def _pick_group(chars: set[str]) -> str | None:
    for char in (".", ",", " ", "\u00a0", "\u202f"):
        if char in chars:
            return char
    return None


def _column(values: list[str]) -> _Column:
    column = _Column()
    for value in values:
        _classify(value.strip(), column)
    if column.ambiguous_dot and _grouping_shape(column) and not column.point:
        column.comma += column.ambiguous_dot
        column.groups.add(".")
    if column.ambiguous_comma and _grouping_shape(column) and not column.comma:
        column.point += column.ambiguous_comma
        column.groups.add(",")
    return column


def _grouping_shape(column: _Column) -> bool:
    return column.small_plain > 0 and column.big_plain == 0


def _classify(value: str, column: _Column) -> None:
    if plain := _PLAIN.fullmatch(value):
        column.small_plain += len(plain.group(1)) <= 3
        column.big_plain += len(plain.group(1)) > 3
    elif single := _ONE_SEP.fullmatch(value):
        _single_separator(single.group(1), single.group(2), single.group(3), column)
    elif grouped := _GROUPED.fullmatch(value):
        _grouped(grouped.group(1), grouped.group(2), column)


def _single_separator(whole: str, sep: str, fraction: str, column: _Column) -> None:
    ambiguous = len(fraction) == 3 and len(whole) <= 3 and not whole.startswith("0")
    if ambiguous:
        if sep == ".":
            column.ambiguous_dot += 1
        else:
            column.ambiguous_comma += 1
    elif sep == ",":
        column.comma += 1
    else:
        column.point += 1


def _grouped(group: str, decimal: str | None, column: _Column) -> None:
    """Two or more groups ("1.234.567"), or groups and decimals ("1.234,5"): unambiguous."""
    column.groups.add(group)
    if group == "." or decimal == ",":
        column.comma += 1
    elif group == "," or decimal == ".":
        column.point += 1
