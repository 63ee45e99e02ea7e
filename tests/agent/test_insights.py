"""Insights checked against an independent pandas computation on the raw tables of the demo database.

The pandas side reads the tables, joins surveys to their tickets and tickets to their customers, and
computes each metric as sum(numerator) / sum(denominator) per group (an additive metric has no
denominator). The decomposition formulas are the ones documented in agent/insights/explain.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from agent.analysis import ChangeExplanation, DimensionDrivers
from agent.insights import concentration, distribution, explain_change, find_anomalies
from agent.insights.distribution import nice_edges
from semantic_layer.engine import DuckDBEngine
from semantic_layer.errors import QueryError
from semantic_layer.identity import Identity
from semantic_layer.layer import SemanticLayer
from semantic_layer.loader import load_model
from semantic_layer.periods import FixedClock
from semantic_layer.query import SemanticQuery

TODAY = date(2026, 11, 15)
JULY = ("2026-07-01", "2026-08-01")
JUNE = ("2026-06-01", "2026-07-01")
LAST_12_MONTHS = ("2025-12-01", "2026-12-01")
TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def layer(demo_db: Path) -> Iterator[SemanticLayer]:
    engine = DuckDBEngine(demo_db)
    yield SemanticLayer(load_model(), engine, clock=FixedClock(TODAY))
    engine.close()


@dataclass(frozen=True)
class Spec:
    """A metric as pandas computes it: sum(numerator) per group, over sum(denominator) for a ratio."""

    table: str
    numerator: Callable[[pd.DataFrame], pd.Series]
    denominator: Callable[[pd.DataFrame], pd.Series] | None = None


def _flag(column: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda d: d[column].eq(True).astype(float)


def _breached(d: pd.DataFrame) -> pd.Series:
    minutes = d["first_response_minutes"]
    return (minutes.notna() & (minutes > d["sla_target_minutes"])).astype(float)


def _nps_points(d: pd.DataFrame) -> pd.Series:
    return 100.0 * (d["nps_score"].ge(9).astype(float) - d["nps_score"].le(6).astype(float))


SPECS: dict[str, Spec] = {
    "ticket_count": Spec("tickets", lambda d: pd.Series(1.0, index=d.index)),
    "complaint_count": Spec("tickets", _flag("is_complaint")),
    "response_sla_breach_count": Spec("tickets", _breached),
    "complaint_rate": Spec("tickets", _flag("is_complaint"), lambda d: pd.Series(1.0, index=d.index)),
    "response_sla_breach_rate": Spec(
        "tickets", _breached, lambda d: d["first_response_at"].notna().astype(float)
    ),
    "avg_first_response_minutes": Spec(
        "tickets",
        lambda d: d["first_response_minutes"].fillna(0.0),
        lambda d: d["first_response_minutes"].notna().astype(float),
    ),
    "avg_csat": Spec(
        "surveys", lambda d: d["csat_score"].astype(float), lambda d: d["csat_score"].notna().astype(float)
    ),
    "nps": Spec("surveys", _nps_points, lambda d: d["nps_score"].notna().astype(float)),
}


@dataclass(frozen=True)
class Figures:
    value: float | None
    weight: float


def reference(
    frames: dict[str, pd.DataFrame],
    metric: str,
    span: tuple[str, str],
    dimension: str | None = None,
    where: Callable[[pd.DataFrame], pd.Series] | None = None,
) -> dict[str, Figures]:
    """{group value: (metric value, weight)} over tickets created in [start, end); the weight is the
    denominator (a ratio) or the value (additive). Without a dimension, the single key ""."""
    spec = SPECS[metric]
    frame = frames[spec.table]
    keep = (frame["created_at"] >= pd.Timestamp(span[0])) & (frame["created_at"] < pd.Timestamp(span[1]))
    if where is not None:
        keep &= where(frame)
    frame = frame[keep]
    numerator = spec.numerator(frame)
    denominator = spec.denominator(frame) if spec.denominator else None
    keys = frame[dimension] if dimension else pd.Series("", index=frame.index)
    parts = pd.DataFrame({"key": keys, "total": numerator, "weight": numerator})
    if denominator is not None:
        parts["weight"] = denominator
    out: dict[str, Figures] = {}
    for key, total, weight in parts.groupby("key", dropna=False).sum().itertuples():
        if denominator is None:
            value: float | None = float(total)
        else:
            value = float(total) / weight if weight else None
        out[label(key) if dimension else ""] = Figures(value, weight)
    return out


def whole(
    frames: dict[str, pd.DataFrame],
    metric: str,
    span: tuple[str, str],
    where: Callable[[pd.DataFrame], pd.Series] | None = None,
) -> Figures:
    """The metric over all rows kept (no grouping)."""
    empty = Figures(0.0 if SPECS[metric].denominator is None else None, 0.0)
    return reference(frames, metric, span, where=where).get("", empty)


def label(key: Any) -> str:
    """A group's value as contributions name it."""
    return "(null)" if key is None or (isinstance(key, float) and math.isnan(key)) else str(key)


