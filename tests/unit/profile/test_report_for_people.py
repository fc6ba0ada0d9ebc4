"""What a person sees in the report of a messy file: its first rows, the duplicate rows counted, a
plot for every kind of column that says something, fits with their goodness, numbers written alike.

One CSV holds the columns that went wrong before: free text and an identifier (top-value bars of
ones), a column of three values and a rating from 1 to 5 (no chart at all), a heavily skewed amount (one bar and a curve),
a column of dates (shown with a midnight time), numbers like ``20240101`` (written ``2.02406e+07``).
It goes through the whole process, as ``jobsmith profile`` runs it; the tests read the PDF's text
(pypdf), the HTML, the rendered pages (PDFium) and the PNGs.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import pathlib
import random
import re

import jsonschema  # type: ignore[import-untyped]
import numpy as np
import PIL.Image
import pypdf
import pypdfium2  # type: ignore[import-untyped]
import pytest

from jobsmith.processes.profile import process
from jobsmith.processes.profile.analysis import first_rows, infer, log_bins
from jobsmith.processes.profile.analysis.numeric import NumericSummary
from jobsmith.processes.profile.edp import schema
from tests.support.contexts import local_context

ROWS = 600
DUPLICATES = 3
WORDS = "river bridge street data report column value the quick brown fox".split()


def _rows() -> list[list[str]]:
    rng = random.Random(7)
    start = dt.date(2023, 1, 1)
    rows = []
    for i in range(ROWS):
        comment = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 20)))
        income = "0" if i % 40 == 0 else f"{math.exp(rng.gauss(10, 1.6)):.2f}"
        rows.append([str(i + 1), f"ORD-{rng.randint(0, 10 ** 6):06d}" + "X" * (i % 3), comment,
                     rng.choice(["open", "closed", "pending"]), income, (start + dt.timedelta(days=i // 2)).isoformat(),
                     (start + dt.timedelta(days=i % 300)).strftime("%Y%m%d"), f"{rng.gauss(100, 15):.2f}" if i % 97 else "1000", str(rng.randint(1, 5))])
    rows[0][2] = "<b>bold</b> & \"quoted\" text that runs on well beyond forty characters"
    return rows + rows[10:10 + DUPLICATES]


@pytest.fixture(scope="module")
def profiled(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    root = tmp_path_factory.mktemp("messy")
    source = root / "messy.csv"
    header = ["id", "order_code", "comment", "status", "income", "day", "datecode", "amount", "rating"]
    lines = [",".join(_quote(cell) for cell in row) for row in [header, *_rows()]]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    options = process.ProfileOptions(memory_limit_mb=256)
    process.run(source, local_context(root, source, options), options)
    return root / "out"


def _quote(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"' if any(ch in cell for ch in ',"') else cell


def _pdf_text(out: pathlib.Path) -> str:
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in pypdf.PdfReader(out / "report.pdf").pages))


def _html_text(out: pathlib.Path) -> str:
    page = (out / "report.html").read_text(encoding="utf-8")
    page = re.sub(r"<style.*?</style>|<img[^>]*>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def _plot_titles(out: pathlib.Path) -> str:
    """The plots' titles with their details (what each plot says under its title), as the HTML gives them."""
    page = (out / "report.html").read_text(encoding="utf-8")
    return " ".join(html.unescape(alt) for alt in re.findall(r'<img [^>]*alt="([^"]*)"', page))


def test_the_report_shows_the_first_rows_cut_and_escaped(profiled: pathlib.Path) -> None:
    pdf, page = _pdf_text(profiled), _html_text(profiled)
    for text in (pdf, page):
        assert "First rows" in text
        assert "id 1 2 3 4 5" in text and "status " in text
        assert "<b>bold</b> & \"quoted\" text that runs o…" in text  # cut at 40 characters, shown literally
    raw = (profiled / "report.html").read_text(encoding="utf-8")
    assert "<b>bold</b>" not in raw and "&lt;b&gt;bold&lt;/b&gt;" in raw


