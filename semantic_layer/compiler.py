"""Compile a SemanticQuery into one SQL query (a sqlglot tree), in small passes.

resolve (resolve.py: names -> model objects, availability of every dimension for every metric)
  -> plan (metrics -> the simple/snapshot "leaf" metrics they are computed from, grouped by table)
  -> build (one aggregate CTE per table, joined on the dimensions; ratios and derived metrics on top;
            `compare` runs the same plan on the shifted range and joins it back)
  -> render (sqlglot -> the engine's dialect).

Each table's metrics aggregate in their own CTE, joined along many-to-one relationships only, so a
metric is never multiplied by another table's rows (no fan-out, no double counting).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Literal

from sqlglot import exp

from . import sql
from .dialects import render
from .errors import QueryError
from .expressions import parse_expression, qualify
from .identity import Identity, RowFilter, row_filters
from .joins import Hop, find_path
from .model import (
    Attribute,
    DerivedMetric,
    Dimension,
    Metric,
    RatioMetric,
    SemanticModel,
    SimpleMetric,
    SnapshotMetric,
    Text,
)
from .periods import add_months, comparison_shift, resolve_period
from .query import DimensionRef, Filter, SemanticQuery, TimeRange
from .resolve import Leaf, ResolvedQuery, resolve_query, time_dimension

DEFAULT_DETAIL_LIMIT = 1000
Role = Literal["dimension", "field", "metric", "previous", "change", "change_pct"]
Aggregate = Callable[[SimpleMetric], exp.Expr]
"""How a simple metric aggregates in its table's CTE (rollups re-aggregate pre-computed parts)."""


@dataclass(frozen=True)
class OutputColumn:
    name: str
    role: Role
    source: str
    """The metric, dimension or attribute the column comes from."""
    label: Text
    format: str | None = None


@dataclass(frozen=True)
class CompiledQuery:
    query: SemanticQuery
    """The query as compiled: the time range made absolute."""
    expression: exp.Query
    columns: tuple[OutputColumn, ...]
    dialect: str
    comparison_range: tuple[date, date] | None = None
    """With `compare`: the half-open range the query compares with."""

    @cached_property
    def sql(self) -> str:
        """The SQL as executed, values inlined, runnable on the same database (rendered once: a
        compare query takes milliseconds to render)."""
        return render(self.expression, self.dialect, pretty=True)


@dataclass
class _Scope:
    """FROM one table, plus the joins its column references need (added as they are used)."""

    model: SemanticModel
    table: str
    hops: dict[str, Hop] = field(default_factory=dict)

    def column(self, target: Dimension | Attribute) -> exp.Expr:
        path = find_path(self.model, self.table, target)
        if path is None:  # resolve_query rules this out
            raise QueryError(f"'{target.name}' is not reachable from table '{self.table}'")
        for hop in path.hops:
            self.hops.setdefault(hop.right, hop)
        sql_text = target.on[path.table] if isinstance(target, Dimension) else target.sql
        return qualify(parse_expression(sql_text), path.table)

    def from_(self, select: exp.Select) -> exp.Select:
        select = select.from_(_source(self.model, self.table), copy=False)
        for hop in self.hops.values():
            on = exp.EQ(
                this=exp.column(hop.left_column, table=hop.left, quoted=True),
                expression=exp.column(hop.right_column, table=hop.right, quoted=True),
            )
            select = select.join(_source(self.model, hop.right), on=on, join_type="left", copy=False)
        return select


def _cte(name: str) -> exp.Table:
    return exp.Table(this=exp.to_identifier(name, quoted=True))


def _source(model: SemanticModel, table: str) -> exp.Table:
    source = exp.to_table(model.table(table).source)
    source.set("alias", exp.TableAlias(this=exp.to_identifier(table, quoted=True)))
    return source


