"""The ``jobsmith`` command: run the service, and talk to one from a terminal.

Client commands go through :class:`jobsmith.client.Client`; anything the server or the network
refuses ends the command with one red ``error:`` line on stderr and exit code 1, never a
traceback. Output meant for scripts (job ids, ``--json``, logs) goes to stdout; the live
progress display goes to stderr so that ``ID=$(jobsmith submit ... --wait)`` still works.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import os
import pathlib
import signal
import zipfile
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import pydantic
import typer
from rich.console import Console
from rich.text import Text

from jobsmith.cli import render


class _OnFirstUse:
    """A module imported when one of its names is first looked up.

    The client commands need httpx and the settings need pydantic-settings (~0.3 s of imports
    together); ``jobsmith profile`` needs neither, and a person waits for every import it makes.
    """

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(importlib.import_module(self._name), attribute)


if TYPE_CHECKING:
    import httpx

    from jobsmith import client, config
else:
    httpx = _OnFirstUse("httpx")
    client = _OnFirstUse("jobsmith.client")
    config = _OnFirstUse("jobsmith.config")
DEFAULT_URL = "http://127.0.0.1:8000"
"""``client.DEFAULT_URL``, spelled out here so that declaring the commands imports no HTTP client."""

app = typer.Typer(help="jobsmith: a job service for data work.", no_args_is_help=True, add_completion=False)

Url = Annotated[str, typer.Option("--url", envvar="JOBSMITH_URL", help="The service's base URL.")]
ApiKey = Annotated[str | None, typer.Option("--api-key", envvar="JOBSMITH_API_KEY", show_default=False,
                                            help="API key, when the service requires one.")]
JSON = dict[str, Any]
POLL_S = 0.5
EXIT_INTERRUPTED = 130


def _stdout() -> Console:
    return Console(highlight=False)


def _stderr() -> Console:
    return Console(stderr=True, highlight=False)


def _fail(detail: str, code: int = 1) -> NoReturn:
    """One red line on stderr; server text is never read as Rich markup."""
    _stderr().print(Text(f"error: {detail}", style="red"), soft_wrap=True)
    raise typer.Exit(code)


@contextlib.contextmanager
def _reported(url: str) -> Iterator[None]:
    """Turn every failure a user can cause or meet (server refusal, network, files) into :func:`_fail`."""
    try:
        yield
    except client.JobsmithClientError as error:
        _fail(error.detail)
    except (httpx.TransportError, httpx.InvalidURL) as error:
        _fail(f"cannot reach {url}: {error}")
    except json.JSONDecodeError:
        _fail(f"the answer from {url} is not JSON: is it a jobsmith server?")
    except (client.UnsafeArchiveError, zipfile.BadZipFile) as error:
        _fail(f"the results archive cannot be extracted: {error}")
    except (OSError, httpx.HTTPError) as error:
        _fail(str(error))


# -- argument parsing ---------------------------------------------------------------------------
def _no_constants(name: str) -> Any:
    """``NaN`` and ``Infinity`` are not JSON a server accepts; such a value stays a string."""
    raise ValueError(name)


def _parse_pairs(pairs: list[str], option: str, as_json: bool) -> dict[str, Any]:
    """``k=v`` pairs; with ``as_json`` a value that parses as JSON is taken as such (2, true, [1])."""
    parsed: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"{pair!r} must be key=value", param_hint=f"'{option}'")
        parsed[key] = _json_or_text(value) if as_json else value
    return parsed


def _json_or_text(value: str) -> Any:
    try:
        return json.loads(value, parse_constant=_no_constants)
    except ValueError:
        return value


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """``--param`` values: ``seconds=2`` is a number, ``cpu=true`` a bool, ``name=abc`` a string."""
    return _parse_pairs(pairs, "--param", as_json=True)


def parse_labels(pairs: list[str]) -> dict[str, str]:
    """``--label`` values are always strings, as the API's labels are."""
    return _parse_pairs(pairs, "--label", as_json=False)


