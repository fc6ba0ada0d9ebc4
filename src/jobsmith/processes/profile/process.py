"""The ``profile`` process: one dataset in; an Extended Dataset Profile, plots and a report out.

The steps are those a person reads in the job view: read (recognise the format from the content and
open every table in DuckDB), analyse (statistics in as few scans as possible, expensive figures on a
seeded sample), plots (drawn in parallel from small aggregates) and report (HTML and PDF). Heavy
libraries are imported when a job runs, not when the registry loads this module, so the API
process stays small and starts fast.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import importlib
import json
import os
import pathlib
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pydantic

from jobsmith.processes import context, files, registry
from jobsmith.processes.profile import dataspace_archive, outputs
from jobsmith.processes.profile.analysis.options import AnalysisOptions

if TYPE_CHECKING:
    import duckdb

    from jobsmith.processes.profile.analysis import model

MEDIA_TYPES = ("text/csv", "text/tab-separated-values", "application/json", "application/x-ndjson",
               "application/vnd.apache.parquet", "application/vnd.ms-excel",
               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "application/vnd.oasis.opendocument.spreadsheet", "application/zip", "application/x-tar",
               "application/gzip")


WARM_UP = ("scipy.stats", "scipy.optimize", "statsmodels.tsa.seasonal", "jobsmith.processes.profile.report.plots",
           "jobsmith.processes.profile.report.html_report", "jobsmith.processes.profile.report.pdf_report")
"""Modules the analysis and the drawing need late (distribution fits, STL, plots and report), in the
order they are first needed: 2-3 s of imports on the project's 2 cores, which :func:`warm_up` moves
beside DuckDB's reading and scanning instead of before or between them."""


class ProfileOptions(AnalysisOptions):
    """The process's parameters: the analysis options, and how much memory DuckDB may hold."""

    memory_limit_mb: int = pydantic.Field(
        512, ge=128, le=1_048_576,
        description="DuckDB's memory limit; beyond it DuckDB spills to the job's scratch directory.")


@registry.process(
    "profile", title="Extended Dataset Profile",
    description="Profiles a dataset (delimited text, Excel, ODS, Parquet, JSON, NDJSON, or an archive of "
                "them; the format is recognised from the content) into an Extended Dataset Profile "
                "(edp.json, valid against the EDP schema 0.26.1), PNG plots under <dataset name>/, a "
                "report (report.html, report.pdf) and its data-quality alerts (alerts.json). The job's "
                "metadata is the user-provided EDP data.",
    version="1.0.0", parameters=ProfileOptions,
    inputs=[registry.FileInput("data", description="The dataset to profile.", media_types=MEDIA_TYPES)],
    outputs=(outputs.EDP, outputs.REPORT_PDF, outputs.REPORT_HTML, outputs.ALERTS, outputs.PLOTS),
    archives=[dataspace_archive.ARCHIVE], steps=["read", "analyse", "plots", "report"])
def profile(ctx: context.JobContext) -> None:
    """Run the analysis of the job's one input file and write the results to ``ctx.output_dir``."""
    options = ProfileOptions.model_validate(ctx.parameters.model_dump())
    (source_file,) = ctx.input_files
    run(source_file, ctx, options)


def run(source_file: pathlib.Path, ctx: context.JobContext, options: ProfileOptions,
        display_name: str | None = None) -> model.ProfileResult:
    """The whole profile of ``source_file``; shared by the worker and ``jobsmith profile``."""
    import duckdb

    from jobsmith.processes.profile import readers  # noqa: F401 - imported before the warm-up's thread starts
    from jobsmith.processes.profile.analysis import datasets  # noqa: F401 - (it imports none of them)

    ctx.work_dir.mkdir(parents=True, exist_ok=True)
    try:
        with warm_up():
            result = _analyse(source_file, ctx, options, display_name)
    except duckdb.OutOfMemoryException as error:
        raise context.JobFailed(
            f"the dataset needs more memory than the job's memory_limit_mb ({options.memory_limit_mb}) lets the "
            f"analysis use ({_first_line(error)}); run it again with a larger memory_limit_mb") from error
    ctx.check_cancelled()
    write_outputs(result, ctx)
    return result


