"""Segments (pairs of groups that explain what single groups do not) checked against pandas.

The pandas side recomputes every cell from the raw rows and fits the two predictions with other
algorithms than the code under test: backfitting for the additive one (the code solves a least-squares
problem) and iterative proportional fitting written with groupby for the multiplicative one. The
formulas are the ones documented in agent/insights/segments.py.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from agent.analysis import Segment
from agent.insights import explain_change, find_segments
from agent.insights.segments import (
    MAX_BLOCK_ROWS,
    MAX_QUERIES,
    MAX_SEGMENT_GROUPS,
    MIN_RECORDS,
    MIN_WEIGHT,
    plan_blocks,
)
from semantic_layer.engine import DuckDBEngine
from semantic_layer.identity import Identity
from semantic_layer.layer import SemanticLayer
from semantic_layer.loader import load_model, parse_model
from semantic_layer.periods import FixedClock
from semantic_layer.query import SemanticQuery

TODAY = date(2026, 11, 15)
JULY = ("2026-07-01", "2026-08-01")
JUNE = ("2026-06-01", "2026-07-01")
LAST_12_MONTHS = ("2025-12-01", "2026-12-01")
TOLERANCE = 1e-9
FIT_TOLERANCE = 1e-6  # the fits are iterative on both sides


@pytest.fixture(scope="module")
def layer(demo_db: Path) -> Iterator[SemanticLayer]:
    engine = DuckDBEngine(demo_db)
    yield SemanticLayer(load_model(), engine, clock=FixedClock(TODAY))
    engine.close()


def ask(**query: object) -> SemanticQuery:
    return SemanticQuery.model_validate(query)


def between(frame: pd.DataFrame, span: tuple[str, str], column: str = "created_at") -> pd.DataFrame:
    return frame[(frame[column] >= pd.Timestamp(span[0])) & (frame[column] < pd.Timestamp(span[1]))]


def close(actual: float | None, expected: float | None, tolerance: float = TOLERANCE) -> bool:
    if actual is None or expected is None:
        return actual is expected
    return math.isclose(actual, expected, rel_tol=tolerance, abs_tol=tolerance)


# --- the reference computation -------------------------------------------------------------------------


def label(key: object) -> str:
    return "(null)" if key is None or (isinstance(key, float) and math.isnan(key)) else str(key)


def amounts(frame: pd.DataFrame, dimensions: list[str], value: str) -> pd.DataFrame:
    """Sum (N) and count (W) of the non-null values of `value` per cell, keyed by labels."""
    valid = frame[frame[value].notna()]
    keys = [valid[d].map(label) for d in dimensions]
    grouped = valid.groupby(keys)[value].agg(["sum", "count"])
    return grouped.rename(columns={"sum": "N", "count": "W"}).astype(float)


def backfit(cells: pd.DataFrame, target: str, weight: str, used: pd.Series) -> pd.Series:
    """Weighted least squares of target ~ alpha[a] + beta[b] over the `used` cells by backfitting,
    predicted for every cell."""
    fit = cells[used]
    a, b = fit.index.get_level_values(0), fit.index.get_level_values(1)
    y, w = fit[target], fit[weight]
    beta = pd.Series(0.0, index=sorted(set(b)))
    for _ in range(100_000):
        alpha = ((y - beta.reindex(b).to_numpy()) * w).groupby(a).sum() / w.groupby(a).sum()
        new_beta = ((y - alpha.reindex(a).to_numpy()) * w).groupby(b).sum() / w.groupby(b).sum()
        converged = (new_beta - beta).abs().max() < 1e-13
        beta = new_beta
        if converged:
            break
    every_a, every_b = cells.index.get_level_values(0), cells.index.get_level_values(1)
    return pd.Series(alpha.reindex(every_a).to_numpy() + beta.reindex(every_b).to_numpy(), index=cells.index)


def proportional(cells: pd.DataFrame, offset: str, observed: str, used: pd.Series) -> pd.Series:
    """offset * x[a] * y[b] with the a and b totals of `observed` over the `used` cells with a positive
    offset (iterative proportional fitting), predicted for every cell with a positive offset."""
    fit = cells[used & (cells[offset] > 0)]
    a, b = fit.index.get_level_values(0), fit.index.get_level_values(1)
    x = pd.Series(1.0, index=sorted(set(a)))
    y = pd.Series(1.0, index=sorted(set(b)))
    for _ in range(100_000):
        x = fit[observed].groupby(a).sum() / (fit[offset] * y.reindex(b).to_numpy()).groupby(a).sum()
        y = fit[observed].groupby(b).sum() / (fit[offset] * x.reindex(a).to_numpy()).groupby(b).sum()
        fitted = fit[offset] * x.reindex(a).to_numpy() * y.reindex(b).to_numpy()
        if (fitted.groupby(a).sum() - fit[observed].groupby(a).sum()).abs().max() < 1e-11 * fit[
            observed
        ].sum():
            break
    every_a, every_b = cells.index.get_level_values(0), cells.index.get_level_values(1)
    expected = cells[offset] * x.reindex(every_a).to_numpy() * y.reindex(every_b).to_numpy()
    return expected.where(cells[offset] > 0)


def reference_cells(
    current: pd.DataFrame,
    previous: pd.DataFrame | None,
    dimensions: list[str],
    value: str,
    direction: float,
    left_out: tuple[tuple[str, str], ...] = (),
) -> pd.DataFrame:
    """Per cell of two dimensions: value(s), weight, contribution, gap, both predictions'
    interactions and the score (as documented in segments.py), computed from raw rows; the
    predictions are fitted on the cells but those `left_out`."""
    cells = amounts(current, dimensions, value)
    whole_n, whole_w = cells["N"].sum(), cells["W"].sum()
    if previous is None:
        overall = whole_n / whole_w
        cells["q"] = cells["W"] / whole_w
        cells["v"] = cells["q"]
        cells["current"] = cells["N"] / cells["W"]
        cells["c"] = cells["q"] * (cells["current"] - overall)
        cells["t"] = cells["current"] - overall
        used = ~cells.index.isin(left_out)
        multiplicative = (cells["N"] - proportional(cells, "W", "N", used)) / whole_w
    else:
        before = amounts(previous, dimensions, value).rename(columns={"N": "NB", "W": "WB"})
        cells = cells.join(before, how="outer").fillna(0.0)
        now, then = whole_n / whole_w, cells["NB"].sum() / cells["WB"].sum()
        middle, total_change = (now + then) / 2, now - then
        cells["q"], cells["p"] = cells["W"] / whole_w, cells["WB"] / cells["WB"].sum()
        cells["v"] = (cells["p"] + cells["q"]) / 2
        cells["current"] = (cells["N"] / cells["W"]).where(cells["W"] > 0)
        cells["previous"] = (cells["NB"] / cells["WB"]).where(cells["WB"] > 0)
        # rate + mix (explain.py), written as one expression valid for new and gone groups too
        cells["c"] = (
            cells["N"] / whole_w - cells["NB"] / cells["WB"].sum() - (cells["q"] - cells["p"]) * middle
        )
        cells["t"] = cells["c"] / cells["v"] - total_change
        used = ~cells.index.isin(left_out)
        expected_n = proportional(cells, "NB", "N", used)
        expected_w = proportional(cells, "WB", "W", used)
        multiplicative = (cells["N"] - expected_n) / whole_w - (cells["W"] - expected_w) / whole_w * middle
    cells["additive"] = cells["v"] * (cells["t"] - backfit(cells, "t", "v", used))
    cells["multiplicative"] = multiplicative
    scores = pd.concat([direction * cells["additive"], direction * cells["multiplicative"]], axis=1)
    cells["score"] = scores.min(axis=1)  # NaN (no multiplicative prediction) is skipped
    for level, name in enumerate(dimensions):
        keys = cells.index.get_level_values(level)
        group_gap = (cells["v"] * cells["t"]).groupby(keys).sum() / cells["v"].groupby(keys).sum()
        cells[f"gap_{name}"] = group_gap.reindex(keys).to_numpy()
    cells["records"] = cells["W"] + (cells["WB"] if previous is not None else 0.0)
    return cells


def eligible(cells: pd.DataFrame, dimensions: list[str], direction: float) -> pd.DataFrame:
    """The cells the method may report: enough support, worse than the whole and than its groups."""
    worse = (direction * cells["t"] > 0) & (cells["v"] >= MIN_WEIGHT) & (cells["records"] >= MIN_RECORDS)
    for name in dimensions:
        worse &= direction * (cells["t"] - cells[f"gap_{name}"]) > 0
    return cells[worse]


def check_segment(
    segment: Segment,
    current: pd.DataFrame,
    previous: pd.DataFrame | None,
    value: str,
    direction: float,
    found_before: tuple[Segment, ...] = (),
) -> pd.DataFrame:
    """Every number of `segment` against pandas, its interaction against the predictions fitted on
    the cells of its pair but the segments found in it before; the pair's cells."""
    dimensions = list(segment.dimensions)
    earlier = tuple(s.values for s in found_before if s.dimensions == segment.dimensions)
    cells = reference_cells(current, previous, dimensions, value, direction, earlier)
    row = cells.loc[segment.values]
    assert close(segment.current, row["current"]), segment
    assert close(segment.weight, row["q"]) and close(segment.change, row["c"]), segment
    assert close(segment.gap, row["t"]), segment
    assert segment.records == round(row["records"])
    if previous is not None:
        assert close(segment.previous, row["previous"]) and segment.lift is None
    else:
        overall = cells["N"].sum() / cells["W"].sum()
        assert segment.previous is None and close(segment.lift, row["current"] / overall)
    assert close(direction * segment.interaction, row["score"], FIT_TOLERANCE), segment
    assert close(segment.expected_gap, row["t"] - segment.interaction / row["v"], FIT_TOLERANCE)
    assert segment.values in set(eligible(cells, dimensions, direction).index)
    return cells


