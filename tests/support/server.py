"""A real ``jobsmith serve`` in a subprocess, started the way the README says."""

from __future__ import annotations

import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
from typing import IO

import httpx

ROOT = pathlib.Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def terminate(process: subprocess.Popen[bytes], log: IO[bytes] | None, timeout: float,
              whole_session: bool = False) -> int:
    """SIGTERM (a drain), then SIGKILL after ``timeout`` (to its whole session with
    ``whole_session``); closes its log. Returns the exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            if whole_session:
                os.killpg(process.pid, signal.SIGKILL)
            else:
                process.kill()
            process.wait(10)
    if log is not None:
        log.close()
    return process.returncode


class ServerProcess:
    """Start, kill -9, stop (SIGTERM) and restart a server on one data directory."""

    def __init__(self, data_dir: pathlib.Path, env: dict[str, str] | None = None, workers: int = 2) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.workers = workers
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "JOBSMITH_PROCESSES": "tests.support.processes",
                    **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir.parent / "server.log"
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jobsmith", "serve", "--port", str(self.port), "--data-dir", str(self.data_dir),
             "--workers", str(self.workers)],
            env=self.env, stdout=self._log, stderr=subprocess.STDOUT, cwd=ROOT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not become ready:\n{self.log()}")

    def kill9(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self, timeout: float = 60) -> int:
        assert self.process is not None
        return terminate(self.process, self._log, timeout)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