# -- the service --------------------------------------------------------------------------------
def build_settings(**flags: Any) -> config.Settings:
    """``JOBSMITH_*`` from the environment, overridden only by the flags given (those not ``None``).

    Checked here, API keys included, so a bad value is one line and exit code 2 rather than a
    traceback from deep inside the server's start.
    """
    overrides = {name: value for name, value in flags.items() if value is not None}
    try:
        settings = config.Settings(**overrides)
        settings.parsed_api_keys()
        return settings
    except pydantic.ValidationError as error:
        _fail("invalid settings: " + "; ".join(_setting_problem(e) for e in error.errors()), code=2)
    except ValueError as error:
        _fail(str(error), code=2)


def _setting_problem(error: Any) -> str:
    name = ".".join(str(part) for part in error.get("loc", ()))
    return f"JOBSMITH_{name.upper()}: {error.get('msg')}" if name else str(error.get("msg"))


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on [default: 127.0.0.1].",
                                             show_default=False)] = None,
    port: Annotated[int | None, typer.Option(help="Port [default: 8000].", show_default=False)] = None,
    data_dir: Annotated[pathlib.Path | None, typer.Option(help="Database and files [default: ./jobsmith-data].",
                                                          show_default=False)] = None,
    workers: Annotated[int | None, typer.Option(help="Local worker processes [default: CPU cores].",
                                                show_default=False)] = None,
) -> None:
    """Start the service (API and local workers) on the settings of the environment (JOBSMITH_*)."""
    settings = build_settings(host=host, port=port, data_dir=data_dir, workers=workers)
    from jobsmith.cli import serve as serving  # the server's dependencies load only for this command

    serving.run(settings)


@app.command()
def worker(
    concurrency: Annotated[int | None, typer.Option(min=1, max=256, show_default=False,
                                                    help="Jobs run at once: pool processes (default: CPU cores).")] = None,
    process: Annotated[list[str] | None, typer.Option(
        "--process", show_default=False, help="Run only jobs of this process (repeatable; default: every one).")] = None,
    queue: Annotated[list[str] | None, typer.Option(
        "--queue", show_default=False,
        help="Take wake-ups from this Celery queue (repeatable; default: the queues of its processes).")] = None,
    http: Annotated[str | None, typer.Option(
        "--http", show_default=False, help="Run jobs of the server at this URL over the worker protocol "
                                           "(no database, broker or shared directory needed).")] = None,
    token: Annotated[str | None, typer.Option(
        "--token", envvar="JOBSMITH_WORKER_TOKEN", show_default=False,
        help="This worker's token (with --http; or JOBSMITH_WORKER_TOKEN).")] = None,
) -> None:
    """Run jobs: in cluster mode, Celery worker processes fed through JOBSMITH_BROKER_URL (any machine); with
    --http, jobs claimed from a server over the worker protocol, one at a time."""
    if http is not None:
        _remote_worker(http, token, process or [])
        return
    settings = build_settings()
    try:
        settings.parsed_queues()
    except ValueError as error:
        _fail(str(error), code=2)
    from jobsmith.execution import celery_worker  # Celery loads only for this command

    code = celery_worker.run(settings, concurrency or max(1, os.cpu_count() or 1), process or [], queue or [])
    raise typer.Exit(code)


def _remote_worker(url: str, token: str | None, processes: list[str]) -> None:
    if not token:
        _fail("--http needs --token (or JOBSMITH_WORKER_TOKEN): the worker token the server knows", code=2)
    from jobsmith import worker as remote
    from jobsmith.processes import registry

    settings = build_settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        runner = remote.RemoteWorker(url, token or "", processes=processes,
                                     processes_registry=registry.load(settings.processes))
    except Exception as problem:  # noqa: BLE001 - an unknown process, say: a sentence, not a traceback
        _fail(str(getattr(problem, "detail", problem)), code=2)
    signal.signal(signal.SIGTERM, lambda *_: runner.stopping.set())
    try:
        runner.serve()
    except KeyboardInterrupt:
        pass
    finally:
        runner.close()


