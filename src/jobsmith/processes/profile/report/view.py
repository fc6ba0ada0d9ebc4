"""What the report says, as plain strings in tables: built once from the EDP, shown twice.

Both writers (:mod:`.html_report`, :mod:`.pdf_report`) render this :class:`View`, so the HTML
and the PDF always say the same thing: a one-page summary (what the asset is, how big, which
datasets and columns, data quality warnings and notes on sampling), then a section per structured
dataset with its column statistics and every plot the EDP refers to. A plot the EDP names that is
not on disk is an error, never a silently shorter report (the service we replace dropped plots
that way). Row and column counts are labelled at every use: the old report swapped them.
"""

from __future__ import annotations

import dataclasses
import pathlib
import struct
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from jobsmith.processes.profile.analysis import model
from jobsmith.processes.profile.report import plots

PLOT_KEYS = ("correlationGraph", "boxPlot", "distributionGraph", "file", "spectrogram")
"""EDP keys whose string value is the result path of a plot (``file`` is a TimeBasedGraph's), in
the order a column's plots are shown: its box plot before its histogram, then its series."""

SERIES_KEYS = ("original_series", "trends", "seasonalities", "residuals")
"""A NumericColumn's lists of TimeBasedGraph, in the order they are shown for each time column."""

QUANTILE_NOTE = (
    "* Counts values outside the 25–75 % box (lowerQuantile to upperQuantile). About half of all "
    "values lie there by construction, so this is not a count of anomalies; the IQR column "
    "(Tukey fences at 1.5 × IQR beyond the box) is the usual outlier count."
)


@dataclasses.dataclass(frozen=True)
class Table:
    """A captioned table of display strings; ``widths`` are relative column widths."""

    caption: str
    header: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]
    widths: tuple[float, ...]
    note: str | None = None


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
class Section:
    """One dataset (or the leftover plots) with its facts, tables and plots."""

    name: str
    facts: list[tuple[str, str]]
    tables: list[Table]
    plots: list[Plot]


@dataclasses.dataclass(frozen=True)
class View:
    """Everything the report shows, already formatted."""

    title: str
    facts: list[tuple[str, str]]
    datasets: Table
    columns: list[Table]
    warnings: list[str]
    notes: list[str]
    sections: list[Section]


# ---------------------------------------------------------------------------------------- view


def build_view(result: model.ProfileResult, output_dir: pathlib.Path) -> View:
    """Format the EDP for people; raises FileNotFoundError if a referenced plot was not drawn."""
    edp = result.edp
    titles = {request.path: request.title for request in result.plots}
    names = _structured_names(edp)
    structured: list[dict[str, Any]] = edp.get("structuredDatasets") or []
    sections = [_section(names[i], ds, titles, output_dir) for i, ds in enumerate(structured)]
    shown = {plot.path for section in sections for plot in section.plots}
    leftovers = [path for path in [*plot_paths(edp), *titles] if path not in shown]
    if leftovers:
        plots_ = [_plot(path, titles, output_dir) for path in dict.fromkeys(leftovers)]
        sections.append(Section("Other plots", [], [], plots_))
    return View(
        title=str(edp.get("name") or "Unnamed asset"), facts=_asset_facts(edp),
        datasets=_datasets_table(edp, names),
        columns=[_columns_table(names[i], ds) for i, ds in enumerate(structured)],
        warnings=list(result.warnings), notes=list(result.notes), sections=sections,
    )


def plot_paths(node: Any) -> list[str]:
    """Every plot path under ``node``, in document order, each once."""
    found: list[str] = []
    if isinstance(node, Mapping):
        found += [node[key] for key in PLOT_KEYS if isinstance(node.get(key), str)]
        found += _series_paths(node)
        for key, value in node.items():
            found += [] if key in PLOT_KEYS else plot_paths(value)
    elif isinstance(node, list):
        for item in node:
            found.extend(plot_paths(item))
    return list(dict.fromkeys(found))


def _series_paths(column: Mapping[str, Any]) -> list[str]:
    """A numeric column's series plots grouped by time column: original, trend, seasonality, residual."""
    graphs = [(graph.get("timeBaseColumn"), rank, graph.get("file")) for rank, key in enumerate(SERIES_KEYS)
              for graph in column.get(key) or [] if isinstance(graph, Mapping)]
    times = list(dict.fromkeys(time for time, _, _ in graphs))
    graphs.sort(key=lambda graph: (times.index(graph[0]), graph[1]))
    return [file for _, _, file in graphs if isinstance(file, str)]


