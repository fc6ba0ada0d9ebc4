"""Run a visualization process on real files through a real JobContext, as a worker would."""

from __future__ import annotations

import json
import logging
import pathlib
from typing import Any

from jobsmith.processes import context, registry
from tests.support import contexts


def run(function: registry.ProcessFunction, inputs: dict[str, list[pathlib.Path]], root: pathlib.Path,
        cancelled: bool = False, **parameters: Any) -> pathlib.Path:
    """The output directory after ``function`` ran with ``parameters`` validated as the API would."""
    spec = registry.describe(function)
    assert spec is not None
    out = root / "out"
    out.mkdir(parents=True, exist_ok=True)
    ctx = context.JobContext(job_id="local", inputs=inputs, parameters=spec.validate_parameters(parameters),
                             metadata={}, output_dir=out, logger=logging.getLogger("jobsmith.tests"),
                             reporter=contexts.QuietReporter(), cancelled=lambda: cancelled, work_dir=root / "work")
    function(ctx)
    return out


def result(out: pathlib.Path, name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((out / f"{name}.json").read_text())
    return document


def png_size(path: pathlib.Path) -> tuple[int, int]:
    """Width and height from a PNG's header (and proof that it is one)."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
