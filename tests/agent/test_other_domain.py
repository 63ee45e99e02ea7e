"""Nothing is hard-wired to the after-sales demo: a retail model is understood by the same planner,
and its answers match pandas on the same data."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from agent.answer import answer_question
from agent.intent import ConversationState
from agent.parser import Planner
from agent.value_index import build_value_index
from semantic_layer.engine import DuckDBEngine
from semantic_layer.layer import SemanticLayer
from semantic_layer.loader import parse_model
from semantic_layer.periods import FixedClock

TODAY = date(2026, 5, 20)
RETAIL_MODEL = """
name: retail
default_language: en
calendar: {timezone: Asia/Shanghai, week_start: monday}
default_time_range: last_6_months
tables:
  - {name: orders, source: orders, primary_key: order_id, time_dimension: order_date}
dimensions:
  - {name: order_date, type: time, table: orders, expr: ordered_at, label: {zh: 下单日期, en: Order date}}
  - name: store
    table: orders
    label: {zh: 门店, en: Store}
    synonyms: {zh: [店铺, 分店], en: [shop, shops, branch]}
  - name: merchandise
    table: orders
    expr: category
    label: {zh: 品类, en: Category}
    synonyms: {zh: [商品类别, 类目], en: [categories, product category]}
    values:
      服装: {en: [apparel, clothing]}
      食品: {en: [food, groceries]}
      家电: {en: [appliances, electronics]}
  - name: sales_channel
    table: orders
    expr: channel
    label: {zh: 销售渠道, en: Sales channel}
    values:
      线上: {en: [online, e-commerce]}
      线下: {en: [offline, in-store]}
attributes:
  - {name: order_id, table: orders, label: {zh: 订单号, en: Order ID}}
  - {name: amount, table: orders, type: number, label: {zh: 订单金额, en: Order amount}}
metrics:
  - name: order_count
    table: orders
    agg: count
    label: {zh: 订单量, en: Orders}
    synonyms: {zh: [订单数, 单量], en: [order count, number of orders, orders]}
  - name: revenue
    table: orders
    agg: sum
    expr: amount
    format: currency
    polarity: higher_is_better
    label: {zh: 销售额, en: Revenue}
    synonyms: {zh: [营收, 收入, 销售收入], en: [sales, turnover, gmv]}
  - name: average_order_value
    type: ratio
    numerator: revenue
    denominator: order_count
    label: {zh: 客单价, en: Average order value}
    synonyms: {en: [AOV, basket size]}
  - name: returned_orders
    table: orders
    agg: count
    filter: returned
    hidden: true
    label: {zh: 退货订单数, en: Returned orders}
  - name: return_rate
    type: ratio
    numerator: returned_orders
    denominator: order_count
    format: percent
    polarity: lower_is_better
    label: {zh: 退货率, en: Return rate}
    synonyms: {zh: [退货比例], en: [returns rate, share returned]}
