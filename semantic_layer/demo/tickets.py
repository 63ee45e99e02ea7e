"""Simulate one chunk of tickets and their surveys as integer codes, vectorised with numpy.

Every planted story lives here, each marked ``# Story N``; docs/demo-data.md describes them.
Values are codes into the tuples below; generate.py turns codes into strings inside DuckDB.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa

from semantic_layer.demo.comments import draw_comments
from semantic_layer.demo.geography import GEOGRAPHY
from semantic_layer.demo.population import HOTLINE_1, ONLINE_1, TECH, VIP, VIP_DESK, Agents, Customers
from semantic_layer.demo.sampling import choose, cumulative
from semantic_layer.demo.seasonality import HOUR_WEIGHTS, day_calendar

CHANNELS: tuple[str, ...] = ("电话", "邮件", "在线表单", "在线客服", "微信", "App", "门店")
PHONE, EMAIL, FORM, LIVECHAT, WECHAT, APP, STORE = range(7)
CHANNEL_SHARE = np.array([0.30, 0.04, 0.07, 0.20, 0.18, 0.13, 0.08])

MODELS: tuple[str, ...] = (
    "AC-100", "AC-200", "AC-300", "RF-200", "RF-500", "WM-100", "WM-700",
    "WP-50", "WP-90", "RV-10", "RV-20", "SL-1", "SL-3",
)  # fmt: skip
MODEL_LINE = np.array([0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
MODEL_SHARE_IN_LINE = np.array([0.40, 0.35, 0.25, 0.6, 0.4, 0.55, 0.45, 0.55, 0.45, 0.45, 0.55, 0.5, 0.5])
AC_300 = MODELS.index("AC-300")

CATEGORIES: tuple[str, ...] = (
    "硬件故障",
    "网络连接",
    "安装预约",
    "使用咨询",
    "配件耗材",
    "退换货",
    "账户与App",
)
HARDWARE, NETWORK, INSTALL, USAGE, PARTS, RETURNS, ACCOUNT = range(7)
# Category mix per product line (rows follow seasonality.PRODUCT_LINES).
CATEGORY_BY_LINE = np.array([
    [0.26, 0.07, 0.24, 0.18, 0.07, 0.08, 0.10],  # 空调
    [0.34, 0.03, 0.12, 0.22, 0.10, 0.12, 0.07],  # 冰箱
    [0.30, 0.04, 0.16, 0.22, 0.10, 0.10, 0.08],  # 洗衣机
    [0.14, 0.03, 0.18, 0.20, 0.32, 0.06, 0.07],  # 净水器
    [0.20, 0.20, 0.02, 0.24, 0.16, 0.08, 0.10],  # 扫地机器人
    [0.18, 0.22, 0.16, 0.18, 0.04, 0.07, 0.15],  # 智能门锁
])  # fmt: skip
AFTER_DOUBLE_11 = np.array([1.0, 1.0, 1.6, 1.0, 1.0, 1.6, 1.0])  # installations and returns after 双11

PRIORITIES: tuple[str, ...] = ("P1", "P2", "P3", "P4")
SLA_MINUTES = np.array([15, 30, 120, 480])
# Priority mix per category, then for the AC-300 outbreak (last row).
PRIORITY_BY_CATEGORY = np.array([
    [0.06, 0.22, 0.47, 0.25],
    [0.04, 0.14, 0.47, 0.35],
    [0.01, 0.06, 0.38, 0.55],
    [0.01, 0.05, 0.34, 0.60],
    [0.02, 0.08, 0.45, 0.45],
    [0.03, 0.15, 0.50, 0.32],
    [0.03, 0.10, 0.45, 0.42],
    [0.10, 0.35, 0.45, 0.10],
])  # fmt: skip

STATUSES: tuple[str, ...] = ("待处理", "处理中", "已解决", "已关闭")
PENDING, IN_PROGRESS, RESOLVED, CLOSED = range(4)
RESOLUTION_TYPES: tuple[str, ...] = ("远程", "上门", "换新", "退款", "自助")
RESOLUTION_BY_CATEGORY = np.array([
    [0.10, 0.70, 0.15, 0.02, 0.03],
    [0.70, 0.08, 0.02, 0.00, 0.20],
    [0.02, 0.95, 0.00, 0.00, 0.03],
    [0.55, 0.03, 0.00, 0.00, 0.42],
    [0.15, 0.40, 0.30, 0.00, 0.15],
    [0.05, 0.10, 0.50, 0.35, 0.00],
    [0.55, 0.00, 0.00, 0.00, 0.45],
    [0.02, 0.60, 0.33, 0.05, 0.00],
])  # fmt: skip

# First response: median minutes by priority, multipliers by channel (lognormal around the product).
FRT_MEDIAN_MINUTES = np.array([3.0, 5.0, 19.0, 62.0])
FRT_BY_CHANNEL = np.array([0.75, 1.5, 1.25, 0.85, 1.0, 0.9, 0.9])
# Hours from first response to resolution: median by category, multiplier by priority.
HANDLE_MEDIAN_HOURS = np.array([26.0, 70.0, 30.0, 1.5, 28.0, 60.0, 3.0])
HANDLE_BY_PRIORITY = np.array([0.5, 0.7, 1.0, 1.2])
REOPEN_BY_CATEGORY = np.array([0.09, 0.12, 0.04, 0.02, 0.04, 0.03, 0.05])
EXTRA_CONTACTS_BY_CATEGORY = np.array([0.6, 0.9, 0.3, 0.3, 0.3, 0.5, 0.3])
MAX_FRT_SECONDS = 86_400
# A late first response (Story 5) is this many times the SLA target (lognormal median and sigma).
LATE_FACTOR = np.array([2.2, 2.2, 2.2, 1.5])
LATE_SIGMA = np.array([0.45, 0.45, 0.45, 0.3])
CSAT_BY_CHANNEL = np.array([0.0, -0.2, -0.1, 0.05, 0.05, 0.35, 0.1])

# Story 5: response-SLA breaches concentrate in two regions and two models.
BREACH_REGIONS = ("西南", "西北")
BREACH_MODELS = ("WM-700", "RV-20")


@dataclass(frozen=True)
class World:
    """Everything a chunk needs that does not change between chunks."""

    start_second: int  # the window's first midnight, in seconds since 1970-01-01 (naive local time)
    end_second: int  # the end of the as-of day (exclusive): nothing happens at or after it
    n_days: int
    customers: Customers
    agents: Agents
    line_cum: np.ndarray  # (n_days, lines)
    outbreak_share: np.ndarray  # (n_days,)
    half_year: np.ndarray  # (n_days,) 0..3, which half-year of the window
    after_double_11: np.ndarray  # (n_days,) bool

    @classmethod
    def create(
        cls,
        start: date,
        n_days: int,
        customers: Customers,
        agents: Agents,
        line_prob: np.ndarray,
        outbreak_share: np.ndarray,
    ) -> World:
        """Precompute the per-day lookup tables."""
        cal = day_calendar(start, n_days)
        start_second = (start - date(1970, 1, 1)).days * 86_400
        return cls(
            start_second=start_second,
            end_second=start_second + n_days * 86_400,
            n_days=n_days,
            customers=customers,
            agents=agents,
            line_cum=cumulative(line_prob),
            outbreak_share=outbreak_share,
            half_year=np.minimum(np.arange(n_days) * 4 // n_days, 3),
            after_double_11=(cal["month"] == 11) & (cal["day"] >= 12) & (cal["day"] <= 30),
        )


_REGION_WEIGHT = np.bincount(GEOGRAPHY.city_region, weights=GEOGRAPHY.city_weight)
_REGION_CUM = cumulative(_REGION_WEIGHT)
_CITY_CUM = cumulative(GEOGRAPHY.city_weight)
_MODEL_CUM = cumulative(np.where(MODEL_LINE[None, :] == np.arange(6)[:, None], MODEL_SHARE_IN_LINE, 0.0))
_CATEGORY_CUM = cumulative(np.vstack([CATEGORY_BY_LINE, CATEGORY_BY_LINE * AFTER_DOUBLE_11]))
_APP_GROWTH = np.array([0.8, 0.95, 1.1, 1.3])  # the App channel gains share over the two years
_CHANNEL_CUM = cumulative(CHANNEL_SHARE * np.where(np.arange(7) == APP, _APP_GROWTH[:, None], 1.0))
_PRIORITY_CUM = cumulative(PRIORITY_BY_CATEGORY)
_RESOLUTION_CUM = cumulative(RESOLUTION_BY_CATEGORY)
_HOUR_CUM = cumulative(HOUR_WEIGHTS)
_SOUTH = GEOGRAPHY.region_code("华南")


@dataclass
class CustomerExperience:
    """Per-customer totals accumulated over the chunks; they drive repurchase and churn."""

    tickets: np.ndarray
    complaints: np.ndarray
    breaches: np.ndarray
    surveys: np.ndarray
    csat_sum: np.ndarray

    @classmethod
    def empty(cls, n: int) -> CustomerExperience:
        """All zeros for ``n`` customers."""
        return cls(*(np.zeros(n) for _ in range(5)))


@dataclass(frozen=True)
class Chunk:
    """One chunk ready for DuckDB: tickets and surveys as code columns."""

    tickets: pa.Table
    surveys: pa.Table


def _timestamps(seconds: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    micros = seconds.astype(np.int64) * 1_000_000
    return pa.array(micros, type=pa.timestamp("us"), mask=None if valid is None else ~valid)


def simulate_chunk(
    world: World,
    rng: np.random.Generator,
    day_counts: np.ndarray,
    first_day: int,
    first_ticket: int,
    first_survey: int,
    experience: CustomerExperience,
) -> Chunk:
    """Tickets for the days ``first_day .. first_day + len(day_counts) - 1``, numbered from ``first_ticket``."""
    n = int(day_counts.sum())
    agents, customers = world.agents, world.customers

    # When: the day is given; hour by the hourly pattern; sorted so that ticket ids follow time.
    day = np.repeat(np.arange(first_day, first_day + len(day_counts)), day_counts)
    hour = choose(rng, _HOUR_CUM, n=n).astype(np.int64)
    created = world.start_second + day * 86_400 + hour * 3_600 + rng.integers(0, 3_600, n)
    created.sort()
    hour = (created % 86_400) // 3_600
    night = (hour < 8) | (hour >= 20)

    # Story 2: in summer part of the day's volume is AC-300 hardware failures in humid 华南.
    outbreak = rng.random(n) < world.outbreak_share[day]
    model = choose(rng, _MODEL_CUM, choose(rng, world.line_cum, day))
    model[outbreak] = AC_300
    region = choose(rng, _REGION_CUM, n=n)
    region[outbreak] = _SOUTH
    customer = customers.pick(rng, region, day)
    city = customers.city[customer].copy()
    moved = (rng.random(n) < 0.004) & ~outbreak  # a few tickets come from away from home
    city[moved] = np.searchsorted(_CITY_CUM[0], rng.random(int(moved.sum())), side="right")
    region = GEOGRAPHY.city_region[city]
    vip = customers.tier[customer] == VIP

    category = choose(rng, _CATEGORY_CUM, MODEL_LINE[model] + 6 * world.after_double_11[day])
    category[outbreak] = np.where(rng.random(int(outbreak.sum())) < 0.96, HARDWARE, RETURNS)
    mix_row = np.where(outbreak, len(CATEGORIES), category)
    channel = choose(rng, _CHANNEL_CUM, world.half_year[day])
    priority = choose(rng, _PRIORITY_CUM, mix_row)
    priority[vip & (priority > 0) & (rng.random(n) < 0.25)] -= 1  # VIPs get escalated a little
    sla = SLA_MINUTES[priority]

    # Routing: phone and store go to the hotlines, the rest online; some technical tickets go to
    # technical support; VIP customers go to the VIP desk, which works days only.
    second_group = (rng.random(n) < 0.5).astype(np.int8)
    team = (
        np.where((channel == PHONE) | (channel == STORE), HOTLINE_1, ONLINE_1).astype(np.int8) + second_group
    )
    team[((category == HARDWARE) | (category == NETWORK)) & (rng.random(n) < 0.35)] = TECH
    team[vip & ~night & (rng.random(n) < 0.75)] = VIP_DESK
    agent = _pick_agents(rng, agents, team, night)

    # First response. Story 1: VIP tickets at night wait for the (closed) VIP desk. Story 7: agent speed.
    median = (
        FRT_MEDIAN_MINUTES[priority]
        * FRT_BY_CHANNEL[channel]
        * np.where(night, 1.35, 1.0)
        * np.where(vip & night, 4.5, 1.0)
        * np.where(team == TECH, 1.2, 1.0)  # engineers answer between site visits
        * agents.speed[agent]
    )
    frt_minutes = median * rng.lognormal(0.0, 0.7, n)
    # Story 5: understaffed regions and two hard-to-diagnose models often miss the response SLA.
    hot_region = np.isin(region, [GEOGRAPHY.region_code(r) for r in BREACH_REGIONS])
    hot_model = np.isin(model, [MODELS.index(m) for m in BREACH_MODELS])
    delayed = rng.random(n) < 0.004 + 0.45 * hot_region + 0.38 * hot_model + 0.1 * (hot_region & hot_model)
    late = sla * LATE_FACTOR[priority] * rng.lognormal(0.0, LATE_SIGMA[priority])
    frt_minutes = np.where(delayed, np.maximum(frt_minutes, late), frt_minutes)
    # Unanswered tickets are escalated to the duty manager after a day, so nobody waits longer.
    frt = np.clip(np.rint(frt_minutes * 60.0), 20, MAX_FRT_SECONDS).astype(np.int64)
    breached = frt > sla * 60

    # Resolution. Story 3: network issues take far longer than hardware repairs (HANDLE_MEDIAN_HOURS).
    handle_hours = (
        HANDLE_MEDIAN_HOURS[category]
        * HANDLE_BY_PRIORITY[priority]
        * np.where(outbreak, 1.4, 1.0)
        * rng.lognormal(0.0, 0.9, n)
    )
    reopen_draw = rng.random(n) < np.where(outbreak, 0.28, REOPEN_BY_CATEGORY[category])
    handle_hours += np.where(reopen_draw, rng.lognormal(np.log(40.0), 0.6, n), 0.0)
    first_response = created + frt
    resolved = first_response + np.maximum(np.rint(handle_hours * 3_600), 60).astype(np.int64)
    closed = resolved + np.rint(rng.lognormal(np.log(30.0), 0.7, n) * 3_600).astype(np.int64)

    end = world.end_second
    has_response = first_response < end
    is_resolved = has_response & (resolved < end) & (rng.random(n) >= 0.0025)  # a few get stuck
    is_closed = is_resolved & (closed < end) & (rng.random(n) < 0.88)
    status = np.full(n, PENDING, dtype=np.int8)
    status[has_response] = IN_PROGRESS
    status[is_resolved] = RESOLVED
    status[is_closed] = CLOSED
    reopened = reopen_draw & is_resolved
    contacts = 1 + rng.poisson(EXTRA_CONTACTS_BY_CATEGORY[category] + 0.4 * breached)
    contacts += np.where(reopened, 1 + rng.poisson(0.5, n), 0)
    complaint_p = 0.025 + 0.05 * breached + 0.12 * reopen_draw + 0.30 * outbreak + 0.02 * vip
    complaint = rng.random(n) < complaint_p + 0.03 * (handle_hours > 120)
    resolution_type = choose(rng, _RESOLUTION_CUM, mix_row)

    # Surveys after resolution, counted only when answered by the end of the as-of day.
    survey_delay = np.maximum(rng.lognormal(np.log(18.0), 0.9, n), 0.2) * 3_600
    surveyed_at = resolved + survey_delay.astype(np.int64)
    answers = is_resolved & (rng.random(n) < 0.40 + 0.08 * (channel == APP)) & (surveyed_at < end)
    s = np.flatnonzero(answers)
    resolve_hours = (resolved[s] - created[s]) / 3_600.0
    latent = (
        4.3
        + CSAT_BY_CHANNEL[channel[s]]  # Story 6: App is the favourite channel
        + agents.csat_effect[agent[s]]
        - 0.5 * np.clip(np.log(frt[s] / (sla[s] * 60.0)) + 1.0, 0.0, 3.5)  # long waits lower scores
        - 0.3 * np.clip(np.log(resolve_hours / 24.0), 0.0, 3.0)
        - 0.7 * reopened[s]
        - 1.0 * complaint[s]
        - 1.6 * outbreak[s]
        - 0.15 * vip[s]
        + rng.normal(0.0, 0.8, len(s))
    )
    csat = np.clip(np.rint(latent), 1, 5).astype(np.int8)
    nps = np.clip(np.rint(2.1 * csat - 0.6 + rng.normal(0.0, 1.3, len(s))), 0, 10).astype(np.int8)
    core, suffix = draw_comments(
        rng,
        csat,
        waited=breached[s] | (resolve_hours > 72),
        reopened=reopened[s],
        hardware=category[s] == HARDWARE,
        parts=(category[s] == PARTS) | outbreak[s],
        outbreak=outbreak[s],
    )

    _accumulate(experience, customer, complaint, breached, customer[s], csat)
    tickets = pa.table({
        "ticket_no": np.arange(first_ticket, first_ticket + n, dtype=np.int64),
        "created_at": _timestamps(created),
        "first_response_at": _timestamps(first_response, has_response),
        "resolved_at": _timestamps(resolved, is_resolved),
        "closed_at": _timestamps(closed, is_closed),
        "channel": channel,
        "model": model,
        "category": category,
        "priority": priority,
        "customer_no": customers.number[customer],
        "city": city,
        "agent": agent,
        "status": status,
        "is_complaint": complaint,
        "reopened": reopened,
        "contact_count": contacts.astype(np.int32),
        "resolution_type": pa.array(resolution_type, mask=~is_resolved),
    })  # fmt: skip
    surveys = pa.table({
        "survey_no": np.arange(first_survey, first_survey + len(s), dtype=np.int64),
        "ticket_no": first_ticket + s.astype(np.int64),
        "surveyed_at": _timestamps(surveyed_at[s]),
        "csat_score": csat,
        "nps_score": nps,
        "comment": pa.array(core, mask=core < 0),
        "suffix": suffix,
        "model": model[s],
    })  # fmt: skip
    return Chunk(tickets, surveys)


def _pick_agents(rng: np.random.Generator, agents: Agents, team: np.ndarray, night: np.ndarray) -> np.ndarray:
    """A random agent of the ticket's team working the ticket's shift."""
    key = team.astype(np.int64) * 2 + night
    pools = [np.flatnonzero((agents.team == k // 2) & (agents.night == bool(k % 2))) for k in range(12)]
    size = np.array([len(p) for p in pools])
    start = np.concatenate([[0], np.cumsum(size)[:-1]])
    flat = np.concatenate(pools)
    offset = (rng.random(len(team)) * size[key]).astype(np.int64)
    return flat[start[key] + offset].astype(np.int16)


def _accumulate(
    experience: CustomerExperience,
    customer: np.ndarray,
    complaint: np.ndarray,
    breached: np.ndarray,
    surveyed_customer: np.ndarray,
    csat: np.ndarray,
) -> None:
    n = len(experience.tickets)
    experience.tickets += np.bincount(customer, minlength=n)
    experience.complaints += np.bincount(customer, weights=complaint, minlength=n)
    experience.breaches += np.bincount(customer, weights=breached, minlength=n)
    experience.surveys += np.bincount(surveyed_customer, minlength=n)
    experience.csat_sum += np.bincount(surveyed_customer, weights=csat, minlength=n)
