"""dbt MetricFlow YAML (a jaffle-shop-like project) converts into a chatbi model that loads, compiles and
answers like pandas on the same data; everything that cannot be carried over is reported."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from semantic_layer.compiler import compile_query
from semantic_layer.engine import DuckDBEngine
from semantic_layer.errors import DraftError
from semantic_layer.importers.metricflow import ImportResult, import_metricflow
from semantic_layer.layer import SemanticLayer
from semantic_layer.periods import FixedClock
from semantic_layer.query import SemanticQuery
from server.cli import app

PROJECT = Path(__file__).parent / "jaffle_shop"


@pytest.fixture(scope="module")
def imported() -> ImportResult:
    return import_metricflow([PROJECT], out_name="jaffle_shop")


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, pd.DataFrame]]:
    """A DuckDB database with the tables the dbt models build, and the same tables as DataFrames."""
    rng = np.random.default_rng(21)
    customers = pd.DataFrame(
        {
            "customer_id": np.arange(1, 61),
            "customer_name": [f"Customer {i}" for i in range(1, 61)],
            "customer_type": rng.choice(["new", "returning"], 60),
            "region": rng.choice(["EU", "US", "APAC"], 60),
            "first_ordered_at": [
                datetime(2024, 1, 1) + timedelta(days=int(d)) for d in rng.integers(0, 60, 60)
            ],
            "last_ordered_at": [
                datetime(2024, 6, 1) + timedelta(days=int(d)) for d in rng.integers(0, 60, 60)
            ],
            "lifetime_spend_pretax": rng.gamma(2, 100, 60).round(2),
            "account_balance": rng.gamma(2, 10, 60).round(2),
        }
    )
    locations = pd.DataFrame(
        {
            "location_id": [1, 2, 3],
            "location_name": ["Philadelphia", "Brooklyn", "Chicago"],
            "opened_at": [datetime(2016, 9, 1), datetime(2017, 3, 1), datetime(2018, 5, 1)],
            "tax_rate": [0.06, 0.04, 0.0625],
        }
    )
    n = 800
    orders = pd.DataFrame(
        {
            "order_id": np.arange(1, n + 1),
            "location_id": rng.choice(locations["location_id"], n),
            "customer_id": rng.choice(customers["customer_id"], n),
            "ordered_at": [
                datetime(2023, 10, 1) + timedelta(hours=int(h)) for h in rng.integers(0, 270 * 24, n)
            ],
            "order_total": rng.gamma(2, 9, n).round(2),
            "tax_paid": rng.gamma(2, 0.6, n).round(2),
            "order_cost": rng.gamma(2, 3, n).round(2),
            "is_food_order": rng.random(n) < 0.6,
            "is_drink_order": rng.random(n) < 0.7,
        }
    )
    items = orders.loc[rng.choice(orders.index, 2000)].reset_index(drop=True)
    order_items = pd.DataFrame(
        {
            "order_item_id": np.arange(1, len(items) + 1),
            "order_id": items["order_id"],
            "product_id": rng.integers(1, 12, len(items)),
            "ordered_at": items["ordered_at"],
            "product_price": rng.choice([4.0, 6.5, 11.0, 13.5], len(items)),
            "is_food_item": rng.random(len(items)) < 0.5,
        }
    )
    order_items["is_drink_item"] = ~order_items["is_food_item"]
    frames = {"customers": customers, "locations": locations, "orders": orders, "order_items": order_items}
    path = tmp_path_factory.mktemp("shop") / "jaffle_shop.duckdb"
    with duckdb.connect(str(path)) as connection:
        for name, frame in frames.items():
            connection.register("frame", frame)
            connection.execute(f"CREATE TABLE {name} AS SELECT * FROM frame")
            connection.unregister("frame")
    return path, frames


def test_the_converted_model_has_tables_joins_dimensions_and_metrics(imported: ImportResult) -> None:
    model = imported.model
    assert {(t.name, t.source, t.primary_key, t.time_dimension) for t in model.tables} == {
        ("orders", "orders", "order_id", "ordered_at"),
        ("order_items", "order_items", "order_item_id", "ordered_at"),
        ("customers", "customers", "customer_id", "first_ordered_at"),
        ("locations", "locations", "location_id", "opened_at"),
    }
    assert {(r.from_, r.to, r.type) for r in model.relationships} == {
        ("order_items.order_id", "orders.order_id", "many_to_one"),
        ("orders.location_id", "locations.location_id", "many_to_one"),
        ("orders.customer_id", "customers.customer_id", "many_to_one"),
    }
    assert model.dimension("ordered_at").on == {"orders": "ordered_at", "order_items": "ordered_at"}
    assert model.dimension("opened_at").grains == ("month", "quarter", "year")
    assert model.dimension("region").label.en == "Customer region"
    metrics = model.metrics_by_name
    assert metrics["order_count"].agg == "count" and metrics["order_count"].expr is None  # type: ignore[union-attr]
    assert metrics["food_orders"].filter == "(is_food_order)"  # type: ignore[union-attr]  # sum_boolean
    assert metrics["large_orders"].filter == "(order_total) >= 20"  # type: ignore[union-attr]
    assert metrics["recent_monthly_orders"].filter == "date_trunc('month', ordered_at) >= '2024-01-01'"  # type: ignore[union-attr]
    assert metrics["p90_order_total"].percentile == 0.9  # type: ignore[union-attr]
    assert metrics["order_gross_profit"].expr == "revenue - order_cost"  # type: ignore[union-attr]
    assert metrics["drink_order_pct"].numerator == "drink_order_pct__numerator"  # type: ignore[union-attr]
    assert metrics["drink_order_pct__numerator"].hidden
    assert "tax_paid" in metrics  # a measure with create_metric: true
    assert metrics["revenue"].label.en == "Revenue"
    assert metrics["revenue"].description is not None


NOT_CARRIED = [
    ("eu_orders", "Dimension('customer__region') is not a column of the metric's own table"),
    ("eu_order_share", "Dimension('customer__region') is not a column of the metric's own table"),
    ("big_spender_orders", "it filters on a metric"),
    ("account_balance", "semi-additive (non_additive_dimension last_ordered_at)"),
    (
        "order_total_sketch",
        "aggregation 'approximate_distinct' of measure 'order_total_sketch' is not supported",
    ),
    ("revenue_growth_mom", "offsets (offset_window / offset_to_grain) are not supported"),
    ("cumulative_revenue", "cumulative metrics are not supported"),
    ("revenue_weekly_window", "cumulative metrics are not supported"),
    ("first_to_repeat_order_rate", "conversion metrics are not supported"),
    ("customers_with_orders", "fill_nulls_with is ignored"),
]


@pytest.mark.parametrize(("metric", "why"), NOT_CARRIED, ids=[m for m, _ in NOT_CARRIED])
def test_what_cannot_be_carried_over_is_reported(imported: ImportResult, metric: str, why: str) -> None:
    lines = [line for line in imported.report if line.startswith(f"metric '{metric}':")]
    assert len(lines) == 1 and why in lines[0]
    assert f"# - {lines[0]}" in imported.text  # also as a comment in the file
    carried = metric == "customers_with_orders"  # only an option was dropped
    assert (metric in imported.model.metrics_by_name) == carried


def test_an_entity_without_a_primary_model_is_reported(imported: ImportResult) -> None:
    assert (
        "entity 'product' of 'order_items': no semantic model has it as primary, no join" in imported.report
    )


@pytest.mark.parametrize(
    "query",
    [
        {"metrics": ["revenue"], "dimensions": ["region"]},  # order_items -> orders -> customers
        {"metrics": ["drink_order_pct", "average_order_value"], "dimensions": ["location_name"]},
        {"metrics": ["order_gross_profit"], "dimensions": [{"name": "ordered_at", "grain": "month"}]},
        {"metrics": ["large_orders", "food_orders"], "time_range": {"period": "last_month"}},
        {
            "metrics": ["food_revenue_pct"],
            "dimensions": ["customer_type"],
            "compare": "previous_period",
            "time_range": {"start": "2024-05-01", "end": "2024-06-01"},
        },
    ],
)
def test_queries_compile(imported: ImportResult, query: dict[str, object]) -> None:
    compiled = compile_query(imported.model, SemanticQuery.model_validate(query), today=date(2024, 6, 20))
    assert compiled.sql.startswith(("SELECT", "WITH"))


def test_answers_match_pandas(imported: ImportResult, shop: tuple[Path, dict[str, pd.DataFrame]]) -> None:
    path, frames = shop
    layer = SemanticLayer(imported.model, DuckDBEngine(path), clock=FixedClock(date(2024, 6, 20)))
    orders, items, customers, locations = (
        frames[k] for k in ("orders", "order_items", "customers", "locations")
    )

    def rows(query: dict[str, object]) -> dict[object, list[object]]:
        result = layer.query(SemanticQuery.model_validate(query))
        return {row[0]: row[1:] for row in result.rows}

    with_region = items.merge(orders[["order_id", "customer_id"]], on="order_id").merge(
        customers, on="customer_id"
    )
    got = rows({"metrics": ["revenue", "food_revenue_pct"], "dimensions": ["region"]})
    for region, part in with_region.groupby("region"):
        food = part["product_price"].where(part["is_food_item"], 0).sum()
        assert got[region] == pytest.approx([part["product_price"].sum(), food / part["product_price"].sum()])
    named = orders.merge(locations, on="location_id")
    got = rows({"metrics": ["drink_order_pct", "average_order_value", "large_orders", "p90_order_total"],
                "dimensions": ["location_name"]})  # fmt: skip
    for name, part in named.groupby("location_name"):
        assert got[name] == pytest.approx([
            part["is_drink_order"].mean(),
            part["order_total"].sum() / len(part),
            float((part["order_total"] >= 20).sum()),
            part["order_total"].quantile(0.9),
        ])  # fmt: skip
    may = orders[(orders["ordered_at"] >= "2024-05-01") & (orders["ordered_at"] < "2024-06-01")]
    may_items = items[(items["ordered_at"] >= "2024-05-01") & (items["ordered_at"] < "2024-06-01")]
    query = {"metrics": ["order_gross_profit", "food_orders"], "time_range": {"period": "last_month"}}
    ((profit, food_orders),) = layer.query(SemanticQuery.model_validate(query)).rows
    assert profit == pytest.approx(may_items["product_price"].sum() - may["order_cost"].sum())
    assert food_orders == float(may["is_food_order"].sum())
    query = {"metrics": ["recent_monthly_orders", "order_count"]}
    ((recent, total),) = layer.query(SemanticQuery.model_validate(query)).rows
    assert (recent, total) == ((orders["ordered_at"] >= "2024-01-01").sum(), len(orders))


def test_the_command_writes_the_model_and_reports_on_stderr(
    tmp_path: Path, shop: tuple[Path, dict[str, pd.DataFrame]]
) -> None:
    runner = CliRunner()
    out = tmp_path / "shop.yaml"
    result = runner.invoke(app, ["import-dbt", str(PROJECT / "models"), "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert (
        "not carried over: metric 'cumulative_revenue': cumulative metrics are not supported" in result.stderr
    )
    assert "wrote" in result.stdout and "things not carried over" in result.stdout
    check = runner.invoke(app, ["check", "--model", str(out), "--db", str(shop[0])])
    assert check.exit_code == 0, check.stderr
    again = runner.invoke(app, ["import-dbt", str(PROJECT), "--out", str(out)])
    assert again.exit_code == 2 and "already exists" in again.stderr


def test_nothing_to_import_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "dbt_project.yml").write_text("name: empty\nversion: '1.0'\n")
    with pytest.raises(DraftError, match="no `semantic_models:` found"):
        import_metricflow([tmp_path])
