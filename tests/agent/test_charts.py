"""Chart choice: one golden Vega-Lite spec per chart kind (UPDATE_SNAPSHOTS=1 rewrites them), every spec
valid against the Vega-Lite v5 schema, data text only ever data, and PNGs with legible Chinese.

Inputs are built by hand (QueryResults and analysis objects) so that these tests depend only on the
contracts; one test runs real queries through the semantic layer on the demo database.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from agent.analysis import (
    Anomaly,
    ChangeExplanation,
    Concentration,
    ConcentrationGroup,
    Contribution,
    DimensionDrivers,
    Distribution,
    DistributionBin,
)
from agent.charts import choose_chart, formats, render_chart, specs
from agent.intent import Intent
from semantic_layer.engine import DuckDBEngine
from semantic_layer.layer import SemanticLayer
from semantic_layer.loader import load_model
from semantic_layer.model import Language, SemanticModel
from semantic_layer.periods import FixedClock
from semantic_layer.query import SemanticQuery
from semantic_layer.result import Column, QueryResult
from tests.conftest import DEMO_AS_OF, require_system

GOLDEN = Path(__file__).parent / "golden_charts"
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"
MODEL = load_model()

# --- inputs built by hand ---------------------------------------------------------------------------


def intent(kind: str, lang: Language, **query: Any) -> Intent:
    return Intent.model_validate({"kind": kind, "language": lang, "confidence": 0.95, "query": query or None})


def result(columns: list[tuple[str, str, str, str | None]], rows: list[list[Any]]) -> QueryResult:
    return QueryResult(
        columns=[Column(name=n, type=t, label=label, format=f) for n, t, label, f in columns],  # type: ignore[arg-type]
        rows=rows,
        sql="-- built by hand",
    )


JUNE = {"start": "2026-06-01", "end": "2026-07-01"}
JULY = {"start": "2026-07-01", "end": "2026-08-01"}
YEAR_TO_OCT = {"start": "2026-01-01", "end": "2026-11-01"}
MONTHS = [f"2026-{m:02d}-01" for m in range(1, 11)]
REGIONS = ["华南", "华东", "华北", "华中", "西南", "西北", "东北"]


def kpi() -> dict[str, Any] | None:
    q = intent("metric", "zh", metrics=["complaint_count"], time_range=JUNE)
    r = result([("complaint_count", "integer", "投诉量", "count")], [[12873]])
    return choose_chart(q, r, MODEL)


def kpi_compare() -> dict[str, Any] | None:
    q = intent("metric", "zh", metrics=["complaint_count"], time_range=JULY, compare="previous_period")
    r = result(
        [
            ("complaint_count", "integer", "投诉量", "count"),
            ("complaint_count__previous", "integer", "上期投诉量", "count"),
            ("complaint_count__change", "integer", "投诉量变化", "count"),
            ("complaint_count__change_pct", "number", "投诉量变化率", "percent"),
        ],
        [[1452, 1190, 262, 262 / 1190]],
    )
    return choose_chart(q, r, MODEL)


def kpi_compare_en() -> dict[str, Any] | None:
    q = intent(
        "metric",
        "en",
        metrics=["resolution_rate", "avg_first_response_minutes"],
        time_range={"start": "2026-04-01", "end": "2026-07-01"},
        compare="same_period_last_year",
    )
    r = result(
        [
            ("resolution_rate", "number", "Resolution rate", "percent"),
            ("resolution_rate__previous", "number", "Resolution rate (previous)", "percent"),
            ("resolution_rate__change", "number", "Resolution rate change", "percent"),
            ("resolution_rate__change_pct", "number", "Resolution rate change %", "percent"),
            ("avg_first_response_minutes", "number", "Average first response time", "minutes"),
            (
                "avg_first_response_minutes__previous",
                "number",
                "Average first response time (previous)",
                "minutes",
            ),
            ("avg_first_response_minutes__change", "number", "Average first response time change", "minutes"),
            (
                "avg_first_response_minutes__change_pct",
                "number",
                "Average first response time change %",
                "percent",
            ),
        ],
        [[0.9137, 0.8962, 0.0175, 0.0175 / 0.8962, 23.46, 27.91, -4.45, -4.45 / 27.91]],
    )
    return choose_chart(q, r, MODEL)


CSAT_BY_MONTH = [4.31, 4.29, 4.33, 4.30, 4.27, 4.18, 3.92, 4.05, 4.24, 4.28]


def line() -> dict[str, Any] | None:
    q = intent(
        "metric",
        "zh",
        metrics=["avg_csat"],
        dimensions=[{"name": "created_date", "grain": "month"}],
        time_range=YEAR_TO_OCT,
    )
    r = result(
        [("created_date", "date", "日期", "date"), ("avg_csat", "number", "满意度", "score")],
        [[m, v] for m, v in zip(MONTHS, CSAT_BY_MONTH, strict=True)],
    )
    anomaly = Anomaly(period="2026-07-01", value=3.92, expected=4.28, score=-4.1, direction="low")
    return choose_chart(q, r, MODEL, anomalies=[anomaly])


def line_weekly_en() -> dict[str, Any] | None:
    weeks = [date(2026, 8, 3).toordinal() + 7 * i for i in range(12)]
    values = [812, 845, 790, 1210, 860, 835, 802, 779, 820, 798, 841, 815]
    q = intent(
        "metric",
        "en",
        metrics=["ticket_count"],
        dimensions=[{"name": "created_date", "grain": "week"}],
        time_range={"start": "2026-08-03", "end": "2026-10-26"},
    )
    r = result(
        [("created_date", "date", "Date", "date"), ("ticket_count", "integer", "Tickets", "count")],
        [[date.fromordinal(w).isoformat(), v] for w, v in zip(weeks, values, strict=True)],
    )
    anomaly = Anomaly(period="2026-08-24", value=1210, expected=818, score=5.2, direction="high")
    return choose_chart(q, r, MODEL, anomalies=[anomaly])


def multi_line() -> dict[str, Any] | None:
    lines = {"空调": 2.1, "冰箱": 1.2, "洗衣机": 1.3, "净水器": 0.8, "扫地机器人": 0.9, "智能门锁": 0.7}
    season = [0.8, 0.75, 0.85, 0.95, 1.1, 1.4, 1.8, 1.6, 1.1, 0.9]
    rows = [
        [m, line, round(1000 * base * s)]
        for line, base in lines.items()
        for m, s in zip(MONTHS, season, strict=True)
    ]
    q = intent(
        "metric",
        "zh",
        metrics=["complaint_count"],
        dimensions=[{"name": "created_date", "grain": "month"}, {"name": "product_line"}],
        time_range=YEAR_TO_OCT,
        filters=[{"dimension": "region", "op": "eq", "values": ["华南"]}],
    )
    r = result(
        [
            ("created_date", "date", "日期", "date"),
            ("product_line", "string", "产品线", None),
            ("complaint_count", "integer", "投诉量", "count"),
        ],
        sorted(rows),
    )
    return choose_chart(q, r, MODEL)


def ranking_bars() -> dict[str, Any] | None:
    teams = [
        ("华南大区空调上门维修服务一组", 41.2),
        ("技术支持组", 35.7),
        ("热线二组", 28.4),
        ("VIP专席组", 12.6),
        ("在线一组", 19.9),
        ("热线一组", 26.1),
        ("在线二组", 22.3),
    ]
    q = intent(
        "metric",
        "zh",
        metrics=["avg_first_response_minutes"],
        dimensions=["team"],
        time_range=JUNE,
        order_by=[{"field": "avg_first_response_minutes", "desc": True}],
    )
    r = result(
        [
            ("team", "string", "团队", None),
            ("avg_first_response_minutes", "number", "平均首次响应时长", "minutes"),
        ],
        [list(t) for t in sorted(teams, key=lambda t: -t[1])],
    )
    return choose_chart(q, r, MODEL)


def ranking_bars_en() -> dict[str, Any] | None:
    teams = [
        ("热线一组", 0.082),
        ("热线二组", 0.095),
        ("在线一组", 0.041),
        ("在线二组", 0.048),
        ("技术支持组", 0.137),
        ("VIP专席组", 0.021),
    ]
    q = intent(
        "metric",
        "en",
        metrics=["response_sla_breach_rate"],
        dimensions=["team"],
        time_range={"start": "2026-07-01", "end": "2026-10-01"},
        order_by=[{"field": "response_sla_breach_rate", "desc": True}],
    )
    r = result(
        [
            ("team", "string", "Team", None),
            ("response_sla_breach_rate", "number", "Response SLA breach rate", "percent"),
        ],
        [list(t) for t in sorted(teams, key=lambda t: -t[1])],
    )
    return choose_chart(q, r, MODEL)


def grouped_bars() -> dict[str, Any] | None:
    base = {"华南": 4.02, "华东": 4.35, "华北": 4.28, "华中": 4.22, "西南": 4.18}
    tiers = {"VIP": -0.21, "普通": 0.0, "新客户": 0.06}
    rows = [[region, tier, round(v + d, 2)] for region, v in base.items() for tier, d in tiers.items()]
    q = intent("metric", "zh", metrics=["avg_csat"], dimensions=["region", "customer_tier"], time_range=JULY)
    r = result(
        [
            ("region", "string", "大区", None),
            ("customer_tier", "string", "客户等级", None),
            ("avg_csat", "number", "满意度", "score"),
        ],
        rows,
    )
    return choose_chart(q, r, MODEL)


def stacked_bars() -> dict[str, Any] | None:
    channels = {
        "电话": 5210,
        "在线客服": 4380,
        "微信": 3120,
        "App": 2890,
        "在线表单": 1430,
        "邮件": 980,
        "门店": 610,
    }
    rows = [
        [c, s, round(n * share)] for c, n in channels.items() for s, share in (("白班", 0.72), ("夜班", 0.28))
    ]
    q = intent("metric", "zh", metrics=["ticket_count"], dimensions=["channel", "shift"], time_range=JUNE)
    r = result(
        [
            ("channel", "string", "渠道", None),
            ("shift", "string", "班次", None),
            ("ticket_count", "integer", "工单量", "count"),
        ],
        rows,
    )
    return choose_chart(q, r, MODEL)


def heatmap() -> dict[str, Any] | None:
    rows = []
    for i, region in enumerate(REGIONS):
        for j, month in enumerate(MONTHS):
            summer = 1.8 if region == "华南" and month[5:7] in ("06", "07", "08") else 1.0
            rows.append([month, region, round((0.031 + 0.004 * i + 0.001 * (j % 3)) * summer, 4)])
    q = intent(
        "metric",
        "zh",
        metrics=["complaint_rate"],
        dimensions=[{"name": "created_date", "grain": "month"}, {"name": "region"}],
        time_range=YEAR_TO_OCT,
    )
    r = result(
        [
            ("created_date", "date", "日期", "date"),
            ("region", "string", "大区", None),
            ("complaint_rate", "number", "投诉率", "percent"),
        ],
        rows,
    )
    return choose_chart(q, r, MODEL)


def heatmap_categories_en() -> dict[str, Any] | None:
    categories = ["硬件故障", "网络连接", "安装预约", "使用咨询", "配件耗材", "退换货", "账户与App"]
    rows = [
        [region, category, round(6 + 3 * i + 9 * (category == "网络连接") + 2 * j, 1)]
        for i, region in enumerate(REGIONS)
        for j, category in enumerate(categories)
    ]
    q = intent(
        "metric", "en", metrics=["avg_resolution_hours"], dimensions=["region", "category"], time_range=JUNE
    )
    r = result(
        [
            ("region", "string", "Region", None),
            ("category", "string", "Issue category", None),
            ("avg_resolution_hours", "number", "Average time to resolve", "hours"),
        ],
        rows,
    )
    return choose_chart(q, r, MODEL)


def histogram() -> dict[str, Any] | None:
    edges = [0, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240]
    counts = [4120, 6850, 5230, 3110, 3020, 1880, 940, 710, 380, 290, 120]
    analysis = Distribution(
        field="first_response_minutes",
        count=sum(counts),
        mean=24.7,
        p50=11.8,
        p90=58.3,
        bins=tuple(
            DistributionBin(start=a, end=b, count=c)
            for a, b, c in zip(edges, edges[1:], counts, strict=False)
        ),
        sql=(),
    )
    q = intent("distribution", "zh", fields=["first_response_minutes"], time_range=JUNE)
    return choose_chart(q, None, MODEL, analysis=analysis)


def pareto() -> dict[str, Any] | None:
    amounts = {
        "AC-300": 1820, "RF-500": 910, "AC-200": 640, "WM-700": 410, "AC-100": 300, "RV-20": 240, "WP-90": 190,
        "SL-3": 150, "RF-200": 120, "WM-100": 95, "RV-10": 80, "WP-50": 60, "SL-1": 35,
    }  # fmt: skip
    total = sum(amounts.values())
    groups, cumulative = [], 0.0
    for value, amount in amounts.items():
        cumulative += amount / total
        groups.append(
            ConcentrationGroup(value=value, amount=amount, share=amount / total, cumulative_share=cumulative)
        )
    analysis = Concentration(
        metric="response_sla_breach_count",
        dimension="product_model",
        total=total,
        groups=tuple(groups),
        groups_for_80_percent=5,
        share_of_groups_for_80_percent=5 / 13,
        sql=(),
    )
    q = intent(
        "concentration",
        "zh",
        metrics=["response_sla_breach_count"],
        dimensions=["product_model"],
        time_range=JULY,
    )
    return choose_chart(q, None, MODEL, analysis=analysis)


def _csat_change() -> ChangeExplanation:
    moves = {
        "华南": -0.142,
        "华中": -0.031,
        "西南": -0.018,
        "华东": 0.012,
        "华北": -0.009,
        "西北": 0.004,
        "东北": -0.006,
    }
    total = sum(moves.values())
    contributions = tuple(
        Contribution(
            dimension="region",
            value=region,
            current=None,
            previous=None,
            change=change,
            share_of_change=change / total,
        )
        for region, change in sorted(moves.items(), key=lambda kv: -abs(kv[1]))
    )
    channel = Contribution(
        dimension="channel",
        value="电话",
        current=3.9,
        previous=4.1,
        change=-0.05,
        share_of_change=-0.05 / total,
    )
    return ChangeExplanation(
        metric="avg_csat",
        current_value=4.02,
        previous_value=4.21,
        change=total,
        change_pct=total / 4.21,
        current_range=("2026-07-01", "2026-08-01"),
        previous_range=("2026-06-01", "2026-07-01"),
        drivers=(DimensionDrivers(dimension="region", contributions=contributions, concentration=0.64),),
        top=(contributions[0], channel),
        sql=(),
    )


def change_diverging() -> dict[str, Any] | None:
    q = intent("explain_change", "zh", metrics=["avg_csat"], time_range=JULY, compare="previous_period")
    return choose_chart(q, None, MODEL, analysis=_csat_change())


def change_level_en() -> dict[str, Any] | None:
    gaps = {
        "技术支持组": 9.8,
        "热线二组": 3.1,
        "热线一组": 1.2,
        "在线二组": -2.4,
        "在线一组": -4.2,
        "VIP专席组": -7.5,
    }
    total = sum(abs(v) for v in gaps.values())
    analysis = ChangeExplanation(
        metric="avg_first_response_minutes",
        current_value=24.6,
        previous_value=None,
        change=None,
        change_pct=None,
        current_range=("2026-07-01", "2026-10-01"),
        previous_range=None,
        drivers=(
            DimensionDrivers(
                dimension="team",
                contributions=tuple(
                    Contribution(
                        dimension="team",
                        value=t,
                        current=None,
                        previous=None,
                        change=v,
                        share_of_change=v / total,
                    )
                    for t, v in gaps.items()
                ),
                concentration=0.35,
            ),
        ),
        top=(),
        sql=(),
    )
    q = intent(
        "explain_change",
        "en",
        metrics=["avg_first_response_minutes"],
        time_range={"start": "2026-07-01", "end": "2026-10-01"},
    )
    return choose_chart(q, None, MODEL, analysis=analysis)


def _compared_regions(lang: Language, order_by: list[dict[str, Any]]) -> tuple[Intent, QueryResult]:
    now = {"华南": 412, "华东": 305, "华北": 251, "华中": 198, "西南": 176, "西北": 88, "东北": 93}
    before = {"华南": 298, "华东": 317, "华北": 240, "华中": 201, "西南": 150, "西北": 91, "东北": 70}
    rows = [[r, now[r], before[r], now[r] - before[r], (now[r] - before[r]) / before[r]] for r in REGIONS]
    key = {"complaint_count": 1, "complaint_count__change": 3}[order_by[0]["field"]]
    rows.sort(key=lambda row: -row[key])
    zh = lang == "zh"
    q = intent(
        "metric",
        lang,
        metrics=["complaint_count"],
        dimensions=["region"],
        time_range=JULY,
        compare="previous_period",
        order_by=order_by,
    )
    r = result(
        [
            ("region", "string", "大区" if zh else "Region", None),
            ("complaint_count", "integer", "投诉量" if zh else "Complaints", "count"),
            (
                "complaint_count__previous",
                "integer",
                "上期投诉量" if zh else "Complaints (previous)",
                "count",
            ),
            ("complaint_count__change", "integer", "投诉量变化" if zh else "Complaints change", "count"),
            (
                "complaint_count__change_pct",
                "number",
                "投诉量变化率" if zh else "Complaints change %",
                "percent",
            ),
        ],
        rows,
    )
    return q, r


def compare_bars() -> dict[str, Any] | None:
    q, r = _compared_regions("zh", [{"field": "complaint_count", "desc": True}])
    return choose_chart(q, r, MODEL)


def compare_change_en() -> dict[str, Any] | None:
    q, r = _compared_regions("en", [{"field": "complaint_count__change", "desc": True}])
    return choose_chart(q, r, MODEL)


CASES: dict[str, tuple[str, Callable[[], dict[str, Any] | None]]] = {
    "kpi": ("kpi", kpi),
    "kpi_compare": ("kpi", kpi_compare),
    "kpi_compare_en": ("kpi", kpi_compare_en),
    "line": ("line", line),
    "line_weekly_en": ("line", line_weekly_en),
    "multi_line": ("line", multi_line),
    "ranking_bars": ("ranking_bars", ranking_bars),
    "ranking_bars_en": ("ranking_bars", ranking_bars_en),
    "grouped_bars": ("grouped_bars", grouped_bars),
    "stacked_bars": ("stacked_bars", stacked_bars),
    "heatmap": ("heatmap", heatmap),
    "heatmap_categories_en": ("heatmap", heatmap_categories_en),
    "histogram": ("histogram", histogram),
    "pareto": ("pareto", pareto),
    "change_diverging": ("diverging_bars", change_diverging),
    "change_level_en": ("diverging_bars", change_level_en),
    "compare_bars": ("compare_bars", compare_bars),
    "compare_change_en": ("diverging_bars", compare_change_en),
}


@cache
def built(name: str) -> dict[str, Any]:
    spec = CASES[name][1]()
    assert spec is not None, f"{name}: no chart"
    return spec


def as_json(spec: dict[str, Any]) -> str:
    return json.dumps(spec, ensure_ascii=False, indent=2) + "\n"


# --- golden specs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CASES))
def test_spec_matches_golden(name: str) -> None:
    spec = built(name)
    assert spec["usermeta"]["chatbi"]["kind"] == CASES[name][0]
    path = GOLDEN / f"{name}.json"
    if UPDATE or not path.exists():
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(as_json(spec), encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"{path} was missing and has been written; review it and run again")
    assert as_json(spec) == path.read_text(encoding="utf-8"), f"{name} differs (UPDATE_SNAPSHOTS=1 to accept)"


def test_every_golden_file_has_a_case() -> None:
    assert sorted(p.stem for p in GOLDEN.glob("*.json")) == sorted(CASES)


# --- schema ---------------------------------------------------------------------------------------


@cache
def schema_validator() -> Any:
    import jsonschema

    # Shipped by altair (a dev dependency) at install time: nothing is downloaded when tests run.
    text = (resources.files("altair") / "vegalite/v5/schema/vega-lite-schema.json").read_text(
        encoding="utf-8"
    )
    schema = json.loads(text)
    return jsonschema.Draft7Validator(schema)


@pytest.mark.parametrize("name", sorted(CASES))
def test_spec_is_valid_vega_lite_v5(name: str) -> None:
    errors = sorted(schema_validator().iter_errors(built(name)), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message[:300]}" for e in errors[:5])


def test_specs_follow_the_house_rules() -> None:
    for name in CASES:
        spec = built(name)
        assert spec["$schema"].endswith("/vega-lite/v5.json")
        assert spec["width"] == "container"
        assert spec["autosize"]["type"] in ("fit", "fit-x")
        assert spec["config"]["font"].startswith("PingFang SC, Microsoft YaHei, Noto Sans CJK SC")
        assert set(spec["config"]["range"]["category"]) <= set(specs.PALETTE)
        assert not forbidden_keys(spec), f"{name}: {forbidden_keys(spec)}"


# --- what the charts say --------------------------------------------------------------------------


def title_text(spec: dict[str, Any]) -> str:
    text = spec["title"]["text"]
    return " · ".join(text) if isinstance(text, list) else text


def subtitle_text(spec: dict[str, Any]) -> str:
    sub = spec["title"].get("subtitle", "")
    return " / ".join(sub) if isinstance(sub, list) else sub


def data_rows(spec: dict[str, Any]) -> list[dict[str, Any]]:
    if "data" in spec:
        return list(spec["data"]["values"])
    return [row for layer in spec["layer"] if "data" in layer for row in layer["data"]["values"]]


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("kpi", "投诉量 · 2026年6月"),
        ("kpi_compare", "投诉量 · 2026年7月 对比 2026年6月"),
        ("kpi_compare_en", "Resolution rate and average first response time · Q2 2026 vs Q2 2025"),
        ("line", "满意度 · 按月 · 2026年1月–10月"),
        ("line_weekly_en", "Tickets · by week · Aug 3 – Oct 25, 2026"),
        ("multi_line", "投诉量 · 按月、产品线 · 2026年1月–10月"),
        ("ranking_bars", "平均首次响应时长 · 按团队 · 2026年6月"),
        ("ranking_bars_en", "Response SLA breach rate · by team · Q3 2026"),
        ("stacked_bars", "工单量 · 按渠道、班次 · 2026年6月"),
        ("histogram", "首次响应时长（分钟）分布 · 2026年6月"),
        ("pareto", "响应超时工单数集中度 · 按产品型号 · 2026年7月"),
        ("change_diverging", "满意度变化 · 按大区 · 2026年7月 对比 2026年6月"),
        ("change_level_en", "Average first response time vs overall · by team · Q3 2026"),
        ("compare_bars", "投诉量 · 按大区 · 2026年7月 对比 2026年6月"),
        ("compare_change_en", "Complaints change · by region · Jul 2026 vs Jun 2026"),
    ],
)
def test_titles_say_metric_breakdown_and_period(name: str, title: str) -> None:
    assert title_text(built(name)) == title


def test_kpi_shows_the_formatted_number_and_a_polarity_coloured_change() -> None:
    rows = data_rows(built("kpi_compare"))
    texts = {r["text"]: r["colour"] for r in rows}
    assert "1,452" in texts
    change = next(t for t in texts if t.startswith("▲"))
    assert change == "▲ 较上期 +22.0%（+262）"
    assert texts[change] == specs.BAD  # complaints rose: lower is better
    assert "2026年6月：1,190" in texts
    en = {r["text"]: r["colour"] for r in data_rows(built("kpi_compare_en"))}
    assert en["91.4%"] and en["23.5 min"]
    assert en["▲ +1.8 pp vs same period last year"] == specs.GOOD
    assert en["▼ −15.9% (−4.5 min) vs same period last year"] == specs.GOOD  # faster response is good


def test_line_marks_anomalies_with_a_tooltip() -> None:
    spec = built("line")
    anomaly_layer = spec["layer"][1]
    assert anomaly_layer["mark"]["color"] == specs.BAD  # CSAT unusually low is bad
    (point,) = anomaly_layer["data"]["values"]
    assert point["period"] == "2026-07-01" and point["note"] == "异常偏低" and point["value_text"] == "3.92"
    assert {t["title"] for t in anomaly_layer["encoding"]["tooltip"]} >= {"异常", "满意度"}
    assert "异常：2026年7月（偏低）" in subtitle_text(spec)
    assert spec["layer"][0]["encoding"]["y"]["scale"]["zero"] is False  # scores are not zero-based
    ticket_anomaly = built("line_weekly_en")["layer"][1]
    assert ticket_anomaly["mark"]["color"] == specs.NEUTRAL_ANOMALY  # ticket volume has no good direction


def test_multi_line_has_a_series_per_value_largest_first() -> None:
    spec = built("multi_line")
    encoding = spec["layer"][0]["encoding"]
    assert encoding["color"]["field"] == "series"
    rows = spec["layer"][0]["data"]["values"]
    assert len({r["series"] for r in rows}) == 6
    assert min(rows, key=lambda r: r["series_order"])["series"] == "空调"
    assert "大区：华南" in subtitle_text(spec)


def test_ranking_bars_are_sorted_labelled_and_keep_long_labels_readable() -> None:
    spec = built("ranking_bars")
    y = spec["encoding"]["y"]
    assert y["sort"] == {"field": "value", "op": "max", "order": "descending"}
    assert y["axis"]["labelLimit"] >= 140 and spec["height"] == {"step": specs.BAR_STEP}
    rows = spec["data"]["values"]
    assert rows[0]["category"] == "华南大区空调上门维修服务一组" and rows[0]["label"] == "41.2 分钟"
    assert spec["layer"][0]["encoding"]["x"]["title"] == "平均首次响应时长（分钟）"
    en = built("ranking_bars_en")
    assert [r["category"] for r in en["data"]["values"]][:2] == ["Technical support", "Hotline team 2"]
    assert en["data"]["values"][0]["value_text"] == "13.7%"
    assert en["layer"][0]["encoding"]["x"]["axis"]["format"] == ".1~%"


def test_two_categories_stack_counts_and_group_averages() -> None:
    assert built("stacked_bars")["usermeta"]["chatbi"]["kind"] == "stacked_bars"
    grouped = built("grouped_bars")
    assert grouped["encoding"]["yOffset"]["field"] == "group"
    assert grouped["encoding"]["x"]["stack"] is None
    # the dimension with more values (大区) on the axis, the other as the groups
    assert {row["category"] for row in grouped["data"]["values"]} >= {"华南"}
    assert {row["group"] for row in grouped["data"]["values"]} <= {"VIP", "普通", "新客户"}


def test_heatmap_for_many_cells() -> None:
    spec = built("heatmap")
    rows = spec["data"]["values"]
    assert len(rows) == 70 and rows[0]["column"] == "1月" and rows[0]["value_text"] == "3.1%"
    assert spec["layer"][0]["encoding"]["color"]["scale"]["scheme"] == specs.HEATMAP_SCHEME
    cells = built("heatmap_categories_en")
    assert len(cells["layer"]) == 2  # numbers in the cells when they fit
    assert {r["ink"] for r in cells["data"]["values"]} == {"dark", "light"}


def test_histogram_from_distribution_bins() -> None:
    spec = built("histogram")
    bars, _, labels = spec["layer"]
    assert len(bars["data"]["values"]) == 11
    assert bars["data"]["values"][0]["range_text"] == "0.0 分钟 – 5.0 分钟"
    assert [v["label"] for v in labels["data"]["values"]] == ["中位数 11.8 分钟", "P90 58.3 分钟"]
    assert "共 26,650 条" in subtitle_text(spec)


def test_pareto_groups_the_tail_and_marks_the_80_percent_line() -> None:
    spec = built("pareto")
    rows = spec["data"]["values"]
    assert (
        len(rows) == 12 and rows[-1]["category"] == "其他（2个）" and rows[-1]["cumulative_text"] == "100.0%"
    )
    assert [r["segment"] for r in rows].count("累计占 80%") == 5
    assert spec["resolve"] == {"scale": {"x": "independent"}}
    assert "前 5 个产品型号（共 13 个）占响应超时工单数的 80%" in subtitle_text(spec)


def test_change_bars_colour_contributions_by_polarity_and_end_with_the_total() -> None:
    spec = built("change_diverging")
    rows = spec["data"]["values"]
    assert rows[0]["category"] == "华南" and rows[0]["effect"] == "恶化" and rows[0]["label"] == "−0.14"
    assert rows[-1]["category"] == "合计" and rows[-1]["effect"] == "合计"
    assert any(r["effect"] == "改善" for r in rows)
    colour = spec["layer"][0]["encoding"]["color"]["scale"]
    assert dict(zip(colour["domain"], colour["range"], strict=True)) == {
        "改善": specs.GOOD,
        "恶化": specs.BAD,
        "合计": specs.GREY,
    }
    assert "4.21 → 4.02（−0.19，−4.5%）" in subtitle_text(spec)
    level = built("change_level_en")["data"]["values"]
    assert level[0]["category"] == "Technical support" and level[0]["effect"] == "Worsens"  # slower is worse
    assert level[-1]["effect"] == "Improves"


def test_compared_breakdowns() -> None:
    bars = built("compare_bars")
    rows = bars["data"]["values"]
    assert {r["series"] for r in rows} == {"2026年7月", "2026年6月"}
    assert rows[0]["label"] == "412（+38.3%）"
    change = built("compare_change_en")["data"]["values"]
    assert change[0]["category"] == "South China" or change[0]["category"] == "华南"
    assert change[0]["label"] == "+114 (+38.3%)" and change[0]["effect"] == "Worsens"


def test_no_chart_when_none_helps() -> None:
    detail = intent("detail", "zh", fields=["ticket_id", "comment"], time_range=JUNE)
    r = result(
        [("ticket_id", "string", "工单号", None), ("comment", "string", "评价内容", None)], [["T1", "慢"]]
    )
    assert choose_chart(detail, r, MODEL) is None  # the client shows detail lists as a table
    unsupported = Intent(kind="unsupported", confidence=0.9, language="en", reason="no such data")
    assert choose_chart(unsupported, None, MODEL) is None
    empty = result(
        [("region", "string", "大区", None), ("complaint_count", "integer", "投诉量", "count")], []
    )
    ranking = intent("metric", "zh", metrics=["complaint_count"], dimensions=["region"])
    assert choose_chart(ranking, empty, MODEL) is None
    three = intent("metric", "zh", metrics=["ticket_count"], dimensions=["region", "channel", "shift"])
    r3 = result(
        [
            ("region", "string", "大区", None),
            ("channel", "string", "渠道", None),
            ("shift", "string", "班次", None),
            ("ticket_count", "integer", "工单量", "count"),
        ],
        [["华南", "电话", "白班", 3]],
    )
    assert choose_chart(three, r3, MODEL) is None


def test_a_caller_title_wins() -> None:
    q = intent("metric", "zh", metrics=["complaint_count"], time_range=JUNE)
    r = result([("complaint_count", "integer", "投诉量", "count")], [[12]])
    spec = choose_chart(q, r, MODEL, title="本月投诉")
    assert spec is not None and spec["title"]["text"] == "本月投诉"


def test_long_titles_wrap_at_separators() -> None:
    assert specs.wrap_title("投诉量 · 按大区 · 2026年6月") == "投诉量 · 按大区 · 2026年6月"
    wrapped = specs.wrap_title("首次响应时长中位数 · 按产品型号、客户等级 · 2025年11月–2026年2月")
    assert wrapped == ["首次响应时长中位数 · 按产品型号、客户等级", "2025年11月–2026年2月"]


@pytest.mark.parametrize(
    ("value", "fmt", "lang", "text"),
    [
        (12873, "count", "zh", "12,873"),
        (0.1234, "percent", "zh", "12.3%"),
        (23.46, "minutes", "zh", "23.5 分钟"),
        (23.46, "minutes", "en", "23.5 min"),
        (5.25, "hours", "zh", "5.2 小时"),
        (5.26, "hours", "en", "5.3 h"),
        (4.126, "score", "en", "4.13"),
        (-12.5, "number", "en", "-12.5"),
        (None, "count", "en", "—"),
    ],
)
def test_format_value(value: float | None, fmt: str, lang: Language, text: str) -> None:
    assert formats.format_value(value, fmt, lang) == text


@pytest.mark.parametrize(
    ("value", "fmt", "lang", "text"),
    [
        (262, "count", "zh", "+262"),
        (-0.012, "percent", "zh", "−1.2 个百分点"),
        (0.0175, "percent", "en", "+1.8 pp"),
        (-4.45, "minutes", "en", "−4.5 min"),
        (-0.0004, "score", "en", "0.00"),
    ],
)
def test_format_change(value: float, fmt: str, lang: Language, text: str) -> None:
    assert formats.format_change(value, fmt, lang) == text


@pytest.mark.parametrize(
    ("start", "end", "lang", "text"),
    [
        (date(2026, 6, 1), date(2026, 7, 1), "zh", "2026年6月"),
        (date(2026, 6, 1), date(2026, 7, 1), "en", "Jun 2026"),
        (date(2026, 4, 1), date(2026, 7, 1), "zh", "2026年第2季度"),
        (date(2026, 1, 1), date(2027, 1, 1), "en", "2026"),
        (date(2025, 11, 1), date(2026, 3, 1), "zh", "2025年11月–2026年2月"),
        (date(2026, 6, 1), date(2026, 6, 15), "en", "Jun 1–14, 2026"),
        (date(2026, 6, 1), date(2026, 6, 15), "zh", "2026年6月1日–6月14日"),
        (date(2026, 6, 1), None, "en", "since Jun 1, 2026"),
    ],
)
def test_format_range(start: date, end: date | None, lang: Language, text: str) -> None:
    assert formats.format_range(start, end, lang) == text


# --- data text is only ever data ------------------------------------------------------------------

HOSTILE = [
    "<script>alert(1)</script>",
    "javascript:alert(document.cookie)",
    "datum.x || alert(1)",
    "[点我](https://evil.example/phish)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "'); alert(1); //",
]
FORBIDDEN_KEYS = {
    "href",
    "url",
    "expr",
    "calculate",
    "transform",
    "signal",
    "params",
    "labelExpr",
    "test",
    "formatType",
}


def forbidden_keys(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        found |= set(node) & FORBIDDEN_KEYS
        for value in node.values():
            found |= forbidden_keys(value)
    elif isinstance(node, list):
        for value in node:
            found |= forbidden_keys(value)
    return found


def leaves(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, (*path, str(key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from leaves(value, (*path, str(i)))
    else:
        yield path, node


def hostile_specs() -> dict[str, dict[str, Any] | None]:
    values = HOSTILE
    filters = [{"dimension": "region", "op": "in", "values": values[:2]}]
    bars = intent(
        "metric", "en", metrics=["complaint_count"], dimensions=["region"], filters=filters, time_range=JUNE
    )
    bars_result = result(
        [("region", "string", "Region", None), ("complaint_count", "integer", "Complaints", "count")],
        [[v, 10 * (i + 1)] for i, v in enumerate(values)],
    )
    lines = intent(
        "metric",
        "zh",
        metrics=["complaint_count"],
        dimensions=[{"name": "created_date", "grain": "month"}, {"name": "region"}],
        time_range=YEAR_TO_OCT,
    )
    lines_result = result(
        [
            ("created_date", "date", "日期", "date"),
            ("region", "string", "大区", None),
            ("complaint_count", "integer", "投诉量", "count"),
        ],
        [[m, v, i * 3 + j] for i, v in enumerate(values[:4]) for j, m in enumerate(MONTHS[:3])],
    )
    many = result(
        [
            ("created_date", "date", "日期", "date"),
            ("region", "string", "大区", None),
            ("complaint_count", "integer", "投诉量", "count"),
        ],
        [[m, v, i * 3 + j] for i, v in enumerate(values) for j, m in enumerate(MONTHS[:8])],
    )
    groups = tuple(
        ConcentrationGroup(value=v, amount=10.0 - i, share=0.1, cumulative_share=0.1 * (i + 1))
        for i, v in enumerate(values)
    )
    concentration = Concentration(
        metric="complaint_count", dimension="region", total=45, groups=groups, groups_for_80_percent=4,
        share_of_groups_for_80_percent=0.6, sql=(),
    )  # fmt: skip
    contributions = tuple(
        Contribution(
            dimension="region", value=v, current=None, previous=None, change=i - 2.0, share_of_change=0.1
        )
        for i, v in enumerate(values)
    )
    change = ChangeExplanation(
        metric="complaint_count", current_value=10, previous_value=8, change=2, change_pct=0.25,
        current_range=("2026-07-01", "2026-08-01"), previous_range=("2026-06-01", "2026-07-01"),
        drivers=(DimensionDrivers(dimension="region", contributions=contributions, concentration=0.3),),
        top=contributions[:2], sql=(),
    )  # fmt: skip
    concentrate = intent(
        "concentration", "en", metrics=["complaint_count"], dimensions=["region"], filters=filters
    )
    explain = intent(
        "explain_change", "zh", metrics=["complaint_count"], time_range=JULY, compare="previous_period"
    )
    return {
        "bars": choose_chart(bars, bars_result, MODEL),
        "lines": choose_chart(lines, lines_result, MODEL),
        "heatmap": choose_chart(lines, many, MODEL),
        "pareto": choose_chart(concentrate, None, MODEL, analysis=concentration),
        "change": choose_chart(explain, None, MODEL, analysis=change),
    }


@pytest.mark.parametrize("name", ["bars", "lines", "heatmap", "pareto", "change"])
def test_hostile_text_is_only_ever_literal_data(name: str) -> None:
    spec = hostile_specs()[name]
    assert spec is not None
    assert not forbidden_keys(spec)
    assert schema_validator().is_valid(spec)
    markers = ("<script", "javascript:", "alert(", "https://evil", "data:text")
    seen_in_data = False
    for path, value in leaves(spec):
        if not isinstance(value, str) or not any(m in value for m in markers):
            continue
        in_data = "data" in path and "values" in path and path.index("values") == path.index("data") + 1
        in_title = path[:2] in (("title", "subtitle"), ("title", "text"))
        assert in_data or in_title, f"hostile text at {'.'.join(path)}"
        seen_in_data |= in_data
    assert seen_in_data


def test_hostile_text_renders_as_escaped_text() -> None:
    require_fonts()
    spec = hostile_specs()["bars"]
    assert spec is not None
    svg = render_chart(spec, "svg").decode("utf-8")
    assert "<script" not in svg and "href" not in svg
    assert "&lt;script&gt;" in svg


# --- rendering ------------------------------------------------------------------------------------


def cjk_families() -> str:
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return ""
    return subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True).stdout


def require_fonts() -> None:
    require_system("a CJK font (fonts-noto-cjk)", bool(cjk_families().strip()))


@pytest.fixture(scope="module")
def render_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("chart_renders")
    print(f"\nchart PNGs are written to {path}")
    return path


def test_the_font_stack_resolves_to_an_installed_cjk_font() -> None:
    require_fonts()
    installed = {name.strip() for line in cjk_families().splitlines() for name in line.split(",")}
    stack = [name.strip() for name in specs.FONT.split(",")]
    assert installed & set(stack), f"none of {stack} is installed; fc-list :lang=zh says {sorted(installed)}"


def test_chinese_renders_as_glyphs_not_boxes() -> None:
    # Missing glyphs all draw as the same box (or nothing): two different words would then look alike.
    require_fonts()

    def word(text: str) -> bytes:
        spec = specs.frame("kpi", "zh", "")
        spec["width"] = 200
        spec["mark"] = {"type": "text", "fontSize": 30}
        spec["data"] = {"values": [{"t": text}]}
        spec["encoding"] = {"text": {"field": "t", "type": "nominal"}}
        return render_chart(spec, "png", scale=1)

    assert word("华南大区") != word("东北大区")


@pytest.mark.parametrize("name", sorted(CASES))
def test_renders_png(name: str, render_dir: Path) -> None:
    require_fonts()
    png = render_chart(built(name), "png", scale=2.0)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(png[16:20], "big")
    assert width == 2 * 640
    (render_dir / f"{name}.png").write_bytes(png)
    print(f"{render_dir / name}.png")


def test_render_rejects_unknown_formats() -> None:
    with pytest.raises(ValueError, match="png"):
        render_chart(built("kpi"), "gif")  # type: ignore[arg-type]


# --- real queries on the demo database ------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_layer(demo_db: Path) -> Iterator[tuple[SemanticLayer, SemanticModel]]:
    model = load_model()
    engine = DuckDBEngine(demo_db)
    yield SemanticLayer(model, engine, clock=FixedClock(DEMO_AS_OF)), model
    engine.close()


def test_charts_of_real_query_results(
    demo_layer: tuple[SemanticLayer, SemanticModel], render_dir: Path
) -> None:
    layer, model = demo_layer
    ranking = SemanticQuery.model_validate(
        {
            "metrics": ["complaint_count"],
            "dimensions": ["region"],
            "time_range": JULY,
            "order_by": [{"field": "complaint_count", "desc": True}],
        }
    )
    trend = SemanticQuery.model_validate(
        {
            "metrics": ["avg_csat"],
            "dimensions": [{"name": "created_date", "grain": "month"}],
            "time_range": YEAR_TO_OCT,
        }
    )
    kpi_query = SemanticQuery.model_validate(
        {"metrics": ["complaint_count"], "time_range": JULY, "compare": "previous_period"}
    )
    checks = [(ranking, "zh", "ranking_bars"), (trend, "en", "line"), (kpi_query, "en", "kpi")]
    for query, lang, kind in checks:
        planned = Intent(kind="metric", query=query, confidence=1.0, language=lang)  # type: ignore[arg-type]
        answer = layer.query(query, language=lang)  # type: ignore[arg-type]
        spec = choose_chart(planned, answer, model)
        assert spec is not None and spec["usermeta"]["chatbi"]["kind"] == kind
        assert schema_validator().is_valid(spec)
        if kind == "ranking_bars":
            # Every region is there with its exact count, largest first.
            rows = {r["category"]: r["value"] for r in spec["data"]["values"]}
            assert rows == {region: count for region, count in answer.rows}
            assert title_text(spec) == "投诉量 · 按大区 · 2026年7月"
            top = max(answer.rows, key=lambda row: row[1])
            assert spec["data"]["values"][0]["category"] == top[0]
        elif kind == "line":
            rows = spec["layer"][0]["data"]["values"]
            assert [(r["period"], r["value"]) for r in rows] == [(p, v) for p, v in answer.rows]
            assert title_text(spec) == "CSAT · by month · Jan–Oct 2026"
        else:
            (row,) = answer.rows
            texts = [r["text"] for r in data_rows(spec)]
            assert f"{row[0]:,}" in texts
            assert any(t.endswith("vs previous period") for t in texts)
        if cjk_families().strip():
            (render_dir / f"demo_{kind}.png").write_bytes(render_chart(spec, "png"))


def extra_shapes() -> dict[str, tuple[str, dict[str, Any] | None]]:
    """Shapes without a golden file: each must still be a valid chart of the expected kind."""
    compared_trend = intent(
        "metric",
        "en",
        metrics=["complaint_count"],
        dimensions=[{"name": "created_date", "grain": "month"}],
        time_range={"period": "last_3_months"},
        compare="same_period_last_year",
    )
    trend_rows = result(
        [
            ("created_date", "date", "Date", "date"),
            ("complaint_count", "integer", "Complaints", "count"),
            ("complaint_count__previous", "integer", "Complaints (previous)", "count"),
            ("complaint_count__change", "integer", "Complaints change", "count"),
            ("complaint_count__change_pct", "number", "Complaints change %", "percent"),
        ],
        [[m, 100 + i, 90 + i, 10, 10 / (90 + i)] for i, m in enumerate(MONTHS[7:])],
    )
    two_metrics = intent(
        "metric",
        "zh",
        metrics=["ticket_count", "complaint_count"],
        dimensions=["channel"],
        filters=[{"metric": "ticket_count", "op": "gt", "values": [100]}],
    )
    two_metric_rows = result(
        [
            ("channel", "string", "渠道", None),
            ("ticket_count", "integer", "工单量", "count"),
            ("complaint_count", "integer", "投诉量", "count"),
        ],
        [["电话", 5000, 300], ["App", 2000, 90]],
    )
    many_regions = intent(
        "metric",
        "zh",
        metrics=["ticket_count"],
        dimensions=[{"name": "created_date", "grain": "quarter"}, {"name": "province"}],
    )
    provinces = ["广东", "广西", "海南", "福建", "湖北", "湖南", "河南", "四川", "内蒙古"]
    province_rows = result(
        [
            ("created_date", "date", "日期", "date"),
            ("province", "string", "省份", None),
            ("ticket_count", "integer", "工单量", "count"),
        ],
        [
            [q, p, 10 * i + j]
            for i, p in enumerate(provinces)
            for j, q in enumerate(["2025-10-01", "2026-01-01", "2026-04-01"])
        ],
    )
    agents = intent("metric", "en", metrics=["ticket_count"], dimensions=["agent"])
    agent_rows = result(
        [("agent", "string", "Agent", None), ("ticket_count", "integer", "Tickets", "count")],
        [[f"客服{i:03d}", 1000 - i] for i in range(45)],
    )
    return {
        "compared_trend": ("line", choose_chart(compared_trend, trend_rows, MODEL)),
        "two_metrics": ("grouped_bars", choose_chart(two_metrics, two_metric_rows, MODEL)),
        "many_series": ("heatmap", choose_chart(many_regions, province_rows, MODEL)),
        "top_30_of_45": ("ranking_bars", choose_chart(agents, agent_rows, MODEL)),
    }


@pytest.mark.parametrize("name", ["compared_trend", "two_metrics", "many_series", "top_30_of_45"])
def test_other_shapes_are_valid_charts(name: str) -> None:
    kind, spec = extra_shapes()[name]
    assert spec is not None and spec["usermeta"]["chatbi"]["kind"] == kind
    errors = list(schema_validator().iter_errors(spec))
    assert not errors, errors[0].message[:300]
    assert not forbidden_keys(spec)
    if name == "compared_trend":
        assert title_text(spec) == "Complaints · by month · Last 3 months vs same period last year"
        assert {r["series"] for r in spec["layer"][0]["data"]["values"]} == {
            "This period",
            "Same period last year",
        }
    if name == "two_metrics":
        assert title_text(spec) == "工单量、投诉量 · 按渠道" and subtitle_text(spec) == "工单量 > 100"
    if name == "top_30_of_45":
        assert len(spec["data"]["values"]) == 30 and subtitle_text(spec) == "Showing the top 30 of 45"