def close(actual: float | None, expected: float | None, tolerance: float = TOLERANCE) -> bool:
    if actual is None or expected is None:
        return actual is expected
    return math.isclose(actual, expected, rel_tol=tolerance, abs_tol=tolerance)


def ask(**query: Any) -> SemanticQuery:
    return SemanticQuery.model_validate(query)


def by_dimension(explanation: ChangeExplanation) -> dict[str, DimensionDrivers]:
    return {d.dimension: d for d in explanation.drivers}


# --- explain_change: changes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "metric",
    ["complaint_count", "complaint_rate", "response_sla_breach_rate", "avg_csat", "nps"],
)
def test_contributions_add_up_and_match_pandas(
    layer: SemanticLayer, frames: dict[str, pd.DataFrame], metric: str
) -> None:
    explanation = explain_change(
        layer, ask(metrics=[metric], time_range={"start": JULY[0], "end": JULY[1]}, compare="previous_period")
    )
    now, before = whole(frames, metric, JULY), whole(frames, metric, JUNE)
    assert close(explanation.current_value, now.value)
    assert close(explanation.previous_value, before.value)
    assert now.value is not None and before.value is not None
    total_change = now.value - before.value
    assert explanation.change is not None and close(explanation.change, total_change)
    assert explanation.current_range == JULY and explanation.previous_range == JUNE
    additive = SPECS[metric].denominator is None
    middle = (now.value + before.value) / 2

    assert {"region", "product_model", "category", "channel", "customer_tier", "shift"} <= set(
        by_dimension(explanation)
    )
    assert len(explanation.sql) == 1 + len(explanation.drivers)  # every dimension has July and June groups
    for drivers in explanation.drivers:
        assert math.fsum(c.change for c in drivers.contributions) == pytest.approx(total_change, abs=1e-9)
        groups_now = reference(frames, metric, JULY, drivers.dimension)
        groups_before = reference(frames, metric, JUNE, drivers.dimension)
        assert {c.value for c in drivers.contributions} == set(groups_now)
        for c in drivers.contributions:
            a = groups_before.get(c.value, Figures(None, 0.0))
            b = groups_now[c.value]
            assert close(c.current, b.value), (drivers.dimension, c.value)
            assert close(c.previous, (a.value or 0.0) if additive else a.value), (drivers.dimension, c.value)
            q, p = b.weight / now.weight, a.weight / before.weight
            assert close(c.weight, q)
            if additive:
                expected = (b.value or 0.0) - (a.value or 0.0)
            elif a.weight and b.weight:
                assert a.value is not None and b.value is not None
                rate = (p + q) / 2 * (b.value - a.value)
                mix = (q - p) * ((a.value + b.value) / 2 - middle)
                assert close(c.rate_effect, rate) and close(c.mix_effect, mix)
                expected = rate + mix
            else:
                assert b.value is not None
                expected = q * (b.value - middle)
            assert close(c.change, expected), (drivers.dimension, c.value)
            assert close(c.share_of_change, expected / total_change)
            if not additive:
                assert c.mix_effect is not None and c.rate_effect is not None
                assert close(c.mix_effect + c.rate_effect, c.change)
        assert [abs(c.change) for c in drivers.contributions] == sorted(
            (abs(c.change) for c in drivers.contributions), reverse=True
        )
    concentrations = [d.concentration for d in explanation.drivers]
    assert concentrations == sorted(concentrations, reverse=True)
    assert 0 < len(explanation.top) <= 5
    assert all(c.change * total_change > 0 for c in explanation.top)


