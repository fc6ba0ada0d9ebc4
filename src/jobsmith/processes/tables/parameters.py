"""The parameters of the tabular processes, as the process-graph form fixes their names and shapes.

Free of DuckDB so that listing the processes stays cheap. A shape that cannot be right whatever the
table (an unknown operator, ``in`` without a list, two aggregates named alike) is refused here, with
a 422 at create; what depends on the table (a column it lacks, a value its column cannot hold) fails
the job with a sentence.
"""

from __future__ import annotations

import re
from typing import Any, Literal, Self

import pydantic

Operator = Literal["==", "!=", "<", "<=", ">", ">=", "in", "not_in", "is_null", "not_null", "contains"]
Function = Literal["count", "sum", "mean", "min", "max", "median"]
Scalar = str | int | float | bool
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
LIST_OPERATORS = ("in", "not_in")
NULL_OPERATORS = ("is_null", "not_null")



def _column() -> Any:
    return pydantic.Field(min_length=1, max_length=1000, description="A column of the table, by its exact name.")


def _unique(names: list[str], what: str) -> list[str]:
    seen = [n for i, n in enumerate(names) if n in names[:i]]
    if seen:
        raise ValueError(f"{what} names {seen[0]!r} twice")
    return names


class _Strict(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")


class Condition(_Strict):
    """One condition on a column; a row is kept when all conditions hold."""

    column: str = _column()
    op: Operator = pydantic.Field(description=(
        "==, !=, <, <=, >, >= compare with value; in and not_in test membership of the list value; "
        "is_null and not_null take no value; contains finds the text value inside a text column. "
        "A null in the column matches no comparison (as in SQL): test it with is_null."))
    value: Scalar | list[Scalar] | None = pydantic.Field(None, description=(
        "What the column is compared with, read as the column's type (\"2024-05-01\" for a date column)."))

    @pydantic.model_validator(mode="after")
    def _value_fits_the_operator(self) -> Self:
        if self.op in NULL_OPERATORS and self.value is not None:
            raise ValueError(f"op {self.op!r} takes no value")
        if self.op in LIST_OPERATORS and (not isinstance(self.value, list) or not self.value):
            raise ValueError(f"op {self.op!r} takes a non-empty list as value")
        if self.op not in NULL_OPERATORS + LIST_OPERATORS and (self.value is None or isinstance(self.value, list)):
            raise ValueError(f"op {self.op!r} takes one value (not null, not a list); for nulls use is_null")
        if self.op == "contains" and not isinstance(self.value, str):
            raise ValueError("op 'contains' takes a text value")
        return self


class FilterParameters(_Strict):
    """The rows where every condition holds, in their order."""

    model_config = pydantic.ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"conditions": [{"column": "country", "op": "==", "value": "DE"}, {"column": "amount", "op": ">", "value": 10}]},
        {"conditions": [{"column": "status", "op": "in", "value": ["open", "late"]},
                        {"column": "closed_at", "op": "is_null"}]}]})

    conditions: list[Condition] = pydantic.Field(min_length=1, max_length=100, description="All must hold.")


class SelectParameters(_Strict):
    """The named columns, in the order given."""

    model_config = pydantic.ConfigDict(extra="forbid", json_schema_extra={"examples": [{"columns": ["city", "people"]}]})

    columns: list[str] = pydantic.Field(min_length=1, max_length=10_000, description="Columns to keep, in order.")

    @pydantic.field_validator("columns")
    @classmethod
    def _distinct(cls, columns: list[str]) -> list[str]:
        if any(not c for c in columns):
            raise ValueError("a column name is not empty")
        return _unique(columns, "columns")


class Aggregate(_Strict):
    """One output column: ``function`` over ``column`` in each group."""

    model_config = pydantic.ConfigDict(extra="forbid", populate_by_name=True)

    column: str | None = pydantic.Field(None, min_length=1, max_length=1000, description=(
        "The column aggregated; count without a column counts rows, with one its non-null values."))
    function: Function = pydantic.Field(description=(
        "count, sum, mean, min, max or median; all but count (of rows) leave nulls out, and give null "
        "for a group with no value."))
    as_: str | None = pydantic.Field(None, alias="as", min_length=1, max_length=1000, description=(
        "The output column's name; by default <function>_<column> (count: count)."))

    @pydantic.model_validator(mode="after")
    def _column_unless_counting(self) -> Self:
        if self.column is None and self.function != "count":
            raise ValueError(f"function {self.function!r} needs a column")
        return self

    @property
    def output(self) -> str:
        return self.as_ or (f"{self.function}_{self.column}" if self.column else "count")


class AggregateParameters(_Strict):
    """One row per group (or one row in all without ``group_by``), sorted by the group columns."""

    model_config = pydantic.ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"group_by": ["country"], "aggregates": [{"function": "count", "as": "orders"},
                                                 {"column": "amount", "function": "sum", "as": "total"},
                                                 {"column": "amount", "function": "median"}]}]})

    group_by: list[str] = pydantic.Field(default_factory=list, max_length=100, description="The group columns.")
    aggregates: list[Aggregate] = pydantic.Field(default_factory=list, max_length=1000, description=(
        "The aggregate columns after the group columns."))

    @pydantic.model_validator(mode="after")
    def _outputs_distinct(self) -> Self:
        if not self.group_by and not self.aggregates:
            raise ValueError("give group_by, aggregates or both")
        _unique(self.group_by, "group_by")
        _unique([*self.group_by, *(a.output for a in self.aggregates)], "the output")
        return self


class JoinParameters(_Strict):
    """Rows of left and right whose ``on`` columns are equal."""

    model_config = pydantic.ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"on": ["customer_id"], "how": "left"}]})

    on: list[str] = pydantic.Field(min_length=1, max_length=100, description=(
        "Key columns that both tables have; each appears once in the result. Null keys match nothing."))
    how: Literal["inner", "left", "right", "full"] = pydantic.Field("inner", description=(
        "inner: matched rows only; left/right: also that table's unmatched rows; full: both tables' unmatched rows."))

    @pydantic.field_validator("on")
    @classmethod
    def _distinct(cls, on: list[str]) -> list[str]:
        return _unique(on, "on")


class SortKey(_Strict):
    """One sort key: a column, ascending unless ``descending``."""

    column: str = _column()
    descending: bool = pydantic.Field(False, description="Largest first; nulls come last either way.")


class SortParameters(_Strict):
    """The rows ordered by the first key, ties by the next, and so on."""

    model_config = pydantic.ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"by": [{"column": "country"}, {"column": "amount", "descending": True}]}]})

    by: list[SortKey] = pydantic.Field(min_length=1, max_length=100, description="Sort keys, most significant first.")

    @pydantic.model_validator(mode="after")
    def _distinct(self) -> Self:
        _unique([k.column for k in self.by], "by")
        return self


class LimitParameters(_Strict):
    """The first ``n`` rows, in their order."""

    model_config = pydantic.ConfigDict(extra="forbid", json_schema_extra={"examples": [{"n": 10}]})

    n: int = pydantic.Field(ge=0, le=2**62, description="How many of the first rows to keep.")


class SaveParameters(_Strict):
    """The table written as the result ``<name>.<format>``."""

    model_config = pydantic.ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"format": "csv"}, {"format": "json", "name": "top-customers"}]})

    format: Literal["csv", "parquet", "json"] = pydantic.Field("csv", description=(
        "csv: comma-separated with a header row; parquet: typed columns; json: an array of objects."))
    name: str = pydantic.Field("result", pattern=NAME.pattern, description=(
        "The result is <name>.<format>: letters, digits, '.', '_' and '-', starting with a letter or digit."))

