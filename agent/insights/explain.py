"""Why a metric changed, or why it sits where it does: the change split into group contributions, one
dimension at a time, every number queried through the semantic layer.

How a metric splits (`_shape`):
- additive (counts, sums, snapshots, and derived metrics linear in those): a group's contribution to
  the change is its own change, `c_g = b_g - a_g` (a: previous, b: current; 0 when absent);
- a ratio of additive metrics (ratio metrics, derived metrics of the form `linear / additive` such as
  NPS, and averages, which are sum / count of the values counted): the overall value is the
  weighted mean of the group rates, `R = sum_g w_g r_g`, with `w_g` the group's share of the
  denominator (for an average: of the non-NULL values, counted by a companion `count(expr)` metric
  built from the average's own definition). With p, q the previous and current weights, a, b the
  previous and current rates and `R_mid = (R_prev + R_cur) / 2`:
      rate_g = (p_g + q_g) / 2 * (b_g - a_g)
      mix_g  = (q_g - p_g) * ((a_g + b_g) / 2 - R_mid)
      c_g    = rate_g + mix_g
  The form is symmetric in the two periods, and `sum_g c_g = R_cur - R_prev` exactly because
  `rate_g + mix_g + (q_g - p_g) * R_mid = q_g b_g - p_g a_g` and `sum_g (q_g - p_g) = 0`. A group present
  in one period only has no rate effect: `mix_g = q_g (b_g - R_mid)` (new) or `-p_g (a_g - R_mid)`
  (gone). Centring on R_mid makes a group that gains weight push the metric up only if its rate is
  above the average.
- with no comparison period, a level is explained: `c_g = q_g (b_g - R)` (the group's gap from the
  overall value, weighted by volume; the contributions add up to 0), or for an additive metric the
  group's amount (adding up to the total).

Ranking: a group that moved exactly like the whole would contribute its share of volume,
`w_mid = (p_g + q_g) / 2`, of the change. Its excess, `c_g - w_mid * change`, in the direction of the
change (or, for a level, the direction that is bad for the metric's polarity) is what makes it a
driver: a large segment that merely followed the trend is not one. `DimensionDrivers.concentration` is
the largest excess in a dimension as a share of the change (of the overall value, for a level);
dimensions are ranked by it and the top drivers across dimensions by their excess.

Queries: one for the total, then one per candidate dimension (the metric and its weight, with
`compare`), all as the caller's identity. A compare query lists the groups of both periods, so a group
that is gone is there too.
Candidates: the dimensions asked for, else every categorical dimension reaching the metric, except
those the filters pin to one value, those the metric's own definition uses, those with one group and
those with more than MAX_GROUPS groups. Metric filters (HAVING) are dropped: every group counts.

Then segments.py looks for pairs of groups of two candidate dimensions that explain more than their
groups do alone (`ChangeExplanation.segments`, with their own queries in `segment_sql`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from sqlglot import exp

from semantic_layer.errors import QueryError
from semantic_layer.expressions import columns_of, parse_expression
from semantic_layer.identity import Identity
from semantic_layer.layer import SemanticLayer
from semantic_layer.model import (
    DerivedMetric,
    Metric,
    Polarity,
    RatioMetric,
    SemanticModel,
    SimpleMetric,
    SnapshotMetric,
)
from semantic_layer.query import DimensionRef, SemanticQuery
from semantic_layer.resolve import leaf_metrics, resolve_query

from ..analysis import ChangeExplanation, Contribution, DimensionDrivers

MAX_GROUPS = 200
"""Candidate dimensions with more groups than this are skipped unless asked for."""
TOP_DRIVERS = 5
NULL_LABEL = "(null)"
"""The value shown for the group of rows where the dimension is NULL."""


@dataclass(frozen=True)
class _Shape:
    """How a metric splits over groups: additive, or a ratio whose weights come from `weight`."""

    kind: Literal["additive", "ratio"]
    weight: str | None = None
    companions: tuple[SimpleMetric, ...] = ()
    """Metrics built from the metric's own definition (an average's count of values)."""


@dataclass(frozen=True)
class _Figures:
    """One group (or the whole) in both periods: the metric's value and its weight amount."""

    key: Any
    current: float | None
    previous: float | None
    weight_current: float
    weight_previous: float


def explain_change(
    layer: SemanticLayer,
    query: SemanticQuery,
    identity: Identity | None = None,
    dimensions: Sequence[str] | None = None,
) -> ChangeExplanation:
    """Split the change of `query.metrics[0]` over `query.time_range` against `query.compare` (or,
    with no compare, its gap from each group's value) across candidate dimensions, strongest first.
    A repeat on the same data, for the same rows and day, comes from the layer's cache."""
    if layer.cache is None:
        return _explain_change(layer, query, identity, dimensions)
    asked = None if dimensions is None else tuple(dimensions)
    key = layer.cache_key(query, identity, layer.clock.today(), "explain_change", asked)
    return layer.cache.remember(
        key, lambda: _explain_change(layer, query, identity, dimensions), _explanation_cells
    )


