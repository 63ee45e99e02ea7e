"""Where a metric is concentrated: the groups of one dimension, largest first, with their share and
cumulative share, and how few of them make up 80% ("80% of breaches come from 2 of 7 regions")."""

from __future__ import annotations

import math
from typing import Any

from semantic_layer.errors import QueryError
from semantic_layer.identity import Identity
from semantic_layer.layer import SemanticLayer
from semantic_layer.model import RatioMetric
from semantic_layer.query import SemanticQuery

from ..analysis import Concentration, ConcentrationGroup
from .explain import NULL_LABEL, _is_additive

PARETO_SHARE = 0.8


def concentration(
    layer: SemanticLayer, query: SemanticQuery, identity: Identity | None = None
) -> Concentration:
    """`query.metrics[0]` over the groups of `query.dimensions[0]` (the query's filters and time range
    kept; its order, limit, comparison and metric filters dropped, so that every group counts)."""
    if query.is_detail or not query.metrics or not query.dimensions:
        raise QueryError("a concentration needs a metric and a dimension")
    metric = layer.model.metric(query.metrics[0])
    if not _is_additive(layer.model, metric):
        suggestions = [metric.numerator] if isinstance(metric, RatioMetric) else []
        raise QueryError(
            f"'{metric.name}' does not add up over groups, so it has no shares to concentrate; "
            "use a count or a sum",
            suggestions=suggestions,
        )
    dimension = query.dimensions[0]
    grouped = SemanticQuery(
        metrics=(metric.name,),
        dimensions=(dimension,),
        filters=tuple(f for f in query.filters if f.metric is None),
        time_range=query.time_range,
    )
    result = layer.query(grouped, identity)
    if result.truncated:
        raise QueryError(f"'{dimension.name}' has too many groups to rank ({len(result.rows)}+)")
    amounts = [(_label(row[dimension.name]), float(row[metric.name] or 0)) for row in result.records()]
    amounts.sort(key=lambda item: (-item[1], item[0]))
    total = math.fsum(amount for _, amount in amounts)
    groups = []
    running = 0.0
    for value, amount in amounts:
        running += amount
        groups.append(
            ConcentrationGroup(
                value=value,
                amount=amount,
                share=amount / total if total else 0.0,
                cumulative_share=running / total if total else 0.0,
            )
        )
    needed = next(
        (i + 1 for i, g in enumerate(groups) if g.cumulative_share >= PARETO_SHARE - 1e-12),
        0,
    )
    return Concentration(
        metric=metric.name,
        dimension=dimension.name,
        total=total,
        groups=tuple(groups),
        groups_for_80_percent=needed,
        share_of_groups_for_80_percent=needed / len(groups) if groups else 0.0,
        sql=(result.sql,),
    )


def _label(value: Any) -> str:
    return NULL_LABEL if value is None else str(value)
