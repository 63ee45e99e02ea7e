"""Find time expressions in a normalised question and resolve them against today and the calendar.

Each recogniser returns the span it used so the parser can remove it before matching other terms
("7月" must not be read as a number, "上月" in "比上月" is a comparison, not the range).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from semantic_layer.periods import add_months, resolve_period, week_start

MONTHS_EN = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5,
    "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sept": 9, "sep": 9,
    "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
_MONTH_EN = "(" + "|".join(sorted(MONTHS_EN, key=len, reverse=True)) + r")\b\.?"
_ORDINAL_EN = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "last": 4,
}


@dataclass(frozen=True)
class TimeMatch:
    start: date | None
    end: date | None
    span: tuple[int, int]
    period: str | None = None
    """The relative period's name when the expression was one (kept for notes and follow-ups)."""


@dataclass(frozen=True)
class Comparison:
    compare: str
    span: tuple[int, int]


_COMPARE_PATTERNS: list[tuple[str, str]] = [
    (r"(?:比|较|和|跟|与)去年(?!同期|同月|\d|[0-9一二三四五六七八九十]+月|q\d|第)(?:相比|比)?|(?:vs\.?|versus|compared? (?:with|to)|against|stack up against) (?:the same (?:month|quarter|half) )?(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?|q[1-4]|h[12]) (?:of )?(?:last year|a year (?:ago|earlier|before))|同比去年同期|同比去年|同比|(?:跟|和|与|比|较)?(?:去年|上年)同月(?:相比|比)?|比去年同期|较去年同期|和去年同期比?|与去年同期相比|去年同期|year[- ](?:over|on)[- ]year|\byoy\b|(vs\.?|versus|compared? (with|to|w/?)|compares (with|to)|than|against|(?:(?<=up )|(?<=own ))on|from) (the )?(same (period|month|quarter|half|week|time|point) (?:of |in |from )?)?(last year|the (?:previous|prior) year|a year (ago|earlier|before))|same (period|month|quarter|half|week|time) (?:of |in |from )?(?:last year|the (?:previous|prior) year)|(?:with|vs\.?|versus|against|to) (?:the )?last year,? (?:the )?same (?:period|time)|same period a year ago", "same_period_last_year"),
    (r"(?:跟|和|与|比|较)(?:之前|前面|再往前|再前|往前)的?\s*\d+\s*(?:天|周|个月|个?星期)(?:相)?比?|(?:vs\.?|对比|相比|比)\s*(?:之前|前面|再往前|前)的?\s*\d+\s*(?:天|周|个月)|(?:vs\.?|versus|compared (?:with|to)|against) the (?:previous|prior|preceding) \d+(?: (?:days|weeks|months))?|(?:than|vs\.?|versus|compared? (?:with|to)|against|with) (?:the )?(?:\d+ )?(?:days?|weeks?|months?|quarters?) (?:before|prior)(?: (?:that|it|then))?|(和|与|跟)?上期(相)?比|比上期|较上期|相比上期|(?<=[月周度])\s*(和|与|跟|对比|相比|vs\.?)\s*上(个)?(月|周|季度|星期)|环比|(和|与|跟|比|较|相比)\s*前\s*1\s*(个)?(月|周|星期|季度)(相)?比?|比上(个)?(月|周|季度|星期)|较上(个)?(月|周|季度)|(和|与|跟)上(个)?(月|周|季度)(相)?比|相比上(个)?(月|周|季度)|month[- ](?:over|on)[- ]month|week[- ](?:over|on)[- ]week|quarter[- ](?:over|on)[- ]quarter|\bmom\b|\bwow\b|\bqoq\b|(vs\.?|versus|compared? (with|to|w/?)|compares (with|to)|than|against|(?:(?<=up )|(?<=down ))on) (the )?(last|previous|prior|preceding) (month|week|quarter|period)|(?:compared? (?:with|to|w/?) |vs\.? |against )the (?:week|month|quarter|period) before|\b(?:vs\.?|versus|compared (?:with|to)|against) last\b(?! (?:year|yr))|(?:本|这个?)(?:月|周)(?:和|与|跟|对比|vs)\s*上(?:个)?(?:月|周)|previous period|prior period|period over period", "previous_period"),
]  # fmt: skip


def find_comparison(text: str) -> Comparison | None:
    for pattern, compare in _COMPARE_PATTERNS:
        match = re.search(pattern, text)
        if match:
            return Comparison(compare, match.span())
    return None


def _month_range(year: int, month: int) -> tuple[date, date]:
    start = date(year, month, 1)
    return start, add_months(start, 1)


def _recent_month(month: int, today: date) -> int:
    """The year of the most recent `month` that has begun."""
    return today.year if month <= today.month else today.year - 1


def _quarter_range(year: int, quarter: int) -> tuple[date, date]:
    start = date(year, 3 * (quarter - 1) + 1, 1)
    return start, add_months(start, 3)


def _recent_quarter(quarter: int, today: date) -> int:
    return today.year if 3 * (quarter - 1) + 1 <= today.month else today.year - 1


