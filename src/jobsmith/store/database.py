"""The database handle shared by the repositories: engine plus session factory."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy import exc, orm

from jobsmith.domain import errors
from jobsmith.store import db


class Database:
    """Owns the engine. Sessions never expire loaded objects on commit: views are built after."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = db.create_engine(url)
        self._sessions = orm.sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextlib.contextmanager
    def session(self) -> Iterator[orm.Session]:
        """One transaction: committed on success, rolled back on error.

        A lost or refused connection becomes :class:`errors.Unavailable` (503 with Retry-After),
        never a 500.
        """
        try:
            with self._sessions() as session, session.begin():
                yield session
        except exc.DataError as error:
            raise errors.Invalid("a value in the request cannot be stored (for example a NUL character)",
                                 code="unstorable_value") from error
        except (exc.OperationalError, exc.InterfaceError) as error:
            if isinstance(error, exc.OperationalError) and "locked" in str(error.orig):
                raise errors.Unavailable("the database is busy; try again shortly") from error
            raise errors.Unavailable("the database is not reachable; try again shortly") from error

    def ping(self) -> None:
        with self.session() as session:
            session.execute(sa.text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
