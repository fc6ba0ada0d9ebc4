"""one active job per target of an exclusive process

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 00:00:00

``jobs.exclusive_target`` holds a job's target when its process is exclusive (NULL otherwise), and
a unique index over it and the process, partial to the states that are not final, lets the database
refuse a second active job for that process and target: creates racing on several API servers
cannot both win. The same index on SQLite and PostgreSQL.

Jobs created before this revision keep NULL: which processes are exclusive is the registry's
knowledge, not the database's, so they hold no target.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

_ACTIVE = sa.text("state IN ('WAITING_FOR_DATA', 'QUEUED', 'PROCESSING', 'CANCELLATION_REQUESTED')")


def upgrade() -> None:
    op.add_column('jobs', sa.Column('exclusive_target', sa.String(length=500), nullable=True))
    op.create_index('ux_jobs_exclusive_target', 'jobs', ['exclusive_target', 'process'], unique=True,
                    sqlite_where=_ACTIVE, postgresql_where=_ACTIVE)


def downgrade() -> None:
    op.drop_index('ux_jobs_exclusive_target', table_name='jobs')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_column('exclusive_target')
