"""What differs between SQLite and PostgreSQL: engines tuned for each, the database clock, JSON
aggregates, each one SQL function compiled per dialect.

Leases, heartbeats and every timestamp come from the database's clock (:class:`now`), never
a worker's, so machines with skewed clocks still agree on who holds a job. Times are stored as
naive UTC; SQLite gets them as fixed-width text so that string order is time order.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class now(FunctionElement[dt.datetime]):  # noqa: N801 - used like a SQL function
    """The database's current UTC time, optionally shifted by ``seconds``."""

    type = sa.DateTime()
    inherit_cache = True

    def __init__(self, seconds: float | sa.ColumnElement[Any] = 0.0) -> None:
        shift = seconds if isinstance(seconds, sa.ColumnElement) else sa.literal(float(seconds))
        super().__init__(shift)


@compiles(now, "sqlite")
def _sqlite_now(element: now, compiler: SQLCompiler, **kw: Any) -> str:
    shift = compiler.process(element.clauses, **kw)
    # julianday arithmetic keeps sub-second precision; '000' pads to SQLAlchemy's 6 digits.
    return (
        "(strftime('%Y-%m-%d %H:%M:%f', julianday('now') + "
        f"CAST({shift} AS REAL) / 86400.0) || '000')"
    )


@compiles(now, "postgresql")
def _pg_now(element: now, compiler: SQLCompiler, **kw: Any) -> str:
    shift = compiler.process(element.clauses, **kw)
    return f"(timezone('utc', clock_timestamp()) + make_interval(secs => CAST({shift} AS double precision)))"


@compiles(now)
def _generic_now(element: now, compiler: SQLCompiler, **kw: Any) -> str:
    shift = compiler.process(element.clauses, **kw)
    return f"(CURRENT_TIMESTAMP + {shift} * INTERVAL '1' SECOND)"


class seconds_since(FunctionElement[float]):  # noqa: N801 - used like a SQL function
    """Seconds from a timestamp column to the database's now."""

    type = sa.Float()
    inherit_cache = True


@compiles(seconds_since, "sqlite")
def _sqlite_since(element: seconds_since, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"((julianday('now') - julianday({column})) * 86400.0)"


@compiles(seconds_since)
def _generic_since(element: seconds_since, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"EXTRACT(EPOCH FROM (timezone('utc', clock_timestamp()) - {column}))"


class json_rows(FunctionElement[Any]):  # noqa: N801 - used like a SQL function
    """An aggregate: the values of the given columns, row by row, as a JSON array of arrays (in no
    particular order). The empty set is ``[]`` on SQLite and NULL on PostgreSQL."""

    type = sa.JSON()
    inherit_cache = True


@compiles(json_rows, "sqlite")
def _sqlite_json_rows(element: json_rows, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"


@compiles(json_rows, "postgresql")
def _pg_json_rows(element: json_rows, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_agg(json_build_array({compiler.process(element.clauses, **kw)}))"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def create_engine(url: str) -> sa.Engine:
    """An engine tuned for jobsmith: WAL and a busy timeout on SQLite.

    On SQLite every write transaction starts with its write statement (see the repository), so
    concurrent writers queue on the busy timeout instead of failing on a lock upgrade. A server
    database's connections are not pinged before each use (a round trip per request): when one turns
    out dead (a restart), SQLAlchemy sees the disconnect, that use fails (a 503, or a worker's retry)
    and every older connection in the pool is replaced before its next use.
    """
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                                  pool_size=20, max_overflow=20)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(url, pool_size=10, max_overflow=20)
