"""Which engine a database setting names, and how its URL is shown (never with its secrets)."""

from __future__ import annotations

from pathlib import Path

import pytest

from semantic_layer.engines import engine_kind, redact
from semantic_layer.engines.spark import SparkLocation
from semantic_layer.errors import ExecutionError


@pytest.mark.parametrize(
    ("db", "kind"),
    [
        ("data/demo.duckdb", "duckdb"),
        ("/srv/analytics.duckdb", "duckdb"),
        ("postgresql://reader:pw@db:5432/analytics", "postgres"),
        ("postgres://reader@db/analytics", "postgres"),
        ("spark-local://", "spark"),
        ("spark-local:///data/lake?threads=2", "spark"),
        ("sc://spark.internal:15002", "spark"),
    ],
)
def test_the_setting_picks_the_engine(db: str, kind: str) -> None:
    assert engine_kind(db) == kind


def test_an_unknown_url_names_the_known_ones_without_its_password() -> None:
    with pytest.raises(ExecutionError) as caught:
        engine_kind("mysql://root:hunter2@db/analytics")
    assert str(caught.value) == (
        "unsupported database URL mysql://root:***@db/analytics: "
        "use a DuckDB file path or postgresql://, spark-local://, sc://"
    )


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://reader:hunter2@db:5432/analytics", "postgresql://reader:***@db:5432/analytics"),
        (
            "postgresql://reader@db/analytics?password=hunter2&sslmode=require",
            "postgresql://reader@db/analytics?password=***&sslmode=require",
        ),
        ("sc://spark:15002/;token=hunter2;use_ssl=true", "sc://spark:15002/;token=***;use_ssl=true"),
        ("postgresql://reader:hunter2@[::1]:5432/analytics", "postgresql://reader:***@[::1]:5432/analytics"),
        ("data/demo.duckdb", "data/demo.duckdb"),
    ],
)
def test_urls_are_shown_without_secrets(url: str, shown: str) -> None:
    assert redact(url) == shown


def test_spark_local_urls() -> None:
    assert SparkLocation.parse("spark-local://") == SparkLocation()
    assert SparkLocation.parse("spark-local:///data/lake?threads=2&memory=2g") == SparkLocation(
        threads=2, memory="2g", tables=Path("/data/lake")
    )
    assert SparkLocation.parse("sc://spark:15002").remote == "sc://spark:15002"
    with pytest.raises(ExecutionError, match="threads must be a whole number"):
        SparkLocation.parse("spark-local://?threads=0")
    with pytest.raises(ExecutionError, match="nothing else"):
        SparkLocation.parse("spark-local://somehost/data")