def _explanation_cells(explanation: ChangeExplanation) -> int:
    return 1 + sum(len(d.contributions) for d in explanation.drivers) + len(explanation.segments)


def _explain_change(
    layer: SemanticLayer,
    query: SemanticQuery,
    identity: Identity | None,
    dimensions: Sequence[str] | None,
) -> ChangeExplanation:
    model = layer.model
    if query.is_detail or len(query.metrics) != 1:
        raise QueryError("explaining a change needs exactly one metric")
    metric = model.metric(query.metrics[0])
    shape = _shape(model, metric)
    working = _with_companions(layer, shape.companions)
    names = (metric.name,) + ((shape.weight,) if shape.weight else ())
    base = _explained_query(query, names)
    compare = query.compare is not None
    compiled = working.compile(base, identity)  # the ranges as the semantic layer resolves them
    time_range = compiled.query.time_range
    start, end = (time_range.start, time_range.end) if time_range else (None, None)
    previous_range = compiled.comparison_range

    total_result = working.query(base, identity)
    sql = [total_result.sql]
    totals = _figures(total_result.records()[0], None, metric.name, shape, compare)
    change = _total_change(totals, shape, compare)
    current_range = (_iso(start), _iso(end))
    explanation: dict[str, Any] = {
        "metric": metric.name,
        "current_value": totals.current,
        "previous_value": totals.previous if compare else None,
        "change": change if compare else None,
        "change_pct": _change_pct(change, totals.previous) if compare else None,
        "current_range": current_range,
        "previous_range": (_iso(previous_range[0]), _iso(previous_range[1])) if previous_range else None,
    }
    if change is None or (not compare and totals.current is None):
        return ChangeExplanation(**explanation, drivers=(), top=(), sql=tuple(sql))

    ranked: list[tuple[DimensionDrivers, list[tuple[Contribution, float]]]] = []
    for name, asked in _candidates(working.model, names, query, dimensions):
        grouped = base.model_copy(
            update={"dimensions": (DimensionRef(name=name),), "limit": None if asked else MAX_GROUPS + 1}
        )
        result = working.query(grouped, identity)
        sql.append(result.sql)
        if result.truncated or (not asked and len(result.rows) > MAX_GROUPS):
            continue
        groups = [_figures(row, name, metric.name, shape, compare) for row in result.records()]
        if not asked and len(groups) < 2:
            continue
        scored = _contributions(name, groups, totals, shape, compare, metric.polarity)
        _check_sum(metric.name, name, [c for c, _ in scored], change)
        concentration = max([0.0, *(score for _, score in scored)])
        drivers = DimensionDrivers(
            dimension=name, contributions=tuple(c for c, _ in scored), concentration=concentration
        )
        ranked.append((drivers, scored))

    ranked.sort(key=lambda item: -item[0].concentration)
    candidates = [(score, c) for _, scored in ranked for c, score in scored if score > 0]
    candidates.sort(key=lambda item: -item[0])
    from .segments import search_segments  # imported here: segments builds on this module's helpers

    counts = {drivers.dimension: len(drivers.contributions) for drivers, _ in ranked}
    segments = search_segments(layer, query, identity, dimensions=counts)
    return ChangeExplanation(
        **explanation,
        drivers=tuple(drivers for drivers, _ in ranked),
        top=tuple(c for _, c in candidates[:TOP_DRIVERS]),
        sql=tuple(sql),
        segments=segments.segments,
        segment_sql=segments.sql,
    )


def _explained_query(query: SemanticQuery, metrics: tuple[str, ...]) -> SemanticQuery:
    """The metrics over the question's rows and periods, ungrouped (metric filters dropped: every
    group counts)."""
    return SemanticQuery(
        metrics=metrics,
        filters=tuple(f for f in query.filters if f.metric is None),
        time_range=query.time_range,
        compare=query.compare,
    )


# --- how a metric splits ---------------------------------------------------------------------------


