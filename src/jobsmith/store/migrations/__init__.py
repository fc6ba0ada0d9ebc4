"""Alembic migrations of the jobsmith schema."""
