"""Alembic environment: runs against the connection handed over by :mod:`jobsmith.store.migrate`."""

from __future__ import annotations

from alembic import context

from jobsmith.store import models

config = context.config
connection = config.attributes["connection"]
context.configure(connection=connection, target_metadata=models.Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
with context.begin_transaction():
    context.run_migrations()
