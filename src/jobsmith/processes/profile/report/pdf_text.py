"""Text in the PDF: embedded fonts for every script, paragraph styles, and text from the data made safe.

reportlab draws a paragraph in one font and falls back to nothing, so text is cut into runs by
:func:`.fonts.runs` and each run not in DejaVu Sans is wrapped in ``<font face=...>`` naming the
fallback font it needs, registered (and embedded, subset) the first time a run needs it.
"""

from __future__ import annotations

import functools
import pathlib
import re
import unicodedata
from typing import Any
from xml.sax import saxutils

from reportlab import platypus  # type: ignore[import-untyped]
from reportlab.lib import colors, styles  # type: ignore[import-untyped]
from reportlab.lib.fonts import addMapping  # type: ignore[import-untyped]
from reportlab.pdfbase import pdfmetrics, ttfonts  # type: ignore[import-untyped]

from jobsmith.processes.profile.report import fonts

FONT = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
_UNSAFE = re.compile(r"[^\w-]")


def register_fonts() -> None:
    """Embed DejaVu Sans (shipped with matplotlib): the PDF base fonts cannot show most non-Latin-1 text.

    reportlab's font registry is process-wide; registering once per process is enough.
    """
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    pdfmetrics.registerFont(ttfonts.TTFont(FONT, str(fonts.BASE)))
    pdfmetrics.registerFont(ttfonts.TTFont(BOLD, str(fonts.BASE_BOLD)))
    for bold, italic, name in ((0, 0, FONT), (1, 0, BOLD), (0, 1, FONT), (1, 1, BOLD)):
        addMapping(FONT, bold, italic, name)


@functools.cache
def _fallback(path: pathlib.Path) -> str:
    """The reportlab name of a fallback font, registered on first use (bold and italic map to it)."""
    name = "jsm-" + _UNSAFE.sub("-", path.stem)
    pdfmetrics.registerFont(ttfonts.TTFont(name, str(path), subfontIndex=0))
    for bold, italic in ((0, 0), (1, 0), (0, 1), (1, 1)):
        addMapping(name, bold, italic, name)
    return name


def markup(text: str) -> str:
    """Paragraph markup that shows ``text`` literally, each run in a font that has it.

    Control characters (no font has them, and XML forbids most) become U+FFFD.
    """
    text = "".join("\ufffd" if unicodedata.category(ch) == "Cc" and ch not in "\t\n" else ch for ch in text)
    return "".join(saxutils.escape(part) if font is None else
                   f'<font face="{_fallback(font)}">{saxutils.escape(part)}</font>'
                   for part, font in fonts.runs(text))


def paragraph(text: str, style: Any, link: str | None = None) -> Any:
    """A Paragraph of plain text; with ``link``, a link to that bookmark of the document."""
    shown = markup(text)
    if link:
        shown = f'<a href="#{link}" color="#1f4e79">{shown}</a>'
    return platypus.Paragraph(shown, style)


def draw_string(canvas: Any, x: float, y: float, text: str, size: float, right: bool = False) -> None:
    """A single line on the canvas (footers), each run in a font that has it."""
    parts = [(part, FONT if font is None else _fallback(font)) for part, font in fonts.runs(text)]
    width = sum(pdfmetrics.stringWidth(part, name, size) for part, name in parts)
    x = x - width if right else x
    for part, name in parts:
        canvas.setFont(name, size)
        canvas.drawString(x, y, part)
        x += pdfmetrics.stringWidth(part, name, size)


def stylesheet() -> dict[str, Any]:
    """The report's paragraph styles, all in DejaVu Sans."""
    base = styles.getSampleStyleSheet()
    make = functools.partial(styles.ParagraphStyle, fontName=FONT)
    grey = colors.HexColor("#444444")
    return {
        "title": make("title", parent=base["Title"], fontName=BOLD, fontSize=20, leading=24),
        "h1": make("h1", parent=base["Heading1"], fontName=BOLD, fontSize=15, leading=19),
        "h2": make("h2", parent=base["Heading2"], fontName=BOLD, fontSize=12, leading=15, spaceBefore=10),
        "h3": make("h3", parent=base["Heading3"], fontName=BOLD, fontSize=10, leading=13, spaceBefore=6),
        "body": make("body", parent=base["BodyText"], fontSize=9.5, leading=12.5),
        "cell": make("cell", parent=base["BodyText"], fontSize=7.5, leading=9.2),
        "head": make("head", parent=base["BodyText"], fontName=BOLD, fontSize=7.5, leading=9.2),
        "note": make("note", parent=base["BodyText"], fontSize=7.5, leading=9.5, textColor=grey),
        "remark": make("remark", parent=base["BodyText"], fontSize=8.5, leading=11, textColor=grey),
        "alert": make("alert", parent=base["BodyText"], fontSize=8.5, leading=11, textColor=colors.HexColor("#8a4b00")),
        "toc1": make("toc1", parent=base["BodyText"], fontSize=9.5, leading=13),
        "toc2": make("toc2", parent=base["BodyText"], fontSize=8.5, leading=11, leftIndent=14),
    }
