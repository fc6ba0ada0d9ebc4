"""The human report of a profile: ``report.html`` here, ``report.pdf`` in :mod:`.pdf_report`.

Both render the same :class:`~.content.View` of the EDP, so they always say the same thing.
The HTML is one self-contained file: every plot is inlined as a ``data:`` URI, so the report
still shows its plots when it is mailed, saved alone or opened from inside a zip. A table of
contents (a side bar on wide screens) links every dataset and column.
"""

from __future__ import annotations

import base64
import pathlib

import jinja2

from jobsmith.processes.profile.analysis import model
from jobsmith.processes.profile.report import content, plots, view_columns
from jobsmith.processes.profile.report.view import build_view


def write_html(result: model.ProfileResult, output_dir: pathlib.Path) -> pathlib.Path:
    """Write ``report.html`` with its plots inlined; return its path."""
    view = build_view(result, output_dir)
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(pathlib.Path(__file__).parent / "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )

    def image(plot: content.Plot) -> str:
        data = plots.resolve(output_dir, plot.path).read_bytes()
        return "data:image/png;base64," + base64.b64encode(data).decode("ascii")

    target = output_dir / "report.html"
    page = environment.get_template("report.html.j2").render(view=view, image=image,
                                                             facts_rows=view_columns.facts_rows)
    target.write_text(page, encoding="utf-8")
    return target
