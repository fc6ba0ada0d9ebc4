"""The whole Extended Dataset Profile: user metadata, asset facts, datasets and the dataset tree.

Top-level keys come in the order the old service emitted them (FIELDS.md), so a diff against one
of its EDPs lines up. User metadata (the dataspace's ``user_provided_edp_data``) fills the fields
a person decides; everything the analysis measures is computed, whatever the metadata says.
Without metadata the asset's name is the file's name and it is not ``freely_available``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

import jobsmith
from jobsmith.processes.profile.analysis import temporal
from jobsmith.processes.profile.readers import sources

SCHEMA_VERSION = "0.26.1"
KEY_ORDER = (
    "schemaVersion", "name", "assetRefs", "dataCategory", "assetProcessingStatus", "description", "tags",
    "dataSubCategory", "assetTypeInfo", "generatedBy", "transferTypeFlag", "transferTypeFrequency", "growthFlag",
    "immutabilityFlag", "allowedForAiTraining", "nda", "dpa", "dataLog", "freely_available", "volume", "dataTypes",
    "temporalCover", "periodicity", "assetSha256Hash", "archiveDatasets", "structuredDatasets",
    "semiStructuredDatasets", "unstructuredTextDatasets", "imageDatasets", "videoDatasets", "audioDatasets",
    "documentDatasets", "datasetTree",
)
USER_DEFAULTS: dict[str, Any] = {
    "dataCategory": None, "assetProcessingStatus": "Original Data", "description": None, "tags": [],
    "dataSubCategory": None, "assetTypeInfo": None, "transferTypeFlag": None, "transferTypeFrequency": None,
    "growthFlag": None, "immutabilityFlag": None, "allowedForAiTraining": None, "nda": None, "dpa": None,
    "dataLog": None, "freely_available": False,
}
USER_FIELDS = ("name", "assetRefs", *USER_DEFAULTS)
LISTS = {"archive": "archiveDatasets", "structured": "structuredDatasets", "semiStructured": "semiStructuredDatasets"}


@dataclasses.dataclass(frozen=True)
class Dataset:
    """One dataset of the asset: its EDP list, its object there, and the file it was read from, if any.

    ``file_type`` is the dataset's format, used when a hand-made dataset named like the upload
    has no ``file`` of its own; readers always give ``file`` for the dataset that is a whole file.
    """

    kind: str  # archive, structured or semiStructured
    name: str
    body: dict[str, Any]
    file_type: str | None = None
    file: sources.FileProperties | None = None


def assemble(*, file_name: str, file_size: int, sha256: str, metadata: dict[str, Any] | None,
             datasets: Sequence[Dataset],
             datetimes: Sequence[temporal.DatetimeSummary]) -> tuple[dict[str, Any], list[str]]:
    """The EDP as a JSON-ready dict, and notes on metadata fields that were ignored."""
    user, notes = _user_fields(file_name, metadata)
    computed: dict[str, Any] = {
        "schemaVersion": SCHEMA_VERSION, "generatedBy": f"jobsmith {jobsmith.__version__}", "volume": int(file_size),
        "dataTypes": [kind for kind in LISTS if any(d.kind == kind for d in datasets)],
        "temporalCover": temporal_cover(datetimes), "periodicity": overall_periodicity(datetimes),
        "assetSha256Hash": sha256, "unstructuredTextDatasets": [], "imageDatasets": [], "videoDatasets": [],
        "audioDatasets": [], "documentDatasets": [],
    }
    for kind, key in LISTS.items():
        computed[key] = [d.body for d in datasets if d.kind == kind]
    computed["datasetTree"] = dataset_tree(datasets, file_name, file_size)
    merged = user | computed
    return {key: merged[key] for key in KEY_ORDER if key in merged}, notes


def _user_fields(file_name: str, metadata: dict[str, Any] | None) -> tuple[dict[str, Any], list[str]]:
    given = dict(metadata or {})
    user = {"name": given.get("name") or file_name, **USER_DEFAULTS}
    if given.get("assetRefs"):
        user["assetRefs"] = given["assetRefs"]
    for key in USER_DEFAULTS:
        if key in given and (given[key] is not None or USER_DEFAULTS[key] is None):
            user[key] = given[key]
    ignored = sorted(key for key in given if key not in USER_FIELDS)
    notes = [f"metadata field {key!r} ignored: "
             + ("computed by the analysis" if key in KEY_ORDER else "not an EDP field") for key in ignored]
    return user, notes


def temporal_cover(datetimes: Sequence[temporal.DatetimeSummary]) -> dict[str, str] | None:
    """Earliest and latest timestamp over every datetime column of every dataset."""
    present = [d for d in datetimes if d.count]
    if not present:
        return None
    earliest = min(present, key=lambda d: d.first_us)
    latest = max(present, key=lambda d: d.last_us)
    return {"earliest": str(earliest.earliest), "latest": str(latest.latest)}


def overall_periodicity(datetimes: Sequence[temporal.DatetimeSummary]) -> str | None:
    """The old service's rule: sum distinct counts and gaps per scale over all columns, take the best scale."""
    totals: dict[str, list[int]] = {}
    for summary in datetimes:
        for name, distinct, gaps in summary.scales:
            total = totals.setdefault(name, [0, 0])
            total[0] += distinct
            total[1] += gaps
    if not totals:
        return None
    order = [g.name for g in temporal.GRANULARITIES]
    return max(totals, key=lambda name: (totals[name][0] - totals[name][1], -order.index(name)))


