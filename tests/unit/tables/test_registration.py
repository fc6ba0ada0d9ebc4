"""The tabular processes are built-ins found through the entry points, described fully, and cheap to list."""

from __future__ import annotations

import subprocess
import sys

from jobsmith.processes import registry

IDS = ("load", "filter_rows", "select_columns", "aggregate", "join", "sort", "limit", "save")


def test_the_entry_points_register_them_with_file_inputs_steps_and_outputs() -> None:
    found = registry.load()
    for process_id in IDS:
        spec = found.get(process_id)
        names = ["left", "right"] if process_id == "join" else ["data"]
        assert [(i.name, i.required, i.multiple) for i in spec.inputs] == [(n, True, False) for n in names]
        assert spec.steps[0] == "read" and len(spec.steps) == 2 and spec.title and spec.description
        assert spec.outputs == (("result.csv", "result.parquet", "result.json") if process_id == "save"
                                else ("table.parquet",))


def test_every_parameter_has_a_description_and_every_schema_an_example() -> None:
    found = registry.load()
    for process_id in IDS[1:]:
        schema = found.get(process_id).parameters.model_json_schema()
        assert schema.get("examples"), process_id
        models = [schema, *schema.get("$defs", {}).values()]
        for model in models:
            for name, field in model.get("properties", {}).items():
                assert field.get("description"), f"{process_id}: {name}"
    aggregate = found.get("aggregate").parameters.model_json_schema()
    assert "as" in aggregate["$defs"]["Aggregate"]["properties"]  # the name, not Python's as_


def test_listing_the_processes_imports_no_duckdb() -> None:
    code = ("import sys; from jobsmith.processes import registry; registry.load(); "
            "print(','.join(m for m in ('duckdb', 'numpy', 'python_calamine') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == ""


def test_every_parameter_model_says_what_it_is() -> None:
    found = registry.load()
    for process_id in IDS[1:]:
        schema = found.get(process_id).parameters.model_json_schema()
        for name, model in [(process_id, schema), *schema.get("$defs", {}).items()]:
            assert model.get("description"), name
