"""The parts of the report's :class:`View`: tables, plots, column and dataset sections, all formatted.

Plain frozen data: :mod:`.view` builds it from the EDP, :mod:`.html_report` and
:mod:`.pdf_report` render it.
"""

from __future__ import annotations

import dataclasses
import urllib.parse
from collections.abc import Sequence


@dataclasses.dataclass(frozen=True)
class Table:
    """A captioned table of display strings; ``widths`` are relative column widths.

    ``links`` gives, per row, the anchor its first cell links to (or None); ``bars`` marks one
    column whose cells get a bar of the given fraction beside their text (a share at a glance).
    """

    caption: str
    header: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]
    widths: tuple[float, ...]
    note: str | None = None
    links: Sequence[str | None] = ()
    bars: tuple[int, Sequence[float]] | None = None


@dataclasses.dataclass(frozen=True)
class Plot:
    """A drawn plot: its result path (relative to the report), caption and pixel size."""

    path: str
    title: str
    width: int
    height: int

    @property
    def src(self) -> str:
        """The path as a URL: dataset names may hold spaces, ``#`` or non-ASCII."""
        return urllib.parse.quote(self.path)


@dataclasses.dataclass(frozen=True)
class ColumnSection:
    """One column: a line saying what it is, its figures, what to watch, and its plots."""

    name: str
    anchor: str
    summary: str
    facts: list[tuple[str, str]]
    alerts: list[str]
    remarks: list[str]
    plots: list[Plot]


@dataclasses.dataclass(frozen=True)
class Section:
    """One structured dataset: its facts, overview tables, plots of its own, then its columns."""

    name: str
    anchor: str
    facts: list[tuple[str, str]]
    alerts: list[str]
    tables: list[Table]
    plots: list[Plot]
    notes: list[str]
    columns: list[ColumnSection]


@dataclasses.dataclass(frozen=True)
class AlertGroup:
    """The alerts of one kind, each message once."""

    kind: str
    messages: list[str]


@dataclasses.dataclass(frozen=True)
class View:
    """Everything the report shows, already formatted."""

    title: str
    facts: list[tuple[str, str]]
    datasets: Table
    alerts: list[AlertGroup]
    warnings: list[str]
    notes: list[str]
    sections: list[Section]
    other_plots: list[Plot]
