#!/usr/bin/env python3
"""Speed and peak memory of the ``profile`` process on CSVs of 20 MB, 200 MB and 2 GB. A benchmark:
it prints figures, asserts none.

What it measures
    For each generated CSV (8 columns: an integer id, an integer and two floats with nulls, a category
    of 36 distinct strings, ISO timestamps increasing with jitter, free text of 2-8 words, a small
    integer rating; nulls in all but the id and the timestamps) four phases, each in a fresh
    subprocess so that its peak memory is its own:

    ``cli``    the whole profile from the command line, as a person runs it: ``jobsmith profile FILE -o
               DIR`` in a fresh interpreter, imports included (its wall time is the subprocess's; the
               steps and the imports come from the ``profile.log`` it writes);
    ``whole``  the whole profile as the worker runs it: ``process.run`` (read, hash, analysis, plots,
               report) with a ``JobContext`` whose reporter records when each step ends;
    ``stats``  its statistics pass alone: ``process.open_duckdb`` + ``readers.read`` (drawing the
               inference sample in its pass, as ``process.run`` asks it to) +
               ``datasets.analyse`` (no hash, no plots, no report), with the analysis' progress
               marks timed, which show where the analysis spends its time (table_profile.py's steps);
    ``parse``  the bare parse, the floor no profile can beat: the same engine with the same settings
               (``process.open_duckdb``: threads, memory limit, spill directory) and the reader's
               ``read_csv`` parameters (every column VARCHAR, dialect fixed, parallel, strict) but
               DuckDB's default ``max_line_size``, counting the non-null values of every column: every
               field of every row is read once;
    ``ydata``  ydata-profiling in minimal mode, ``ProfileReport(pandas.read_csv(f), minimal=True)
               .to_json()``, in its own virtualenv (its pins conflict with ours), on the files that fit
               in memory (``--ydata-max-mb``).

    Per phase: wall seconds of the phase inside the subprocess (after its imports; the imports and the
    whole subprocess are reported too), CPU seconds of the phase (its process and the children it waited
    for: on a shared machine the CPU ratio of statistics pass to bare parse moves less with the load than
    the wall ratio), and PEAK MEMORY OF THE WHOLE PROCESS TREE: the RSS of the subprocess and all its descendants (DuckDB threads, the plot pool),
    sampled with psutil every ``--sample-ms`` (50) ms and summed; the maximum is kept. A forked child
    shares pages with its parent that both RSS figures count, so the sum errs high. For comparison the
    kernel's max RSS (``wait4`` rusage: the largest single process of the tree) is printed too.

    Then the goals: the whole profile of the 200 MB synthetic CSV of the comparison with the EDPS
    command line (``--synthetic``, made by ``/work/shared/peers/gen_synthetic.py``; EDPS took 121-127 s
    and 4.1 GiB on it) from the command line, imports included, in about 4 s (30x EDPS); the whole
    profile of the 2 GB file in under 30 s with a peak under 1 GB. Each beside its floor measured
    in the same run: the bare parse and the imports (ydata-profiling is the peer, not held to them).

How
    The CSVs are generated with DuckDB ``COPY (SELECT ... FROM range(n)) TO 'f.csv'`` (streamed,
    deterministic: every value is a hash of the row number and ``--seed``) into ``--keep-data DIR``
    (reused when already there) or a temporary directory. ydata-profiling runs with
    ``--ydata-python`` (default ``/tmp/ydata-venv/bin/python``), made once with

        python3 -m venv /tmp/ydata-venv && /tmp/ydata-venv/bin/pip install ydata-profiling setuptools

    .venv/bin/python bench/profile.py                                  # 20, 200 and 2000 MB, ydata where it fits
    .venv/bin/python bench/profile.py --sizes 20 200 --skip-ydata      # quicker
    .venv/bin/python bench/profile.py --keep-data /tmp/jsm-bench-data --repeat 3
    .venv/bin/python bench/profile.py --py-spy /tmp/spy --sizes 200    # py-spy stacks of whole and stats
    .venv/bin/python bench/profile.py --trace-sql                      # the slowest SQL of the statistics pass
    .venv/bin/python bench/profile.py --sizes 200 2000 --synthetic /tmp/synthetic_200mb.csv --skip-ydata \
        --keep-data /tmp/jsm-bench-data --repeat 3                     # the goals

The machine's other load distorts the times: the load average is printed before every phase. The last
line of output is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import pathlib
import platform
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any

# Only the standard library at module level: the ``ydata`` phase runs this file with the ydata
# virtualenv's Python, which has neither jobsmith nor psutil.

ROOT = pathlib.Path(__file__).resolve().parents[1]
PHASES = ("cli", "whole", "stats", "parse", "ydata")
COMPARED = ("cli", "whole", "stats")
MB = 1_000_000
MIB = 1024 * 1024
GENERATOR_VERSION = 1  # bump when the generated data change, so kept files are made again
PILOT_ROWS = 200_000
PY_SPY = pathlib.Path(sys.executable).parent / "py-spy"
GOAL_CLI_S = 4.0
"""The whole profile of the 200 MB synthetic file from the command line, imports included: 30x EDPS's 121-127 s."""
EDPS_S = (121, 127)
GOAL_LARGE_S = 30.0
GOAL_PEAK_MIB = 1e9 / MIB
ANALYSIS_MARKS = {0.1: "infer types on a sample", 0.45: "typed copy (0 when the reader's is kept)", 0.6: "scan 1",
                  0.7: "scan 2", 0.8: "strings and datetimes", 0.9: "distribution fits", 1.0: "seasonality"}
"""The progress marks ``table_profile.profile_table`` reports (one table: the fractions are the job's), and
the work that ends at each (see table_profile.py's docstring); the time between the last mark and the end
of ``datasets.analyse`` is assembling the EDP."""


