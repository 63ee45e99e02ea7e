"""Small builders of sqlglot expressions shared by the compiler: literals, conditions, time buckets."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlglot import exp

from .query import FilterValue


def literal(value: FilterValue | date | datetime) -> exp.Expr:
    if value is None:
        return exp.null()
    if isinstance(value, bool):
        return exp.true() if value else exp.false()
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    if isinstance(value, datetime):
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), exp.DataType.Type.TIMESTAMP)
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.Type.TIMESTAMP)
    return exp.Literal.string(str(value))


def interval(amount: int, unit: str) -> exp.Interval:
    return exp.Interval(this=exp.Literal.string(str(amount)), unit=exp.Var(this=unit.upper()))


def condition(target: exp.Expr, op: str, values: tuple[Any, ...]) -> exp.Expr:
    """`target op values` with SQL's NULLs handled as people expect: `ne`/`not_in` keep NULL rows."""
    first = values[0] if values else None
    if op == "eq":
        return (
            exp.Is(this=target, expression=exp.null())
            if first is None
            else exp.EQ(this=target, expression=literal(first))
        )
    if op == "ne":
        return exp.NullSafeNEQ(this=target, expression=literal(first))
    if op == "in":
        return exp.In(this=target, expressions=[literal(v) for v in values])
    if op == "not_in":
        inside = exp.In(this=target.copy(), expressions=[literal(v) for v in values])
        return exp.or_(exp.not_(inside), exp.Is(this=target, expression=exp.null()))
    if op == "between":
        return exp.Between(this=target, low=literal(values[0]), high=literal(values[1]))
    if op == "contains":
        haystack = exp.Lower(this=exp.cast(target, exp.DataType.Type.VARCHAR))
        needle = exp.Lower(this=literal(str(first)))
        return exp.GT(this=exp.StrPosition(this=haystack, substr=needle), expression=exp.Literal.number(0))
    comparisons: dict[str, type[exp.Binary]] = {"gt": exp.GT, "gte": exp.GTE, "lt": exp.LT, "lte": exp.LTE}
    return comparisons[op](this=target, expression=literal(first))


def time_bucket(value: exp.Expr, grain: str, week_start: str) -> exp.Expr:
    """The first day of the `grain` period containing `value`, as a DATE."""
    if grain == "week" and week_start == "sunday":
        shifted = exp.Add(this=value, expression=interval(1, "day"))
        truncated: exp.Expr = exp.Sub(
            this=exp.TimestampTrunc(this=shifted, unit=exp.Var(this="WEEK")), expression=interval(1, "day")
        )
    else:
        truncated = exp.TimestampTrunc(this=value, unit=exp.Var(this=grain.upper()))
    return exp.cast(truncated, exp.DataType.Type.DATE)


def safe_divide(numerator: exp.Expr, denominator: exp.Expr) -> exp.Expr:
    """numerator / denominator as a float, NULL when the denominator is 0."""
    return exp.Div(
        this=exp.cast(numerator, exp.DataType.Type.DOUBLE),
        expression=exp.Nullif(this=denominator, expression=exp.Literal.number(0)),
    )
