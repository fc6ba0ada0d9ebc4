"""Counts SQL statements and their time in every process of a profiled jobsmith server.

Loaded through ``PYTHONPATH`` by ``bench/profile_server.py`` only (never installed): when
``BENCH_SQLCOUNT_DIR`` is set, every SQLAlchemy engine in the process reports each statement (with
the time spent in the driver) and each commit, and SIGUSR1 writes the running totals to
``<dir>/<pid>.json``. Forked children (job hosts) inherit the hook but never write.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections import Counter
from typing import Any

_DIR = os.environ.get("BENCH_SQLCOUNT_DIR")


def _install(directory: str) -> None:
    try:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine
    except ImportError:
        return
    owner = os.getpid()
    counts: Counter[str] = Counter()
    seconds: Counter[str] = Counter()

    def before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        key = " ".join(statement.split())
        counts[key] += 1
        seconds[key] += time.perf_counter() - conn.info.pop("bench_started", time.perf_counter())

    def commit(conn: Any) -> None:
        counts["<COMMIT>"] += 1

    def dump(*_: object) -> None:
        if os.getpid() != owner:
            return
        path = os.path.join(directory, f"{owner}.json")
        with open(path + ".tmp", "w") as out:
            json.dump({"pid": owner, "argv": sys.argv, "counts": counts, "seconds": seconds}, out)
        os.replace(path + ".tmp", path)

    event.listen(Engine, "before_cursor_execute", before)
    event.listen(Engine, "after_cursor_execute", after)
    event.listen(Engine, "commit", commit)
    signal.signal(signal.SIGUSR1, dump)


if _DIR:
    _install(_DIR)
