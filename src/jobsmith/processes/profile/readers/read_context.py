"""What every reader gets: the DuckDB connection, a scratch directory, limits, and fresh names.

One context serves one :func:`jobsmith.processes.profile.readers.read` call; archive members are
read with :meth:`Context.nested`, which shares the names, the scratch counter and the unpacked
totals (so nothing collides and the limits hold across nesting) but counts one more level.
"""

from __future__ import annotations

import dataclasses
import itertools
import pathlib

import duckdb

from jobsmith import safe_archive
from jobsmith.processes.profile.readers import duck, sources


Unpacked = safe_archive.Tally
"""Files and bytes unpacked so far from all archives of one read, nested ones included."""


@dataclasses.dataclass
class Context:
    con: duckdb.DuckDBPyConnection
    work_dir: pathlib.Path
    limits: sources.ArchiveLimits
    tables: duck.TableNames
    depth: int = 0
    sampling: sources.Sampling | None = None  # drawn by readers that parse the whole file anyway
    unpacked: Unpacked = dataclasses.field(default_factory=Unpacked)
    _files: itertools.count[int] = dataclasses.field(default_factory=itertools.count)

    def scratch(self, suffix: str) -> pathlib.Path:
        """A path in the work directory that no file or directory holds yet."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        while True:
            path = self.work_dir / f"read-{next(self._files)}{suffix}"
            if not path.exists():
                return path

    def nested(self) -> Context:
        return dataclasses.replace(self, depth=self.depth + 1)