def test_csat_drop_in_july_is_traced_to_the_south_the_ac300_and_hardware_failures(
    layer: SemanticLayer,
) -> None:
    explanation = explain_change(
        layer,
        ask(metrics=["avg_csat"], time_range={"start": JULY[0], "end": JULY[1]}, compare="previous_period"),
    )
    assert explanation.change is not None and explanation.change < -0.15  # 3.91 -> 3.68
    top = {(c.dimension, c.value) for c in explanation.top}
    assert {("region", "华南"), ("product_model", "AC-300"), ("category", "硬件故障")} <= top
    drivers = by_dimension(explanation)
    for dimension, value in [("region", "华南"), ("product_model", "AC-300"), ("category", "硬件故障")]:
        first = drivers[dimension].contributions[0]
        assert first.value == value and first.share_of_change > 0.75
    ranked = [d.dimension for d in explanation.drivers]
    assert {"region", "product_model", "category"} <= set(ranked[:4])
    # The big segments that merely followed the trend are not drivers.
    assert drivers["customer_tier"].concentration < 0.1 and drivers["shift"].concentration < 0.1
    assert not {"customer_tier", "industry", "shift", "status"} & {c.dimension for c in explanation.top}


def test_same_period_last_year_compares_with_last_july(
    layer: SemanticLayer, frames: dict[str, pd.DataFrame]
) -> None:
    explanation = explain_change(
        layer,
        ask(
            metrics=["complaint_rate"],
            time_range={"start": JULY[0], "end": JULY[1]},
            compare="same_period_last_year",
        ),
        dimensions=["region"],
    )
    last_july = ("2025-07-01", "2025-08-01")
    assert explanation.previous_range == last_july
    assert close(explanation.previous_value, whole(frames, "complaint_rate", last_july).value)
    (drivers,) = explanation.drivers
    assert drivers.dimension == "region" and len(explanation.sql) == 2
    assert math.fsum(c.change for c in drivers.contributions) == pytest.approx(explanation.change, abs=1e-12)


def test_a_running_month_is_compared_with_the_same_days_of_the_previous_month(
    layer: SemanticLayer, frames: dict[str, pd.DataFrame]
) -> None:
    explanation = explain_change(
        layer,
        ask(metrics=["complaint_count"], time_range={"period": "this_month"}, compare="previous_period"),
        dimensions=["channel"],
    )
    so_far, same_days = ("2026-11-01", "2026-12-01"), ("2026-10-01", "2026-10-16")
    assert explanation.current_range == so_far and explanation.previous_range == same_days
    assert explanation.current_value == whole(frames, "complaint_count", so_far).value
    assert explanation.previous_value == whole(frames, "complaint_count", same_days).value
    channels = reference(frames, "complaint_count", same_days, "channel")
    (drivers,) = explanation.drivers
    assert {c.value: c.previous for c in drivers.contributions} == {k: f.value for k, f in channels.items()}


def test_dimensions_that_define_the_metric_are_not_candidates(layer: SemanticLayer) -> None:
    explanation = explain_change(
        layer,
        ask(
            metrics=["resolution_rate"],
            time_range={"start": JULY[0], "end": JULY[1]},
            compare="previous_period",
        ),
    )
    dimensions = set(by_dimension(explanation))
    assert "status" not in dimensions  # "resolved" is a status: the split would only restate it
    assert {"category", "region", "customer_tier"} <= dimensions
    with pytest.raises(QueryError, match="time dimension"):
        explain_change(layer, ask(metrics=["ticket_count"]), dimensions=["created_date"])


