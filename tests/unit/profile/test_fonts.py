"""Text of any script is drawn with a font that has it: DejaVu Sans, then fallbacks found at run time.

Which fallback fonts a machine has varies (Debian's fonts-noto-core, fonts-wqy-microhei), so the
mechanism is tested with a font every installation has: matplotlib's own STIX, standing in for
Noto Sans, has the script letter ``ℊ`` that DejaVu Sans lacks.
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterator
from typing import Any

import matplotlib
import pypdf
import pytest

from jobsmith.processes.profile.analysis import model
from jobsmith.processes.profile.report import fonts, pdf_report, plots
from tests.support.profile_result import sample_result

STIX = pathlib.Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "STIXGeneral.ttf"
SCRIPT_G = "\u210a"  # SCRIPT SMALL G: in STIX, not in DejaVu Sans


def _forget() -> None:
    for cached in (fonts.font_for, fonts._installed):
        cached.cache_clear()


@pytest.fixture
def stix_as_noto(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The system's fonts are, as far as the profile sees, STIX under Noto Sans's file name."""
    _forget()
    monkeypatch.setattr(fonts, "_installed", lambda: {"NotoSans-Regular.ttf": STIX})
    yield
    monkeypatch.undo()
    _forget()


def test_text_is_cut_into_runs_of_one_font_each(stix_as_noto: None) -> None:
    text = f"Köln {SCRIPT_G}{SCRIPT_G} \ue000 Москва"
    found = fonts.runs(text)
    assert "".join(part for part, _ in found) == text
    assert found[0] == ("Köln ", None) and found[-1][0].endswith("Москва") and found[-1][1] is None
    assert (SCRIPT_G * 2, STIX) in found  # the fallback's run holds exactly what DejaVu Sans lacks
    for part, font in found:
        if font is not None:  # a fallback has every character of its run
            assert all(ord(char) in fonts._chars(font) for char in part.strip()), (part, font)


@pytest.mark.usefixtures("stix_as_noto")
def test_a_character_dejavu_lacks_comes_from_a_fallback_font() -> None:
    assert fonts.runs(f"g {SCRIPT_G}g") == [("g ", None), (SCRIPT_G, STIX), ("g", None)]
    assert fonts.fallbacks("plain text") == []
    assert fonts.matplotlib_families([f"a {SCRIPT_G}"]) == ["DejaVu Sans", "STIXGeneral"]


@pytest.mark.usefixtures("stix_as_noto")
def test_a_plot_draws_it_without_a_missing_glyph(tmp_path: pathlib.Path) -> None:
    """Warnings are errors in this suite: matplotlib warns of every glyph it cannot draw."""
    top = model.TopValues(f"Spalte {SCRIPT_G}", (f"{SCRIPT_G}-Wert", "b"), (3, 2), False, 5)
    plots.render([model.PlotRequest("d/top.png", f"Most frequent values of {SCRIPT_G}", top)], tmp_path, workers=1)
    assert (tmp_path / "d" / "top.png").is_file()


@pytest.mark.usefixtures("stix_as_noto")
def test_the_pdf_embeds_the_fallback_font_for_it(tmp_path: pathlib.Path) -> None:
    result = sample_result()
    result.edp["name"] = f"Anlage {SCRIPT_G}"
    result.edp["structuredDatasets"][0]["stringColumns"][0]["name"] = f"Spalte {SCRIPT_G}"
    plots.render(result.plots, tmp_path)
    reader = pypdf.PdfReader(pdf_report.write_pdf(result, tmp_path))
    resources: list[Any] = [page["/Resources"] for page in reader.pages]
    names = {str(font.get_object()["/BaseFont"]) for page in resources for font in page["/Font"].values()}
    assert any("STIXGeneral" in name for name in names), names
    assert SCRIPT_G in reader.pages[0].extract_text()