# --- the planted stories ------------------------------------------------------------------------------


def test_slow_first_response_is_traced_to_vip_tickets_on_the_night_shift(
    layer: SemanticLayer, frames: dict[str, pd.DataFrame]
) -> None:
    explanation = explain_change(
        layer, ask(metrics=["avg_first_response_minutes"], time_range={"period": "last_12_months"})
    )
    tickets = between(frames["tickets"], LAST_12_MONTHS)
    first = explanation.segments[0]
    assert first.dimensions == ("shift", "customer_tier") and first.values == ("夜班", "VIP")
    check_segment(first, tickets, None, "first_response_minutes", 1.0)
    responded = tickets[tickets["first_response_minutes"].notna()]
    vip_night = responded[(responded["shift"] == "夜班") & (responded["customer_tier"] == "VIP")]
    minutes = vip_night["first_response_minutes"].mean()
    assert close(explanation.current_value, responded["first_response_minutes"].mean())
    assert close(first.current, minutes) and first.records == len(vip_night)
    assert close(first.weight, len(vip_night) / len(responded))
    assert close(first.gap, minutes - responded["first_response_minutes"].mean())
    assert first.lift is not None and first.lift > 2  # more than twice the overall average
    assert first.gap > 2 * first.expected_gap > 0  # the night and VIPs alone predict far less
    # the one-dimensional view alone does not show it
    assert not {"shift", "customer_tier"} & {c.dimension for c in explanation.top}

    assert 0 < len(explanation.segments) <= 3
    for index, segment in enumerate(explanation.segments):
        check_segment(segment, tickets, None, "first_response_minutes", 1.0, explanation.segments[:index])
    interactions = [s.interaction for s in explanation.segments]
    assert interactions == sorted(interactions, reverse=True) and interactions[-1] > 0
    assert len(explanation.sql) == 1 + len(explanation.drivers)  # the one-dimensional queries only
    # every pair of the 12 dimensions with few groups was looked at, in 1 + 10 queries
    counts = {d.dimension: len(d.contributions) for d in explanation.drivers}
    paired = {k: n for k, n in counts.items() if n <= MAX_SEGMENT_GROUPS}
    blocks = plan_blocks(paired, MAX_BLOCK_ROWS, MAX_QUERIES, len(responded))
    assert {p for b in blocks for p in itertools.combinations(b, 2)} == set(itertools.combinations(paired, 2))
    assert len(paired) == 12 and len(explanation.segment_sql) == 1 + len(blocks) <= 1 + MAX_QUERIES