class _Finder:
    def __init__(self, text: str, today: date, week_start: str) -> None:
        self.text = text
        self.today = today
        self.week_start = week_start

    def period(self, name: str, span: tuple[int, int]) -> TimeMatch:
        start, end = resolve_period(name, self.today, self.week_start)
        return TimeMatch(start, end, span, period=name)

    def absolute(self, start: date | None, end: date | None, span: tuple[int, int]) -> TimeMatch:
        return TimeMatch(start, end, span)

    def find(self) -> TimeMatch | None:
        recognisers: list[Callable[[], TimeMatch | None]] = [
            self.ranges, self.day_ranges, self.days, self.relative_days, self.holidays, self.listed_months, self.since,
            self.last_n, self.named_quarter, self.half_year, self.week_number, self.named_month,
            self.named_year, self.season, self.fixed,
        ]  # fmt: skip
        found = [m for m in (r() for r in recognisers) if m is not None]
        if not found:
            return None
        # The longest expression wins ("2025年7月" over "2025年"); then the earliest.
        return max(found, key=lambda m: (m.span[1] - m.span[0], -m.span[0]))

    # "over the summer", "last winter", "去年夏天": whole months (spring March-May, summer June-August,
    # autumn September-November, winter December-February), the latest one begun unless "last" says
    # the one before the current
    def season(self) -> TimeMatch | None:
        match = _SEASON.search(self.text)
        if match is None:
            return None
        which, name = (match.group(1) or match.group(3) or "").strip(), match.group(2) or match.group(4)
        first_month = _SEASONS[name]
        start = date(self.today.year, first_month, 1)
        while start > self.today:  # the latest begun
            start = date(start.year - 1, first_month, 1)
        if which == "去年":  # "去年夏天": the one that began in last calendar year
            start = date(self.today.year - 1, first_month, 1)
        elif which in ("last", "previous") and self.today < add_months(start, 3):  # "last winter", in winter
            start = date(start.year - 1, first_month, 1)
        return self.absolute(start, add_months(start, 3), match.span())

    # "3月到5月", "from March to May", "2025年3月至2025年5月"
    def ranges(self) -> TimeMatch | None:
        zh = re.search(
            r"(?:(\d{4})年|(去年|今年))?(\d{1,2})月(?:份)?\s*(?:到|至|-|~|—)\s*(?:(\d{4})年|(去年|今年))?(\d{1,2})月(?:份)?",
            self.text,
        )
        if zh:
            m1, m2 = int(zh.group(3)), int(zh.group(6))
            first_year, last_year = (
                self.year_of(zh.group(1) or zh.group(2)),
                self.year_of(zh.group(4) or zh.group(5)),
            )
            if 1 <= m1 <= 12 and 1 <= m2 <= 12:
                y2 = last_year or first_year or _recent_month(m2, self.today)
                y1 = first_year or (y2 if m1 <= m2 else y2 - 1)
                return self.absolute(date(y1, m1, 1), add_months(date(y2, m2, 1), 1), zh.span())
        en = re.search(
            rf"(?:from |between )?{_MONTH_EN}(?: (\d{{4}}))?\s*(?:to|through|until|till|-|and)\s*{_MONTH_EN}(?: (\d{{4}}))?",
            self.text,
        )
        if en:
            m1, m2 = MONTHS_EN[en.group(1)], MONTHS_EN[en.group(3)]
            y2 = (
                int(en.group(4))
                if en.group(4)
                else (int(en.group(2)) if en.group(2) else _recent_month(m2, self.today))
            )
            y1 = int(en.group(2)) if en.group(2) else (y2 if m1 <= m2 else y2 - 1)
            return self.absolute(date(y1, m1, 1), add_months(date(y2, m2, 1), 1), en.span())
        return None

    def year_of(self, said: str | None) -> int | None:
        """The year "2025", "去年", "今年", "前年" or "last year" names; None when none is said."""
        if said and said.isdigit():
            return int(said)
        offset = {"今年": 0, "去年": -1, "前年": -2, "last year": -1}.get(said or "")
        return None if offset is None else self.today.year + offset

    # "2026年11月1日至11月30日", "11月1日到15日", "Nov 1 – 15, 2026", "Dec 1, 2025 – Nov 15, 2026",
    # "2026-11-01 to 2026-11-10": whole days, the last one included
    def day_ranges(self) -> TimeMatch | None:
        for pattern in (_ZH_DAY_RANGE, _EN_DAY_RANGE, _EN_DAY_FIRST_RANGE, _EN_DAYS_OF_MONTH, _ISO_DAY_RANGE):
            match = pattern.search(self.text)
            if match is None:
                continue
            parts = match.groupdict()
            end_year = _int(parts.get("y2"))
            start_year = _int(parts.get("y1")) or end_year
            m1, d1 = _month_number(parts["m1"]), int(parts["d1"])
            m2, d2 = _month_number(parts.get("m2")) or m1, int(parts["d2"])
            first = _day(start_year, m1, d1, self.today)
            last = _day(
                end_year or (first.year if first and (m2, d2) >= (m1, d1) else None), m2, d2, self.today
            )
            if first is None or last is None or last < first:
                continue
            start, end = self.with_its_name(match.span())
            inclusive = _INCLUSIVE.match(self.text[end:])  # what the range already is: its last day counts
            return self.absolute(
                first, last + timedelta(days=1), (start, end + (inclusive.end() if inclusive else 0))
            )
        return None

    def with_its_name(self, span: tuple[int, int]) -> tuple[int, int]:
        """The span of dates written in brackets after the occasion they are ("去年双十一那周（2025/11/10~11/16）"),
        widened to take in the occasion's words and the brackets."""
        bracket = re.search(r"[(（]\s*$", self.text[: span[0]])
        if bracket is None:
            return span
        named = [
            re.search(rf"(?:(?:去年|今年|前年)的?)?(?:{pattern})\s*$", self.text[: bracket.start()])
            for pattern, *_ in _HOLIDAYS
        ]
        start = min((m.start() for m in named if m), default=span[0])
        closing = re.match(r"\s*[)）]", self.text[span[1] :])
        return (start, span[1] + (closing.end() if closing and start < span[0] else 0))

    # "11月3日", "2026年11月3日", "nov 3", "3 nov 2026", "2026-11-03": one day
    def days(self) -> TimeMatch | None:
        for pattern in (_ZH_DAY, _EN_DAY, _EN_DAY_FIRST, _ISO_DAY):
            match = pattern.search(self.text)
            if match is None:
                continue
            parts = match.groupdict()
            year, span = self.year_said(match.span())
            day = _day(_int(parts["y"]) or year, _month_number(parts["m"]), int(parts["d"]), self.today)
            if day is not None:
                since = self.since_day(span)
                if since is not None:  # "11月11日以来", "since nov 11": from that day to today
                    return self.absolute(day, self.today + timedelta(days=1), since)
                week = re.search(r"(?:the )?week (?:of|starting|beginning) $", self.text[: span[0]])
                after = _WEEK_AFTER.match(self.text[span[1] :])
                if week is not None or after is not None:  # "the week of Nov 2", "11月11日那周": its week
                    first = week_start(day, self.week_start)
                    whole = (week.start() if week else span[0], span[1] + (after.end() if after else 0))
                    return self.absolute(first, first + timedelta(days=7), whole)
                return self.absolute(day, day + timedelta(days=1), self.with_its_weekday(day, span))
        return None

    def with_its_weekday(self, day: date, span: tuple[int, int]) -> tuple[int, int]:
        """The span widened to the weekday named beside the day ("Friday, Nov 13", "11月13日（周五）") when it
        is that day's weekday; a weekday that contradicts the date stays unplaced, so the question is asked."""
        before = re.search(r"\b([a-z]+)\.?,?\s*$", self.text[: span[0]])
        after = re.match(
            r"\s*[,(（]?\s*(?:([a-z]+)\.?|(?:周|星期|礼拜)([一二三四五六日天]))\s*[)）]?",
            self.text[span[1] :],
        )
        if before and _weekday_number(before.group(1)) == day.weekday():
            span = (before.start(), span[1])
        if after and _weekday_number(after.group(1) or after.group(2)) == day.weekday():
            span = (span[0], span[1] + after.end())
        return span

    def year_said(self, span: tuple[int, int]) -> tuple[int | None, tuple[int, int]]:
        """The year a word beside a day names ("去年双十一", "nov 11 last year"), with the span widened to it."""
        before = re.search(r"(去年|今年|前年)的?\s*$", self.text[: span[0]])
        after = re.match(r",?\s*(?:of )?(last|this) year\b", self.text[span[1] :])
        if before is None and after is None:
            return None, span
        back = {"去年": 1, "今年": 0, "前年": 2, "last": 1, "this": 0}[(before or after).group(1)]  # type: ignore[union-attr]
        return self.today.year - back, (
            before.start() if before else span[0],
            span[1] + (after.end() if after else 0),
        )

    def since_day(self, span: tuple[int, int]) -> tuple[int, int] | None:
        """The span with its "since" words when a day is said to start an open range, else None."""
        after = _SINCE_AFTER.match(self.text[span[1] :])
        before = _SINCE_BEFORE.search(self.text[: span[0]])
        if not (after or before):
            return None
        return (before.start() if before else span[0], span[1] + (after.end() if after else 0))

    # "双11", "国庆那几天", "618", "10.1-10.7": named shopping days and holidays of Chinese service teams
    def holidays(self) -> TimeMatch | None:
        dotted = re.search(
            r"(?<![\d.])(\d{1,2})\.(\d{1,2})\s*[-~–—到至]\s*(\d{1,2})\.(\d{1,2})(?![\d.])", self.text
        )
        if dotted:
            m1, d1, m2, d2 = (int(g) for g in dotted.groups())
            first, last = _day(None, m1, d1, self.today), _day(None, m2, d2, self.today)
            if first and last and first <= last:  # "国庆那几天（10.1-10.7）": the name and its dates
                named = [
                    re.search(p, self.text[max(0, dotted.start() - 10) : dotted.start()])
                    for p, *_ in _HOLIDAYS
                ]
                start = min(
                    (max(0, dotted.start() - 10) + m.start() for m in named if m), default=dotted.start()
                )
                return self.absolute(first, last + timedelta(days=1), (start, dotted.end()))
        for pattern, month, day, days in _HOLIDAYS:
            match = re.search(pattern, self.text)
            if match:
                year, (start, _) = self.year_said(match.span())
                first = _day(year, month, day, self.today)
                if first is not None:
                    dated = _DATED.match(self.text[match.end() :])  # "singles day (nov 11)": its date
                    end = match.end() + (dated.end() if dated else 0)
                    since = self.since_day((start, end))
                    if since is not None:
                        return self.absolute(first, self.today + timedelta(days=1), since)
                    if days == 0:  # "双十一那周": the calendar week holding the day
                        offset = (first.weekday() - (6 if self.week_start == "sunday" else 0)) % 7
                        week = first - timedelta(days=offset)
                        return self.absolute(week, week + timedelta(days=7), (start, end))
                    return self.absolute(first, first + timedelta(days=days), (start, end))
        return None

    # "前天", "上周五", "last friday", "这周末", "last weekend", "上上个月", "the week before last"
    def relative_days(self) -> TimeMatch | None:
        today = self.today
        week_offset = (today.weekday() - (6 if self.week_start == "sunday" else 0)) % 7
        this_week = today - timedelta(days=week_offset)
        before_yesterday = re.search(r"前天|day before yesterday", self.text)
        if before_yesterday:
            day = today - timedelta(days=2)
            return self.absolute(day, day + timedelta(days=1), before_yesterday.span())
        weekend = re.search(
            r"(上|这|本)(个)?周末(?:\s*2\s*天)?|(last|this|past|the) weekend",
            self.text,
        )
        if weekend:  # "over the weekend": the last one begun (this one on a Saturday or Sunday)
            bare = weekend.group(3) == "the"
            last = (
                weekend.group(1) == "上"
                or weekend.group(3) in ("last", "past")
                or (bare and today.weekday() < 5)
            )
            saturday = (
                this_week + timedelta(days=(5 - this_week.weekday()) % 7) - timedelta(days=7 if last else 0)
            )
            return self.absolute(saturday, saturday + timedelta(days=2), weekend.span())
        weekday = re.search(
            r"(上|这|本)(?:个)?(?:周|星期|礼拜)([一二三四五六日天])(?![共下些样般直起定点次])|(last|this) (monday|tuesday|wednesday|thursday|friday|saturday|sunday)",
            self.text,
        )
        if weekday:
            last = weekday.group(1) == "上" or weekday.group(3) == "last"
            number = _WEEKDAYS.get(weekday.group(2) or weekday.group(4) or "", 0)
            day = (
                this_week
                + timedelta(days=(number - this_week.weekday()) % 7)
                - timedelta(days=7 if last else 0)
            )
            if day <= today:
                return self.absolute(day, day + timedelta(days=1), weekday.span())
        month_before = re.search(r"上上个?月|(the )?month before last", self.text)
        if month_before:
            start = add_months(date(today.year, today.month, 1), -2)
            return self.absolute(start, add_months(start, 1), month_before.span())
        week_before = re.search(
            r"上上(个)?(周|星期)|再上[1一]?个?(?:周|星期)|(the )?week before last", self.text
        )
        if week_before:
            start = this_week - timedelta(days=14)
            return self.absolute(start, start + timedelta(days=7), week_before.span())
        return None

    # "3、4月份", "3月和4月": adjacent months listed are their range (one month apart at most)
    def listed_months(self) -> TimeMatch | None:
        zh = re.search(r"(?:(\d{4})年)?(\d{1,2})月?(?:份)?\s*[、,和与及跟]\s*(\d{1,2})月(?:份)?", self.text)
        if not zh:
            return None
        m1, m2 = int(zh.group(2)), int(zh.group(3))
        if not (1 <= m1 <= 12 and m2 == m1 + 1):
            return None
        year = int(zh.group(1)) if zh.group(1) else _recent_month(m2, self.today)
        return self.absolute(date(year, m1, 1), add_months(date(year, m2, 1), 1), zh.span())

    # "上半年", "去年下半年", "H1", "1H 2025", "the first half of last year"
    def half_year(self) -> TimeMatch | None:
        zh = re.search(r"(?:(\d{4})年|(去年|今年|前年))?\s*(上|下)半年", self.text)
        en = re.search(
            r"(?:(\d{4})\s*)?(?<![a-z0-9])(?:h([12])|([12])h|(?:the )?(first|second|1st|2nd) half(?: of)?)"
            r"(?![a-z0-9])(?:\s*(?:of\s*)?(\d{4}|last year|this year))?",
            self.text,
        )
        if (
            en
            and en.group(3)
            and re.search(r"(within|under|over|than|in|<|>|超过|低于)\s*$", self.text[: en.start()])
        ):
            en = None  # "within 1h" is an hour, not the first half
        if zh:
            half = 1 if zh.group(3) == "上" else 2
            year = self.year_of(zh.group(1) or zh.group(2)) or self.today.year
            span = zh.span()
        elif en:
            half = int(en.group(2) or en.group(3) or _ORDINAL_EN[en.group(4)])
            named = en.group(1) or en.group(5)
            if named and named.isdigit():
                year = int(named)
            elif named == "last year" or re.search(
                r"last year'?s? (h[12]|[12]h|first half|second half)", self.text
            ):
                year = self.today.year - 1
            else:
                year = self.today.year
            span = en.span()
        else:
            return None
        start = date(year, 1 if half == 1 else 7, 1)
        if start > self.today:  # "H2" in spring: the most recent one that has begun
            start = date(year - 1, start.month, 1)
        return self.absolute(start, add_months(start, 6), span)

    # "第23周", "week 23", "wk 45": weeks numbered as ISO weeks (starting Monday), this year's by default
    def week_number(self) -> TimeMatch | None:
        match = re.search(r"第\s*(\d{1,2})\s*周|(?<![a-z])(?:week|wk)\.?\s*#?(\d{1,2})(?!\d)", self.text)
        if not match:
            return None
        number = int(match.group(1) or match.group(2))
        said, span = self.year_said(match.span())  # "今年第23周", "week 23 last year"
        year = said or self.today.year
        try:
            start = date.fromisocalendar(year, number, 1)
        except ValueError:
            return None
        if start > self.today and said is None:
            try:
                start = date.fromisocalendar(year - 1, number, 1)
            except ValueError:
                return None
        return self.absolute(start, start + timedelta(days=7), span)

    # "3月以来", "自3月起", "since March", "since 2025"
    def since(self) -> TimeMatch | None:
        tomorrow = self.today + timedelta(days=1)
        zh = re.search(r"(?:自|从)?(?:(\d{4})年)?(\d{1,2})月(?:份)?(?:以来|起|开始|至今|到现在)", self.text)
        if zh and 1 <= int(zh.group(2)) <= 12:
            month = int(zh.group(2))
            year = int(zh.group(1)) if zh.group(1) else _recent_month(month, self.today)
            return self.absolute(date(year, month, 1), tomorrow, zh.span())
        en = re.search(rf"since (?:the (?:start|beginning) of )?{_MONTH_EN}(?: (\d{{4}}))?", self.text)
        if en:
            month = MONTHS_EN[en.group(1)]
            year = int(en.group(2)) if en.group(2) else _recent_month(month, self.today)
            return self.absolute(date(year, month, 1), tomorrow, en.span())
        quarter_since = re.search(
            r"since (?:the (?:start|beginning) of )?q([1-4])\b|(?:第)?([1-4])季度(?:以来|开始|起)", self.text
        )
        if quarter_since:
            quarter = int(quarter_since.group(1) or quarter_since.group(2))
            start, _ = _quarter_range(_recent_quarter(quarter, self.today), quarter)
            return self.absolute(start, tomorrow, quarter_since.span())
        period_since = re.search(  # "since the start of last year": from its first day to today
            r"since (?:the (?:start|beginning) of )(last year|this year|last quarter|this quarter|last month|this month)"
            r"|(去年|上季度|上个?月)(?:初|年初)?(?:以来|至今|到现在)",
            self.text,
        )
        if period_since:
            said = period_since.group(1) or {"去年": "last year", "上季度": "last quarter"}.get(
                period_since.group(2), "last month"
            )
            first, _ = resolve_period(said.replace(" ", "_"), self.today, self.week_start)
            return self.absolute(first, tomorrow, period_since.span())
        year_since = re.search(r"since (\d{4})\b|(\d{4})年(?:以来|起|至今)", self.text)
        if year_since:
            year = int(year_since.group(1) or year_since.group(2))
            return self.absolute(date(year, 1, 1), tomorrow, year_since.span())
        return None

    # "最近7天", "过去3个月", "近半年", "last 6 months", "past two weeks", "the last 30 days"
    def last_n(self) -> TimeMatch | None:
        first_months = re.search(r"(今年|去年|(\d{4})年)前\s*(\d+)\s*个?月", self.text)
        if first_months:  # "今年前10个月": January to October of that year
            year = self.year_of(first_months.group(2) or first_months.group(1))
            months = int(first_months.group(3))
            if year is not None and 1 <= months <= 12:
                start = date(year, 1, 1)
                return self.absolute(start, add_months(start, months), first_months.span())
        zh = re.search(r"(?:最近|过去|近|前|这)\s*(\d+|半)\s*(?:个)?\s*(天|日|周|星期|个月|月|年)", self.text)
        if zh:
            n_text, unit = zh.group(1), zh.group(2)
            if n_text == "半":
                if unit != "年":
                    return None
                return self.period("last_6_months", zh.span())
            n = int(n_text)
            if n <= 0:
                return None
            kind = {
                "天": "days",
                "日": "days",
                "周": "weeks",
                "星期": "weeks",
                "个月": "months",
                "月": "months",
                "年": "months",
            }[unit]
            return self.period(f"last_{n * 12 if unit == '年' else n}_{kind}", zh.span())
        if re.search(r"(?:最近|过去|近)\s*(?:一)?段时间", self.text):
            return None
        fortnight = re.search(
            r"(?:in |over |during |for )?(?:the )?(?:last|past|previous|recent)\s+fortnight\b", self.text
        )
        if fortnight:
            return self.period("last_14_days", fortnight.span())
        en = re.search(
            r"(?:in |over |during |for )?(?:the )?(?:last|past|previous|recent|trailing)\s+(\d+|half a|a half|half)?\s*(day|week|month|year|quarter)s?\b",
            self.text,
        )
        if en:
            unit = en.group(2)
            count = en.group(1)
            if count in ("half a", "a half", "half"):
                return self.period("last_6_months", en.span()) if unit == "year" else None
            if count is None:
                # "last week" and "previous month" are fixed periods; "the past week" is the last 1 week
                if re.search(r"\b(last|previous)\b", en.group(0)):
                    return None
                n = 1
            else:
                n = int(count)
            if unit == "quarter":
                return self.period(f"last_{3 * n}_months", en.span())
            if unit == "year":
                return self.period(f"last_{12 * n}_months", en.span())
            return self.period(f"last_{n}_{unit}s", en.span())
        return None

    # "第三季度", "2025年第3季度", "Q3", "q3 2025", "the third quarter"
    def named_quarter(self) -> TimeMatch | None:
        zh = re.search(r"(?:(\d{4})年|(去年|今年|前年))?\s*(?:第)?([1-4])\s*季度", self.text)
        if zh:
            quarter = int(zh.group(3))
            year = self.year_of(zh.group(1) or zh.group(2)) or _recent_quarter(quarter, self.today)
            return self.absolute(*_quarter_range(year, quarter), zh.span())
        q = re.search(
            r"(?:(\d{4}|去年|今年|前年)\s*年?\s*的?\s*)?(?<![a-z0-9])q([1-4])(?![a-z0-9])(?:\s*(?:of\s*)?(\d{4}|last year))?",
            self.text,
        )
        if q:
            quarter = int(q.group(2))
            year = self.year_of(q.group(1) or q.group(3)) or _recent_quarter(quarter, self.today)  # "去年Q4"
            return self.absolute(*_quarter_range(year, quarter), q.span())
        en = re.search(
            r"(?:the )?(first|1st|second|2nd|third|3rd|fourth|4th) quarter(?: of (\d{4}))?", self.text
        )
        if en:
            quarter = _ORDINAL_EN[en.group(1)]
            year = int(en.group(2)) if en.group(2) else _recent_quarter(quarter, self.today)
            return self.absolute(*_quarter_range(year, quarter), en.span())
        return None

    # "7月", "2025年7月", "七月份", "July", "july 2025", "in jul"
    def named_month(self) -> TimeMatch | None:
        zh = re.search(
            r"(?:(\d{4})年|去年|今年|前年)?\s*(\d{1,2}|[一二三四五六七八九十]{1,3})月(?:份)?(?!\d)", self.text
        )
        if zh:
            raw = zh.group(2)
            from .text import chinese_number

            month = int(raw) if raw.isdigit() else (chinese_number(raw) or 0)
            prefix = zh.group(0)
            if 1 <= month <= 12 and not re.match(r"\d+个", raw):
                if zh.group(1):
                    year = int(zh.group(1))
                elif prefix.startswith("去年"):
                    year = self.today.year - 1
                elif prefix.startswith("前年"):
                    year = self.today.year - 2
                elif prefix.startswith("今年"):
                    year = self.today.year
                else:
                    year = _recent_month(month, self.today)
                return self.absolute(*_month_range(year, month), zh.span())
        en = re.search(rf"(?<![a-z]){_MONTH_EN}(?:,? (\d{{4}}))?", self.text)
        if en and not (
            en.group(1) == "may" and not en.group(2) and not re.search(r"(in|of|during|for) may\b", self.text)
        ):
            month = MONTHS_EN[en.group(1)]
            year_text = en.group(2)
            if year_text:
                year = int(year_text)
            elif re.search(rf"last year'?s? {en.group(1)}|{en.group(1)} (of )?last year", self.text):
                year = self.today.year - 1
            else:
                year = _recent_month(month, self.today)
            return self.absolute(*_month_range(year, month), en.span())
        return None

    # "2025年", "in 2025", "2025 full year"
    def named_year(self) -> TimeMatch | None:
        match = re.search(
            r"(\d{4})\s*年(?:度|全年)?|(?:in |for |during )?(?<!\d)(20\d{2})(?!\d)(?!\s*(?:tickets?|surveys?|customers?|单|件|个|%))",
            self.text,
        )
        said = int(match.group(1) or match.group(2)) if match else 0
        recent = self.today.year - 10 <= said <= self.today.year
        if match and re.search(
            r"(?:than|under|above|below|least|most|exceeds?|超过|低于|高于|多于|少于|不到|至少)\s*$"
            + ("" if recent else r"|over\s*$"),
            self.text[: match.start()],
        ):
            match = None  # "more than 2000": a number, not a year ("over 2025": a recent year, the year)
        if match:
            year = int(match.group(1) or match.group(2))
            if 2000 <= year <= 2100:
                return self.absolute(date(year, 1, 1), date(year + 1, 1, 1), match.span())
        return None

    def fixed(self) -> TimeMatch | None:
        patterns: list[tuple[str, str]] = [
            (r"今年以来|今年到现在|今年至今|今年到目前|年初至今|年初以来|今年迄今|本年迄今|year[- ]to[- ]date|(?<![a-z])ytd(?![a-z])|so far this year|this year so far", "year_to_date"),
            (r"今天|今日|today", "today"),
            (r"昨天|昨日|yesterday", "yesterday"),
            (r"本周|这周|这个?星期|本星期|this week|current week|week to date", "this_week"),
            (r"上周|上个?星期|上一周|last week|previous week|prior week", "last_week"),
            (r"本月|这个月|当月|本月份|this month|current month|month[- ]to[- ]date|(?<![a-z])mtd(?![a-z])", "this_month"),
            (r"上个?月|上一个?月|last month|previous month|prior month", "last_month"),
            (r"本季度|这个?季度|本季|当季|this quarter|current quarter|quarter[- ]to[- ]date", "this_quarter"),
            (r"上个?季度|上一季度|上季|last quarter|previous quarter|prior quarter", "last_quarter"),
            (r"今年|本年|本年度|this year|this yr|current year", "this_year"),
            (r"去年|上一年|上年|last year|last yr|previous year", "last_year"),
            (r"有数据以来|自有数据以来|历史以来|有史以来|since records began|所有时间|全部时间|历史上|历史|迄今为止|all[- ]time|\bever\b|since the beginning|since inception", "all_time"),
        ]  # fmt: skip
        for pattern, name in patterns:
            match = re.search(pattern, self.text)
            if match:
                said = re.search(rf"(?<!\d)({self.today.year})\s*$", self.text[: match.start()])
                if name in ("year_to_date", "this_year") and said:  # "2026 year to date", said twice
                    return self.period(name, (said.start(), match.end()))
                until = _UNTIL_NOW.match(self.text[match.end() :])
                if until and (name.startswith("this_") or name == "year_to_date"):  # "this year until now"
                    name = "year_to_date" if name == "this_year" else name  # the same days otherwise
                    return self.period(name, (match.start(), match.end() + until.end()))
                return self.period(name, match.span())
        if re.search(r"前年", self.text):
            span = re.search(r"前年", self.text)
            assert span is not None
            year = self.today.year - 2
            return self.absolute(date(year, 1, 1), date(year + 1, 1, 1), span.span())
        return None


