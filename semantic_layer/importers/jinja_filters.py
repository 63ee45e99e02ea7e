"""MetricFlow's Jinja filters (`{{ Dimension('customer__region') }} = 'EU'`) as chatbi metric filters.

A chatbi metric filter is a SQL expression over its own table's columns, so a reference is translated
only when it names a column of the metric's own table; anything else is reported, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..expressions import ExpressionError, parse_expression

_CALL = re.compile(
    r"\{\{\s*(?P<kind>Dimension|TimeDimension|Entity|Metric)\s*\((?P<args>[^)]*)\)"
    r"(?:\s*\.\s*grain\s*\(\s*['\"](?P<grain>\w+)['\"]\s*\))?\s*\}\}"
)
_ARGUMENT = re.compile(r"['\"]([^'\"]*)['\"]")
GRAINS = ("day", "week", "month", "quarter", "year")

Resolver = Callable[[str, str], str | None]
"""(kind, reference such as 'customer__region') -> the SQL of that column on the metric's own table,
or None when it is not there."""


class UntranslatableFilter(ValueError):
    """A filter that cannot become a filter on the metric's own table; the message says why."""


def translate_filter(text: str, resolve: Resolver) -> str:
    """The SQL of MetricFlow filter `text`; raises UntranslatableFilter."""

    def substitute(match: re.Match[str]) -> str:
        kind = match.group("kind")
        arguments = _ARGUMENT.findall(match.group("args"))
        if kind == "Metric":
            raise UntranslatableFilter(f"it filters on a metric ({match.group(0)})")
        if not arguments:
            raise UntranslatableFilter(f"cannot read {match.group(0)}")
        sql = resolve(kind, arguments[0])
        if sql is None:
            raise UntranslatableFilter(
                f"{match.group(0).strip('{} ')} is not a column of the metric's own table "
                "(chatbi metric filters cannot join)"
            )
        grain = match.group("grain") or (
            arguments[1] if kind == "TimeDimension" and len(arguments) > 1 else None
        )
        if grain and grain.lower() != "day":
            if grain.lower() not in GRAINS:
                raise UntranslatableFilter(f"unknown time grain '{grain}'")
            return f"date_trunc('{grain.lower()}', {sql})"
        return f"({sql})"

    sql = _CALL.sub(substitute, text.strip())
    if "{{" in sql or "{%" in sql:
        raise UntranslatableFilter(
            f"it uses Jinja that is not a Dimension/TimeDimension/Entity reference: {text.strip()!r}"
        )
    try:
        parse_expression(sql)
    except ExpressionError as error:
        raise UntranslatableFilter(f"the filter {sql!r} {error}") from None
    return sql


def combine(*filters: str | None) -> str | None:
    """The filters joined with AND (None when there is none)."""
    present = [f for f in filters if f]
    if not present:
        return None
    return present[0] if len(present) == 1 else " AND ".join(f"({f})" for f in present)
