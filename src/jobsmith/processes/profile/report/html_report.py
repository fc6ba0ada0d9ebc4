"""The human report of a profile: ``report.html`` here, ``report.pdf`` in :mod:`.pdf_report`.

Both render the same :class:`~.view.View` of the EDP, so they always say the same thing.
"""

from __future__ import annotations

import pathlib

import jinja2

from jobsmith.processes.profile.analysis import model
from jobsmith.processes.profile.report.view import build_view


def write_html(result: model.ProfileResult, output_dir: pathlib.Path) -> pathlib.Path:
    """Write ``report.html`` next to the plots (it links them by relative path); return its path."""
    view = build_view(result, output_dir)
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(pathlib.Path(__file__).parent / "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    target = output_dir / "report.html"
    target.write_text(environment.get_template("report.html.j2").render(view=view), encoding="utf-8")
    return target

