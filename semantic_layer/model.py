"""Typed, frozen description of a semantic model: tables, joins, dimensions, metrics, policies.

The YAML format is documented in docs/semantic-model.md; `loader.load_model` builds these types from
it and checks every cross-reference. Everything here is immutable once loaded.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

from .errors import UnknownFieldError

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")
Grain = Literal["day", "week", "month", "quarter", "year"]
GRAINS: tuple[Grain, ...] = ("day", "week", "month", "quarter", "year")
Format = Literal["count", "number", "percent", "minutes", "hours", "days", "score", "currency"]
Polarity = Literal["higher_is_better", "lower_is_better", "neutral"]
ValueType = Literal["string", "integer", "number", "boolean", "date", "timestamp"]


class Spec(BaseModel):
    """Base of every model type: immutable, and unknown keys are errors (typos must not pass)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Text(Spec):
    """A text in both languages; either may be missing and falls back to the other."""

    zh: str | None = None
    en: str | None = None

    def get(self, lang: Language) -> str:
        return (self.zh if lang == "zh" else self.en) or self.en or self.zh or ""


class Synonyms(Spec):
    zh: tuple[str, ...] = ()
    en: tuple[str, ...] = ()

    def all(self) -> tuple[str, ...]:
        return self.zh + self.en


class ValueInfo(Spec):
    """How people name one data value: a display label and aliases per language."""

    label: Text | None = None
    zh: tuple[str, ...] = ()
    en: tuple[str, ...] = ()


class Calendar(Spec):
    timezone: str = "UTC"
    week_start: Literal["monday", "sunday"] = "monday"


class Table(Spec):
    name: str
    source: str
    """Table or view in the database."""
    primary_key: str | None = None
    time_dimension: str | None = None
    """The time dimension that time ranges filter for metrics of this table."""
    description: Text | None = None


class Relationship(Spec):
    """A declared join from the many side to the one side: `tickets.customer_id -> customers.customer_id`."""

    from_: str = Field(alias="from")
    to: str
    type: Literal["many_to_one", "one_to_one"] = "many_to_one"

    @field_validator("from_", "to")
    @classmethod
    def _qualified(cls, value: str) -> str:
        if value.count(".") != 1 or not all(value.split(".")):
            raise ValueError(f"'{value}' must be written as table.column")
        return value

    @property
    def from_table(self) -> str:
        return self.from_.split(".")[0]

    @property
    def from_column(self) -> str:
        return self.from_.split(".")[1]

    @property
    def to_table(self) -> str:
        return self.to.split(".")[0]

    @property
    def to_column(self) -> str:
        return self.to.split(".")[1]


class Dimension(Spec):
    """A way to group and filter; defined on one or several tables (`on`: table -> SQL expression)."""

    name: str
    type: Literal["categorical", "time", "boolean", "number"] = "categorical"
    on: dict[str, str]
    label: Text = Text()
    synonyms: Synonyms = Synonyms()
    description: Text | None = None
    values: dict[str, ValueInfo] = {}
    sample_values: tuple[str, ...] = ()
    grains: tuple[Grain, ...] = GRAINS

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        # YAML 1.1 reads the bare key `on` as the boolean true.
        if isinstance(data, dict) and True in data:
            data = {("on" if key is True else key): value for key, value in data.items()}
        # `table: t` (+ optional `expr:`) is shorthand for `on: {t: expr}`; expr defaults to the name.
        if isinstance(data, dict) and "table" in data and "on" not in data:
            data = dict(data)
            data["on"] = {data.pop("table"): data.pop("expr", data.get("name"))}
        return data

    def value_label(self, value: str, lang: Language) -> str:
        """How a data value is shown to a reader of `lang`: its display label in that language, else (in
        English) its first English alias ("华南" -> "South China"), else the value itself. Never the other
        language's label ("Hotline team 1" is not shown to a Chinese reader)."""
        info = self.values.get(value)
        if info is None:
            return value
        label = (info.label.zh if lang == "zh" else info.label.en) if info.label else None
        if not label and lang == "en" and info.en:
            label = info.en[0][:1].upper() + info.en[0][1:]
        return label or value


class Attribute(Spec):
    """A record attribute for detail lists (ticket id, score, comment): not grouped, only listed or filtered."""

    name: str
    table: str
    expr: str | None = None
    type: ValueType = "string"
    format: Format | None = None
    label: Text = Text()
    synonyms: Synonyms = Synonyms()
    description: Text | None = None

    @property
    def sql(self) -> str:
        return self.expr or self.name


class Target(Spec):
    op: Literal["<", "<=", ">", ">="]
    value: float


class MetricBase(Spec):
    name: str
    label: Text = Text()
    synonyms: Synonyms = Synonyms()
    description: Text | None = None
    format: Format = "number"
    unit: str | None = None
    polarity: Polarity = "neutral"
    target: Target | None = None
    hidden: bool = False
    """Building blocks of other metrics: queryable, but not offered to people."""


