"""How a column writes its times, told from its values, and the DuckDB expression that reads them.

Handled: `MM/DD/YYYY hh:mm:ss AM/PM` (NYC 311 exports), day-first `DD/MM/YYYY hh:mm` (told apart from
month-first by the values: a first field above 12 means day-first), `YYYY/MM/DD`, `YYYY年M月D日`,
ISO 8601 with or without `T`, fractions and a zone (zoned times are converted to UTC), dates alone,
and epoch seconds or milliseconds in numeric columns whose name says they hold a time.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .sql_text import quote_literal

TimestampKind = Literal["pattern", "iso", "iso_zoned", "epoch_seconds", "epoch_milliseconds"]
MATCH_SHARE = 0.95
"""Share of sampled values a format must match to be considered (the rest are checked when loading)."""

_CLOCK = r"(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?P<f>[.,]\d+)?)?\s*(?P<ampm>[AaPp][Mm])?"
_SLASHED = re.compile(
    r"(?P<a>\d{1,2})(?P<sep>[/.\-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4})(?:[ T]+" + _CLOCK + ")?"
)
_YEAR_FIRST = re.compile(
    r"(?P<y>\d{4})(?P<sep>[/.])(?P<a>\d{1,2})(?P=sep)(?P<b>\d{1,2})(?:[ T]+" + _CLOCK + ")?"
)
_CHINESE = re.compile(r"(?P<y>\d{4})年(?P<a>\d{1,2})月(?P<b>\d{1,2})日\s*(?:" + _CLOCK + ")?")
_ISO = re.compile(
    r"\d{4}-\d{1,2}-\d{1,2}(?P<time>[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?\s*(?P<zone>Z|[+-]\d{2}(?::?\d{2})?)?"
)
TIME_NAME = re.compile(
    r"time|date|timestamp|epoch|_at$|^at_|created|closed|updated|opened|resolved|时间|日期|时刻",
    re.IGNORECASE,
)
# Epoch values from 1990 up to 2100.
_EPOCH_SECONDS = (631_152_000, 4_102_444_800)


@dataclass(frozen=True)
class TimestampFormat:
    """A way of writing times, with the DuckDB expression that reads it (`sql`)."""

    kind: TimestampKind
    description: str
    """How the values look, for people: `MM/DD/YYYY hh:mm:ss AM/PM`."""
    patterns: tuple[str, ...] = ()
    """DuckDB strptime patterns, tried in order (kind `pattern`)."""
    date_only: bool = False
    day_first: bool | None = None
    ambiguous: bool = False
    """Day-first and month-first both read every value; the order is a guess to review."""
    evidence: str = ""
    """Why the day/month order was chosen, when the values told it."""

    @property
    def duckdb_type(self) -> str:
        return "DATE" if self.date_only else "TIMESTAMP"

    def sql(self, column: str) -> str:
        """DuckDB SQL reading the text (or number) in `column` (quoted SQL) as a DATE or TIMESTAMP;
        NULL where a value does not parse."""
        if self.kind == "pattern":
            patterns = "[" + ", ".join(quote_literal(p) for p in self.patterns) + "]"
            value = f"try_strptime({column}, {patterns})"
        elif self.kind == "iso":
            value = f"TRY_CAST({column} AS TIMESTAMP)"
        elif self.kind == "iso_zoned":
            value = f"timezone('UTC', TRY_CAST({column} AS TIMESTAMPTZ))"
        else:
            scale = 1_000_000 if self.kind == "epoch_seconds" else 1_000
            value = f"make_timestamp(CAST(TRY_CAST({column} AS DOUBLE) * {scale} AS BIGINT))"
        return f"CAST({value} AS DATE)" if self.date_only else value


def detect_timestamp_format(
    values: Sequence[str],
    *,
    field_maxima: tuple[int, int] | None = None,
    prefer_day_first: bool | None = None,
) -> TimestampFormat | None:
    """The format nearly all of `values` (non-empty texts, a sample) are written in, or None.

    For D/M/Y-or-M/D/Y dates, `field_maxima` are the largest first and second fields over the whole
    column (computed from `values` when None); when both are 12 or less either order reads every value,
    and `prefer_day_first` (another column of the file told) or else month-first is chosen, flagged
    `ambiguous`."""
    values = [v.strip() for v in values if v and v.strip()]
    if not values:
        return None
    for family in (_iso, _slashed, _year_first, _chinese):
        found = family(values, field_maxima, prefer_day_first)
        if found is not None:
            return found
    return None


def detect_epoch(minimum: float, maximum: float, name: str) -> TimestampFormat | None:
    """Epoch seconds or milliseconds: a numeric column named like a time whose values all fall in
    1990-2100 read that way."""
    if not TIME_NAME.search(name):
        return None
    low, high = _EPOCH_SECONDS
    if low <= minimum and maximum < high:
        return TimestampFormat("epoch_seconds", "seconds since 1970-01-01 (UTC)")
    if low * 1000 <= minimum and maximum < high * 1000:
        return TimestampFormat("epoch_milliseconds", "milliseconds since 1970-01-01 (UTC)")
    return None


def day_order(first_max: int, second_max: int, prefer_day_first: bool | None = None) -> tuple[bool, bool]:
    """(day_first, ambiguous) for dates written A/B/YYYY, from the largest A and B in the column."""
    if first_max > 12 and second_max <= 12:
        return True, False
    if second_max > 12 and first_max <= 12:
        return False, False
    return bool(prefer_day_first), True


def _matches(pattern: re.Pattern[str], values: Sequence[str]) -> list[re.Match[str]]:
    found = [m for m in (pattern.fullmatch(v) for v in values) if m is not None]
    return found if len(found) >= MATCH_SHARE * len(values) else []


def _clock_patterns(matches: list[re.Match[str]]) -> tuple[list[str], str]:
    """strptime patterns for the time of day the values carry (with a date-only fallback), and how
    they look."""
    if not any(m.group("h") for m in matches):
        return [], ""
    if any(m.group("ampm") for m in matches):
        return ["%I:%M:%S %p", "%I:%M %p", "%I:%M:%S%p", "%I:%M%p"], " hh:mm:ss AM/PM"
    if any(m.group("f") for m in matches):
        return ["%H:%M:%S.%f", "%H:%M:%S", "%H:%M"], " hh:mm:ss.fff"
    seconds = any(m.group("s") for m in matches)
    return ["%H:%M:%S", "%H:%M"], " hh:mm:ss" if seconds else " hh:mm"


def _build(date_pattern: str, shown: str, matches: list[re.Match[str]], **flags: Any) -> TimestampFormat:
    clocks, clock_shown = _clock_patterns(matches)
    patterns = (*(f"{date_pattern} {clock}" for clock in clocks), date_pattern)
    if clocks and "年" in date_pattern:
        patterns = (*(f"{date_pattern}{clock}" for clock in clocks), *patterns)
    return TimestampFormat(
        "pattern",
        shown + clock_shown,
        patterns=patterns,
        date_only=not clocks,
        **flags,
    )


def _iso(values: Sequence[str], *_: object) -> TimestampFormat | None:
    matches = _matches(_ISO, values)
    if not matches:
        return None
    date_only = not any(m.group("time") for m in matches)
    if any(m.group("zone") for m in matches):
        return TimestampFormat("iso_zoned", "ISO 8601 with a time zone (converted to UTC)")
    shown = "YYYY-MM-DD" if date_only else "ISO 8601 (YYYY-MM-DD hh:mm:ss)"
    return TimestampFormat("iso", shown, date_only=date_only)


def _slashed(
    values: Sequence[str], field_maxima: tuple[int, int] | None, prefer_day_first: bool | None
) -> TimestampFormat | None:
    matches = _matches(_SLASHED, values)
    if not matches:
        return None
    if field_maxima is None:
        field_maxima = (max(int(m.group("a")) for m in matches), max(int(m.group("b")) for m in matches))
    if min(field_maxima) > 12 or max(field_maxima) > 31:
        return None
    day_first, ambiguous = day_order(*field_maxima, prefer_day_first)
    evidence = ""
    if not ambiguous:
        field, top = ("first", field_maxima[0]) if day_first else ("second", field_maxima[1])
        evidence = f"the {field} field goes up to {top}, so it is the day"
    sep = max("/.-", key=lambda s: sum(m.group("sep") == s for m in matches))
    first, second, shown = ("%d", "%m", "DD{0}MM{0}YYYY") if day_first else ("%m", "%d", "MM{0}DD{0}YYYY")
    return _build(
        f"{first}{sep}{second}{sep}%Y",
        shown.format(sep),
        matches,
        day_first=day_first,
        ambiguous=ambiguous,
        evidence=evidence,
    )


def _year_first(values: Sequence[str], *_: object) -> TimestampFormat | None:
    matches = _matches(_YEAR_FIRST, values)
    if not matches:
        return None
    sep = matches[0].group("sep")
    return _build(f"%Y{sep}%m{sep}%d", f"YYYY{sep}MM{sep}DD", matches)


def _chinese(values: Sequence[str], *_: object) -> TimestampFormat | None:
    matches = _matches(_CHINESE, values)
    return _build("%Y年%m月%d日", "YYYY年MM月DD日", matches) if matches else None
