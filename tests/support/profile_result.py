"""A hand-built ProfileResult (EDP, plot requests, notes, warnings) for the tests of the report.

The analysis is tested on its own; this fixture's EDP validates against the published schema
(a test says so), so it cannot drift from what the analysis must produce.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import numpy as np

from jobsmith.processes.profile.analysis import model
from tests.support.data import EDP_TESTDATA

DATASET = "Parkhäuser_Äöüß"
TITLE = "Parkhaus-Belegung Äöüß"
LONG = "durchschnittliche_verweildauer_je_stellplatz_in_minuten_über_den_ganzen_tag_gemessen"
NUMERIC = ("aufenthalt_minuten", LONG)
TIME = "einfahrt"
STRING = "<script>"
ROWS, COLUMNS = 1234, 4
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"



def _hourly(hours: int) -> tuple[dt.datetime, ...]:
    start = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
    return tuple(start + dt.timedelta(hours=h) for h in range(hours))


def _series_requests(column: str, slope: float) -> list[model.PlotRequest]:
    """Original, trend, seasonality and residual of ``column`` over three weeks of hours."""
    times = _hourly(24 * 21)
    hours = np.arange(len(times), dtype=float)
    trend = 50 + slope * hours
    season = 10 * np.sin(2 * np.pi * hours / 24)
    residual = np.random.default_rng(7).normal(0, 2, len(times))
    parts = {"original": trend + season + residual, "trend": trend, "seasonality": season, "residual": residual}
    return [model.PlotRequest(f"{DATASET}/{column}_over_{TIME}_{name}.png", f"{column} over {TIME}: {name}",
                              model.Series(column, TIME, name, "hours", times, tuple(values.tolist())))
            for name, values in parts.items()]


def _histogram(column: str, fitted: bool) -> model.Histogram:
    edges = np.linspace(0, 120, 25)
    centres = (edges[:-1] + edges[1:]) / 2
    counts = np.round(1000 * np.exp(-((centres - 55) ** 2) / (2 * 18**2))).astype(int)
    x = np.linspace(0, 120, 200)
    y = np.exp(-((x - 55) ** 2) / (2 * 18**2)) / (18 * math.sqrt(2 * math.pi))
    return model.Histogram(column, tuple(edges.tolist()), tuple(counts.tolist()), "norm" if fitted else None,
                           tuple(x.tolist()) if fitted else (), tuple(y.tolist()) if fitted else ())


def _plot_requests() -> list[model.PlotRequest]:
    requests = [model.PlotRequest(f"{DATASET}/correlations.png", "Correlations between numeric columns",
                                  model.Heatmap(NUMERIC, ((1.0, 0.62), (0.62, 1.0))))]
    for index, column in enumerate(NUMERIC):
        box = model.BoxPlot(column, 31.0, 52.5, 74.0, 0.5, 118.0, 54.1, (125.0, 131.5, 140.0))
        requests += [model.PlotRequest(f"{DATASET}/{column}_box_plot.png", f"Box plot of {column}", box),
                     model.PlotRequest(f"{DATASET}/{column}_distribution.png", f"Distribution of {column}",
                                       _histogram(column, fitted=index == 0)),
                     *_series_requests(column, slope=0.05 * (1 - 2 * index))]
    top = model.TopValues(STRING, tuple(str(rank) for rank in range(1, 9)),
                          (400, 250, 180, 120, 90, 60, 40, 20), anonymised=True, total=1180)
    requests.append(model.PlotRequest(f"{DATASET}/{STRING}_distribution.png", f"Most frequent values of {STRING}", top))
    return requests


def _numeric_column(name: str, distribution: str) -> dict[str, Any]:
    return {
        "name": name, "nullCount": 10, "inconsistentCount": 2, "interpretableCount": 1222, "numberUnique": 700,
        "augmentation": None, "min": 0.5, "max": 140.0, "mean": 54.125, "median": 52.5, "variance": 331.24,
        "stddev": 18.2, "upperPercentile": 118.0, "lowerPercentile": 3.0, "percentileOutlierCount": 24,
        "upperQuantile": 74.0, "lowerQuantile": 31.0, "quantileOutlierCount": 611, "upperZScore": 108.725,
        "lowerZScore": -0.475, "zScoreOutlierCount": 3, "upperIQR": 138.5, "lowerIQR": -33.5, "iqr": 43.0,
        "iqrOutlierCount": 1, "relativeOutlierCount": 0.0076, "distribution": distribution,
        "distributionGraph": f"{DATASET}/{name}_distribution.png", "boxPlot": f"{DATASET}/{name}_box_plot.png",
        "trend": "Increasing",
        **{key: [{"timeBaseColumn": TIME, "file": f"{DATASET}/{name}_over_{TIME}_{part}.png"}]
           for key, part in (("original_series", "original"), ("trends", "trend"),
                             ("seasonalities", "seasonality"), ("residuals", "residual"))},
        "dataType": "Float64",
    }


def _structured_dataset() -> dict[str, Any]:
    consistencies = [{"timeScale": scale, "differentAbundancies": 1, "stable": True, "numberOfGaps": 0}
                     for scale in ("seconds", "minutes", "hours", "days")]
    datetime_column = {
        "name": TIME, "nullCount": 0, "inconsistentCount": 0, "interpretableCount": ROWS, "numberUnique": ROWS,
        "augmentation": None, "temporalCover": {"earliest": "2024-03-01T00:00:00Z", "latest": "2024-03-21T23:00:00Z"},
        "all_entries_are_unique": True, "monotonically_increasing": True, "monotonically_decreasing": False,
        "periodicity": "hours", "temporalConsistencies": consistencies, "format": "ISO8601",
    }
    string_column = {"name": STRING, "nullCount": 54, "inconsistentCount": 0, "interpretableCount": 1180,
                     "numberUnique": 8, "augmentation": None, "distributionGraph": f"{DATASET}/{STRING}_distribution.png"}
    return {
        "rowCount": ROWS, "columnCount": COLUMNS, "numericColumnCount": 2, "datetimeColumnCount": 1,
        "stringColumnCount": 1, "correlationGraph": f"{DATASET}/correlations.png",
        "correlationSummary": {"no": 0, "partial": 1, "strong": 0},
        "numericColumns": [_numeric_column(NUMERIC[0], "norm"), _numeric_column(NUMERIC[1], "gamma")],
        "datetimeColumns": [datetime_column], "stringColumns": [string_column], "primaryDatetimeColumn": None,
    }


def _edp() -> dict[str, Any]:
    metadata = json.loads((EDP_TESTDATA / "user_provided_data.json").read_text(encoding="utf-8"))
    empty = ("archiveDatasets", "semiStructuredDatasets", "unstructuredTextDatasets", "imageDatasets",
             "videoDatasets", "audioDatasets", "documentDatasets")
    return {
        "schemaVersion": "0.26.1", **metadata, "name": TITLE, "generatedBy": "jobsmith 0.1.0",
        "volume": 98765, "dataTypes": ["structured"],
        "temporalCover": {"earliest": "2024-03-01T00:00:00Z", "latest": "2024-03-21T23:00:00Z"},
        "periodicity": "hours", "assetSha256Hash": "fe5a587b" + "0" * 51 + "5f1fd",
        "structuredDatasets": [_structured_dataset()], **{key: [] for key in empty},
        "datasetTree": [{"dataset": {"$ref": "#/structuredDatasets/0"}, "datasetType": "structured", "parent": None,
                         "name": DATASET, "fileProperties": {"name": "parkhaus.csv", "fileType": "csv", "size": 98765}}],
    }


def sample_result() -> model.ProfileResult:
    """The fixture: one dataset of two numeric, one datetime and one string column, all plots."""
    return model.ProfileResult(
        edp=_edp(), plots=_plot_requests(),
        notes=["Distribution fits and seasonality use a seeded sample of 1,000 of 1,234 rows."],
        warnings=[f"Column {NUMERIC[0]!r}: 2 values are not numbers (e.g. 'n/a' in line 17)."],
    )


def plot_requests() -> list[model.PlotRequest]:
    """The fixture's plot requests, built anew."""
    return _plot_requests()