@pytest.mark.parametrize("metric", ["ticket_count", "complaint_rate", "avg_first_response_minutes"])
def test_groups_present_in_only_one_period(
    layer: SemanticLayer, frames: dict[str, pd.DataFrame], metric: str
) -> None:
    """A day against the day before, by agent: some agents worked only one of the two days."""
    day, before = ("2026-11-14", "2026-11-15"), ("2026-11-13", "2026-11-14")
    explanation = explain_change(
        layer,
        ask(metrics=[metric], time_range={"start": day[0], "end": day[1]}, compare="previous_period"),
        dimensions=["agent"],
    )
    groups_now = {k: f for k, f in reference(frames, metric, day, "agent").items() if f.weight}
    groups_before = {k: f for k, f in reference(frames, metric, before, "agent").items() if f.weight}
    assert set(groups_now) - set(groups_before) and set(groups_before) - set(groups_now)  # both cases occur
    now, earlier = whole(frames, metric, day), whole(frames, metric, before)
    assert now.value is not None and earlier.value is not None
    (drivers,) = explanation.drivers
    assert len(explanation.sql) == 2  # the total and the agents (the agents gone are in the compare rows)
    contributions = {c.value: c for c in drivers.contributions}
    assert set(groups_now) | set(groups_before) <= set(contributions)
    assert math.fsum(c.change for c in drivers.contributions) == pytest.approx(
        now.value - earlier.value, abs=1e-9
    )
    middle = (now.value + earlier.value) / 2
    for agent in set(groups_before) - set(groups_now):  # gone: only the mix effect of leaving
        gone = contributions[agent]
        assert close(gone.previous, groups_before[agent].value) and gone.weight == 0
        if SPECS[metric].denominator is None:
            assert close(gone.change, -(groups_before[agent].value or 0.0))
        else:
            share = groups_before[agent].weight / earlier.weight
            value = groups_before[agent].value
            assert gone.current is None and value is not None
            assert gone.rate_effect == 0 and close(gone.change, -share * (value - middle))
    for agent in set(groups_now) - set(groups_before):  # new: only the mix effect of arriving
        new = contributions[agent]
        if SPECS[metric].denominator is not None:
            share, value = groups_now[agent].weight / now.weight, groups_now[agent].value
            assert new.previous is None and value is not None
            assert new.rate_effect == 0 and close(new.change, share * (value - middle))


def test_access_policies_apply_to_every_query(layer: SemanticLayer, frames: dict[str, pd.DataFrame]) -> None:
    south = Identity(user_id="s", attributes={"region": "华南"})
    explanation = explain_change(
        layer,
        ask(metrics=["avg_csat"], time_range={"start": JULY[0], "end": JULY[1]}, compare="previous_period"),
        south,
    )
    in_south = lambda d: d["region"].eq("华南")  # noqa: E731
    assert close(explanation.current_value, whole(frames, "avg_csat", JULY, where=in_south).value)
    assert close(explanation.previous_value, whole(frames, "avg_csat", JUNE, where=in_south).value)
    drivers = by_dimension(explanation)
    assert "region" not in drivers  # one group only: it explains nothing
    models = reference(frames, "avg_csat", JULY, "product_model", where=in_south)
    for c in drivers["product_model"].contributions:
        assert close(c.current, models[c.value].value)
    assert drivers["product_model"].contributions[0].value == "AC-300"


def test_a_filter_pinning_a_dimension_leaves_it_out(layer: SemanticLayer) -> None:
    explanation = explain_change(
        layer,
        ask(
            metrics=["complaint_count"],
            time_range={"start": JULY[0], "end": JULY[1]},
            compare="previous_period",
            filters=[{"dimension": "product_line", "op": "eq", "values": ["空调"]}],
        ),
    )
    assert "product_line" not in by_dimension(explanation)
    assert explanation.top[0].value in {"AC-300", "华南", "硬件故障"}


# --- explain_change: levels ----------------------------------------------------------------------------


def test_slow_first_response_points_to_the_night_shift_and_vips(
    layer: SemanticLayer, frames: dict[str, pd.DataFrame]
) -> None:
    explanation = explain_change(
        layer, ask(metrics=["avg_first_response_minutes"], time_range={"period": "last_12_months"})
    )
    overall = whole(frames, "avg_first_response_minutes", LAST_12_MONTHS)
    assert overall.value is not None
    assert close(explanation.current_value, overall.value)
    assert explanation.previous_value is None and explanation.change is None
    assert explanation.previous_range is None and explanation.current_range == LAST_12_MONTHS
    drivers = by_dimension(explanation)
    for dimension in ["shift", "customer_tier", "region", "priority", "channel"]:
        groups = reference(frames, "avg_first_response_minutes", LAST_12_MONTHS, dimension)
        contributions = drivers[dimension].contributions
        assert math.fsum(c.change for c in contributions) == pytest.approx(0, abs=1e-9)
        for c in contributions:
            figures = groups[c.value]
            assert figures.value is not None
            expected = figures.weight / overall.weight * (figures.value - overall.value)
            assert close(c.current, figures.value) and close(c.change, expected)
            assert close(c.share_of_change, expected / overall.value) and c.previous is None
        changes = [c.change for c in contributions]
        assert changes == sorted(changes, reverse=True)  # lower is better: the slowest groups first
    night = drivers["shift"].contributions[0]
    assert night.value == "夜班" and night.change > 2  # minutes added to the average
    vip = drivers["customer_tier"].contributions[0]
    assert vip.value == "VIP" and vip.change > 0
    assert all(c.change > 0 for c in explanation.top)