def _shape(model: SemanticModel, metric: Metric) -> _Shape:
    """Additive, or a ratio of additive parts with its weight metric; QueryError when neither."""
    if _is_additive(model, metric):
        return _Shape("additive")
    if isinstance(metric, SimpleMetric) and metric.agg == "avg":
        count = SimpleMetric(
            name=_free_name(model, f"{metric.name}__values"),
            table=metric.table,
            agg="count",
            expr=metric.expr,
            filter=metric.filter,
            format="count",
            hidden=True,
        )
        return _Shape("ratio", count.name, (count,))
    if isinstance(metric, RatioMetric):
        numerator, denominator = model.metric(metric.numerator), model.metric(metric.denominator)
        if _is_additive(model, numerator) and _is_additive(model, denominator):
            return _Shape("ratio", denominator.name)
    if isinstance(metric, DerivedMetric):
        tree = _unwrap(parse_expression(metric.expr))
        if isinstance(tree, exp.Div):
            denominator_tree = _unwrap(tree.expression)
            if isinstance(denominator_tree, exp.Nullif):
                denominator_tree = _unwrap(denominator_tree.this)
            if (
                isinstance(denominator_tree, exp.Column)
                and _is_additive(model, model.metric(denominator_tree.name))
                and _linear(model, tree.this)
            ):
                return _Shape("ratio", denominator_tree.name)
    raise QueryError(
        f"the change of '{metric.name}' cannot be split into group contributions: only counts, sums, "
        "averages and ratios of counts or sums add up over groups (medians, percentiles, distinct "
        "counts and other formulas do not)"
    )


def _is_additive(model: SemanticModel, metric: Metric) -> bool:
    """The groups' values add up to the whole's (rows fall in exactly one group)."""
    if isinstance(metric, SnapshotMetric):
        return True
    if isinstance(metric, SimpleMetric):
        return metric.agg in ("count", "sum")
    if isinstance(metric, DerivedMetric):
        return _linear(model, parse_expression(metric.expr))
    return False


def _linear(model: SemanticModel, node: exp.Expr) -> bool:
    """A sum of additive metrics times constants (no constant term, which would not add up)."""
    node = _unwrap(node)
    if isinstance(node, exp.Column):
        return _is_additive(model, model.metric(node.name))
    if isinstance(node, exp.Add | exp.Sub):
        return _linear(model, node.this) and _linear(model, node.expression)
    if isinstance(node, exp.Neg):
        return _linear(model, node.this)
    if isinstance(node, exp.Mul):
        left, right = _unwrap(node.this), _unwrap(node.expression)
        return (_constant(left) and _linear(model, right)) or (_constant(right) and _linear(model, left))
    if isinstance(node, exp.Div):
        return _constant(_unwrap(node.expression)) and _linear(model, node.this)
    return False


def _constant(node: exp.Expr) -> bool:
    return isinstance(node, exp.Literal) and not node.is_string


def _unwrap(node: exp.Expr) -> exp.Expr:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def _free_name(model: SemanticModel, name: str) -> str:
    while name in model.metrics_by_name:
        name += "_"
    return name


def _with_companions(layer: SemanticLayer, companions: tuple[SimpleMetric, ...]) -> SemanticLayer:
    """The same layer over the model plus `companions` (policies, cache and rollups apply as usual)."""
    return layer.extended(companions)


# --- which dimensions ---------------------------------------------------------------------------------


def _candidates(
    model: SemanticModel, metrics: tuple[str, ...], query: SemanticQuery, asked: Sequence[str] | None
) -> list[tuple[str, bool]]:
    """(dimension, asked for) pairs: the ones asked for, else every categorical dimension that reaches
    the metric, that the filters do not pin to one value and that is not part of the metric's own
    definition (resolution rate by status would only restate what "resolved" means)."""
    if asked is None:
        asked = [d.name for d in query.dimensions if not d.grain]
    if asked:
        for name in asked:
            if model.dimension(name).type == "time":
                raise QueryError(f"'{name}' is a time dimension; a change is explained by categories")
        return [(name, True) for name in dict.fromkeys(asked)]
    pinned = {
        f.dimension
        for f in query.filters
        if f.dimension and (f.op == "eq" or (f.op == "in" and len(set(f.values)) == 1))
    }
    defining = _definition_columns(model, metrics)
    found = []
    for dim in model.dimensions:
        if dim.type != "categorical" or dim.name in pinned:
            continue
        if any(
            (table, column) in defining
            for table, sql in dim.on.items()
            for column in columns_of(parse_expression(sql))
        ):
            continue
        try:
            resolve_query(model, SemanticQuery(metrics=metrics, dimensions=(DimensionRef(name=dim.name),)))
        except QueryError:
            continue
        found.append((dim.name, False))
    return found


def _definition_columns(model: SemanticModel, metrics: tuple[str, ...]) -> set[tuple[str, str]]:
    """(table, column) pairs the metrics' leaves aggregate or filter on."""
    found: set[tuple[str, str]] = set()
    for name in metrics:
        for leaf in leaf_metrics(model, model.metric(name)):
            parts = [leaf.filter]
            parts += [leaf.expr] if isinstance(leaf, SimpleMetric) else [leaf.start, leaf.end]
            for sql in filter(None, parts):
                found |= {(leaf.table, column) for column in columns_of(parse_expression(sql))}
    return found


# --- figures from result rows -----------------------------------------------------------------------


