"""The same semantic query returns the same rows on DuckDB, PostgreSQL and Spark SQL.

Each query below runs through `SemanticLayer.query` on the small demo (20k tickets) in DuckDB, and on
the same tables loaded into a real PostgreSQL cluster (a database sorting text by pinyin, as a Chinese
user's would) and a local Spark session; columns, types and rows must match: integers and text
exactly, floats within 1e-9 (relative), in the same order. Every metric type of the demo model, every
time grain, both comparisons, every filter operator, top-N with ties and detail lists are covered,
plus a model extended with what the demo does not use (sums, min/max, averages of booleans, date parts,
epoch, interval arithmetic, integer division, division by zero, Sunday weeks).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from semantic_layer.engine import DuckDBEngine, Engine
from semantic_layer.engines import EngineSettings, open_engine
from semantic_layer.layer import SemanticLayer
from semantic_layer.loader import DEMO_MODEL_PATH, load_model, parse_model
from semantic_layer.model import SemanticModel
from semantic_layer.periods import FixedClock
from semantic_layer.query import SemanticQuery
from semantic_layer.result import QueryResult
from tests.conftest import DEMO_AS_OF

DEMO = load_model()
ALL_METRICS = [metric.name for metric in DEMO.metrics]
QUARTER = {"start": "2026-07-01", "end": "2026-10-01"}
MONTH = {"start": "2026-07-01", "end": "2026-08-01"}
YEAR = {"start": "2026-01-01", "end": "2027-01-01"}
BY_MONTH = {"name": "created_date", "grain": "month"}
BY_WEEK = {"name": "created_date", "grain": "week"}


def _extended_model_text(week_start: str = "monday") -> str:
    """The demo model plus metrics and dimensions exercising what it does not use itself."""
    data = yaml.safe_load(DEMO_MODEL_PATH.read_text(encoding="utf-8"))
    data["calendar"]["week_start"] = week_start
    tickets = "tickets"
    data["metrics"] += [
        {"name": "total_contacts", "table": tickets, "agg": "sum", "expr": "contact_count"},
        {"name": "complaint_share", "table": tickets, "agg": "avg", "expr": "is_complaint"},
        {"name": "complaints_summed", "table": tickets, "agg": "sum", "expr": "is_complaint"},
        {"name": "quick_response_share", "table": tickets, "agg": "avg",
         "expr": "first_response_at < created_at + interval 1 hour"},
        {"name": "max_csat", "table": "surveys", "agg": "max", "expr": "csat_score"},
        {"name": "min_nps", "table": "surveys", "agg": "min", "expr": "nps_score"},
        {"name": "first_created_at", "table": tickets, "agg": "min", "expr": "created_at"},
        {"name": "last_resolved_day", "table": tickets, "agg": "max", "expr": "cast(resolved_at as date)"},
        {"name": "avg_days_to_resolve", "table": tickets, "agg": "avg", "expr": "date_diff('day', created_at, resolved_at)"},
        {"name": "avg_weeks_to_close", "table": tickets, "agg": "avg", "expr": "date_diff('week', created_at, closed_at)"},
        {"name": "avg_months_to_close", "table": tickets, "agg": "avg", "expr": "date_diff('month', created_at, closed_at)"},
        {"name": "avg_hours_epoch", "table": tickets, "agg": "avg",
         "expr": "(epoch(resolved_at) - epoch(created_at)) / 3600"},
        {"name": "avg_target_per_contact", "table": tickets, "agg": "avg", "expr": "sla_target_minutes / contact_count"},
        {"name": "avg_half_contacts", "table": tickets, "agg": "avg", "expr": "contact_count // 2"},
        {"name": "avg_contact_remainder", "table": tickets, "agg": "avg", "expr": "contact_count % 2"},
        {"name": "avg_divided_by_zero", "table": tickets, "agg": "avg", "expr": "contact_count / (contact_count - contact_count)"},
        {"name": "weekend_tickets", "table": tickets, "agg": "count", "filter": "dayofweek(created_at) IN (0, 6)"},
        {"name": "iso_sunday_tickets", "table": tickets, "agg": "count", "filter": "isodow(created_at) = 7"},
        {"name": "quarter_end_tickets", "table": tickets, "agg": "count",
         "filter": "cast(created_at as date) + interval 1 quarter > date_trunc('quarter', created_at) + interval 6 month"},
        {"name": "resolved_within_day", "table": tickets, "agg": "count",
         "filter": "resolved_at < created_at + interval '1 day'"},
        {"name": "sum_of_rounded_minutes", "table": tickets, "agg": "sum",
         "expr": "round(date_diff('second', created_at, first_response_at) / 60.0, 1)"},
        {"name": "quoted_literal_tickets", "table": tickets, "agg": "count",
         "filter": "coalesce(resolution_type, 'it''s') <> 'it''s' AND upper(priority) || 'x' LIKE 'P%X'"},
    ]  # fmt: skip
    data["dimensions"] += [
        {"name": "created_weekday", "type": "number", "table": tickets, "expr": "dayofweek(created_at)"},
        {"name": "created_hour", "type": "number", "table": tickets, "expr": "hour(created_at)"},
        {"name": "created_month_text", "table": tickets, "expr": "strftime(created_at, '%Y-%m')"},
        {
            "name": "on_weekend",
            "type": "boolean",
            "table": tickets,
            "expr": "dayofweek(created_at) IN (0, 6)",
        },
        {"name": "created_year", "type": "number", "table": tickets, "expr": "year(created_at)"},
    ]
    data.pop("verified_questions", None)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


EXTENDED = parse_model(_extended_model_text(), file="extended.yaml")
SUNDAY = parse_model(_extended_model_text("sunday"), file="sunday.yaml")
MODELS: dict[str, SemanticModel] = {"demo": DEMO, "extended": EXTENDED, "sunday": SUNDAY}
EXTENDED_METRICS = [m.name for m in EXTENDED.metrics if m.name not in ALL_METRICS]
NUMERIC_EXTENDED_METRICS = [m for m in EXTENDED_METRICS if m not in ("first_created_at", "last_resolved_day")]


def case(spec: dict[str, Any], model: str = "demo") -> tuple[str, dict[str, Any]]:
    return model, spec


QUERIES: dict[str, tuple[str, dict[str, Any]]] = {
    # every metric type of the demo model, in one query and one comparison
    "every_metric_by_region_and_month": case(
        {"metrics": ALL_METRICS, "dimensions": ["region", BY_MONTH], "time_range": QUARTER}
    ),
    "every_metric_compared_with_last_year": case(
        {"metrics": ALL_METRICS, "time_range": QUARTER, "compare": "same_period_last_year"}
    ),
    "kpis_this_month": case(
        {"metrics": ["ticket_count", "complaint_count", "avg_first_response_minutes", "avg_csat"],
         "time_range": {"period": "this_month"}}
    ),
    "kpis_all_time": case({"metrics": ["ticket_count", "resolution_rate", "nps", "backlog_count"]}),
    "ratios_by_channel": case(
        {"metrics": ["resolution_rate", "first_contact_resolution_rate", "reopen_rate", "kb_self_service_rate"],
         "dimensions": ["channel"], "time_range": YEAR}
    ),
    "derived_by_region": case({"metrics": ["nps", "csat_satisfied_rate", "survey_response_rate"], "dimensions": ["region"]}),
    "percentiles_by_shift": case(
        {"metrics": ["median_first_response_minutes", "p90_first_response_minutes"], "dimensions": ["shift"]}
    ),
    "percentiles_by_month_and_priority": case(
        {"metrics": ["p90_first_response_minutes"], "dimensions": ["priority", BY_MONTH], "time_range": YEAR}
    ),
    "count_distinct_by_team": case({"metrics": ["active_agent_count", "ticket_count"], "dimensions": ["team"]}),
    "joined_customer_tier": case(
        {"metrics": ["complaint_rate", "avg_csat", "ticket_count"], "dimensions": ["customer_tier"], "time_range": YEAR}
    ),
    "joined_industry_and_region": case({"metrics": ["ticket_count"], "dimensions": ["industry", "region"]}),
    "customer_metrics_by_signup_month": case(
        {"metrics": ["repurchase_rate", "churn_rate", "customer_count"], "dimensions": ["customer_tier", BY_MONTH],
         "time_range": YEAR}
    ),
    # time grains
    "grain_day": case(
        {"metrics": ["ticket_count", "avg_first_response_minutes"], "dimensions": [{"name": "created_date", "grain": "day"}],
         "time_range": {"start": "2026-10-01", "end": "2026-10-15"}}
    ),
    "grain_week": case({"metrics": ["ticket_count", "backlog_count"], "dimensions": [BY_WEEK], "time_range": QUARTER}),
    "grain_week_starting_sunday": case(
        {"metrics": ["ticket_count", "backlog_count", "weekend_tickets"], "dimensions": [BY_WEEK], "time_range": QUARTER},
        "sunday",
    ),
    "grain_month": case({"metrics": ["complaint_rate"], "dimensions": [BY_MONTH], "time_range": YEAR}),
    "grain_quarter": case({"metrics": ["ticket_count", "avg_csat"], "dimensions": [{"name": "created_date", "grain": "quarter"}]}),
    "grain_year": case({"metrics": ["ticket_count", "nps"], "dimensions": [{"name": "created_date", "grain": "year"}]}),
    # snapshots
    "backlog_weekly": case({"metrics": ["backlog_count"], "dimensions": [BY_WEEK], "time_range": {"start": "2026-10-05", "end": "2026-11-16"}}),
    "backlog_monthly_all_time": case({"metrics": ["backlog_count"], "dimensions": [BY_MONTH]}),
    "backlog_quarterly_all_time_sunday": case(
        {"metrics": ["backlog_count"], "dimensions": [{"name": "created_date", "grain": "week"}]}, "sunday"
    ),
    "backlog_now_by_region": case({"metrics": ["backlog_count"], "dimensions": ["region"]}),
    "backlog_by_priority_and_quarter": case(
        {"metrics": ["backlog_count", "ticket_count"], "dimensions": ["priority", {"name": "created_date", "grain": "quarter"}],
         "time_range": YEAR}
    ),
    # comparisons
    "compare_previous_month_by_region": case(
        {"metrics": ["avg_csat", "complaint_count", "backlog_count", "complaint_rate"], "dimensions": ["region"],
         "time_range": MONTH, "compare": "previous_period"}
    ),
    "compare_last_year_by_product_line": case(
        {"metrics": ["ticket_count", "median_first_response_minutes"], "dimensions": ["product_line"],
         "time_range": QUARTER, "compare": "same_period_last_year"}
    ),
    "compare_monthly_trend": case(
        {"metrics": ["ticket_count", "nps"], "dimensions": [BY_MONTH], "time_range": QUARTER, "compare": "previous_period"}
    ),
    "compare_this_month_so_far": case(
        {"metrics": ["ticket_count", "avg_resolution_hours"], "dimensions": ["channel"],
         "time_range": {"period": "this_month"}, "compare": "previous_period"}
    ),
    "compare_weeks": case(
        {"metrics": ["ticket_count"], "dimensions": [BY_WEEK], "time_range": {"start": "2026-10-04", "end": "2026-11-01"},
         "compare": "previous_period"}, "sunday"
    ),
    # filters, every operator
    "filter_eq_and_boolean": case(
        {"metrics": ["ticket_count", "avg_csat"], "dimensions": ["channel"],
         "filters": [{"dimension": "region", "op": "eq", "values": ["华南"]},
                     {"dimension": "is_complaint", "op": "eq", "values": [True]}]}
    ),
    "filter_ne_and_not_in": case(
        {"metrics": ["ticket_count"], "dimensions": ["region"],
         "filters": [{"dimension": "channel", "op": "ne", "values": ["电话"]},
                     {"dimension": "resolution_type", "op": "not_in", "values": ["上门", "换新"]}]}
    ),
    "filter_in_and_between_dates": case(
        {"metrics": ["complaint_count"], "dimensions": ["product_line"],
         "filters": [{"dimension": "priority", "op": "in", "values": ["P1", "P2"]},
                     {"field": "created_at", "op": "between", "values": ["2026-03-01", "2026-05-31 23:59:59"]}]}
    ),
    "filter_numeric_comparisons": case(
        {"metrics": ["survey_count", "avg_csat"], "dimensions": ["region"],
         "filters": [{"field": "csat_score", "op": "gte", "values": [2]},
                     {"field": "csat_score", "op": "lt", "values": [5]},
                     {"field": "nps_score", "op": "gt", "values": [3]},
                     {"field": "nps_score", "op": "lte", "values": [9]}]}
    ),
    "filter_contains_and_is_null": case(
        {"metrics": ["ticket_count"], "dimensions": ["product_model"],
         "filters": [{"dimension": "product_model", "op": "contains", "values": ["a"]},
                     {"dimension": "resolution_type", "op": "eq", "values": [None]}]}
    ),
    "filter_on_metrics": case(
        {"metrics": ["complaint_count", "complaint_rate"], "dimensions": ["city"],
         "filters": [{"metric": "complaint_count", "op": "gte", "values": [20]},
                     {"metric": "complaint_rate", "op": "between", "values": [0.01, 0.5]}],
         "order_by": [{"field": "complaint_rate", "desc": True}]}
    ),
    "filter_hostile_values": case(
        {"metrics": ["ticket_count"], "dimensions": ["region"],
         "filters": [{"dimension": "region", "op": "in", "values": ["华南'); DROP TABLE tickets; --", "a\\'b", "华东"]}]}
    ),
    # ordering: top-N with ties, text in code point order, NULLs last
    "top_n_with_ties": case(
        {"metrics": ["complaint_count"], "dimensions": ["city"], "order_by": [{"field": "complaint_count", "desc": True}],
         "limit": 12, "time_range": MONTH}
    ),
    "bottom_n_agents": case(
        {"metrics": ["ticket_count"], "dimensions": ["agent"], "order_by": [{"field": "ticket_count"}], "limit": 9,
         "time_range": MONTH}
    ),
    "text_order_descending": case(
        {"metrics": ["ticket_count"], "dimensions": ["province"], "order_by": [{"field": "province", "desc": True}]}
    ),
    "nulls_last_in_both_directions": case(
        {"metrics": ["avg_resolution_hours", "ticket_count"], "dimensions": ["resolution_type", "status"],
         "order_by": [{"field": "avg_resolution_hours", "desc": True}]}
    ),
    # detail lists
    "detail_low_scores": case(
        {"fields": ["ticket_id", "customer_name", "csat_score", "comment", "created_at", "surveyed_at", "region"],
         "filters": [{"field": "csat_score", "op": "lte", "values": [2]},
                     {"dimension": "customer_tier", "op": "eq", "values": ["VIP"]}],
         "order_by": [{"field": "csat_score"}], "limit": 40}
    ),
    "detail_every_field_by_name": case(
        {"fields": [a.name for a in DEMO.attributes], "order_by": [{"field": "customer_name", "desc": True}], "limit": 30,
         "time_range": MONTH}
    ),
    # the extended model
    "extended_metrics_by_month": case(
        {"metrics": EXTENDED_METRICS, "dimensions": [BY_MONTH], "time_range": YEAR}, "extended"
    ),
    "extended_metrics_compared": case(
        {"metrics": NUMERIC_EXTENDED_METRICS, "dimensions": ["region"], "time_range": QUARTER,
         "compare": "previous_period"},
        "extended",
    ),
    "extended_date_part_dimensions": case(
        {"metrics": ["ticket_count", "complaint_share"], "dimensions": ["created_weekday", "on_weekend", "created_year"]},
        "extended",
    ),
    "extended_hour_and_text_month": case(
        {"metrics": ["ticket_count"], "dimensions": ["created_hour", "created_month_text"], "time_range": QUARTER,
         "order_by": [{"field": "ticket_count", "desc": True}], "limit": 20},
        "extended",
    ),
    "extended_sunday_weeks_of_extended_metrics": case(
        {"metrics": ["total_contacts", "quick_response_share", "iso_sunday_tickets"], "dimensions": [BY_WEEK],
         "time_range": MONTH},
        "sunday",
    ),
}  # fmt: skip


# --- engines ----------------------------------------------------------------------------------------


def _settings() -> EngineSettings:
    return EngineSettings(query_timeout=120.0, timezone=DEMO.calendar.timezone)


@pytest.fixture(scope="module")
def duckdb_engine(small_demo_db: Path) -> Iterator[Engine]:
    engine = DuckDBEngine(small_demo_db)
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    engine = open_engine(postgres_url, _settings())
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def spark_engine(spark_url: str) -> Iterator[Engine]:
    engine = open_engine(spark_url, _settings())
    yield engine
    engine.close()


def run(engine: Engine, name: str) -> QueryResult:
    model, spec = QUERIES[name]
    layer = SemanticLayer(MODELS[model], engine, clock=FixedClock(DEMO_AS_OF))
    return layer.query(SemanticQuery.model_validate(spec))


@cache
def _expected(engine_id: int, name: str) -> QueryResult:
    return run(_ENGINES[engine_id], name)


_ENGINES: dict[int, Engine] = {}


def expected(duckdb_engine: Engine, name: str) -> QueryResult:
    """DuckDB's result, computed once per query for both other engines."""
    _ENGINES[id(duckdb_engine)] = duckdb_engine
    return _expected(id(duckdb_engine), name)


