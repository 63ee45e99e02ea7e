"""Fixtures of the LLM planner's tests: the demo data read as of the eval's today, and the parser."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.evaluation import EVAL_TODAY
from agent.parser import Planner
from agent.value_index import build_value_index
from semantic_layer.engine import DuckDBEngine
from semantic_layer.layer import SemanticLayer
from semantic_layer.loader import load_model
from semantic_layer.periods import FixedClock


@pytest.fixture(scope="module")
def layer(demo_db: Path) -> SemanticLayer:
    return SemanticLayer(load_model(), DuckDBEngine(demo_db), clock=FixedClock(EVAL_TODAY))


@pytest.fixture(scope="module")
def rules(layer: SemanticLayer) -> Planner:
    return Planner(layer.model, build_value_index(layer), layer.clock)
