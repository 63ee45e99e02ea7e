"""The people behind the tickets: customers (with where they live and how active they are) and agents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from semantic_layer.demo.geography import GEOGRAPHY, REGIONS
from semantic_layer.demo.seasonality import allocate
from semantic_layer.demo.vocabulary import GIVEN_CHARS, SURNAMES

TIERS: tuple[str, ...] = ("VIP", "普通", "新客户")
VIP, REGULAR, NEW = 0, 1, 2
INDUSTRIES: tuple[str, ...] = ("家庭用户", "酒店", "餐饮", "物业", "教育", "医疗", "零售")
INDUSTRY_SHARE = np.array([0.86, 0.03, 0.03, 0.025, 0.02, 0.015, 0.02])

TEAMS: tuple[str, ...] = ("热线一组", "热线二组", "在线一组", "在线二组", "技术支持组", "VIP专席组")
HOTLINE_1, HOTLINE_2, ONLINE_1, ONLINE_2, TECH, VIP_DESK = range(6)
# (agents, of whom on the night shift); the VIP desk works days only.
TEAM_SIZES: tuple[tuple[int, int], ...] = ((24, 6), (24, 6), (22, 6), (22, 6), (16, 4), (12, 0))
NEW_CUSTOMER_DAYS = 180  # signed up within this many days before the as-of date


@dataclass(frozen=True)
class Names:
    """Chinese names as codes: surname, first given char, optional second given char (-1 = none)."""

    surname: np.ndarray
    given1: np.ndarray
    given2: np.ndarray

    def text(self, i: int) -> str:
        """The full name of entry ``i``."""
        second = GIVEN_CHARS[self.given2[i]] if self.given2[i] >= 0 else ""
        return SURNAMES[self.surname[i]][0] + GIVEN_CHARS[self.given1[i]] + second


def draw_names(rng: np.random.Generator, n: int) -> Names:
    """``n`` random Chinese names (surname weighted by frequency, one or two given characters)."""
    weights = np.array([w for _, w in SURNAMES])
    surname = rng.choice(len(SURNAMES), size=n, p=weights / weights.sum()).astype(np.int16)
    given1 = rng.integers(0, len(GIVEN_CHARS), n).astype(np.int16)
    given2 = rng.integers(0, len(GIVEN_CHARS), n).astype(np.int16)
    given2[rng.random(n) < 0.4] = -1
    return Names(surname, given1, given2)


@dataclass(frozen=True)
class Customers:
    """Customers sorted by (home region, signup day), so that those of one region who had signed up by a
    given day are a contiguous prefix of the region's slice; ``number`` is the public id (C + 8 digits)
    and follows signup order."""

    number: np.ndarray  # public id number, 1..n
    city: np.ndarray  # home city code
    signup_day: np.ndarray  # days relative to the first day of the window (negative: before it)
    tier: np.ndarray
    industry: np.ndarray
    names: Names
    cum_activity: np.ndarray  # length n + 1: cumulative activity weight (how many tickets they raise)
    region_start: np.ndarray  # length n_regions + 1: slice of each region
    eligible: np.ndarray  # (n_regions, n_days): customers of the region signed up by that day

    def __len__(self) -> int:
        return len(self.number)

    def pick(self, rng: np.random.Generator, region: np.ndarray, day: np.ndarray) -> np.ndarray:
        """One customer index per ticket: from the ticket's region, signed up by the ticket's day,
        weighted by activity."""
        lo = self.region_start[region]
        hi = lo + self.eligible[region, day]
        low_w, high_w = self.cum_activity[lo], self.cum_activity[hi]
        u = low_w + rng.random(len(region)) * (high_w - low_w)
        idx = np.searchsorted(self.cum_activity, u, side="right") - 1
        return np.clip(idx, lo, hi - 1)


def draw_customers(rng: np.random.Generator, n: int, n_days: int) -> Customers:
    """``n`` customers spread over the regions like the population, with signup dates up to six years
    before the window and throughout it."""
    geo = GEOGRAPHY
    region_weight = np.bincount(geo.city_region, weights=geo.city_weight, minlength=len(REGIONS))
    per_region = np.maximum(allocate(n, region_weight), 2)
    per_region[np.argmax(per_region)] -= int(per_region.sum()) - n
    region = np.repeat(np.arange(len(REGIONS)), per_region)
    city = np.empty(n, dtype=np.int16)
    for r in range(len(REGIONS)):
        cities = geo.cities_of_region(r)
        w = geo.city_weight[cities]
        city[region == r] = rng.choice(cities, size=int(per_region[r]), p=w / w.sum())

    before = rng.random(n) < 0.55
    signup = np.where(
        before,
        -1 - np.minimum(rng.exponential(700.0, n), 6 * 365).astype(np.int64),
        (n_days * rng.random(n) ** 0.85).astype(np.int64),
    )
    # Every region needs customers who can raise tickets on the first day of the window.
    region_start = np.concatenate([[0], np.cumsum(per_region)])
    signup[region_start[:-1]] = np.minimum(signup[region_start[:-1]], -30)

    order = np.lexsort((signup, region))
    city, signup = city[order], signup[order]
    industry = rng.choice(len(INDUSTRIES), size=n, p=INDUSTRY_SHARE).astype(np.int8)
    business = industry > 0
    vip = rng.random(n) < np.where(business, 0.2, 0.05)
    tier = np.where(vip, VIP, REGULAR).astype(np.int8)
    tier[signup >= n_days - NEW_CUSTOMER_DAYS] = NEW
    activity = rng.lognormal(0.0, 0.8, n) * np.where(tier == VIP, 1.3, 1.0) * np.where(business, 2.0, 1.0)

    eligible = np.empty((len(REGIONS), n_days), dtype=np.int64)
    for r in range(len(REGIONS)):
        signups = signup[region_start[r] : region_start[r + 1]]
        eligible[r] = np.searchsorted(signups, np.arange(n_days), side="right")

    number = np.empty(n, dtype=np.int64)
    number[np.argsort(signup, kind="stable")] = np.arange(1, n + 1)
    return Customers(
        number=number,
        city=city,
        signup_day=signup,
        tier=tier,
        industry=industry,
        names=draw_names(rng, n),
        cum_activity=np.concatenate([[0.0], np.cumsum(activity)]),
        region_start=region_start,
        eligible=eligible,
    )


@dataclass(frozen=True)
class Agents:
    """About 120 agents in six teams; ``night`` marks the night shift, ``speed`` multiplies response times."""

    team: np.ndarray
    night: np.ndarray
    speed: np.ndarray
    csat_effect: np.ndarray
    hire_date: tuple[date, ...]
    names: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.team)

    def ids(self) -> list[str]:
        """Public agent ids, A1001 onwards."""
        return [f"A{1001 + i:04d}" for i in range(len(self))]


FAST_AGENTS = 5
SLOW_AGENTS = 3


def draw_agents(rng: np.random.Generator, window_start: date) -> Agents:
    """The agent roster: unique names, a handful of much faster agents and a few slow ones."""
    team = np.concatenate([np.full(size, t, dtype=np.int8) for t, (size, _) in enumerate(TEAM_SIZES)])
    night = np.concatenate([np.arange(size) >= size - nights for size, nights in TEAM_SIZES])
    n = len(team)
    speed = rng.lognormal(0.0, 0.08, n)
    csat_effect = rng.normal(0.0, 0.06, n)
    general_day = np.flatnonzero((team <= ONLINE_2) & ~night)
    fast = rng.choice(general_day, FAST_AGENTS, replace=False)
    slow = rng.choice(np.setdiff1d(general_day, fast), SLOW_AGENTS, replace=False)
    speed[fast] *= 0.25
    csat_effect[fast] += 0.12
    speed[slow] *= 1.6

    names: list[str] = []
    seen: set[str] = set()
    while len(names) < n:
        drawn = draw_names(rng, 1)
        name = drawn.text(0)
        if name not in seen:
            seen.add(name)
            names.append(name)
    tenure_days = rng.integers(30, 8 * 365, n)
    hire_date = tuple(window_start - timedelta(days=int(d)) for d in tenure_days)
    return Agents(team, night, speed, csat_effect, hire_date, tuple(names))
