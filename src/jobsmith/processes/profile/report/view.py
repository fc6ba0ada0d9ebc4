"""What the report says, as plain strings: built once from the EDP and the hand-over, shown twice.

Both writers (:mod:`.html_report`, :mod:`.pdf_report`) render this :class:`View`, so the HTML and
the PDF always say the same thing, in the same order: a summary (what the asset is, its datasets,
the data-quality alerts and the notes on how figures were obtained), a table of contents, then per
structured dataset an overview (its first rows, its columns with their missing values,
correlations) and one section per column holding its figures and its plots together.

A plot the EDP names that is not on disk is an error, never a silently shorter report (the
service we replace dropped plots that way). A plot is left out on purpose only where it shows
nothing: the box plot of a constant column, which the schema makes the analysis draw. Row and
column counts are labelled at every use: the old report swapped them.
"""

from __future__ import annotations

import pathlib
import struct
from collections.abc import Mapping, Sequence
from typing import Any

from jobsmith.processes.profile.analysis import model
from jobsmith.processes.profile.report import content, plots, view_columns, view_summary

PLOT_KEYS = ("correlationGraph", "boxPlot", "distributionGraph", "file", "spectrogram")
"""EDP keys whose string value is the result path of a plot (``file`` is a TimeBasedGraph's), in
the order a column's plots are shown: its box plot before its histogram, then its series."""

SERIES_KEYS = ("original_series", "trends", "seasonalities", "residuals")
"""A NumericColumn's lists of TimeBasedGraph, in the order they are shown for each time column."""


def build_view(result: model.ProfileResult, output_dir: pathlib.Path) -> content.View:
    """Format the EDP for people; raises FileNotFoundError if a referenced plot was not drawn."""
    edp = result.edp
    requests = {request.path: request for request in result.plots}
    names = structured_names(edp)
    structured: list[dict[str, Any]] = edp.get("structuredDatasets") or []
    details = {(detail.dataset, detail.column): detail for detail in result.details}
    tables = {table.dataset: table for table in result.tables}
    sections = [_section(index, names[index], dataset, requests, result.alerts, details, output_dir,
                         tables.get(names[index]))
                for index, dataset in enumerate(structured)]
    shown = {plot.path for section in sections for plot in _plots_of(section)}
    hidden = {path for dataset in structured for path in view_columns.hidden_plots(dataset)}
    leftovers = [path for path in [*plot_paths(edp), *requests] if path not in shown | hidden]
    alerts, warnings = view_summary.alert_groups(result.alerts, result.warnings, several=len(structured) > 1)
    return content.View(
        title=str(edp.get("name") or "Unnamed asset"), facts=view_summary.asset_facts(edp),
        datasets=view_summary.datasets_table(edp, names, [section.anchor for section in sections], tables),
        alerts=alerts, warnings=warnings, notes=list(dict.fromkeys(result.notes)), sections=sections,
        other_plots=[plot_of(path, requests, output_dir) for path in dict.fromkeys(leftovers)],
    )


def _plots_of(section: content.Section) -> list[content.Plot]:
    return [*section.plots, *(plot for column in section.columns for plot in column.plots)]


def _section(index: int, name: str, dataset: Mapping[str, Any], requests: Mapping[str, model.PlotRequest],
             alerts: Sequence[model.Alert], details: Mapping[tuple[str, str], model.ColumnDetail],
             output_dir: pathlib.Path, table: model.TableDetail | None) -> content.Section:
    """A dataset's section; every plot its EDP names must be on disk, shown or (if it shows nothing) not."""
    anchor = f"dataset-{index + 1}"
    mine = [alert for alert in alerts if alert.dataset == name]
    hidden = view_columns.hidden_plots(dataset)
    columns = []
    for number, (kind, column) in enumerate(view_columns.columns_of(dataset), start=1):
        drawn = [plot_of(path, requests, output_dir) for path in plot_paths(column)]
        said = [alert.message for alert in mine if _about(alert, str(column["name"]))]
        columns.append(view_columns.column_section(kind, column, f"{anchor}-column-{number}",
                                                   [plot for plot in drawn if plot.path not in hidden],
                                                   list(dict.fromkeys(said)), requests,
                                                   details.get((name, str(column["name"])))))
    graph = dataset.get("correlationGraph")
    return content.Section(
        name=name, anchor=anchor, facts=view_summary.dataset_facts(dataset, mine, table),
        alerts=list(dict.fromkeys(alert.message for alert in mine if alert.column is None)),
        tables=[*view_columns.sample_table(table), view_columns.overview_table(dataset, [column.anchor for column in columns])],
        plots=[plot_of(graph, requests, output_dir)] if isinstance(graph, str) else [],
        notes=view_summary.dataset_notes(dataset),
        columns=columns,
    )


def _about(alert: model.Alert, column: str) -> bool:
    return alert.column == column or column in (alert.columns or ())


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


def plot_of(path: str, requests: Mapping[str, model.PlotRequest], output_dir: pathlib.Path) -> content.Plot:
    """The drawn plot at ``path``; raises FileNotFoundError when it is not on disk."""
    target = plots.resolve(output_dir, path)
    if not target.is_file():
        raise FileNotFoundError(f"the profile refers to the plot {path!r}, but it was not drawn ({target} is missing)")
    width, height = png_size(target)
    request = requests.get(path)
    title = request.title.replace("\n", ". ") if request else pathlib.PurePosixPath(path).stem.replace("_", " ")
    return content.Plot(path, title, width, height)


def png_size(path: pathlib.Path) -> tuple[int, int]:
    """Width and height in pixels from the PNG header; refuses anything that is not a PNG."""
    with path.open("rb") as file:
        head = file.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise ValueError(f"{path} is not a PNG image")
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


def structured_names(edp: Mapping[str, Any]) -> list[str]:
    """Each structured dataset's name from the dataset tree, its plots' folder, or its position."""
    by_ref = {(node.get("dataset") or {}).get("$ref"): node.get("name") for node in edp.get("datasetTree") or []}
    names = []
    for index, dataset in enumerate(edp.get("structuredDatasets") or []):
        folders = [str(pathlib.PurePosixPath(path).parent) for path in plot_paths(dataset)]
        fallback = next((folder for folder in folders if folder != "."), f"dataset {index + 1}")
        names.append(str(by_ref.get(f"#/structuredDatasets/{index}") or fallback))
    return names
