"""The ``profile`` results as dataspace catalogues ingest them: the archive its dataspace face serves.

Exactly one JSON file at the root, the EDP, named ``{assetId}_{assetVersion}.json`` after the first
asset reference of the job's metadata (``{assetId}.json`` without a version), because the catalogues
take the one JSON file at the root for the EDP; ``report.pdf`` at the root, the data-quality alerts
in a folder (``quality/alerts.json``) and the plots under ``<dataset name>/``. The other root-level
JSON and HTML files (the HTML report) are left out. The worker seals it as the job completes; the
face only sends the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jobsmith.domain import filenames
from jobsmith.processes import registry
from jobsmith.processes.profile import outputs

NAME = "dataspace"
ALERTS = f"quality/{outputs.ALERTS}"
"""Where ``alerts.json`` goes: in a folder, never at the root, where it would be a second JSON file."""


def layout(path: str, metadata: Mapping[str, Any], job_id: str) -> str | None:
    """The path of result ``path`` inside the dataspace archive, or None to leave it out."""
    if path == outputs.EDP:
        return edp_file_name(metadata, job_id)
    if path == outputs.ALERTS:
        return ALERTS
    return None if path.endswith((".json", ".html")) and "/" not in path else path


def edp_file_name(metadata: Mapping[str, Any], job_id: str) -> str:
    """``{assetId}_{assetVersion}.json`` from the first asset reference, made safe as a file name.

    Any ``profile`` job is sealed with this archive, also one made through the native API with
    metadata of any shape: without a usable first asset reference the job's id stands in for the
    ``assetId``, and nothing here raises.
    """
    refs = metadata.get("assetRefs")
    first = refs[0] if isinstance(refs, list) and refs and isinstance(refs[0], dict) else {}
    asset_id, version = first.get("assetId") or job_id, first.get("assetVersion")
    stem = f"{asset_id}_{version}" if version else str(asset_id)
    return filenames.sanitise(f"{stem}.json")  # never refused: ".json" alone leaves "json"


ARCHIVE = registry.Archive(NAME, layout)
