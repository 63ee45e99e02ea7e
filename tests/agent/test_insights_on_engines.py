"""Analyses that write their own SQL (the distribution of a field) give DuckDB's numbers on PostgreSQL and
Spark SQL too (the semantic queries themselves: tests/semantic_layer/test_engines.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.insights.distribution import distribution
from semantic_layer.engine import DuckDBEngine, Engine
from semantic_layer.engines import EngineSettings, open_engine
from semantic_layer.layer import SemanticLayer
from semantic_layer.loader import load_model
from semantic_layer.periods import FixedClock
from semantic_layer.query import SemanticQuery
from tests.conftest import DEMO_AS_OF

MODEL = load_model()
QUERY = SemanticQuery.model_validate(
    {
        "fields": ["first_response_minutes"],
        "filters": [{"dimension": "region", "op": "in", "values": ["华南", "华东"]}],
        "time_range": {"start": "2026-01-01", "end": "2026-10-01"},
    }
)


@pytest.fixture(params=["postgres", "spark"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    url = request.getfixturevalue(f"{request.param}_url")
    engine = open_engine(url, EngineSettings(query_timeout=120.0, timezone=MODEL.calendar.timezone))
    yield engine
    engine.close()


def test_a_distribution_is_the_same_on_every_engine(engine: Engine, small_demo_db: Path) -> None:
    duckdb = DuckDBEngine(small_demo_db)
    try:
        expected = distribution(SemanticLayer(MODEL, duckdb, clock=FixedClock(DEMO_AS_OF)), QUERY)
    finally:
        duckdb.close()
    actual = distribution(SemanticLayer(MODEL, engine, clock=FixedClock(DEMO_AS_OF)), QUERY)
    assert expected.count > 1000
    assert (actual.count, actual.bins) == (expected.count, expected.bins)
    assert [actual.mean, actual.p50, actual.p90] == pytest.approx(
        [expected.mean, expected.p50, expected.p90], rel=1e-9
    )