def _plot(path: str, titles: Mapping[str, str], output_dir: pathlib.Path) -> Plot:
    target = plots.resolve(output_dir, path)
    if not target.is_file():
        raise FileNotFoundError(f"the profile refers to the plot {path!r}, but it was not drawn ({target} is missing)")
    width, height = png_size(target)
    return Plot(path, titles.get(path, pathlib.PurePosixPath(path).stem.replace("_", " ")), width, height)


def png_size(path: pathlib.Path) -> tuple[int, int]:
    """Width and height in pixels from the PNG header; refuses anything that is not a PNG."""
    with path.open("rb") as file:
        head = file.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise ValueError(f"{path} is not a PNG image")
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


def _structured_names(edp: Mapping[str, Any]) -> list[str]:
    """Each structured dataset's name from the dataset tree, its plots' folder, or its position."""
    by_ref = {(node.get("dataset") or {}).get("$ref"): node.get("name") for node in edp.get("datasetTree") or []}
    names = []
    for index, dataset in enumerate(edp.get("structuredDatasets") or []):
        folders = [str(pathlib.PurePosixPath(path).parent) for path in plot_paths(dataset)]
        fallback = next((folder for folder in folders if folder != "."), f"dataset {index + 1}")
        names.append(str(by_ref.get(f"#/structuredDatasets/{index}") or fallback))
    return names


