"""``echo``: returns its parameters, metadata and inputs as results; handy to check a setup."""

from __future__ import annotations

import hashlib
import json
import shutil

import pydantic

from jobsmith.processes import context, registry


class EchoParameters(pydantic.BaseModel):
    """Any JSON object is accepted and echoed back."""

    model_config = pydantic.ConfigDict(extra="allow", json_schema_extra={"examples": [{"message": "hello"}]})


@registry.process("echo", title="Echo parameters and inputs", version="1.0.0", parameters=EchoParameters,
                  inputs=[registry.FileInput("files", "Files to return unchanged.", required=False, multiple=True)],
                  outputs=["echo.json", "inputs/"])
def echo(ctx: context.JobContext) -> None:
    """Writes ``echo.json`` (parameters, metadata and a list of inputs) and copies each input under ``inputs/``."""
    with ctx.step("echo"):
        copies = ctx.output_dir / "inputs"
        listed = []
        for name, paths in ctx.inputs.items():
            for path in paths:
                copies.mkdir(exist_ok=True)
                shutil.copyfile(path, copies / path.name)
                listed.append({"input": name, "name": path.name, "size": path.stat().st_size,
                               "sha256": _sha256(path)})
        document = {"parameters": ctx.parameters.model_dump(mode="json"), "metadata": ctx.metadata,
                    "inputs": listed}
        (ctx.output_dir / "echo.json").write_text(json.dumps(document, indent=2, ensure_ascii=False))


def _sha256(path: object) -> str:
    digest = hashlib.sha256()
    with open(str(path), "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