@app.command()
def migrate() -> None:
    """Upgrade the schema of the database in JOBSMITH_DATABASE_URL to this version of jobsmith."""
    from jobsmith import runtime
    from jobsmith.store import migrate as migrations

    database = runtime.open_database(build_settings())
    try:
        before = migrations.current(database.engine)
        migrations.upgrade(database.engine)
        _stdout().print(f"database schema: {before or 'empty'} -> {migrations.current(database.engine)}")
    finally:
        database.dispose()


# -- client commands ----------------------------------------------------------------------------
@app.command()
def submit(
    process: Annotated[str, typer.Option("--process", "-p", help="The process to run.")],
    files: Annotated[list[pathlib.Path] | None, typer.Argument(
        exists=True, dir_okay=False, readable=True, show_default=False,
        help="Input files, uploaded in order (none for a process that takes no files).")] = None,
    param: Annotated[list[str] | None, typer.Option(
        "--param", show_default=False, help="Parameter key=value; the value is JSON when it parses.")] = None,
    label: Annotated[list[str] | None, typer.Option("--label", show_default=False, help="Label key=value.")] = None,
    priority: Annotated[int | None, typer.Option(min=-100, max=100, show_default=False,
                                                 help="-100 to 100, higher runs first.")] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Show progress until the job ends.")] = False,
    output: Annotated[pathlib.Path | None, typer.Option("--output", "-o", file_okay=False, show_default=False,
                                                        help="Wait, then extract the results here.")] = None,
    url: Url = DEFAULT_URL,
    api_key: ApiKey = None,
) -> None:
    """Create a job, upload its files and print its id; optionally wait for it and fetch its results.

    With --wait or --output the exit code is 0 only when the job COMPLETED.
    """
    parameters, labels = parse_params(param or []), parse_labels(label or [])
    with _reported(url), client.Client(url, api_key) as api:
        job = api.create_job(process, parameters=parameters or None, labels=labels or None, priority=priority)
        _stdout().print(job["id"])
        job = _feed(api, job, files or [])
        if not (wait or output):
            return
        job = _follow(api, job["id"])
        if output is not None and job["state"] == "COMPLETED":
            written = api.download_results(job["id"], output)
            _stdout().print(f"{len(written)} result file(s) in {output}", soft_wrap=True)
    if job["state"] != "COMPLETED":
        raise typer.Exit(1)


def _feed(api: client.Client, job: JSON, files: list[pathlib.Path]) -> JSON:
    """Upload every file, then queue the job if the last upload did not already.

    A failure or Ctrl-C here cancels the half-fed job (best effort), so that it does not sit
    waiting for data that will never come.
    """
    if files and job["state"] != "WAITING_FOR_DATA":
        _cancel_quietly(api, job["id"])
        _fail(f"process {job['process']} requires no file, so the server queued the job at once and the "
              "files given cannot be uploaded")
    try:
        for path in files:
            job = api.upload(job["id"], path)
        if job["state"] == "WAITING_FOR_DATA":
            job = api.queue(job["id"])
    except BaseException:
        _cancel_quietly(api, job["id"])
        raise
    return job


def _cancel_quietly(api: client.Client, job_id: str) -> None:
    """Best effort: the error that led here is the one to report, not a failure to cancel."""
    with contextlib.suppress(client.JobsmithClientError, httpx.HTTPError):
        state = api.cancel(job_id)["state"]
        _stderr().print(f"job {job_id} left unfinished: {state}", style="dim", soft_wrap=True)


