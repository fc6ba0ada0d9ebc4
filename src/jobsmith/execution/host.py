"""The worker's handle on its job host (see :mod:`jobsmith.execution.child`): fork, reuse, retire."""

from __future__ import annotations

import multiprocessing
import os
import signal
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from jobsmith.execution import child, messages, osproc
from jobsmith.processes import registry

_FORK = multiprocessing.get_context("fork")
MAX_JOBS = 500


class JobHost:
    """At most one live host per worker; forked on demand."""

    def __init__(self, processes: registry.Registry) -> None:
        self._processes = processes
        self.process: BaseProcess | None = None
        self.pipe: Connection | None = None
        self.jobs = 0

    @property
    def pid(self) -> int:
        assert self.process is not None and self.process.pid is not None
        return self.process.pid

    def start(self, spec: messages.ChildSpec) -> None:
        """Hand ``spec`` to a live host, forking one first if needed."""
        if self.process is None or not self.process.is_alive() or self.jobs >= MAX_JOBS:
            self.retire()
            self._fork()
        assert self.pipe is not None
        self.jobs += 1
        self.pipe.send(spec)

    def _fork(self) -> None:
        parent_end, child_end = _FORK.Pipe(duplex=True)
        process = _FORK.Process(target=child.serve, args=(self._processes, child_end), daemon=False,
                                name="jobsmith-job")
        process.start()
        child_end.close()
        try:
            os.setpgid(process.pid or 0, process.pid or 0)
        except (PermissionError, ProcessLookupError):
            pass  # the child did it first, or already left
        self.process, self.pipe, self.jobs = process, parent_end, 0

    def alive(self) -> bool:
        return self.process is not None and self.process.is_alive()

    def left_processes_behind(self) -> bool:
        """Whether a finished job left processes running in the host's group."""
        return bool(osproc.child_pids(self.pid))

    def signal(self, sig: int) -> None:
        if self.process is not None and self.process.pid is not None:
            osproc.signal_group(self.process.pid, sig)

    def retire(self) -> None:
        """Kill the host's whole process group (anything a job started included) and reap it."""
        if self.process is None:
            return
        self.signal(signal.SIGKILL)
        self.process.join(5)
        if self.pipe is not None:
            self.pipe.close()
        self.process, self.pipe = None, None

    def exitcode(self, wait: float = 0.0) -> int | None:
        """The host's exit status, waiting up to ``wait`` seconds for it to be reaped."""
        if self.process is None:
            return None
        if wait:
            self.process.join(wait)
        return self.process.exitcode
