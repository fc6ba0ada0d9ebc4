"""Schema migrations: applied on start for the embedded database, explicitly for an external one.

The migrations live in ``store/migrations`` and are run through Alembic's API with a connection we
open, so no ``alembic.ini`` is needed next to the installed package.
"""

from __future__ import annotations

import pathlib

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS = pathlib.Path(__file__).parent / "migrations"


def _config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest revision this code knows."""
    revision = ScriptDirectory.from_config(_config()).get_current_head()
    assert revision is not None
    return revision


def current(engine: sa.Engine) -> str | None:
    """The revision the database is at; None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    with engine.begin() as connection:
        command.upgrade(_config(connection), revision)


def revision(engine: sa.Engine, message: str) -> None:
    """Autogenerate a new migration from the models (a developer tool)."""
    with engine.begin() as connection:
        command.revision(_config(connection), message=message, autogenerate=True)