def assert_same_result(expected: QueryResult, actual: QueryResult) -> None:
    assert [c.name for c in actual.columns] == [c.name for c in expected.columns]
    assert [c.type for c in actual.columns] == [c.type for c in expected.columns], actual.sql
    assert len(actual.rows) == len(expected.rows), actual.sql
    for index, (want, got) in enumerate(zip(expected.rows, actual.rows, strict=True)):
        assert len(got) == len(want)
        for column, a, b in zip(expected.columns, want, got, strict=True):
            if isinstance(a, float) or isinstance(b, float):
                assert a is not None and b is not None, f"row {index} {column.name}: {a!r} != {b!r}"
                assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), (
                    f"row {index} {column.name}: {a!r} != {b!r}"
                )
            else:
                assert a == b, f"row {index} {column.name}: {a!r} != {b!r}\n{want}\n{got}"


def test_the_queries_return_rows() -> None:
    """A comparison of empty results would prove nothing: the catalogue is checked on DuckDB alone."""
    assert len(QUERIES) >= 40


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_duckdb_results_are_not_empty(duckdb_engine: Engine, name: str) -> None:
    result = expected(duckdb_engine, name)
    assert result.rows, f"{name} returns no rows on DuckDB: it would compare nothing"
    if name == "top_n_with_ties":  # the limit must cut through a tie for the order to matter
        counts = result.column_values("complaint_count")
        assert len(set(counts)) < len(counts)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_postgres_returns_duckdbs_rows(duckdb_engine: Engine, postgres_engine: Engine, name: str) -> None:
    assert_same_result(expected(duckdb_engine, name), run(postgres_engine, name))


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_spark_returns_duckdbs_rows(duckdb_engine: Engine, spark_engine: Engine, name: str) -> None:
    assert_same_result(expected(duckdb_engine, name), run(spark_engine, name))
