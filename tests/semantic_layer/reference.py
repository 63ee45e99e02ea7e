"""An independent pandas implementation of the after-sales metrics, written from their definitions.

It reads the raw tables of a demo database (read-only) into DataFrames and computes every metric the
way an analyst would with pandas: merges along the foreign keys, boolean masks for the filters,
`groupby` for the breakdowns. It deliberately shares nothing with the product's compiler (no SQL,
no model expressions), so that the two implementations check each other.

The definitions (DESIGN.md section 3 and the model's descriptions):
- every ticket metric counts on the ticket's creation time (`created_at`); survey metrics count on
  their ticket's creation time and are cut by their ticket's (and its customer's) attributes;
- customer metrics count on the customer's signup date and are cut by the customer's own attributes
  (region = home_region, ...);
- a time range is half-open [start, end); a time grain labels each row with its period's first day
  (weeks start on Monday);
- backlog is a snapshot: tickets created before a moment and not resolved by then, taken at each
  period's end (the running period: at the end of today), at the range's end, or now (resolved_at NULL).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

RESOLVED = ("已解决", "已关闭")

# --- the metrics ------------------------------------------------------------------------------------


def _seconds_between(start: pd.Series, end: pd.Series) -> pd.Series:
    """Whole seconds from start to end (the model counts `date_diff('second', ...)`); NaN when either is missing."""
    return (end.dt.floor("s") - start.dt.floor("s")).dt.total_seconds()


def _is_true(series: pd.Series) -> pd.Series:
    """True only where the value is True (a missing flag counts as not set, as in SQL)."""
    return series.eq(True).fillna(False).astype(bool)


def _resolved(df: pd.DataFrame) -> pd.Series:
    return df["status"].isin(RESOLVED)


def _every_row(df: pd.DataFrame) -> pd.Series:
    return pd.Series(True, index=df.index)


@dataclass(frozen=True)
class Leaf:
    """A metric computed directly from one table's rows: a value per row, then an aggregation
    (`sum` of a row flag counts the rows that have it; `mean`, `median` and `q90` skip missing values;
    `nunique` counts distinct non-missing values)."""

    table: str
    per_row: Callable[[pd.DataFrame], pd.Series]
    how: str = "sum"

    @property
    def count(self) -> bool:
        return self.how in ("sum", "nunique")


@dataclass(frozen=True)
class Ratio:
    numerator: str
    denominator: str


@dataclass(frozen=True)
class Derived:
    inputs: tuple[str, ...]
    compute: Callable[..., Any]


def _nps(promoters: int, detractors: int, responses: int) -> float | None:
    return 100.0 * (promoters - detractors) / responses if responses else None


def _breached(d: pd.DataFrame) -> pd.Series:
    """First response later than the ticket's SLA target (unanswered tickets never count)."""
    return d["first_response_minutes"].notna() & (d["first_response_minutes"] > d["sla_target_minutes"])


LEAVES: dict[str, Leaf] = {
    # tickets
    "ticket_count": Leaf("tickets", _every_row),
    "complaint_count": Leaf("tickets", lambda d: _is_true(d["is_complaint"])),
    "avg_first_response_minutes": Leaf("tickets", lambda d: d["first_response_minutes"], "mean"),
    "median_first_response_minutes": Leaf("tickets", lambda d: d["first_response_minutes"], "median"),
    "p90_first_response_minutes": Leaf("tickets", lambda d: d["first_response_minutes"], "q90"),
    "responded_ticket_count": Leaf("tickets", lambda d: d["first_response_at"].notna()),
    "response_sla_breach_count": Leaf("tickets", _breached),
    "resolved_ticket_count": Leaf("tickets", _resolved),
    "first_contact_resolved_count": Leaf(
        "tickets", lambda d: _resolved(d) & d["contact_count"].eq(1) & d["reopened"].eq(False)
    ),
    "avg_resolution_hours": Leaf("tickets", lambda d: d["resolution_hours"], "mean"),
    "avg_close_hours": Leaf("tickets", lambda d: d["close_hours"], "mean"),
    "reopened_count": Leaf("tickets", lambda d: _is_true(d["reopened"])),
    "repeat_contact_count": Leaf("tickets", lambda d: d["contact_count"] > 1),
    "kb_self_service_count": Leaf("tickets", lambda d: d["resolution_type"].eq("自助")),
    "active_agent_count": Leaf("tickets", lambda d: d["agent_id"], "nunique"),
    # surveys
    "survey_count": Leaf("surveys", _every_row),
    "avg_csat": Leaf("surveys", lambda d: d["csat_score"], "mean"),
    "csat_satisfied_count": Leaf("surveys", lambda d: d["csat_score"] >= 4),
    "promoter_count": Leaf("surveys", lambda d: d["nps_score"] >= 9),
    "detractor_count": Leaf("surveys", lambda d: d["nps_score"] <= 6),
    "nps_response_count": Leaf("surveys", lambda d: d["nps_score"].notna()),
    # customers
    "customer_count": Leaf("customers", _every_row),
    "repurchased_customer_count": Leaf("customers", lambda d: _is_true(d["repurchased"])),
    "churned_customer_count": Leaf("customers", lambda d: _is_true(d["churned"])),
}