def test_a_count_level_is_split_into_amounts(layer: SemanticLayer, frames: dict[str, pd.DataFrame]) -> None:
    explanation = explain_change(
        layer,
        ask(metrics=["complaint_count"], time_range={"start": JULY[0], "end": JULY[1]}),
        dimensions=["region"],
    )
    groups = reference(frames, "complaint_count", JULY, "region")
    (drivers,) = explanation.drivers
    assert {c.value: c.change for c in drivers.contributions} == {k: f.value for k, f in groups.items()}
    assert drivers.contributions[0].value == "华南"
    assert math.fsum(c.change for c in drivers.contributions) == explanation.current_value


@pytest.mark.parametrize("metric", ["median_first_response_minutes", "active_agent_count"])
def test_metrics_that_do_not_add_up_over_groups_are_refused(layer: SemanticLayer, metric: str) -> None:
    with pytest.raises(QueryError, match="cannot be split"):
        explain_change(
            layer,
            ask(metrics=[metric], time_range={"start": JULY[0], "end": JULY[1]}, compare="previous_period"),
        )


# --- concentration ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dimension", "leaders"), [("region", ["西南", "西北"]), ("product_model", ["WM-700", "RV-20"])]
)
def test_sla_breaches_concentrate_in_a_few_regions_and_models(
    layer: SemanticLayer, frames: dict[str, pd.DataFrame], dimension: str, leaders: list[str]
) -> None:
    result = concentration(
        layer,
        ask(
            metrics=["response_sla_breach_count"],
            dimensions=[dimension],
            time_range={"period": "last_12_months"},
        ),
    )
    expected = reference(frames, "response_sla_breach_count", LAST_12_MONTHS, dimension)
    amounts = sorted(((f.value or 0.0, str(k)) for k, f in expected.items()), key=lambda x: (-x[0], x[1]))
    total = sum(a for a, _ in amounts)
    assert result.total == total
    assert [(g.value, g.amount) for g in result.groups] == [(v, a) for a, v in amounts]
    running = 0.0
    for group, (amount, _) in zip(result.groups, amounts, strict=True):
        running += amount
        assert close(group.share, amount / total) and close(group.cumulative_share, running / total)
    needed = next(i + 1 for i in range(len(amounts)) if sum(a for a, _ in amounts[: i + 1]) >= 0.8 * total)
    assert result.groups_for_80_percent == needed
    assert close(result.share_of_groups_for_80_percent, needed / len(amounts))
    assert [g.value for g in result.groups[:2]] == leaders
    assert result.groups[1].cumulative_share > 0.4  # two of many hold a big part of all breaches


def test_concentration_of_a_rate_is_refused_with_its_count_suggested(layer: SemanticLayer) -> None:
    with pytest.raises(QueryError) as raised:
        concentration(layer, ask(metrics=["response_sla_breach_rate"], dimensions=["region"]))
    assert raised.value.suggestions == ["response_sla_breach_count"]


# --- anomalies ----------------------------------------------------------------------------------------


def _months(values: list[float | None]) -> list[tuple[str, float | None]]:
    return [(f"2026-{i + 1:02d}-01", v) for i, v in enumerate(values)]


def test_a_planted_spike_and_dip_are_found_most_extreme_first() -> None:
    values: list[float | None] = [100, 103, 98, 101, 99, 102, 180, 100, 97, 101, 40, 100]
    found = find_anomalies(_months(values))
    assert [(a.period, a.direction) for a in found] == [("2026-07-01", "high"), ("2026-11-01", "low")]
    median, mad = 100.0, 1.5
    assert found[0].expected == median and close(found[0].score, (180 - median) / (1.4826 * mad))
    assert close(found[1].score, (40 - median) / (1.4826 * mad))


def test_flat_short_and_noisy_series_give_no_anomalies() -> None:
    assert find_anomalies(_months([5.0] * 12)) == []
    assert find_anomalies(_months([1, 1, 1, 1, 900])) == []  # five points: too short
    assert find_anomalies(_months([100, None, 250, None, 101, None, 99, None])) == []  # four values
    assert find_anomalies(_months([10, 12, 11, 13, 9, 12, 10, 11, 12, 10])) == []


def test_one_departure_from_a_constant_series_is_found() -> None:
    found = find_anomalies(_months([5, 5, 5, 5, 5, 5, 5, 12]))  # MAD is 0
    assert [(a.period, a.value, a.expected, a.direction) for a in found] == [("2026-08-01", 12, 5, "high")]


