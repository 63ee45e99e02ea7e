"""Typed results of the analyses behind "why", "where is it concentrated", anomalies and
distributions. Insights (agent/insights/) compute them through the semantic layer; charts and the
narrative read them. Every number here was computed from the data, never typed in."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)


class Contribution(_Result):
    """One group's part in a metric's change (or, with no comparison, in its gap from the overall value).

    `change` is in the metric's own units and the contributions of one dimension add up to the total
    change. For ratio metrics `mix_effect + rate_effect == change`: the mix effect comes from the group's
    share of the denominator moving, the rate effect from the group's own rate moving.
    """

    dimension: str
    value: str
    current: float | None
    """The group's metric value in the period explained."""
    previous: float | None
    """The group's value in the comparison period (None when explaining a level)."""
    weight: float | None = None
    """The group's share of the denominator (ratio metrics) or of the total, in the period explained."""
    change: float
    share_of_change: float
    """change / total change (may exceed 1 or be negative when groups move in opposite directions);
    when explaining a level, change / |overall value|."""
    mix_effect: float | None = None
    rate_effect: float | None = None


class DimensionDrivers(_Result):
    dimension: str
    contributions: tuple[Contribution, ...]
    """Largest absolute contribution first (explaining a level: the groups that make it worse first)."""
    concentration: float
    """How much of the change one group explains beyond its share of volume: the largest
    `change - weight_mid * total change` in the direction of the change, over |total change|
    (`weight_mid`: the group's share averaged over both periods). 0 when every group moved with its
    size, near 1 when a small group explains the whole change; explaining a level, the largest
    contribution in the bad direction over |overall value|. Higher means this dimension pinpoints the
    change better (a large segment that merely followed the trend does not)."""


class Segment(_Result):
    """A combination of groups of two dimensions (VIP customers on the night shift) that is worse than,
    or moved further than, what its two groups alone predict (agent/insights/segments.py).

    Explaining a change, gaps are per unit of the segment's share of the denominator averaged over
    both periods, `weight_mid`, as single drivers are ranked: `gap` is
    `change / weight_mid - total change`, which for a ratio whose segment kept its share is the
    segment's own change minus the overall change (the rest is the effect of its share moving).
    """

    dimensions: tuple[str, ...]
    values: tuple[str, ...]
    """One value per dimension, as contributions name groups."""
    current: float | None
    """The segment's metric value in the period explained."""
    previous: float | None
    """Its value in the comparison period (None when explaining a level)."""
    weight: float
    """Its share of the denominator (ratio metrics) or of the total, in the period explained."""
    change: float
    """Its contribution, as `Contribution.change`: explaining a level, `weight * gap`."""
    gap: float
    """Explaining a level, its value minus the overall value; a change: see above."""
    lift: float | None
    """Explaining a level, its value over the overall value (None for a change or an overall 0)."""
    expected_gap: float
    """The gap its two groups alone predict: of an additive and (no amount being negative) a
    multiplicative model of the two dimensions' effects fitted on the pair's cells, the prediction
    closer to `gap`."""
    interaction: float
    """What only the combination explains, in the metric's units: `weight * (gap - expected_gap)` (a
    change: `weight_mid * ...`); negative when the bad direction is down. Segments are ranked by it."""
    records: int | None
    """Rows behind the segment's weight (tickets, surveys), in the periods compared; None when the
    weight is not a count."""


class ChangeExplanation(_Result):
    metric: str
    current_value: float | None
    previous_value: float | None
    """None when explaining a level (no comparison period)."""
    change: float | None
    change_pct: float | None
    current_range: tuple[str | None, str | None]
    previous_range: tuple[str | None, str | None] | None
    drivers: tuple[DimensionDrivers, ...]
    """Dimensions ranked by how well they explain the change."""
    top: tuple[Contribution, ...]
    """The strongest single drivers across dimensions, at most five."""
    sql: tuple[str, ...]
    segments: tuple[Segment, ...] = ()
    """Combinations of groups of two dimensions that explain what single groups do not, strongest first
    (agent/insights/segments.py)."""
    segment_sql: tuple[str, ...] = ()
    """The queries behind `segments`."""


class ConcentrationGroup(_Result):
    value: str
    amount: float
    share: float
    cumulative_share: float


class Concentration(_Result):
    metric: str
    dimension: str
    total: float
    groups: tuple[ConcentrationGroup, ...]
    """Largest first."""
    groups_for_80_percent: int
    """How many of the largest groups make up 80% of the total."""
    share_of_groups_for_80_percent: float
    """Those groups as a share of all groups (e.g. 2 of 7 regions = 0.29)."""
    sql: tuple[str, ...]


class Anomaly(_Result):
    period: str
    value: float
    expected: float
    """The robust baseline (median of the series)."""
    score: float
    """Robust z-score: (value - median) / (1.4826 * MAD)."""
    direction: str
    """"high" or "low"."""


class DistributionBin(_Result):
    start: float
    end: float
    count: int


class Distribution(_Result):
    field: str
    count: int
    mean: float | None
    p50: float | None
    p90: float | None
    bins: tuple[DistributionBin, ...]
    sql: tuple[str, ...]
