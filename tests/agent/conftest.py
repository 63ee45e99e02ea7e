"""Fixtures shared by the agent's tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from semantic_layer.engine import open_read_only


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