def _figures(
    row: dict[str, Any], dimension: str | None, metric: str, shape: _Shape, compare: bool
) -> _Figures:
    """A result row as figures (a compare query lists the groups of both periods)."""
    key = row[dimension] if dimension else None

    def number(name: str) -> float | None:
        value = row.get(name)
        return None if value is None else float(value)

    current = number(metric)
    previous = number(f"{metric}__previous") if compare else None
    if shape.kind == "additive":
        return _Figures(key, current, previous, current or 0.0, previous or 0.0)
    assert shape.weight is not None
    weight_previous = number(f"{shape.weight}__previous") if compare else None
    return _Figures(key, current, previous, number(shape.weight) or 0.0, weight_previous or 0.0)


def _total_change(totals: _Figures, shape: _Shape, compare: bool) -> float | None:
    if not compare:
        return 0.0 if shape.kind == "ratio" else totals.current
    if shape.kind == "additive":
        return (totals.current or 0.0) - (totals.previous or 0.0)
    if totals.current is None or totals.previous is None:
        return None
    return totals.current - totals.previous


def _change_pct(change: float | None, previous: float | None) -> float | None:
    if change is None or not previous:
        return None
    return change / abs(previous)


# --- the decomposition (pure) -----------------------------------------------------------------------


def _contributions(
    dimension: str,
    groups: list[_Figures],
    totals: _Figures,
    shape: _Shape,
    compare: bool,
    polarity: Polarity,
) -> list[tuple[Contribution, float]]:
    """Each group's contribution, with its ranking score (its excess over its share of volume, in the
    direction being explained); largest absolute contribution first (a level: bad direction first)."""
    weight_now = totals.weight_current
    weight_before = totals.weight_previous
    change = _total_change(totals, shape, compare)
    assert change is not None
    if compare:
        direction = math.copysign(1.0, change) if change else 0.0
    else:
        direction = {"lower_is_better": 1.0, "higher_is_better": -1.0}.get(polarity, 0.0)
    scored: list[tuple[Contribution, float]] = []
    for group in groups:
        q = group.weight_current / weight_now if weight_now else 0.0
        p = group.weight_previous / weight_before if weight_before else 0.0
        value, mix, rate = _effect(group, p, q, totals, shape, compare)
        # What the group adds beyond moving with its size (a level has no total to move with).
        excess = value - (p + q) / 2 * change if compare else value
        scale = change if compare else (totals.current or 0.0)
        score = direction * excess if direction else abs(excess)
        contribution = Contribution(
            dimension=dimension,
            value=_label(group.key),
            current=group.current,
            previous=group.previous if compare else None,
            weight=q,
            change=value,
            share_of_change=(value / change if compare else value / abs(scale)) if scale else 0.0,
            mix_effect=mix,
            rate_effect=rate,
        )
        scored.append((contribution, score / abs(scale) if scale else 0.0))
    if compare or not direction:
        scored.sort(key=lambda item: (-abs(item[0].change), item[0].value))
    else:  # a level: the groups that make it worse first, the worst first
        scored.sort(key=lambda item: (-direction * item[0].change, item[0].value))
    return scored


def _effect(
    group: _Figures, p: float, q: float, totals: _Figures, shape: _Shape, compare: bool
) -> tuple[float, float | None, float | None]:
    """(contribution, mix effect, rate effect) of one group with weights p (previous) and q (current)."""
    if shape.kind == "additive":
        now, before = group.current or 0.0, group.previous or 0.0
        return (now - before if compare else now), None, None
    assert totals.current is not None
    if not compare:
        return (q * (group.current - totals.current) if q and group.current is not None else 0.0), None, None
    assert totals.previous is not None
    middle = (totals.current + totals.previous) / 2
    now_rate = group.current if q else None
    before_rate = group.previous if p else None
    if now_rate is not None and before_rate is not None:
        rate = (p + q) / 2 * (now_rate - before_rate)
        mix = (q - p) * ((now_rate + before_rate) / 2 - middle)
    elif now_rate is not None:  # new: it only brings its weight
        rate, mix = 0.0, q * (now_rate - middle)
    elif before_rate is not None:  # gone: it only takes its weight away
        rate, mix = 0.0, -p * (before_rate - middle)
    else:
        rate = mix = 0.0
    return rate + mix, mix, rate


def _check_sum(metric: str, dimension: str, contributions: list[Contribution], total: float) -> None:
    """The contributions of one dimension must add up to the total; anything else is a bug to report."""
    summed = math.fsum(c.change for c in contributions)
    scale = max([1.0, abs(total), *(abs(c.change) for c in contributions)])
    if abs(summed - total) > 1e-9 * scale:
        raise QueryError(
            f"the change of '{metric}' does not split exactly over '{dimension}' "
            f"(groups add up to {summed!r}, the total is {total!r})"
        )


def _label(value: Any) -> str:
    if value is None:
        return NULL_LABEL
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None
