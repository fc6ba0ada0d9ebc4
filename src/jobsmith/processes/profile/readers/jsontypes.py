"""DuckDB's inferred JSON types, turned into what the readers need.

* :func:`sql_type`: the type to read with, where strings stay strings. DuckDB would otherwise turn
  "2019-04-07T10:47:32 -02:00" into a UTC timestamp and ids into UUIDs; the analysis infers those
  itself (and reports formats) from the text as written.
* :func:`json_schema`: a JSON Schema for a semi-structured dataset.
* :func:`flatten`: the flat columns of a record (nested objects as ``a.b``, arrays as JSON text)
  and the arrays of records inside it, each of which becomes a table of its own.
"""

from __future__ import annotations

import dataclasses

import duckdb

from jobsmith.processes.profile.readers import duck

_KEPT = frozenset({"BIGINT", "UBIGINT", "HUGEINT", "INTEGER", "DOUBLE", "FLOAT", "BOOLEAN", "VARCHAR"})
_NESTED = frozenset({"struct", "list", "map", "array", "union"})
_FORMATS = {"UUID": "uuid", "DATE": "date", "TIME": "time"}


@dataclasses.dataclass(frozen=True)
class Leaf:
    """A flat column: its dotted name, the SQL computing it from the record ``r``, its type."""

    name: str
    expression: str
    type: str


@dataclasses.dataclass(frozen=True)
class Child:
    """An array of records inside a record: its dotted path, the SQL list, the element type."""

    path: str
    expression: str
    element: duckdb.sqltypes.DuckDBPyType


def is_nested(kind: duckdb.sqltypes.DuckDBPyType) -> bool:
    return str(kind.id) in _NESTED


def child_type(kind: duckdb.sqltypes.DuckDBPyType, key: str) -> duckdb.sqltypes.DuckDBPyType:
    """The named child of a list (``child``) or map (``key``, ``value``) type."""
    for name, child in kind.children:
        if name == key and isinstance(child, duckdb.sqltypes.DuckDBPyType):
            return child
    raise ValueError(f"{kind} has no {key} type")


def is_record_list(kind: duckdb.sqltypes.DuckDBPyType) -> bool:
    return str(kind.id) == "list" and str(child_type(kind, "child").id) == "struct"


def fields(kind: duckdb.sqltypes.DuckDBPyType) -> list[tuple[str, duckdb.sqltypes.DuckDBPyType]]:
    return [(name, child) for name, child in kind.children if isinstance(child, duckdb.sqltypes.DuckDBPyType)]


def sql_type(kind: duckdb.sqltypes.DuckDBPyType) -> str:
    """The type to read JSON values with: structure kept, strings never reinterpreted."""
    ident = str(kind.id)
    if ident == "struct":
        inner = ", ".join(f"{duck.ident(name)} {sql_type(child)}" for name, child in fields(kind))
        return f"STRUCT({inner})" if inner else "JSON"
    if ident == "list":
        return f"{sql_type(child_type(kind, 'child'))}[]"
    if ident == "map":
        return f"MAP({sql_type(child_type(kind, 'key'))}, {sql_type(child_type(kind, 'value'))})"
    return str(kind) if str(kind) in _KEPT else "VARCHAR"


def json_schema(kind: duckdb.sqltypes.DuckDBPyType) -> dict[str, object]:
    """A JSON Schema describing values of ``kind`` as DuckDB inferred it from the documents."""
    ident, text = str(kind.id), str(kind)
    if ident == "struct":
        return {"type": "object", "properties": {name: json_schema(child) for name, child in fields(kind)}}
    if ident == "list":
        return {"type": "array", "items": json_schema(child_type(kind, "child"))}
    if ident == "map":
        return {"type": "object", "additionalProperties": json_schema(child_type(kind, "value"))}
    return _scalar_schema(text)


def _scalar_schema(text: str) -> dict[str, object]:
    if text == "JSON":
        return {}
    if text == '"NULL"' or text == "NULL":
        return {"type": "null"}
    if text == "BOOLEAN":
        return {"type": "boolean"}
    if text in ("BIGINT", "UBIGINT", "HUGEINT", "INTEGER"):
        return {"type": "integer"}
    if text in ("DOUBLE", "FLOAT") or text.startswith("DECIMAL"):
        return {"type": "number"}
    if text.startswith("TIMESTAMP"):
        return {"type": "string", "format": "date-time"}
    if text in _FORMATS:
        return {"type": "string", "format": _FORMATS[text]}
    return {"type": "string"}


def flatten(kind: duckdb.sqltypes.DuckDBPyType, record: str = "r", prefix: str = "") -> tuple[list[Leaf], list[Child]]:
    """Flat columns of a record of type ``kind`` (a struct), and the record arrays inside it."""
    leaves: list[Leaf] = []
    children: list[Child] = []
    for name, child in fields(kind):
        expression = f"{record}.{duck.ident(name)}"
        dotted = f"{prefix}.{name}" if prefix else name
        if str(child.id) == "struct" and fields(child):
            inner_leaves, inner_children = flatten(child, expression, dotted)
            leaves += inner_leaves
            children += inner_children
        elif is_nested(child) or str(child) == "JSON":
            leaves.append(Leaf(dotted, f"CAST(to_json({expression}) AS VARCHAR)", "VARCHAR"))
            if is_record_list(child):
                children.append(Child(dotted, expression, child_type(child, "child")))
        else:
            leaves.append(Leaf(dotted, expression, str(child)))
    return leaves, children
