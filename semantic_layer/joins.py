"""Join paths: how a table reaches a column of another table along declared relationships only.

Joins follow relationships from the many side to the one side (or either way for one-to-one), so a
joined column never multiplies the rows of the table a metric counts.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from .model import Attribute, Dimension, Relationship, SemanticModel


@dataclass(frozen=True)
class Hop:
    """One join: from `left` (already in the FROM clause) to `right`, on left.left_column = right.right_column."""

    left: str
    left_column: str
    right: str
    right_column: str


@dataclass(frozen=True)
class JoinPath:
    table: str
    """Where the column lives."""
    hops: tuple[Hop, ...]


def _edges(relationship: Relationship) -> list[Hop]:
    forward = Hop(
        relationship.from_table, relationship.from_column, relationship.to_table, relationship.to_column
    )
    if relationship.type == "one_to_one":
        backward = Hop(
            relationship.to_table, relationship.to_column, relationship.from_table, relationship.from_column
        )
        return [forward, backward]
    return [forward]


def paths_from(model: SemanticModel, start: str) -> dict[str, tuple[Hop, ...]]:
    """Every table reachable from `start` without fan-out, with the shortest join path to it."""
    adjacency: dict[str, list[Hop]] = {}
    for relationship in model.relationships:
        for hop in _edges(relationship):
            adjacency.setdefault(hop.left, []).append(hop)
    found: dict[str, tuple[Hop, ...]] = {start: ()}
    queue = deque([start])
    while queue:
        table = queue.popleft()
        for hop in adjacency.get(table, []):
            if hop.right not in found:
                found[hop.right] = (*found[table], hop)
                queue.append(hop.right)
    return found


def find_path(model: SemanticModel, start: str, field: Dimension | Attribute) -> JoinPath | None:
    """The nearest table defining `field` that `start` reaches (itself first), or None."""
    tables = field.on if isinstance(field, Dimension) else {field.table: field.sql}
    reachable = paths_from(model, start)
    candidates = [t for t in reachable if t in tables]
    if not candidates:
        return None
    best = min(candidates, key=lambda t: len(reachable[t]))
    return JoinPath(best, reachable[best])
