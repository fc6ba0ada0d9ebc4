"""The text parsers type inference tries, in the old service's order, each as a SQL expression.

Each parser turns a text expression into a typed SQL value (NULL where the text does not parse),
so the same expression decides a column's type on the sample and converts the whole column.
Defects of the old service avoided here: an 8-digit integer such as ``20240103`` is not a date
(DuckDB's ISO cast wants separators), thousands separators (``1,234.5``, ``1.234,5``) parse as
numbers instead of becoming missing, and numbers stay DOUBLE (never float32).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

from jobsmith.processes.profile.analysis.sqlbits import literal

ISO8601 = "ISO8601"
NATIVE = "NATIVE"

TIMEZONE_SUFFIX = r"\d:\d\d(:\d\d(\.\d+)?)?\s*([Zz]|[+-]\d\d(:?\d\d)?)$"
"""An ISO text ending in a UTC offset (``10:00+02:00``, ``10:00:00Z``); the date's own dashes never match."""
OFFSET_AFTER_BLANK = r"\s+([+-]\d\d(:?\d\d)?|[Zz])$"

DOT_GROUP_SEPARATORS = ",'\u2019 \u00a0\u202f"
COMMA_GROUP_SEPARATORS = ". \u00a0\u202f"


@dataclasses.dataclass(frozen=True)
class Parser:
    """One candidate interpretation of a text column.

    ``kind`` is ``datetime``, ``time`` (a time of day: kept as text, as the old service did) or
    ``numeric``; ``format`` is what the EDP reports for datetimes (``ISO8601`` or the pattern).
    """

    kind: str
    format: str
    date_only: bool = False

    def value(self, text: str, *, with_timezone: bool = False, decimal: str = ".",
              separators: str = ",") -> str:
        """SQL giving the typed value of the text expression ``text``, NULL where it does not parse."""
        if self.kind == "numeric":
            return numeric_value(text, decimal, separators)
        if self.format == ISO8601:
            return iso_value(text, with_timezone)
        return f"try_strptime({text}, {literal(self.format)})"


ISO = Parser("datetime", ISO8601)
PATTERNS: tuple[Parser, ...] = (
    Parser("datetime", "%d.%m.%Y %H:%M:%S"),
    Parser("datetime", "%d.%m.%Y %H:%M"),
    Parser("datetime", "%d.%m.%Y", date_only=True),
    Parser("datetime", "%m/%d/%Y %H:%M:%S"),
    Parser("datetime", "%m-%d-%Y %H:%M:%S"),
    Parser("datetime", "%m/%d/%Y %H:%M"),
    Parser("datetime", "%m-%d-%Y %H:%M"),
    Parser("datetime", "%m/%d/%Y", date_only=True),
    Parser("datetime", "%m-%d-%Y", date_only=True),
    Parser("time", "%H:%M:%S"),
    Parser("time", "%H:%M"),
)
NUMERIC = Parser("numeric", "numeric")
ORDER: tuple[Parser, ...] = (ISO, *PATTERNS, NUMERIC)
"""The order of the old service: datetimes first, then times, then numbers; ties go to the earlier one."""


def iso_value(text: str, with_timezone: bool) -> str:
    """ISO 8601 via DuckDB's cast; with offsets, texts carrying one are converted to UTC.

    Texts without an offset in a column that has some are taken as UTC, as the old service did.
    ``infinity`` and friends, which the cast accepts, are not dates.
    """
    naive = f"TRY_CAST({text} AS TIMESTAMP)"
    value = naive
    if with_timezone:
        # DuckDB's cast wants the offset right after the time: "10:47:32 -02:00" loses the blank.
        attached = f"regexp_replace({text}, {literal(OFFSET_AFTER_BLANK)}, '\\1')"
        aware = f"timezone('UTC', TRY_CAST({attached} AS TIMESTAMPTZ))"
        value = f"(CASE WHEN regexp_matches({text}, {literal(TIMEZONE_SUFFIX)}) THEN {aware} ELSE {naive} END)"
    return f"(CASE WHEN isfinite({value}) THEN {value} END)"


def numeric_value(text: str, decimal: str, separators: str) -> str:
    """A DOUBLE from text with ``decimal`` as decimal mark and ``separators`` grouping thousands.

    A grouped number (``1,234,567.5``; ``1.234,5`` with a decimal comma) loses its separators;
    anything else goes to the cast as it is, so ``1,5`` is not a number with a decimal point and
    ``1028 `` with a trailing blank still is one. Infinities and NaN are not values. Without
    ``separators`` (the sample showed no grouped number) the expression is a bare cast: cheaper.
    """
    if not separators:
        plain = text if decimal == "." else f"replace({text}, ',', '.')"
        return f"(CASE WHEN isfinite(TRY_CAST({plain} AS DOUBLE)) THEN TRY_CAST({plain} AS DOUBLE) END)"
    pattern = grouped_pattern(decimal, separators)
    group_class = _char_class(separators)
    stripped = f"regexp_replace({text}, {literal(group_class)}, '', 'g')"
    if decimal == ",":
        stripped, plain = f"replace({stripped}, ',', '.')", f"replace({text}, ',', '.')"
    else:
        plain = text
    guard = " OR ".join(f"contains({text}, {literal(separator)})" for separator in separators)
    grouped = f"({guard}) AND regexp_full_match({text}, {literal(pattern)})"
    normalised = f"(CASE WHEN {grouped} THEN {stripped} ELSE {plain} END)"
    number = f"TRY_CAST({normalised} AS DOUBLE)"
    return f"(CASE WHEN isfinite({number}) THEN {number} END)"


_SHAPES = {".": r"^\d{1,2}\.\d{1,2}\.\d", "/": r"^\d{1,2}/\d{1,2}/\d", "-": r"^\d{1,2}-\d{1,2}-\d",
           ":": r"^\d{1,2}:\d\d"}


def shape_of(parser: Parser) -> str | None:
    """A cheap regex a value must match before the (expensive) pattern parser is tried on it."""
    if parser.format == ISO8601 or parser.kind == "numeric":
        return None
    if parser.kind == "time":
        return _SHAPES[":"]
    return _SHAPES[parser.format[2]]


def grouped_pattern(decimal: str, separators: str) -> str:
    """RE2 pattern of a number whose thousands are grouped by one of ``separators``."""
    fraction = r"(\.\d*)?" if decimal == "." else r"(,\d*)?"
    return rf"\s*[+-]?\d{{1,3}}({_char_class(separators)}\d{{3}})+{fraction}\s*"


def separators_for(decimal: str, hint: str | None) -> str:
    """Thousands separators to accept: the usual one for the decimal mark plus the reader's hint.

    Blanks are accepted only when the reader saw them group digits, so a blank never glues two
    numbers together by accident.
    """
    usual = "," if decimal == "." else "."
    allowed = DOT_GROUP_SEPARATORS if decimal == "." else COMMA_GROUP_SEPARATORS
    extra = "" if hint is None or hint == decimal or hint not in allowed else hint
    if extra == " ":
        extra = " \u00a0\u202f"
    return "".join(dict.fromkeys(usual + extra))


def _char_class(characters: Iterable[str]) -> str:
    escaped = "".join(rf"\x{{{ord(c):04X}}}" if not c.isalnum() else re.escape(c) for c in characters)
    return f"[{escaped}]"