def test_find_segments_over_the_dimensions_asked(
    layer: SemanticLayer, frames: dict[str, pd.DataFrame]
) -> None:
    query = ask(metrics=["avg_first_response_minutes"], time_range={"period": "last_12_months"})
    (segment,) = find_segments(layer, query, dimensions={"shift": 2, "customer_tier": 3})
    assert segment.values == ("夜班", "VIP")
    check_segment(segment, between(frames["tickets"], LAST_12_MONTHS), None, "first_response_minutes", 1.0)
    assert find_segments(layer, query, dimensions={"shift": 2}) == ()  # no pair
    assert find_segments(layer, query, dimensions={"shift": 2, "agent": 120}) == ()  # too many groups


def test_csat_drop_in_july_is_traced_to_the_south_the_ac300_and_hardware_failures(
    layer: SemanticLayer, frames: dict[str, pd.DataFrame]
) -> None:
    explanation = explain_change(
        layer,
        ask(metrics=["avg_csat"], time_range={"start": JULY[0], "end": JULY[1]}, compare="previous_period"),
    )
    top = {(c.dimension, c.value) for c in explanation.top}
    assert {("region", "华南"), ("product_model", "AC-300"), ("category", "硬件故障")} <= top
    surveys = frames["surveys"]
    july, june = between(surveys, JULY), between(surveys, JUNE)
    assert len(explanation.segments) == 3
    story = {"华南", "AC-300", "空调", "硬件故障"}
    for index, segment in enumerate(explanation.segments):
        assert set(segment.values) <= story and ("华南" in segment.values or "AC-300" in segment.values)
        check_segment(segment, july, june, "csat_score", -1.0, explanation.segments[:index])
        assert segment.change < 0 and segment.interaction < 0  # they pull the score down
    assert {"AC-300", "华南"} in [set(s.values) for s in explanation.segments]


