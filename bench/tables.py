#!/usr/bin/env python3
"""Speed of the tabular processes: load -> filter -> aggregate -> save over a large CSV, beside the same
query typed straight into DuckDB, in the same run. A benchmark: it prints figures, asserts none.

What it measures (each ``--repeat`` times, the three interleaved so that the machine's load hits all alike;
the median is reported)

    ``direct``  the query as a person would type it into DuckDB: ``COPY (SELECT category, count(*), ...
                FROM read_csv(f) WHERE price > 20 AND category IS NOT NULL GROUP BY category ORDER BY
                category) TO 'out.csv'``, with DuckDB's own sniffing and the tabular steps' engine settings;
    ``chain``   the four steps composed into one statement by ``jobsmith.processes.tables.chain``: what a
                graph of consecutive tabular nodes can run (the input parsed once, no file between steps),
                including our format, encoding and dialect recognition of the input;
    ``jobs``    the four processes one after another as a worker runs them (a ``JobContext`` each), each
                writing its table to a file the next reads: load writes every column of the CSV to
                table.parquet, filter_rows and aggregate write theirs, save writes result.csv.

Both jobsmith results are checked to be the same CSV as the direct query's (numbers to 1e-9: threads add
floats in varying order).
The data is bench/profile.py's generated CSV (8 columns, nulls), made once into ``--keep-data``.

    .venv/bin/python bench/tables.py                      # 200 MB, 3 repeats
    .venv/bin/python bench/tables.py --size-mb 20 --repeat 5

The last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import pathlib
import resource
import shutil
import statistics
import sys
import tempfile
import time
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
GOAL_RATIO = 1.5

FILTER = {"conditions": [{"column": "price", "op": ">", "value": 20}, {"column": "category", "op": "not_null"}]}
AGGREGATE = {"group_by": ["category"], "aggregates": [
    {"function": "count", "as": "rows"}, {"column": "quantity", "function": "sum"},
    {"column": "price", "function": "mean"}, {"column": "score", "function": "median"},
    {"column": "event_time", "function": "max"}]}
SAVE = {"format": "csv"}
DIRECT = ("SELECT category, count(*) AS \"rows\", CAST(sum(quantity) AS BIGINT) AS sum_quantity, avg(price) AS mean_price, "
          "median(score) AS median_score, max(event_time) AS max_event_time FROM read_csv({source}) "
          "WHERE price > 20 AND category IS NOT NULL GROUP BY category ORDER BY category ASC NULLS LAST")


def generated(directory: pathlib.Path, size_mb: int, seed: int) -> tuple[pathlib.Path, int]:
    spec = importlib.util.spec_from_file_location("bench_profile", ROOT / "bench" / "profile.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_profile"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    directory.mkdir(parents=True, exist_ok=True)
    dataset = module.ensure_dataset(directory, size_mb, seed)
    return dataset.path, dataset.rows


def run_direct(source: pathlib.Path, work: pathlib.Path) -> dict[str, float]:
    import duckdb

    from jobsmith.processes.tables import work as tables_work

    target = work / "direct.csv"
    started = time.perf_counter()
    con = duckdb.connect(config={"memory_limit": tables_work.MEMORY_LIMIT, "threads": os.cpu_count() or 1,
                                 "preserve_insertion_order": True})
    literal = "'" + str(source).replace("'", "''") + "'"
    con.execute(f"COPY ({DIRECT.format(source=literal)}) TO '{target}' (FORMAT csv, HEADER true)")
    con.close()
    return {"total": time.perf_counter() - started}


def run_chain(source: pathlib.Path, work: pathlib.Path) -> dict[str, float]:
    from jobsmith.processes.tables import chain, parameters
    from jobsmith.processes.tables import work as tables_work

    steps = [chain.Step("filter_rows", parameters.FilterParameters.model_validate(FILTER)),
             chain.Step("aggregate", parameters.AggregateParameters.model_validate(AGGREGATE)),
             chain.Step("save", parameters.SaveParameters.model_validate(SAVE))]
    started = time.perf_counter()
    ctx = _context(work / "chain", {})
    con = tables_work.connect(ctx)
    try:
        chain.run(con, source, steps, work / "chain.csv", "csv", ctx.work_dir / "read")
    finally:
        con.close()
    return {"total": time.perf_counter() - started}


def run_jobs(source: pathlib.Path, work: pathlib.Path) -> dict[str, float]:
    from jobsmith.processes import registry
    from jobsmith.processes.tables import declarations

    times: dict[str, float] = {}
    previous = source
    started = time.perf_counter()
    for name, function, parameters, result in (("load", declarations.load, {}, "table.parquet"),
                                               ("filter_rows", declarations.filter_rows, FILTER, "table.parquet"),
                                               ("aggregate", declarations.aggregate, AGGREGATE, "table.parquet"),
                                               ("save", declarations.save, SAVE, "result.csv")):
        step_started = time.perf_counter()
        spec = registry.describe(function)
        assert spec is not None
        ctx = _context(work / name, {"data": [previous]}, spec.validate_parameters(parameters), spec.steps)
        function(ctx)
        previous = ctx.output_dir / result
        times[name] = time.perf_counter() - step_started
    times["total"] = time.perf_counter() - started
    shutil.copy(previous, work / "jobs.csv")
    return times


def _same(ours: pathlib.Path, direct: pathlib.Path) -> bool:
    """The same rows and columns; numbers equal to 1e-9 (threads add floats in varying order)."""
    import csv
    import math

    def cells(path: pathlib.Path) -> list[list[str]]:
        with path.open(newline="") as handle:
            return list(csv.reader(handle))

    def equal(a: str, b: str) -> bool:
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-9)
        except ValueError:
            return a == b

    mine, theirs = cells(ours), cells(direct)
    return len(mine) == len(theirs) and all(len(r) == len(t) and all(map(equal, r, t)) for r, t in zip(mine, theirs))


def _context(root: pathlib.Path, inputs: dict[str, list[pathlib.Path]], params: Any = None,
             steps: tuple[str, ...] = ()) -> Any:
    from jobsmith.processes import context, registry

    class Quiet:
        def step(self, *args: Any) -> None:
            pass

        def progress(self, fraction: float) -> None:
            pass

    (root / "out").mkdir(parents=True, exist_ok=True)
    return context.JobContext(job_id="bench", inputs=inputs, parameters=params or registry.NoParameters(), metadata={},
                              output_dir=root / "out", logger=logging.getLogger("bench"), reporter=Quiet(),
                              cancelled=lambda: False, work_dir=root / "work", declared_steps=steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep-data", type=pathlib.Path, default=pathlib.Path("/tmp/jsm-bench-data"))
    args = parser.parse_args()
    source, rows = generated(args.keep_data, args.size_mb, args.seed)
    print(f"{source.name}: {source.stat().st_size / 1e6:.0f} MB, {rows} rows; load average {os.getloadavg()[0]:.2f}")
    runs: dict[str, list[dict[str, float]]] = {"direct": [], "chain": [], "jobs": []}
    for attempt in range(args.repeat):
        for name, function in (("direct", run_direct), ("chain", run_chain), ("jobs", run_jobs)):
            with tempfile.TemporaryDirectory(prefix="jsm-tables-") as scratch:
                work = pathlib.Path(scratch)
                runs[name].append(function(source, work))
                if name != "direct":
                    same = _same(work / f"{name}.csv", work.parent / "jsm-direct.csv")
                    runs[name][-1]["same_as_direct"] = float(same)
                else:
                    shutil.copy(work / "direct.csv", work.parent / "jsm-direct.csv")
            print(f"  run {attempt + 1} {name}: " + ", ".join(f"{k} {v:.2f}" for k, v in runs[name][-1].items()))
    (pathlib.Path(tempfile.gettempdir()) / "jsm-direct.csv").unlink(missing_ok=True)
    figures = {name: {key: round(statistics.median(r[key] for r in results), 3) for key in results[0]}
               for name, results in runs.items()}
    direct = figures["direct"]["total"]
    for name in ("chain", "jobs"):
        figures[name]["ratio"] = round(figures[name]["total"] / direct, 2)
    print(f"median of {args.repeat}: direct {direct:.2f} s; chain {figures['chain']['total']:.2f} s "
          f"({figures['chain']['ratio']}x, goal {GOAL_RATIO}x); jobs one by one {figures['jobs']['total']:.2f} s "
          f"({figures['jobs']['ratio']}x: " + ", ".join(f"{k} {figures['jobs'][k]:.2f}" for k in
                                                       ("load", "filter_rows", "aggregate", "save")) + ")")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process over all runs: {peak:.0f} MiB")
    print(json.dumps({"file": source.name, "bytes": source.stat().st_size, "rows": rows, "figures": figures,
                      "peak_rss_mib": round(peak), "cpus": os.cpu_count()}))


if __name__ == "__main__":
    main()
