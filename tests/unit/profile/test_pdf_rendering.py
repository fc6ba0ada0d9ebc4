"""report.pdf as a person sees it: its pages rendered by PDFium (Chrome's PDF renderer, through
pypdfium2, a test dependency), as a browser shows them.

pypdf decodes images leniently, so a PDF whose plots poppler, PDFium and MuPDF drew black passed
every pypdf-based test. Here each page is rasterised and every plot's area on it is compared with
the PNG that was embedded there.
"""

from __future__ import annotations

import pathlib
from typing import Any

import numpy as np
import PIL.Image
import pypdf
import pypdfium2

from jobsmith.processes.profile.report import pdf_report, plots
from tests.support.profile_result import sample_result

DPI = 50
Placement = tuple[str, float, float, float, float]
"""An image XObject's name and its rectangle on the page in points: x, y (bottom left), width, height."""


def _placements(page: pypdf.PageObject) -> list[Placement]:
    """Where each image is drawn: the transformation matrix in force at each ``Do`` operator."""
    found: list[Placement] = []
    images = {name for name, image in _xobjects(page).items() if image["/Subtype"] == "/Image"}

    def visit(operator: bytes, operands: list[Any], cm: list[float], tm: list[float]) -> None:
        if operator == b"Do" and str(operands[0]) in images:
            found.append((str(operands[0]), cm[4], cm[5], cm[0], cm[3]))

    page.extract_text(visitor_operand_before=visit)
    return found


def _xobjects(page: pypdf.PageObject) -> dict[str, Any]:
    resources: Any = page["/Resources"]
    return {str(name): ref.get_object() for name, ref in resources.get("/XObject", {}).items()}


def _rasterise(pdf: pathlib.Path, number: int) -> np.ndarray:
    """Page ``number`` (1-based) as RGB floats in [0, 1], rendered by PDFium at :data:`DPI`."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[number - 1].render(scale=DPI / 72).to_pil()
        return np.asarray(image.convert("RGB"), dtype=np.float64) / 255
    finally:
        document.close()


def test_pdfium_draws_every_plot_with_its_own_colours(tmp_path: pathlib.Path) -> None:
    result = sample_result()
    plots.render(result.plots, tmp_path)
    pdf = pdf_report.write_pdf(result, tmp_path)
    reader = pypdf.PdfReader(pdf)
    expected = {_mean_colour(tmp_path / request.path) for request in result.plots}
    seen = 0
    for number, page in enumerate(reader.pages, start=1):
        placements = _placements(page)
        if not placements:
            continue
        pixels = _rasterise(pdf, number)
        scale = DPI / 72
        height = pixels.shape[0]
        for name, x, y, width, tall in placements:
            top, left = round(height - (y + tall) * scale), round(x * scale)
            area = pixels[top + 2:round(height - y * scale) - 2, left + 2:round((x + width) * scale) - 2]
            assert area.size, (number, name)
            assert (area.sum(axis=2) < 0.3).mean() < 0.2, f"page {number}: {name} is drawn mostly black"
            colour = area.reshape(-1, 3).mean(axis=0)
            assert any(np.abs(colour - np.array(mean)).max() < 0.04 for mean in expected), (
                f"page {number}: {name} shows {colour.round(3)}, not the colours of any plot")
            seen += 1
    assert seen == len(result.plots)


def _mean_colour(path: pathlib.Path) -> tuple[float, ...]:
    with PIL.Image.open(path) as image:
        return tuple(float(v) for v in (np.asarray(image.convert("RGB"), dtype=np.float64) / 255)
                     .reshape(-1, 3).mean(axis=0))


def test_image_filters_and_their_parameters_have_the_same_shape(tmp_path: pathlib.Path) -> None:
    """The PDF format pairs ``/Filter`` and ``/DecodeParms`` by shape (a name with a dictionary, or
    arrays of equal length); a mismatch is what made poppler drop the PNG predictor."""
    result = sample_result()
    plots.render(result.plots, tmp_path)
    reader = pypdf.PdfReader(pdf_report.write_pdf(result, tmp_path))
    checked = 0
    for page in reader.pages:
        for image in _xobjects(page).values():
            filters, parameters = image.get("/Filter"), image.get("/DecodeParms")
            if parameters is None:
                continue
            as_array = isinstance(filters, pypdf.generic.ArrayObject)
            assert as_array == isinstance(parameters, pypdf.generic.ArrayObject)
            assert not as_array or len(filters) == len(parameters)
            checked += 1
    assert checked == len(result.plots)