Aggregation = Literal["count", "count_distinct", "sum", "avg", "min", "max", "median", "percentile"]


class SimpleMetric(MetricBase):
    """An aggregation over one table's rows, optionally filtered: `avg(expr) where filter`."""

    type: Literal["simple"] = "simple"
    table: str
    agg: Aggregation
    expr: str | None = None
    percentile: float | None = Field(default=None, gt=0, lt=1)
    filter: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> SimpleMetric:
        if self.agg != "count" and not self.expr:
            raise ValueError(f"agg '{self.agg}' needs an expr")
        if (self.agg == "percentile") != (self.percentile is not None):
            raise ValueError("percentile is required with agg 'percentile' and only then")
        return self

    @property
    def additive(self) -> bool:
        return self.agg in ("count", "sum")


class RatioMetric(MetricBase):
    """numerator / denominator, each another metric (possibly of another table); NULL when 0/0."""

    type: Literal["ratio"]
    numerator: str
    denominator: str


class DerivedMetric(MetricBase):
    """An arithmetic SQL expression over other metrics' names, e.g. `100.0 * (promoters - detractors) / n`."""

    type: Literal["derived"]
    expr: str


class SnapshotMetric(MetricBase):
    """Records open at a moment: entered at `start`, left at `end` (NULL: still open); counted at each
    period's end (with a time grain), at the range's end, or now."""

    type: Literal["snapshot"]
    table: str
    start: str
    end: str
    filter: str | None = None


METRIC_TYPES = ("simple", "ratio", "derived", "snapshot")


def _metric_type(value: Any) -> str:
    # A metric without `type` is a simple aggregation.
    return value.get("type", "simple") if isinstance(value, dict) else getattr(value, "type", "simple")


Metric = Annotated[
    Annotated[SimpleMetric, Tag("simple")]
    | Annotated[RatioMetric, Tag("ratio")]
    | Annotated[DerivedMetric, Tag("derived")]
    | Annotated[SnapshotMetric, Tag("snapshot")],
    Discriminator(_metric_type),
]


class VerifiedQuestion(Spec):
    question: Text
    query: dict[str, Any]
    """A SemanticQuery (may use a relative `time_range: {period: ...}`); checked when the model loads."""


class PolicyFilter(Spec):
    dimension: str
    op: Literal["eq", "in"] = "eq"
    values: tuple[str, ...]
    """Literal values or templates such as `{user.region}` filled from the identity's attributes."""


class AccessPolicy(Spec):
    """A row filter from a user attribute; a user without the attribute sees nothing (default deny)."""

    attribute: str
    filter: PolicyFilter
    bypass_roles: tuple[str, ...] = ()


class SemanticModel(Spec):
    name: str
    description: Text | None = None
    default_language: Language = "zh"
    calendar: Calendar = Calendar()
    default_time_range: str | None = None
    """A relative period (e.g. `last_12_months`) for questions that name no time."""
    tables: tuple[Table, ...]
    relationships: tuple[Relationship, ...] = ()
    dimensions: tuple[Dimension, ...] = ()
    attributes: tuple[Attribute, ...] = ()
    metrics: tuple[Metric, ...]
    verified_questions: tuple[VerifiedQuestion, ...] = ()
    access_policies: tuple[AccessPolicy, ...] = ()

    @cached_property
    def tables_by_name(self) -> dict[str, Table]:
        return {t.name: t for t in self.tables}

    @cached_property
    def metrics_by_name(self) -> dict[str, SimpleMetric | RatioMetric | DerivedMetric | SnapshotMetric]:
        return {m.name: m for m in self.metrics}

    @cached_property
    def dimensions_by_name(self) -> dict[str, Dimension]:
        return {d.name: d for d in self.dimensions}

    @cached_property
    def attributes_by_name(self) -> dict[str, Attribute]:
        return {a.name: a for a in self.attributes}

    def table(self, name: str) -> Table:
        try:
            return self.tables_by_name[name]
        except KeyError:
            raise UnknownFieldError("table", name, self.tables_by_name) from None

    def metric(self, name: str) -> SimpleMetric | RatioMetric | DerivedMetric | SnapshotMetric:
        try:
            return self.metrics_by_name[name]
        except KeyError:
            raise UnknownFieldError("metric", name, self.metrics_by_name) from None

    def dimension(self, name: str) -> Dimension:
        try:
            return self.dimensions_by_name[name]
        except KeyError:
            raise UnknownFieldError("dimension", name, self.dimensions_by_name) from None

    def field(self, name: str) -> Dimension | Attribute:
        """A dimension or a record attribute (what detail queries list and filters name)."""
        if name in self.dimensions_by_name:
            return self.dimensions_by_name[name]
        if name in self.attributes_by_name:
            return self.attributes_by_name[name]
        raise UnknownFieldError("field", name, [*self.dimensions_by_name, *self.attributes_by_name])
