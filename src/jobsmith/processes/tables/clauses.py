"""SQL for the tabular processes, built from column names checked against the table and bound values.

No text from a client reaches a statement as SQL: a column name is checked to be one of the table's
and then quoted (:func:`duck.ident`); a value is a bound parameter, cast to its column's type. The
type name in that cast comes from the table's own schema, and only a plain scalar type is accepted.
"""

from __future__ import annotations

import re
from typing import Any

from jobsmith.processes import context
from jobsmith.processes.profile.readers import duck
from jobsmith.processes.tables import parameters, reading

INTEGERS = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                      "UBIGINT", "UHUGEINT"})
FLOATS = frozenset({"FLOAT", "DOUBLE", "REAL"})
TEXT = frozenset({"VARCHAR"})
TEMPORAL = ("DATE", "TIME", "TIMESTAMP", "INTERVAL")
_SCALAR = re.compile(r"[A-Z][A-Z0-9_ ]*(\(\d+, ?\d+\))?")
_COMPARE = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_FUNCTIONS = {"sum": "sum", "mean": "avg", "min": "min", "max": "max", "median": "median"}

Clause = tuple[str, list[Any]]


def is_numeric(kind: str) -> bool:
    return kind in INTEGERS or kind in FLOATS or kind.startswith("DECIMAL")


def _shown(kind: str) -> str:
    if kind in INTEGERS:
        return "integer"
    if kind in FLOATS or kind.startswith("DECIMAL"):
        return "number"
    return "text" if kind in TEXT else kind.lower()


def where(table: reading.Table, conditions: list[parameters.Condition]) -> Clause:
    """``a AND b AND ...`` over the conditions, with their values to bind in order."""
    parts, values = [], []
    for condition in conditions:
        sql, bound = _condition(table, condition)
        parts.append(sql)
        values += bound
    return " AND ".join(f"({p})" for p in parts), values


def _condition(table: reading.Table, condition: parameters.Condition) -> Clause:
    kind = table.column(condition.column, "to filter on")
    column = duck.ident(condition.column)
    if condition.op == "is_null":
        return f"{column} IS NULL", []
    if condition.op == "not_null":
        return f"{column} IS NOT NULL", []
    if condition.op == "contains":
        if kind not in TEXT:
            raise context.JobFailed(f"column {condition.column!r} of {table.name} holds {_shown(kind)} values; "
                                    "contains finds text in a text column")
        return f"contains({column}, ?)", [condition.value]
    if isinstance(condition.value, list):
        casts = [_typed(table, condition.column, kind, v) for v in condition.value]
        listed = ", ".join(f"CAST(? AS {cast})" for cast in casts)
        negation = "NOT " if condition.op == "not_in" else ""
        return f"{column} {negation}IN ({listed})", list(condition.value)
    assert condition.value is not None  # the parameters refuse a comparison with null
    cast = _typed(table, condition.column, kind, condition.value)
    return f"{column} {_COMPARE[condition.op]} CAST(? AS {cast})", [condition.value]


def _typed(table: reading.Table, name: str, kind: str, value: parameters.Scalar) -> str:
    """The type ``value`` is compared in: the column's, unless it is an integer column and the value a fraction."""
    refusal = f"column {name!r} of {table.name} holds {_shown(kind)} values, so it cannot be compared with {value!r}"
    if not _SCALAR.fullmatch(kind):
        raise context.JobFailed(f"column {name!r} of {table.name} holds nested values ({kind}); "
                                "only is_null and not_null test it")
    if isinstance(value, bool) and kind != "BOOLEAN":
        raise context.JobFailed(refusal)
    if kind in INTEGERS and not isinstance(value, int):
        kind = "DOUBLE"  # 2.5 or "2.5" against whole numbers: compared as they are, never rounded
    if not _fits(table, kind, value):
        raise context.JobFailed(refusal)
    return kind


def _fits(table: reading.Table, kind: str, value: parameters.Scalar) -> bool:
    row = table.con.execute(f"SELECT TRY_CAST(? AS {kind}) IS NOT NULL", [value]).fetchone()
    return bool(row and row[0])


