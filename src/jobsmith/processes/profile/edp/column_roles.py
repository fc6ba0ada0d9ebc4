"""What a column's values *are*, judged from its summary figures: an identifier, a code, repeated values.

The profile draws a plot only where it can carry information: a box plot of a running number, the
mean of a year over time, or the "most frequent" values of a column whose values never repeat are
noise. These rules decide that from figures the EDP already holds (integrality, count, unique
count, min, max), so the report can apply the same rules to an ``edp.json`` (for example to write
a year without a thousands separator) as the analysis applied when it chose the plots.
"""

from __future__ import annotations

from collections.abc import Sequence

IDENTIFIER_SHARE = 0.98
"""An identifier's values are (almost) all distinct; 98 %, not 100 %, as HyperLogLog estimates
the unique count of large tables within a few percent."""
IDENTIFIER_MIN_VALUES = 20
IDENTIFIER_DENSITY = 20
"""A running number or a surrogate key spans at most this many integers per value; a measurement
that merely happens to be distinct in a small table (minutes of stay of 50 cars) spans many more."""
YEAR_RANGE = (1000, 2999)
YEAR_SPAN = 400
DATE_CODE_RANGE = (10000101, 99991231)
REPEAT_SHARE = 0.2
"""Top-value bars are drawn when values repeat: on average at least twice, or the shown values
cover at least this share of all values."""


def is_identifier(*, integral: bool, count: int, unique: int, minimum: float, maximum: float) -> bool:
    """Distinct integers packed densely: a row number, a running id, a surrogate key."""
    if not integral or count < IDENTIFIER_MIN_VALUES or unique < IDENTIFIER_SHARE * count:
        return False
    return maximum - minimum <= IDENTIFIER_DENSITY * count


def code_kind(*, integral: bool, minimum: float, maximum: float) -> str | None:
    """``"year"`` or ``"date code"`` (``20240131``) for integers that are labels rather than amounts.

    Their mean over time means nothing, and they are written without thousands separators.
    """
    if not integral:
        return None
    if YEAR_RANGE[0] <= minimum and maximum <= YEAR_RANGE[1] and maximum - minimum <= YEAR_SPAN:
        return "year"
    if DATE_CODE_RANGE[0] <= minimum and maximum <= DATE_CODE_RANGE[1] and _date_code(minimum) and _date_code(maximum):
        return "date code"
    return None


def _date_code(value: float) -> bool:
    month, day = int(value) // 100 % 100, int(value) % 100
    return 1 <= month <= 12 and 1 <= day <= 31


def repeats(*, count: int, unique: int, top_counts: Sequence[int]) -> bool:
    """Whether a column's most frequent values say something: its values do repeat."""
    if not top_counts or max(top_counts) < 2 or count <= 0:
        return False
    return unique <= count / 2 or sum(top_counts) >= REPEAT_SHARE * count
