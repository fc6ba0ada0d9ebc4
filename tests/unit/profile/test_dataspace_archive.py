"""The profile's dataspace archive: which results go in, and under which names."""

from __future__ import annotations

from typing import Any

import hypothesis
import pytest
from hypothesis import strategies as st

from jobsmith.processes import registry
from jobsmith.processes.profile import dataspace_archive, outputs, process

JOB = "0b7c6a52-3f0e-4d5c-9a43-2d1f7d1c2a10"
META: dict[str, Any] = {"name": "n", "assetRefs": [{"assetId": "my-dataset-id", "assetVersion": "2.3.1"}]}


def test_the_profile_declares_its_dataspace_archive_and_its_outputs() -> None:
    spec = registry.describe(process.profile)
    assert spec is not None and spec.archives == (dataspace_archive.ARCHIVE,)
    assert dataspace_archive.ARCHIVE.name == dataspace_archive.NAME == "dataspace"
    assert spec.outputs[:4] == ("edp.json", "report.pdf", "report.html", "alerts.json")


@pytest.mark.parametrize(("path", "member"), [
    (outputs.EDP, "my-dataset-id_2.3.1.json"),
    (outputs.REPORT_PDF, "report.pdf"),
    (outputs.REPORT_HTML, None),
    (outputs.ALERTS, "quality/alerts.json"),
    ("other.json", None),
    ("data.csv/age_histogram.png", "data.csv/age_histogram.png"),
    ("data.csv/edp.json", "data.csv/edp.json"),  # only the root-level EDP is renamed
])
def test_the_edp_is_renamed_the_alerts_go_in_a_folder_the_html_report_and_other_root_json_left_out(
        path: str, member: str | None) -> None:
    assert dataspace_archive.layout(path, META, JOB) == member


def test_the_edp_is_the_only_json_at_the_root_of_the_archive() -> None:
    """The catalogues take the one JSON file at the root for the EDP."""
    results = [outputs.EDP, outputs.ALERTS, outputs.REPORT_PDF, outputs.REPORT_HTML, "data.csv/x_box_plot.png"]
    laid_out = [dataspace_archive.layout(path, META, JOB) for path in results]
    assert [m for m in laid_out if m is not None and "/" not in m and m.endswith(".json")] == ["my-dataset-id_2.3.1.json"]
    assert "quality/alerts.json" in laid_out


@pytest.mark.parametrize(("metadata", "name"), [
    ({"assetRefs": [{"assetId": "my-dataset-id"}]}, "my-dataset-id.json"),
    ({"assetRefs": [{"assetId": "a/b:c", "assetVersion": "1"}]}, "b_c_1.json"),
    ({}, f"{JOB}.json"),
    ({"assetRefs": ["not an object"]}, f"{JOB}.json"),
    ({"assetRefs": {"assetId": "x"}}, f"{JOB}.json"),
    ({"assetRefs": 7}, f"{JOB}.json"),
    ({"assetRefs": []}, f"{JOB}.json"),
    ({"assetRefs": [{"assetId": "", "assetVersion": "3"}]}, f"{JOB}_3.json"),
])
def test_the_edp_file_name_comes_from_the_first_asset_reference(metadata: dict[str, Any], name: str) -> None:
    assert dataspace_archive.edp_file_name(metadata, JOB) == name


_text = st.text(max_size=12) | st.sampled_from(["", "..", "/", "a/../b", "\x00", "ä", "x" * 300])
_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _text,
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
                     max_leaves=8)
_ref = st.fixed_dictionaries({}, optional={"assetId": _json, "assetVersion": _json})


@hypothesis.settings(max_examples=200, deadline=None, derandomize=True)
@hypothesis.given(st.dictionaries(st.sampled_from(["assetRefs", "name"]), _json | st.lists(_ref, max_size=2)))
def test_any_metadata_gives_one_safe_json_file_name(metadata: dict[str, Any]) -> None:
    """The worker seals this archive for every profile job, whatever metadata it was made with."""
    name = dataspace_archive.layout(outputs.EDP, metadata, JOB)
    assert name is not None and name.endswith("json") and "/" not in name and not name.startswith(".")
    assert len(name.encode()) <= 200
