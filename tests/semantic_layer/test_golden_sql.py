"""Golden SQL: representative queries compile to the SQL stored under golden/, for DuckDB, PostgreSQL
and Spark SQL.

Review changes to these files like code. After an intended change, rewrite them with
`UPDATE_SNAPSHOTS=1 pytest tests/semantic_layer/test_golden_sql.py` and read the diff.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from semantic_layer.compiler import compile_query
from semantic_layer.identity import Identity
from semantic_layer.loader import load_model
from semantic_layer.query import SemanticQuery

GOLDEN = Path(__file__).parent / "golden"
TODAY = date(2026, 11, 15)
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"
MODEL = load_model()

QUERIES: dict[str, dict[str, Any]] = {
    "kpi_this_month": {"metrics": ["complaint_count"], "time_range": {"period": "this_month"}},
    "ratio_by_joined_dimension": {"metrics": ["complaint_rate"], "dimensions": ["customer_tier"]},
    "monthly_trend_with_filter": {
        "metrics": ["avg_first_response_minutes"],
        "dimensions": [{"name": "created_date", "grain": "month"}],
        "filters": [{"dimension": "channel", "op": "in", "values": ["电话", "App"]}],
        "time_range": {"start": "2026-01-01", "end": "2026-07-01"},
    },
    "top_n_with_having": {
        "metrics": ["complaint_count"],
        "dimensions": ["product_model"],
        "filters": [{"metric": "complaint_count", "op": "gt", "values": [10]}],
        "order_by": [{"field": "complaint_count", "desc": True}],
        "limit": 5,
    },
    "cross_table_metrics": {
        "metrics": ["ticket_count", "avg_csat", "survey_response_rate", "nps"],
        "dimensions": ["region"],
    },
    "percentiles": {
        "metrics": ["median_first_response_minutes", "p90_first_response_minutes"],
        "dimensions": ["shift"],
    },
    "compare_previous_month": {
        "metrics": ["avg_csat"],
        "dimensions": ["region"],
        "time_range": {"start": "2026-07-01", "end": "2026-08-01"},
        "compare": "previous_period",
    },
    "weekly_backlog": {
        "metrics": ["backlog_count"],
        "dimensions": [{"name": "created_date", "grain": "week"}],
        "time_range": {"start": "2026-10-05", "end": "2026-10-26"},
    },
    "customer_metric": {"metrics": ["repurchase_rate"], "dimensions": ["customer_tier"]},
    "detail_low_scores": {
        "fields": ["ticket_id", "customer_name", "csat_score", "comment"],
        "filters": [
            {"dimension": "customer_tier", "op": "eq", "values": ["VIP"]},
            {"field": "csat_score", "op": "lte", "values": [2]},
        ],
        "time_range": {"period": "this_week"},
        "limit": 50,
    },
    "excluding_and_contains": {
        "metrics": ["ticket_count"],
        "dimensions": ["province"],
        "filters": [
            {"dimension": "region", "op": "not_in", "values": ["华北"]},
            {"dimension": "product_model", "op": "contains", "values": ["ac"]},
        ],
    },
}


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "spark"])
@pytest.mark.parametrize("name", sorted(QUERIES))
def test_compiled_sql_matches_golden_file(name: str, dialect: str) -> None:
    compiled = compile_query(MODEL, SemanticQuery.model_validate(QUERIES[name]), today=TODAY, dialect=dialect)
    path = GOLDEN / f"{name}.{dialect}.sql"
    if UPDATE:
        path.write_text(compiled.sql + "\n", encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}: run with UPDATE_SNAPSHOTS=1 and review it"
    assert compiled.sql + "\n" == path.read_text(encoding="utf-8")


def test_access_policy_filters_every_table_that_reaches_the_dimension() -> None:
    query = SemanticQuery.model_validate(QUERIES["cross_table_metrics"])
    user = Identity(user_id="u1", attributes={"region": "华南"})
    sql = compile_query(MODEL, query, identity=user, today=TODAY).sql
    # tickets and surveys (through tickets) are both limited to the user's region
    assert sql.count('"tickets"."region" IN (\'华南\')') == 2
    nobody = Identity(user_id="u2", attributes={})
    assert sql.count("FALSE") == 0
    assert compile_query(MODEL, query, identity=nobody, today=TODAY).sql.count("FALSE") == 2
