"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-23 01:05:52.259969
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('idempotency_keys',
    sa.Column('owner', sa.String(length=200), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('body_sha256', sa.String(length=64), nullable=False),
    sa.Column('job_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('owner', 'key')
    )
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotency_keys_created_at'), ['created_at'], unique=False)

    op.create_table('jobs',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('process', sa.String(length=200), nullable=False),
    sa.Column('process_version', sa.String(length=50), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('previous_state', sa.String(length=32), nullable=True),
    sa.Column('state_detail', sa.Text(), nullable=True),
    sa.Column('owner', sa.String(length=200), nullable=False),
    sa.Column('target', sa.String(length=500), nullable=True),
    sa.Column('labels', sa.JSON(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('metadata', sa.JSON(), nullable=False),
    sa.Column('parameters', sa.JSON(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_retries', sa.Integer(), nullable=False),
    sa.Column('timeout_s', sa.Integer(), nullable=False),
    sa.Column('progress', sa.Float(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('queued_at', sa.DateTime(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('duration_s', sa.Float(), nullable=True),
    sa.Column('lease_token', sa.String(length=36), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(), nullable=True),
    sa.Column('worker_id', sa.String(length=36), nullable=True),
    sa.Column('files_removed', sa.Boolean(), nullable=False),
    sa.CheckConstraint("(state IN ('PROCESSING', 'CANCELLATION_REQUESTED')) = (lease_token IS NOT NULL)", name='ck_jobs_lease_iff_running'),
    sa.CheckConstraint("state IN ('WAITING_FOR_DATA', 'QUEUED', 'PROCESSING', 'CANCELLATION_REQUESTED', 'COMPLETED', 'FAILED', 'CANCELLED', 'DELETED')", name='ck_jobs_state'),
    sa.CheckConstraint('attempts >= 0', name='ck_jobs_attempts'),
    sa.CheckConstraint('priority BETWEEN -100 AND 100', name='ck_jobs_priority'),
    sa.CheckConstraint('progress IS NULL OR (progress >= 0 AND progress <= 1)', name='ck_jobs_progress'),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('id')
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index('ix_jobs_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_jobs_expires_at', ['expires_at'], unique=False, sqlite_where=sa.text('files_removed = 0'), postgresql_where=sa.text('NOT files_removed'))
        batch_op.create_index('ix_jobs_lease', ['lease_expires_at'], unique=False, sqlite_where=sa.text("state IN ('PROCESSING', 'CANCELLATION_REQUESTED')"), postgresql_where=sa.text("state IN ('PROCESSING', 'CANCELLATION_REQUESTED')"))
        batch_op.create_index('ix_jobs_owner_seq', ['owner', 'seq'], unique=False)
        batch_op.create_index('ix_jobs_process_seq', ['process', 'seq'], unique=False)
        batch_op.create_index('ix_jobs_state_seq', ['state', 'seq'], unique=False)
        batch_op.create_index('ix_jobs_target_seq', ['target', 'seq'], unique=False)
    # The claim order (priority, then FIFO) over queued jobs only; autogenerate skips expressions.
    op.create_index('ix_jobs_queue', 'jobs', [sa.text('priority DESC'), 'queued_at', 'seq'], unique=False,
                    sqlite_where=sa.text("state = 'QUEUED'"), postgresql_where=sa.text("state = 'QUEUED'"))

    op.create_table('maintenance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('paused', sa.Boolean(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('updated_by', sa.String(length=200), nullable=True),
    sa.CheckConstraint('id = 1', name='ck_maintenance_singleton'),
    sa.PrimaryKeyConstraint('id')
    )
    op.bulk_insert(sa.table('maintenance', sa.column('id', sa.Integer), sa.column('paused', sa.Boolean),
                            sa.column('message', sa.Text)), [{'id': 1, 'paused': False, 'message': ''}])
    op.create_table('maintenance_history',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('paused', sa.Boolean(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('workers',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('hostname', sa.String(length=255), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=False),
    sa.Column('stopped_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('job_history',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('job_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('time', sa.DateTime(), nullable=False),
    sa.Column('from_state', sa.String(length=32), nullable=True),
    sa.Column('to_state', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['job_seq'], ['jobs.seq'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('job_history', schema=None) as batch_op:
        batch_op.create_index('ix_job_history_job', ['job_seq', 'id'], unique=False)

    op.create_table('job_inputs',
    sa.Column('job_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('input', sa.String(length=200), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('media_type', sa.String(length=200), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['job_seq'], ['jobs.seq'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('job_seq', 'name')
    )
    op.create_table('job_results',
    sa.Column('job_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('path', sa.String(length=1000), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('media_type', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['job_seq'], ['jobs.seq'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('job_seq', 'path')
    )
    op.create_table('job_steps',
    sa.Column('job_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.CheckConstraint("state IN ('queued', 'running', 'success', 'failure', 'warning', 'skip')", name='ck_job_steps_state'),
    sa.ForeignKeyConstraint(['job_seq'], ['jobs.seq'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('job_seq', 'position')
    )


def downgrade() -> None:
    op.drop_index('ix_jobs_queue', table_name='jobs')
    op.drop_table('job_steps')
    op.drop_table('job_results')
    op.drop_table('job_inputs')
    with op.batch_alter_table('job_history', schema=None) as batch_op:
        batch_op.drop_index('ix_job_history_job')

    op.drop_table('job_history')
    op.drop_table('workers')
    op.drop_table('maintenance_history')
    op.drop_table('maintenance')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_target_seq')
        batch_op.drop_index('ix_jobs_state_seq')
        batch_op.drop_index('ix_jobs_process_seq')
        batch_op.drop_index('ix_jobs_owner_seq')
        batch_op.drop_index('ix_jobs_lease', sqlite_where=sa.text("state IN ('PROCESSING', 'CANCELLATION_REQUESTED')"), postgresql_where=sa.text("state IN ('PROCESSING', 'CANCELLATION_REQUESTED')"))
        batch_op.drop_index('ix_jobs_expires_at', sqlite_where=sa.text('files_removed = 0'), postgresql_where=sa.text('NOT files_removed'))
        batch_op.drop_index('ix_jobs_created_at')

    op.drop_table('jobs')
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_keys_created_at'))

    op.drop_table('idempotency_keys')
