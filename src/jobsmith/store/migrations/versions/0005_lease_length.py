"""each claim's lease length

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08 00:00:00

``jobs.lease_s`` holds how long the current claim lives without a heartbeat: an external worker
chooses it when it claims (``lease_s`` of ``POST /v1/worker/claims``), and each heartbeat extends
the lease by as much. NULL keeps the server's ``JOBSMITH_LEASE_S``, as for every job so far.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('jobs', sa.Column('lease_s', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_column('lease_s')
