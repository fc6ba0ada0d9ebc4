"""The profile's outputs as a user gets them: PNG plots, report.html and report.pdf.

The ProfileResult is built by hand (:mod:`tests.support.profile_result`) but its EDP is checked
against the published schema, so the fixture cannot drift from what the analysis must produce.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
import pathlib
import re
import shutil
import struct
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import numpy as np
import PIL.Image
import pypdf
import pytest
from matplotlib import image as mimage
from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]

from jobsmith.processes.profile.analysis import model
from jobsmith.processes.profile.edp import schema
from jobsmith.processes.profile.report import drawing, html_report, pdf_report, plots, view
from tests.support.profile_result import (DATASET, LONG, NUMERIC, PNG_SIGNATURE, STRING, TIME, TITLE, plot_requests,
                                          sample_result)


@pytest.fixture
def result() -> model.ProfileResult:
    return sample_result()


@pytest.fixture(scope="module")
def drawn_once(tmp_path_factory: pytest.TempPathFactory) -> tuple[pathlib.Path, list[str]]:
    """The fixture's plots drawn once (with the default pool), and what render() returned."""
    output = tmp_path_factory.mktemp("plots")
    return output, plots.render(plot_requests(), output)


@pytest.fixture
def drawn(drawn_once: tuple[pathlib.Path, list[str]], tmp_path: pathlib.Path) -> pathlib.Path:
    """A results directory of this test's own, holding the drawn plots."""
    shutil.copytree(drawn_once[0], tmp_path, dirs_exist_ok=True)
    return tmp_path


# ------------------------------------------------------------------------------ helpers


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _pdf_text(path: pathlib.Path) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(path).pages]


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


# ------------------------------------------------------------------------------ tests


def test_the_fixture_edp_validates_against_the_published_schema(result: model.ProfileResult) -> None:
    jsonschema.Draft202012Validator(schema.load()).validate(result.edp)
    assert {r.path for r in result.plots} == set(view.plot_paths(result.edp))


def test_every_plot_is_a_readable_png_of_sensible_size(result: model.ProfileResult,
                                                        drawn_once: tuple[pathlib.Path, list[str]]) -> None:
    output, written = drawn_once
    assert written == [request.path for request in result.plots]
    for request in result.plots:
        data = (output / request.path).read_bytes()
        width, height = _png_size(data)
        assert 400 <= width <= 1200 and 200 <= height <= 1000, (request.path, width, height)
        assert len(data) < 150_000, request.path
        pixels = mimage.imread(output / request.path)
        assert pixels.shape[:2] == (height, width)
        assert pixels[..., :3].std() > 0.05, f"{request.path} is blank"


def test_drawing_in_turn_gives_the_same_bytes_as_the_pool(result: model.ProfileResult, tmp_path: pathlib.Path,
                                                          drawn_once: tuple[pathlib.Path, list[str]]) -> None:
    assert len(result.plots) >= plots.PARALLEL_MIN, "the fixture must be large enough to use the pool"
    plots.render(result.plots, tmp_path, workers=1)
    for request in result.plots:
        assert (tmp_path / request.path).read_bytes() == (drawn_once[0] / request.path).read_bytes(), request.path


def test_a_plot_path_outside_the_output_directory_or_named_twice_is_refused(tmp_path: pathlib.Path) -> None:
    box = model.BoxPlot("x", 1, 2, 3, 0, 4, 2, ())
    with pytest.raises(ValueError, match="relative path inside the results"):
        plots.render([model.PlotRequest("../escape.png", "escape", box)], tmp_path / "out")
    assert not (tmp_path / "escape.png").exists()
    twice = [model.PlotRequest("d/x.png", "one", box), model.PlotRequest("d/x.png", "two", box)]
    with pytest.raises(ValueError, match="same path"):
        plots.render(twice, tmp_path / "out")
    assert not (tmp_path / "out" / "d" / "x.png").exists()


