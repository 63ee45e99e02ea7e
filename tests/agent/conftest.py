"""Fixtures shared by the agent's tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from agent.evaluation import EVAL_TODAY
from agent.parser import Planner
from agent.value_index import build_value_index
from semantic_layer.engine import DuckDBEngine, open_read_only
from semantic_layer.layer import SemanticLayer
from semantic_layer.loader import load_model
from semantic_layer.periods import FixedClock


@pytest.fixture(scope="module")
def eval_layer(demo_db: Path) -> SemanticLayer:
    """The demo model's layer with the eval's today (2026-11-15)."""
    return SemanticLayer(load_model(), DuckDBEngine(demo_db), clock=FixedClock(EVAL_TODAY))


@pytest.fixture(scope="module")
def eval_planner(eval_layer: SemanticLayer) -> Planner:
    """The built-in parser on the demo model, with the eval's today (2026-11-15)."""
    return Planner(eval_layer.model, build_value_index(eval_layer), FixedClock(EVAL_TODAY))


@pytest.fixture(scope="module")
def frames(demo_db: Path) -> dict[str, pd.DataFrame]:
    """The raw demo tables for independent pandas checks: tickets (with their customer's tier and
    industry, and first-response minutes) and surveys (with their ticket's columns)."""
    connection = open_read_only(demo_db)
    try:
        tickets = connection.sql("SELECT * FROM tickets").df()
        surveys = connection.sql("SELECT * FROM surveys").df()
        customers = connection.sql("SELECT customer_id, tier, industry FROM customers").df()
    finally:
        connection.close()
    tickets = tickets.merge(
        customers.rename(columns={"tier": "customer_tier"}), on="customer_id", how="left", validate="m:1"
    )
    seconds = (tickets["first_response_at"] - tickets["created_at"]).dt.total_seconds()
    tickets["first_response_minutes"] = seconds / 60.0
    surveys = surveys.merge(tickets, on="ticket_id", how="left", validate="m:1")
    return {"tickets": tickets, "surveys": surveys}
