"""What `chatbi init URL` reads from the engines: the tables the account may read with their columns
(PostgreSQL's catalog, in a read-only session; Spark's catalog within the query timeout), and the
conversions of text times a draft suggests for a view, run on the real PostgreSQL and Spark."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from semantic_layer.drafting.timestamps import detect_timestamp_format
from semantic_layer.engines import EngineSettings, open_engine
from semantic_layer.engines.catalog import CatalogTable
from semantic_layer.engines.common import run_bounded
from semantic_layer.engines.postgres import PostgresEngine
from semantic_layer.engines.spark import SparkEngine
from semantic_layer.errors import QueryTimeout
from tests.semantic_layer.drafting.test_database import TEXT_TIMES, one_pattern

DEMO_TABLES = {"tickets", "surveys", "customers", "agents", "demo_metadata"}
COLUMNS = ("ticket_id", "created_at", "contact_count", "is_complaint")


@pytest.fixture(scope="module")
def postgres(postgres_url: str) -> Iterator[PostgresEngine]:
    engine = open_engine(postgres_url, EngineSettings(query_timeout=10.0))
    assert isinstance(engine, PostgresEngine)
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def spark(spark_url: str) -> SparkEngine:
    engine = open_engine(spark_url, EngineSettings(query_timeout=60.0, timezone="UTC"))
    assert isinstance(engine, SparkEngine)
    return engine


def kinds(table: CatalogTable) -> dict[str, str]:
    return {column.name: column.kind for column in table.columns}


def test_postgres_lists_what_the_role_may_read(postgres: PostgresEngine) -> None:
    tables = {t.reference: t for t in postgres.list_tables()}
    assert set(tables) == DEMO_TABLES == postgres.tables  # not `secrets`, which it may not read
    tickets = tables["tickets"]
    assert (tickets.schema, tickets.name, tickets.view) == ("public", "tickets", False)
    assert {k: v for k, v in kinds(tickets).items() if k in COLUMNS} == {
        "ticket_id": "text",
        "created_at": "timestamp",
        "contact_count": "integer",
        "is_complaint": "boolean",
    }
    assert [c.name for c in tickets.columns][:2] == ["ticket_id", "created_at"]  # in the table's order


@pytest.mark.parametrize(
    "schemas",
    [["pg_catalog"], ["information_schema"], ["public'); DROP TABLE tickets; --"], ["nowhere"]],
    ids=["system", "information-schema", "quote", "missing"],
)
def test_postgres_lists_nothing_outside_user_schemas(postgres: PostgresEngine, schemas: list[str]) -> None:
    assert postgres.list_tables(schemas) == ()
    assert postgres.execute("SELECT count(*) FROM tickets").rows == [[20_000]]


def test_spark_lists_the_sessions_views_with_their_columns(spark: SparkEngine) -> None:
    tables = {t.reference: t for t in spark.list_tables()}
    assert set(tables) >= {"tickets", "surveys", "customers", "agents"}
    tickets = tables["tickets"]
    assert tickets.schema is None  # a temporary view
    assert {k: v for k, v in kinds(tickets).items() if k in COLUMNS} == {
        "ticket_id": "text",
        "created_at": "timestamp",  # DuckDB's Parquet times carry no zone: Spark's TIMESTAMP_NTZ
        "contact_count": "integer",
        "is_complaint": "boolean",
    }
    assert spark.list_tables(["default"]) == ()  # temporary views belong to no database


def test_a_catalog_read_past_its_deadline_is_given_up() -> None:
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match=r"reading the catalog took longer than 0\.2 seconds"):
        run_bounded(lambda: time.sleep(3), 0.2, "reading the catalog")
    assert time.monotonic() - started < 1
    assert run_bounded(lambda: 42, 1.0, "x") == 42


def _suggested(values: list[str], dialect: str) -> str:
    from semantic_layer.drafting.database import text_time_conversion

    found = detect_timestamp_format(values)
    assert found is not None
    fmt = dataclasses.replace(found, patterns=(one_pattern(found.patterns, values),))
    conversion = text_time_conversion("written", fmt, dialect)
    assert conversion is not None
    return conversion.sql(dialect=dialect)


@pytest.mark.parametrize(("values", "_postgres", "_spark"), TEXT_TIMES, ids=[v[0][0] for v in TEXT_TIMES])
def test_the_suggested_conversions_read_text_times_on_postgres(
    postgres_cluster: Any, values: list[str], _postgres: str, _spark: str
) -> None:
    expected = [
        datetime.strptime(v, one_pattern(detect_timestamp_format(values).patterns, values)) for v in values
    ]  # type: ignore[union-attr]
    with postgres_cluster.admin() as admin:
        rows = admin.execute(
            f"SELECT {_suggested(values, 'postgres')} FROM unnest(%s::text[]) WITH ORDINALITY AS t(written, n) "  # type: ignore[arg-type]
            "ORDER BY n",
            (values,),
        ).fetchall()
    assert [row[0] for row in rows] == expected


@pytest.mark.parametrize(("values", "_postgres", "_spark"), TEXT_TIMES, ids=[v[0][0] for v in TEXT_TIMES])
def test_the_suggested_conversions_read_text_times_on_spark(
    spark: SparkEngine, values: list[str], _postgres: str, _spark: str
) -> None:
    expected = [
        datetime.strptime(v, one_pattern(detect_timestamp_format(values).patterns, values)) for v in values
    ]  # type: ignore[union-attr]
    frame = spark.session.createDataFrame([(i, v) for i, v in enumerate(values)], "n int, written string")
    rows = frame.selectExpr("n", _suggested(values, "spark")).orderBy("n").collect()
    assert [row[1] for row in rows] == expected