def test_segments_see_only_what_the_identity_sees(
    layer: SemanticLayer, frames: dict[str, pd.DataFrame]
) -> None:
    south = Identity(user_id="s", attributes={"region": "华南"})
    explanation = explain_change(
        layer,
        ask(metrics=["avg_csat"], time_range={"start": JULY[0], "end": JULY[1]}, compare="previous_period"),
        south,
    )
    surveys = frames["surveys"][frames["surveys"]["region"] == "华南"]
    july, june = between(surveys, JULY), between(surveys, JUNE)
    assert explanation.segments
    for index, segment in enumerate(explanation.segments):
        assert "region" not in segment.dimensions
        check_segment(segment, july, june, "csat_score", -1.0, explanation.segments[:index])


def test_a_count_level_has_no_segments(layer: SemanticLayer) -> None:
    explanation = explain_change(
        layer, ask(metrics=["complaint_count"], time_range={"start": JULY[0], "end": JULY[1]})
    )
    assert explanation.segments == () and explanation.segment_sql == ()


# --- a planted interaction in a tiny database ---------------------------------------------------------

JOBS_MODEL = """
name: jobs
default_language: en
calendar: {timezone: UTC, week_start: monday}
tables:
  - {name: jobs, source: jobs, primary_key: job_id, time_dimension: created_date}
dimensions:
  - {name: created_date, type: time, table: jobs, expr: created_at, label: {en: Created}}
  - {name: crew, table: jobs, label: {en: Crew}}
  - {name: site, table: jobs, label: {en: Site}}
  - {name: batch, table: jobs, label: {en: Batch}}
metrics:
  - {name: job_count, table: jobs, agg: count, label: {en: Jobs}}
  - name: avg_minutes
    table: jobs
    agg: avg
    expr: minutes
    polarity: lower_is_better
    label: {en: Average minutes}
"""
CREWS, SITES = ("A1", "A2", "A3"), ("B1", "B2", "B3")
# Correlated dimensions: the slow crew A3 works mostly at the fast site B1, A1 at the slow site B3.
COUNTS = {("A1", "B1"): 60, ("A1", "B2"): 100, ("A1", "B3"): 300, ("A2", "B1"): 100, ("A2", "B2"): 200}
COUNTS |= {("A2", "B3"): 100, ("A3", "B1"): 300, ("A3", "B2"): 100, ("A3", "B3"): 60}
ADD_A, ADD_B = {"A1": 0.0, "A2": 10.0, "A3": 30.0}, {"B1": 0.0, "B2": 15.0, "B3": 40.0}
TIMES_A, TIMES_B = {"A1": 1.0, "A2": 2.0, "A3": 4.0}, {"B1": 1.0, "B2": 1.5, "B3": 3.0}
MAY, JUNE_2026 = ("2026-05-01", "2026-06-01"), ("2026-06-01", "2026-07-01")


