"""Shared fixtures: one demo database per test session, generated with a fixed seed and as-of date."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

# Servers started by tests answer from the base tables unless a test switches rollups on: building them
# in the background of every short-lived test server would only cost time (tests/server/test_freshness.py
# and tests/semantic_layer/test_rollups.py cover them).
os.environ.setdefault("CHATBI_ROLLUPS", "off")

DEMO_AS_OF = date(2026, 11, 15)
DEMO_SEED = 7
DEMO_TICKETS = 200_000
SMALL_DEMO_TICKETS = 20_000


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path to a demo DuckDB file (200k tickets, as of 2026-11-15, seed 7), generated once per session."""
    from semantic_layer.demo.generate import generate_demo_database

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    generate_demo_database(path, tickets=DEMO_TICKETS, as_of=DEMO_AS_OF, seed=DEMO_SEED)
    return path


@pytest.fixture(scope="session")
def small_demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo DuckDB file (20k tickets, same as-of and seed): what the PostgreSQL and Spark tests
    load, and the DuckDB side they are compared with."""
    from semantic_layer.demo.generate import generate_demo_database

    path = tmp_path_factory.mktemp("small-demo") / "demo.duckdb"
    generate_demo_database(path, tickets=SMALL_DEMO_TICKETS, as_of=DEMO_AS_OF, seed=DEMO_SEED)
    return path


@pytest.fixture(scope="session")
def postgres_cluster(small_demo_db: Path) -> Iterator[Any]:
    """One PostgreSQL cluster for the test session, holding the small demo tables (see tests/databases.py)."""
    from tests.databases import PostgresCluster, load_postgres, postgres_bin

    bin = postgres_bin()
    require_system("the PostgreSQL server (postgresql)", bin is not None)
    assert bin is not None
    cluster = PostgresCluster.create(bin)
    cluster.start()
    try:
        load_postgres(cluster, small_demo_db)
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_cluster: Any) -> str:
    """The URL of the small demo on PostgreSQL, as its SELECT-only role."""
    from tests.databases import READER, READER_PASSWORD

    return str(postgres_cluster.url(READER, READER_PASSWORD))


@pytest.fixture(scope="session")
def spark_session() -> Iterator[Any]:
    """The test session's one local Spark session (Java required)."""
    from tests.databases import java_available, start_spark

    require_system("Java (default-jre-headless), which Spark needs", java_available())
    session = start_spark()
    yield session
    session.stop()


@pytest.fixture(scope="session")
def spark_url(spark_session: Any, small_demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A spark-local:// URL serving the small demo's tables from Parquet files on the shared session."""
    from tests.databases import write_parquet_tables

    folder = write_parquet_tables(small_demo_db, tmp_path_factory.mktemp("spark-tables"))
    return f"spark-local://{folder}"


def require_system(what: str, available: bool) -> None:
    """Skip loudly when a system package is missing; under CI=true a missing package fails instead."""
    if available:
        return
    message = f"!!! {what} is not installed (make test installs it with apt when run as root)"
    if os.environ.get("CI") == "true":
        pytest.fail(message + "; CI must have it")
    pytest.skip(message)


# `make test` runs every behaviour once; `make test-all` (pytest --exhaustive) adds the exhaustive cross
# products (policies x joins x engines, grains x ranges, ...), marked `exhaustive`, that would push the
# suite past CI's budget as they grow.
def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--exhaustive", action="store_true", help="also run the tests marked exhaustive")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--exhaustive"):
        return
    skip = pytest.mark.skip(reason="exhaustive: run with `make test-all` (pytest --exhaustive)")
    for item in items:
        if "exhaustive" in item.keywords:
            item.add_marker(skip)