def test_the_duplicate_rows_are_counted_on_the_summary_and_the_dataset(profiled: pathlib.Path) -> None:
    total = ROWS + DUPLICATES
    share = f"{100 * DUPLICATES / total:.1f} %"
    for text in (_pdf_text(profiled), _html_text(profiled)):
        assert f"messy.csv structured {total:,} 9 5 / 1 / 3 {DUPLICATES} ({share})" in text
        assert f"Duplicate rows {DUPLICATES} of {total:,} rows ({share}) repeat an earlier row" in text


def test_each_kind_of_column_gets_the_plot_that_says_something(profiled: pathlib.Path) -> None:
    drawn = {path.name for path in (profiled / "messy.csv").iterdir()}
    assert {"comment_lengths.png", "order_code_lengths.png", "status_distribution.png",
            "income_distribution.png", "amount_distribution.png", "rating_distribution.png"} <= drawn
    assert not {"datecode_distribution.png", "id_distribution.png"} & drawn  # a date code and a numbering
    edp = json.loads((profiled / "edp.json").read_text())
    strings = {c["name"]: c for c in edp["structuredDatasets"][0]["stringColumns"]}
    assert strings["status"]["distributionGraph"] == "messy.csv/status_distribution.png"
    assert f"Lengths of comment. {ROWS + DUPLICATES} values, 3 to" in _plot_titles(profiled)
    assert "a histogram of their lengths instead" in _pdf_text(profiled)
    assert "Values of rating. 5 distinct values: a bar for each" in _plot_titles(profiled)
    for name in drawn:  # every plot shows something on a white ground
        pixels = np.asarray(PIL.Image.open(profiled / "messy.csv" / name).convert("L"), dtype=float)
        assert (pixels < 200).mean() > 0.02, name


def test_a_heavily_skewed_column_is_drawn_on_a_logarithmic_axis_saying_what_it_leaves_out(
        profiled: pathlib.Path) -> None:
    titles = _plot_titles(profiled)
    zeros = len([i for i in range(ROWS) if i % 40 == 0])
    assert f"logarithmic axis: all {ROWS + DUPLICATES - zeros:,} positive values; {zeros} zero or negative values " \
           "are not shown" in titles
    histogram = np.asarray(PIL.Image.open(profiled / "messy.csv" / "income_distribution.png").convert("RGB"), dtype=float)
    bars = (np.abs(histogram - np.array([0x9e, 0xca, 0xe1])).max(axis=2) < 12).mean()
    assert bars > 0.08  # the bars fill the plot, not one sliver at its left edge


def test_every_fitted_distribution_says_how_well_it_fits(profiled: pathlib.Path) -> None:
    text = _pdf_text(profiled)
    facts = re.findall(r"Distribution (.+?) Trend", text)
    assert facts, text[:2000]
    for said in facts:
        assert "Kolmogorov–Smirnov distance" in said or "no good fit" in said or "no distribution" in said, said
    titles = _plot_titles(profiled)
    assert re.search(r"Distribution of amount\. \d+ of 603 values (above|below|beyond) the (upper |lower )?IQR "
                     r"fences? are not shown\. (fitted \w+: Kolmogorov–Smirnov distance|no good fit)", titles), titles


def test_numbers_and_dates_are_written_alike(profiled: pathlib.Path) -> None:
    text = _pdf_text(profiled)
    assert not re.search(r"\d\.\d+e[+-]\d", text)  # no 2.02406e+07
    datecode = text[text.index("datecode numeric, stored as"):][:600]
    assert "Minimum 20230101" in datecode and "20,2" not in datecode
    assert "Covers 2023-01-01 to 2023-10-27" in text and "00:00:00" not in text
    # a box plot of date codes has ticks like 2.0231 × 10⁷: it is drawn (the EDP names it) but not shown
    assert (profiled / "messy.csv" / "datecode_box_plot.png").is_file()
    assert "datecode_box_plot" not in _plot_titles(profiled) and "Box plot of datecode" not in _plot_titles(profiled)
    assert not re.search(r"\d%", text)  # shares are written "12 %", everywhere


