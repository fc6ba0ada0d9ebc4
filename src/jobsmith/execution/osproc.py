"""Operating-system plumbing for supervised processes: groups, parent-death signals, memory."""

from __future__ import annotations

import ctypes
import os
import pathlib
import signal
import sys
from collections.abc import Callable

import psutil

_PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGKILL) -> None:
    """Ask Linux to send ``sig`` to this process when its parent dies (a crash, a kill -9).

    Without it a worker orphaned by a killed server would go on running jobs nobody supervises.
    Elsewhere this is a no-op; :func:`parent_alive` polling covers those systems.
    """
    if not sys.platform.startswith("linux"):
        return
    # The running program's own symbols include libc's prctl; find_library would spawn ldconfig.
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)


def parent_alive(expected_parent: int) -> bool:
    return os.getppid() == expected_parent


def signal_group(pgid: int, sig: int) -> None:
    """Send ``sig`` to a whole process group; a group that is already gone is fine."""
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def child_pids(pid: int) -> list[int]:
    """Direct children of ``pid``, from /proc without scanning every process (Linux), else psutil."""
    task_dir = pathlib.Path(f"/proc/{pid}/task")
    try:
        return [int(c) for task in task_dir.iterdir() for c in (task / "children").read_text().split()]
    except OSError:
        pass  # no such process any more, or a kernel without /proc/<pid>/task/<tid>/children
    try:
        return [c.pid for c in psutil.Process(pid).children()]
    except psutil.Error:
        return []


def tree_total(pid: int, measure: Callable[[psutil.Process], float]) -> float:
    """``measure`` summed over a process and all its descendants (0 once it is gone); a member that
    ends meanwhile counts nothing."""
    try:
        root = psutil.Process(pid)
        members = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0.0
    for member in members:
        try:
            total += measure(member)
        except psutil.Error:
            continue
    return total


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (0 once it is gone)."""
    return int(tree_total(pid, lambda member: member.memory_info().rss))


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) of a process and all its descendants, reaped children included."""

    def spent(member: psutil.Process) -> float:
        t = member.cpu_times()
        return float(t.user + t.system + t.children_user + t.children_system)

    return tree_total(pid, spent)


def pid_alive(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


def describe_exit(exitcode: int | None) -> str:
    if exitcode is None:
        return "is still running"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hint = " (the system may have run out of memory)" if -exitcode == signal.SIGKILL else ""
        return f"was killed by {name}{hint}"
    return f"exited with code {exitcode}"
