"""The four visualization processes are built-ins found through the entry points, and cheap to list."""

from __future__ import annotations

import subprocess
import sys

from jobsmith.processes import registry


def test_the_entry_points_register_the_visualizations_with_their_inputs_and_outputs() -> None:
    found = registry.load()
    for process_id, input_name, multiple in (("spectrogram", "recording", True), ("waterfall", "recording", True),
                                             ("heatmap", "table", False), ("scatterplot", "table", False)):
        spec = found.get(process_id)
        assert [(i.name, i.required, i.multiple) for i in spec.inputs] == [(input_name, True, multiple)]
        assert spec.outputs == (f"{process_id}.png", f"{process_id}.json")
        assert spec.queues_on_upload is not multiple  # a recording's two files are queued by POST .../queue


def test_listing_the_processes_imports_no_numerical_or_drawing_library() -> None:
    code = ("import sys; from jobsmith.processes import registry; registry.load(); "
            "print(','.join(m for m in ('numpy', 'scipy', 'matplotlib', 'duckdb', 'sigmf') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == ""
