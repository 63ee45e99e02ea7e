"""Numbers, periods and titles as a reader sees them, per metric format and language.

Two forms of every number: a d3 format for axes (the renderer formats ticks), and text formatted here
for tooltips and labels ("12.3%", "23.5 分钟", "1,234"), so that both read the same in either language.
Rates are fractions in the data (0.123 is shown as 12.3%); a change of a rate is in percentage points.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, timedelta

from semantic_layer.model import Grain, Language
from semantic_layer.periods import add_months, comparison_shift


@dataclass(frozen=True)
class NumberFormat:
    axis: str
    """d3 format for axis ticks and legends."""
    decimals: int
    """Decimals in tooltips and labels."""
    unit: dict[Language, str] | None = None
    """Unit word after the number ("23.5 分钟"), also added to axis titles."""


_FORMATS: dict[str, NumberFormat] = {
    "count": NumberFormat(",.0f", 0),
    "number": NumberFormat(",.4~f", 1),
    "percent": NumberFormat(".1~%", 1),
    "minutes": NumberFormat(",.4~f", 1, {"zh": "分钟", "en": "min"}),
    "hours": NumberFormat(",.4~f", 1, {"zh": "小时", "en": "h"}),
    "days": NumberFormat(",.4~f", 1, {"zh": "天", "en": "days"}),
    "score": NumberFormat(",.4~f", 2),
    "currency": NumberFormat(",.2f", 2),
}


def number_format(fmt: str | None) -> NumberFormat:
    """The format of a metric or field format name (`number` for unknown or missing formats)."""
    return _FORMATS.get(fmt or "number", _FORMATS["number"])


def unit_word(fmt: str | None, lang: Language) -> str | None:
    unit = number_format(fmt).unit
    return unit[lang] if unit else None


def format_value(value: float | None, fmt: str | None, lang: Language) -> str:
    """A value as text: "1,234", "12.3%", "23.5 分钟" / "23.5 min", "4.21"; "—" for no value."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    spec = number_format(fmt)
    if fmt == "percent":
        return f"{_clean_zero(value * 100, spec.decimals):,.{spec.decimals}f}%"
    text = f"{_clean_zero(value, spec.decimals):,.{spec.decimals}f}"
    unit = unit_word(fmt, lang)
    return f"{text} {unit}" if unit else text


def format_change(value: float | None, fmt: str | None, lang: Language) -> str:
    """A signed change in the metric's own scale: "+1,234", "−2.5 分钟"; a rate's change in points."""
    if value is None or not math.isfinite(value):
        return "—"
    spec = number_format(fmt)
    if fmt == "percent":
        points = _clean_zero(value * 100, spec.decimals)
        return f"{_sign(points)}{abs(points):,.{spec.decimals}f} {'个百分点' if lang == 'zh' else 'pp'}"
    amount = _clean_zero(value, spec.decimals)
    text = f"{_sign(amount)}{abs(amount):,.{spec.decimals}f}"
    unit = unit_word(fmt, lang)
    return f"{text} {unit}" if unit else text


def format_change_pct(value: float | None) -> str:
    """A relative change (a fraction) as "+12.3%"."""
    if value is None or not math.isfinite(value):
        return "—"
    pct = _clean_zero(value * 100, 1)
    return f"{_sign(pct)}{abs(pct):,.1f}%"


def format_share(value: float | None) -> str:
    """A share of a total (a fraction) as "45.6%"."""
    return "—" if value is None or not math.isfinite(value) else f"{_clean_zero(value * 100, 1):.1f}%"


def axis_title(label: str, fmt: str | None, lang: Language) -> str:
    """The label with its unit, unless the label says it already: "平均首次响应时长（分钟）"."""
    unit = unit_word(fmt, lang)
    if not unit or unit.lower() in label.lower():
        return label
    return f"{label}（{unit}）" if lang == "zh" else f"{label} ({unit})"


def _sign(value: float) -> str:
    return "+" if value > 0 else ("−" if value < 0 else "")


def _clean_zero(value: float, decimals: int) -> float:
    """Round so that -0.04 shown with one decimal is 0.0, not -0.0."""
    rounded = round(value, decimals)
    return 0.0 if rounded == 0 else value


# --- time ---------------------------------------------------------------------------------------

_TIME_AXIS: dict[Grain, dict[Language, str]] = {
    "day": {"zh": "%-m月%-d日", "en": "%b %-d"},
    "week": {"zh": "%-m月%-d日", "en": "%b %-d"},
    "month": {"zh": "%Y年%-m月", "en": "%b %Y"},
    "quarter": {"zh": "%Y年Q%q", "en": "Q%q %Y"},
    "year": {"zh": "%Y年", "en": "%Y"},
}