_MONTH_WORD = "(?:" + "|".join(sorted(MONTHS_EN, key=len, reverse=True)) + ")"


def _date_pattern(kind: str, n: str) -> str:
    """One calendar day written the `kind` way; its groups are named y<n>, m<n>, d<n>."""
    y, m, d = f"(?P<y{n}>\\d{{4}})", f"(?P<m{n}>\\d{{1,2}})", f"(?P<d{n}>\\d{{1,2}})"
    if kind == "zh":  # 2026年11月3日, 11月3号
        return f"(?:{y}\\s*年\\s*)?{m}\\s*月\\s*{d}\\s*[日号]"
    if kind == "en":  # nov 3, november 3rd, 2026
        return f"(?P<m{n}>{_MONTH_WORD})\\.?\\s*{d}(?:st|nd|rd|th)?\\b(?:,?\\s*{y})?"
    return f"{y}[-/.]{m}[-/.]{d}"  # 2026-11-03


_ZH_DAY_RANGE = re.compile(
    _date_pattern("zh", "1")
    + r"\s*(?:到|至|-|~|—|–)\s*(?:(?:(?P<y2>\d{4})\s*年\s*)?(?P<m2>\d{1,2})\s*月\s*)?(?P<d2>\d{1,2})\s*[日号]"
)
_EN_DAYS_OF_MONTH = re.compile(  # "from 1st to 7th November", "1-7 nov"
    r"(?:from |between )?(?P<d1>\d{1,2})(?:st|nd|rd|th)?\s*(?:to|through|until|till|-|–|—|and)\s*"
    r"(?P<d2>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m1>" + _MONTH_WORD + r")\b\.?(?:,?\s*(?P<y2>\d{4}))?"
)
_EN_DAY_RANGE = re.compile(
    r"(?:from |between )?"
    + _date_pattern("en", "1")
    + r"\s*(?:to|through|until|till|-|–|—|and)\s*(?:(?P<m2>"
    + _MONTH_WORD
    + r")\.?\s*)?(?P<d2>\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s*(?P<y2>\d{4}))?"
)
_EN_DAY_FIRST_RANGE = re.compile(  # "from 1 November to 10 November", "1st Oct - 3rd Nov 2026"
    r"(?:from |between )?(?P<d1>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m1>" + _MONTH_WORD + r")\b\.?"
    r"(?:,?\s*(?P<y1>\d{4}))?\s*(?:to|through|until|till|-|–|—|and)\s*(?P<d2>\d{1,2})(?:st|nd|rd|th)?\s+"
    r"(?:of\s+)?(?P<m2>" + _MONTH_WORD + r")\b\.?(?:,?\s*(?P<y2>\d{4}))?"
)
_ISO_DAY_RANGE = re.compile(  # "2025-11-10 to 2025-11-16", "2025/11/10~11/16"
    _date_pattern("iso", "1")
    + r"\s*(?:to|through|until|till|到|至|-|~|～|–|—|and)\s*"
    + r"(?:(?P<y2>\d{4})[-/.])?(?P<m2>\d{1,2})[-/.](?P<d2>\d{1,2})(?![\d])"
)
_ZH_DAY = re.compile(_date_pattern("zh", ""))
_EN_DAY = re.compile(_date_pattern("en", ""))
_EN_DAY_FIRST = re.compile(
    r"(?<!\d)(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m>"
    + _MONTH_WORD
    + r")\b\.?(?:,?\s*(?P<y>\d{4}))?"
)
_ISO_DAY = re.compile(_date_pattern("iso", ""))
_SEASONS = {
    "spring": 3, "summer": 6, "autumn": 9, "winter": 12,  # not "fall": "why did FCR fall"
    "春天": 3, "春季": 3, "夏天": 6, "夏季": 6, "秋天": 9, "秋季": 9, "冬天": 12, "冬季": 12,
}  # fmt: skip
_SEASON = re.compile(
    r"\b(?:(this|last|previous|the)\s+)?(spring|summer|autumn|winter)\b(?!\s+(?:campaign|sale|promo|release))"
    r"|(今年|去年)?(春天|春季|夏天|夏季|秋天|秋季|冬天|冬季)"
)
_INCLUSIVE = re.compile(
    r"\s*,?\s*\(?(?:(?:both (?:days|dates|ends) )?inclusive(?: of both (?:days|dates|ends))?|(?:with )?both (?:days|dates|ends)"
    r" (?:included|inclusive|counted)|含首尾|(?:首尾)?都算|包含首尾)\)?"
)
_UNTIL_NOW = re.compile(
    r"\s*(?:so far|to date|(?:until|till|up (?:un)?til|up to|through|to) (?:now|today|date))\b"
)
_WEEK_AFTER = re.compile(r"\s*(?:那|当|的|所在的?)一?(?:周|星期)")
_SINCE_AFTER = re.compile(r"\s*(?:以来|之后|后|起|开始|至今|到现在|到今天)")
_SINCE_BEFORE = re.compile(r"(?:since|from|自|从)\s*(?:the\s+)?$")
_DATED = re.compile(
    r"\s*[(（]\s*(?:"
    + _date_pattern("en", "").replace("?P<", "?P<x")
    + "|"
    + _date_pattern("zh", "").replace("?P<", "?P<z")
    + r"|\d{1,2}[./]\d{1,2})\s*[)）]"
)
_WEEKDAYS = {
    "一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "monday": 0, "tuesday": 1,
    "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
}  # fmt: skip


