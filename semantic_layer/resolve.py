"""Resolve a SemanticQuery against a model: every name checked, every metric reduced to its leaves.

A leaf is a simple or snapshot metric, aggregated on its own table; ratio and derived metrics are
computed from leaves. Resolution fails with a QueryError (and suggestions) when a name is unknown or a
dimension cannot reach a metric's table along declared relationships.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from .errors import QueryError, UnknownFieldError
from .expressions import parse_expression
from .joins import find_path, paths_from
from .model import Attribute, Dimension, Metric, RatioMetric, SemanticModel, SimpleMetric, SnapshotMetric
from .query import DimensionRef, SemanticQuery

Leaf = SimpleMetric | SnapshotMetric


@dataclass(frozen=True)
class ResolvedQuery:
    query: SemanticQuery
    metrics: tuple[Metric, ...]
    leaves: tuple[Leaf, ...]
    dimensions: tuple[tuple[DimensionRef, Dimension], ...]
    root: str | None = None
    """Detail queries: the table whose records are listed."""


def leaf_metrics(model: SemanticModel, metric: Metric) -> list[Leaf]:
    """The simple and snapshot metrics `metric` is computed from (itself if it is one)."""
    if isinstance(metric, SimpleMetric | SnapshotMetric):
        return [metric]
    if isinstance(metric, RatioMetric):
        refs = [metric.numerator, metric.denominator]
    else:
        refs = sorted(c.name for c in parse_expression(metric.expr).find_all(exp.Column))
    leaves: list[Leaf] = []
    for ref in refs:
        for leaf in leaf_metrics(model, model.metric(ref)):
            if leaf not in leaves:
                leaves.append(leaf)
    return leaves


def resolve_query(model: SemanticModel, query: SemanticQuery) -> ResolvedQuery:
    """Check every name in `query` against the model and that each metric can be cut as asked."""
    if query.is_detail:
        return _resolve_detail(model, query)
    metrics = tuple(model.metric(name) for name in query.metrics)
    leaves: list[Leaf] = []
    for metric in metrics:
        leaves += [leaf for leaf in leaf_metrics(model, metric) if leaf not in leaves]
    dimensions = []
    for ref in query.dimensions:
        dim = model.dimension(ref.name)
        if ref.grain and dim.type != "time":
            raise QueryError(f"dimension '{dim.name}' is not a time dimension and takes no grain")
        if ref.grain and ref.grain not in dim.grains:
            raise QueryError(
                f"dimension '{dim.name}' has no grain '{ref.grain}'", suggestions=list(dim.grains)
            )
        dimensions.append((ref, dim))
    for leaf in leaves:
        for _, dim in dimensions:
            _require_path(model, leaf, dim)
        for condition in query.filters:
            if condition.metric is None:
                _require_path(model, leaf, model.field(condition.target))
        if query.time_range and time_dimension(model, leaf.table) is None:
            raise QueryError(f"metric '{leaf.name}' has no time dimension, so it cannot take a time range")
    outputs = _output_names(model, query, metrics, dimensions)
    for condition in query.filters:
        if condition.metric is not None and condition.metric not in query.metrics:
            model.metric(condition.metric)  # unknown names first
            raise QueryError(f"filter on metric '{condition.metric}', which the query does not ask for")
    _check_order(query, outputs)
    if query.compare and not (query.time_range and (query.time_range.period or query.time_range.start)):
        raise QueryError("'compare' needs a time range with a start to compare against")
    return ResolvedQuery(query, metrics, tuple(leaves), tuple(dimensions))


def _resolve_detail(model: SemanticModel, query: SemanticQuery) -> ResolvedQuery:
    fields = [model.field(name) for name in query.fields]
    fields += [model.field(f.target) for f in query.filters]
    homes = {_home_tables(f) for f in fields}
    # The root is a table from which every field is reachable; tables holding a field come first.
    ordered = sorted(model.tables, key=lambda t: not any(t.name in home for home in homes))
    for table in ordered:
        reachable = paths_from(model, table.name)
        if all(any(t in reachable for t in home) for home in homes):
            _check_order(query, list(query.fields))
            return ResolvedQuery(query, (), (), (), root=table.name)
    raise QueryError("these fields are not connected by declared relationships: " + ", ".join(query.fields))


def _home_tables(field: Dimension | Attribute) -> frozenset[str]:
    return frozenset(field.on) if isinstance(field, Dimension) else frozenset({field.table})


def _require_path(model: SemanticModel, leaf: Leaf, field: Dimension | Attribute) -> None:
    if find_path(model, leaf.table, field) is None:
        kind = "dimension" if isinstance(field, Dimension) else "field"
        raise QueryError(
            f"{kind} '{field.name}' is not available for metric '{leaf.name}' (table '{leaf.table}'); "
            f"it is defined on {', '.join(sorted(_home_tables(field)))}"
        )


def time_dimension(model: SemanticModel, table: str) -> Dimension | None:
    name = model.table(table).time_dimension
    return model.dimension(name) if name else None


def _output_names(
    model: SemanticModel,
    query: SemanticQuery,
    metrics: tuple[Metric, ...],
    dims: list[tuple[DimensionRef, Dimension]],
) -> list[str]:
    names = [ref.name for ref, _ in dims]
    for metric in metrics:
        names.append(metric.name)
        if query.compare:
            names += [f"{metric.name}__previous", f"{metric.name}__change", f"{metric.name}__change_pct"]
    return names


def _check_order(query: SemanticQuery, outputs: list[str]) -> None:
    for order in query.order_by:
        if order.field not in outputs:
            raise UnknownFieldError("order_by field", order.field, outputs)
