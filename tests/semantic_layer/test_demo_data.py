"""The demo database: schema, internal consistency, determinism, realism, and one test per planted story.

Stories are found the way a user of the product would: plain SQL (or pandas) on the raw tables, asserting
ratios with a clear margin rather than exact numbers.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from semantic_layer.demo.generate import GenerationSummary, generate_demo_database

AS_OF = date(2026, 11, 15)  # tests/conftest.py generates the session database as of this day
END = datetime(2026, 11, 16)  # end of the as-of day: nothing reaches it
FRT_MINUTES = "date_diff('second', t.created_at, t.first_response_at) / 60.0"
BREACHED = f"({FRT_MINUTES} > t.sla_target_minutes)"


@pytest.fixture(scope="module")
def con(demo_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(demo_db), read_only=True)
    yield connection
    connection.close()


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    row = con.execute(sql).fetchone()
    assert row is not None
    return row[0]


def frame(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    return con.execute(sql).df()


@pytest.fixture(scope="module")
def scored(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Surveys with the attributes of their ticket (survey metrics count on the ticket's creation date)."""
    return frame(
        con,
        f"""SELECT s.csat_score, s.nps_score, s.comment, t.created_at, t.channel, t.region,
                   t.product_model, t.category, {BREACHED} AS breached
            FROM surveys s JOIN tickets t USING (ticket_id)""",
    )


# --- schema -------------------------------------------------------------------------------------------

EXPECTED_SCHEMA = {
    "tickets": [
        ("ticket_id", "VARCHAR"), ("created_at", "TIMESTAMP"), ("first_response_at", "TIMESTAMP"),
        ("resolved_at", "TIMESTAMP"), ("closed_at", "TIMESTAMP"), ("channel", "VARCHAR"),
        ("product_line", "VARCHAR"), ("product_model", "VARCHAR"), ("category", "VARCHAR"),
        ("priority", "VARCHAR"), ("customer_id", "VARCHAR"), ("region", "VARCHAR"), ("province", "VARCHAR"),
        ("city", "VARCHAR"), ("team", "VARCHAR"), ("agent_id", "VARCHAR"), ("agent", "VARCHAR"),
        ("shift", "VARCHAR"), ("status", "VARCHAR"), ("is_complaint", "BOOLEAN"), ("reopened", "BOOLEAN"),
        ("contact_count", "INTEGER"), ("resolution_type", "VARCHAR"), ("sla_target_minutes", "INTEGER"),
    ],
    "surveys": [
        ("survey_id", "VARCHAR"), ("ticket_id", "VARCHAR"), ("surveyed_at", "TIMESTAMP"),
        ("csat_score", "INTEGER"), ("nps_score", "INTEGER"), ("comment", "VARCHAR"),
    ],
    "customers": [
        ("customer_id", "VARCHAR"), ("customer_name", "VARCHAR"), ("tier", "VARCHAR"), ("industry", "VARCHAR"),
        ("home_region", "VARCHAR"), ("home_province", "VARCHAR"), ("home_city", "VARCHAR"),
        ("signup_date", "DATE"), ("repurchased", "BOOLEAN"), ("churned", "BOOLEAN"),
    ],
    "agents": [("agent_id", "VARCHAR"), ("agent_name", "VARCHAR"), ("team", "VARCHAR"), ("hire_date", "DATE")],
    "demo_metadata": [("key", "VARCHAR"), ("value", "VARCHAR")],
}  # fmt: skip


def test_schema_is_exactly_the_documented_one(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns ORDER BY table_name, ordinal_position"
    ).fetchall()
    actual: dict[str, list[tuple[str, str]]] = {}
    for table, column, dtype in rows:
        actual.setdefault(table, []).append((column, dtype))
    assert actual == EXPECTED_SCHEMA


def test_ticket_id_is_the_primary_key(con: duckdb.DuckDBPyConnection) -> None:
    constraints = con.execute(
        "SELECT constraint_type FROM duckdb_constraints() WHERE table_name = 'tickets'"
    ).fetchall()
    assert ("PRIMARY KEY",) in constraints


