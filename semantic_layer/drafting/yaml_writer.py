"""Write a draft model as YAML in the layout of the bundled model, with its comments and `# REVIEW:`
notes above the entries they are about. Values are quoted by PyYAML, so any text is safe."""

from __future__ import annotations

import textwrap
from typing import Any

import yaml

from .draft import DraftAttribute, DraftDimension, DraftMetric, DraftModel, DraftTable, Notes, Words

WIDTH = 110


def render_draft(draft: DraftModel, *, header: tuple[str, ...] = ()) -> str:
    """The YAML text of `draft`; `header` lines go first, as comments."""
    lines: list[str] = [*(_comment(line, "") for line in header)]
    lines += [f"name: {_flow(draft.name)}"]
    lines += _texts("description", draft.description, "")
    lines += [f"default_language: {draft.default_language}", "calendar: {timezone: UTC, week_start: monday}"]
    lines += _review(
        "times without a zone are taken as written (a file's times with a zone were converted to UTC; a "
        "database's are read in this time zone): set calendar.timezone to the zone your data is in, so "
        "that 'today' and 'last month' follow it",
        "",
    )
    lines += _review(
        "no default_time_range: a question that names no period covers all the data; add e.g. "
        "`default_time_range: last_12_months` to change that",
        "",
    )
    lines += _notes(draft.notes, "")
    lines += ["", "tables:"]
    for table in draft.tables:
        lines += _table(table)
    if draft.dimensions:
        lines += ["", "dimensions:"]
        for dimension in draft.dimensions:
            lines += _dimension(dimension)
    if draft.attributes:
        lines += ["", "attributes:"]
        for attribute in draft.attributes:
            lines += _attribute(attribute)
    lines += ["", "metrics:"]
    for metric in draft.metrics:
        lines += _metric(metric)
    return "\n".join(lines) + "\n"


def _table(table: DraftTable) -> list[str]:
    lines = [
        *_notes(table.notes, "  "),
        f"  - name: {_flow(table.name)}",
        f"    source: {_flow(table.source)}",
    ]
    if table.primary_key:
        lines.append(f"    primary_key: {_flow(table.primary_key)}")
    if table.time_dimension:
        lines.append(f"    time_dimension: {_flow(table.time_dimension)}")
    return lines + _texts("description", table.description, "    ")


def _dimension(dimension: DraftDimension) -> list[str]:
    lines = ["", *_notes(dimension.notes, "  "), f"  - name: {_flow(dimension.name)}"]
    if dimension.type != "categorical":
        lines.append(f"    type: {dimension.type}")
    lines.append(f"    table: {_flow(dimension.table)}")
    if dimension.expr != dimension.name:
        lines.append(f"    expr: {_flow(dimension.expr)}")
    lines += _words(dimension.words, "    ")
    if dimension.values:
        lines.append("    values:")
        for value, (zh, en) in dimension.values.items():
            aliases = {k: list(v) for k, v in (("zh", zh), ("en", en)) if v}
            lines.append(f"      {_flow(value)}: {_flow(aliases)}")
    if dimension.sample_values:
        lines.append(f"    sample_values: {_flow(list(dimension.sample_values))}")
    return lines


def _attribute(attribute: DraftAttribute) -> list[str]:
    lines = ["", *_notes(attribute.notes, "  "), f"  - name: {_flow(attribute.name)}",
             f"    table: {_flow(attribute.table)}"]  # fmt: skip
    if attribute.expr != attribute.name:
        lines.append(f"    expr: {_flow(attribute.expr)}")
    if attribute.type != "string":
        lines.append(f"    type: {attribute.type}")
    if attribute.format:
        lines.append(f"    format: {attribute.format}")
    return lines + _words(attribute.words, "    ")


def _metric(metric: DraftMetric) -> list[str]:
    lines = ["", *_notes(metric.notes, "  "), f"  - name: {_flow(metric.name)}"]
    fields: list[tuple[str, Any]] = [
        ("type", None if metric.type == "simple" else metric.type),
        ("table", metric.table), ("agg", metric.agg), ("percentile", metric.percentile),
        ("expr", metric.expr), ("filter", metric.filter), ("numerator", metric.numerator),
        ("denominator", metric.denominator), ("format", metric.format), ("unit", metric.unit),
        ("polarity", None if metric.polarity == "neutral" else metric.polarity),
        ("hidden", True if metric.hidden else None),
    ]  # fmt: skip
    lines += [f"    {key}: {_flow(value)}" for key, value in fields if value is not None]
    return lines + _words(metric.words, "    ") + _texts("description", metric.description, "    ")


def _words(words: Words, indent: str) -> list[str]:
    lines = _texts("label", words, indent)
    synonyms = {k: list(v) for k, v in (("en", words.synonyms_en), ("zh", words.synonyms_zh)) if v}
    if synonyms:
        lines.append(f"{indent}synonyms: {_flow(synonyms)}")
    return lines


def _texts(key: str, words: Words, indent: str) -> list[str]:
    texts = {k: v for k, v in (("en", words.label_en), ("zh", words.label_zh)) if v}
    return [f"{indent}{key}: {_flow(texts)}"] if texts else []


def _notes(notes: Notes, indent: str) -> list[str]:
    lines = [_comment(comment, indent) for comment in notes.comments]
    for note in notes.review:
        lines += _review(note, indent)
    return lines


def _review(text: str, indent: str) -> list[str]:
    return [_comment("REVIEW: " + text, indent)]


def _comment(text: str, indent: str) -> str:
    if text.startswith("  "):  # laid out by the caller (a command line)
        return f"{indent}# {text}".rstrip()
    flat = " ".join(text.split())
    wrapped = textwrap.wrap(flat, width=WIDTH - len(indent) - 2, subsequent_indent="  ") or [""]
    return "\n".join(f"{indent}# {line}".rstrip() for line in wrapped)


def _flow(value: Any) -> str:
    """`value` as one line of YAML (flow style), quoted where YAML needs it."""
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, sort_keys=False, width=2**31)
    return text.removesuffix("\n").removesuffix("\n...").strip()
