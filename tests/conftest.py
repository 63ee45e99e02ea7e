"""Shared fixtures: one demo database per test session, generated with a fixed seed and as-of date."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

# Servers started by tests answer from the base tables unless a test switches rollups on: building them
# in the background of every short-lived test server would only cost time (tests/server/test_freshness.py
# and tests/semantic_layer/test_rollups.py cover them).
os.environ.setdefault("CHATBI_ROLLUPS", "off")

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


def require_system(what: str, available: bool) -> None:
    """Skip loudly when a system package is missing; under CI=true a missing package fails instead."""
    if available:
        return
    message = f"!!! {what} is not installed (make test installs it with apt when run as root)"
    if os.environ.get("CI") == "true":
        pytest.fail(message + "; CI must have it")
    pytest.skip(message)
