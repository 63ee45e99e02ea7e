"""Numbers and periods written the way a reader of each language expects.

Chinese: 1.2万 for large counts, 12.3% with one decimal, 23.5分钟 / 2.1小时, 2026年7月1日至7月31日.
English: 12,345, 12.3%, 23.5 min / 2.1 h, Jul 1 – Jul 31, 2026.
"""

from __future__ import annotations

from datetime import date, timedelta

from semantic_layer.model import Language

_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_value(value: float | None, fmt: str | None, lang: Language) -> str:
    """A metric value in its format: counts, percent (fractions), minutes, hours, days, score, number."""
    if value is None:
        return "—"
    if fmt == "percent":
        return f"{value * 100:.1f}%"
    if fmt == "minutes":
        if abs(value) >= 120:
            return format_value(value / 60, "hours", lang)
        return f"{value:.1f}分钟" if lang == "zh" else f"{value:.1f} min"
    if fmt == "hours":
        if abs(value) >= 72:
            return format_value(value / 24, "days", lang)
        return f"{value:.1f}小时" if lang == "zh" else f"{value:.1f} h"
    if fmt == "days":
        return f"{value:.1f}天" if lang == "zh" else f"{value:.1f} days"
    if fmt == "score":
        return f"{value:.2f}分" if lang == "zh" else f"{value:.2f}"
    if fmt == "count":
        return _count(value, lang)
    if fmt == "currency":
        return "¥" + _count(value, lang)
    return _plain(value)


def format_change(change: float | None, fmt: str | None, lang: Language) -> str:
    """A signed difference in the metric's own scale: +61, -2.3 个百分点 / -2.3 pts, +0.12分."""
    if change is None:
        return "—"
    sign = "+" if change > 0 else "-" if change < 0 else "±"
    if fmt == "percent":
        points = abs(change) * 100
        return f"{sign}{points:.1f}个百分点" if lang == "zh" else f"{sign}{points:.1f} pts"
    return sign + format_value(abs(change), fmt, lang)


def format_ratio(value: float | None) -> str:
    """A relative change or share as a percentage with one decimal (no sign)."""
    return "—" if value is None else f"{abs(value) * 100:.1f}%"


def _count(value: float, lang: Language) -> str:
    if lang == "zh" and abs(value) >= 10_000:
        return f"{value / 10_000:.1f}万".replace(".0万", "万")
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


def _plain(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.1f}"


def format_range(start: date | None, end: date | None, lang: Language, today: date | None = None) -> str:
    """A half-open [start, end) range as people write it (inclusive last day, capped at today)."""
    if start is None and end is None:
        return "全部时间" if lang == "zh" else "all time"
    last = end - timedelta(days=1) if end is not None else today
    if today is not None and last is not None and last > today:
        last = today
    if start is None:
        return (f"截至{_day(last, lang)}" if lang == "zh" else f"up to {_day(last, lang)}") if last else ""
    if last is None or last < start:
        return _day(start, lang)
    if lang == "zh":
        if start.year == last.year:
            tail = f"{last.month}月{last.day}日" if (start.month, start.day) != (last.month, last.day) else ""
            return f"{start.year}年{start.month}月{start.day}日" + (f"至{tail}" if tail else "")
        return f"{_day(start, lang)}至{_day(last, lang)}"
    if start == last:
        return _day(start, lang)
    if start.year == last.year:
        return f"{_MONTHS_EN[start.month - 1]} {start.day} – {_MONTHS_EN[last.month - 1]} {last.day}, {last.year}"
    return f"{_day(start, lang)} – {_day(last, lang)}"


def format_period(value: str, grain: str | None, lang: Language) -> str:
    """A time bucket (its first day, ISO) as its period: 2026年7月, 2026年第3季度, 2026-W28, Jul 2026."""
    day = date.fromisoformat(value[:10])
    if grain == "month":
        return f"{day.year}年{day.month}月" if lang == "zh" else f"{_MONTHS_EN[day.month - 1]} {day.year}"
    if grain == "quarter":
        quarter = (day.month - 1) // 3 + 1
        return f"{day.year}年第{quarter}季度" if lang == "zh" else f"Q{quarter} {day.year}"
    if grain == "year":
        return f"{day.year}年" if lang == "zh" else str(day.year)
    if grain == "week":
        return f"{_day(day, lang)}当周" if lang == "zh" else f"week of {_day(day, lang)}"
    return _day(day, lang)


def _day(day: date, lang: Language) -> str:
    if lang == "zh":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{_MONTHS_EN[day.month - 1]} {day.day}, {day.year}"