# (pattern, month, day, days): the day a named occasion starts and how long it lasts
_HOLIDAYS = (
    (r"双\s*(?:11|十一)(?:那|当|的)一?(?:周|星期)|(?:the )?week of (?:singles'? day|double 11)", 11, 11, 0),
    (r"双\s*(?:11|十一)|singles'? day|double 11|11\.11", 11, 11, 1),
    (r"双\s*(?:12|十二)|double 12|12\.12", 12, 12, 1),
    (r"(?<!\d)618(?!\d)", 6, 18, 1),
    (
        r"国庆(?:节|假期|长假|黄金周)?(?:那几天|期间|7天|那周)?|national day (?:holiday|week|golden week)|golden week",
        10,
        1,
        7,
    ),
    (r"元旦(?:那天)?|new year'?s day", 1, 1, 1),
    (r"劳动节|五一(?:假期|那几天)?|may day", 5, 1, 5),
)


def _weekday_number(word: str | None) -> int | None:
    """0 for Monday ... 6 for Sunday, from a weekday's name, its three-letter form or its Chinese numeral."""
    if not word:
        return None
    if word in _WEEKDAYS:
        return _WEEKDAYS[word]
    named = [number for name, number in _WEEKDAYS.items() if len(word) >= 3 and name.startswith(word)]
    return named[0] if len(named) == 1 else None


