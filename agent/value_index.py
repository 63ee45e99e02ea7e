"""Distinct values of the model's categorical dimensions, read through the semantic layer itself so
that the identity's access policies scope what a user's questions can match."""

from __future__ import annotations

from collections.abc import Mapping

from semantic_layer.errors import SemanticLayerError
from semantic_layer.identity import Identity
from semantic_layer.joins import find_path
from semantic_layer.layer import SemanticLayer
from semantic_layer.model import SemanticModel, SimpleMetric
from semantic_layer.query import SemanticQuery

ValueIndex = Mapping[str, tuple[str, ...]]
MAX_VALUES_PER_DIMENSION = 5000


def _counting_metric(model: SemanticModel, dimension: str) -> str | None:
    """A plain count metric whose table reaches `dimension` (the table defining it first)."""
    target = model.dimension(dimension)
    counts = [m for m in model.metrics if isinstance(m, SimpleMetric) and m.agg == "count" and not m.filter]
    counts.sort(key=lambda m: m.table not in target.on)
    return next((m.name for m in counts if find_path(model, m.table, target) is not None), None)


def build_value_index(layer: SemanticLayer, identity: Identity | None = None) -> dict[str, tuple[str, ...]]:
    """dimension name -> its distinct values (most frequent first), for every categorical dimension."""
    index: dict[str, tuple[str, ...]] = {}
    for dimension in layer.model.dimensions:
        if dimension.type != "categorical":
            continue
        metric = _counting_metric(layer.model, dimension.name)
        if metric is None:
            continue
        query = SemanticQuery(
            metrics=(metric,),
            dimensions=({"name": dimension.name},),  # type: ignore[arg-type]
            order_by=({"field": metric, "desc": True},),  # type: ignore[arg-type]
            limit=MAX_VALUES_PER_DIMENSION,
        )
        try:
            result = layer.query(query, identity)
        except SemanticLayerError:
            continue
        index[dimension.name] = tuple(str(row[0]) for row in result.rows if row[0] is not None)
    return index
