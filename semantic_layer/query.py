"""The public SemanticQuery: what planners produce and the compiler consumes (JSON-serialisable).

A metric query names `metrics` (aggregated, grouped by `dimensions`); a detail query names `fields`
(dimensions and record attributes) and lists records. `time_range` is half-open [start, end); stored
questions may hold a relative `{"period": ...}` that `periods.resolve_time_range` makes absolute.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .model import Grain
from .periods import check_period

FilterOp = Literal["eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "between", "contains"]
FilterValue = str | int | float | bool | None
Compare = Literal["previous_period", "same_period_last_year"]

MAX_LIMIT = 1_000_000
EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)
"""Dates a query may name: calendars (and date arithmetic) end somewhere."""

_ARITY: dict[str, tuple[int, int | None]] = {
    "eq": (1, 1), "ne": (1, 1), "gt": (1, 1), "gte": (1, 1), "lt": (1, 1), "lte": (1, 1),
    "contains": (1, 1), "between": (2, 2), "in": (1, None), "not_in": (1, None),
}  # fmt: skip


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DimensionRef(_Spec):
    name: str
    grain: Grain | None = None
    """Only for time dimensions: the period each row stands for (its first day)."""


class Filter(_Spec):
    """A condition on a dimension or a record field (rows, WHERE) or on a metric (groups, HAVING)."""

    dimension: str | None = None
    field: str | None = None
    metric: str | None = None
    op: FilterOp
    values: tuple[FilterValue, ...]

    @model_validator(mode="after")
    def _well_formed(self) -> Filter:
        targets = [t for t in (self.dimension, self.field, self.metric) if t is not None]
        if len(targets) != 1:
            raise ValueError("a filter names exactly one of 'dimension', 'field' or 'metric'")
        low, high = _ARITY[self.op]
        if len(self.values) < low or (high is not None and len(self.values) > high):
            want = f"{low}" if low == high else f"at least {low}"
            raise ValueError(f"op '{self.op}' takes {want} value(s), got {len(self.values)}")
        return self

    @property
    def target(self) -> str:
        return self.dimension or self.field or self.metric or ""


class TimeRange(_Spec):
    """Either absolute `start`/`end` dates (half-open; either may be open-ended) or a relative `period`."""

    start: date | None = None
    end: date | None = None
    period: str | None = None

    @model_validator(mode="after")
    def _one_form(self) -> TimeRange:
        if self.period is not None:
            if self.start or self.end:
                raise ValueError("give either 'period' or 'start'/'end', not both")
            check_period(self.period)
        elif self.start is None and self.end is None:
            raise ValueError("a time range needs 'period', 'start' or 'end'")
        elif self.start and self.end and self.start >= self.end:
            raise ValueError(f"start {self.start} must be before end {self.end} (the end is exclusive)")
        for day in (self.start, self.end):
            if day is not None and not EARLIEST <= day <= LATEST:
                raise ValueError(f"dates run from {EARLIEST} to {LATEST}, got {day}")
        return self


class OrderBy(_Spec):
    field: str
    desc: bool = False


class SemanticQuery(_Spec):
    metrics: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    dimensions: tuple[DimensionRef, ...] = ()
    filters: tuple[Filter, ...] = ()
    time_range: TimeRange | None = None
    compare: Compare | None = None
    order_by: tuple[OrderBy, ...] = ()
    limit: int | None = Field(default=None, gt=0, le=MAX_LIMIT)

    @field_validator("dimensions", mode="before")
    @classmethod
    def _names_as_refs(cls, value: object) -> object:
        # Accept "region" as shorthand for {"name": "region"}.
        if isinstance(value, list | tuple):
            return [{"name": v} if isinstance(v, str) else v for v in value]
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> SemanticQuery:
        if bool(self.metrics) == bool(self.fields):
            raise ValueError("a query names either 'metrics' (aggregates) or 'fields' (a detail list)")
        if self.fields and (self.dimensions or self.compare):
            raise ValueError("a detail query ('fields') takes no 'dimensions' or 'compare'")
        if self.fields and any(f.metric for f in self.filters):
            raise ValueError("a detail query cannot filter on a metric")
        for kind, names in (("metric", self.metrics), ("field", self.fields)):
            if len(set(names)) != len(names):
                raise ValueError(f"a {kind} is listed twice")
        if len({d.name for d in self.dimensions}) != len(self.dimensions):
            raise ValueError("a dimension is listed twice")
        return self

    @property
    def is_detail(self) -> bool:
        return bool(self.fields)