def _int(text: str | None) -> int | None:
    return int(text) if text else None


def _month_number(text: str | None) -> int | None:
    if not text:
        return None
    return int(text) if text.isdigit() else MONTHS_EN.get(text.rstrip("."))


def _day(year: int | None, month: int | None, day: int, today: date) -> date | None:
    """The date, in its most recent year that has reached it when no year is given; None if invalid."""
    if month is None or (year is not None and not 1900 <= year <= 2100):
        return None
    try:
        if year is not None:
            return date(year, month, day)
        candidate = date(today.year, month, day)
        return candidate if candidate <= today else date(today.year - 1, month, day)
    except ValueError:
        return None


def find_time(text: str, today: date, week_start: str = "monday") -> TimeMatch | None:
    """The time expression in `text` (normalised), resolved to a half-open date range."""
    return _Finder(text, today, week_start).find()


GRAIN_PATTERNS: list[tuple[str, str]] = [
    (r"按天|按日|每天|每日|各天|每一天|日度|逐日|分天|(?:改成|换成|改为|粒度为?)\s*(?:按)?[天日]|daily|by day|per day|each day|day by day", "day"),
    (r"按周|每周|各周|周度|逐周|分周|每个?星期|(?:改成|换成|改为|粒度为?)\s*(?:按)?周|weekly|by week|per week|each week|week by week|(?:over|across|through(?:out)?) the weeks(?! (?:of|before|after|since))", "week"),
    (r"按月|每月|各月份?|月度|逐月|分月|每个月|(?:改成|换成|改为|粒度为?)\s*(?:按)?月|monthly|by month|per month|each month|month by month|month to month|(?:over|across|through(?:out)?) the months(?! (?:of|before|after|since))", "month"),
    (r"按季度?|每个?季度?|各季度?|季度(?:趋势|走势|变化)|逐季|分季度|quarter by quarter|quarter to quarter|quarterly|by quarter|per quarter|each quarter", "quarter"),
    (r"按年|每一?年|各年份?|年度趋势|逐年|分年|yearly|annually|by year|per year|each year|year by year", "year"),
]  # fmt: skip


