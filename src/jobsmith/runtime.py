"""Opening what a role of jobsmith needs: the database (with its one schema check), the blob store
and the process registry.

Every entry point (the API, a local worker process, a Celery worker and its pool processes) goes
through :func:`open_runtime`, so they agree on which schema they accept and on what happens when it
is not theirs: the embedded SQLite database is migrated by the roles that own it (the API, a Celery
worker), and an external database must be at exactly this jobsmith's revision; older or newer is
refused with a sentence saying what to run. ``jobsmith migrate`` alone opens the database without
the check (:func:`open_database`): making it current is its job.
"""

from __future__ import annotations

import dataclasses
import enum

from alembic.script import ScriptDirectory
from alembic.util import CommandError

from jobsmith.config import Settings
from jobsmith.processes import registry
from jobsmith.store import blobs, migrate
from jobsmith.store.database import Database


class Role(enum.StrEnum):
    """Who is opening the runtime; it decides whether the embedded schema may be migrated here."""

    API = "api"
    LOCAL_WORKER = "local worker"
    CELERY_WORKER = "celery worker"

    @property
    def migrates_embedded(self) -> bool:
        """A local worker is spawned by a server that migrated the same file a moment before."""
        return self is not Role.LOCAL_WORKER


class SchemaMismatch(Exception):
    """The database's schema is not this jobsmith's; the message says what to run or install."""


@dataclasses.dataclass
class Runtime:
    """What a role works with, opened once and passed down. :meth:`close` releases the database."""

    settings: Settings
    database: Database
    blobs: blobs.BlobStore
    processes: registry.Registry

    def forked(self) -> Runtime:
        """The same runtime for a process forked from this one: a database handle of its own (a
        connection is never shared across a fork), no second schema check."""
        self.database.engine.dispose(close=False)  # the parent's connections: left to the parent
        return dataclasses.replace(self, database=Database(self.settings.resolved_database_url))

    def close(self) -> None:
        self.database.dispose()


def open_runtime(settings: Settings, role: Role, *, processes: registry.Registry | None = None) -> Runtime:
    """Open the database (checked by :func:`check_schema`), the blob store and the registry.

    ``processes`` reuses a registry already loaded (a pool process inherits its parent's). Raises
    :class:`SchemaMismatch` with nothing left open.
    """
    database = open_database(settings)
    try:
        check_schema(database, settings, role)
    except BaseException:
        database.dispose()
        raise
    return Runtime(settings=settings, database=database, blobs=blobs.BlobStore(settings.resolved_storage),
                   processes=processes if processes is not None else registry.load(settings.processes))


def ensure_schema(settings: Settings, role: Role) -> None:
    """Only the schema check, before a role starts (so that a refusal is a sentence, not a traceback
    from deep inside a server's start). Raises :class:`SchemaMismatch`."""
    database = open_database(settings)
    try:
        check_schema(database, settings, role)
    finally:
        database.dispose()


def open_database(settings: Settings) -> Database:
    """The database handle alone, without any check (``jobsmith migrate`` is what makes it current)."""
    if settings.is_embedded_db:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Database(settings.resolved_database_url)


def check_schema(database: Database, settings: Settings, role: Role) -> None:
    """The one schema check: migrate the embedded database where ``role`` owns it, else insist on
    this jobsmith's revision. Raises :class:`SchemaMismatch`."""
    if settings.is_embedded_db and role.migrates_embedded:
        migrate.upgrade(database.engine)
        return
    found, wanted = migrate.current(database.engine), migrate.head()
    if found == wanted:
        return
    if found is not None and not _known_revision(found):
        raise SchemaMismatch(
            f"the database schema is at {found}, newer than this jobsmith knows ({wanted}): install on this "
            "machine the jobsmith version the database was migrated with")
    raise SchemaMismatch(
        f"the database schema is at {found or 'nothing'}, this jobsmith needs {wanted}: run 'jobsmith migrate' "
        "with the same JOBSMITH_DATABASE_URL")


def _known_revision(revision: str) -> bool:
    try:
        return ScriptDirectory(str(migrate.MIGRATIONS)).get_revision(revision) is not None
    except CommandError:
        return False