ALLOWED_VALUES = {
    ("tickets", "channel"): {"电话", "邮件", "在线表单", "在线客服", "微信", "App", "门店"},
    ("tickets", "product_line"): {"空调", "冰箱", "洗衣机", "净水器", "扫地机器人", "智能门锁"},
    ("tickets", "category"): {
        "硬件故障",
        "网络连接",
        "安装预约",
        "使用咨询",
        "配件耗材",
        "退换货",
        "账户与App",
    },
    ("tickets", "priority"): {"P1", "P2", "P3", "P4"},
    ("tickets", "region"): {"华北", "华东", "华南", "华中", "西南", "西北", "东北"},
    ("tickets", "team"): {"热线一组", "热线二组", "在线一组", "在线二组", "技术支持组", "VIP专席组"},
    ("tickets", "shift"): {"白班", "夜班"},
    ("tickets", "status"): {"待处理", "处理中", "已解决", "已关闭"},
    ("tickets", "resolution_type"): {"远程", "上门", "换新", "退款", "自助", None},
    ("customers", "tier"): {"VIP", "普通", "新客户"},
    ("customers", "industry"): {"家庭用户", "酒店", "餐饮", "物业", "教育", "医疗", "零售"},
    ("customers", "home_region"): {"华北", "华东", "华南", "华中", "西南", "西北", "东北"},
    ("agents", "team"): {"热线一组", "热线二组", "在线一组", "在线二组", "技术支持组", "VIP专席组"},
}
MODELS_BY_LINE = {
    "空调": {"AC-100", "AC-200", "AC-300"},
    "冰箱": {"RF-200", "RF-500"},
    "洗衣机": {"WM-100", "WM-700"},
    "净水器": {"WP-50", "WP-90"},
    "扫地机器人": {"RV-10", "RV-20"},
    "智能门锁": {"SL-1", "SL-3"},
}


@pytest.mark.parametrize(("table", "column"), list(ALLOWED_VALUES))
def test_categorical_values_are_the_documented_ones(
    con: duckdb.DuckDBPyConnection, table: str, column: str
) -> None:
    values = {v for (v,) in con.execute(f"SELECT DISTINCT {column} FROM {table}").fetchall()}
    assert values == ALLOWED_VALUES[(table, column)]


def test_every_model_belongs_to_its_product_line(con: duckdb.DuckDBPyConnection) -> None:
    pairs = con.execute("SELECT DISTINCT product_line, product_model FROM tickets").fetchall()
    found: dict[str, set[str]] = {}
    for line, model in pairs:
        found.setdefault(line, set()).add(model)
    assert found == MODELS_BY_LINE


@pytest.mark.parametrize(
    ("table", "column", "pattern"),
    [
        ("tickets", "ticket_id", "T[0-9]{9}"),
        ("tickets", "customer_id", "C[0-9]{8}"),
        ("tickets", "agent_id", "A[0-9]{4}"),
        ("surveys", "survey_id", "S[0-9]{9}"),
        ("surveys", "ticket_id", "T[0-9]{9}"),
        ("customers", "customer_id", "C[0-9]{8}"),
        ("agents", "agent_id", "A[0-9]{4}"),
    ],
)
def test_ids_have_their_format_and_are_unique_where_keys(
    con: duckdb.DuckDBPyConnection, table: str, column: str, pattern: str
) -> None:
    bad = scalar(con, f"SELECT count(*) FROM {table} WHERE NOT regexp_full_match({column}, '{pattern}')")
    assert bad == 0
    if column == f"{table.rstrip('s')}_id" or (table, column) == ("surveys", "ticket_id"):
        assert scalar(con, f"SELECT count(*) - count(DISTINCT {column}) FROM {table}") == 0


def test_geography_is_a_consistent_hierarchy(con: duckdb.DuckDBPyConnection) -> None:
    places = frame(
        con,
        """SELECT region, province, city FROM tickets
           UNION SELECT home_region, home_province, home_city FROM customers""",
    )
    assert places.groupby("city")["province"].nunique().max() == 1
    assert places.groupby("province")["region"].nunique().max() == 1
    cities_per_province = places.groupby("province")["city"].nunique()
    assert cities_per_province.max() <= 4
    assert places.groupby("region")["province"].nunique().between(3, 6).all()
    assert ("华东", "浙江", "宁波") in set(places.itertuples(index=False, name=None))
    assert {"广州", "深圳", "东莞", "佛山"} <= set(places.loc[places.province == "广东", "city"])


