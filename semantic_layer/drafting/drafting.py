"""Profiles in, a draft semantic model out: dimensions, record attributes and metrics for each table,
labelled in English and Chinese, with a note on every guess a person should review."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..model import Format, ValueType
from .clashes import coarser_first, without_clashes
from .classification import ColumnRole, classify_column
from .draft import DraftAttribute, DraftDimension, DraftMetric, DraftModel, DraftTable, Notes, Words
from .metrics import (
    count_metric,
    duration_metrics,
    flag_metrics,
    measure_metrics,
    status_flags,
    status_metrics,
)
from .naming import humanize, identifier
from .profiling import ColumnProfile, TableProfile
from .vocabulary import ColumnWords, Vocabulary, load_vocabulary

SAMPLE_VALUES = 10
COMMENT_VALUES = 8
ORDERED_SHARE = 0.8
"""A start/end pair makes durations when the end is not before the start on this share of rows."""
_ATTRIBUTE_TYPES: dict[str, ValueType] = {"integer": "integer", "number": "number", "boolean": "boolean",
                                          "date": "date", "timestamp": "timestamp", "string": "string"}  # fmt: skip


@dataclass(frozen=True)
class DraftOptions:
    within_hours: int = 24
    """N of the "share closed within N hours" metric."""
    name: str | None = None
    """The model's name (from the source's name when None)."""
    origin: str | None = None
    """What the tables were read from, for the model's description (default: the files' names)."""


def draft_model(
    tables: Sequence[TableProfile],
    options: DraftOptions = DraftOptions(),
    vocabulary: Vocabulary | None = None,
) -> DraftModel:
    """A draft model over the profiled `tables`."""
    vocabulary = vocabulary or load_vocabulary()
    builder = _Builder(vocabulary, options)
    for table in tables:
        builder.add_table(table)
    chinese = sum(_has_cjk(c.original) for t in tables for c in t.columns)
    total = sum(len(t.columns) for t in tables) or 1
    name = options.name or identifier(tables[0].name if tables else "model", fallback="model")
    files = options.origin or ", ".join(sorted({t.file.name for t in tables if t.file}))
    metrics, dimensions, attributes = without_clashes(builder.metrics, builder.dimensions, builder.attributes)
    return DraftModel(
        name=name,
        description=Words(f"Drafted by chatbi init from {files}", f"由 chatbi init 从 {files} 生成的草稿"),
        default_language="zh" if chinese * 2 > total else "en",
        tables=tuple(builder.tables),
        dimensions=tuple(dimensions),
        attributes=tuple(attributes),
        metrics=tuple(metrics),
    )


class _Builder:
    def __init__(self, vocabulary: Vocabulary, options: DraftOptions) -> None:
        self.vocabulary = vocabulary
        self.options = options
        self.tables: list[DraftTable] = []
        self.dimensions: list[DraftDimension] = []
        self.attributes: list[DraftAttribute] = []
        self.metrics: list[DraftMetric] = []
        self.names: set[str] = set()

    def unique(self, wanted: str, table: str | None = None) -> str:
        name = wanted
        if name.lower() in self.names and table:
            name = f"{table}_{wanted}"
        name = identifier(name, self.names, fallback="field")
        self.names.add(name.lower())
        return name

    def add_table(self, table: TableProfile) -> None:
        described = {c.name: _fitting(c, self.vocabulary.describe_column(c.original)) for c in table.columns}
        roles = {c.name: classify_column(c, described[c.name]) for c in table.columns}
        field_names = {
            c.name: self.unique(c.name, table.name) for c in table.columns if roles[c.name].role != "empty"
        }
        times = [c for c in table.columns if roles[c.name].role == "time"]
        start = _start_column(times, described)
        term = self.vocabulary.record_term(table.name)
        if term is self.vocabulary.records[-1] and start and _has_end_or_status(table, described):
            term = self.vocabulary.records[0]  # a created time and a closed time or a status: requests

        def namer(wanted: str) -> str:  # a name another table took already gets this table's name first
            return self.unique(wanted, table.name)

        count = count_metric(table.name, term, namer)
        self.metrics.append(count)
        first_dimension = len(self.dimensions)
        for column in table.columns:
            role = roles[column.name]
            if role.role == "empty":
                continue
            words = _column_words(column, described[column.name])
            name = field_names[column.name]
            if role.role == "time":
                self.dimensions.append(self.time_dimension(table, column, name, words, column is start))
            elif role.role in ("dimension", "flag"):
                self.dimensions.append(self.dimension(table, column, name, words, role))
            elif role.role == "measure":  # its words go to its metrics; the record field keeps its label
                self.metrics += measure_metrics(table.name, column, words, namer)
                label_only = Words(words.label_en, words.label_zh)
                self.attributes.append(self.attribute(table, column, name, label_only, role))
            else:
                self.attributes.append(self.attribute(table, column, name, words, role))
            if role.role == "flag":
                self.metrics += flag_metrics(table.name, column, words, count.name, namer)
            if described[column.name].role == "status" and role.role == "dimension":
                self.metrics += status_metrics(table.name, column, term, count.name, self.vocabulary, namer)
                self.dimensions += status_flags(table.name, column, self.vocabulary, namer)
        for end in times:
            end_term = described[end.name].term
            pair = table.ordered_pairs.get((start.name, end.name)) if start else None
            if start is None or end is start or end_term is None or end_term.role != "end" or not pair:
                continue
            if pair[0] and pair[1] >= ORDERED_SHARE * pair[0]:
                verb = (end_term.verb_en or "close", end_term.verb_zh or "关闭")
                self.metrics += duration_metrics(
                    table.name, start, end, verb, count.name, self.options.within_hours, pair, namer
                )
        self.dimensions[first_dimension:] = coarser_first(self.dimensions[first_dimension:], table)
        self.tables.append(self.table(table, roles, field_names, start))

    def table(
        self,
        table: TableProfile,
        roles: dict[str, ColumnRole],
        names: dict[str, str],
        start: ColumnProfile | None,
    ) -> DraftTable:
        keys = [
            c
            for c in table.columns
            if roles[c.name].role == "identifier" and c.non_null == c.rows == c.distinct
        ]
        empty = [c.original for c in table.columns if roles[c.name].role == "empty"]
        review = [f"left out, always empty: {', '.join(repr(e) for e in empty)}"] if empty else []
        if start is None:
            review.append(
                "no time column found: questions about periods (last month, trends) cannot be answered"
            )
        review += table.review
        key = names[keys[0].name] if keys else None
        if table.source is not None:  # read in place in a database
            return self.database_table(table, key, names[start.name] if start else None, review)
        source = f"{table.file.name}, " if table.file else ""
        comments = [f"{source}{table.rows:,} rows, {len(table.columns)} columns", *table.notes]
        return DraftTable(
            name=table.name,
            source=table.name,
            primary_key=key,
            time_dimension=names[start.name] if start else None,
            description=Words(f"{table.rows:,} rows loaded from {table.file.name if table.file else table.name}",
                              f"从 {table.file.name if table.file else table.name} 载入的 {table.rows:,} 行"),
            notes=Notes(comments=tuple(comments), review=tuple(review)),
        )  # fmt: skip

    def database_table(
        self, table: TableProfile, key: str | None, time_dimension: str | None, review: list[str]
    ) -> DraftTable:
        assert table.source is not None
        total = table.rows if table.total_rows is None else table.total_rows
        comments = [f"table {table.source} of the database: {total:,} rows, {len(table.columns)} columns "
                    "profiled (read where it is, nothing copied)", *table.notes]  # fmt: skip
        if table.rows < total:
            review.insert(0, f"profiled from a random sample of {table.rows:,} of its {total:,} rows: the value "
                             "shares, ranges and counts in these comments are the sample's; the values a "
                             "dimension lists may miss rare ones")  # fmt: skip
            if key is not None:
                review.insert(1, f"primary_key {key} is unique in the sample: check that it is in the table")
        return DraftTable(
            name=table.name,
            source=table.source,
            primary_key=key,
            time_dimension=time_dimension,
            description=Words(f"{total:,} rows in {table.source} when drafted", f"生成草稿时 {table.source} 有 {total:,} 行"),
            notes=Notes(comments=tuple(comments), review=tuple(review)),
        )  # fmt: skip

    def time_dimension(
        self, table: TableProfile, column: ColumnProfile, name: str, words: Words, is_start: bool
    ) -> DraftDimension:
        comments = [f'from "{column.original}": {column.minimum} .. {column.maximum}'
                    + (f", {column.empty:,} empty" if column.empty else "")]  # fmt: skip
        if column.timestamp is not None:
            comments.append(f"read as {column.timestamp.description}")
        review = list(column.notes)
        if is_start:
            comments.append(f"the time that periods ('last month', trends) filter {table.name} by")
        return DraftDimension(
            name, table.name, column.name, "time", words, notes=Notes(tuple(comments), tuple(review))
        )

    def dimension(
        self, table: TableProfile, column: ColumnProfile, name: str, words: Words, role: ColumnRole
    ) -> DraftDimension:
        if role.role == "flag":
            return DraftDimension(name, table.name, column.name, "boolean", words,
                                  notes=Notes((f'from "{column.original}": true/false',), column.notes))  # fmt: skip
        shown = ", ".join(
            f"{value} ({count / column.non_null:.0%})" for value, count in column.top_values[:COMMENT_VALUES]
        )
        more = f", ... ({column.distinct:,} values)" if column.distinct > COMMENT_VALUES else ""
        comments = (f'from "{column.original}": {role.reason}; {shown}{more}',)
        values = {}
        for value, _ in column.top_values:
            zh, en = self.vocabulary.value_aliases(value)
            if zh or en:
                values[value] = (zh, en)
        review = list(column.notes)
        if values:
            review.append("value aliases suggested from the dictionary: check them")
        if column.kind in ("integer", "number"):
            review.append("numbers used as categories: check that grouping by them makes sense")
        samples = tuple(value for value, _ in column.top_values[:SAMPLE_VALUES])
        return DraftDimension(
            name, table.name, column.name, "categorical", words, values=values, sample_values=samples,
            notes=Notes(comments, tuple(review)),
        )  # fmt: skip

    def attribute(
        self, table: TableProfile, column: ColumnProfile, name: str, words: Words, role: ColumnRole
    ) -> DraftAttribute:
        value_type = _ATTRIBUTE_TYPES[column.kind]
        fmt: Format | None = None
        review = list(column.notes)
        if role.role not in ("identifier", "measure"):
            review.append(f"a record field, not a dimension: {role.reason}")
        return DraftAttribute(
            name, table.name, column.name, value_type, words, fmt,
            notes=Notes((f'from "{column.original}"',), tuple(review)),
        )  # fmt: skip


def _column_words(column: ColumnProfile, described: ColumnWords) -> Words:
    term = described.term
    label_en: str | None
    label_zh: str | None
    if _has_cjk(column.original):
        label_zh, label_en = column.original, described.label_en
    else:
        label_en, label_zh = humanize(column.original), described.label_zh
    synonyms_en: list[str] = []
    synonyms_zh: list[str] = []
    if term is not None and term.role != "noise":
        synonyms_en = [_lower(t) for t in (term.label_en, *term.synonyms_en) if t]
        synonyms_zh = [t for t in (term.label_zh, *term.synonyms_zh) if t]
    return Words(
        label_en,
        label_zh,
        tuple(s for s in dict.fromkeys(synonyms_en) if s.lower() != (label_en or "").lower()),
        tuple(s for s in dict.fromkeys(synonyms_zh) if s != label_zh),
    )


def _fitting(column: ColumnProfile, words: ColumnWords) -> ColumnWords:
    """The dictionary's reading of a name, unless the values contradict it ("Resolved?" holding yes/no
    is no resolution time)."""
    role = words.role
    if (role in ("start", "end") and not column.is_time) or (role == "status" and column.kind != "string"):
        return ColumnWords()
    return words


def _lower(text: str) -> str:
    """An English word as people type it: `Zip code` -> "zip code"; acronyms stay (`ID`)."""
    return " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in text.split())


def _start_column(times: list[ColumnProfile], described: dict[str, ColumnWords]) -> ColumnProfile | None:
    """The time that periods filter by: a creation-like time, else the fullest time column."""
    starts = [c for c in times if described[c.name].role == "start"]
    others = [c for c in times if described[c.name].role not in ("end",)]
    for group in (starts, others, times):
        if group:
            return max(group, key=lambda c: c.non_null)
    return None


def _has_end_or_status(table: TableProfile, described: dict[str, ColumnWords]) -> bool:
    return any(described[c.name].role in ("end", "status") for c in table.columns)


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)