@dataclass(frozen=True)
class _Side:
    """The range one side of a query reads, and how far its periods move to line up with the current side."""

    start: datetime | None
    end: datetime | None
    shift_months: int = 0
    shift_days: int = 0
    prefix: str = ""

    def forward(self, value: exp.Expr) -> exp.Expr:
        """A timestamp of this side moved onto the current side's calendar."""
        if self.shift_months:
            return exp.Add(this=value, expression=sql.interval(self.shift_months, "month"))
        if self.shift_days:
            return exp.Add(this=value, expression=sql.interval(self.shift_days, "day"))
        return value

    def back(self, moment: datetime) -> datetime:
        if self.shift_months:
            return datetime.combine(add_months(moment.date(), -self.shift_months), moment.time())
        return moment - timedelta(days=self.shift_days)


class _Compiler:
    def __init__(
        self,
        model: SemanticModel,
        resolved: ResolvedQuery,
        policies: list[RowFilter],
        today: date | None,
        aggregate: Aggregate | None = None,
        dialect: str = "duckdb",
    ):
        self.model = model
        self.resolved = resolved
        self.query = resolved.query
        self.policies = policies
        self.today = today
        self.week_start = model.calendar.week_start
        self.aggregate = aggregate or (lambda metric: _aggregate(model, metric))
        self.binary_text_order = dialect in _COLLATING_DIALECTS
        """Order text by code point with an explicit collation (PostgreSQL sorts by the database's
        locale, e.g. pinyin; DuckDB and Spark compare bytes)."""

    def text_order(self, names: dict[str, exp.Expr]) -> dict[str, exp.Expr]:
        """Of the output columns `names` (name -> the expression computing it), the text columns to
        order with a binary collation, where the dialect needs one (else none)."""
        if not self.binary_text_order:
            return {}
        fields: dict[str, Dimension | Attribute] = {
            **self.model.attributes_by_name,
            **self.model.dimensions_by_name,
        }
        return {name: value for name, value in names.items() if name in fields and _is_text(fields[name])}

    # conditions shared by every path

    def where(self, scope: _Scope, side: _Side) -> list[exp.Expr]:
        conditions: list[exp.Expr] = []
        time_dim = time_dimension(self.model, scope.table)
        if time_dim is not None and (side.start or side.end):
            column = scope.column(time_dim)
            if side.start:
                conditions.append(exp.GTE(this=column.copy(), expression=sql.literal(side.start)))
            if side.end:
                conditions.append(exp.LT(this=column.copy(), expression=sql.literal(side.end)))
        conditions += self.row_conditions(scope)
        return conditions

    def row_conditions(self, scope: _Scope) -> list[exp.Expr]:
        """Dimension and field filters, then the identity's access policies."""
        conditions = []
        for condition in self.query.filters:
            if condition.metric is None:
                target = self.model.field(condition.target)
                conditions.append(
                    sql.condition(scope.column(target), condition.op, _coerce(target, condition))
                )
        for policy in self.policies:
            dim = self.model.dimension(policy.dimension)
            if find_path(self.model, scope.table, dim) is None:
                continue
            if not policy.values:
                conditions.append(exp.false())
            else:
                conditions.append(sql.condition(scope.column(dim), "in", policy.values))
        return conditions

    def dimension_column(self, scope: _Scope, ref: DimensionRef, dim: Dimension, side: _Side) -> exp.Expr:
        column = scope.column(dim)
        if ref.grain:
            return sql.time_bucket(side.forward(column), ref.grain, self.week_start)
        return column

    # metric queries

    def simple_cte(self, table: str, leaves: list[SimpleMetric], side: _Side) -> exp.Select:
        scope = _Scope(self.model, table)
        keys = [self.dimension_column(scope, ref, dim, side) for ref, dim in self.resolved.dimensions]
        select = exp.select(
            *[
                exp.alias_(key, ref.name, quoted=True)
                for key, (ref, _) in zip(keys, self.resolved.dimensions, strict=True)
            ],
            *[exp.alias_(self.aggregate(leaf), leaf.name, quoted=True) for leaf in leaves],
        )
        conditions = self.where(scope, side)
        select = scope.from_(select)
        if conditions:
            select = select.where(*conditions, copy=False)
        if keys:
            select = select.group_by(*[k.copy() for k in keys], copy=False)
        return select

    def snapshot_cte(self, leaf: SnapshotMetric, side: _Side) -> exp.Select:
        """Records open at each moment: entered before it and not yet left (`end` NULL or later)."""
        scope = _Scope(self.model, leaf.table)
        start = qualify(parse_expression(leaf.start), leaf.table)
        end = qualify(parse_expression(leaf.end), leaf.table)
        grain_refs = [(ref, dim) for ref, dim in self.resolved.dimensions if ref.grain]
        other_keys = [(ref, scope.column(dim)) for ref, dim in self.resolved.dimensions if not ref.grain]
        conditions = self.row_conditions(scope)
        if leaf.filter:
            conditions.append(qualify(parse_expression(leaf.filter), leaf.table))

        def open_at(moment: exp.Expr) -> exp.Expr:
            left = exp.or_(
                exp.Is(this=end.copy(), expression=exp.null()), exp.GTE(this=end.copy(), expression=moment)
            )
            return exp.and_(exp.LT(this=start.copy(), expression=moment.copy()), exp.paren(left))

        columns: list[exp.Expr] = []
        if grain_refs:
            ref = grain_refs[0][0]
            assert ref.grain is not None
            spine = self.spine(ref.grain, side, start)
            columns.append(
                exp.alias_(exp.column("period", table="spine", quoted=True), ref.name, quoted=True)
            )
            conditions.append(open_at(exp.column("moment", table="spine", quoted=True)))
        elif side.end is not None:
            conditions.append(open_at(sql.literal(side.end)))
        else:
            conditions.append(exp.Is(this=end.copy(), expression=exp.null()))
        columns += [exp.alias_(key, ref.name, quoted=True) for ref, key in other_keys]
        columns.append(exp.alias_(exp.Count(this=exp.Star()), leaf.name, quoted=True))
        select = scope.from_(exp.select(*columns))
        if grain_refs:
            select = select.join(spine, join_type="cross", copy=False)
        select = select.where(*conditions, copy=False)
        group = ([exp.column("period", table="spine", quoted=True)] if grain_refs else []) + [
            k.copy() for _, k in other_keys
        ]
        return select.group_by(*group) if group else select

    def spine(self, grain: str, side: _Side, start: exp.Expr) -> exp.Expr:
        """(period, moment) rows: each period of the range and the moment its snapshot is taken."""
        if side.start is not None and side.end is not None:
            rows = []
            period = _bucket_start(_forward(side, side.start), grain, self.week_start)
            current_end = _forward(side, side.end)
            if self.today is not None:  # no snapshots of the future: the running period's is taken now
                current_end = min(current_end, _midnight(self.today + timedelta(days=1)))
            while datetime.combine(period, datetime.min.time()) < current_end:
                following = _next_period(period, grain)
                moment = min(datetime.combine(following, datetime.min.time()), current_end)
                rows.append((period, side.back(moment)))
                period = following
            values = exp.values(
                [
                    exp.tuple_(
                        exp.cast(exp.Literal.string(p.isoformat()), exp.DataType.Type.DATE), sql.literal(m)
                    )
                    for p, m in rows
                ],
                alias="spine",
                columns=["period", "moment"],
            )
            return values
        # No range: the periods in which records started, each snapshot taken at the period's end.
        bucket = sql.time_bucket(start.copy(), grain, self.week_start)
        bucket_end = exp.Add(this=bucket.copy(), expression=sql.interval(1, grain))
        inner = exp.select(
            exp.alias_(bucket, "period", quoted=True),
            exp.alias_(exp.cast(bucket_end, exp.DataType.Type.TIMESTAMP), "moment", quoted=True),
        ).distinct()
        inner = inner.from_(_source(self.model, self._snapshot_table()), copy=False)
        return exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("spine", quoted=True)))

    def _snapshot_table(self) -> str:
        return next(leaf.table for leaf in self.resolved.leaves if isinstance(leaf, SnapshotMetric))

    def side_ctes(self, side: _Side) -> tuple[list[tuple[str, exp.Select]], exp.Select]:
        """The aggregate CTEs of one side and the SELECT combining them into the query's metrics."""
        ctes: list[tuple[str, exp.Select]] = []
        cte_of: dict[str, str] = {}
        by_table: dict[str, list[SimpleMetric]] = {}
        for leaf in self.resolved.leaves:
            if isinstance(leaf, SimpleMetric):
                by_table.setdefault(leaf.table, []).append(leaf)
        for table, leaves in by_table.items():
            name = f"{side.prefix}{table}_metrics"
            ctes.append((name, self.simple_cte(table, leaves, side)))
            cte_of.update({leaf.name: name for leaf in leaves})
        for leaf in self.resolved.leaves:
            if isinstance(leaf, SnapshotMetric):
                name = f"{side.prefix}{leaf.name}_snapshot"
                ctes.append((name, self.snapshot_cte(leaf, side)))
                cte_of[leaf.name] = name
        names = [name for name, _ in ctes]
        dim_names = [ref.name for ref, _ in self.resolved.dimensions]

        def key(dim_name: str) -> exp.Expr:
            refs = [exp.column(dim_name, table=n, quoted=True) for n in names]
            return refs[0] if len(refs) == 1 else exp.Coalesce(this=refs[0], expressions=refs[1:])

        select = exp.select(*[exp.alias_(key(d), d, quoted=True) for d in dim_names])

        def leaf_ref(leaf: Leaf) -> exp.Expr:
            column = _ref(cte_of[leaf.name], leaf.name)
            if len(names) > 1 and _is_count(leaf):  # a group missing from this table's CTE had no rows
                return exp.Coalesce(this=column, expressions=[exp.Literal.number(0)])
            return column

        for metric in self.resolved.metrics:
            value = _metric_expression(self.model, metric, leaf_ref)
            select = select.select(exp.alias_(value, metric.name, quoted=True), copy=False)
        select = select.from_(_cte(names[0]), copy=False)
        for index, name in enumerate(names[1:], start=1):
            if not dim_names:
                select = select.join(_cte(name), join_type="cross", copy=False)
                continue
            seen = names[:index]
            on = exp.and_(
                *[
                    exp.NullSafeEQ(
                        this=exp.Coalesce(
                            this=exp.column(d, table=seen[0], quoted=True),
                            expressions=[exp.column(d, table=s, quoted=True) for s in seen[1:]],
                        )
                        if len(seen) > 1
                        else exp.column(d, table=seen[0], quoted=True),
                        expression=exp.column(d, table=name, quoted=True),
                    )
                    for d in dim_names
                ]
            )
            select = select.join(_cte(name), on=on, join_type="full", copy=False)
        return ctes, select

    def metric_query(self, current: _Side, previous: _Side | None) -> tuple[exp.Select, list[OutputColumn]]:
        ctes, body = self.side_ctes(current)
        dims = [ref.name for ref, _ in self.resolved.dimensions]
        columns = [
            OutputColumn(ref.name, "dimension", ref.name, dim.label, "date" if ref.grain else None)
            for ref, dim in self.resolved.dimensions
        ]
        value: Callable[[str], exp.Expr]
        if previous is None:
            query = body
            columns += [
                OutputColumn(m.name, "metric", m.name, m.label, m.format) for m in self.resolved.metrics
            ]

            def computed(name: str) -> exp.Expr:
                return next(e.this for e in body.expressions if e.alias_or_name == name).copy()

            def value(name: str) -> exp.Expr:
                # the metric's expression: only DuckDB lets WHERE name a SELECT alias (a ratio's)
                return computed(name)

            dimension_value = computed

        else:
            prev_ctes, prev_body = self.side_ctes(previous)
            ctes = [*ctes, *prev_ctes, ("current_period", body), ("previous_period", prev_body)]
            # A group of either period appears: one that vanished is a change too (its count is now 0).
            query = exp.select(
                *[
                    exp.alias_(
                        exp.Coalesce(
                            this=_ref("current_period", d), expressions=[_ref("previous_period", d)]
                        ),
                        d,
                        quoted=True,
                    )
                    for d in dims
                ]
            )
            for metric in self.resolved.metrics:
                query = query.select(*self.compared(metric), copy=False)
                columns += _compared_columns(metric)
            query = query.from_(_cte("current_period"), copy=False)
            if dims:
                same_group = [
                    exp.NullSafeEQ(this=_ref("current_period", d), expression=_ref("previous_period", d))
                    for d in dims
                ]
                query = query.join(
                    _cte("previous_period"), on=exp.and_(*same_group), join_type="full", copy=False
                )
            else:
                query = query.join(_cte("previous_period"), join_type="cross", copy=False)

            def value(name: str) -> exp.Expr:
                return _period_value("current_period", self.model.metric(name))

            def dimension_value(name: str) -> exp.Expr:
                return exp.Coalesce(
                    this=_ref("current_period", name), expressions=[_ref("previous_period", name)]
                )

        having = [
            sql.condition(value(f.target), f.op, _metric_values(f))
            for f in self.query.filters
            if f.metric is not None
        ]
        if having:
            query = query.where(*having, copy=False)
        text = self.text_order(
            {ref.name: dimension_value(ref.name) for ref, _ in self.resolved.dimensions if not ref.grain}
        )
        query = _order_and_limit(query, self.query, dims, value, self.query.limit, text)
        for name, cte in ctes:
            query = query.with_(exp.to_identifier(name, quoted=True), as_=cte, copy=False)
        return query, columns

    def compared(self, metric: Metric) -> list[exp.Expr]:
        """m, m__previous, m__change, m__change_pct."""
        now = _period_value("current_period", metric)
        before = _period_value("previous_period", metric)
        change = exp.Sub(this=now.copy(), expression=before.copy())
        pct = exp.Div(
            this=exp.cast(exp.paren(change.copy()), exp.DataType.Type.DOUBLE),
            expression=exp.Nullif(this=exp.Abs(this=before.copy()), expression=exp.Literal.number(0)),
        )
        return [
            exp.alias_(now, metric.name, quoted=True),
            exp.alias_(before, f"{metric.name}__previous", quoted=True),
            exp.alias_(change, f"{metric.name}__change", quoted=True),
            exp.alias_(pct, f"{metric.name}__change_pct", quoted=True),
        ]

    # detail queries

    def detail_query(self, side: _Side, limit: int) -> tuple[exp.Select, list[OutputColumn]]:
        root = self.resolved.root
        assert root is not None
        scope = _Scope(self.model, root)
        columns = []
        select = exp.select()
        for name in self.query.fields:
            target = self.model.field(name)
            select = select.select(exp.alias_(scope.column(target), name, quoted=True), copy=False)
            fmt = target.format if isinstance(target, Attribute) else None
            columns.append(OutputColumn(name, "field", name, target.label, fmt))
        conditions = self.where(scope, side)
        select = scope.from_(select)
        if conditions:
            select = select.where(*conditions, copy=False)
        table = self.model.table(root)
        tiebreak = [table.primary_key] if table.primary_key else []
        text = self.text_order(
            {name: scope.column(self.model.field(name)) for name in {o.field for o in self.query.order_by}}
        )
        orders = [
            exp.Ordered(
                this=_binary(text[o.field]) if o.field in text else exp.column(o.field, quoted=True),
                desc=o.desc,
                nulls_first=False,
            )
            for o in self.query.order_by
        ]
        key_text = self.text_order({k: exp.column(k, table=root, quoted=True) for k in tiebreak})
        orders += [
            exp.Ordered(
                this=_binary(key_text[k]) if k in key_text else exp.column(k, table=root, quoted=True),
                nulls_first=False,
            )
            for k in tiebreak
        ]
        if orders:
            select = select.order_by(*orders, copy=False)
        return select.limit(min(self.query.limit or limit, limit)), columns