def test_tickets_happen_where_their_customer_lives(con: duckdb.DuckDBPyConnection) -> None:
    share_at_home = scalar(
        con,
        """SELECT avg((t.city = c.home_city AND t.province = c.home_province AND t.region = c.home_region)::INT)
           FROM tickets t JOIN customers c USING (customer_id)""",
    )
    assert share_at_home > 0.99
    assert (
        scalar(
            con, "SELECT count(*) FROM tickets WHERE customer_id NOT IN (SELECT customer_id FROM customers)"
        )
        == 0
    )


def test_agents_are_unique_and_tickets_carry_their_team(con: duckdb.DuckDBPyConnection) -> None:
    assert 100 <= scalar(con, "SELECT count(*) FROM agents") <= 140
    assert scalar(con, "SELECT count(DISTINCT agent_name) = count(*) FROM agents")
    mismatched = scalar(
        con,
        """SELECT count(*) FROM tickets t LEFT JOIN agents a USING (agent_id)
           WHERE a.agent_id IS NULL OR a.team <> t.team OR a.agent_name <> t.agent""",
    )
    assert mismatched == 0
    assert scalar(con, "SELECT max(hire_date) FROM agents") < date(2024, 11, 16)


def test_customers_size_names_and_mix(con: duckdb.DuckDBPyConnection) -> None:
    tickets = scalar(con, "SELECT count(*) FROM tickets")
    customers = scalar(con, "SELECT count(*) FROM customers")
    assert 3 <= tickets / customers <= 5
    assert scalar(con, "SELECT count(*) - count(DISTINCT customer_id) FROM customers") == 0
    assert scalar(con, "SELECT max(length(customer_name)) FROM customers") <= 4
    assert scalar(con, "SELECT min(length(customer_name)) FROM customers") >= 2
    assert scalar(con, "SELECT avg((industry = '家庭用户')::INT) FROM customers") > 0.7
    assert scalar(con, "SELECT min(signup_date) FROM customers") < date(2024, 11, 16)
    assert scalar(con, "SELECT max(signup_date) FROM customers") <= AS_OF
    # a customer's tickets come after they signed up; new customers signed up recently
    assert scalar(con, "SELECT count(*) FROM tickets t JOIN customers c USING (customer_id) "
                       "WHERE t.created_at < c.signup_date") == 0  # fmt: skip
    assert scalar(con, "SELECT min(signup_date) FROM customers WHERE tier = '新客户'") > date(2026, 1, 1)


def test_metadata(con: duckdb.DuckDBPyConnection) -> None:
    meta = dict(con.execute("SELECT key, value FROM demo_metadata").fetchall())
    assert set(meta) == {"as_of", "seed", "tickets", "generator_version", "generated_at"}
    assert (meta["as_of"], meta["seed"], meta["tickets"]) == ("2026-11-15", "7", "200000")
    datetime.fromisoformat(meta["generated_at"])


# --- consistency of times and statuses ----------------------------------------------------------------

CONSISTENCY_VIOLATIONS = {
    "window": "created_at < TIMESTAMP '2024-11-16' OR created_at >= TIMESTAMP '2026-11-16'",
    "response after creation": "first_response_at <= created_at",
    "resolution after response": "resolved_at < first_response_at OR (resolved_at IS NOT NULL AND first_response_at IS NULL)",
    "closed after resolved": "closed_at < resolved_at OR (closed_at IS NOT NULL AND resolved_at IS NULL)",
    "nothing after the as-of day": "greatest(first_response_at, resolved_at, closed_at) >= TIMESTAMP '2026-11-16'",
    "open iff unresolved": "(status IN ('待处理', '处理中')) <> (resolved_at IS NULL)",
    "closed iff 已关闭": "(status = '已关闭') <> (closed_at IS NOT NULL)",
    "待处理 iff no response": "(status = '待处理') <> (first_response_at IS NULL)",
    "no response only for the last tickets": "first_response_at IS NULL AND created_at < TIMESTAMP '2026-11-15'",
    "shift by hour": "shift <> CASE WHEN hour(created_at) BETWEEN 8 AND 19 THEN '白班' ELSE '夜班' END",
    "sla by priority": "sla_target_minutes <> CASE priority WHEN 'P1' THEN 15 WHEN 'P2' THEN 30 WHEN 'P3' THEN 120 ELSE 480 END",
    "reopened only when resolved": "reopened AND status NOT IN ('已解决', '已关闭')",
    "resolution type iff resolved": "(resolution_type IS NULL) <> (resolved_at IS NULL)",
    "at least one contact": "contact_count < 1",
}  # fmt: skip