def aggregate(leaf: Leaf, values: pd.Series, keys: list[pd.Series] | None) -> Any:
    """The leaf over its per-row `values` (all rows when keys is None), or a Series by the groups of `keys`."""
    target: Any = values.groupby(keys, dropna=False, sort=False) if keys else values
    if leaf.how in ("sum", "mean", "median", "nunique"):
        return getattr(target, leaf.how)()
    assert leaf.how == "q90"
    return target.quantile(0.9)  # linear interpolation, like SQL's percentile_cont


def per_row(leaf: Leaf, frame: pd.DataFrame) -> pd.Series:
    """The leaf's value on each row, typed for its aggregation (a flag as 0/1, a measure as float)."""
    values = leaf.per_row(frame)
    if leaf.how == "sum":
        return values.fillna(False).astype(bool).astype("int64")
    if leaf.how == "nunique":
        return values
    return values.astype("float64")


COMPOSITES: dict[str, Ratio | Derived] = {
    "complaint_rate": Ratio("complaint_count", "ticket_count"),
    "response_sla_breach_rate": Ratio("response_sla_breach_count", "responded_ticket_count"),
    "resolution_rate": Ratio("resolved_ticket_count", "ticket_count"),
    "first_contact_resolution_rate": Ratio("first_contact_resolved_count", "resolved_ticket_count"),
    "reopen_rate": Ratio("reopened_count", "resolved_ticket_count"),
    "repeat_contact_rate": Ratio("repeat_contact_count", "ticket_count"),
    "kb_self_service_rate": Ratio("kb_self_service_count", "resolved_ticket_count"),
    "csat_satisfied_rate": Ratio("csat_satisfied_count", "survey_count"),
    "nps": Derived(("promoter_count", "detractor_count", "nps_response_count"), _nps),
    "survey_response_rate": Ratio("survey_count", "resolved_ticket_count"),
    "repurchase_rate": Ratio("repurchased_customer_count", "customer_count"),
    "churn_rate": Ratio("churned_customer_count", "customer_count"),
}

SNAPSHOTS = ("backlog_count",)
"""Backlog: tickets created before a moment and not resolved by then."""

METRICS: tuple[str, ...] = (*LEAVES, *COMPOSITES, *SNAPSHOTS)
COUNT_METRICS = frozenset({name for name, leaf in LEAVES.items() if leaf.count} | set(SNAPSHOTS))


def metric_table(name: str) -> str:
    """The table whose rows a metric counts (a ratio's denominator's for a cross-table ratio)."""
    if name in SNAPSHOTS:
        return "tickets"
    if name in LEAVES:
        return LEAVES[name].table
    composite = COMPOSITES[name]
    first = composite.numerator if isinstance(composite, Ratio) else composite.inputs[0]
    return metric_table(first)


def leaves_of(name: str) -> list[str]:
    if name in LEAVES or name in SNAPSHOTS:
        return [name]
    composite = COMPOSITES[name]
    inputs = (
        (composite.numerator, composite.denominator) if isinstance(composite, Ratio) else composite.inputs
    )
    return [leaf for item in inputs for leaf in leaves_of(item)]