def _period_value(period: str, metric: Metric) -> exp.Expr:
    """A metric's value on one side of a comparison; a count of a group absent there is 0."""
    value: exp.Expr = _ref(period, metric.name)
    if _is_count(metric):
        value = exp.Coalesce(this=value, expressions=[exp.Literal.number(0)])
    return value


def _ref(table: str, column: str) -> exp.Column:
    return exp.column(column, table=table, quoted=True)


def _is_count(metric: Metric) -> bool:
    """Counts are 0, not NULL, for a group with no rows."""
    return isinstance(metric, SnapshotMetric) or (
        isinstance(metric, SimpleMetric) and metric.agg in ("count", "count_distinct")
    )


def _compared_columns(metric: Metric) -> list[OutputColumn]:
    def column(suffix: str, role: Role, zh: str, en: str, fmt: str | None) -> OutputColumn:
        return OutputColumn(metric.name + suffix, role, metric.name, _labelled(metric.label, zh, en), fmt)

    return [
        OutputColumn(metric.name, "metric", metric.name, metric.label, metric.format),
        column("__previous", "previous", "上期{}", "{} (previous)", metric.format),
        column("__change", "change", "{}变化", "{} change", metric.format),
        column("__change_pct", "change_pct", "{}变化率", "{} change %", "percent"),
    ]


