"""How ticket volume moves with the calendar: growth, weekdays, Chinese holidays, shopping festivals, summer.

Everything here is a pure function of the dates, so the day-level shape of the data does not depend on
the number of tickets generated.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

# Gregorian date of the Spring Festival (春节, first day of the lunar year).
SPRING_FESTIVAL: dict[int, date] = {
    2016: date(2016, 2, 8),
    2017: date(2017, 1, 28),
    2018: date(2018, 2, 16),
    2019: date(2019, 2, 5),
    2020: date(2020, 1, 25),
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
    2031: date(2031, 1, 23),
    2032: date(2032, 2, 11),
    2033: date(2033, 1, 31),
    2034: date(2034, 2, 19),
    2035: date(2035, 2, 8),
}

YEARLY_GROWTH = 1.15
WEEKDAY_FACTOR = np.array([1.12, 1.06, 1.02, 1.0, 0.97, 0.92, 0.88])  # Monday first

# Share of a day's tickets created in each hour (0..23): daytime peaks, quiet small hours, busy evenings.
HOUR_WEIGHTS = np.array(
    [0.8, 0.5, 0.35, 0.3, 0.3, 0.45, 0.9, 2.0, 4.2, 6.8, 8.0, 7.9, 6.2, 6.4, 7.4, 7.6, 7.2, 6.6, 5.6,
     4.9, 4.4, 3.7, 2.6, 1.5]
)  # fmt: skip
HOUR_WEIGHTS = HOUR_WEIGHTS / HOUR_WEIGHTS.sum()


def window_start(as_of: date) -> date:
    """First day of the 24 months of history that end on ``as_of`` (inclusive)."""
    year, month = as_of.year - 2, as_of.month
    day = min(as_of.day, _days_in_month(year, month))
    return date(year, month, day) + timedelta(days=1)


def _days_in_month(year: int, month: int) -> int:
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return (nxt - timedelta(days=1)).day


def day_calendar(start: date, n_days: int) -> dict[str, np.ndarray]:
    """Year, month, day of month, weekday (0 = Monday) and day of year of each day of the window."""
    days = [start + timedelta(days=i) for i in range(n_days)]
    return {
        "year": np.array([d.year for d in days], dtype=np.int16),
        "month": np.array([d.month for d in days], dtype=np.int8),
        "day": np.array([d.day for d in days], dtype=np.int8),
        "weekday": np.array([d.weekday() for d in days], dtype=np.int8),
        "doy": np.array([d.timetuple().tm_yday for d in days], dtype=np.int16),
    }


def _holiday_factor(start: date, n_days: int) -> np.ndarray:
    """Multiplier for public holidays: Spring Festival, National Day, Labour Day, New Year."""
    factor = np.ones(n_days)
    for i in range(n_days):
        d = start + timedelta(days=i)
        festival = SPRING_FESTIVAL.get(d.year)
        if festival is not None:
            offset = (d - festival).days
            if -10 <= offset <= -4:
                factor[i] = 0.8
            elif -3 <= offset <= 6:
                factor[i] = 0.42
            elif 7 <= offset <= 14:
                factor[i] = 0.8
        if d.month == 10 and d.day <= 7:
            factor[i] = 0.72
        elif d.month == 5 and d.day <= 5:
            factor[i] = 0.85
        elif d.month == 1 and d.day == 1:
            factor[i] = 0.8
    return factor


def _shopping_factor(cal: dict[str, np.ndarray]) -> np.ndarray:
    """Deliveries and installations after 双11 (from Nov 12) and, smaller, after 618."""
    month, day = cal["month"].astype(int), cal["day"].astype(int)
    factor = np.ones(len(month))
    after_11 = (month == 11) & (day >= 12)
    factor[after_11] += 0.45 * np.exp(-(day[after_11] - 12) / 8.0)
    after_618 = (month == 6) & (day >= 19)
    factor[after_618] += 0.12
    return factor


PRODUCT_LINES: tuple[str, ...] = ("空调", "冰箱", "洗衣机", "净水器", "扫地机器人", "智能门锁")
PRODUCT_LINE_SHARE = np.array([0.26, 0.17, 0.18, 0.13, 0.14, 0.12])


def product_line_season(cal: dict[str, np.ndarray]) -> np.ndarray:
    """(n_days, n_lines) multiplier of each product line's volume: air conditioners peak in summer."""
    doy = cal["doy"].astype(float)
    summer = np.exp(-0.5 * ((doy - 200.0) / 28.0) ** 2)  # late July peak, Jun-Aug high
    winter = np.exp(-0.5 * (np.minimum(doy, 366 - doy) / 25.0) ** 2)  # heating in Dec-Jan
    season = np.ones((len(doy), len(PRODUCT_LINES)))
    season[:, 0] += 1.3 * summer + 0.2 * winter
    season[:, 1] += 0.2 * summer  # fridges work harder in the heat
    return season


def outbreak_intensity(cal: dict[str, np.ndarray]) -> np.ndarray:
    """Extra AC-300 hardware failures in 华南, as a fraction of the day's regular volume (Jun-Aug, July worst)."""
    doy = cal["doy"].astype(float)
    peak = 0.2 * np.exp(-0.5 * ((doy - 197.0) / 13.0) ** 2)
    summer = (cal["month"] >= 6) & (cal["month"] <= 8)
    return np.where(summer, peak, 0.0)


def daily_weights(start: date, n_days: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Relative volume of each day, the per-day product-line mix, and the per-day outbreak share.

    Returns (weights, line_probabilities (n_days, n_lines), outbreak_share).
    """
    cal = day_calendar(start, n_days)
    t_years = np.arange(n_days) / 365.25
    common = (
        YEARLY_GROWTH**t_years
        * WEEKDAY_FACTOR[cal["weekday"]]
        * _holiday_factor(start, n_days)
        * _shopping_factor(cal)
    )
    noise = np.random.default_rng([seed, 9_001]).lognormal(0.0, 0.06, n_days)
    lines = PRODUCT_LINE_SHARE[None, :] * product_line_season(cal)
    regular = common * noise * lines.sum(axis=1)
    intensity = outbreak_intensity(cal)
    weights = regular * (1.0 + intensity)
    line_prob = lines / lines.sum(axis=1, keepdims=True)
    return weights, line_prob, intensity / (1.0 + intensity)


def allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` into integer counts proportional to ``weights`` (largest remainder, deterministic)."""
    exact = total * weights / weights.sum()
    counts = np.floor(exact).astype(np.int64)
    short = total - int(counts.sum())
    if short:
        order = np.argsort(-(exact - counts), kind="stable")
        counts[order[:short]] += 1
    return counts
