"""The ``jobsmith`` command: run the service, and talk to one from a terminal."""

from __future__ import annotations

import contextlib
import json
import pathlib
from collections.abc import Iterator
from typing import Annotated, Any

import httpx

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from jobsmith.client import Client, JobsmithClientError

app = typer.Typer(help="jobsmith: a job service for data work.", no_args_is_help=True, add_completion=False)
out = Console()
err = Console(stderr=True)

Url = Annotated[str, typer.Option("--url", envvar="JOBSMITH_URL", help="The service's base URL.")]
ApiKey = Annotated[str | None, typer.Option("--api-key", envvar="JOBSMITH_API_KEY", help="API key, if required.")]
DEFAULT_URL = "http://127.0.0.1:8000"


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    data_dir: Annotated[pathlib.Path | None, typer.Option(help="Database and files (default ./jobsmith-data).")] = None,
    workers: Annotated[int | None, typer.Option(help="Local worker processes (default: CPU cores).")] = None,
) -> None:
    """Start the service: API plus local workers, on the settings of the environment (JOBSMITH_*)."""
    from jobsmith.api import server
    from jobsmith.config import Settings

    given: dict[str, Any] = {"host": host, "port": port, "data_dir": data_dir, "workers": workers}
    # Settings(...) reads JOBSMITH_* first; only the flags given on the command line override it.
    build: Any = Settings
    server.run(build(**{k: v for k, v in given.items() if v is not None}))


@app.command()
def migrate() -> None:
    """Upgrade the schema of the database in JOBSMITH_DATABASE_URL to this version of jobsmith."""
    from jobsmith.config import Settings
    from jobsmith.store import migrate as migrations
    from jobsmith.store.database import Database

    settings = Settings()
    if settings.is_embedded_db:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = Database(settings.resolved_database_url)
    before = migrations.current(database.engine)
    migrations.upgrade(database.engine)
    out.print(f"database schema: {before or 'empty'} -> {migrations.current(database.engine)}")
    database.dispose()


def _parse_pairs(pairs: list[str], what: str, as_json: bool) -> dict[str, Any]:
    """``k=v`` pairs; with ``as_json`` a value that parses as JSON is taken as such (2, true, [1])."""
    parsed: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"{what} {pair!r} must be key=value")
        if as_json:
            try:
                parsed[key] = json.loads(value)
                continue
            except ValueError:
                pass
        parsed[key] = value
    return parsed


def parse_params(pairs: list[str]) -> dict[str, Any]:
    return _parse_pairs(pairs, "--param", as_json=True)


@contextlib.contextmanager
def _client(url: str, api_key: str | None) -> Iterator[Client]:
    """A client whose failures end the command with one red line and exit code 1, never a traceback."""
    try:
        with Client(url, api_key) as client:
            yield client
    except JobsmithClientError as error:
        detail = error.detail
    except httpx.HTTPError as error:
        detail = f"cannot reach {url}: {error}"
    except (OSError, ValueError) as error:
        detail = str(error)
    else:
        return
    err.print(f"[red]error:[/red] {detail}", markup=True, highlight=False)
    raise typer.Exit(1)


@app.command()
def submit(
    files: Annotated[list[pathlib.Path] | None, typer.Argument(exists=True, dir_okay=False, help="Input files.")] = None,
    process: Annotated[str, typer.Option("--process", "-p", help="The process to run.")] = "inspect",
    param: Annotated[list[str] | None, typer.Option("--param", help="Parameter key=value (JSON values).")] = None,
    label: Annotated[list[str] | None, typer.Option("--label", help="Label key=value.")] = None,
    priority: Annotated[int | None, typer.Option(help="-100 to 100, higher first.")] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Show progress until the job ends.")] = False,
    output: Annotated[pathlib.Path | None, typer.Option("--output", "-o", help="Download results here.")] = None,
    url: Url = DEFAULT_URL, api_key: ApiKey = None,
) -> None:
    """Create a job, upload its files, and optionally wait for it and download its results."""
    with _client(url, api_key) as client:
        job = client.create_job(process, parameters=parse_params(param or []),
                                labels=_parse_pairs(label or [], "--label", as_json=False) or None,
                                priority=priority)
        for path in files or []:
            job = client.upload(job["id"], path)
        if job["state"] == "WAITING_FOR_DATA":
            job = client.queue(job["id"])
        out.print(job["id"])
        if wait or output:
            job = _follow(client, job["id"])
        if output is not None and job["state"] == "COMPLETED":
            written = client.download_results(job["id"], output)
            out.print(f"{len(written)} result file(s) in {output}")
    if (wait or output) and job["state"] != "COMPLETED":
        raise typer.Exit(1)