def test_degenerate_aggregates_still_give_a_png_and_no_warning(tmp_path: pathlib.Path) -> None:
    one_day = (dt.datetime(2024, 1, 1, tzinfo=dt.UTC),)
    figures: list[model.Figure] = [
        model.BoxPlot("konstant", 3, 3, 3, 3, 3, 3, ()),
        model.Histogram("x", (1.0, 1.0, 2.0), (5, 3), "norm", (1.0, 2.0), (0.5, 0.5)),
        model.Histogram("leer", (0.0, 1.0), (0,), None),
        model.TopValues("leer", (), (), anonymised=True, total=0),
        model.Heatmap(("allein",), ((1.0,),)),
        model.Series("v", "t", "trend", "days", one_day, (math.nan,)),
        model.Series("v", "t", "residual", "days", (), ()),
    ]
    requests = [model.PlotRequest(f"odd/{index}.png", f"case {index}", data) for index, data in enumerate(figures)]
    plots.render(requests, tmp_path, workers=1)  # warnings are errors in this suite
    for request in requests:
        assert _png_size((tmp_path / request.path).read_bytes())[0] >= 400


def test_long_category_labels_are_cut_with_an_ellipsis() -> None:
    assert drawing.shorten("kurz") == "kurz"
    cut = drawing.shorten("ein_sehr_langer_kategoriename_der_nicht_passt")
    assert len(cut) == drawing.LABEL_CHARS and cut.endswith("…")


def test_count_ticks_are_short_so_a_narrow_axis_needs_no_offset_text() -> None:
    assert [drawing.short_count(v) for v in (0, 250, 12_500, 3_000_000, 1.5e9)] == ["0", "250", "12.5k", "3M", "1.5G"]


def test_the_pdf_shows_names_counts_and_page_numbers(result: model.ProfileResult, drawn: pathlib.Path) -> None:
    path = pdf_report.write_pdf(result, drawn)
    assert path == drawn / "report.pdf" and path.read_bytes()[:5] == b"%PDF-"
    pages = _pdf_text(path)
    summary, whole = _squash(pages[0]), _squash(" ".join(pages))
    assert TITLE in summary and "Our very first test edp" in summary and "beebucket" in summary
    assert f"{DATASET} structured 1,234 4 2 / 1 / 1" in summary, "the datasets table: rows, then columns"
    assert "Data quality Warnings" in summary and "'n/a' in line 17" in summary
    assert "seeded sample of 1,000 of 1,234 rows" in summary
    assert "Rows 1,234" in whole and "Columns 4" in whole and "Rows 4" not in whole
    assert STRING in whole and "About half of all values" in whole
    for number, text in enumerate(pages, start=1):
        assert f"page {number} of {len(pages)}" in text


def test_the_pdf_embeds_every_plot_and_real_fonts(result: model.ProfileResult, drawn: pathlib.Path) -> None:
    reader = pypdf.PdfReader(pdf_report.write_pdf(result, drawn))
    assert sum(len(page.images) for page in reader.pages) == len(result.plots)
    resources: list[Any] = [page["/Resources"] for page in reader.pages]
    fonts = {str(font.get_object()["/BaseFont"]) for page in resources for font in page["/Font"].values()}
    assert fonts and all("DejaVuSans" in font for font in fonts), fonts
    assert reader.metadata is not None and reader.metadata.title == TITLE


def test_the_pdf_shows_each_plot_pixel_for_pixel(result: model.ProfileResult, drawn: pathlib.Path) -> None:
    """The PNGs' compressed rows go into the PDF as they are (PNG predictors): they must decode to the same pixels."""
    reader = pypdf.PdfReader(pdf_report.write_pdf(result, drawn))
    embedded = [np.asarray(image.image.convert("RGB")) for page in reader.pages for image in page.images]
    for request in result.plots:
        pixels = np.asarray(PIL.Image.open(drawn / request.path))
        assert pixels.shape[2] == 3, "plots are opaque RGB"
        assert any(found.shape == pixels.shape and np.array_equal(found, pixels) for found in embedded), request.path


def test_the_pdf_is_the_same_for_the_same_result(result: model.ProfileResult, drawn: pathlib.Path) -> None:
    first = pdf_report.write_pdf(result, drawn).read_bytes()
    assert pdf_report.write_pdf(result, drawn).read_bytes() == first


