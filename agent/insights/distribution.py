"""How a numeric record field is spread (e.g. first response minutes): count, mean, median, p90 and a
histogram, computed in the database over the rows the semantic layer's detail query selects."""

from __future__ import annotations

import math
from typing import Any

from sqlglot import exp

from semantic_layer.dialects import render
from semantic_layer.errors import QueryError
from semantic_layer.identity import Identity
from semantic_layer.layer import SemanticLayer
from semantic_layer.model import Attribute, Dimension
from semantic_layer.query import SemanticQuery

from ..analysis import Distribution, DistributionBin

_NICE_STEPS = (1.0, 2.0, 2.5, 5.0)
_ROWS = "detail"
_VALUE = "value"


def distribution(
    layer: SemanticLayer, query: SemanticQuery, identity: Identity | None = None, bins: int = 20
) -> Distribution:
    """The distribution of the one field of detail `query` over all the rows it selects (not only the
    first `detail_limit`), as `identity` sees them. Rows where the field is NULL are left out.

    The histogram has equal-width bins with a "nice" width (1, 2, 2.5 or 5 times a power of ten; whole
    numbers for integer fields) from the minimum up to the 99th percentile; the last bin is open-ended
    (its `end` is the maximum) and counts the tail, so the counts add up to `count`."""
    if not query.is_detail or len(query.fields) != 1:
        raise QueryError("a distribution needs a detail query with exactly one field")
    name = query.fields[0]
    field = layer.model.field(name)
    integer = _check_numeric(field)
    if bins < 1:
        raise QueryError("a distribution needs at least one bin")
    compiled = layer.compile(query.model_copy(update={"limit": None}), identity)
    rows = compiled.expression.copy()
    rows.set("limit", None)  # detail queries are capped; a distribution covers every row
    rows.set("order", None)
    dialect = layer.engine.dialect
    value = exp.column(_VALUE, quoted=True)
    values = (
        exp.select(exp.alias_(exp.column(name, quoted=True), _VALUE, quoted=True))
        .from_(exp.Subquery(this=rows, alias=exp.TableAlias(this=exp.to_identifier("rows", quoted=True))))
        .where(exp.Not(this=exp.Is(this=exp.column(name, quoted=True), expression=exp.null())))
    )

    def over_values(*columns: exp.Expr) -> exp.Select:
        return exp.select(*columns).from_(_ROWS).with_(exp.to_identifier(_ROWS, quoted=True), as_=values)

    stats = over_values(
        exp.Count(this=value.copy()),
        exp.Avg(this=value.copy()),
        _quantile(value, 0.5),
        _quantile(value, 0.9),
        exp.Min(this=value.copy()),
        _quantile(value, 0.99),
        exp.Max(this=value.copy()),
    )
    stats_sql = render(stats, dialect, pretty=True)
    count, mean, p50, p90, low, p99, high = layer.engine.execute(
        stats_sql, allowed_tables=layer.allowed_tables
    ).rows[0]
    count = int(count or 0)
    if count == 0:
        return Distribution(field=name, count=0, mean=None, p50=None, p90=None, bins=(), sql=(stats_sql,))
    edges = nice_edges(float(low), float(p99), bins, integer)
    counts = over_values(*[_count_between(value, edges, i) for i in range(len(edges))])
    counts_sql = render(counts, dialect, pretty=True)
    binned = [
        int(n or 0) for n in layer.engine.execute(counts_sql, allowed_tables=layer.allowed_tables).rows[0]
    ]
    ends = [*edges[1:], max(float(high), edges[-1] + (edges[1] - edges[0] if len(edges) > 1 else 1.0))]
    return Distribution(
        field=name,
        count=count,
        mean=_number(mean),
        p50=_number(p50),
        p90=_number(p90),
        bins=tuple(
            DistributionBin(start=start, end=end, count=n)
            for start, end, n in zip(edges, ends, binned, strict=True)
        ),
        sql=(stats_sql, counts_sql),
    )


def nice_edges(low: float, high: float, bins: int, integer: bool = False) -> list[float]:
    """Left edges of at most `bins` equal-width bins with a nice width, the first at or below `low`,
    the last at or below `high` (the last bin is open-ended)."""
    span = high - low
    step = _nice_at_least(span / bins if span > 0 else max(abs(low), 1.0) / 10)
    if integer:
        step = max(1.0, math.ceil(step))
    while True:
        start = math.floor(low / step) * step
        # Whole values: `high` gets a bin of its own. Otherwise the open last bin starts below `high`.
        bins_needed = (high - start) / step
        n = max(1, math.floor(bins_needed) + 1 if integer else math.ceil(bins_needed))
        if n <= bins:
            return [_tidy(start + i * step) for i in range(n)]
        step = _nice_at_least(step * 1.000001)
        if integer:
            step = max(1.0, math.ceil(step))


def _nice_at_least(raw: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten that is >= raw."""
    power = 10.0 ** math.floor(math.log10(raw))
    for multiple in (*_NICE_STEPS, 10.0):
        if multiple * power >= raw * (1 - 1e-12):
            return multiple * power
    return 10.0 * power


def _tidy(edge: float) -> float:
    """An edge without float noise (0.30000000000000004 -> 0.3), so that it reads and compares as written."""
    return float(f"{edge:.12g}")


def _check_numeric(field: Dimension | Attribute) -> bool:
    """Whether the field holds whole numbers; QueryError unless it holds numbers at all."""
    if isinstance(field, Attribute) and field.type in ("integer", "number"):
        return field.type == "integer"
    if isinstance(field, Dimension) and field.type == "number":
        return False
    raise QueryError(f"'{field.name}' is not a numeric field, so it has no distribution")


def _quantile(value: exp.Expr, fraction: float) -> exp.Expr:
    return exp.PercentileCont(this=value.copy(), expression=exp.Literal.number(fraction))


def _count_between(value: exp.Expr, edges: list[float], index: int) -> exp.Expr:
    """How many values fall in bin `index`: [edge, next edge), or [last edge, ...) for the last bin."""
    condition: exp.Expr = exp.GTE(this=value.copy(), expression=_double(edges[index]))
    if index + 1 < len(edges):
        condition = exp.and_(condition, exp.LT(this=value.copy(), expression=_double(edges[index + 1])))
    return exp.Sum(this=exp.Case().when(condition, exp.Literal.number(1)).else_(exp.Literal.number(0)))


def _double(number: float) -> exp.Expr:
    return exp.cast(exp.Literal.number(repr(number)), exp.DataType.Type.DOUBLE)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)