"""


@pytest.fixture(scope="module")
def retail(tmp_path_factory: pytest.TempPathFactory) -> tuple[Planner, SemanticLayer, pd.DataFrame]:
    rng = np.random.default_rng(3)
    n = 6000
    start = datetime(2025, 6, 1)
    orders = pd.DataFrame(
        {
            "order_id": [f"O{i:06d}" for i in range(n)],
            "ordered_at": [start + timedelta(minutes=int(m)) for m in rng.integers(0, 354 * 24 * 60, n)],
            "store": rng.choice(["静安店", "浦东店", "天河店", "西湖店"], n),
            "category": rng.choice(["服装", "食品", "家电"], n, p=[0.5, 0.3, 0.2]),
            "channel": rng.choice(["线上", "线下"], n),
            "amount": rng.gamma(2.0, 150.0, n).round(2),
            "returned": rng.random(n) < 0.08,
        }
    )
    path = tmp_path_factory.mktemp("retail") / "retail.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.register("frame", orders)
        connection.execute("CREATE TABLE orders AS SELECT * FROM frame")
    model = parse_model(RETAIL_MODEL, file="retail.yaml")
    layer = SemanticLayer(model, DuckDBEngine(path), clock=FixedClock(TODAY))
    return Planner(model, build_value_index(layer), FixedClock(TODAY)), layer, orders


def in_range(orders: pd.DataFrame, start: str, end: str) -> pd.DataFrame:
    return orders[(orders["ordered_at"] >= start) & (orders["ordered_at"] < end)]


CASES: list[tuple[str, dict[str, Any]]] = [
    (
        "上个月各门店的销售额",
        {"metrics": ["revenue"], "dimensions": ["store"], "range": ("2026-04-01", "2026-05-01")},
    ),
    (
        "top 2 categories by revenue this year",
        {
            "metrics": ["revenue"],
            "dimensions": ["merchandise"],
            "range": ("2026-01-01", "2027-01-01"),
            "limit": 2,
        },
    ),
    (
        "return rate by sales channel last quarter",
        {"metrics": ["return_rate"], "dimensions": ["sales_channel"], "range": ("2026-01-01", "2026-04-01")},
    ),
    (
        "服装的退货率",
        {
            "metrics": ["return_rate"],
            "filter": ("merchandise", "服装"),
            "range": ("2025-12-01", "2026-06-01"),
        },
    ),
    (
        "AOV for online orders in March",
        {
            "metrics": ["average_order_value"],
            "filter": ("sales_channel", "线上"),
            "range": ("2026-03-01", "2026-04-01"),
        },
    ),
    (
        "哪个店铺的订单量最多",
        {
            "metrics": ["order_count"],
            "dimensions": ["store"],
            "range": ("2025-12-01", "2026-06-01"),
            "limit": 1,
        },
    ),
    (  # no measure named: a ranking of stores counts their orders (the table's one plain count)
        "哪个店铺最多",
        {
            "metrics": ["order_count"],
            "dimensions": ["store"],
            "range": ("2025-12-01", "2026-06-01"),
            "limit": 1,
            "note": "按「订单量」排名",
        },
    ),
    (
        "top 2 categories",
        {
            "metrics": ["order_count"],
            "dimensions": ["merchandise"],
            "range": ("2025-12-01", "2026-06-01"),
            "limit": 2,
            "note": "Ranked by Orders",
        },
    ),
]


@pytest.mark.parametrize(("question", "expected"), CASES, ids=[q for q, _ in CASES])
def test_a_retail_question_is_planned_and_answered_correctly(
    retail: tuple[Planner, SemanticLayer, pd.DataFrame], question: str, expected: dict[str, Any]
) -> None:
    planner, layer, orders = retail
    answer, _ = answer_question(planner, layer, question)
    query = answer.query.query
    assert answer.status == "answered" and query is not None
    assert list(query.metrics) == expected["metrics"]
    assert [d.name for d in query.dimensions] == expected.get("dimensions", [])
    assert query.limit == expected.get("limit")
    if "note" in expected:
        assert expected["note"] in answer.query.notes
    start, end = expected["range"]
    assert query.time_range is not None
    assert (str(query.time_range.start), str(query.time_range.end)) == (start, end)
    frame = in_range(orders, start, end)
    if "filter" in expected:
        dimension, value = expected["filter"]
        column = {"merchandise": "category", "sales_channel": "channel"}[dimension]
        frame = frame[frame[column] == value]
    groups = [
        {"store": "store", "merchandise": "category", "sales_channel": "channel"}[d]
        for d in expected.get("dimensions", [])
    ]
    metric = expected["metrics"][0]

    def compute(part: pd.DataFrame) -> float:
        if metric == "revenue":
            return float(part["amount"].sum())
        if metric == "order_count":
            return float(len(part))
        if metric == "return_rate":
            return float(part["returned"].mean())
        return float(part["amount"].sum() / len(part))

    assert answer.data is not None
    got = {tuple(row[: len(groups)]): row[len(groups)] for row in answer.data.rows}
    if groups:
        want = {(key,): compute(part) for key, part in frame.groupby(groups[0])}
        if query.limit:
            best = sorted(want.items(), key=lambda kv: -kv[1])[: query.limit]
            want = dict(best)
    else:
        want = {(): compute(frame)}
    assert got.keys() == want.keys()
    for key, value in want.items():
        assert got[key] == pytest.approx(value, rel=1e-9)


def test_follow_ups_work_on_any_model(retail: tuple[Planner, SemanticLayer, pd.DataFrame]) -> None:
    planner, _, _ = retail
    state = ConversationState()
    first = planner.plan("monthly revenue trend for apparel", state)
    second = planner.plan("what about food?", first.state)
    third = planner.plan("按门店看", second.state)
    query = third.intent.query
    assert query is not None
    assert list(query.metrics) == ["revenue"]
    assert [(f.dimension, f.values) for f in query.filters] == [("merchandise", ("食品",))]
    assert [(d.name, d.grain) for d in query.dimensions] == [("order_date", "month"), ("store", None)]


def test_what_the_model_cannot_answer_is_said(retail: tuple[Planner, SemanticLayer, pd.DataFrame]) -> None:
    planner, _, _ = retail
    intent = planner.plan("what is the weather in Shanghai").intent
    assert intent.kind == "unsupported"
    alone = planner.plan("门店").intent  # a dimension alone: no measure guessed, asked which one
    assert alone.kind == "clarify" and alone.clarification is not None
    for option in alone.clarification.options:
        assert option.intent is not None and option.intent.query is not None
        assert [d.name for d in option.intent.query.dimensions] == ["store"]
    assert len(intent.alternatives) == 3
    for alternative in intent.alternatives:  # every alternative is itself answerable
        assert planner.plan(alternative).intent.kind == "metric", alternative
