"""How the command line shows jobs: Rich tables and the live progress display.

Kept apart from ``cli.py`` so the commands read as what they do, and so rendering can be
tested on plain dicts without a server. Everything here takes a job view as the API returns it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any

from rich import box
from rich.console import Console, Group
from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text


JSON = dict[str, Any]
STATE_STYLES: Mapping[str, str] = MappingProxyType({
    "COMPLETED": "green", "FAILED": "red", "CANCELLED": "yellow", "DELETED": "dim",
    "CANCELLATION_REQUESTED": "yellow", "PROCESSING": "cyan", "QUEUED": "blue", "WAITING_FOR_DATA": "magenta"})
STEP_STYLES: Mapping[str, str] = MappingProxyType({
    "success": "green", "failure": "red", "warning": "yellow", "running": "cyan", "skip": "dim"})


def state_text(state: str, styles: Mapping[str, str] = STATE_STYLES) -> Text:
    """A state in its colour; ``Text`` so that no part of a server string is read as markup."""
    return Text(state, style=styles.get(state, ""))


def progress_text(progress: float | None) -> str:
    return "" if progress is None else f"{progress:.0%}"


def size_text(size: int) -> str:
    """Bytes in the largest unit that keeps the number readable (1024-based, as ``ls -h``)."""
    value, unit = float(size), "B"
    for bigger in ("KiB", "MiB", "GiB", "TiB"):
        if value < 1024:
            break
        value, unit = value / 1024, bigger
    return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"


def time_text(value: str | None) -> str:
    """``2024-05-01T10:00:00.123456Z`` as ``2024-05-01 10:00:00Z``: to the second is what a person reads."""
    if not value:
        return ""
    date, _, clock = value.partition("T")
    return f"{date} {clock.split('.')[0].rstrip('Z')}Z" if clock else value


def minute_text(value: str | None) -> str:
    """``2024-05-01 10:00`` (UTC): a job list fits 80 columns with its ids whole."""
    return time_text(value)[:16]


def clock_text(value: str | None) -> str:
    """Only the time of day, for steps: their job's date is in the summary above them."""
    return time_text(value).partition(" ")[2] or time_text(value)


def current_step(view: JSON) -> str:
    """The step being worked on: the running one, else the last one begun (steps come in order)."""
    steps: list[JSON] = view.get("steps") or []
    running = [s for s in steps if s.get("state") == "running"]
    chosen = running[-1] if running else (steps[-1] if steps else None)
    if chosen is None:
        return ""
    message = chosen.get("message")
    return f"{chosen['name']}: {message}" if message else str(chosen["name"])


def _summary(view: JSON) -> Table:
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("id", str(view.get("id")))
    table.add_row("process", f"{view.get('process')} {view.get('process_version') or ''}".strip())
    table.add_row("state", state_text(str(view.get("state"))))
    rows = [("detail", view.get("state_detail")), ("progress", progress_text(view.get("progress"))),
            ("target", view.get("target")), ("description", view.get("description")),
            ("labels", ", ".join(f"{k}={v}" for k, v in (view.get("labels") or {}).items())),
            ("priority", view.get("priority")),
            ("attempts", f"{view.get('attempts')} (max retries {view.get('max_retries')})"),
            ("created", time_text(view.get("created_at"))), ("started", time_text(view.get("started_at"))),
            ("finished", time_text(view.get("finished_at"))), ("expires", time_text(view.get("expires_at")))]
    for key, value in rows:
        if value not in (None, ""):
            table.add_row(key, Text(str(value)))
    return table


def _one_line(text: str) -> Text:
    """A cell that is cut with an ellipsis rather than wrapped when the terminal is narrow."""
    return Text(text, no_wrap=True, overflow="ellipsis")


def _table(title: str | None = None) -> Table:
    """The house table: a rule under the header and no side borders, so 80 columns go far."""
    return Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True, title=title,
                 title_justify="left", title_style="bold")


