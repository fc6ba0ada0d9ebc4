"""The database handle shared by the repositories: the engine and its transactions."""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import weakref
from collections.abc import Iterator
from types import TracebackType

import sqlalchemy as sa
from sqlalchemy import exc

from jobsmith.domain import errors
from jobsmith.store import dialects


class IntegrityConflict(errors.Conflict):
    """A write broke a constraint of the schema (a unique key, a check): a conflict with stored data."""


class Database:
    """Owns the engine; hands out transactions."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = dialects.create_engine(url)
        self._writers: contextlib.AbstractContextManager[object] = (
            WriterLock(self.engine.url.database) if self.dialect == "sqlite" else contextlib.nullcontext())
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

        A lost or refused connection becomes :class:`errors.Unavailable` (503 with Retry-After), a
        broken constraint :class:`IntegrityConflict` (409); never a 500.
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
        except exc.IntegrityError as error:
            # A request that slipped past validation but breaks a rule of the schema: the client's doing.
            raise IntegrityConflict("the request conflicts with a rule of the stored data",
                                    code="integrity_conflict") from error
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
        if isinstance(self._writers, WriterLock):
            self._writers.close()


class WriterLock:
    """One SQLite writer at a time, queued in the kernel rather than in SQLite's busy handler.

    SQLite lets one connection write at a time; a connection that finds the database locked sleeps
    and tries again (1, 2, 5, 10 ... 100 ms). With the API and every worker process writing a few
    short transactions per job, those sleeps left the lock free while its next taker still slept, and
    throughput stopped growing with either cores or clients. Writers here wait on a lock instead and
    go on the moment it is released: a thread lock between the threads of a process, and ``flock`` on
    a file beside the database between processes. SQLite's own locking stays as it is (other programs
    writing the file still wait in its busy handler); this only puts jobsmith's writers in a queue.
    A database without a file (``:memory:``) needs only the thread lock.
    """

    def __init__(self, database: str | None) -> None:
        self._path = f"{database}-writer.lock" if database and database != ":memory:" else None
        self._threads = threading.Lock()
        self._fd: int | None = None
        _LOCKS.add(self)

    def _after_fork(self) -> None:
        """A forked child starts afresh. Its copy of the thread lock may be held by a thread that does
        not exist in it; its copy of the lock file shares the parent's ``flock`` (were the parent to die
        holding it, the child would keep it held), so it is closed, which leaves the parent's alone."""
        if self._fd is not None:
            os.close(self._fd)
        self._threads, self._fd = threading.Lock(), None

    def __enter__(self) -> None:
        self._threads.acquire()
        try:
            if self._path is not None:
                if self._fd is None:
                    self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
                fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def close(self) -> None:
        with self._threads:
            if self._fd is not None:
                os.close(self._fd)
            self._fd = None


_LOCKS: weakref.WeakSet[WriterLock] = weakref.WeakSet()


def _reset_locks_in_child() -> None:
    for lock in list(_LOCKS):
        lock._after_fork()


os.register_at_fork(after_in_child=_reset_locks_in_child)
