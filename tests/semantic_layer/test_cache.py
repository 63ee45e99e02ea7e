"""The semantic layer's result cache: a repeat is answered without running anything, and an entry is
only ever reused for the same query, rows visible, day and language."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from semantic_layer.cache import ResultCache
from semantic_layer.engine import DuckDBEngine
from semantic_layer.identity import Identity
from semantic_layer.layer import SemanticLayer
from semantic_layer.loader import load_model
from semantic_layer.model import SimpleMetric
from semantic_layer.periods import FixedClock
from semantic_layer.query import SemanticQuery
from tests.conftest import DEMO_AS_OF

MODEL = load_model()
SOUTH = Identity("south", {"region": "华南"})
ANOTHER_SOUTH = Identity("south-2", {"region": "华南"})
EAST = Identity("east", {"region": "华东"})
BY_REGION = SemanticQuery.model_validate(
    {"metrics": ["ticket_count"], "dimensions": [{"name": "region"}], "time_range": {"period": "this_month"}}
)


class MovableClock(FixedClock):
    def move(self, day: date) -> None:
        self._day = day


@pytest.fixture()
def engine(demo_db: Path) -> Iterator[DuckDBEngine]:
    engine = DuckDBEngine(demo_db)
    yield engine
    engine.close()


def test_a_repeat_comes_from_the_cache_with_the_same_rows(engine: DuckDBEngine) -> None:
    layer = SemanticLayer(MODEL, engine, clock=FixedClock(DEMO_AS_OF), cache=ResultCache())
    first = layer.query(BY_REGION)
    again = layer.query(BY_REGION)
    assert first.source == "base" and again.source == "cache"
    assert again.rows == first.rows and again.columns == first.columns and again.sql == first.sql
    uncached = SemanticLayer(MODEL, engine, clock=FixedClock(DEMO_AS_OF)).query(BY_REGION)
    assert uncached.source == "base" and uncached.rows == first.rows


def test_entries_are_per_visible_rows_not_per_user(engine: DuckDBEngine) -> None:
    cache = ResultCache()
    layer = SemanticLayer(MODEL, engine, clock=FixedClock(DEMO_AS_OF), cache=cache)
    south = layer.query(BY_REGION, SOUTH)
    east = layer.query(BY_REGION, EAST)
    assert (
        east.source == "base"
        and [r[0] for r in east.rows] == ["华东"]
        and [r[0] for r in south.rows] == ["华南"]
    )
    same_rows = layer.query(BY_REGION, ANOTHER_SOUTH)  # another user who may see exactly the same rows
    assert same_rows.source == "cache" and same_rows.rows == south.rows
    everyone = layer.query(BY_REGION)
    assert everyone.source == "base" and len(everyone.rows) > 1


def test_a_new_day_or_another_language_is_a_new_entry(engine: DuckDBEngine) -> None:
    clock = MovableClock(DEMO_AS_OF)
    layer = SemanticLayer(MODEL, engine, clock=clock, cache=ResultCache())
    layer.query(BY_REGION, language="zh")
    english = layer.query(BY_REGION, language="en")
    assert (
        english.source == "base"
        and english.columns[0].label != layer.query(BY_REGION, language="zh").columns[0].label
    )
    clock.move(DEMO_AS_OF - timedelta(days=31))  # "this month" is now October
    october = layer.query(BY_REGION, language="zh")
    assert october.source == "base" and "2026-10-01" in october.sql


def test_an_extended_layer_shares_the_cache_under_its_own_keys(engine: DuckDBEngine) -> None:
    cache = ResultCache()
    layer = SemanticLayer(MODEL, engine, clock=FixedClock(DEMO_AS_OF), cache=cache)
    helper = SimpleMetric(name="csat_values", table="surveys", agg="count", expr="csat_score", hidden=True)
    extended = layer.extended((helper,))
    assert layer.extended((helper,)) is extended and extended.cache is cache
    query = SemanticQuery.model_validate({"metrics": ["csat_values"], "time_range": {"period": "this_month"}})
    assert extended.query(query).source == "base" and extended.query(query).source == "cache"
    layer.query(BY_REGION)
    assert extended.query(BY_REGION).source == "base"  # a key of the extension, not the layer's


def test_the_cache_is_bounded_and_skips_huge_results(engine: DuckDBEngine) -> None:
    cache = ResultCache(max_entries=2, max_cells=400)
    layer = SemanticLayer(MODEL, engine, clock=FixedClock(DEMO_AS_OF), cache=cache)
    queries = [
        SemanticQuery.model_validate({"metrics": [m], "time_range": {"period": "this_month"}})
        for m in ("ticket_count", "complaint_count", "avg_csat")
    ]
    for query in queries:
        layer.query(query)
    assert len(cache) == 2
    assert layer.query(queries[0]).source == "base"  # the least recently used went first
    assert layer.query(queries[2]).source == "cache"
    by_day = SemanticQuery.model_validate(
        {"metrics": ["ticket_count"], "dimensions": [{"name": "created_date", "grain": "day"}],
         "time_range": {"period": "last_200_days"}}
    )  # fmt: skip
    layer.query(by_day)  # 200 rows x 2 columns: over a quarter of the cells
    assert layer.query(by_day).source == "base"


def test_a_repeated_why_analysis_is_remembered_whole(engine: DuckDBEngine) -> None:
    from agent.insights.explain import explain_change

    cache = ResultCache()
    layer = SemanticLayer(MODEL, engine, clock=FixedClock(DEMO_AS_OF), cache=cache)
    query = SemanticQuery.model_validate(
        {
            "metrics": ["avg_csat"],
            "time_range": {"start": "2026-07-01", "end": "2026-08-01"},
            "compare": "previous_period",
        }
    )
    first = explain_change(layer, query)
    misses = cache.misses
    again = explain_change(layer, query)
    assert again == first and cache.misses == misses  # not a query run, not even a query looked up
    south = explain_change(layer, query, SOUTH)  # other rows: computed afresh
    assert cache.misses > misses and south.current_value != first.current_value
    uncached = explain_change(SemanticLayer(MODEL, engine, clock=FixedClock(DEMO_AS_OF)), query)
    assert uncached == first


def test_short_lived_layers_build_the_same_extended_models(engine: DuckDBEngine) -> None:
    """A server builds a layer per request; its analyses' extended models must not be new objects each
    time (rollups keep a view per model)."""
    serving = SemanticLayer(MODEL, engine, clock=FixedClock(DEMO_AS_OF), cache=ResultCache())
    helper = SimpleMetric(name="csat_values", table="surveys", agg="count", expr="csat_score", hidden=True)
    models = []
    for _ in range(3):
        request = SemanticLayer(MODEL, engine, clock=FixedClock(DEMO_AS_OF), cache=serving.cache)
        request.share_extensions(serving)
        models.append(request.extended((helper,)).model)
    assert models[0] is models[1] is models[2] is serving.extended((helper,)).model
    alone = SemanticLayer(MODEL, engine, clock=FixedClock(DEMO_AS_OF))
    assert alone.extended((helper,)).model is not models[0]
    with pytest.raises(ValueError):
        alone.share_extensions(SemanticLayer(serving.extended((helper,)).model, engine))