CONTAINERS = ("archive", "semiStructured")


def dataset_tree(datasets: Sequence[Dataset], file_name: str, file_size: int) -> list[dict[str, Any]]:
    """A node per dataset, mirroring the upload: each node follows its parent, children in reader order.

    A dataset's parent is the innermost archive or JSON document whose name is a path prefix of
    its own (``bundle.zip`` of ``bundle.zip/data.csv``, ``orders.json`` of ``orders.json/items``).
    A workbook has no dataset of its own, so its sheets hang from whatever holds the workbook.
    """
    positions = _list_positions(datasets)
    containers: dict[str, Dataset] = {}
    for dataset in datasets:
        if dataset.kind in CONTAINERS:
            containers.setdefault(dataset.name, dataset)
    parents = {id(d): _parent(d.name, containers) for d in datasets}
    ordered = _parents_first(datasets, parents)
    node_of = {id(d): number for number, d in enumerate(ordered)}
    nodes = []
    for dataset in ordered:
        parent = parents[id(dataset)]
        nodes.append({"dataset": {"$ref": f"#/{LISTS[dataset.kind]}/{positions[id(dataset)]}"},
                      "datasetType": dataset.kind,
                      "parent": {"$ref": f"#/datasetTree/{node_of[id(parent)]}"} if parent is not None else None,
                      "name": dataset.name, "fileProperties": _file_properties(dataset, file_name, file_size)})
    return nodes


def _list_positions(datasets: Sequence[Dataset]) -> dict[int, int]:
    """Each dataset's index in its own EDP list (``archiveDatasets``, ``structuredDatasets``, ...)."""
    counters = dict.fromkeys(LISTS, 0)
    positions = {}
    for dataset in datasets:
        positions[id(dataset)], counters[dataset.kind] = counters[dataset.kind], counters[dataset.kind] + 1
    return positions


def _parent(name: str, containers: dict[str, Dataset]) -> Dataset | None:
    """The innermost container whose name is a path prefix of ``name``: its own prefixes looked up,
    longest first (an archive may hold 10 000 members; comparing each with every other would not do)."""
    prefix = name
    while "/" in prefix:
        prefix = prefix.rsplit("/", 1)[0]
        if prefix in containers:
            return containers[prefix]
    return None


def _parents_first(datasets: Sequence[Dataset], parents: dict[int, Dataset | None]) -> list[Dataset]:
    """Depth first from the roots, so a node's parent always comes before it and siblings keep their order."""
    children: dict[int | None, list[Dataset]] = {}
    for dataset in datasets:
        parent = parents[id(dataset)]
        children.setdefault(id(parent) if parent is not None else None, []).append(dataset)
    ordered: list[Dataset] = []
    pending = list(reversed(children.get(None, [])))
    while pending:
        dataset = pending.pop()
        ordered.append(dataset)
        pending += reversed(children.get(id(dataset), []))
    return ordered


def _file_properties(dataset: Dataset, file_name: str, file_size: int) -> dict[str, Any] | None:
    """The file the dataset was read from, when it stands for a whole file (or is a workbook's sheet).

    Datasets derived from a file that has a node of its own (a JSON document's record tables)
    get None: their parent node carries the file.
    """
    if dataset.file is not None:
        return {"name": dataset.file.name, "fileType": dataset.file.file_type, "size": int(dataset.file.size)}
    if dataset.name == file_name:
        return {"name": file_name.rsplit("/", 1)[-1], "fileType": dataset.file_type or "unknown",
                "size": int(file_size)}
    return None


def semi_structured_body(json_schema: object) -> dict[str, Any]:
    """A SemiStructuredDataSet: the schema as a JSON string, keys sorted so the EDP is reproducible."""
    text = json_schema if isinstance(json_schema, str) else json.dumps(json_schema, sort_keys=True, ensure_ascii=False)
    return {"jsonSchema": text}
