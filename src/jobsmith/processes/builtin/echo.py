"""``echo``: returns its parameters, metadata and inputs as results; handy to check a setup.

Everything a job carries from the client to the process (parameters, metadata, uploaded files)
comes back unchanged, so a client, a deployment or a conformance test suite can see the whole
round trip without any real analysis in the way.
"""

from __future__ import annotations

import json
import pathlib
import shutil
from typing import Any

import pydantic

from jobsmith.processes import context, files, registry



class EchoParameters(pydantic.BaseModel):
    """Any JSON object is accepted and echoed back."""

    model_config = pydantic.ConfigDict(extra="allow", json_schema_extra={"examples": [{"message": "hello"}]})


@registry.process(
    "echo",
    title="Echo parameters and inputs",
    version="1.0.0",
    parameters=EchoParameters,
    inputs=[registry.FileInput("files", "Files to return unchanged.", required=False, multiple=True)],
    outputs=["echo.json", "inputs/"],
    steps=["echo"],
)
def echo(ctx: context.JobContext) -> None:
    """Writes ``echo.json`` (parameters, metadata and a list of inputs) and copies each input under ``inputs/``."""
    with ctx.step("echo") as step:
        listed = [_copy(ctx, name, path) for name, paths in ctx.inputs.items() for path in paths]
        document = {
            "parameters": ctx.parameters.model_dump(mode="json"),
            "metadata": ctx.metadata,
            "inputs": listed,
        }
        (ctx.output_dir / "echo.json").write_text(json.dumps(document, indent=2, ensure_ascii=False))
        step.message = f"{len(listed)} input file(s) echoed"


def _copy(ctx: context.JobContext, input_name: str, path: pathlib.Path) -> dict[str, Any]:
    """Copy one input to ``inputs/<name>`` and describe it. Input names are unique within a job."""
    ctx.check_cancelled()
    copies = ctx.output_dir / "inputs"
    copies.mkdir(exist_ok=True)
    shutil.copyfile(path, copies / path.name)
    return {"input": input_name, "name": path.name, "size": path.stat().st_size, "sha256": files.sha256_of(path)}

