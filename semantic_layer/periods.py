"""Relative periods ("this_month", "last_7_days") resolved to half-open date ranges against a clock."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo

from .errors import QueryError

FIXED_PERIODS = (
    "today", "yesterday", "this_week", "last_week", "this_month", "last_month", "this_quarter",
    "last_quarter", "this_year", "last_year", "year_to_date", "all_time",
)  # fmt: skip
_LAST_N = re.compile(r"^last_(\d+)_(days|weeks|months)$")


class Clock(Protocol):
    """Tells what day it is in the model's calendar; injected so that tests and `--as-of` fix "today"."""

    def today(self) -> date: ...


class SystemClock:
    def __init__(self, timezone: str | tzinfo = "UTC") -> None:
        self._tz = ZoneInfo(timezone) if isinstance(timezone, str) else timezone

    def today(self) -> date:
        return datetime.now(self._tz).date()


class FixedClock:
    def __init__(self, day: date) -> None:
        self._day = day

    def today(self) -> date:
        return self._day


MAX_LAST_N = {"days": 36_600, "weeks": 5_220, "months": 1_200}  # a century: calendars end somewhere


def check_period(period: str) -> None:
    """Raise QueryError unless `period` is a period name this module resolves."""
    match = _LAST_N.match(period)
    if period in FIXED_PERIODS:
        return
    if match and int(match.group(1)) > 0:
        unit = match.group(2)
        if int(match.group(1)) <= MAX_LAST_N[unit]:
            return
        raise QueryError(f"'{period}' reaches too far back: at most last_{MAX_LAST_N[unit]}_{unit}")
    from .errors import closest

    valid = [*FIXED_PERIODS, "last_N_days", "last_N_weeks", "last_N_months"]
    raise QueryError(f"unknown period '{period}'", suggestions=closest(period, valid))


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, clamped to the month's last day (Mar 31 - 1 month = Feb 28/29)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def week_start(day: date, first_weekday: str = "monday") -> date:
    offset = (day.weekday() + (1 if first_weekday == "sunday" else 0)) % 7
    return day - timedelta(days=offset)


def resolve_period(
    period: str, today: date, first_weekday: str = "monday"
) -> tuple[date | None, date | None]:
    """The half-open range [start, end) of `period` as seen on `today`; (None, None) for all_time.

    "last_N_days/weeks/months" end with the current day/week/month included, as BI tools do.
    """
    check_period(period)
    tomorrow = today + timedelta(days=1)
    month = today.replace(day=1)
    quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    week = week_start(today, first_weekday)
    year = date(today.year, 1, 1)
    fixed: dict[str, tuple[date | None, date | None]] = {
        "today": (today, tomorrow),
        "yesterday": (today - timedelta(days=1), today),
        "this_week": (week, week + timedelta(days=7)),
        "last_week": (week - timedelta(days=7), week),
        "this_month": (month, add_months(month, 1)),
        "last_month": (add_months(month, -1), month),
        "this_quarter": (quarter, add_months(quarter, 3)),
        "last_quarter": (add_months(quarter, -3), quarter),
        "this_year": (year, date(today.year + 1, 1, 1)),
        "last_year": (date(today.year - 1, 1, 1), year),
        "year_to_date": (year, tomorrow),
        "all_time": (None, None),
    }
    if period in fixed:
        return fixed[period]
    match = _LAST_N.match(period)
    assert match is not None  # check_period passed
    n, unit = int(match.group(1)), match.group(2)
    if unit == "days":
        return tomorrow - timedelta(days=n), tomorrow
    if unit == "weeks":
        return week - timedelta(days=7 * (n - 1)), week + timedelta(days=7)
    return add_months(month, -(n - 1)), add_months(month, 1)


def months_between(start: date, end: date) -> int:
    """Calendar months touched by [start, end) when start is a month's first day."""
    months = (end.year - start.year) * 12 + end.month - start.month
    return months + (1 if end.day > 1 else 0)


def comparison_shift(start: date, end: date, compare: str) -> tuple[int, int]:
    """How far the comparison range lies behind [start, end): (months, days); one of them is zero.

    `previous_period` moves a range that starts on a month's first day back by the calendar months
    it spans (a month to the previous month, a quarter to the previous quarter, month-to-date to the
    same days of the previous month); any other range moves back by its own length in days.
    `same_period_last_year` moves back twelve months.
    """
    if compare == "same_period_last_year":
        return 12, 0
    if start.day == 1:
        return months_between(start, end), 0
    return 0, (end - start).days