_GRAIN_WORDS: dict[Grain, dict[Language, str]] = {
    "day": {"zh": "日", "en": "day"},
    "week": {"zh": "周", "en": "week"},
    "month": {"zh": "月", "en": "month"},
    "quarter": {"zh": "季度", "en": "quarter"},
    "year": {"zh": "年", "en": "year"},
}

_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def time_axis_format(grain: Grain, lang: Language, *, one_year: bool = False) -> str:
    """d3 time format of a time axis; without the year when every period is in one year (the title
    says which)."""
    if one_year and grain == "month":
        return "%-m月" if lang == "zh" else "%b"
    if one_year and grain == "quarter":
        return "Q%q"
    return _TIME_AXIS[grain][lang]


def time_text(d3_format: str, iso: str) -> str:
    """What a d3 time format (of the few used here) shows for an ISO date: for sizing axes."""
    day = date.fromisoformat(iso[:10])
    parts = {
        "%Y": str(day.year),
        "%-m": str(day.month),
        "%-d": str(day.day),
        "%b": _MONTHS_EN[day.month - 1],
        "%q": str((day.month - 1) // 3 + 1),
    }
    text = d3_format
    for code, value in parts.items():
        text = text.replace(code, value)
    return text


def grain_word(grain: Grain, lang: Language) -> str:
    return _GRAIN_WORDS[grain][lang]


def format_period_start(iso: str, grain: Grain, lang: Language) -> str:
    """The period that starts on `iso` at `grain`: "2026年6月" / "Jun 2026", "2026年Q2", "2026年6月1日当周"."""
    try:
        day = date.fromisoformat(str(iso)[:10])
    except ValueError:
        return str(iso)
    if grain == "year":
        return f"{day.year}年" if lang == "zh" else f"{day.year}"
    if grain == "quarter":
        q = (day.month - 1) // 3 + 1
        return f"{day.year}年Q{q}" if lang == "zh" else f"Q{q} {day.year}"
    if grain == "month":
        return _month(day, lang)
    if grain == "week":
        return f"{_day(day, lang)}当周" if lang == "zh" else f"Week of {_day(day, lang)}"
    return _day(day, lang)


def format_period_short(iso: str, grain: Grain, lang: Language, *, with_year: bool) -> str:
    """A compact period label for crowded axes: "6月" / "Jun" in one year, "25年11月" / "Nov 25" across years."""
    try:
        day = date.fromisoformat(str(iso)[:10])
    except ValueError:
        return str(iso)
    yy = f"{day.year % 100:02d}"
    if grain == "year":
        return f"{day.year}"
    if grain == "quarter":
        q = (day.month - 1) // 3 + 1
        if lang == "zh":
            return f"{yy}年Q{q}" if with_year else f"Q{q}"
        return f"Q{q} {yy}" if with_year else f"Q{q}"
    if grain == "month":
        if lang == "zh":
            return f"{yy}年{day.month}月" if with_year else f"{day.month}月"
        return f"{_MONTHS_EN[day.month - 1]} {yy}" if with_year else _MONTHS_EN[day.month - 1]
    return f"{day.month}/{day.day}" if not with_year else f"{yy}/{day.month}/{day.day}"


def _month(day: date, lang: Language, *, with_year: bool = True) -> str:
    if lang == "zh":
        return f"{day.year}年{day.month}月" if with_year else f"{day.month}月"
    return f"{_MONTHS_EN[day.month - 1]} {day.year}" if with_year else _MONTHS_EN[day.month - 1]


def _day(day: date, lang: Language, *, with_year: bool = True) -> str:
    if lang == "zh":
        return f"{day.year}年{day.month}月{day.day}日" if with_year else f"{day.month}月{day.day}日"
    text = f"{_MONTHS_EN[day.month - 1]} {day.day}"
    return f"{text}, {day.year}" if with_year else text


def format_range(start: date | None, end: date | None, lang: Language) -> str | None:
    """A half-open date range as people say it: "2026年6月", "Q2 2026", "2026年1月–6月", "Jun 1–14, 2026"."""
    if start is None and end is None:
        return None
    if start is None:
        assert end is not None
        last = end - timedelta(days=1)
        return f"截至{_day(last, lang)}" if lang == "zh" else f"until {_day(last, lang)}"
    if end is None:
        return f"{_day(start, lang)}起" if lang == "zh" else f"since {_day(start, lang)}"
    last = end - timedelta(days=1)
    if start.day == 1 and end.day == 1:
        months = (end.year - start.year) * 12 + end.month - start.month
        if months == 12 and start.month == 1:
            return f"{start.year}年" if lang == "zh" else str(start.year)
        if months == 3 and start.month % 3 == 1:
            q = (start.month - 1) // 3 + 1
            return f"{start.year}年第{q}季度" if lang == "zh" else f"Q{q} {start.year}"
        if months == 1:
            return _month(start, lang)
        if start.year == last.year:
            if lang == "zh":
                return f"{start.year}年{start.month}月–{last.month}月"
            return f"{_MONTHS_EN[start.month - 1]}–{_MONTHS_EN[last.month - 1]} {start.year}"
        return (
            f"{_month(start, lang)}–{_month(last, lang)}"
            if lang == "zh"
            else f"{_month(start, lang)} – {_month(last, lang)}"
        )
    if start == last:
        return _day(start, lang)
    if start.year == last.year:
        if lang == "zh":
            return f"{_day(start, lang)}–{_day(last, lang, with_year=False)}"
        if start.month == last.month:
            return f"{_MONTHS_EN[start.month - 1]} {start.day}–{last.day}, {start.year}"
        return f"{_day(start, lang, with_year=False)} – {_day(last, lang)}"
    return (
        f"{_day(start, lang)}–{_day(last, lang)}"
        if lang == "zh"
        else f"{_day(start, lang)} – {_day(last, lang)}"
    )


_FIXED_PERIOD_WORDS: dict[str, dict[Language, str]] = {
    "today": {"zh": "今天", "en": "Today"},
    "yesterday": {"zh": "昨天", "en": "Yesterday"},
    "this_week": {"zh": "本周", "en": "This week"},
    "last_week": {"zh": "上周", "en": "Last week"},
    "this_month": {"zh": "本月", "en": "This month"},
    "last_month": {"zh": "上月", "en": "Last month"},
    "this_quarter": {"zh": "本季度", "en": "This quarter"},
    "last_quarter": {"zh": "上季度", "en": "Last quarter"},
    "this_year": {"zh": "今年", "en": "This year"},
    "last_year": {"zh": "去年", "en": "Last year"},
    "year_to_date": {"zh": "年初至今", "en": "Year to date"},
    "all_time": {"zh": "全部时间", "en": "All time"},
}
_LAST_N = re.compile(r"^last_(\d+)_(days|weeks|months)$")
_LAST_N_WORDS: dict[str, dict[Language, str]] = {
    "days": {"zh": "近{n}天", "en": "Last {n} days"},
    "weeks": {"zh": "近{n}周", "en": "Last {n} weeks"},
    "months": {"zh": "近{n}个月", "en": "Last {n} months"},
}


def format_relative_period(period: str, lang: Language) -> str | None:
    """A stored question's relative period in words ("本月", "Last 12 months")."""
    if period in _FIXED_PERIOD_WORDS:
        return _FIXED_PERIOD_WORDS[period][lang]
    match = _LAST_N.match(period)
    if match:
        return _LAST_N_WORDS[match.group(2)][lang].format(n=match.group(1))
    return None


def previous_range(start: date, end: date, compare: str) -> tuple[date, date]:
    """The comparison range the semantic layer matches [start, end) with (same rule as the compiler)."""
    months, days = comparison_shift(start, end, compare)
    if months:
        return add_months(start, -months), add_months(end, -months)
    return start - timedelta(days=days), end - timedelta(days=days)


def compare_words(compare: str, lang: Language) -> str:
    if compare == "same_period_last_year":
        return "去年同期" if lang == "zh" else "same period last year"
    return "上期" if lang == "zh" else "previous period"


def join_title(parts: list[str | None]) -> str:
    """Title parts joined by " · ", empty parts left out."""
    return " · ".join(p for p in parts if p)


def by_words(labels: list[str], lang: Language) -> str | None:
    """ "按大区、产品线" / "by region and product line"."""
    if not labels:
        return None
    if lang == "zh":
        return "按" + "、".join(labels)
    return "by " + " and ".join(lower_first(label) for label in labels)


def lower_first(label: str) -> str:
    """ "Product line" -> "product line"; acronyms ("CSAT", "VIP desk") stay as they are."""
    if len(label) > 1 and label[:2].isupper():
        return label
    return label[:1].lower() + label[1:]