def _forward(side: _Side, moment: datetime) -> datetime:
    if side.shift_months:
        return datetime.combine(add_months(moment.date(), side.shift_months), moment.time())
    return moment + timedelta(days=side.shift_days)


def _bucket_start(moment: datetime, grain: str, week_start: str) -> date:
    day = moment.date()
    if grain == "day":
        return day
    if grain == "week":
        from .periods import week_start as start_of_week

        return start_of_week(day, week_start)
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return date(day.year, 1, 1)


def _next_period(period: date, grain: str) -> date:
    steps = {"day": timedelta(days=1), "week": timedelta(days=7)}
    if grain in steps:
        return period + steps[grain]
    return add_months(period, {"month": 1, "quarter": 3, "year": 12}[grain])


def _aggregate(model: SemanticModel, metric: SimpleMetric) -> exp.Expr:
    value = qualify(parse_expression(metric.expr), metric.table) if metric.expr else None
    if value is not None and metric.agg in ("sum", "avg") and _is_boolean(model, metric.table, value):
        # a share or count of true values: PostgreSQL and Spark neither sum nor average booleans
        value = exp.Case().when(value, exp.Literal.number(1)).else_(exp.Literal.number(0))
    if metric.filter:
        condition = qualify(parse_expression(metric.filter), metric.table)
        value = exp.Case().when(condition, value or exp.Literal.number(1))
    agg = metric.agg
    if agg == "count":
        return exp.Count(this=value if value is not None else exp.Star())
    assert value is not None  # the model requires an expr for every other aggregation
    if agg == "count_distinct":
        return exp.Count(this=exp.Distinct(expressions=[value]))
    if agg == "median":
        return exp.Median(this=value)
    if agg == "percentile":
        return exp.PercentileCont(this=value, expression=exp.Literal.number(metric.percentile))
    functions: dict[str, type[exp.AggFunc]] = {"sum": exp.Sum, "avg": exp.Avg, "min": exp.Min, "max": exp.Max}
    return functions[agg](this=value)


