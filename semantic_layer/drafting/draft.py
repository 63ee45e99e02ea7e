"""A draft semantic model as `chatbi init` proposes it: the model's parts plus the comments that explain
each choice and the `REVIEW` notes a person should check. `yaml_writer.render_draft` writes it out."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model import Format, Language, Polarity, ValueType


@dataclass(frozen=True)
class Words:
    """What people call a thing: labels and synonyms in both languages."""

    label_en: str | None = None
    label_zh: str | None = None
    synonyms_en: tuple[str, ...] = ()
    synonyms_zh: tuple[str, ...] = ()


@dataclass(frozen=True)
class Notes:
    comments: tuple[str, ...] = ()
    """Plain comments: where a thing comes from, what its values look like."""
    review: tuple[str, ...] = ()
    """What a person should check (written as `# REVIEW: ...`)."""


@dataclass(frozen=True)
class DraftTable:
    name: str
    source: str
    primary_key: str | None
    time_dimension: str | None
    description: Words
    notes: Notes = Notes()


@dataclass(frozen=True)
class DraftDimension:
    name: str
    table: str
    expr: str
    type: str
    words: Words
    values: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=dict)
    """data value -> (Chinese aliases, English aliases)."""
    sample_values: tuple[str, ...] = ()
    notes: Notes = Notes()


@dataclass(frozen=True)
class DraftAttribute:
    name: str
    table: str
    expr: str
    type: ValueType
    words: Words
    format: Format | None = None
    notes: Notes = Notes()


@dataclass(frozen=True)
class DraftMetric:
    name: str
    words: Words
    description: Words
    """`label_en` / `label_zh` hold the description texts."""
    type: str = "simple"
    table: str | None = None
    agg: str | None = None
    expr: str | None = None
    percentile: float | None = None
    filter: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    format: Format = "number"
    unit: str | None = None
    polarity: Polarity = "neutral"
    hidden: bool = False
    notes: Notes = Notes()


@dataclass(frozen=True)
class DraftModel:
    name: str
    description: Words
    default_language: Language
    tables: tuple[DraftTable, ...]
    dimensions: tuple[DraftDimension, ...]
    attributes: tuple[DraftAttribute, ...]
    metrics: tuple[DraftMetric, ...]
    notes: Notes = Notes()

    def review_count(self) -> int:
        parts: list[DraftModel | DraftTable | DraftDimension | DraftAttribute | DraftMetric] = [
            self,
            *self.tables,
            *self.dimensions,
            *self.attributes,
            *self.metrics,
        ]
        return sum(len(part.notes.review) for part in parts)