_MEETING = re.compile(
    r"\s+(?:ops |team |exec |business |leadership )?(?:review|meeting|report|sync|standup|call|update|deck|digest)\b"
)


def find_grain(text: str) -> tuple[str, tuple[int, int]] | None:
    for pattern, grain in GRAIN_PATTERNS:
        for match in re.finditer(pattern, text):
            if not _MEETING.match(text, match.end()):  # "for the weekly ops review": a meeting, no grain
                return grain, match.span()
    return None


def period_words(period: str, lang: str) -> str:
    match = re.match(r"last_(\d+)_(days|weeks|months)$", period)
    if match:
        n, unit = match.groups()
        if lang == "zh":
            return f"最近{n}{ {'days': '天', 'weeks': '周', 'months': '个月'}[unit] }"
        return f"the last {n} {unit}"
    words = {
        "this_month": ("本月", "this month"), "this_week": ("本周", "this week"), "this_year": ("今年", "this year"),
        "this_quarter": ("本季度", "this quarter"), "year_to_date": ("今年以来", "the year to date"),
        "all_time": ("全部时间", "all time"),
    }  # fmt: skip
    zh, en = words.get(period, (period, period.replace("_", " ")))
    return zh if lang == "zh" else en


def default_period_note(period: str, lang: str) -> str:
    """What the user is told when a question named no time and `period` was used."""
    if lang == "zh":
        return f"未指定时间，按{period_words(period, 'zh')}统计"
    return f"No time given: using {period_words(period, 'en')}"