# -- the data ------------------------------------------------------------------------------------
WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima",
         "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform", "victor", "whiskey",
         "xray", "yankee", "zulu", "data", "profile", "quality", "report", "river", "mountain", "city", "green",
         "blue", "fast", "slow", "bright", "quiet", "north"]
CATEGORIES = [f"category_{c}" for c in ("amber", "basalt", "cedar", "dune", "ember", "fjord", "garnet", "harbor",
                                        "iris", "jade", "kelp", "lotus", "maple", "nectar", "onyx", "pearl",
                                        "quartz", "reef", "sage", "tundra", "umber", "violet", "willow", "xenon",
                                        "yarrow", "zinnia", "aspen", "birch", "cobalt", "delta", "elm", "flint",
                                        "grove", "hazel", "ivory", "juniper")]


@dataclasses.dataclass(frozen=True)
class Dataset:
    """One generated CSV."""

    target_mb: int
    path: pathlib.Path
    size: int
    rows: int
    generated_s: float | None  # None when an existing file was reused
    synthetic: bool = False  # the file of the EDPS comparison (--synthetic), not one generated here


def given_dataset(path: pathlib.Path) -> Dataset:
    """A file given on the command line (the EDPS comparison's synthetic CSV): its rows counted here."""
    with path.open("rb") as f:
        rows = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 24), b"")) - 1
    size = path.stat().st_size
    return Dataset(-1, path, size, rows, None, synthetic=True)  # -1: its key among the results, apart from --sizes


