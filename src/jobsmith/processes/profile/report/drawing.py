"""What every plot shares: its figure and size, compact number ticks, and text from the data drawn literally.

Only matplotlib's object-oriented API with the Agg canvas is used: no pyplot, so no global figure
registry that leaks memory in a long-lived job host. Every figure is sized in inches at
:data:`DPI` and laid out with margins sized from its labels (or matplotlib's constrained layout),
so titles, labels and colour bars never overlap.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from matplotlib import figure, ticker
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import text_to_path

DPI = 96
"""Dots per inch of every PNG: readable on screen and in the A4 report (7-point notes are 9 pixels
high), files of a few dozen KB. 110 drew the 200 MB benchmark's 32 plots in 12 % more CPU time."""

LABEL_CHARS = 28
"""Category and column labels longer than this are cut with an ellipsis so tick labels fit."""

Margins = tuple[float, float, float]
"""Inches left, right and below the axes of a figure with fixed margins."""


def new_figure(width: float, height: float, margins: Margins | None = None) -> tuple[figure.Figure, Axes]:
    """A figure with one axes, laid out by constrained layout or, with ``margins``, fixed ones.

    Constrained layout draws every figure twice (once to measure); that is ~40 % of a plot's time.
    Figures whose labels have a bounded width (numbers through :func:`compact_numbers`, names
    through :func:`shorten`, measured by :func:`text_inches` for top values) take fixed margins
    instead; heatmaps, with a colour bar and labels on two axes, keep constrained layout.
    """
    fig = figure.Figure(figsize=(width, height), dpi=DPI, layout=None if margins else "constrained")
    if margins:
        left, right, bottom = margins
        fig.subplots_adjust(left=left / width, right=1 - right / width, bottom=bottom / height)
    return fig, fig.add_subplot()


def compact_numbers(*axes: Axis, bins: int = 7) -> None:
    """Tick labels of at most ~6 characters, so fixed margins always fit them: beyond 1e5 or
    below 1e-3, and for large values that vary little, the shared factor and offset go to the
    axis's offset text (e.g. ``×10⁵`` or ``+1.2346×10⁹``) instead of every label."""
    for axis in axes:
        formatter = ticker.ScalarFormatter(useOffset=True)
        formatter.set_powerlimits((-3, 5))
        axis.set_major_locator(ticker.MaxNLocator(nbins=bins))
        axis.set_major_formatter(formatter)


def shorten(text: str, limit: int = LABEL_CHARS) -> str:
    """Cut ``text`` to ``limit`` characters with an ellipsis, so long labels cannot overlap; drawn
    literally (:func:`literal`)."""
    text = literal(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


_BREAKS_AS_SPACES = str.maketrans({"\n": " ", "\r": " ", "\t": " ", "\v": " ", "\f": " "})


def literal(text: str) -> str:
    """Text from the data (names, values) as a plot should show it: line breaks and tabs as spaces,
    other control and unassigned characters as U+FFFD (no font has a glyph for them), and ``$``
    escaped, since matplotlib reads ``$...$`` as mathematics and fails on what does not parse."""
    text = text.translate(_BREAKS_AS_SPACES)
    text = "".join("\ufffd" if unicodedata.category(ch) in ("Cc", "Cn", "Cs") else ch for ch in text)
    return text.replace("$", r"\$")


def no_data(axes: Axes, message: str) -> None:
    """Say why a plot is empty rather than drawing an empty frame that looks like a bug."""
    axes.text(0.5, 0.5, message, transform=axes.transAxes, ha="center", va="center", color="0.4")
    axes.set_xticks([])
    axes.set_yticks([])


def text_inches(texts: Sequence[str], fontsize: float) -> float:
    """The width of the widest text in inches, from the font's metrics (nothing is drawn)."""
    font = FontProperties(size=fontsize)
    widths = [text_to_path.get_text_width_height_descent(text, font, ismath=False)[0] for text in texts]
    return max(widths, default=0.0) / 72


def short_count(value: float, _position: int | None = None) -> str:
    """A count tick label of at most ~5 characters: ``250``, ``12.5k``, ``3M``."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:g}{suffix}"
    return f"{value:g}"
