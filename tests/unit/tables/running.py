"""Run a tabular process on real files through a real JobContext, and read its result back with DuckDB."""

from __future__ import annotations

import logging
import pathlib
from typing import Any

import duckdb

from jobsmith.processes import context, registry
from tests.support import contexts

PEOPLE = ("id,name,city,age,score,joined\n"
          "1,Ann,Bonn,34,7.5,2024-01-05\n"
          "2,Bob,Koeln,,3.0,2023-11-30\n"
          "3,Cem,Bonn,28,,2024-02-10\n"
          "4,Dora,,45,9.25,\n"
          "5,Eve,Muenster,28,6.0,2022-06-01\n")


def run(function: registry.ProcessFunction, inputs: dict[str, pathlib.Path], root: pathlib.Path,
        **parameters: Any) -> pathlib.Path:
    """The output directory after ``function`` ran on ``inputs`` with ``parameters`` validated as the API would."""
    spec = registry.describe(function)
    assert spec is not None
    out = root / "out"
    out.mkdir(parents=True, exist_ok=True)
    ctx = context.JobContext(job_id="local", inputs={k: [v] for k, v in inputs.items()},
                             parameters=spec.validate_parameters(parameters), metadata={}, output_dir=out,
                             logger=logging.getLogger("jobsmith.tests"), reporter=contexts.QuietReporter(),
                             cancelled=lambda: False, work_dir=root / "work", declared_steps=spec.steps)
    function(ctx)
    return out


def scan(path: pathlib.Path) -> str:
    reader = {".parquet": "read_parquet", ".csv": "read_csv", ".json": "read_json"}[path.suffix]
    return f"{reader}('{path}')"


def rows(path: pathlib.Path) -> list[tuple[Any, ...]]:
    """Every row of a result file, in its order."""
    with duckdb.connect() as con:
        return [tuple(row) for row in con.execute(f"SELECT * FROM {scan(path)}").fetchall()]


def types(path: pathlib.Path) -> dict[str, str]:
    with duckdb.connect() as con:
        return {str(r[0]): str(r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM {scan(path)}").fetchall()}


def table(root: pathlib.Path, name: str = "people.csv", text: str = PEOPLE) -> pathlib.Path:
    path = root / name
    path.write_text(text)
    return path