def _list(values: Sequence[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def generator_sql(rows: int, seed: int) -> str:
    """The SELECT that makes the data: every value a function of the row number ``i`` and the seed.

    ``hash(i, k)`` is DuckDB's 64-bit hash of the pair, so the same ``rows`` and ``seed`` give the same
    bytes in any order of evaluation and with any number of threads (``random()`` would not).
    """
    def h(k: int) -> str:
        return f"hash(i, {seed * 100 + k})"

    def u(k: int) -> str:  # uniform in [0, 1)
        return f"(({h(k)} % 1000000)::DOUBLE / 1000000.0)"

    def word(k: int) -> str:
        return f"{_list(WORDS)}[1 + ({h(k)} % {len(WORDS)})::INTEGER]"

    optional_words = ", ".join(f"CASE WHEN {h(30 + k)} % 2 = 0 THEN {word(40 + k)} END" for k in range(6))
    return f"""
        SELECT
          i AS id,
          CASE WHEN {h(1)} % 100 < 4 THEN NULL ELSE ({h(2)} % 1000)::BIGINT - 100 END AS quantity,
          CASE WHEN {h(3)} % 100 < 6 THEN NULL
               ELSE round(exp(3 + 1.2 * ({u(4)} + {u(5)} + {u(6)} - 1.5)), 2) END AS price,
          CASE WHEN {h(7)} % 100 < 2 THEN NULL
               ELSE round(50 + 17 * ({u(8)} + {u(9)} + {u(10)} + {u(11)} - 2) + 5 * sin(i / 5000.0), 4) END AS score,
          CASE WHEN {h(12)} % 100 < 3 THEN NULL ELSE {_list(CATEGORIES)}[1 + ({h(13)} % {len(CATEGORIES)})::INTEGER] END
            AS category,
          strftime(TIMESTAMP '2020-01-01 00:00:00' + to_seconds(i * 30 + ({h(14)} % 40)::BIGINT - 20),
                   '%Y-%m-%dT%H:%M:%S') AS event_time,
          CASE WHEN {h(15)} % 100 < 10 THEN NULL ELSE concat_ws(' ', {word(16)}, {word(17)}, {optional_words}) END
            AS comment,
          CASE WHEN {h(20)} % 100 < 5 THEN NULL ELSE ({h(21)} % 5)::INTEGER END AS rating
        FROM range({int(rows)}) t(i)
    """


COLUMNS = ("id", "quantity", "price", "score", "category", "event_time", "comment", "rating")


def write_csv(path: pathlib.Path, rows: int, seed: int) -> None:
    import duckdb

    con = duckdb.connect(config={"threads": os.cpu_count() or 1, "memory_limit": "512MB",
                                 "preserve_insertion_order": True})
    try:
        target = str(path).replace("'", "''")
        con.execute(f"COPY ({generator_sql(rows, seed)}) TO '{target}' (FORMAT csv, HEADER, DELIMITER ',')")
    finally:
        con.close()


def ensure_dataset(directory: pathlib.Path, target_mb: int, seed: int) -> Dataset:
    """The CSV of about ``target_mb`` MB: reused when its sidecar says it was made the same way."""
    path = directory / f"bench-{target_mb}mb-seed{seed}.csv"
    sidecar = path.with_suffix(".json")
    if path.exists() and sidecar.exists():
        known = json.loads(sidecar.read_text())
        if known.get("generator") == GENERATOR_VERSION and known.get("size") == path.stat().st_size:
            return Dataset(target_mb, path, int(known["size"]), int(known["rows"]), None)
    started = time.perf_counter()
    rows = rows_for(directory, target_mb * MB, seed)
    write_csv(path, rows, seed)
    size = path.stat().st_size
    sidecar.write_text(json.dumps({"generator": GENERATOR_VERSION, "rows": rows, "size": size, "seed": seed}))
    return Dataset(target_mb, path, size, rows, round(time.perf_counter() - started, 1))


def rows_for(directory: pathlib.Path, target_bytes: int, seed: int) -> int:
    """Rows that make about ``target_bytes``, from the bytes per row of a pilot file (deterministic)."""
    pilot = directory / f".pilot-seed{seed}.csv"
    write_csv(pilot, PILOT_ROWS, seed)
    per_row = pilot.stat().st_size / (PILOT_ROWS + 1)  # the header counts as a row, near enough
    pilot.unlink()
    return max(1000, round(target_bytes / per_row))


# -- the phases, run inside their subprocess -----------------------------------------------------
def floor_sql(path: pathlib.Path) -> str:
    """Count the non-null values of every column with the reader's ``read_csv`` parameters
    (readers/delimited.py: dialect fixed, every column VARCHAR, parallel, strict) except its
    ``max_line_size``: DuckDB's default keeps the floor what the engine does, whatever the reader's
    buffer sizing does (see ``--reader-max-line-mb``)."""
    with path.open(encoding="utf-8") as f:
        names = f.readline().strip().split(",")  # the header: COLUMNS, or the synthetic file's
    columns = ", ".join(f"'{name}': 'VARCHAR'" for name in names)
    counts = ", ".join(f'count("{name}")' for name in names)
    target = str(path).replace("'", "''")
    return (f"SELECT count(*), {counts} FROM read_csv('{target}', auto_detect=false, header=false, skip=1, "
            f"delim=',', quote='\"', escape='\"', comment='', columns={{{columns}}}, encoding='utf-8', "
            "null_padding=false, parallel=true, strict_mode=true)")


class Clock:
    """Named moments since the phase started."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.marks: list[tuple[str, float]] = []

    def mark(self, name: str) -> None:
        self.marks.append((name, round(time.perf_counter() - self.started, 3)))

    def elapsed(self) -> float:
        return round(time.perf_counter() - self.started, 3)


def phase_parse(path: pathlib.Path, work: pathlib.Path) -> dict[str, Any]:
    from jobsmith.processes.profile import process

    options = process.ProfileOptions.model_validate({})
    clock = Clock()
    with process.open_duckdb(work, options) as con:
        counts = con.execute(floor_sql(path)).fetchone()
    assert counts is not None
    return {"wall_s": clock.elapsed(), "rows": int(counts[0]), "non_null": [int(c) for c in counts[1:]],
            "memory_limit_mb": options.memory_limit_mb}


class TracedConnection:
    """A DuckDB connection that times every statement (``execute`` and the fetch that follows it).

    The analysis only calls ``execute(...).fetch*()`` on its connection, so this stand-in sees every
    statement; the time of a fetch is added to the statement it reads. Before each statement it also
    notes how much DuckDB holds in its spill files (``duckdb_temporary_files()``) and in memory
    (``duckdb_memory()``) after the previous one: when the typed copy outgrows the memory limit,
    every later scan reads it back from disk.
    """

    def __init__(self, con: Any) -> None:
        self._con = con
        self.statements: list[list[Any]] = []  # [seconds, sql, spilled MiB after, buffers MiB after]

    def _note_storage(self) -> None:
        if self.statements and len(self.statements[-1]) == 2:
            spilled = self._con.execute("SELECT coalesce(sum(size), 0) FROM duckdb_temporary_files()").fetchone()[0]
            held = self._con.execute("SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory()").fetchone()[0]
            self.statements[-1] += [round(int(spilled) / MIB), round(int(held) / MIB)]

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> TracedConnection:
        self._note_storage()
        started = time.perf_counter()
        self._con.execute(sql, *args, **kwargs)
        self.statements.append([time.perf_counter() - started, " ".join(sql.split())])
        return self

    def _fetch(self, name: str, *args: Any) -> Any:
        started = time.perf_counter()
        found = getattr(self._con, name)(*args)
        if self.statements:
            self.statements[-1][0] += time.perf_counter() - started
        return found

    def fetchone(self) -> Any:
        return self._fetch("fetchone")

    def fetchall(self) -> Any:
        return self._fetch("fetchall")

    def fetchmany(self, size: int = 1) -> Any:
        return self._fetch("fetchmany", size)

    def fetchnumpy(self) -> Any:
        return self._fetch("fetchnumpy")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)

    def slowest(self, count: int = 12, width: int = 200) -> list[tuple[float, int, int, str]]:
        """The slowest statements: seconds, MiB spilled and MiB of buffers after it, the SQL (shortened)."""
        self._note_storage()
        ranked = sorted(self.statements, key=lambda s: -s[0])[:count]
        return [(round(seconds, 3), spilled, held, sql if len(sql) <= width else sql[:width - 40] + " ... " + sql[-35:])
                for seconds, sql, spilled, held in ranked]


def phase_stats(path: pathlib.Path, work: pathlib.Path) -> dict[str, Any]:
    from jobsmith.processes.profile import process, readers
    from jobsmith.processes.profile.analysis import datasets, infer

    options = process.ProfileOptions.model_validate({})
    clock = Clock()
    with process.open_duckdb(work, options) as engine:
        con = TracedConnection(engine) if os.environ.get("JOBSMITH_BENCH_TRACE_SQL") else engine
        sampling = infer.reader_sampling(options.inference_sample_rows, options.seed)  # as process.run reads
        sources = readers.read(path, con, display_name=path.name, work_dir=work,  # type: ignore[arg-type]
                               sampling=sampling)
        clock.mark("read")
        marks: list[tuple[float, float]] = []
        result = datasets.analyse(
            sources, con, file_name=path.name, file_size=path.stat().st_size,  # type: ignore[arg-type]
            sha256="0" * 64, metadata=None, options=options,
            progress=lambda f: marks.append((round(f, 3), clock.elapsed())))
        clock.mark("analyse")
        wall = clock.elapsed()
        slowest = con.slowest() if isinstance(con, TracedConnection) else []
    rows = sum(int(getattr(s, "row_count", 0)) for s in sources)
    figures = {"wall_s": wall, "rows": rows, "steps": clock.marks, "analysis_marks": marks,
               "plots": len(result.plots), "notes": result.notes, "warnings": result.warnings}
    if isinstance(con, TracedConnection):
        figures.update(statements=len(con.statements), slowest_sql=slowest)
    return figures


class StepTimes:
    """A ``context.Reporter`` that records when each step of the job ends."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def step(self, position: int, name: str, state: Any, at: dt.datetime, message: str | None) -> None:
        if str(getattr(state, "value", state)).upper() != "RUNNING":
            self.clock.mark(name)

    def progress(self, fraction: float) -> None:
        pass


def phase_whole(path: pathlib.Path, work: pathlib.Path) -> dict[str, Any]:
    import logging

    from jobsmith.processes import context
    from jobsmith.processes.profile import process

    output = work / "output"
    output.mkdir(parents=True)
    options = process.ProfileOptions.model_validate({})
    logger = logging.getLogger("bench.profile")
    logger.addHandler(logging.NullHandler())
    logger.propagate = False
    clock = Clock()
    ctx = context.JobContext(job_id="bench", inputs={"data": [path]}, parameters=options, metadata={},
                             output_dir=output, logger=logger, reporter=StepTimes(clock),
                             cancelled=lambda: False, work_dir=work / "scratch")
    result = process.run(path, ctx, options)
    wall = clock.elapsed()
    files = [p for p in output.rglob("*") if p.is_file()]
    return {"wall_s": wall, "steps": clock.marks, "plots": len(result.plots), "output_files": len(files),
            "output_bytes": sum(p.stat().st_size for p in files)}


def phase_ydata(path: pathlib.Path, work: pathlib.Path) -> dict[str, Any]:
    import pandas  # type: ignore[import-untyped]
    import ydata_profiling  # type: ignore[import-not-found]

    clock = Clock()
    frame = pandas.read_csv(path)
    clock.mark("pandas.read_csv")
    text = ydata_profiling.ProfileReport(frame, minimal=True, progress_bar=False).to_json()
    clock.mark("ProfileReport.to_json")
    return {"wall_s": clock.elapsed(), "steps": clock.marks, "rows": len(frame), "json_bytes": len(text),
            "ydata_profiling": ydata_profiling.__version__, "pandas": pandas.__version__}


def preload(phase: str) -> None:
    """Import what the phase will import, so the phase's time excludes the imports (reported apart):
    a worker's job host stays up across jobs and pays them once."""
    if phase == "ydata":
        import pandas  # noqa: F401
        import ydata_profiling  # noqa: F401
        return
    import duckdb  # noqa: F401

    from jobsmith.processes.profile import process  # noqa: F401
    if phase == "parse":
        return
    from jobsmith.processes.profile import readers  # noqa: F401
    from jobsmith.processes.profile.analysis import datasets  # noqa: F401
    if phase == "whole":
        from jobsmith.processes.profile.report import html_report, pdf_report, plots  # noqa: F401
    import importlib

    for name in getattr(process, "WARM_UP", ()):  # what the job imports beside its reading, when it has a host
        importlib.import_module(name)


PHASE_FUNCTIONS: dict[str, Callable[[pathlib.Path, pathlib.Path], dict[str, Any]]] = {
    "whole": phase_whole, "stats": phase_stats, "parse": phase_parse, "ydata": phase_ydata}


def cpu_seconds() -> float:
    """User + system CPU of this process and of the children it waited for (the plot pool)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def child_main(phase: str, path: pathlib.Path, work: pathlib.Path, result_file: pathlib.Path) -> None:
    """Run one phase and write its figures (JSON) to ``result_file``."""
    started = time.perf_counter()
    preload(phase)
    if os.environ.get("JOBSMITH_BENCH_READER_MAX_LINE") and phase in ("stats", "whole"):
        from jobsmith.processes.profile.readers import delimited

        delimited.MAX_LINE_BYTES = int(os.environ["JOBSMITH_BENCH_READER_MAX_LINE"])
    imports_s = round(time.perf_counter() - started, 3)
    work.mkdir(parents=True, exist_ok=True)
    cpu_before = cpu_seconds()
    figures = PHASE_FUNCTIONS[phase](path, work)
    figures["cpu_s"] = round(cpu_seconds() - cpu_before, 2)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    figures.update(imports_s=imports_s, maxrss_self_mib=round(own, 1), maxrss_children_mib=round(children, 1))
    result_file.write_text(json.dumps(figures))


# -- running a phase and watching its process tree -----------------------------------------------
@dataclasses.dataclass
class Run:
    """One phase on one file, as the parent saw it, with the figures the child reported."""

    phase: str
    target_mb: int
    ok: bool
    process_s: float  # the whole subprocess: interpreter start, imports, phase, exit
    peak_tree_mib: float
    samples: int
    rusage_maxrss_mib: float  # the largest single process of the tree (kernel's figure)
    tree_cpu_s: float  # user + system of the subprocess and the descendants it waited for, imports included
    load_before: float
    child: dict[str, Any]
    error: str = ""

    @property
    def wall_s(self) -> float:
        return float(self.child.get("wall_s", self.process_s))

    @property
    def cpu_s(self) -> float:
        """CPU seconds of the phase itself (after the imports), as the subprocess measured them."""
        return float(self.child.get("cpu_s", self.tree_cpu_s))


def tree_rss(root: Any) -> int:
    """Bytes resident in ``root`` and all its descendants now (a process that just ended counts 0)."""
    from jobsmith.execution import osproc

    return osproc.tree_rss(root.pid)


def run_phase(phase: str, dataset: Dataset, python: str, scratch: pathlib.Path, timeout_s: float,
              sample_s: float, spy_dir: pathlib.Path | None, trace_sql: bool = False,
              reader_max_line: int = 0, src: pathlib.Path = ROOT / "src") -> Run:
    """Start ``phase`` on ``dataset`` in a fresh subprocess and sample its tree's RSS until it ends.

    The phase runs jobsmith from ``src`` (the ``--compare`` tree for its ``@base`` runs)."""
    import psutil

    work = scratch / f"{phase}-{dataset.target_mb}mb-{time.time_ns()}"
    work.mkdir(parents=True)
    result_file, log_file = work / "result.json", work / "output.log"
    command = [python, str(pathlib.Path(__file__).resolve()), "--child", phase, str(dataset.path), str(work / "w"),
               str(result_file)]
    if phase == "cli":
        command = [python, "-c", "from jobsmith.cli import main; main()", "profile", str(dataset.path),
                   "-o", str(work / "out")]
    if spy_dir is not None and phase in ("whole", "stats"):
        spy_dir.mkdir(parents=True, exist_ok=True)
        command = [str(PY_SPY), "record", "--subprocesses", "--rate", "50", "--format", "raw",
                   "-o", str(spy_dir / f"{phase}-{dataset.target_mb}mb.txt"), "--", *command]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if trace_sql and phase == "stats":
        env["JOBSMITH_BENCH_TRACE_SQL"] = "1"
    if reader_max_line:
        env["JOBSMITH_BENCH_READER_MAX_LINE"] = str(reader_max_line)
    if phase != "ydata":
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH")]))
    load = os.getloadavg()[0]
    started, started_at = time.perf_counter(), time.time()
    with log_file.open("wb") as log:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    root = psutil.Process(proc.pid)
    peak, samples, status, usage, timed_out = 0, 0, 0, None, False
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, tree_rss(root))
        samples += 1
        if time.perf_counter() - started > timeout_s and not timed_out:
            timed_out = True
            os.killpg(proc.pid, signal.SIGKILL)
        time.sleep(sample_s)
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    elapsed = time.perf_counter() - started
    child: dict[str, Any] = json.loads(result_file.read_text()) if result_file.exists() else {}
    if phase == "cli" and proc.returncode == 0:
        child = cli_figures(work / "out" / "profile.log", started_at, elapsed, usage)
    error = ""
    if timed_out:
        error = f"killed after the {timeout_s:.0f} s timeout"
    elif proc.returncode != 0 or not child:
        error = f"exit {proc.returncode}: " + last_lines(log_file)
    run = Run(phase + ("@base" if src != ROOT / "src" else ""), dataset.target_mb, not error, round(elapsed, 2), round(peak / MIB, 1), samples,
              round(usage.ru_maxrss / 1024, 1), round(usage.ru_utime + usage.ru_stime, 2), round(load, 2), child, error)
    shutil.rmtree(work, ignore_errors=True)
    return run


def cli_figures(log: pathlib.Path, started_at: float, elapsed: float, usage: Any) -> dict[str, Any]:
    """The ``cli`` phase's figures: its whole wall and CPU time (imports included, the plot pool's
    children too), and from its log when each step ended; the imports are the time before the first
    step started (interpreter start included)."""
    marks: list[tuple[str, float]] = []
    first = None
    for line in log.read_text(encoding="utf-8").splitlines():
        found = re.match(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) \w+ step (\w+) (started|ended)", line)
        if not found:
            continue
        at = dt.datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp() - started_at
        first = at if first is None else first
        if found.group(3) == "ended":
            marks.append((found.group(2), round(at, 3)))
    imports = round(first or 0.0, 3)
    return {"wall_s": round(elapsed, 3), "cpu_s": round(usage.ru_utime + usage.ru_stime, 2), "imports_s": imports,
            "steps": [("imports", imports), *marks]}


def code_state() -> dict[str, str]:
    """The commit and a digest of the profile process's source: others change it while figures are taken."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted((ROOT / "src" / "jobsmith" / "processes" / "profile").rglob("*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                          check=False).stdout.strip()
    return {"commit": head or "?", "profile_source_sha256": digest.hexdigest()[:12]}


def last_lines(path: pathlib.Path, count: int = 6) -> str:
    lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    return " | ".join(lines[-count:])[-1500:]


def median_run(runs: list[Run]) -> Run:
    """The run with the median wall time; its peak is replaced by the median peak of all runs."""
    good = [r for r in runs if r.ok] or runs
    ranked = sorted(good, key=lambda r: r.wall_s)
    chosen = ranked[(len(ranked) - 1) // 2]
    return dataclasses.replace(chosen, peak_tree_mib=round(statistics.median(r.peak_tree_mib for r in good), 1))


# -- ydata-profiling -----------------------------------------------------------------------------
def ydata_status(python: str) -> tuple[bool, str]:
    """Whether ``python`` can import ydata_profiling, and its version or the reason it cannot."""
    if not pathlib.Path(python).exists():
        return False, (f"{python} does not exist: make it with 'python3 -m venv /tmp/ydata-venv && "
                       "/tmp/ydata-venv/bin/pip install ydata-profiling setuptools'")
    script = "import ydata_profiling, pandas; print(ydata_profiling.__version__, pandas.__version__)"
    probe = subprocess.run([python, "-c", script], capture_output=True, text=True, timeout=300, check=False)
    if probe.returncode != 0:
        return False, f"{python} cannot import ydata_profiling: {probe.stderr.strip().splitlines()[-1:]}"
    version, pandas_version = probe.stdout.split()
    return True, f"ydata-profiling {version}, pandas {pandas_version}"


def ydata_skip_reason(dataset: Dataset, max_mb: float, measured: list[Run]) -> str:
    """Why ydata-profiling is not run on ``dataset`` (empty: run it)."""
    if dataset.size <= max_mb * MB:
        return ""
    done = sorted((r for r in measured if r.ok and r.phase == "ydata"), key=lambda r: r.target_mb)
    ratio = done[-1].peak_tree_mib * MIB / done[-1].child.get("file_bytes", max(1, done[-1].target_mb) * MB) if done else 0.0
    estimate = (f"; it peaked at {ratio:.0f}x the file size at {done[-1].target_mb} MB, so this one would need "
                f"about {ratio * dataset.size / 1024**3:.0f} GiB") if done else ""
    return (f"skipped: pandas.read_csv holds the whole {dataset.size / MB:,.0f} MB file in memory "
            f"(over --ydata-max-mb {max_mb:g}){estimate}")


# -- the report ----------------------------------------------------------------------------------
def show_datasets(datasets: Sequence[Dataset]) -> None:
    print("\ndatasets (8 columns: id, quantity, price, score, category, event_time, comment, rating)")
    for d in datasets:
        made = f"generated in {d.generated_s} s" if d.generated_s is not None else "reused"
        made = "the EDPS comparison's synthetic file, 8 columns of its own" if d.synthetic else made
        print(f"  {d.path}  {d.size / MB:>9,.1f} MB  {d.rows:>12,} rows  ({made})")


def steps_text(run: Run) -> str:
    """The phase's own steps, as durations: 'read 1.2, analyse 3.4'."""
    out, previous = [], 0.0
    for name, at in run.child.get("steps", []):
        out.append(f"{name} {at - previous:.1f}")
        previous = at
    return ", ".join(out)


def show_table(results: dict[tuple[int, str], Run], datasets: Sequence[Dataset], skipped: dict[int, str]) -> None:
    head = (f"{'size MB':>8} {'phase':<11} {'wall s':>8} {'peak MiB (tree)':>15} {'maxrss MiB':>10} {'cpu s':>7} "
            f"{'process s':>9} {'imports s':>9} {'stats/parse wall':>16} {'cpu':>6} {'load':>5}  steps (s)")
    print("\n" + head)
    print("-" * len(head))
    for d in datasets:
        parse = results.get((d.target_mb, "parse"))
        for phase in [name for base in PHASES for name in (base, base + "@base")]:
            run = results.get((d.target_mb, phase))
            if run is None:
                if phase == "ydata" and d.target_mb in skipped:
                    print(f"{d.size / MB:>8,.0f} {phase:<11} {skipped[d.target_mb]}")
                continue
            if not run.ok:
                print(f"{d.size / MB:>8,.0f} {phase:<11} FAILED after {run.process_s} s, peak {run.peak_tree_mib} "
                      f"MiB: {run.error}")
                continue
            both = phase.startswith("stats") and parse is not None and parse.ok
            ratio = f"{run.wall_s / parse.wall_s:.2f}x" if both and parse else ""
            cpu_ratio = f"{run.cpu_s / parse.cpu_s:.1f}x" if both and parse and parse.cpu_s else ""
            print(f"{d.size / MB:>8,.0f} {phase:<11} {run.wall_s:>8.2f} {run.peak_tree_mib:>15.0f} "
                  f"{run.rusage_maxrss_mib:>10.0f} {run.cpu_s:>7.1f} {run.process_s:>9.1f} "
                  f"{run.child.get('imports_s', 0):>9.1f} {ratio:>16} {cpu_ratio:>6} {run.load_before:>5.2f}  "
                  f"{steps_text(run)}")


def show_comparison(every: dict[tuple[int, str], list[Run]], datasets: Sequence[Dataset]) -> None:
    """With ``--compare``: each phase's runs of this code against the base's, run alternately (medians)."""
    rows = []
    for d in datasets:
        for phase in COMPARED:
            new = [r for r in every.get((d.target_mb, phase), []) if r.ok]
            old = [r for r in every.get((d.target_mb, phase + "@base"), []) if r.ok]
            if new and old:
                rows.append((d, phase, new, old))
    if not rows:
        return
    print("\nthis code against --compare's, alternately in this run (medians; wall s, cpu s, peak MiB)")
    for d, phase, new, old in rows:
        def median(runs: list[Run], key: Callable[[Run], float]) -> float:
            return statistics.median(key(r) for r in runs)

        wall, cpu = median(new, lambda r: r.wall_s), median(new, lambda r: r.cpu_s)
        wall0, cpu0 = median(old, lambda r: r.wall_s), median(old, lambda r: r.cpu_s)
        print(f"  {d.size / MB:>8,.0f} MB {phase:<6} base {wall0:7.2f} / {cpu0:6.1f} / {median(old, lambda r: r.peak_tree_mib):5.0f}"
              f"   now {wall:7.2f} / {cpu:6.1f} / {median(new, lambda r: r.peak_tree_mib):5.0f}"
              f"   wall {wall / wall0:.2f}x, cpu {cpu / cpu0:.2f}x  ({len(new)} + {len(old)} runs, "
              f"loads {', '.join(f'{r.load_before:.1f}' for r in new + old)})")


def show_analysis(results: dict[tuple[int, str], Run], datasets: Sequence[Dataset]) -> None:
    """Where the statistics pass spends its time: the reader, then the analysis between its marks."""
    print("\nthe statistics pass, step by step (seconds; marks from table_profile.profile_table's progress)")
    for d in datasets:
        run = results.get((d.target_mb, "stats"))
        if run is None or not run.ok:
            continue
        steps = dict(run.child.get("steps", []))
        read_end = steps.get("read", 0.0)
        parts, previous, last_fraction = [f"read (sniff, count rows, inference sample) {read_end:.2f}"], read_end, 0.0
        for fraction, at in run.child.get("analysis_marks", []):
            if fraction <= last_fraction:  # the start mark, and analyse's own final 1.0
                continue
            parts.append(f"{ANALYSIS_MARKS.get(fraction, f'to {fraction:.2f}')} {at - previous:.2f}")
            previous, last_fraction = at, fraction
        parts.append(f"assemble {steps.get('analyse', run.wall_s) - previous:.2f}")
        print(f"  {d.size / MB:>6,.0f} MB: " + "; ".join(parts))
        if run.child.get("slowest_sql"):
            print(f"    slowest of its {run.child['statements']} SQL statements (seconds; MiB in DuckDB's spill "
                  "files and buffers after it; the SQL):")
            for seconds, spilled, held, sql in run.child["slowest_sql"]:
                print(f"    {seconds:>7.2f} {spilled:>6} {held:>5}  {sql}")


def goals(results: dict[tuple[int, str], Run], datasets: Sequence[Dataset]) -> list[dict[str, Any]]:
    """Each goal with the measured figure, whether it is met (None: not measured) and its floor in the same run."""
    found: list[dict[str, Any]] = []
    synthetic = next((d for d in datasets if d.synthetic), None)
    if synthetic is not None:
        cli, parse = results.get((synthetic.target_mb, "cli")), results.get((synthetic.target_mb, "parse"))
        floor = (f"bare parse {parse.wall_s:.2f} s, imports {cli.child.get('imports_s', 0):.2f} s"
                 if cli and cli.ok and parse and parse.ok else "")
        edps = f"; EDPS {EDPS_S[0]}-{EDPS_S[1]} s: {EDPS_S[0] / cli.wall_s:.0f}-{EDPS_S[1] / cli.wall_s:.0f}x" \
            if cli and cli.ok else ""
        found.append({"goal": f"{synthetic.size / MB:.0f} MB synthetic, whole profile from the CLI with imports ~ 4 s",
                      **_verdict([cli], cli.wall_s if cli and cli.ok else 0.0, GOAL_CLI_S), "floor": floor + edps})
    large = max((d for d in datasets if not d.synthetic and d.target_mb >= 2000), key=lambda d: d.size, default=None)
    if large is not None:
        whole, parse = results.get((large.target_mb, "whole")), results.get((large.target_mb, "parse"))
        floor = f"bare parse {parse.wall_s:.2f} s" if parse and parse.ok else ""
        found.append({"goal": f"{large.size / MB:,.0f} MB whole profile < 30 s",
                      **_verdict([whole], whole.wall_s if whole and whole.ok else 0.0, GOAL_LARGE_S), "floor": floor})
        runs: list[Run | None] = [results.get((large.target_mb, phase)) for phase in ("whole", "cli") if
                                  results.get((large.target_mb, phase)) is not None] or [None]
        peak = max((r.peak_tree_mib for r in runs if r is not None), default=0.0)
        found.append({"goal": f"{large.size / MB:,.0f} MB peak memory (tree) < 1 GB",
                      **_verdict(runs, peak, GOAL_PEAK_MIB),
                      "floor": f"bare parse {parse.peak_tree_mib:.0f} MiB" if parse and parse.ok else ""})
    return found


def _verdict(runs: Sequence[Run | None], value: float, limit: float) -> dict[str, Any]:
    """Not measured when a run is missing; missed when one failed; else whether ``value`` is within ``limit``."""
    if any(r is None for r in runs):
        return {"value": None, "met": None}
    if any(r is not None and not r.ok for r in runs):
        return {"value": "failed", "met": False}
    return {"value": value, "met": value <= limit}


def show_goals(found: list[dict[str, Any]]) -> None:
    print("\ngoals (on this 2-core machine; figures in s or MiB; the floor measured in the same run)")
    for goal in found:
        verdict = {True: "MET", False: "MISSED", None: "not measured"}[goal["met"]]
        print(f"  {goal['goal']:<62} {goal['value'] if goal['value'] is not None else '-':>10}  {verdict:<12} "
              f"{goal.get('floor', '')}")


# -- main ----------------------------------------------------------------------------------------
def measure(datasets: Sequence[Dataset], args: argparse.Namespace, scratch: pathlib.Path,
            ydata_ok: bool) -> tuple[dict[tuple[int, str], Run], dict[tuple[int, str], list[Run]], dict[int, str]]:
    """Every phase on every file, ``--repeat`` times interleaved; returns the median runs, all runs and
    the reasons ydata-profiling was skipped."""
    every: dict[tuple[int, str], list[Run]] = {}
    skipped: dict[int, str] = {}
    for d in datasets:
        phases = [p for p in ("parse", "stats", "whole", "cli") if p in args.phases]
        if "ydata" in args.phases and not args.skip_ydata:
            reason = ydata_skip_reason(d, args.ydata_max_mb, [r for runs in every.values() for r in runs])
            if not ydata_ok:
                skipped[d.target_mb] = "not run: ydata-profiling is not available (see above)"
            elif reason:
                skipped[d.target_mb] = reason
            else:
                phases.append("ydata")
        trees = [ROOT / "src"] + ([args.compare / "src"] if args.compare else [])
        for _ in range(args.repeat):
            for phase in phases:
                python = args.ydata_python if phase == "ydata" else sys.executable
                for tree in trees if phase in COMPARED else trees[:1]:  # this code and the base, alternately
                    run = run_phase(phase, d, python, scratch, args.timeout, args.sample_ms / 1000, args.py_spy,
                                    args.trace_sql, int(args.reader_max_line_mb * MIB), tree)
                    every.setdefault((d.target_mb, run.phase), []).append(run)
                    state = (f"{run.wall_s:.2f} s, cpu {run.cpu_s:.1f} s, peak {run.peak_tree_mib:.0f} MiB" if run.ok
                             else f"FAILED: {run.error}")
                    print(f"  {d.size / MB:,.0f} MB {run.phase:<11} {state}  (load {run.load_before:.2f})",
                          file=sys.stderr, flush=True)
        if d.target_mb in skipped:
            print(f"  {d.size / MB:,.0f} MB ydata  {skipped[d.target_mb]}", file=sys.stderr, flush=True)
    return {key: median_run(runs) for key, runs in every.items()}, every, skipped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 200, 2000], help="file sizes in MB [20 200 2000]")
    parser.add_argument("--phases", nargs="+", default=list(PHASES), choices=PHASES, help="phases to run [all]")
    parser.add_argument("--skip-ydata", action="store_true", help="do not run ydata-profiling")
    parser.add_argument("--compare", type=pathlib.Path, help="a source tree to compare with (e.g. 'git worktree add "
                        "/tmp/base COMMIT'): the cli, whole, stats phases also run with its src/, alternating with "
                        "this one's, shown as PHASE@base")
    parser.add_argument("--synthetic", type=pathlib.Path, help="also profile this CSV: the 200 MB file of the EDPS "
                        "comparison, made by 'python3 /work/shared/peers/gen_synthetic.py FILE' (its goal: ~4 s "
                        "from the command line)")
    parser.add_argument("--keep-data", type=pathlib.Path, help="generate the CSVs here, or reuse those already here")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each phase; figures are the median [1]")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated data [1]")
    parser.add_argument("--ydata-python", default="/tmp/ydata-venv/bin/python",
                        help="Python of the ydata-profiling virtualenv [/tmp/ydata-venv/bin/python]")
    parser.add_argument("--ydata-max-mb", type=float, default=500,
                        help="run ydata-profiling only on files up to this size (pandas loads them whole) [500]")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds before a phase is killed [1800]")
    parser.add_argument("--sample-ms", type=float, default=50, help="RSS sampling interval [50]")
    parser.add_argument("--py-spy", type=pathlib.Path, help="record collapsed stacks (py-spy raw, for flamegraph.pl or speedscope) of whole and stats here "
                        "(py-spy record --subprocesses; the sampling slows the phases a little)")
    parser.add_argument("--trace-sql", action="store_true", help="time every SQL statement of the statistics "
                        "pass and print the slowest (a stand-in connection; costs next to nothing)")
    parser.add_argument("--reader-max-line-mb", type=float, default=0,
                        help="set readers.delimited.MAX_LINE_BYTES to this in the whole and stats phases (a "
                        "stand-in for a reader fix: DuckDB sizes CSV buffers at 16x max_line_size, so the "
                        "reader's 64 MiB asks for 1 GiB blocks on files over 1 GiB); 0: the reader as it is [0]")
    parser.add_argument("--child", nargs=4, metavar=("PHASE", "FILE", "WORK", "RESULT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        phase, path, work, result = args.child
        child_main(phase, pathlib.Path(path), pathlib.Path(work), pathlib.Path(result))
        return

    load = os.getloadavg()
    print(f"{os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1, 5, 15 min); "
          f"python {platform.python_version()}", file=sys.stderr)
    ydata_ok, ydata_text = (False, "skipped (--skip-ydata)") if args.skip_ydata else ydata_status(args.ydata_python)
    print(f"ydata-profiling: {ydata_text}", file=sys.stderr)
    code = code_state()
    print(f"code: commit {code['commit']} (+ uncommitted changes), src/jobsmith/processes/profile digest "
          f"{code['profile_source_sha256']}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="jobsmith-bench-profile-") as tmp:
        data_dir = args.keep_data or pathlib.Path(tmp) / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        datasets = []
        for size in args.sizes:
            datasets.append(ensure_dataset(data_dir, size, args.seed))
            d = datasets[-1]
            print(f"  {d.path.name}: {d.size / MB:,.1f} MB, {d.rows:,} rows"
                  + (f", generated in {d.generated_s} s" if d.generated_s is not None else ", reused"),
                  file=sys.stderr, flush=True)
        if args.synthetic:
            datasets.insert(0, given_dataset(args.synthetic))
        scratch = pathlib.Path(tmp) / "runs"
        scratch.mkdir()
        results, every, skipped = measure(datasets, args, scratch, ydata_ok)

    import duckdb

    from jobsmith.processes.profile import process

    options = process.ProfileOptions.model_validate({})
    print(f"\njobsmith profile on {os.cpu_count()} cores (shared: load average at start {load[0]:.2f}, now "
          f"{os.getloadavg()[0]:.2f}); DuckDB {duckdb.__version__}, memory_limit {options.memory_limit_mb} MB, "
          f"threads {os.cpu_count()}; RSS sampled every {args.sample_ms:g} ms; median of {args.repeat} run(s)"
          + (f"; readers.delimited.MAX_LINE_BYTES patched to {args.reader_max_line_mb:g} MiB"
             if args.reader_max_line_mb else ""))
    show_datasets(datasets)
    show_table(results, datasets, skipped)
    show_comparison(every, datasets)
    show_analysis(results, datasets)
    found = goals(results, datasets)
    show_goals(found)
    settings = {"sizes_mb": args.sizes, "repeat": args.repeat, "seed": args.seed, "cores": os.cpu_count(),
                "load_average_start": [round(x, 2) for x in load], "duckdb": duckdb.__version__,
                "memory_limit_mb": options.memory_limit_mb, "ydata": ydata_text,
                "reader_max_line_mb": args.reader_max_line_mb or None, **code, "python": platform.python_version(),
                "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    print(json.dumps({
        "settings": settings,
        "datasets": [{"target_mb": d.target_mb, "path": str(d.path), "bytes": d.size, "rows": d.rows,
                      "generated_s": d.generated_s} for d in datasets],
        "results": [{**dataclasses.asdict(r), "wall_s": r.wall_s, "cpu_s": r.cpu_s, "runs": [dataclasses.asdict(x) for x in every[k]]}
                    for k, r in results.items()],
        "ydata_skipped": {str(k): v for k, v in skipped.items()},
        "goals": found,
    }, default=str))


if __name__ == "__main__":
    main()