@pytest.mark.parametrize("rule", list(CONSISTENCY_VIOLATIONS))
def test_ticket_consistency(con: duckdb.DuckDBPyConnection, rule: str) -> None:
    assert scalar(con, f"SELECT count(*) FROM tickets WHERE {CONSISTENCY_VIOLATIONS[rule]}") == 0


def test_last_tickets_are_on_the_as_of_day_and_recent_ones_are_more_often_open(
    con: duckdb.DuckDBPyConnection,
) -> None:
    assert scalar(con, "SELECT max(created_at)::DATE FROM tickets") == AS_OF
    assert scalar(con, "SELECT count(*) FROM tickets WHERE created_at::DATE = DATE '2026-11-15'") > 100
    open_old = scalar(
        con, "SELECT avg((resolved_at IS NULL)::INT) FROM tickets WHERE created_at < '2026-10-01'"
    )
    open_recent = scalar(
        con, "SELECT avg((resolved_at IS NULL)::INT) FROM tickets WHERE created_at >= '2026-11-13'"
    )
    assert open_old < 0.01
    assert open_recent > 10 * open_old
    assert scalar(con, "SELECT avg((status IN ('已解决', '已关闭'))::INT) FROM tickets") > 0.95
    pending = scalar(con, "SELECT avg((first_response_at IS NULL)::INT) FROM tickets")
    assert 0 < pending < 0.001


def test_surveys_are_consistent(con: duckdb.DuckDBPyConnection) -> None:
    bad = scalar(
        con,
        """SELECT count(*) FROM surveys s JOIN tickets t USING (ticket_id)
           WHERE t.resolved_at IS NULL OR s.surveyed_at <= t.resolved_at OR s.surveyed_at >= TIMESTAMP '2026-11-16'
              OR s.csat_score NOT BETWEEN 1 AND 5 OR s.nps_score NOT BETWEEN 0 AND 10""",
    )
    assert bad == 0
    assert (
        scalar(con, "SELECT count(*) FROM surveys WHERE ticket_id NOT IN (SELECT ticket_id FROM tickets)")
        == 0
    )
    response_rate = scalar(
        con, "SELECT (SELECT count(*) FROM surveys) / count(*) FROM tickets WHERE resolved_at IS NOT NULL"
    )
    assert 0.35 <= response_rate <= 0.45
    assert scalar(con, "SELECT corr(csat_score, nps_score) FROM surveys") > 0.7


def test_low_scores_mostly_have_comments_and_high_scores_mostly_not(con: duckdb.DuckDBPyConnection) -> None:
    by_score = dict(
        con.execute("SELECT csat_score, avg((comment IS NOT NULL)::INT) FROM surveys GROUP BY 1").fetchall()
    )
    assert by_score[1] > 0.75 and by_score[2] > 0.75
    assert by_score[4] < 0.5 and by_score[5] < 0.5
    distinct = scalar(con, "SELECT count(DISTINCT comment) FROM surveys")
    assert distinct > 100


# --- realism ------------------------------------------------------------------------------------------


def test_volume_follows_the_calendar(con: duckdb.DuckDBPyConnection) -> None:
    daily = frame(con, "SELECT created_at::DATE AS day, count(*) AS n FROM tickets GROUP BY 1")
    daily["day"] = pd.to_datetime(daily["day"])
    per_day = daily.set_index("day")["n"]

    def mean(start: str, end: str) -> float:
        return float(per_day[start:end].mean())

    weekday = per_day.groupby(pd.DatetimeIndex(per_day.index).day_of_week).mean()
    assert weekday[0] > 1.1 * weekday[6]  # Mondays busier than Sundays
    assert mean("2026-02-14", "2026-02-23") < 0.6 * mean("2026-03-09", "2026-03-29")  # Spring Festival
    assert mean("2026-11-12", "2026-11-15") > 1.2 * mean("2026-10-12", "2026-10-31")  # after 双11
    growth = per_day["2025-11-16":"2026-11-15"].sum() / per_day["2024-11-16":"2025-11-15"].sum()
    assert 1.08 <= growth <= 1.25  # about 15% a year