def combine(name: str, leaf_values: dict[str, Any]) -> Any:
    """A metric's value from its leaves' values (a missing count is 0)."""
    if name in leaf_values:
        return leaf_values[name]
    composite = COMPOSITES[name]
    if isinstance(composite, Ratio):
        numerator = combine(composite.numerator, leaf_values)
        denominator = combine(composite.denominator, leaf_values)
        if numerator is None or not denominator:
            return None
        return numerator / denominator
    return composite.compute(*(combine(item, leaf_values) for item in composite.inputs))


# --- filters ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    column: str
    op: str
    values: tuple[Any, ...]


def _like(series: pd.Series, value: Any) -> Any:
    """A filter value as the column holds it (dates and timestamps compare as timestamps)."""
    if pd.api.types.is_datetime64_any_dtype(series) and value is not None:
        return pd.Timestamp(value)
    return value


def mask(series: pd.Series, op: str, values: Sequence[Any]) -> pd.Series:
    """Which rows pass `series op values`. A missing value passes only `ne`/`not_in` (and `eq None`)."""
    values = [_like(series, v) for v in values]
    present = series.notna()
    first = values[0]
    if op == "eq":
        return ~present if first is None else (present & (series == first))
    if op == "ne":
        return present if first is None else (~present | (series != first))
    if op == "in":
        return present & series.isin(values)
    if op == "not_in":
        return ~present | ~series.isin(values)
    if op == "between":
        low, high = values
        return present & (series >= low) & (series <= high)
    if op == "contains":
        text = series.astype("string").str.lower()
        return present & text.str.contains(str(first).lower(), regex=False).fillna(False).astype(bool)
    compare = {"gt": series.gt, "gte": series.ge, "lt": series.lt, "lte": series.le}[op]
    return present & compare(first)


# --- time -------------------------------------------------------------------------------------------


def period_start(moments: pd.Series, grain: str) -> pd.Series:
    """The first day (a python date, None when missing) of the `grain` period of each timestamp;
    weeks start on Monday (pandas' weekly periods ending on Sunday)."""
    frequency = {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q", "year": "Y"}[grain]
    starts = moments.dt.to_period(frequency).dt.start_time
    return starts.dt.date.astype(object).where(starts.notna(), None)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1) if day.day == 1 else _clamped(index, day.day)


def _clamped(index: int, day: int) -> date:
    year, month = index // 12, index % 12 + 1
    following = date(year + (month == 12), month % 12 + 1, 1)
    return date(year, month, min(day, (following - timedelta(days=1)).day))


def next_period(start: date, grain: str) -> date:
    if grain == "day":
        return start + timedelta(days=1)
    if grain == "week":
        return start + timedelta(days=7)
    return add_months(start, {"month": 1, "quarter": 3, "year": 12}[grain])


# --- the data and the queries -----------------------------------------------------------------------


@dataclass
class Query:
    """What a reference evaluation needs: dimension names (with an optional grain), row conditions on
    dimension/field names, an optional [start, end) range, conditions on metric values."""

    metrics: Sequence[str]
    dimensions: Sequence[tuple[str, str | None]] = ()
    where: Sequence[Condition] = ()
    start: date | str | None = None
    end: date | str | None = None
    having: Sequence[Condition] = ()