_PREDICATES = (exp.Predicate, exp.Not, exp.And, exp.Or, exp.Boolean)


def _is_boolean(model: SemanticModel, table: str, value: exp.Expr) -> bool:
    """Whether `value` (on `table`) is a truth value: a comparison or logic, or a boolean column."""
    inner = value.unnest()
    if isinstance(inner, _PREDICATES):
        return True
    if not isinstance(inner, exp.Column):
        return False
    booleans = {d.on.get(table) for d in model.dimensions if d.type == "boolean"}
    booleans |= {a.sql for a in model.attributes if a.table == table and a.type == "boolean"}
    return inner.name in booleans


def _metric_expression(
    model: SemanticModel, metric: Metric, leaf_ref: Callable[[Leaf], exp.Expr]
) -> exp.Expr:
    """A metric over the leaf columns of the aggregate CTEs: ratios divide, derived metrics compute."""
    if isinstance(metric, SimpleMetric | SnapshotMetric):
        return leaf_ref(metric)
    if isinstance(metric, RatioMetric):
        return sql.safe_divide(
            _metric_expression(model, model.metric(metric.numerator), leaf_ref),
            _metric_expression(model, model.metric(metric.denominator), leaf_ref),
        )

    def substitute(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column):
            return exp.paren(_metric_expression(model, model.metric(node.name), leaf_ref))
        return node

    assert isinstance(metric, DerivedMetric)
    return parse_expression(metric.expr).transform(substitute)