def test_many_long_column_names_stay_on_the_page(result: model.ProfileResult, drawn: pathlib.Path) -> None:
    dataset = result.edp["structuredDatasets"][0]
    extra = [f"{LONG}_{index}_" + "x" * 60 for index in range(40)]
    dataset["stringColumns"] += [{**dataset["stringColumns"][0], "name": name, "distributionGraph": None}
                                 for name in extra]
    reader = pypdf.PdfReader(pdf_report.write_pdf(result, drawn))
    right_edge = float(reader.pages[0].mediabox.width)
    widest = 0.0

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        nonlocal widest
        if text.strip() and font is not None:
            name = str(font["/BaseFont"]).split("+")[-1]
            x = tm[4] * cm[0] + cm[4]
            widest = max(widest, x + pdfmetrics.stringWidth(text.rstrip("\n"), name, size * cm[0]))

    for page in reader.pages:
        page.extract_text(visitor_text=visit)
    assert 300 < widest < right_edge - 20, f"text reaches x={widest:.0f} of {right_edge:.0f}"
    lines = [line for page in reader.pages for line in page.extract_text().splitlines()]
    assert not any(extra[0] in line for line in lines), "a long name must wrap inside its cell"


def test_the_html_is_one_file_with_every_plot_inlined_and_names_escaped(result: model.ProfileResult,
                                                                         drawn: pathlib.Path) -> None:
    html = html_report.write_html(result, drawn).read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in html
    sources = re.findall(r'<img src="([^"]+)"', html)
    assert all(src.startswith("data:image/png;base64,") for src in sources), "nothing outside the file"
    inlined = {base64.b64decode(src.split(",", 1)[1]): index for index, src in enumerate(sources)}
    position = {request.path: inlined.get((drawn / request.path).read_bytes()) for request in result.plots}
    assert None not in position.values(), "every plot is shown"
    shown = sorted(position, key=lambda path: position[path] or 0)
    column = [f"{DATASET}/{NUMERIC[0]}_{name}.png" for name in ("box_plot", "distribution")]
    column += [f"{DATASET}/{NUMERIC[0]}_over_{TIME}_{part}.png" for part in ("original", "trend", "seasonality", "residual")]
    assert shown[0] == f"{DATASET}/correlations.png" and shown[1:7] == column, "a column's plots, in reading order"
    assert "<script" not in html and "&lt;script&gt;" in html
    assert TITLE in html and "<td>structured</td><td>1,234</td><td>4</td>" in html
    assert "About half of all values" in html


def test_a_plot_the_edp_names_but_nobody_drew_is_an_error(result: model.ProfileResult, drawn: pathlib.Path) -> None:
    missing = result.plots[3].path
    (drawn / missing).unlink()
    for write in (pdf_report.write_pdf, html_report.write_html):
        with pytest.raises(FileNotFoundError, match=re.escape(missing)):
            write(result, drawn)


def test_a_profile_without_tables_lists_its_datasets_and_keeps_stray_plots(tmp_path: pathlib.Path) -> None:
    edp = {"name": "leer.json", "generatedBy": "jobsmith", "freely_available": False, "volume": 0,
           "assetSha256Hash": "e3b0c442", "structuredDatasets": [], "semiStructuredDatasets": [{"jsonSchema": "{}"}],
           "datasetTree": [{"dataset": {"$ref": "#/semiStructuredDatasets/0"}, "datasetType": "semiStructured",
                            "parent": None, "name": "dokument.json", "fileProperties": None}]}
    stray = model.PlotRequest("extra/box.png", "Not named in the EDP", model.BoxPlot("x", 1, 2, 3, 0, 4, 2, ()))
    bare = model.ProfileResult(edp=edp, plots=[stray])
    plots.render(bare.plots, tmp_path)
    reader = pypdf.PdfReader(pdf_report.write_pdf(bare, tmp_path))
    summary = _squash(reader.pages[0].extract_text())
    assert "leer.json" in summary and "Number of datasets 1" in summary
    assert "dokument.json semiStructured – – –" in summary and "None found." in summary
    assert "Other plots" in reader.pages[-1].extract_text() and len(reader.pages[-1].images) == 1
    assert f"page {len(reader.pages)} of {len(reader.pages)}" in reader.pages[-1].extract_text()
    html = html_report.write_html(bare, tmp_path).read_text(encoding="utf-8")
    stray_png = base64.b64encode((tmp_path / "extra" / "box.png").read_bytes()).decode()
    assert f'src="data:image/png;base64,{stray_png}"' in html and 'href="#other-plots"' in html