# --- distribution -------------------------------------------------------------------------------------


def _check_bins(result: Any, values: pd.Series) -> None:
    assert sum(b.count for b in result.bins) == result.count == len(values)
    assert result.bins[0].start <= values.min() and result.bins[-1].end >= values.max()
    for index, b in enumerate(result.bins):
        last = index == len(result.bins) - 1
        inside = (values >= b.start) if last else (values >= b.start) & (values < b.end)
        assert b.count == int(inside.sum()), b
        if not last:
            assert b.end == result.bins[index + 1].start


def test_first_response_distribution_matches_pandas_over_every_row(
    layer: SemanticLayer, frames: dict[str, pd.DataFrame]
) -> None:
    result = distribution(
        layer,
        ask(
            fields=["first_response_minutes"],
            time_range={"period": "last_12_months"},
            filters=[{"dimension": "customer_tier", "op": "eq", "values": ["VIP"]}],
        ),
    )
    tickets = frames["tickets"]
    keep = (
        (tickets["created_at"] >= pd.Timestamp(LAST_12_MONTHS[0]))
        & (tickets["created_at"] < pd.Timestamp(LAST_12_MONTHS[1]))
        & tickets["customer_tier"].eq("VIP")
    )
    values = tickets.loc[keep, "first_response_minutes"].dropna()
    assert result.count == len(values) > layer.detail_limit
    assert close(result.mean, float(values.mean()))
    assert close(result.p50, float(values.median()))
    assert close(result.p90, float(values.quantile(0.9)))
    assert 10 <= len(result.bins) <= 20
    widths = {round(b.end - b.start, 9) for b in result.bins[:-1]}
    assert len(widths) == 1 and widths.pop() in {1, 2, 2.5, 5, 10, 20, 25, 50, 100}
    assert result.bins[-1].start <= float(values.quantile(0.99))
    _check_bins(result, values)
    assert len(result.sql) == 2 and all("LIMIT" not in sql for sql in result.sql)


def test_csat_distribution_has_one_bin_per_score(
    layer: SemanticLayer, frames: dict[str, pd.DataFrame]
) -> None:
    result = distribution(layer, ask(fields=["csat_score"], time_range={"start": JULY[0], "end": JULY[1]}))
    surveys = frames["surveys"]
    keep = (surveys["created_at"] >= pd.Timestamp(JULY[0])) & (surveys["created_at"] < pd.Timestamp(JULY[1]))
    values = surveys.loc[keep, "csat_score"].astype(float)
    assert [b.start for b in result.bins] == [1, 2, 3, 4, 5]
    _check_bins(result, values)
    assert close(result.mean, float(values.mean())) and close(result.p90, float(values.quantile(0.9)))

    south = Identity(user_id="s", attributes={"region": "华南"})
    seen = distribution(
        layer, ask(fields=["csat_score"], time_range={"start": JULY[0], "end": JULY[1]}), south
    )
    in_south = values[surveys.loc[keep, "region"].eq("华南")]
    assert seen.count == len(in_south) and close(seen.mean, float(in_south.mean()))
    _check_bins(seen, in_south)


def test_distribution_of_no_rows_and_of_a_text_field(layer: SemanticLayer) -> None:
    empty = distribution(
        layer, ask(fields=["resolution_hours"], time_range={"start": "2030-01-01", "end": "2030-02-01"})
    )
    assert (empty.count, empty.mean, empty.bins) == (0, None, ())
    with pytest.raises(QueryError, match="not a numeric field"):
        distribution(layer, ask(fields=["comment"]))


@pytest.mark.parametrize(
    ("low", "high", "bins", "integer", "expected"),
    [
        (0.0, 95.0, 20, False, [5.0 * i for i in range(19)]),
        (0.0, 100.0, 20, False, [5.0 * i for i in range(20)]),
        (3.2, 3.2, 20, False, [3.0]),
        (0.1, 0.9, 4, False, [0.0, 0.25, 0.5, 0.75]),
        (0, 10, 20, True, [float(i) for i in range(11)]),
        (0, 100, 5, True, [0.0, 25.0, 50.0, 75.0, 100.0]),
    ],
)
def test_nice_edges(low: float, high: float, bins: int, integer: bool, expected: list[float]) -> None:
    assert nice_edges(low, high, bins, integer) == expected