def _order_and_limit(
    query: exp.Select,
    semantic: SemanticQuery,
    dims: list[str],
    value: Callable[[str], exp.Expr],
    limit: int | None,
    text: dict[str, exp.Expr] | None = None,
) -> exp.Select:
    """ORDER BY the query's order, then every dimension ascending, so that ties come out the same every
    time. NULLs last, and `text` columns (name -> expression) in code point order, on every engine."""
    text = text or {}

    def key(name: str) -> exp.Expr:
        return _binary(text[name]) if name in text else exp.column(name, quoted=True)

    ordered = [o.field for o in semantic.order_by]
    orders = [exp.Ordered(this=key(o.field), desc=o.desc, nulls_first=False) for o in semantic.order_by]
    orders += [exp.Ordered(this=key(d), nulls_first=False) for d in dims if d not in ordered]
    if orders:
        query = query.order_by(*orders, copy=False)
    return query.limit(limit) if limit else query


# Dialects whose text order follows the database's locale unless a collation is named.
_COLLATING_DIALECTS = frozenset({"postgres"})


def _is_text(target: Dimension | Attribute) -> bool:
    return target.type == "categorical" if isinstance(target, Dimension) else target.type == "string"


def _binary(value: exp.Expr) -> exp.Expr:
    """`value COLLATE "C"`: text compared by code point, as DuckDB and Spark compare it."""
    return exp.Collate(this=value.copy(), expression=exp.to_identifier("C", quoted=True))


