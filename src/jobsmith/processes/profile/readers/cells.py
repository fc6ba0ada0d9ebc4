"""What a single cell of text looks like: empty, a number, a date or time, or other text.

Only for *layout* decisions on a sample (is the first row a header? which rows are title junk?),
not for the analysis' type inference, which works on the whole column. Patterns are forgiving
on purpose: "1.234,5", "-3 %" and "12/31/2020 10:00" all count as typed values.
"""

from __future__ import annotations

import enum
import re


class Kind(enum.Enum):
    EMPTY = "empty"
    NUMBER = "number"
    DATE = "date"
    TEXT = "text"


_NUMBER = re.compile(
    r"[-+]?(?:\d{1,3}(?:[.,\u00a0\u202f ]\d{3})+|\d+)?(?:[.,]\d+)?(?:[eE][-+]?\d+)?\s?%?"
)
_DATE = re.compile(
    r"\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?\s?(?:Z|[+-]\d{2}:?\d{2})?"
    r"|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}(?:,?\s\d{1,2}:\d{2}(?::\d{2})?)?"
    r"|\d{4}/\d{1,2}/\d{1,2}(?:\s\d{1,2}:\d{2}(?::\d{2})?)?"
    r"|\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
)


def kind(cell: str | None) -> Kind:
    text = (cell or "").strip()
    if not text:
        return Kind.EMPTY
    if _DATE.fullmatch(text):
        return Kind.DATE
    if any(ch.isdigit() for ch in text) and _NUMBER.fullmatch(text):
        return Kind.NUMBER
    return Kind.TEXT


def non_empty(row: list[str]) -> int:
    return sum(1 for cell in row if cell.strip())
