"""labels as rows, so that a list filtered by label is an index lookup

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08 00:00:00

``job_labels`` holds one row per label of a job beside ``jobs.labels`` (which the job view keeps
reading), with an index on (key, value, job_seq): ``GET /v1/jobs?label=k:v`` walks that index newest
first instead of decoding the JSON of every job. The labels of existing jobs are copied over; a value
longer than the new limit (500 characters) is not indexed, so such a job is no longer found by that
label (creates and patches refuse such values from now on).
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_CHUNK = 5_000


def upgrade() -> None:
    labels = op.create_table(
        'job_labels',
        sa.Column('job_seq', _BigId, nullable=False),
        sa.Column('key', sa.String(length=100), nullable=False),
        sa.Column('value', sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(['job_seq'], ['jobs.seq'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('job_seq', 'key'),
    )
    _copy_existing_labels(labels)
    op.create_index('ix_job_labels_lookup', 'job_labels', ['key', 'value', 'job_seq'], unique=False)


def _copy_existing_labels(labels: sa.Table) -> None:
    """Every job's labels as rows, read and written in chunks (bounded memory on a large store)."""
    connection = op.get_bind()
    jobs = sa.table('jobs', sa.column('seq', _BigId), sa.column('labels', sa.Text))
    last = 0
    while True:
        rows = connection.execute(sa.select(jobs.c.seq, jobs.c.labels).where(jobs.c.seq > last)
                                  .order_by(jobs.c.seq).limit(_CHUNK)).all()
        if not rows:
            return
        last = rows[-1].seq
        values = [{"job_seq": seq, "key": key, "value": value}
                  for seq, text in rows for key, value in _labels_of(text).items()
                  if isinstance(value, str) and 0 < len(key) <= 100 and len(value) <= 500]
        if values:
            connection.execute(labels.insert(), values)


def _labels_of(text: object) -> dict[str, object]:
    """The labels column as stored: JSON text (SQLite, PostgreSQL's json read as text) or a dict."""
    value = json.loads(text) if isinstance(text, str) else text
    return value if isinstance(value, dict) else {}


def downgrade() -> None:
    op.drop_index('ix_job_labels_lookup', table_name='job_labels')
    op.drop_table('job_labels')