@contextlib.contextmanager
def warm_up(modules: tuple[str, ...] = WARM_UP) -> Iterator[None]:
    """Import ``modules`` in a thread during the block; the block's end waits for it.

    DuckDB releases the GIL while it reads and scans, so the imports run beside it on the other
    core. The thread ends before the block does, so no thread is left when the plot pool forks.
    An import that fails here is left to fail where the module is used, with its own traceback.
    A job host that imported these already pays nothing: they are in ``sys.modules``.
    """

    def load() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - reported where the module is imported for use
                return

    thread = threading.Thread(target=load, name="jsm-warm-up", daemon=True)
    thread.start()
    try:
        yield
    finally:
        thread.join()


def _first_line(error: BaseException) -> str:
    """DuckDB's own words without its multi-line advice: ``could not allocate block of size ...``."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text.removeprefix("Out of Memory Error: ").rstrip(".")


def _analyse(source_file: pathlib.Path, ctx: context.JobContext, options: ProfileOptions,
             display_name: str | None) -> model.ProfileResult:
    """Read and analyse: every step that holds DuckDB's memory."""
    from jobsmith.processes.profile import readers
    from jobsmith.processes.profile.analysis import datasets, infer

    with concurrent.futures.ThreadPoolExecutor(1) as hasher, open_duckdb(ctx.work_dir, options) as con:
        digest = hasher.submit(files.sha256_of, source_file)  # hashlib releases the GIL: free while DuckDB reads
        with ctx.step("read") as step:
            sources = readers.read(source_file, con, display_name=display_name or source_file.name,
                                   work_dir=ctx.work_dir,
                                   sampling=infer.reader_sampling(options.inference_sample_rows, options.seed))
            step.message = describe_sources(sources)
            ctx.progress(0.1)  # the profile reports its own figures (finer than its steps) from here on
        ctx.check_cancelled()
        with ctx.step("analyse") as step:
            result = datasets.analyse(
                sources, con, file_name=display_name or source_file.name, file_size=source_file.stat().st_size,
                sha256=digest.result(), metadata=ctx.metadata or None, options=options,
                progress=lambda fraction: ctx.progress(0.1 + 0.6 * fraction), cancelled=ctx.cancelled)
            step.message = f"{len(result.plots)} plots to draw"
            for line in result.notes:
                ctx.log.info("note: %s", line)
            for line in result.warnings:
                ctx.log.warning("data quality: %s", line)
            for alert in result.alerts:
                ctx.log.warning("alert %s: %s: %s", alert.kind, alert.dataset, alert.message)
    return result


def write_outputs(result: model.ProfileResult, ctx: context.JobContext) -> None:
    """Plots first (the report embeds them), then the EDP, its alerts and both reports."""
    from jobsmith.processes.profile.report import html_report, pdf_report, plots

    with ctx.step("plots") as step:
        drawn = plots.render(result.plots, ctx.output_dir, workers=max(1, min(4, os.cpu_count() or 1)),
                             stop=ctx.cancelled)
        step.message = f"{len(drawn)} plots"
    ctx.progress(0.9)
    ctx.check_cancelled()
    with ctx.step("report"):
        (ctx.output_dir / outputs.EDP).write_text(json.dumps(result.edp, indent=2, ensure_ascii=False),
                                                  encoding="utf-8")
        (ctx.output_dir / outputs.ALERTS).write_text(
            json.dumps([alert.as_json() for alert in result.alerts], indent=2, ensure_ascii=False), encoding="utf-8")
        html_report.write_html(result, ctx.output_dir)
        pdf_report.write_pdf(result, ctx.output_dir)
    ctx.progress(1.0)


@contextlib.contextmanager
def open_duckdb(work_dir: pathlib.Path, options: ProfileOptions) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB bounded in memory and threads, spilling to the job's scratch directory.

    Extensions are never installed or loaded on demand: they would be downloaded, which air-gapped
    servers cannot do, and uploaded data must not make the service fetch code.
    """
    import duckdb

    spill = work_dir / "duckdb-spill"
    spill.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config={
        "memory_limit": f"{options.memory_limit_mb}MB", "threads": os.cpu_count() or 1,
        "temp_directory": str(spill), "autoinstall_known_extensions": False,
        "autoload_known_extensions": False, "preserve_insertion_order": True})
    try:
        yield con
    finally:
        con.close()


def describe_sources(sources: list[Any]) -> str:
    tables = [s for s in sources if hasattr(s, "row_count")]
    rows = sum(int(s.row_count) for s in tables)
    return f"{len(sources)} dataset(s), {len(tables)} table(s), {rows} row(s)"
