"""How the report and its plots write numbers, shares and timestamps: one way, everywhere.

The old report wrote a mean as ``2.02406e+07`` beside a minimum of ``20,240,101`` and a year as
``1,990``. Here every figure of a column is written alike: integers with thousands separators,
decimals to six significant digits in the same positional notation (scientific only below 1e-4
and from 1e15 on, as ``1.2 × 10⁻⁵``), and codes (years, ``20240131``) without separators.
"""

from __future__ import annotations

import math

SIGNIFICANT = 6
SCIENTIFIC_BELOW, SCIENTIFIC_FROM = 1e-4, 1e15
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def number(value: float, *, code: bool = False) -> str:
    """``value`` for reading; with ``code`` (a year, a date code) without thousands separators."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value) if code else f"{value:,}"
    if not math.isfinite(value):
        return "∞" if value > 0 else "−∞" if value < 0 else "not a number"
    size = abs(value)
    if size and (size < SCIENTIFIC_BELOW or size >= SCIENTIFIC_FROM):
        mantissa, exponent = f"{value:.{SIGNIFICANT - 1}e}".split("e")
        return f"{mantissa.rstrip('0').rstrip('.')} × 10{str(int(exponent)).translate(_SUPERSCRIPT)}"
    decimals = max(0, SIGNIFICANT - 1 - math.floor(math.log10(size))) if size else 0
    text = f"{value:.{decimals}f}" if code else f"{value:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def share(fraction: float) -> str:
    """A share as a percentage that never rounds a few to nothing or nearly all to all: ``0 %``,
    ``<0.1 %``, ``0.4 %``, ``12 %``, ``>99.9 %``, ``100 %``."""
    if fraction <= 0:
        return "0 %"
    if fraction >= 1:
        return "100 %"
    if fraction < 0.001:
        return "<0.1 %"
    if fraction > 0.999:
        return ">99.9 %"
    if fraction < 0.095 or fraction > 0.995:
        return f"{fraction * 100:.1f} %"
    return f"{fraction * 100:.0f} %"


def timestamp(text: str, *, date_only: bool = False) -> str:
    """An ISO 8601 timestamp with a space for the ``T`` (a narrow cell breaks between date and
    time), or only its date part for a column whose values are dates."""
    if date_only:
        return text[:10]
    return text.replace("T", " ", 1)