def test_the_primary_datetime_column_is_named_once_and_every_series_is_drawn_over_it(profiled: pathlib.Path) -> None:
    edp = json.loads((profiled / "edp.json").read_text())
    jsonschema.Draft202012Validator(schema.load(), format_checker=jsonschema.FormatChecker()).validate(edp)
    dataset = edp["structuredDatasets"][0]
    assert dataset["primaryDatetimeColumn"] == "day"
    bases = {graph["timeBaseColumn"] for column in dataset["numericColumns"]
             for key in ("original_series", "trends", "seasonalities", "residuals") for graph in column[key]}
    assert bases <= {"day"}
    assert "Primary datetime column day" in _pdf_text(profiled)


def test_pdfium_draws_the_sample_table_and_the_length_histogram(profiled: pathlib.Path) -> None:
    document = pypdfium2.PdfDocument(profiled / "report.pdf")
    try:
        pages = [document[i].get_textpage().get_text_range() for i in range(len(document))]
        number = next(i for i, text in enumerate(pages) if "First rows" in text)
        pixels = np.asarray(document[number].render(scale=50 / 72).to_pil().convert("L"), dtype=float)
    finally:
        document.close()
    assert (pixels < 128).mean() > 0.01  # text and grid lines drawn, not a blank page


def test_anonymised_profiles_show_no_rows(tmp_path: pathlib.Path) -> None:
    source = tmp_path / "private.csv"
    source.write_text("name,amount\n" + "".join(f"Person {i},{i * 3}\n" for i in range(30)), encoding="utf-8")
    options = process.ProfileOptions(memory_limit_mb=256, anonymise_strings=True)
    process.run(source, local_context(tmp_path, source, options), options)
    text = _pdf_text(tmp_path / "out")
    assert "Person 1" not in text and "First rows" not in text
    assert "Duplicate rows 0" in text


def _summary(q1: float, median: float, q3: float, maximum: float) -> NumericSummary:
    plan = infer.ColumnPlan(0, "x", "numeric", "x")
    return NumericSummary(plan, count=1000, unique=1000, minimum=0.0, maximum=maximum,
                          quantiles=(q1 / 10, q1, median, q3, maximum / 2))


@pytest.mark.parametrize(("quartiles", "logarithmic"), [
    ((7_400.0, 22_000.0, 64_000.0, 6_200_000.0), True),  # log-normal, σ = 1.6: incomes
    ((0.51, 1.0, 1.96, 60.0), True),  # log-normal, σ = 1
    ((0.29, 0.69, 1.39, 8.0), False),  # exponential: skewed, but within a power of ten or so
    ((90.0, 100.0, 110.0, 160.0), False),  # normal
    ((0.0, 3.0, 40.0, 9_000.0), False),  # a quarter zeros: no logarithmic axis can show them
])
def test_only_heavily_skewed_columns_get_a_logarithmic_axis(quartiles: tuple[float, float, float, float],
                                                           logarithmic: bool) -> None:
    assert log_bins.heavy(_summary(*quartiles)) is logarithmic


def test_logarithmic_bins_are_merged_to_at_most_fifty_and_keep_every_count() -> None:
    counted = {k: k + 100 for k in range(-20, 100)}  # twelve powers of ten in tenths
    found = log_bins.binned(counted, left_out=7)
    assert len(found.counts) <= log_bins.MAX_BINS and sum(found.counts) == sum(counted.values())
    assert found.edges[0] == pytest.approx(0.01) and found.edges[-1] >= 10 ** 9.9 and found.left_out == 7
    ratios = [b / a for a, b in zip(found.edges, found.edges[1:])]
    assert max(ratios) == pytest.approx(min(ratios))


def test_a_cell_is_cut_to_one_short_line() -> None:
    assert first_rows.cut("a\tb\nc\x00d") == "a b c\ufffdd"
    assert first_rows.cut("x" * 100) == "x" * 39 + "…" and first_rows.cut(None) is None
