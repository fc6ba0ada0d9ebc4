"""The report as a document to find one's way in: outline, contents, a section per column, alerts, numbers."""

from __future__ import annotations

import copy
import pathlib
import re
from typing import Any

import pypdf
import pytest

from jobsmith.processes.profile.analysis import model
from jobsmith.processes.profile.report import html_report, pdf_report, plots
from tests.support.profile_result import DATASET, NUMERIC, STRING, TIME, sample_result

YEAR, CONSTANT = "baujahr", "stockwerke"


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _with_columns(result: model.ProfileResult) -> model.ProfileResult:
    """The fixture with a year column and a constant column added, each with the box plot the schema requires."""
    dataset = result.edp["structuredDatasets"][0]
    base = dataset["numericColumns"][0]
    for name, low, high, mean, unique in ((YEAR, 1990, 2024, 2006.98, 35), (CONSTANT, 7, 7, 7, 1)):
        column = copy.deepcopy(base) | {"name": name, "min": low, "max": high, "mean": mean, "median": low,
                                        "numberUnique": unique, "dataType": "UInt16", "distributionGraph": None,
                                        "boxPlot": f"{DATASET}/{name}_box_plot.png", "original_series": [],
                                        "trends": [], "seasonalities": [], "residuals": []}
        dataset["numericColumns"].append(column)
        box = model.BoxPlot(name, low, low, high, low, high, mean, ())
        result.plots.append(model.PlotRequest(column["boxPlot"], f"Box plot of {name}", box))
    dataset["numericColumnCount"] += 2
    dataset["columnCount"] += 2
    dataset["stringColumns"][0]["nullCount"] = 1
    return result


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[model.ProfileResult, pathlib.Path]:
    result = _with_columns(sample_result())
    result.alerts = [
        model.Alert(DATASET, NUMERIC[0], "skewed", f"{NUMERIC[0]} is skewed to the right"),
        model.Alert(DATASET, NUMERIC[0], "skewed", f"{NUMERIC[0]} is skewed to the right"),
        model.Alert(DATASET, None, "duplicates", "12 rows (1.0 %) occur more than once"),
        model.Alert(DATASET, None, "correlation", "two columns move together", columns=NUMERIC),
    ]
    output = tmp_path_factory.mktemp("report")
    plots.render(result.plots, output)
    pdf_report.write_pdf(result, output)
    html_report.write_html(result, output)
    return result, output


def _outline(reader: pypdf.PdfReader) -> list[tuple[str, int, int]]:
    """(title, level, page number) of every outline entry, in order."""
    found: list[tuple[str, int, int]] = []

    def walk(entries: list[Any], level: int) -> None:
        for entry in entries:
            if isinstance(entry, list):
                walk(entry, level + 1)
            else:
                page = reader.get_destination_page_number(entry)
                assert page is not None
                found.append((str(entry.title), level, page + 1))

    walk(reader.outline, 0)
    return found


def test_the_pdf_outline_and_contents_lead_to_every_column(written: tuple[model.ProfileResult, pathlib.Path]) -> None:
    reader = pypdf.PdfReader(written[1] / "report.pdf")
    outline = _outline(reader)
    columns = [*NUMERIC, YEAR, CONSTANT, TIME, STRING]
    assert [(title, level) for title, level, _ in outline] == [
        ("Summary", 0), ("Contents", 0), (f"Dataset: {DATASET}", 0), *((name, 1) for name in columns)]
    contents = _squash(reader.pages[1].extract_text())
    for title, _, page in outline[2:]:
        assert f"{title} {page}" in contents, (title, page)
        assert title.split(": ")[-1][:40] in _squash(reader.pages[page - 1].extract_text()), (title, page)


def test_the_html_has_a_table_of_contents_with_an_anchor_per_column(
        written: tuple[model.ProfileResult, pathlib.Path]) -> None:
    html = (written[1] / "report.html").read_text(encoding="utf-8")
    nav = html[html.index('<nav class="toc"'):html.index("</nav>")]
    links = re.findall(r'href="#([^"]+)"', nav)
    assert links[:2] == ["summary", "dataset-1"] and len(links) == 2 + 6
    for anchor in links:
        assert f'id="{anchor}"' in html, anchor


def test_alerts_are_grouped_by_kind_once_each_and_shown_with_their_column(
        written: tuple[model.ProfileResult, pathlib.Path]) -> None:
    reader = pypdf.PdfReader(written[1] / "report.pdf")
    summary = _squash(reader.pages[0].extract_text())
    assert summary.count(f"{NUMERIC[0]} is skewed to the right") == 1
    assert summary.index("Duplicate rows") < summary.index("Skewed distributions") < summary.index("Correlated columns")
    whole = _squash(" ".join(page.extract_text() for page in reader.pages[2:]))
    assert "Duplicate rows 12 rows (1.0 %) occur more than once" in whole
    html = (written[1] / "report.html").read_text(encoding="utf-8")
    section = html[html.index('id="dataset-1-column-1"'):html.index('id="dataset-1-column-2"')]
    assert "is skewed to the right" in section and "two columns move together" in section


def test_numbers_read_alike_and_a_plot_of_nothing_is_left_out(written: tuple[model.ProfileResult, pathlib.Path]) -> None:
    result, output = written
    html = (output / "report.html").read_text(encoding="utf-8")
    year = html[html.index(f"<h3>{YEAR}</h3>"):html.index(f"<h3>{CONSTANT}</h3>")]
    assert "<td>1990</td>" in year and "<td>2006.98</td>" in year and "1,990" not in year
    constant = html[html.index(f"<h3>{CONSTANT}</h3>"):html.index(f"<h3>{TIME}</h3>")]
    assert "Constant: every value is 7." in constant and "<img" not in constant
    assert (output / f"{DATASET}/{CONSTANT}_box_plot.png").is_file(), "the EDP's box plot is still drawn"
    text = html[html.index("<h3>&lt;script&gt;</h3>"):]
    assert "1 (&lt;0.1 %)" in text
    assert len(re.findall(r"<img ", html)) == len(result.plots) - 1