def test_daytime_dominates_but_nights_are_not_empty(con: duckdb.DuckDBPyConnection) -> None:
    night = scalar(con, "SELECT avg((shift = '夜班')::INT) FROM tickets")
    assert 0.1 <= night <= 0.3
    peak = scalar(con, "SELECT avg((hour(created_at) BETWEEN 9 AND 17)::INT) FROM tickets")
    assert peak > 0.55


def test_air_conditioners_peak_in_summer(con: duckdb.DuckDBPyConnection) -> None:
    share = dict(
        con.execute(
            """SELECT month(created_at), avg((product_line = '空调')::INT) FROM tickets
               WHERE year(created_at) = 2026 GROUP BY 1"""
        ).fetchall()
    )
    assert share[7] > 1.3 * share[4]


def test_priorities_are_mostly_p3_p4_and_durations_long_tailed(con: duckdb.DuckDBPyConnection) -> None:
    assert scalar(con, "SELECT avg((priority IN ('P3', 'P4'))::INT) FROM tickets") > 0.7
    p50, p90 = con.execute(f"SELECT quantile_cont({FRT_MINUTES}, [0.5, 0.9]) FROM tickets t").fetchone()[0]  # type: ignore[index]
    assert p90 > 3 * p50
    r50, r90 = con.execute(
        "SELECT quantile_cont(date_diff('second', created_at, resolved_at), [0.5, 0.9]) FROM tickets"
    ).fetchone()[0]  # type: ignore[index]
    assert r90 > 3 * r50


# --- the planted stories ------------------------------------------------------------------------------


def test_story1_vip_tickets_at_night_wait_far_longer(con: duckdb.DuckDBPyConnection) -> None:
    medians = frame(
        con,
        f"""SELECT c.tier = 'VIP' AS vip, t.shift, median({FRT_MINUTES}) AS frt
            FROM tickets t JOIN customers c USING (customer_id) GROUP BY ALL""",
    ).set_index(["vip", "shift"])["frt"]
    overall = scalar(con, f"SELECT median({FRT_MINUTES}) FROM tickets t")
    vip_night = medians[(True, "夜班")]
    assert vip_night > 3 * overall
    assert vip_night > 2 * medians[(False, "夜班")]
    assert vip_night > 3 * medians[(True, "白班")]


def test_story2_ac300_fails_in_the_humid_south_in_summer(
    con: duckdb.DuckDBPyConnection, scored: pd.DataFrame
) -> None:
    slice_sql = "region = '华南' AND product_model = 'AC-300' AND category = '硬件故障'"
    monthly = frame(
        con,
        f"""SELECT month(created_at) AS month, count(*) AS n, avg(is_complaint::INT) AS complaint_rate
            FROM tickets WHERE {slice_sql} AND year(created_at) = 2026 GROUP BY 1""",
    ).set_index("month")
    n = monthly["n"]
    spring = n[[3, 4, 5]].mean()
    assert n.idxmax() == 7
    assert n[7] > 5 * spring
    assert n[[6, 8]].min() > 3 * spring
    rest_complaints = scalar(
        con, f"SELECT avg(is_complaint::INT) FROM tickets WHERE NOT ({slice_sql}) AND month(created_at) = 7"
    )
    assert monthly["complaint_rate"][7] > 3 * rest_complaints

    july = scored[(scored.created_at.dt.year == 2026) & (scored.created_at.dt.month == 7)]
    in_slice = (july.region == "华南") & (july.product_model == "AC-300") & (july.category == "硬件故障")
    assert july[in_slice].csat_score.mean() < july[~in_slice].csat_score.mean() - 0.8


def _monthly_csat(scored: pd.DataFrame) -> pd.Series:
    recent = scored[scored.created_at.dt.year == 2026]
    return recent.groupby(recent.created_at.dt.month)["csat_score"].mean()


