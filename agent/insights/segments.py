"""Segments: cells of two dimensions (VIP customers on the night shift) that explain what the
one-dimensional split of explain.py cannot.

Why: a problem that lives where two groups meet is diluted in both one-dimensional splits. VIP first
responses are fast by day (the VIP desk) and slow at night, most night tickets are not VIP, so neither
"VIP" nor "night shift" stands out (for slow first responses they rank 8th and 12th of 15 dimensions)
and large groups with ordinary effects come first.

The quantities, per cell, are explain.py's: `v` its weight, `t` its gap per unit of weight.
- Explaining a level (of a ratio or average): `v = q` (its share of the denominator) and `t = r - R`
  (its value minus the overall value); `v * t` is its contribution.
- Explaining a change: `v = (p + q) / 2` and `t = c / v - D`, with `c` its contribution (rate and mix
  effects) and `D` the total change; `v * t` is the excess explain.py ranks groups by, and for a cell
  whose share of the denominator did not move `t` is its own change minus the overall change.
Contributions add up over cells, so the weighted mean of a group's cells' gaps is the gap the
one-dimensional analysis reports for the group. A cell is an interaction when its gap goes further in
the bad direction (the metric's polarity; explaining a change, the change's direction) than what its
two groups predict, and the prediction must beat two models of how the groups' effects combine:
- additive: the weighted least-squares fit `t ~ alpha[a] + beta[b]`. With independent dimensions
  (`v_ab = v_a * v_b`) it predicts exactly `t_a + t_b`, so the interaction is the textbook
  `t_ab - t_a - t_b`; with correlated or nested dimensions (a crew working mostly at one site, models
  within product lines) it does not take one dimension's effect, seen through the other, for one;
- multiplicative, when no amount is negative: the numerators fitted as `offset * x[a] * y[b]` by
  iterative proportional fitting (the log-linear independence model), the offset being the cell's
  weight (a level: its rate is `x[a] * y[b]`) or its previous numerator (a change: amounts grew by a
  factor of one group times a factor of the other; for a ratio the weights are fitted the same way).
  Durations and rates usually combine like this: a region that doubles every response time adds
  more minutes to slow P4 tickets than to P1 ones, an additive interaction that is no news.
Both fits keep each group's total (the residuals of a group add up to 0), so what they leave is what
the one-dimensional split cannot see. A cell's `interaction` is `v * (t - t^)` with `t^` the
prediction closer to `t`, in the metric's units.

Reported: cells with at least MIN_WEIGHT of the weight and MIN_RECORDS rows (both periods, for a
change) whose gap is in the bad direction and beyond the gaps of both of its groups, with a positive
interaction; the largest interaction first, at most TOP_SEGMENTS. Within a pair, once a cell is
chosen the fits are redone without it: a strong interaction pulls its groups' effects toward itself,
which makes its neighbours look like interactions too (and understates its own). Pairs: every pair
of the dimensions given with at most MAX_SEGMENT_GROUPS groups. They are not chosen by the
one-dimensional ranking (the strongest interactions hide from it); instead one query groups by several
dimensions at once, at most MAX_BLOCK_ROWS combinations (or rows, when fewer), and every pair in it
is summed up from its rows (numerators `value * weight` and weights add up), so MAX_QUERIES queries
cover all pairs of a dozen dimensions (the strongest dimensions' pairs first when they do not).
Comparing periods, a block takes two plain queries (the periods as the semantic layer resolves the
compare query), cheaper than one compare query joining both periods' groups on every dimension; with
few rows (a month of surveys) one block holds every dimension.

What it does not do: no combinations of three or more dimensions (AC-300 in 华南 with hardware
failures shows as its pairs); no significance test (the minimum support is the only guard against
chance, so in small samples a segment may be noise); no segments of an additive level (a count has no
rate to be worse than); dimensions with more groups (agent, city) are not paired; the metric's HAVING
filters are dropped, as in explain.py.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from semantic_layer.errors import QueryError
from semantic_layer.identity import Identity
from semantic_layer.layer import SemanticLayer
from semantic_layer.model import Metric, SemanticModel, SimpleMetric, SnapshotMetric
from semantic_layer.query import DimensionRef, SemanticQuery, TimeRange
from semantic_layer.result import QueryResult

from ..analysis import Segment
from .explain import (
    _effect,
    _explained_query,
    _Figures,
    _free_name,
    _label,
    _Shape,
    _shape,
    _total_change,
    _with_companions,
)

MAX_SEGMENT_GROUPS = 15
"""Dimensions with more groups than this are not paired."""
MAX_BLOCK_ROWS = 10_000
"""A query groups by dimensions with at most this many combinations of groups (or of rows)."""
MAX_QUERIES = 10
"""Queries grouped by several dimensions: as many blocks, or half as many comparing periods (a block
takes one query per period)."""
MIN_WEIGHT = 0.01
"""A segment holds at least this share of the weight (for a change, averaged over both periods)."""
MIN_RECORDS = 50
"""...and at least this many rows behind its weight, when the weight is a count."""
TOP_SEGMENTS = 3
MAX_ITERATIONS = 1000
"""Of the proportional fit (it stops when the groups' totals match to 1e-10)."""
_TOLERANCE = 1e-9
"""Interactions below this share of the overall value (of the change) are round-off."""


@dataclass(frozen=True)
class SegmentSearch:
    segments: tuple[Segment, ...]
    """Strongest first."""
    sql: tuple[str, ...]


def find_segments(
    layer: SemanticLayer,
    query: SemanticQuery,
    identity: Identity | None = None,
    *,
    dimensions: Mapping[str, int],
    top: int = TOP_SEGMENTS,
) -> tuple[Segment, ...]:
    """The pairs of groups that explain `query.metrics[0]` (its level, or its change against
    `query.compare`) beyond what their two dimensions explain alone, strongest first. `dimensions`
    maps the candidate dimensions, strongest first, to their number of groups."""
    return search_segments(layer, query, identity, dimensions=dimensions, top=top).segments


def search_segments(
    layer: SemanticLayer,
    query: SemanticQuery,
    identity: Identity | None = None,
    *,
    dimensions: Mapping[str, int],
    top: int = TOP_SEGMENTS,
) -> SegmentSearch:
    """`find_segments`, with the SQL it ran."""
    model = layer.model
    if query.is_detail or len(query.metrics) != 1:
        raise QueryError("explaining a change needs exactly one metric")
    metric = model.metric(query.metrics[0])
    shape = _shape(model, metric)
    compare = query.compare is not None
    if shape.kind == "additive" and not compare:
        return SegmentSearch((), ())
    records, extra = _records(model, metric, shape)
    working = _with_companions(layer, shape.companions + extra)
    names = tuple(dict.fromkeys(n for n in (metric.name, shape.weight, records) if n))
    base = _explained_query(query, names)
    candidates = {name: n for name, n in dimensions.items() if 2 <= n <= MAX_SEGMENT_GROUPS}

    sides = _sides(working, base, identity)
    if sides is None:
        return SegmentSearch((), ())
    sql: list[str] = []

    def amounts_by(dimensions: tuple[str, ...]) -> tuple[list[QueryResult], np.ndarray] | None:
        """The amounts per group of `dimensions` (one query per period), or None when cut short."""
        results, parts = [], []
        for side, period in zip(sides, (0, 2), strict=False):
            grouped = side.model_copy(update={"dimensions": tuple(DimensionRef(name=d) for d in dimensions)})
            result = working.query(grouped, identity)
            sql.append(result.sql)
            if result.truncated:
                return None
            results.append(result)
            parts.append(_amounts(result, metric.name, shape, records, period))
        return results, np.concatenate(parts)

    totals = amounts_by(())
    assert totals is not None
    whole = totals[1].sum(axis=0)
    # a block has at most as many cells as rows (records in both periods)
    rows = None if math.isnan(whole[_RECORDS]) else int(whole[_RECORDS])
    tables: dict[tuple[str, str], _Table] = {}
    for block in plan_blocks(candidates, MAX_BLOCK_ROWS, MAX_QUERIES // len(sides), rows):
        found_amounts = amounts_by(block)
        if found_amounts is None:
            continue
        results, amounts = found_amounts
        codes = {name: _codes([v for r in results for v in r.column_values(name)]) for name in block}
        for a, b in itertools.combinations(block, 2):
            if (a, b) not in tables:
                tables[a, b] = _rollup(codes[a], codes[b], amounts)

    found: list[tuple[float, Segment]] = []
    for (a, b), table in tables.items():
        found += _evaluate((a, b), table, whole, shape, compare, metric.polarity)
    found.sort(key=lambda item: (-item[0], item[1].dimensions, item[1].values))
    return SegmentSearch(tuple(segment for _, segment in found[:top]), tuple(sql))


def plan_blocks(
    groups: Mapping[str, int], max_rows: int, max_blocks: int, records: int | None = None
) -> list[tuple[str, ...]]:
    """At most `max_blocks` blocks of dimensions (one query each) in which the pairs of `groups`
    (name: number of groups, strongest first) fall, the strongest pairs first; a block has at most
    `max_rows` rows: combinations of groups, or `records` when fewer. Greedy: a block starts with the
    strongest pair left and takes the dimension that brings most new pairs while it fits."""
    names = list(groups)
    remaining = set(itertools.combinations(range(len(names)), 2))
    blocks: list[tuple[str, ...]] = []
    for pair in sorted(remaining):
        if pair not in remaining:
            continue
        if len(blocks) == max_blocks:
            break
        block = list(pair)
        cells = groups[names[pair[0]]] * groups[names[pair[1]]]
        limit = max(max_rows, cells)  # a pair always fits
        while True:
            # (new pairs it covers, the stronger first) for each dimension that still fits
            gains = [
                (sum((min(k, m), max(k, m)) in remaining for m in block), -k)
                for k in range(len(names))
                if k not in block and min(cells * groups[names[k]], records or math.inf) <= limit
            ]
            best = max(gains, default=None)
            if best is None or best[0] == 0:
                break
            block.append(-best[1])
            cells *= groups[names[-best[1]]]
        remaining -= set(itertools.combinations(sorted(block), 2))
        blocks.append(tuple(names[k] for k in sorted(block)))
    return blocks


# --- amounts from result rows ------------------------------------------------------------------------

_NUMERATOR, _WEIGHT, _NUMERATOR_BEFORE, _WEIGHT_BEFORE, _RECORDS = range(5)
"""Columns of an amounts array. A ratio's numerator is `value * weight` (amounts add up over groups,
values do not); an additive metric's numerator and weight are both its amount. Records are NaN when
the weight is not a count."""


@dataclass(frozen=True)
class _Table:
    """The cells of a pair of dimensions: their keys and amounts."""

    keys: list[tuple[Any, Any]]
    amounts: np.ndarray


def _sides(
    layer: SemanticLayer, base: SemanticQuery, identity: Identity | None
) -> tuple[SemanticQuery, ...] | None:
    """The query over the period explained and, with `compare`, the one over the period it is
    compared with, as the semantic layer resolves them (two plain queries are cheaper than a compare
    query, which joins the periods' groups on every dimension); None when there is no such period."""
    if base.compare is None:
        return (base,)
    compiled = layer.compile(base, identity)
    current, previous = compiled.query.time_range, compiled.comparison_range
    if current is None or previous is None:
        return None
    return (
        base.model_copy(update={"compare": None, "time_range": current}),
        base.model_copy(
            update={"compare": None, "time_range": TimeRange(start=previous[0], end=previous[1])}
        ),
    )


def _amounts(result: QueryResult, metric: str, shape: _Shape, records: str | None, period: int) -> np.ndarray:
    """One row of amounts per result row, in the columns of the current period (`period` 0) or of the
    previous one (2)."""
    present = {c.name for c in result.columns}

    def column(name: str | None) -> np.ndarray:
        values = result.column_values(name) if name in present else [None] * len(result.rows)
        return np.array([np.nan if v is None else float(v) for v in values])

    value = np.nan_to_num(column(metric))
    weight = value if shape.kind == "additive" else np.nan_to_num(column(shape.weight))
    numerator = value if shape.kind == "additive" else value * weight
    out = np.zeros((len(value), 5))
    out[:, period] = numerator
    out[:, period + 1] = weight
    out[:, _RECORDS] = np.nan_to_num(column(records)) if records else np.nan
    return out


def _codes(values: list[Any]) -> tuple[np.ndarray, list[Any]]:
    """Each value's position among the distinct values (None, the NULL group, included), and those."""
    seen: dict[Any, int] = {}
    codes = np.array([seen.setdefault(v, len(seen)) for v in values], dtype=np.int64)
    return codes, list(seen)


def _rollup(
    first: tuple[np.ndarray, list[Any]], second: tuple[np.ndarray, list[Any]], amounts: np.ndarray
) -> _Table:
    """The amounts of a block's rows summed up to the cells of two of its dimensions."""
    (codes_a, labels_a), (codes_b, labels_b) = first, second
    cells, inverse = np.unique(codes_a * len(labels_b) + codes_b, return_inverse=True)
    sums = np.stack([np.bincount(inverse, amounts[:, j], minlength=len(cells)) for j in range(5)], axis=1)
    keys = [(labels_a[c // len(labels_b)], labels_b[c % len(labels_b)]) for c in cells.tolist()]
    return _Table(keys, sums)


def _records(
    model: SemanticModel, metric: Metric, shape: _Shape
) -> tuple[str | None, tuple[SimpleMetric, ...]]:
    """The metric counting the rows behind the weight, with the companion to build for it (a count of
    the values a sum adds up); None when the weight is not made of rows."""
    name = shape.weight or metric.name
    weight = next((c for c in shape.companions if c.name == name), None) or model.metric(name)
    if isinstance(weight, SnapshotMetric) or (isinstance(weight, SimpleMetric) and weight.agg == "count"):
        return weight.name, ()
    if isinstance(weight, SimpleMetric) and weight.agg == "sum":
        count = SimpleMetric(
            name=_free_name(model, f"{weight.name}__records"),
            table=weight.table,
            agg="count",
            expr=weight.expr,
            filter=weight.filter,
            format="count",
            hidden=True,
        )
        return count.name, (count,)
    return None, ()


# --- the search (pure) --------------------------------------------------------------------------------


def _evaluate(
    dimensions: tuple[str, str],
    table: _Table,
    whole: np.ndarray,
    shape: _Shape,
    compare: bool,
    polarity: str,
) -> list[tuple[float, Segment]]:
    """The segments among the cells of one pair of dimensions, each with its score: the strongest
    cell first, then the strongest with the segments found left out of the fits, and so on."""
    totals = _figures_of(None, whole, shape)
    change = _total_change(totals, shape, compare)
    if change is None or totals.current is None or (not compare and not totals.current):
        return []
    if compare:
        direction = math.copysign(1.0, change) if change else 0.0
        scale = abs(change)
    else:
        direction = {"lower_is_better": 1.0, "higher_is_better": -1.0}.get(polarity, 0.0)
        scale = abs(totals.current)
    cells = _cells(table, totals, whole, shape, compare)
    if cells is None:
        return []
    gaps = cells.gaps
    # the bad direction; for a neutral metric (or no change), the direction the cell departs in
    signs = np.where(gaps >= 0, 1.0, -1.0) if not direction else np.full(len(gaps), direction)
    group_gaps = [_weighted_means(index, cells.weights, gaps)[index] for index in (cells.rows, cells.columns)]
    records = cells.amounts[:, _RECORDS]
    eligible = (
        (cells.weights >= MIN_WEIGHT)
        & ~(records < MIN_RECORDS)  # NaN (the weight is not a count) passes
        & (signs * gaps > 0)
        & (signs * (gaps - group_gaps[0]) > 0)
        & (signs * (gaps - group_gaps[1]) > 0)
    )
    tolerance = _TOLERANCE * (scale or 1.0)

    found: list[tuple[float, Segment]] = []
    fitted = np.ones(len(gaps), dtype=bool)
    while len(found) < TOP_SEGMENTS and (eligible & fitted).any():
        scores = np.where(eligible & fitted, cells.scores(fitted, signs, eligible & fitted), np.nan)
        if np.isnan(scores).all() or np.nanmax(scores) <= tolerance:
            break
        i = int(np.nanargmax(scores))
        found.append((float(scores[i]), cells.segment(i, dimensions, signs[i] * scores[i], totals, shape)))
        fitted[i] = False  # the next one must stand out with this one left out of the fits
    return found


@dataclass(frozen=True)
class _Cells:
    """The cells of one pair of dimensions with the quantities compared: `weights` v, `gaps` t and
    `contributions` c (module docstring); `rows` and `columns` number each cell's two groups."""

    keys: list[tuple[Any, Any]]
    amounts: np.ndarray
    rows: np.ndarray
    columns: np.ndarray
    shares: np.ndarray
    weights: np.ndarray
    contributions: np.ndarray
    gaps: np.ndarray
    whole: np.ndarray
    kind: str
    compare: bool

    def scores(self, fitted: np.ndarray, signs: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """Each cell's interaction in the bad direction against the predictions fitted on the cells in
        `fitted`: the smaller of the additive and the multiplicative one (NaN where the additive model
        cannot predict the cell). Only the `candidates` with a positive additive interaction need the
        multiplicative fit: the others have lost already."""
        additive = signs * self.additive(fitted)
        if not (candidates & (additive > 0)).any():
            return additive
        multiplicative = signs * self.multiplicative(fitted)
        return np.where(np.isnan(multiplicative), additive, np.fmin(additive, multiplicative))

    def additive(self, fitted: np.ndarray) -> np.ndarray:
        """`v * (t - t^)`, with t^ the weighted least-squares fit of `t ~ alpha[row] + beta[column]`."""
        n_rows = int(self.rows.max()) + 1
        design = np.zeros((len(self.gaps), n_rows + int(self.columns.max()) + 1))
        design[np.arange(len(self.gaps)), self.rows] = 1.0
        design[np.arange(len(self.gaps)), n_rows + self.columns] = 1.0
        root = np.sqrt(self.weights[fitted])
        solution, *_ = np.linalg.lstsq(design[fitted] * root[:, None], self.gaps[fitted] * root, rcond=None)
        result: np.ndarray = self.weights * (self.gaps - design @ solution)
        result[~_linked(self.rows, self.columns, fitted)] = np.nan
        return result

    def multiplicative(self, fitted: np.ndarray) -> np.ndarray:
        """The interaction against amounts of `offset * x[row] * y[column]`, in the units of `additive`
        (NaN where there is no prediction: a negative numerator, a cell new in the period explained)."""
        numerator, weight = self.amounts[:, _NUMERATOR], self.amounts[:, _WEIGHT]
        numerator_before = self.amounts[:, _NUMERATOR_BEFORE]
        weight_before = self.amounts[:, _WEIGHT_BEFORE]
        if (numerator < 0).any() or (numerator_before < 0).any():
            return np.full(len(numerator), np.nan)
        if not self.compare:  # a rate of x[row] * y[column]
            expected = self._proportional(fitted, weight, numerator)
            result: np.ndarray = (numerator - expected) / self.whole[_WEIGHT]
            return result
        # amounts grown by a factor of the row times one of the column since the previous period
        expected = self._proportional(fitted, numerator_before, numerator)
        if self.kind == "additive":
            return numerator - expected
        expected_weight = self._proportional(fitted, weight_before, weight)
        whole = self.whole
        middle = (whole[_NUMERATOR] / whole[_WEIGHT] + whole[_NUMERATOR_BEFORE] / whole[_WEIGHT_BEFORE]) / 2
        # the contribution `N / W_total - N' / W'_total - (q - p) * R_mid` is linear in N and W
        return ((numerator - expected) - (weight - expected_weight) * middle) / whole[_WEIGHT]

    def _proportional(self, fitted: np.ndarray, offset: np.ndarray, observed: np.ndarray) -> np.ndarray:
        used = fitted & (offset > 0)
        if not used.any():
            return np.full(len(offset), np.nan)
        x, y = _proportional_fit(self.rows[used], self.columns[used], offset[used], observed[used])
        x = np.pad(x, (0, int(self.rows.max()) + 1 - len(x)))
        y = np.pad(y, (0, int(self.columns.max()) + 1 - len(y)))
        expected: np.ndarray = offset * x[self.rows] * y[self.columns]
        expected[~(_linked(self.rows, self.columns, used) & (offset > 0))] = np.nan
        return expected

    def segment(
        self, i: int, dimensions: tuple[str, str], interaction: float, totals: _Figures, shape: _Shape
    ) -> Segment:
        """Cell `i` as a segment whose `interaction` (signed) was found against the fits."""
        figures = _figures_of(self.keys[i], self.amounts[i], shape)
        gap = float(self.gaps[i])
        records = float(self.amounts[i, _RECORDS])
        return Segment(
            dimensions=dimensions,
            values=(_label(self.keys[i][0]), _label(self.keys[i][1])),
            current=figures.current,
            previous=figures.previous if self.compare else None,
            weight=float(self.shares[i]),
            change=float(self.contributions[i]),
            gap=gap,
            lift=None
            if self.compare or figures.current is None or not totals.current
            else figures.current / totals.current,
            expected_gap=gap - interaction / float(self.weights[i]),
            interaction=interaction,
            records=None if math.isnan(records) else round(records),
        )


def _cells(table: _Table, totals: _Figures, whole: np.ndarray, shape: _Shape, compare: bool) -> _Cells | None:
    """The cells with weight (in either period), their contributions as explain.py computes them."""
    kept, shares, weights, contributions = [], [], [], []
    for i, key in enumerate(table.keys):
        figures = _figures_of(key, table.amounts[i], shape)
        q = figures.weight_current / totals.weight_current if totals.weight_current else 0.0
        p = figures.weight_previous / totals.weight_previous if totals.weight_previous else 0.0
        weight = (p + q) / 2 if compare else q
        if weight > 0:
            kept.append(i)
            shares.append(q)
            weights.append(weight)
            contributions.append(_effect(figures, p, q, totals, shape, compare)[0])
    if len(kept) < 2:
        return None
    change = _total_change(totals, shape, compare) or 0.0
    keys = [table.keys[i] for i in kept]
    v, c = np.array(weights), np.array(contributions)
    return _Cells(
        keys=keys,
        amounts=table.amounts[kept],
        rows=_codes([k[0] for k in keys])[0],
        columns=_codes([k[1] for k in keys])[0],
        shares=np.array(shares),
        weights=v,
        contributions=c,
        gaps=c / v - (change if compare else 0.0),
        whole=whole,
        kind=shape.kind,
        compare=compare,
    )


def _figures_of(key: Any, amounts: np.ndarray, shape: _Shape) -> _Figures:
    """Amounts as explain.py's figures: the metric's value in both periods and its weight amounts."""
    numerator, weight, numerator_before, weight_before = (float(x) for x in amounts[:4])
    if shape.kind == "additive":
        return _Figures(key, numerator, numerator_before, weight, weight_before)
    current = numerator / weight if weight else None
    previous = numerator_before / weight_before if weight_before else None
    return _Figures(key, current, previous, weight, weight_before)


def _linked(rows: np.ndarray, columns: np.ndarray, fitted: np.ndarray) -> np.ndarray:
    """Whether each cell's row and column are connected through the cells in `fitted` (only then do
    the fits determine `alpha[row] + beta[column]`: a group seen in no other cell, as a model within
    its product line, predicts nothing)."""
    n_rows = int(rows.max()) + 1
    parent = list(range(n_rows + int(columns.max()) + 1))

    def root(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for row, column in zip(rows[fitted].tolist(), columns[fitted].tolist(), strict=True):
        parent[root(row)] = root(n_rows + column)
    return np.array(
        [root(r) == root(n_rows + c) for r, c in zip(rows.tolist(), columns.tolist(), strict=True)]
    )


def _proportional_fit(
    rows: np.ndarray, columns: np.ndarray, offset: np.ndarray, observed: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Factors x, y such that `offset * x[row] * y[column]` has the row and column totals of `observed`
    (iterative proportional fitting: the maximum-likelihood fit of the log-linear independence model)."""
    row_totals = np.bincount(rows, observed)
    column_totals = np.bincount(columns, observed)
    x, y = np.ones(len(row_totals)), np.ones(len(column_totals))
    for _ in range(MAX_ITERATIONS):
        x = _divide(row_totals, np.bincount(rows, offset * y[columns], minlength=len(x)))
        y = _divide(column_totals, np.bincount(columns, offset * x[rows], minlength=len(y)))
        # y makes the column totals match; stop when the row totals do too
        fitted_rows = np.bincount(rows, offset * x[rows] * y[columns], minlength=len(x))
        if np.abs(fitted_rows - row_totals).max() <= 1e-10 * row_totals.max():
            break
    return x, y


def _divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    out = np.zeros_like(numerator)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def _weighted_means(index: np.ndarray, weights: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The weighted mean of `values` in each group of `index`."""
    return _divide(np.bincount(index, weights * values), np.bincount(index, weights))
