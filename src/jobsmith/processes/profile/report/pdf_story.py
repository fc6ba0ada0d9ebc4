"""The flowables of ``report.pdf``: summary, contents, dataset and column sections, in reading order.

Headings that start a section carry a ``jsm_mark`` (bookmark key, title, outline level) that the
document (:mod:`.pdf_report`) turns into a bookmark, an outline entry and a contents line. A
column's heading, its one-line summary, its figures and remarks are kept together on a page; its
plots follow.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from reportlab import platypus  # type: ignore[import-untyped]
from reportlab.lib import colors  # type: ignore[import-untyped]

from jobsmith.processes.profile.report import content, drawing, plots, view_columns
from jobsmith.processes.profile.report.pdf_text import FONT, paragraph

ImageMaker = Callable[[content.Plot, float, float], Any]
"""Makes the flowable of a plot at a width and height in points."""

GRID = colors.HexColor("#b8c2cc")
HEAD = colors.HexColor("#dbe7f3")
BAR = colors.HexColor("#e6550d")
BAR_TRACK = colors.HexColor("#eeeeee")
CONTENTS_PAGE_WIDTH = 40


def plot_file(output_dir: pathlib.Path, plot: content.Plot) -> pathlib.Path:
    return plots.resolve(output_dir, plot.path)


class Story:
    """Builds the story of one pass; ``image`` makes each plot's flowable (real, or a box of its size)."""

    def __init__(self, sheet: dict[str, Any], width: float, height: float, image: ImageMaker) -> None:
        self.sheet, self.width, self.height, self.image = sheet, width, height, image

    def of(self, view: content.View, pages: Mapping[str, int]) -> list[Any]:
        """The whole report; ``pages`` are the bookmarks' pages from the first pass (none in it)."""
        story = self._summary(view)
        story += [platypus.PageBreak(), *self._contents(view, pages)]
        for section in view.sections:
            story += [platypus.PageBreak(), *self._dataset(section)]
        if view.other_plots:
            story += [platypus.PageBreak(), _marked(paragraph("Other plots", self.sheet["h1"]), "other-plots",
                                                    "Other plots", 0), *self._plots(view.other_plots)]
        return story

    # ------------------------------------------------------------------------------ summary

    def _summary(self, view: content.View) -> list[Any]:
        story: list[Any] = [_marked(paragraph(view.title, self.sheet["title"]), "summary", "Summary", 0),
                            paragraph("Extended Dataset Profile — summary", self.sheet["body"]), platypus.Spacer(1, 8),
                            self._facts(view.facts)]
        story += self._table(view.datasets)
        story += [platypus.CondPageBreak(72), paragraph("Data quality", self.sheet["h2"])]
        for group in view.alerts:
            story += [paragraph(group.kind, self.sheet["h3"]), *self._bullets(group.messages, "alert")]
        if view.warnings:
            story += [paragraph("Warnings", self.sheet["h3"]), *self._bullets(view.warnings, "alert")]
        if not view.alerts and not view.warnings:
            story.append(paragraph("None found.", self.sheet["body"]))
        if view.notes:
            story += [platypus.CondPageBreak(72), paragraph("How the figures were obtained", self.sheet["h2"]),
                      *self._bullets(view.notes, "body")]
        return story

    def _bullets(self, items: Sequence[str], style: str) -> list[Any]:
        return [paragraph("• " + item, self.sheet[style]) for item in items]

    # ------------------------------------------------------------------------------ contents

    def _contents(self, view: content.View, pages: Mapping[str, int]) -> list[Any]:
        """Every section with its page, linked; before the first pass knows pages, a dash holds their place."""
        entries = [("summary", "Summary", 0)]
        for section in view.sections:
            entries.append((section.anchor, f"Dataset: {section.name}", 0))
            entries += [(column.anchor, column.name, 1) for column in section.columns]
        if view.other_plots:
            entries.append(("other-plots", "Other plots", 0))
        rows = [[paragraph(title, self.sheet["toc1" if level == 0 else "toc2"], link=key),
                 paragraph(str(pages.get(key, "–")), self.sheet["toc1" if level == 0 else "toc2"], link=key)]
                for key, title, level in entries]
        table = platypus.Table(rows, colWidths=[self.width - CONTENTS_PAGE_WIDTH, CONTENTS_PAGE_WIDTH])
        table.setStyle(platypus.TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                            ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                                            ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
        return [_marked(paragraph("Contents", self.sheet["h1"]), "contents", "Contents", 0), table]

    # ------------------------------------------------------------------------------ datasets and columns

    def _dataset(self, section: content.Section) -> list[Any]:
        title = f"Dataset: {section.name}"
        story: list[Any] = [_marked(paragraph(title, self.sheet["h1"]), section.anchor, title, 0),
                            self._facts(section.facts), *self._bullets(section.alerts, "alert")]
        for table in section.tables:
            story += self._table(table)
        story += [paragraph(note, self.sheet["note"]) for note in section.notes]
        if section.plots:  # the heading travels with the first plot: never alone at the foot of a page
            first, *rest = self._plots(section.plots)
            story += [platypus.KeepTogether([paragraph("Correlations", self.sheet["h2"]), first]), *rest]
        for column in section.columns:
            story += self._column(column)
        return story

    def _column(self, column: content.ColumnSection) -> list[Any]:
        head = [_marked(paragraph(column.name, self.sheet["h2"]), column.anchor, column.name, 1),
                paragraph(column.summary, self.sheet["remark"]), platypus.Spacer(1, 3),
                self._facts_grid(column.facts), *self._bullets(column.alerts, "alert"),
                *(paragraph(remark, self.sheet["remark"]) for remark in column.remarks)]
        return [platypus.CondPageBreak(150), platypus.KeepTogether(head), platypus.Spacer(1, 4),
                *self._plots(column.plots)]

    def _plots(self, shown: Sequence[content.Plot]) -> list[Any]:
        return [item for plot in shown for item in (self._image(plot), platypus.Spacer(1, 8))]

    def _image(self, plot: content.Plot) -> Any:
        """The PNG at its natural size (pixels at the plots' DPI), shrunk to fit, aspect ratio kept."""
        natural_width = plot.width * 72 / drawing.DPI
        scale = min(1.0, self.width / natural_width, self.height * 0.8 / (plot.height * 72 / drawing.DPI))
        width = natural_width * scale
        return self.image(plot, width, width * plot.height / plot.width)

    # ------------------------------------------------------------------------------ tables

    def _facts(self, facts: Sequence[tuple[str, str]]) -> Any:
        rows = [[paragraph(label, self.sheet["head"]), paragraph(value, self.sheet["cell"])] for label, value in facts]
        table = platypus.Table(rows, colWidths=[self.width * 0.24, self.width * 0.76])
        table.setStyle(_facts_style())
        return table

    def _facts_grid(self, facts: Sequence[tuple[str, str]]) -> Any:
        """A column's figures two to a row, so a numeric column's twenty take ten lines."""
        rows = [[paragraph(cell, self.sheet["head" if i % 2 == 0 else "cell"]) for i, cell in enumerate(row)]
                for row in view_columns.facts_rows(facts)]
        table = platypus.Table(rows, colWidths=[self.width * share for share in (0.2, 0.3, 0.2, 0.3)])
        table.setStyle(_facts_style())
        return table

    def _table(self, table: content.Table) -> list[Any]:
        """A caption and a table whose cells wrap, with column widths summing to the page's width;
        it may split across pages, its header row repeated."""
        scale = self.width / sum(table.widths)
        widths = [w * scale for w in table.widths]
        rows = [[paragraph(cell, self.sheet["head"]) for cell in table.header]]
        for number, row in enumerate(table.rows):
            link = table.links[number] if number < len(table.links) else None
            cells: list[Any] = [paragraph(cell, self.sheet["cell"], link=link if i == 0 else None)
                                for i, cell in enumerate(row)]
            if table.bars is not None:
                index, shares = table.bars
                cells[index] = [cells[index], _bar(shares[number], widths[index] - 6)]
            rows.append(cells)
        flowable = platypus.Table(rows, colWidths=widths, repeatRows=1)
        flowable.setStyle(_data_style())
        story = [platypus.CondPageBreak(72), paragraph(table.caption, self.sheet["h3"]), flowable]
        return story + ([platypus.Spacer(1, 3), paragraph(table.note, self.sheet["note"])] if table.note else [])


def _marked(flowable: Any, key: str, title: str, level: int) -> Any:
    """Mark a heading as a bookmark, an outline entry at ``level`` and a contents line."""
    flowable.jsm_mark = (key, title, level)
    return flowable


def _bar(share: float, width: float) -> Any:
    """A thin bar, filled to ``share`` of ``width``: a column's missing values at a glance."""
    return _Bar(share, width)


class _Bar(platypus.Flowable):  # type: ignore[misc]
    """Drawn with the canvas's own rectangles: a reportlab Drawing would add a Helvetica font resource."""

    def __init__(self, share: float, width: float) -> None:
        super().__init__()
        self.share, self.width, self.height = min(1.0, max(0.0, share)), width, 4

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        self.canv.setFillColor(BAR_TRACK)
        self.canv.rect(0, 0, self.width, 3, stroke=0, fill=1)
        if self.share > 0:
            self.canv.setFillColor(BAR)
            self.canv.rect(0, 0, max(1.0, self.width * self.share), 3, stroke=0, fill=1)


def _facts_style() -> Any:
    return platypus.TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#dddddd")),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ])


def _data_style() -> Any:
    return platypus.TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f4f6f8")]),
        ("GRID", (0, 0), (-1, -1), 0.25, GRID),
        ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ])
