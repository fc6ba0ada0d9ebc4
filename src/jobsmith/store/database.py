"""The database handle shared by the repositories: the engine and its transactions."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy import exc

from jobsmith.domain import errors
from jobsmith.store import db


class Database:
    """Owns the engine; hands out transactions."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = db.create_engine(url)
        # SQLite has one writer at a time and its busy handler waits by sleeping (1, 2, 5 ... 100 ms);
        # threads of one process queue on a lock instead and go on the moment it is free.
        self._writers: contextlib.AbstractContextManager[object] = (
            threading.Lock() if self.dialect == "sqlite" else contextlib.nullcontext())
        # Reads need no transaction: on a server database one would cost a BEGIN and a ROLLBACK, two
        # round trips around a single SELECT. SQLite starts none for a SELECT anyway.
        self._reader = self.engine if self.dialect == "sqlite" else self.engine.execution_options(
            isolation_level="AUTOCOMMIT")

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextlib.contextmanager
    def begin(self) -> Iterator[sa.Connection]:
        """One transaction on a Core connection: committed on success, rolled back on error.

        A lost or refused connection becomes :class:`errors.Unavailable` (503 with Retry-After),
        never a 500.
        """
        with self._translated(), self._writers, self.engine.begin() as connection:
            yield connection

    @contextlib.contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A connection for reads only: no writer lock (SQLite readers never wait in WAL mode), the
        same translation of a database that is down into a 503."""
        with self._translated(), self._reader.connect() as connection:
            yield connection

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except exc.DataError as error:
            raise errors.Invalid("a value in the request cannot be stored (for example a NUL character)",
                                 code="unstorable_value") from error
        except (exc.OperationalError, exc.InterfaceError) as error:
            if isinstance(error, exc.OperationalError) and "locked" in str(error.orig):
                raise errors.Unavailable("the database is busy; try again shortly") from error
            raise errors.Unavailable("the database is not reachable; try again shortly") from error

    def ping(self) -> None:
        with self.begin() as connection:
            connection.execute(sa.text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