def _follow(client: Client, job_id: str) -> dict[str, Any]:
    """Live display of state, current step and progress until the job is final."""
    columns = (TextColumn("{task.fields[state]:<22}"), BarColumn(), TaskProgressColumn(),
               TextColumn("{task.fields[step]}"), TimeElapsedColumn())
    with Progress(*columns, console=out, transient=False) as bar:
        task = bar.add_task("job", total=1.0, state="", step="")

        def update(view: dict[str, Any]) -> None:
            steps = view.get("steps") or []
            bar.update(task, completed=view.get("progress") or 0.0, state=view["state"],
                       step=steps[-1]["name"] if steps else "")

        final = client.wait(job_id, poll=0.25, on_update=update)
    colour = "green" if final["state"] == "COMPLETED" else "red"
    detail = f": {final['state_detail']}" if final.get("state_detail") else ""
    out.print(f"[{colour}]{final['state']}[/{colour}]{detail}")
    return final


@app.command()
def status(job_id: str, as_json: Annotated[bool, typer.Option("--json", help="Print the raw job view.")] = False,
           url: Url = DEFAULT_URL, api_key: ApiKey = None) -> None:
    """Show one job: state, progress, steps, inputs and results."""
    with _client(url, api_key) as client:
        view = client.job(job_id)
    if as_json:
        out.print_json(data=view)
        return
    table = Table(show_header=False, box=None)
    for key in ("id", "process", "state", "state_detail", "progress", "attempts", "created_at", "finished_at"):
        table.add_row(f"[bold]{key}[/bold]", str(view.get(key)))
    for step in view["steps"]:
        table.add_row("step", f"{step['name']}: {step['state']} {step.get('message') or ''}")
    for item in view["inputs"]:
        table.add_row("input", f"{item['name']} ({item['size']} bytes)")
    for item in view["results"]:
        table.add_row("result", f"{item['path']} ({item['size']} bytes, {item['media_type']})")
    out.print(table)


@app.command()
def jobs(state: Annotated[str | None, typer.Option(help="Comma list of states.")] = None,
         process: Annotated[str | None, typer.Option(help="Only this process.")] = None,
         limit: Annotated[int, typer.Option(help="How many, newest first.")] = 20,
         as_json: Annotated[bool, typer.Option("--json")] = False,
         url: Url = DEFAULT_URL, api_key: ApiKey = None) -> None:
    """List jobs, newest first."""
    with _client(url, api_key) as client:
        page = client.jobs(state=state, process=process, limit=limit)
    if as_json:
        out.print_json(data=page)
        return
    table = Table("id", "process", "state", "progress", "created")
    for job in page["results"]:
        progress = "" if job["progress"] is None else f"{job['progress']:.0%}"
        table.add_row(job["id"], job["process"], job["state"], progress, job["created_at"])
    out.print(table)


@app.command()
def cancel(job_id: str, url: Url = DEFAULT_URL, api_key: ApiKey = None) -> None:
    """Cancel a job (running work is stopped)."""
    with _client(url, api_key) as client:
        out.print(client.cancel(job_id)["state"])


@app.command()
def log(job_id: str, url: Url = DEFAULT_URL, api_key: ApiKey = None) -> None:
    """Print a job's log."""
    with _client(url, api_key) as client:
        out.print(client.log(job_id), end="", markup=False, highlight=False)


def main() -> None:
    app()