def selection(table: reading.Table, columns: list[str]) -> str:
    for name in columns:
        table.column(name, "to select")
    return ", ".join(duck.ident(name) for name in columns)


def aggregation(table: reading.Table, group_by: list[str], aggregates: list[parameters.Aggregate]) -> str:
    """``SELECT groups, aggregates FROM table GROUP BY groups ORDER BY groups``."""
    groups = [duck.ident(name) for name in group_by if table.column(name, "to group by")]
    outputs = [f"{_aggregate(table, a)} AS {duck.ident(a.output)}" for a in aggregates]
    sql = f"SELECT {', '.join(groups + outputs)} FROM {table.relation}"
    if groups:
        listed = ", ".join(groups)
        sql += f" GROUP BY {listed} ORDER BY {', '.join(f'{g} ASC NULLS LAST' for g in groups)}"
    return sql


def _aggregate(table: reading.Table, aggregate: parameters.Aggregate) -> str:
    if aggregate.column is None:
        return "count(*)"
    kind = table.column(aggregate.column, f"to {aggregate.function}")
    column = duck.ident(aggregate.column)
    if aggregate.function == "count":
        return f"count({column})"
    numeric = is_numeric(kind) or (aggregate.function != "sum" and kind.startswith(TEMPORAL))
    if aggregate.function in ("sum", "mean", "median") and not numeric:
        raise context.JobFailed(f"column {aggregate.column!r} of {table.name} holds {_shown(kind)} values, "
                                f"so it has no {aggregate.function}")
    expression = f"{_FUNCTIONS[aggregate.function]}({column})"
    return f"CAST({expression} AS BIGINT)" if aggregate.function == "sum" and kind in INTEGERS else expression


def ordering(table: reading.Table, by: list[parameters.SortKey]) -> str:
    keys = [f"{duck.ident(k.column)} {'DESC' if k.descending else 'ASC'} NULLS LAST"
            for k in by if table.column(k.column, "to sort by")]
    return ", ".join(keys)


def join(left: reading.Table, right: reading.Table, on: list[str], how: str) -> str:
    """Left's rows in their order, each with its matches in right's order; then right's unmatched rows.

    Both sides are temporary tables (their ``rowid`` is the input order); key columns appear once,
    and a right column named like a left one is suffixed ``_right``.
    """
    for key in on:
        _comparable(left, right, key)
    side = {"inner": "l.{0}", "left": "l.{0}", "right": "r.{0}", "full": "coalesce(l.{0}, r.{0})"}[how]
    keys = [side.format(duck.ident(k)) for k in on]
    taken = set(left.columns)
    columns = [f"{k} AS {duck.ident(name)}" for k, name in zip(keys, on)]
    columns += [f"l.{duck.ident(c)}" for c in left.columns if c not in on]
    for name in (c for c in right.columns if c not in on):
        output = name
        while output in taken:
            output += "_right"
        taken.add(output)
        columns.append(f"r.{duck.ident(name)} AS {duck.ident(output)}")
    matched = " AND ".join(f"l.{duck.ident(k)} = r.{duck.ident(k)}" for k in on)
    kind = {"inner": "INNER", "left": "LEFT", "right": "RIGHT", "full": "FULL OUTER"}[how]
    return (f"SELECT {', '.join(columns)} FROM {left.relation} AS l {kind} JOIN {right.relation} AS r ON {matched} "
            "ORDER BY l.rowid ASC NULLS LAST, r.rowid ASC NULLS LAST")


def _comparable(left: reading.Table, right: reading.Table, key: str) -> None:
    kinds = left.column(key, "to join on"), right.column(key, "to join on")
    if kinds[0] != kinds[1] and not (is_numeric(kinds[0]) and is_numeric(kinds[1])):
        raise context.JobFailed(f"key column {key!r} holds {_shown(kinds[0])} values in {left.name} and "
                                f"{_shown(kinds[1])} values in {right.name}, so they cannot be matched")