def test_story2_july_csat_is_visibly_lower_than_june_and_august(scored: pd.DataFrame) -> None:
    csat = _monthly_csat(scored)
    assert csat[7] < csat[6] - 0.08
    assert csat[7] < csat[8] - 0.08
    assert csat[7] == csat[[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]].min()


@pytest.mark.parametrize(
    ("dimension", "culprit"), [("region", "华南"), ("product_model", "AC-300"), ("category", "硬件故障")]
)
def test_story2_the_july_drop_is_concentrated_in_the_south_ac300_hardware(
    scored: pd.DataFrame, dimension: str, culprit: str
) -> None:
    """Leave one value out at a time: leaving out the culprit removes most of the July drop, and removes
    more of it than leaving out any other value of the dimension."""

    def drop(data: pd.DataFrame) -> float:
        csat = _monthly_csat(data)
        return float(csat[6] - csat[7])

    full = drop(scored)
    without = {value: drop(scored[scored[dimension] != value]) for value in scored[dimension].unique()}
    assert min(without, key=lambda v: without[v]) == culprit
    assert without[culprit] < 0.4 * full


def test_story3_network_issues_take_far_longer_to_resolve_than_hardware(
    con: duckdb.DuckDBPyConnection,
) -> None:
    hours = dict(
        con.execute(
            """SELECT category, median(date_diff('second', created_at, resolved_at) / 3600.0)
               FROM tickets GROUP BY 1"""
        ).fetchall()
    )
    assert hours["网络连接"] > 2 * hours["硬件故障"]
    assert hours["网络连接"] == max(hours.values())


WAITING = "等待|等了|太慢|响应慢"
OTHER_THEMES = {
    "维修质量": "不专业|没修好|维修水平",
    "服务态度": "态度",
    "配件缺货": "配件|缺货",
    "反复故障": "反复|又坏|又出问题",
    "收费问题": "收费|费用",
    "产品质量": "产品质量|做工",
}


def test_story4_waiting_is_the_main_theme_of_low_score_comments(con: duckdb.DuckDBPyConnection) -> None:
    def share(pattern: str) -> float:
        return scalar(
            con,
            f"""SELECT avg(regexp_matches(comment, '{pattern}')::INT) FROM surveys
                WHERE csat_score <= 2 AND comment IS NOT NULL""",
        )

    waiting = share(WAITING)
    assert waiting > 0.35
    for theme, pattern in OTHER_THEMES.items():
        assert waiting > 1.5 * share(pattern), theme


def test_story5_sla_breaches_concentrate_in_a_few_regions_and_models(con: duckdb.DuckDBPyConnection) -> None:
    def concentration(dimension: str, top: int) -> tuple[float, float]:
        by_value = frame(
            con,
            f"""SELECT {dimension} AS value, sum({BREACHED}::INT) AS breaches, count(*) AS tickets
                FROM tickets t WHERE first_response_at IS NOT NULL GROUP BY 1 ORDER BY breaches DESC""",
        )
        head = by_value.head(top)
        return head.breaches.sum() / by_value.breaches.sum(), head.tickets.sum() / by_value.tickets.sum()

    breach_share, ticket_share = concentration("region", 2)
    assert breach_share > 0.5
    assert ticket_share < 0.25
    breach_share, ticket_share = concentration("product_model", 3)
    assert breach_share > 0.5
    assert ticket_share < 0.3


def test_story6_app_has_the_highest_satisfaction(scored: pd.DataFrame) -> None:
    by_channel = scored.groupby("channel")["csat_score"].mean().sort_values(ascending=False)
    assert by_channel.index[0] == "App"
    assert by_channel.iloc[0] > by_channel.iloc[1] + 0.1


def test_story7_a_handful_of_agents_are_much_faster(con: duckdb.DuckDBPyConnection) -> None:
    per_agent = frame(
        con, f"SELECT agent_id, median({FRT_MINUTES}) AS frt, count(*) AS n FROM tickets t GROUP BY 1"
    )
    typical = per_agent.frt.median()
    fast = per_agent[per_agent.frt < 0.5 * typical]
    assert 3 <= len(fast) <= 10
    assert (fast.n > 100).all()
    assert (fast.frt < 0.4 * typical).all()  # clearly faster, not just below the line