def additive(crew: str, site: str) -> float:
    return 20.0 + ADD_A[crew] + ADD_B[site]


def multiplicative(crew: str, site: str) -> float:
    return 10.0 * TIMES_A[crew] * TIMES_B[site]


def planted(crew: str, site: str) -> float:
    """Multiplicative, except crew A2 at site B3, three times slower."""
    return multiplicative(crew, site) * (3.0 if (crew, site) == ("A2", "B3") else 1.0)


STRUCTURES = {"additive": additive, "multiplicative": multiplicative, "planted": planted}


def jobs(level: dict[str, float], first_day: datetime, offset: int = 0) -> pd.DataFrame:
    """Rows with the minutes of each cell (`level`: (crew, site) -> minutes), half in each batch with
    the same values (the batch explains nothing), two values per cell around its minutes."""
    rows = []
    for (crew, site), count in COUNTS.items():
        for i in range(count):
            minutes = level[f"{crew}|{site}"] + (1.0 if i % 2 else -1.0)
            rows.append(
                {
                    "job_id": f"J{offset + len(rows):06d}",
                    "created_at": first_day + timedelta(hours=i % 500),
                    "crew": crew,
                    "site": site,
                    "batch": "C1" if i % 4 < 2 else "C2",
                    "minutes": minutes,
                }
            )
    return pd.DataFrame(rows)


def build(tmp_path: Path, months: list[dict[str, float]]) -> tuple[SemanticLayer, pd.DataFrame]:
    parts = [jobs(level, datetime(2026, 5 + i, 1), offset=100_000 * i) for i, level in enumerate(months)]
    frame = pd.concat(parts, ignore_index=True)
    path = tmp_path / "jobs.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.register("frame", frame)
        connection.execute("CREATE TABLE jobs AS SELECT * FROM frame")
    model = parse_model(JOBS_MODEL, file="jobs.yaml")
    return SemanticLayer(model, DuckDBEngine(path), clock=FixedClock(date(2026, 7, 1))), frame


def cell_levels(structure: str) -> dict[str, float]:
    return {f"{c}|{s}": STRUCTURES[structure](c, s) for c, s in itertools.product(CREWS, SITES)}


@pytest.mark.parametrize("structure", ["additive", "multiplicative", "planted"])
def test_a_planted_interaction_is_found_and_main_effects_are_not(tmp_path: Path, structure: str) -> None:
    layer, frame = build(tmp_path, [cell_levels(structure)])
    explanation = explain_change(
        layer, ask(metrics=["avg_minutes"], time_range={"start": MAY[0], "end": MAY[1]})
    )
    cells = reference_cells(frame, None, ["crew", "site"], "minutes", 1.0)
    # the data has teeth: the textbook gap(a,b) - gap(a) - gap(b) flags a cell in both cases without
    # an interaction (correlated dimensions; effects that multiply)
    crews = frame.groupby("crew")["minutes"].mean() - frame["minutes"].mean()
    sites = frame.groupby("site")["minutes"].mean() - frame["minutes"].mean()
    candidates = eligible(cells, ["crew", "site"], 1.0)
    textbook = [
        row["t"] - crews[crew] - sites[site]
        for (crew, site), row in candidates.iterrows()
        if row["v"] >= MIN_WEIGHT
    ]
    assert max(textbook) > 1.0
    if structure != "planted":
        assert explanation.segments == ()
        return
    (segment,) = explanation.segments
    assert segment.dimensions == ("crew", "site") or segment.dimensions == ("site", "crew")
    crew_first = dict(zip(segment.dimensions, segment.values, strict=True))
    assert crew_first == {"crew": "A2", "site": "B3"}
    assert close(segment.current, 3 * multiplicative("A2", "B3"))  # 180 minutes
    assert segment.records == 100 and close(segment.weight, 100 / sum(COUNTS.values()))
    check_segment(
        segment.model_copy(update={"dimensions": ("crew", "site"), "values": ("A2", "B3")}),
        frame,
        None,
        "minutes",
        1.0,
    )


