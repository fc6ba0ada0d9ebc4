"""``report.pdf``: the report's :class:`~.view.View` as an A4 PDF with reportlab.

Real embedded fonts (the DejaVu files matplotlib ships, which cover non-ASCII names), "page N of
M" footers, tables whose cells wrap, and every plot scaled to the page width.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import pathlib
import struct
from collections.abc import Iterator
from typing import Any
from xml.sax import saxutils

import matplotlib
from reportlab import platypus, rl_config  # type: ignore[import-untyped]
from reportlab.lib import colors, pagesizes, styles, units  # type: ignore[import-untyped]
from reportlab.lib.fonts import addMapping  # type: ignore[import-untyped]
from reportlab.pdfbase import pdfdoc, pdfmetrics, ttfonts  # type: ignore[import-untyped]
from reportlab.pdfgen import canvas  # type: ignore[import-untyped]

from jobsmith.processes.profile.analysis import model
from jobsmith.processes.profile.report import drawing, plots
from jobsmith.processes.profile.report.view import Plot, Section, Table, View, build_view

FONT = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
MARGIN = 1.8 * units.cm
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def write_pdf(result: model.ProfileResult, output_dir: pathlib.Path) -> pathlib.Path:
    """Write ``report.pdf`` (A4, embedded DejaVu fonts, "page N of M"); return its path.

    The PDF is built with ``invariant`` so the same result gives the same bytes.
    """
    view = build_view(result, output_dir)
    _register_fonts()
    target = output_dir / "report.pdf"
    doc = platypus.SimpleDocTemplate(
        str(target), pagesize=pagesizes.A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
        bottomMargin=MARGIN, title=view.title, subject="Extended Dataset Profile", author="jobsmith",
        creator="jobsmith", invariant=True, initialFontName=FONT,
    )
    sheet = _styles()
    story = _summary_story(view, sheet, doc.width)
    for section in view.sections:
        story += [platypus.PageBreak(), *_section_story(section, sheet, doc.width, doc.height, output_dir)]
    with _binary_streams():
        doc.build(story, canvasmaker=functools.partial(_NumberedCanvas, footer=view.title))
    return target


@contextlib.contextmanager
def _binary_streams() -> Iterator[None]:
    """Write streams binary rather than ASCII85: reportlab's pure-Python ASCII85 encoder took two
    thirds of the build time (1.5 s for 33 plots) and makes the file a quarter larger.

    ``useA85`` is a process-wide reportlab setting, so it is restored afterwards.
    """
    saved = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = saved


def _register_fonts() -> None:
    """Embed DejaVu (shipped with matplotlib): the PDF base fonts cannot show most non-Latin-1 text.

    reportlab's font registry is process-wide; registering once per process is enough.
    """
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    fonts = pathlib.Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(ttfonts.TTFont(FONT, str(fonts / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(ttfonts.TTFont(BOLD, str(fonts / "DejaVuSans-Bold.ttf")))
    for bold, italic, name in ((0, 0, FONT), (1, 0, BOLD), (0, 1, FONT), (1, 1, BOLD)):
        addMapping(FONT, bold, italic, name)


def _styles() -> dict[str, Any]:
    base = styles.getSampleStyleSheet()
    make = functools.partial(styles.ParagraphStyle, fontName=FONT)
    return {
        "title": make("title", parent=base["Title"], fontName=BOLD, fontSize=20, leading=24),
        "h1": make("h1", parent=base["Heading1"], fontName=BOLD, fontSize=15, leading=19),
        "h2": make("h2", parent=base["Heading2"], fontName=BOLD, fontSize=11.5, leading=14, spaceBefore=8),
        "body": make("body", parent=base["BodyText"], fontSize=9.5, leading=12.5),
        "cell": make("cell", parent=base["BodyText"], fontSize=7.5, leading=9.2),
        "head": make("head", parent=base["BodyText"], fontName=BOLD, fontSize=7.5, leading=9.2),
        "note": make("note", parent=base["BodyText"], fontSize=7.5, leading=9.5, textColor=colors.HexColor("#444444")),
    }


def _text(text: str, style: Any) -> Any:
    """A Paragraph of plain text: Paragraph parses markup, so the text must be escaped first."""
    return platypus.Paragraph(saxutils.escape(text), style)


def _summary_story(view: View, sheet: dict[str, Any], width: float) -> list[Any]:
    story: list[Any] = [_text(view.title, sheet["title"]),
                        _text("Extended Dataset Profile — summary", sheet["body"]), platypus.Spacer(1, 8)]
    story.append(_facts_table(view.facts, sheet, width))
    story += _table_story(view.datasets, sheet, width)
    story += _bullets("Data quality warnings", view.warnings or ["None found."], sheet)
    story += _bullets("How the figures were obtained", view.notes, sheet)
    for table in view.columns:
        story += _table_story(table, sheet, width)
    return story


def _bullets(heading: str, items: list[str], sheet: dict[str, Any]) -> list[Any]:
    if not items:
        return []
    return [*_heading(heading, sheet),
            *(platypus.Paragraph("• " + saxutils.escape(item), sheet["body"]) for item in items)]


def _facts_table(facts: list[tuple[str, str]], sheet: dict[str, Any], width: float) -> Any:
    rows = [[_text(label, sheet["head"]), _text(value, sheet["cell"])] for label, value in facts]
    table = platypus.Table(rows, colWidths=[width * 0.24, width * 0.76])
    table.setStyle(platypus.TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#dddddd")),
    ]))
    return table


def _table_story(table: Table, sheet: dict[str, Any], width: float) -> list[Any]:
    """A caption and a table whose cells wrap (Paragraphs), with column widths summing to ``width``."""
    scale = width / sum(table.widths)
    rows = [[_text(cell, sheet["head"]) for cell in table.header]]
    rows += [[_text(cell, sheet["cell"]) for cell in row] for row in table.rows]
    flowable = platypus.Table(rows, colWidths=[w * scale for w in table.widths], repeatRows=1)
    flowable.setStyle(platypus.TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dbe7f3")),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f4f6f8")]),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b8c2cc")),
        ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]))
    story = [*_heading(table.caption, sheet), flowable]
    return story + ([platypus.Spacer(1, 3), _text(table.note, sheet["note"])] if table.note else [])


def _heading(text: str, sheet: dict[str, Any]) -> list[Any]:
    """A heading that starts a new page when fewer than three table rows would fit under it; the
    table itself may then split across pages (with its header row repeated) rather than jump."""
    return [platypus.CondPageBreak(72), _text(text, sheet["h2"])]


def _section_story(section: Section, sheet: dict[str, Any], width: float, height: float,
                   output_dir: pathlib.Path) -> list[Any]:
    story: list[Any] = [_text(section.name, sheet["h1"])]
    if section.facts:
        story.append(_facts_table(section.facts, sheet, width))
    for table in section.tables:
        story += _table_story(table, sheet, width)
    images = [_image(plot, output_dir, width, height * 0.8) for plot in section.plots]
    if images:  # the heading travels with the first plot: never alone at the foot of a page
        images[0] = platypus.KeepTogether([_text("Plots", sheet["h2"]), images[0]])
    return story + [item for image in images for item in (image, platypus.Spacer(1, 10))]


def _image(plot: Plot, output_dir: pathlib.Path, max_width: float, max_height: float) -> Any:
    """The PNG at its natural size (pixels at the plots' DPI), shrunk to fit, aspect ratio kept."""
    natural_width = plot.width * 72 / drawing.DPI
    scale = min(1.0, max_width / natural_width, max_height / (plot.height * 72 / drawing.DPI))
    width = natural_width * scale
    path = plots.resolve(output_dir, plot.path)
    png = _PngRows.read(path)
    if png is None:
        return platypus.Image(str(path), width=width, height=width * plot.height / plot.width)
    return _Png(png, width, width * plot.height / plot.width)


@dataclasses.dataclass(frozen=True)
class _PngRows:
    """The compressed rows of an 8-bit RGB PNG, which a PDF image stream can hold as they are."""

    width: int
    height: int
    rows: bytes

    @classmethod
    def read(cls, path: pathlib.Path) -> _PngRows | None:
        """The rows of ``path``; None unless it is a non-interlaced 8-bit RGB PNG (as plots draws them)."""
        data = path.read_bytes()
        if data[:8] != PNG_SIGNATURE:
            return None
        header, rows, at = b"", [], 8
        while at + 8 <= len(data):
            (length,), kind = struct.unpack(">I", data[at:at + 4]), data[at + 4:at + 8]
            chunk = data[at + 8:at + 8 + length]
            header = chunk if kind == b"IHDR" else header
            if kind == b"IDAT":
                rows.append(chunk)
            at += 12 + length
        if len(header) != 13 or header[8:13] != b"\x08\x02\x00\x00\x00" or not rows:
            return None  # not 8 bits, RGB, deflate, adaptive filters, no interlace
        width, height = struct.unpack(">II", header[:8])
        return cls(width, height, b"".join(rows))


class _PngXObject(pdfdoc.PDFImageXObject):  # type: ignore[misc]
    """An image XObject whose stream is a PNG's compressed rows: PDF's Flate filter undoes the PNG
    row filters itself (``/Predictor 15``), so the pixels are never decoded and compressed again.

    ``/Filter`` is one name and ``/DecodeParms`` one dictionary: the PDF format pairs them by
    shape, and an array of filters with a lone dictionary makes poppler, PDFium and MuPDF drop
    the predictor and draw every plot black (pypdf accepts either, so only a renderer shows it).

    reportlab's own path decodes every PNG, recompresses it at zlib's default level and hashes
    it: two thirds of the PDF's build time (0.35 of 0.54 CPU-s for the 200 MB benchmark's 32 plots).
    """

    def __init__(self, name: str, png: _PngRows) -> None:
        super().__init__(name)
        self.width, self.height, self.streamContent = png.width, png.height, png.rows
        self.bitsPerComponent, self.colorSpace, self._filters, self.mask = 8, "DeviceRGB", ("FlateDecode",), None

    def format(self, document: Any) -> Any:
        stream = pdfdoc.PDFStream(content=self.streamContent)
        stream.dictionary.dict.update({
            "Type": pdfdoc.PDFName("XObject"), "Subtype": pdfdoc.PDFName("Image"), "Width": self.width,
            "Height": self.height, "BitsPerComponent": 8, "ColorSpace": pdfdoc.PDFName("DeviceRGB"),
            "Filter": pdfdoc.PDFName("FlateDecode"), "Length": len(self.streamContent),
            "DecodeParms": pdfdoc.PDFDictionary({"Predictor": 15, "Colors": 3, "BitsPerComponent": 8,
                                                 "Columns": self.width}),
        })
        return stream.format(document)


class _Png(platypus.Flowable):  # type: ignore[misc]
    """A plot drawn at ``width`` x ``height`` points from its PNG rows (see :class:`_PngXObject`)."""

    def __init__(self, png: _PngRows, width: float, height: float) -> None:
        super().__init__()
        self._png, self.drawWidth, self.drawHeight = png, width, height
        self.hAlign = "CENTER"

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.drawWidth, self.drawHeight

    def draw(self) -> None:
        self.canv.draw_png(self._png, self.drawWidth, self.drawHeight)


class _NumberedCanvas(canvas.Canvas):  # type: ignore[misc]
    """Holds pages back until the end, so each footer can say "page N of M"."""

    def __init__(self, *args: Any, footer: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._footer = footer
        self._held: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 - reportlab's name
        self._held.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        for number, state in enumerate(self._held, start=1):
            self.__dict__.update(state)
            self._draw_footer(number, len(self._held))
            super().showPage()
        super().save()

    def draw_png(self, png: _PngRows, width: float, height: float) -> None:
        """Draw ``png`` at the origin, registered once as an XObject as ``drawImage`` registers images."""
        name = f"jsm-png-{hashlib.sha256(png.rows).hexdigest()[:32]}"
        registered = self._doc.getXObjectName(name)
        if registered not in self._doc.idToObject:
            image = _PngXObject(name, png)
            self._setXObjects(image)
            self._doc.Reference(image, registered)
            self._doc.addForm(name, image)
        self._currentPageHasImages = 1
        self.saveState()
        self.scale(width, height)
        self._code.append(f"/{registered} Do")
        self.restoreState()
        self._formsinuse.append(name)

    def _draw_footer(self, number: int, total: int) -> None:
        width, _ = self._pagesize
        self.setFont(FONT, 8)
        self.setFillColor(colors.HexColor("#555555"))
        self.drawString(MARGIN, MARGIN / 2, drawing.shorten(self._footer, 80))
        self.drawRightString(width - MARGIN, MARGIN / 2, f"page {number} of {total}")