class Reference:
    """The raw tables as DataFrames, one analysis frame per table a metric counts."""

    def __init__(self, path: Path | str, today: date) -> None:
        with duckdb.connect(str(path), read_only=True) as connection:
            raw = {
                name: _plain(connection.sql(f"SELECT * FROM {name}").df())
                for name in ("tickets", "surveys", "customers", "agents")
            }
        self.raw = raw
        self._cache: dict[str, list[dict[str, Any]]] = {}
        self._columns: dict[tuple[str, str, str | None], pd.Series] = {}
        self._codes: dict[tuple[str, str, str | None], tuple[np.ndarray, np.ndarray]] = {}
        self.today = today
        customers = raw["customers"]
        # Tickets with their customer's attributes (many tickets to one customer: no row is duplicated).
        customer_side = customers[["customer_id", "customer_name", "tier", "industry"]].rename(
            columns={"tier": "customer_tier"}
        )
        tickets = raw["tickets"].merge(customer_side, on="customer_id", how="left", validate="many_to_one")
        assert len(tickets) == len(raw["tickets"])
        tickets["created_date"] = tickets["created_at"]
        tickets["first_response_minutes"] = (
            _seconds_between(tickets["created_at"], tickets["first_response_at"]) / 60.0
        )
        tickets["resolution_hours"] = _seconds_between(tickets["created_at"], tickets["resolved_at"]) / 3600.0
        tickets["close_hours"] = _seconds_between(tickets["created_at"], tickets["closed_at"]) / 3600.0
        # Surveys with their ticket (and through it the customer): each survey stays one row.
        surveys = raw["surveys"].merge(tickets, on="ticket_id", how="left", validate="many_to_one")
        assert len(surveys) == len(raw["surveys"])
        # Customers with the conformed names of their own attributes; their time is the signup date.
        own = customers.rename(
            columns={
                "home_region": "region",
                "home_province": "province",
                "home_city": "city",
                "tier": "customer_tier",
            }
        )
        own["created_date"] = pd.to_datetime(own["signup_date"])
        self.frames = {"tickets": tickets, "surveys": surveys, "customers": own}

    # one table's leaves, grouped

    def rows(self, table: str, query: Query, start: Any = None, end: Any = None) -> np.ndarray:
        """Which rows of the table's frame the query's conditions and the [start, end) range keep."""
        frame = self.frames[table]
        keep = np.ones(len(frame), dtype=bool)
        for condition in query.where:
            keep &= mask(frame[condition.column], condition.op, condition.values).to_numpy(dtype=bool)
        if start is not None:
            keep &= (frame["created_date"] >= pd.Timestamp(start)).to_numpy()
        if end is not None:
            keep &= (frame["created_date"] < pd.Timestamp(end)).to_numpy()
        return keep

    def frame(self, table: str, query: Query, start: Any = None, end: Any = None) -> pd.DataFrame:
        """The table's analysis frame, rows kept by the query's conditions and the [start, end) range."""
        keep = self.rows(table, query, start, end)
        return self.frames[table] if keep.all() else self.frames[table][keep]

    def _column(self, table: str, name: str, grain: str | None) -> tuple[np.ndarray, np.ndarray]:
        """A dimension's value on every row of the table's frame (a grain: the period's first day),
        factorized once: (a code per row, the value of each code, missing values included)."""
        key = (table, name, grain)
        if key not in self._codes:
            column = self.frames[table][name]
            column = period_start(column, grain) if grain else column
            codes, uniques = pd.factorize(column, use_na_sentinel=False)
            self._codes[key] = (codes, np.asarray(uniques, dtype=object))
        return self._codes[key]

    def _per_row(self, table: str, leaf: str) -> pd.Series:
        key = (table, leaf, "leaf")
        if key not in self._columns:
            self._columns[key] = per_row(LEAVES[leaf], self.frames[table])
        return self._columns[key]

    def grouped_leaves(
        self, table: str, leaves: Sequence[str], query: Query, start: Any, end: Any
    ) -> dict[tuple[Any, ...], dict[str, Any]]:
        keep = self.rows(table, query, start, end)
        names = [name for name, _ in query.dimensions]
        factorized = [self._column(table, name, grain) for name, grain in query.dimensions]
        keys = [pd.Series(codes[keep]) for codes, _ in factorized]
        out: dict[tuple[Any, ...], dict[str, Any]] = {}
        for leaf in leaves:
            values = self._per_row(table, leaf)[keep].reset_index(drop=True)
            if not names:
                out.setdefault((), {})[leaf] = _clean(aggregate(LEAVES[leaf], values, None))
                continue
            for codes, value in aggregate(LEAVES[leaf], values, keys).items():
                codes = codes if isinstance(codes, tuple) else (codes,)
                key = tuple(_clean(uniques[c]) for c, (_, uniques) in zip(codes, factorized, strict=True))
                out.setdefault(key, {})[leaf] = _clean(value)
        return out

    def backlog(self, query: Query, start: Any, end: Any) -> dict[tuple[Any, ...], dict[str, Any]]:
        """Open tickets at each period's end (grain), at the range's end, or now."""
        tickets = self.frame("tickets", query)
        grains = [(n, g) for n, g in query.dimensions if g]
        others = [n for n, g in query.dimensions if not g]
        end_of_today = pd.Timestamp(self.today + timedelta(days=1))
        moments: list[tuple[Any, pd.Timestamp | None]]
        if grains:
            _, grain = grains[0]
            if start is not None:
                first = period_start(pd.Series([pd.Timestamp(start)]), grain).iloc[0]
            else:
                first = min(period_start(self.frames["tickets"]["created_at"], grain).dropna())
            stop = end_of_today if end is None else min(pd.Timestamp(end), end_of_today)
            moments = []
            period = first
            while pd.Timestamp(period) < stop:
                following = next_period(period, grain)
                moments.append((period, min(pd.Timestamp(following), stop)))
                period = following
        else:  # one snapshot: at the range's end (no later than the end of today), or now
            moments = [(None, None if end is None else min(pd.Timestamp(end), end_of_today))]
        out: dict[tuple[Any, ...], dict[str, Any]] = {}
        for period, moment in moments:
            if moment is None:
                open_ = tickets[tickets["resolved_at"].isna()]
            else:
                open_ = tickets[
                    (tickets["created_at"] < moment)
                    & (tickets["resolved_at"].isna() | (tickets["resolved_at"] >= moment))
                ]
            groups = (
                open_.groupby([open_[n] for n in others], dropna=False, sort=False)
                if others
                else [((), open_)]
            )
            for key, group in groups:
                key = tuple(_clean(k) for k in (key if isinstance(key, tuple) else (key,)))
                full = []
                for n, g in query.dimensions:
                    full.append(period if g else key[others.index(n)])
                out[tuple(full)] = {"backlog_count": len(group)}
        return out

    def evaluate(self, query: Query, start: Any = "query", end: Any = "query") -> list[dict[str, Any]]:
        """Rows {dimension: value, metric: value} for the query (or for another range given here)."""
        start = query.start if start == "query" else start
        end = query.end if end == "query" else end
        key = repr((query, start, end))
        if key not in self._cache:
            self._cache[key] = self._evaluate(query, start, end)
        return [dict(row) for row in self._cache[key]]

    def _evaluate(self, query: Query, start: Any, end: Any) -> list[dict[str, Any]]:
        by_table: dict[str, list[str]] = {}
        for metric in query.metrics:
            for leaf in leaves_of(metric):
                if leaf in SNAPSHOTS:
                    by_table.setdefault("snapshot", [])
                    continue
                table = LEAVES[leaf].table
                if leaf not in by_table.setdefault(table, []):
                    by_table[table].append(leaf)
        merged: dict[tuple[Any, ...], dict[str, Any]] = {}
        for table, leaves in by_table.items():
            groups = (
                self.backlog(query, start, end)
                if table == "snapshot"
                else self.grouped_leaves(table, leaves, query, start, end)
            )
            for key, values in groups.items():
                merged.setdefault(key, {}).update(values)
        names = [name for name, _ in query.dimensions]
        rows = []
        for key, values in merged.items():
            for leaf in {leaf for m in query.metrics for leaf in leaves_of(m)}:
                if leaf not in values and (leaf in COUNT_METRICS):
                    values[leaf] = 0
            row = dict(zip(names, key, strict=True))
            for metric in query.metrics:
                row[metric] = combine(metric, values) if all(v in values for v in leaves_of(metric)) else None
            rows.append(row)
        return [row for row in rows if all(_passes(row[c.column], c) for c in query.having)]


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as plain python objects (fast to take and group; NULL as None)."""
    for column in frame.columns:
        if pd.api.types.is_string_dtype(frame[column]) and not pd.api.types.is_object_dtype(frame[column]):
            values = frame[column].astype(object)
            frame[column] = values.where(values.notna(), None)
    return frame


def _passes(value: Any, condition: Condition) -> bool:
    return bool(mask(pd.Series([value]), condition.op, condition.values).iloc[0])


def _clean(value: Any) -> Any:
    """Group keys as the product returns them: None for missing, python scalars, ISO dates as date."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, datetime):
        return value
    return value


def iso(value: Any) -> Any:
    """A key or value as the product's result rows hold it (dates as ISO strings)."""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return value
