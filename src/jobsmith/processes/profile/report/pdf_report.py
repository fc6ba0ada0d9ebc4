"""``report.pdf``: the report's :class:`~.content.View` as an A4 PDF with reportlab.

A summary page, a contents page with page numbers and links, then a section per dataset with a
section per column; every section is a bookmark in the PDF's outline. Fonts are embedded for any
script (:mod:`.pdf_text`), plots go in as their PNG rows (:mod:`.pdf_png`), tables wrap their
cells, and every page says "page N of M".

The document is laid out twice: the first pass (into memory, without writing the plots' pixels)
finds the page of every heading and the number of pages; the second writes the file with them
in the contents and the footers. The contents take the same room in both passes, so the pages do
not move. This replaces holding every page back to the end for its footer, which also broke the
outline: bookmarks taken on held pages all pointed at the first page.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import pathlib
from collections.abc import Iterator
from typing import Any

from reportlab import platypus, rl_config  # type: ignore[import-untyped]
from reportlab.lib import colors, pagesizes, units  # type: ignore[import-untyped]

from jobsmith.processes.profile.analysis import model
from jobsmith.processes.profile.report import content, drawing, pdf_png, pdf_story, pdf_text
from jobsmith.processes.profile.report.view import build_view

MARGIN = 1.8 * units.cm


@dataclasses.dataclass
class Layout:
    """What the first pass learns: the page of each bookmark, and the number of pages."""

    pages: dict[str, int] = dataclasses.field(default_factory=dict)
    total: int | None = None


def write_pdf(result: model.ProfileResult, output_dir: pathlib.Path) -> pathlib.Path:
    """Write ``report.pdf`` (A4, embedded fonts, outline, contents, "page N of M"); return its path.

    The PDF is built with ``invariant`` so the same result gives the same bytes.
    """
    view = build_view(result, output_dir)
    pdf_text.register_fonts()
    images = _Images(output_dir)
    target = output_dir / "report.pdf"
    with _binary_streams():
        first = _build(view, images, io.BytesIO(), Layout())
        _build(view, images, target, first)
    return target


def _build(view: content.View, images: _Images, target: pathlib.Path | io.BytesIO, known: Layout) -> Layout:
    """Lay the report out into ``target``, with page numbers from ``known`` where it has them."""
    found = Layout()
    doc = _Document(
        target if isinstance(target, io.BytesIO) else str(target), found, pagesize=pagesizes.A4,
        leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=MARGIN, title=view.title,
        subject="Extended Dataset Profile", author="jobsmith", creator="jobsmith", invariant=True,
        initialFontName=pdf_text.FONT)
    story = pdf_story.Story(pdf_text.stylesheet(), doc.width, doc.height, images.flowable if known.total else
                            images.placeholder)
    footer = _Footer(view.title, known.total)
    doc.build(story.of(view, known.pages), onFirstPage=footer, onLaterPages=footer)
    found.total = doc.page
    return found


class _Document(platypus.SimpleDocTemplate):  # type: ignore[misc]
    """Records the page of every marked heading and makes it a bookmark and an outline entry."""

    def __init__(self, target: Any, found: Layout, **kwargs: Any) -> None:
        super().__init__(target, **kwargs)
        self._found = found

    def afterFlowable(self, flowable: Any) -> None:  # noqa: N802 - reportlab's name
        mark = getattr(flowable, "jsm_mark", None)
        if mark is None:
            return
        key, title, level = mark
        self._found.pages[key] = self.page
        self.canv.bookmarkPage(key)
        self.canv.addOutlineEntry(title, key, level=level, closed=level > 0)


@dataclasses.dataclass(frozen=True)
class _Footer:
    """The asset's name and "page N of M" at the foot of every page."""

    title: str
    total: int | None

    def __call__(self, canvas: Any, doc: Any) -> None:
        width, _ = doc.pagesize
        canvas.saveState()
        canvas.setFillColor(colors.HexColor("#555555"))
        pdf_text.draw_string(canvas, MARGIN, MARGIN / 2, drawing.shorten(self.title, 80), 8)
        total = self.total if self.total is not None else "…"
        pdf_text.draw_string(canvas, width - MARGIN, MARGIN / 2, f"page {doc.page} of {total}", 8, right=True)
        canvas.restoreState()


class _Images:
    """Each plot's PNG rows read once for both passes; the first pass draws an empty box of its size."""

    def __init__(self, output_dir: pathlib.Path) -> None:
        self._output_dir = output_dir
        self._rows: dict[str, pdf_png.PngRows | None] = {}

    def flowable(self, plot: content.Plot, width: float, height: float) -> Any:
        if plot.path not in self._rows:
            self._rows[plot.path] = pdf_png.PngRows.read(pdf_story.plot_file(self._output_dir, plot))
        rows = self._rows[plot.path]
        if rows is None:
            return platypus.Image(str(pdf_story.plot_file(self._output_dir, plot)), width=width, height=height)
        return pdf_png.PngFlowable(rows, width, height)

    def placeholder(self, plot: content.Plot, width: float, height: float) -> Any:
        return _Box(width, height)


class _Box(platypus.Flowable):  # type: ignore[misc]
    """Room for a plot in the first pass, which only measures."""

    def __init__(self, width: float, height: float) -> None:
        super().__init__()
        self.width, self.height, self.hAlign = width, height, "CENTER"

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        pass


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
