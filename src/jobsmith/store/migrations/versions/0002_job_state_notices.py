"""job state notices (PostgreSQL)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 00:40:00

On PostgreSQL every change of a job's state notifies the channel ``jobsmith_job_state`` with the
job's id and new state, delivered when its transaction commits: API servers LISTEN and answer long-polls the
moment a worker on another machine finishes a job (see :mod:`jobsmith.store.notices`). SQLite has
no such thing; there the embedded workers announce changes through a pipe.
"""

from __future__ import annotations

from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
        CREATE FUNCTION jobsmith_job_state_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('jobsmith_job_state', NEW.id || ' ' || NEW.state);
            RETURN NULL;
        END $$
    """)
    op.execute("""
        CREATE TRIGGER jobs_state_changed AFTER UPDATE OF state ON jobs
        FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state)
        EXECUTE FUNCTION jobsmith_job_state_changed()
    """)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER jobs_state_changed ON jobs")
    op.execute("DROP FUNCTION jobsmith_job_state_changed()")