def test_vip_customers_repurchase_more_and_good_service_helps(con: duckdb.DuckDBPyConnection) -> None:
    rates = dict(con.execute("SELECT tier, avg(repurchased::INT) FROM customers GROUP BY 1").fetchall())
    assert rates["VIP"] > 1.3 * rates["普通"]
    by_experience = dict(
        con.execute(
            """SELECT avg_csat >= 4, avg(repurchased::INT) FROM customers
               JOIN (SELECT customer_id, avg(csat_score) AS avg_csat FROM surveys JOIN tickets USING (ticket_id)
                     GROUP BY 1) USING (customer_id)
               WHERE avg_csat >= 4 OR avg_csat < 3 GROUP BY 1"""
        ).fetchall()
    )
    assert by_experience[True] > 1.3 * by_experience[False]


def test_long_waits_lower_csat(scored: pd.DataFrame) -> None:
    by_breach = scored.groupby("breached")["csat_score"].mean()
    assert by_breach[False] > by_breach[True] + 0.3


# --- the generator itself -----------------------------------------------------------------------------

TABLE_KEYS = {
    "tickets": "ticket_id",
    "surveys": "survey_id",
    "customers": "customer_id",
    "agents": "agent_id",
}


def _contents(path: Path) -> dict[str, list[tuple[object, ...]]]:
    with duckdb.connect(str(path), read_only=True) as db:
        tables = {
            name: db.execute(f"SELECT * FROM {name} ORDER BY {key}").fetchall()
            for name, key in TABLE_KEYS.items()
        }
        tables["demo_metadata"] = db.execute(
            "SELECT * FROM demo_metadata WHERE key <> 'generated_at' ORDER BY key"
        ).fetchall()
    return tables


def test_same_arguments_give_identical_data(tmp_path: Path) -> None:
    first = generate_demo_database(tmp_path / "a.duckdb", tickets=3_000, as_of=date(2025, 3, 1), seed=11)
    second = generate_demo_database(tmp_path / "b.duckdb", tickets=3_000, as_of=date(2025, 3, 1), seed=11)
    other = generate_demo_database(tmp_path / "c.duckdb", tickets=3_000, as_of=date(2025, 3, 1), seed=12)
    assert isinstance(first, GenerationSummary)
    assert (first.tickets, first.surveys, first.customers) == (
        second.tickets,
        second.surveys,
        second.customers,
    )
    a, b, c = _contents(first.path), _contents(second.path), _contents(other.path)
    assert a == b
    assert a["tickets"] != c["tickets"]
    assert len(a["tickets"]) == 3_000
    assert a["tickets"][-1][1].date() == date(2025, 3, 1)  # type: ignore[attr-defined]


def test_summary_and_progress(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    summary = generate_demo_database(
        tmp_path / "demo.duckdb",
        tickets=2_000,
        as_of=AS_OF,
        seed=3,
        progress=lambda d, t: calls.append((d, t)),
    )
    assert calls[-1] == (2_000, 2_000)
    assert all(t == 2_000 for _, t in calls)
    with duckdb.connect(str(summary.path), read_only=True) as db:
        counts = [db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLE_KEYS]  # type: ignore[index]
    assert counts == [summary.tickets, summary.surveys, summary.customers, summary.agents]
    assert (summary.as_of, summary.seed) == (AS_OF, 3)
    assert summary.seconds > 0


def test_overwrites_atomically_and_leaves_nothing_behind_on_failure(tmp_path: Path) -> None:
    out = tmp_path / "demo.duckdb"
    out.write_bytes(b"not a database")
    generate_demo_database(out, tickets=1_000, as_of=AS_OF, seed=1)
    before = out.read_bytes()

    def interrupt(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        generate_demo_database(out, tickets=1_000, as_of=AS_OF, seed=2, progress=interrupt)
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.duckdb"]


def test_as_of_defaults_to_today(tmp_path: Path) -> None:
    summary = generate_demo_database(tmp_path / "today.duckdb", tickets=500)
    assert abs((summary.as_of - date.today()).days) <= 1
    with duckdb.connect(str(summary.path), read_only=True) as db:
        last = db.execute("SELECT max(created_at) FROM tickets").fetchone()[0]  # type: ignore[index]
    assert last < datetime.combine(summary.as_of + timedelta(days=1), datetime.min.time())