def _labelled(label: Text, zh_pattern: str, en_pattern: str) -> Text:
    return Text(zh=zh_pattern.format(label.get("zh")), en=en_pattern.format(label.get("en")))


_TRUTHY = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def _coerce(target: Dimension | Attribute, condition: Filter) -> tuple[object, ...]:
    """Filter values as the column stores them (`"true"` for a boolean dimension is True), or a
    QueryError naming the filter when a value cannot be one (`csat_score = "abc"`): a value of the
    wrong type must be the asker's error, not the database's."""
    kind = target.type
    if condition.op == "contains":
        return tuple(str(v) for v in condition.values)
    if kind == "boolean":
        return tuple(_typed(target, v, _boolean) for v in condition.values)
    if kind in ("number", "integer"):
        return tuple(_typed(target, v, _number) for v in condition.values)
    if kind in ("time", "date", "timestamp"):
        return tuple(_typed(target, v, _moment) for v in condition.values)
    # categorical and string columns hold text: a number given for one is its text ("5")
    return tuple(
        v if v is None or isinstance(v, str) else str(v).lower() if isinstance(v, bool) else str(v)
        for v in condition.values
    )


def _metric_values(condition: Filter) -> tuple[object, ...]:
    try:
        return tuple(_number(v) for v in condition.values)
    except (TypeError, ValueError, OverflowError):
        raise QueryError(
            f"the filter on metric '{condition.metric}' needs numbers, got {list(condition.values)}"
        ) from None


