"""Shared fixtures: one demo database per test session, generated with a fixed seed and as-of date."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

DEMO_AS_OF = date(2026, 11, 15)
DEMO_SEED = 7
DEMO_TICKETS = 200_000


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path to a demo DuckDB file (200k tickets, as of 2026-11-15, seed 7), generated once per session."""
    from semantic_layer.demo.generate import generate_demo_database

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    generate_demo_database(path, tickets=DEMO_TICKETS, as_of=DEMO_AS_OF, seed=DEMO_SEED)
    return path