def _steps(steps: list[JSON]) -> Table:
    table = _table("steps")
    table.add_column("step", overflow="fold")
    table.add_column("state", no_wrap=True)
    table.add_column("started", no_wrap=True)
    table.add_column("ended", no_wrap=True)
    table.add_column("message", overflow="fold", ratio=1)
    for step in steps:
        table.add_row(Text(step["name"]), state_text(step["state"], STEP_STYLES), clock_text(step.get("started_at")),
                      clock_text(step.get("ended_at")), Text(step.get("message") or ""))
    return table


def _inputs(inputs: list[JSON]) -> Table:
    table = _table("inputs")
    table.add_column("input")
    table.add_column("file", overflow="fold", ratio=1)
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("sha256", no_wrap=True)
    for item in inputs:
        table.add_row(Text(item["input"]), Text(item["name"]), size_text(item["size"]), item["sha256"][:12])
    return table


def _results(results: list[JSON]) -> Table:
    table = _table("results")
    table.add_column("path", overflow="fold", ratio=1)
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("media type", no_wrap=True)
    for item in results:
        table.add_row(Text(item["path"]), size_text(item["size"]), item["media_type"])
    return table


def job_view(view: JSON) -> Group:
    """One job for ``jobsmith status``: a summary, then steps, inputs and results where there are any."""
    parts: list[Table] = [_summary(view)]
    if view.get("steps"):
        parts.append(_steps(view["steps"]))
    if view.get("inputs"):
        parts.append(_inputs(view["inputs"]))
    if view.get("results"):
        parts.append(_results(view["results"]))
    return Group(*parts)


def job_list(jobs: list[JSON]) -> Table:
    """A page of jobs for ``jobsmith jobs``, newest first; ids are never cut, they are meant to be copied."""
    table = _table()
    table.add_column("id", no_wrap=True, min_width=36)
    table.add_column("process", no_wrap=True)
    table.add_column("state", no_wrap=True)
    table.add_column("done", justify="right", no_wrap=True, min_width=4)
    with_target = any(job.get("target") for job in jobs)
    if with_target:
        table.add_column("target", overflow="fold")
    table.add_column(_one_line("created (UTC)"))  # the one to cut when a long state needs the room
    for job in jobs:
        cells: list[str | Text] = [job["id"], Text(str(job.get("process", ""))),
                                   state_text(str(job.get("state", ""))), progress_text(job.get("progress"))]
        if with_target:
            cells.append(Text(job.get("target") or ""))
        table.add_row(*cells, _one_line(minute_text(job.get("created_at"))))
    return table


def final_line(view: JSON) -> Text:
    """``COMPLETED`` or ``FAILED: <reason>``: what a person needs once a job is over."""
    line = state_text(view["state"])
    if view.get("state_detail"):
        line.append(f": {view['state_detail']}")
    return line


class LiveJob:
    """A live display of one job (state, current step, progress bar) fed with polled views.

    A running job without a known progress shows a pulsing bar rather than a misleading 0 %.
    """

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self._progress = progress
        self._task = task

    def update(self, view: JSON) -> None:
        from jobsmith import client  # here: `jobsmith profile` draws with this module and needs no HTTP client

        state = view["state"]
        fraction = 1.0 if state == "COMPLETED" else view.get("progress")
        total = 1.0 if fraction is not None or state in client.FINAL_STATES else None
        self._progress.update(self._task, total=total, completed=fraction or 0.0, state=state,
                              step=current_step(view))


@contextmanager
def live_job(console: Console) -> Iterator[LiveJob]:
    """The live display, drawn on ``console`` and left on screen when the block ends."""
    columns = (TextColumn("{task.fields[state]:<22}"), BarColumn(), TaskProgressColumn(),
               TimeElapsedColumn(), TextColumn("{task.fields[step]}", markup=False))
    with Progress(*columns, console=console, transient=False) as progress:
        yield LiveJob(progress, progress.add_task("job", total=None, state="", step=""))