def _typed(target: Dimension | Attribute, value: object, convert: Callable[[object], object]) -> object:
    if value is None:
        return None
    try:
        return convert(value)
    except (TypeError, ValueError, OverflowError):
        expected = {"boolean": "true or false", "number": "a number", "integer": "a number"}.get(
            target.type, "a date (YYYY-MM-DD)"
        )
        raise QueryError(f"the filter on '{target.name}' needs {expected}, got {value!r}") from None


def _boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in _TRUTHY:
        return _TRUTHY[value.lower()]
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    raise ValueError(value)


def _number(value: object) -> int | float:
    if isinstance(value, bool):
        raise TypeError(value)
    if isinstance(value, int | float):
        number = value
    else:
        number = float(str(value)) if "." in str(value) or "e" in str(value).lower() else int(str(value))
    if isinstance(number, float) and not math.isfinite(number):
        raise ValueError(value)
    if isinstance(number, int) and abs(number) >= 2**63:
        raise OverflowError(value)
    return number


def _moment(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    parsed = datetime.fromisoformat(value)  # a date or a timestamp, ISO 8601
    if not 1900 <= parsed.year <= 2999:
        raise ValueError(value)
    return value


def absolute_time_range(
    model: SemanticModel, time_range: TimeRange | None, today: date | None
) -> tuple[date | None, date | None]:
    if time_range is None:
        return None, None
    if time_range.period is None:
        return time_range.start, time_range.end
    if today is None:
        raise QueryError(f"the relative period '{time_range.period}' needs today's date to resolve")
    return resolve_period(time_range.period, today, model.calendar.week_start)


def compile_query(
    model: SemanticModel,
    query: SemanticQuery,
    *,
    identity: Identity | None = None,
    today: date | None = None,
    dialect: str = "duckdb",
    detail_limit: int = DEFAULT_DETAIL_LIMIT,
    aggregate: Aggregate | None = None,
) -> CompiledQuery:
    """Compile `query` for `identity` (None: no access policies apply) into the engine's SQL.

    `today` resolves relative periods and caps the comparison range of a period still running
    (this month so far is compared with the same days of last month). `aggregate` replaces how
    simple metrics aggregate (rollups.py: sums of pre-aggregated counts).
    """
    resolved = resolve_query(model, query)
    start, end = absolute_time_range(model, query.time_range, today)
    if start is not None or end is not None:
        query = query.model_copy(update={"time_range": TimeRange(start=start, end=end)})
        resolved = ResolvedQuery(query, resolved.metrics, resolved.leaves, resolved.dimensions, resolved.root)
    policies = row_filters(model, identity) if identity is not None else []
    compiler = _Compiler(model, resolved, policies, today, aggregate, dialect)
    current = _Side(_at_midnight(start), _at_midnight(end))
    previous = None
    if query.is_detail:
        expression, columns = compiler.detail_query(current, detail_limit)
    else:
        if query.compare:
            assert start is not None
            previous = _comparison_side(start, end, query.compare, today)
        expression, columns = compiler.metric_query(current, previous)
    comparison_range = None
    if previous is not None and previous.start is not None and previous.end is not None:
        comparison_range = (previous.start.date(), previous.end.date())
    return CompiledQuery(query, expression, tuple(columns), dialect, comparison_range)


def _comparison_side(start: date, end: date | None, compare: str, today: date | None) -> _Side:
    """The range `compare` reads: shifted by the full range's own length, and ending as many days
    after its start as the current range has run so far (this month so far -> the same days of last
    month), so that a period still in progress is compared like with like."""
    nominal_end = end if end is not None else (today or start) + timedelta(days=1)
    months, days = comparison_shift(start, max(nominal_end, start + timedelta(days=1)), compare)
    elapsed_end = min(nominal_end, today + timedelta(days=1)) if today is not None else nominal_end
    elapsed_end = max(elapsed_end, start + timedelta(days=1))
    shifted = _Side(None, None, months, days)
    return _Side(
        shifted.back(_midnight(start)), shifted.back(_midnight(elapsed_end)), months, days, "previous_"
    )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time())


def _at_midnight(day: date | None) -> datetime | None:
    return _midnight(day) if day is not None else None