def _follow(api: client.Client, job_id: str) -> JSON:
    """Live display until the job is final, then its final state and detail on stdout.

    Ctrl-C stops watching, not the job: it keeps running on the server.
    """
    try:
        with render.live_job(_stderr()) as live:
            final = api.wait(job_id, poll=POLL_S, on_update=live.update)
    except KeyboardInterrupt:
        _stderr().print(f"stopped watching; job {job_id} goes on (jobsmith status {job_id})", soft_wrap=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    _stdout().print(render.final_line(final), soft_wrap=True)
    return final


def _print_json(data: Any) -> None:
    """Plain indented JSON, without colour or wrapping, so that ``jq`` can read it."""
    typer.echo(json.dumps(data, indent=2))


@app.command()
def status(job_id: Annotated[str, typer.Argument(help="The job's id.")],
           as_json: Annotated[bool, typer.Option("--json", help="Print the raw job view.")] = False,
           url: Url = DEFAULT_URL, api_key: ApiKey = None) -> None:
    """Show one job: state, detail, progress, steps, inputs and results."""
    with _reported(url), client.Client(url, api_key) as api:
        view = api.job(job_id)
    if as_json:
        _print_json(view)
    else:
        _stdout().print(render.job_view(view))


@app.command()
def jobs(state: Annotated[str | None, typer.Option(help="Comma list of states.", show_default=False)] = None,
         process: Annotated[str | None, typer.Option(help="Only this process.", show_default=False)] = None,
         limit: Annotated[int, typer.Option(min=1, max=1000, help="How many, newest first.")] = 20,
         as_json: Annotated[bool, typer.Option("--json", help="Print the raw page.")] = False,
         url: Url = DEFAULT_URL, api_key: ApiKey = None) -> None:
    """List jobs, newest first."""
    with _reported(url), client.Client(url, api_key) as api:
        page = api.jobs(state=state, process=process, limit=limit)
    if as_json:
        _print_json(page)
    elif not page["results"]:
        _stdout().print("no jobs", style="dim")
    else:
        _stdout().print(render.job_list(page["results"]))


@app.command()
def cancel(job_id: Annotated[str, typer.Argument(help="The job's id.")],
           url: Url = DEFAULT_URL, api_key: ApiKey = None) -> None:
    """Cancel a job; running work is stopped, not just flagged."""
    with _reported(url), client.Client(url, api_key) as api:
        view = api.cancel(job_id)
    _stdout().print(render.final_line(view), soft_wrap=True)


@app.command()
def log(job_id: Annotated[str, typer.Argument(help="The job's id.")],
        url: Url = DEFAULT_URL, api_key: ApiKey = None) -> None:
    """Print a job's log so far."""
    with _reported(url), client.Client(url, api_key) as api:
        text = api.log(job_id)
    typer.echo(text, nl=bool(text) and not text.endswith("\n"))


@app.command()
def profile(
    file: Annotated[pathlib.Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                                 help="The dataset (CSV, Excel, ODS, Parquet, JSON, an archive).")],
    output: Annotated[pathlib.Path | None, typer.Option(
        "--output", "-o", file_okay=False, show_default=False,
        help="Where to write edp.json, alerts.json, the reports and plots [default: <file>-profile].")] = None,
    metadata: Annotated[pathlib.Path | None, typer.Option(
        exists=True, dir_okay=False, show_default=False,
        help="User-provided EDP data (JSON): name, assetRefs, description, publisher ...")] = None,
    param: Annotated[list[str] | None, typer.Option(
        "--param", show_default=False, help="Analysis parameter key=value (see GET /v1/processes/profile).")] = None,
) -> None:
    """Profile a dataset locally, no server: the same Extended Dataset Profile, plots and reports as a job."""
    from jobsmith.cli import local_profile

    target = output or file.with_name(f"{file.stem}-profile")
    try:
        user_data = json.loads(metadata.read_text(encoding="utf-8")) if metadata else {}
        result = local_profile.run(file, target, user_data, parse_params(param or []), _stderr())
    except (ValueError, OSError) as error:  # unreadable data, bad metadata or parameters: one line
        _fail(str(error))
    for warning in result.warnings:
        _stderr().print(Text(f"warning: {warning}", style="yellow"), soft_wrap=True)
    for alert in result.alerts:
        _stderr().print(Text(f"alert ({alert.kind}): {alert.dataset}: {alert.message}", style="yellow"), soft_wrap=True)
    _stdout().print(f"profile written to {target} (edp.json, alerts.json, report.pdf, report.html, plots)",
                    soft_wrap=True)


def main() -> None:
    app()
