"""inputs filled from importable datasets

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 00:00:00

``job_datasets`` names, per input of a job, the dataset of the input directory that fills it. A
create records it with the job (which is queued at once, no upload); the worker that runs the job
imports the dataset into the job's inputs before its process starts. Inputs taken from an earlier
job's results need no table: they are ordinary ``job_inputs`` rows from the start.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'job_datasets',
        sa.Column('job_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('input', sa.String(length=200), nullable=False),
        sa.Column('dataset', sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(['job_seq'], ['jobs.seq'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('job_seq', 'input'),
    )


def downgrade() -> None:
    op.drop_table('job_datasets')