def _asset_facts(edp: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The summary's key facts; empty ones are left out rather than shown as blanks."""
    ref: Mapping[str, Any] = (edp.get("assetRefs") or [{}])[0]
    licence = ref.get("license") or {}
    cover = edp.get("temporalCover") or {}
    counts = {key: len(value) for key, value in edp.items() if key.endswith("Datasets") and isinstance(value, list)}
    facts = [
        ("Description", edp.get("description")),
        ("Publisher", (ref.get("publisher") or {}).get("name")),
        ("Asset", " ".join(str(v) for v in (ref.get("assetId"), ref.get("assetVersion")) if v)),
        ("Data space", (ref.get("dataSpace") or {}).get("name")),
        ("Licence", licence.get("name") or licence.get("url")),
        ("Category", " / ".join(str(v) for v in (edp.get("dataCategory"), edp.get("dataSubCategory")) if v)),
        ("Tags", ", ".join(edp.get("tags") or [])),
        ("Size", _size(edp.get("volume"))),
        ("SHA-256", edp.get("assetSha256Hash")),
        ("Data types", ", ".join(edp.get("dataTypes") or [])),
        ("Number of datasets", str(sum(counts.values()))),
        ("Temporal cover", " to ".join(cover[k] for k in ("earliest", "latest") if cover.get(k))),
        ("Periodicity", edp.get("periodicity")),
        ("Generated by", edp.get("generatedBy")),
    ]
    return [(label, str(value)) for label, value in facts if value not in (None, "")]


def _size(volume: int | None) -> str | None:
    """Bytes in binary units for reading, with the exact count for checking."""
    if volume is None:
        return None
    if volume < 1024:
        return f"{volume:,} bytes"
    scaled, unit = float(volume), "KiB"
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        scaled /= 1024
        if scaled < 1024:
            break
    return f"{scaled:.1f} {unit} ({volume:,} bytes)"


def _datasets_table(edp: Mapping[str, Any], names: list[str]) -> Table:
    """Every dataset: tables with rows and columns (labelled, never swapped), others by their kind."""
    rows = [(names[i], "structured", _fmt(ds.get("rowCount")), _fmt(ds.get("columnCount")),
             " / ".join(_fmt(ds.get(f"{kind}ColumnCount")) for kind in ("numeric", "datetime", "string")))
            for i, ds in enumerate(edp.get("structuredDatasets") or [])]
    rows += [(str(node.get("name")), str(node.get("datasetType")), "–", "–", "–")
             for node in edp.get("datasetTree") or [] if node.get("datasetType") != "structured"]
    header = ("Dataset", "Kind", "Rows", "Columns", "Numeric / datetime / string columns")
    return Table("Datasets", header, rows, (3, 1.2, 1.1, 1.1, 2.4))


def _columns(dataset: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for kind in ("numeric", "datetime", "string"):
        for column in dataset.get(f"{kind}Columns") or []:
            yield kind, column


def _columns_table(name: str, dataset: Mapping[str, Any]) -> Table:
    rows = [(str(column["name"]), kind, str(column.get("dataType") or column.get("format") or ""),
             _fmt(column.get("interpretableCount")), _fmt(column.get("nullCount")))
            for kind, column in _columns(dataset)]
    return Table(f"Columns of {name}", ("Column", "Type", "Stored as / format", "Values", "Nulls"),
                 rows, (3.4, 1, 1.6, 1, 1))


def _section(name: str, dataset: Mapping[str, Any], titles: Mapping[str, str], output_dir: pathlib.Path) -> Section:
    summary = dataset.get("correlationSummary") or {}
    facts = [("Rows", _fmt(dataset.get("rowCount"))), ("Columns", _fmt(dataset.get("columnCount"))),
             ("Correlated column pairs", f"strong {_fmt(summary.get('strong', 0))}, partial "
              f"{_fmt(summary.get('partial', 0))}, none {_fmt(summary.get('no', 0))}")]
    tables = [_stat_table(dataset, spec) for spec in STAT_TABLES[:2]]
    tables += [_datetime_table(dataset), _stat_table(dataset, STAT_TABLES[2])]
    tables = [table for table in tables if table.rows]
    return Section(f"Dataset: {name}", facts, tables, [_plot(path, titles, output_dir) for path in plot_paths(dataset)])


StatTable = tuple[str, str, tuple[tuple[str, str, float], ...], str | None]
"""caption, EDP list of columns, (header, EDP key, relative width) per column, footnote."""

STAT_TABLES: tuple[StatTable, ...] = (
    ("Numeric columns", "numericColumns",
     (("Min", "min", 1), ("Max", "max", 1), ("Mean", "mean", 1), ("Median", "median", 1),
      ("Std dev", "stddev", 1), ("Nulls", "nullCount", 0.8)), None),
    ("Outliers, distribution and trend of numeric columns", "numericColumns",
     (("Outside 1–99 %", "percentileOutlierCount", 1), ("Beyond 3 σ", "zScoreOutlierCount", 1),
      ("Beyond 1.5 IQR", "iqrOutlierCount", 1), ("Outside 25–75 % *", "quantileOutlierCount", 1.1),
      ("Relative", "relativeOutlierCount", 1), ("Distribution", "distribution", 1.3), ("Trend", "trend", 1.3)),
     QUANTILE_NOTE),
    ("String columns", "stringColumns",
     (("Values", "interpretableCount", 1), ("Unique", "numberUnique", 1), ("Nulls", "nullCount", 1)), None),
)


def _stat_table(dataset: Mapping[str, Any], spec: StatTable) -> Table:
    """One row per column of the EDP list, one cell per key; the column name comes first."""
    caption, columns, cells, note = spec
    rows = [(str(c["name"]), *(_cell(c, key) for _, key, _ in cells)) for c in dataset.get(columns) or []]
    return Table(caption, ("Column", *(head for head, _, _ in cells)), rows,
                 (max(2.4, 4.0 - len(cells) * 0.25), *(width for _, _, width in cells)), note)


def _cell(column: Mapping[str, Any], key: str) -> str:
    """A statistic for display; the relative outlier count, a fraction, as a percentage."""
    value = column.get(key)
    if key == "relativeOutlierCount" and isinstance(value, (int, float)):
        return f"{value:.2%}"
    return _fmt(value)


def _datetime_table(dataset: Mapping[str, Any]) -> Table:
    rows = []
    for c in dataset.get("datetimeColumns") or []:
        cover = c.get("temporalCover") or {}
        order = ("increasing" if c.get("monotonically_increasing") else
                 "decreasing" if c.get("monotonically_decreasing") else "neither")
        rows.append((str(c["name"]), _when(cover.get("earliest")), _when(cover.get("latest")),
                     _fmt(c.get("periodicity")), order, _fmt(c.get("all_entries_are_unique")),
                     _fmt(c.get("nullCount")), _fmt(c.get("format"))))
    header = ("Column", "Earliest", "Latest", "Periodicity", "Monotonic", "All unique", "Nulls", "Format")
    return Table("Datetime columns", header, rows, (2.2, 1.6, 1.6, 1.2, 1.2, 1.0, 0.8, 1.3))


def _when(timestamp: str | None) -> str:
    """ISO 8601 with a space for the ``T``, so a narrow cell breaks between date and time."""
    return _fmt(timestamp.replace("T", " ", 1) if timestamp else None)


def _fmt(value: Any) -> str:
    """Numbers to six significant digits with thousands separators; booleans as yes/no."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.6g}"
    return str(value)