@pytest.mark.parametrize("structure", ["additive", "multiplicative", "planted"])
def test_a_planted_interaction_in_a_change(tmp_path: Path, structure: str) -> None:
    before = cell_levels("multiplicative")
    after = {
        "additive": {k: v + ADD_A[k[:2]] / 2 + ADD_B[k[3:]] / 2 for k, v in before.items()},
        "multiplicative": {k: v * TIMES_A[k[:2]] * TIMES_B[k[3:]] for k, v in before.items()},
        "planted": {k: v * (2.0 if k == "A2|B3" else 1.1) for k, v in before.items()},
    }[structure]
    layer, frame = build(tmp_path, [before, after])
    explanation = explain_change(
        layer,
        ask(
            metrics=["avg_minutes"],
            time_range={"start": JUNE_2026[0], "end": JUNE_2026[1]},
            compare="previous_period",
        ),
    )
    if structure != "planted":
        assert explanation.segments == ()
        return
    (segment,) = explanation.segments
    assert dict(zip(segment.dimensions, segment.values, strict=True)) == {"crew": "A2", "site": "B3"}
    june, may = between(frame, JUNE_2026), between(frame, MAY)
    assert close(segment.previous, multiplicative("A2", "B3")) and close(
        segment.current, 2 * multiplicative("A2", "B3")
    )
    check_segment(
        segment.model_copy(update={"dimensions": ("crew", "site"), "values": ("A2", "B3")}),
        june,
        may,
        "minutes",
        1.0,
    )


# --- how queries are planned --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("groups", "max_rows", "max_blocks", "records"),
    [
        (
            {"a": 4, "b": 7, "c": 13, "d": 6, "e": 7, "f": 2, "g": 6, "h": 6, "i": 7, "j": 3, "k": 7, "l": 4},
            5000,
            12,
            None,
        ),
        ({"a": 13, "b": 7, "c": 7, "d": 6, "e": 5, "f": 4}, 1000, 3, None),
        ({"a": 13, "b": 7, "c": 7, "d": 6, "e": 5, "f": 4}, 1000, 30, 500),
        ({"a": 15, "b": 15}, 100, 5, None),
    ],
)
def test_blocks_cover_the_strongest_pairs_within_the_budget(
    groups: dict[str, int], max_rows: int, max_blocks: int, records: int | None
) -> None:
    blocks = plan_blocks(groups, max_rows, max_blocks, records)
    assert len(blocks) <= max_blocks
    covered = {pair for block in blocks for pair in itertools.combinations(block, 2)}
    names = list(groups)
    pairs = list(itertools.combinations(names, 2))
    for block in blocks:
        assert list(block) == sorted(block, key=names.index)  # dimensions in ranking order
        rows = min(math.prod(groups[d] for d in block), records or math.inf)
        assert len(block) == 2 or rows <= max_rows
    if len(blocks) < max_blocks:
        assert covered == set(pairs)
    else:  # out of blocks: each one started with the strongest pair left
        assert set(pairs[:max_blocks]) <= covered and covered != set(pairs)
    if records is not None and records <= max_rows:
        assert blocks == [tuple(names)]  # few rows: one query holds every pair
