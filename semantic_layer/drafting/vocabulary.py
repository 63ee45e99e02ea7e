"""The bilingual dictionary of service-request terms (`vocabulary.yaml`, data) and how column names,
table names and data values are looked up in it."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .naming import words_of

VOCABULARY_PATH = Path(__file__).with_name("vocabulary.yaml")


@dataclass(frozen=True)
class Term:
    """One entry of the dictionary: a term's spellings, labels, synonyms and role."""

    en: tuple[str, ...]
    zh: tuple[str, ...]
    label_en: str | None = None
    label_zh: str | None = None
    synonyms_en: tuple[str, ...] = ()
    synonyms_zh: tuple[str, ...] = ()
    role: str | None = None
    verb_en: str | None = None
    verb_zh: str | None = None


@dataclass(frozen=True)
class ColumnWords:
    """What the dictionary says about one column name."""

    label_en: str | None = None
    label_zh: str | None = None
    """Labels built from the terms of the name; None where a word of the name is not in the dictionary."""
    term: Term | None = None
    """The term naming the whole column (its synonyms and role apply), if one does."""

    @property
    def role(self) -> str | None:
        return self.term.role if self.term else None


@dataclass(frozen=True)
class Vocabulary:
    columns: tuple[Term, ...]
    records: tuple[Term, ...]
    values: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]
    """lower-cased value -> (Chinese aliases, English aliases)."""
    closed_statuses: frozenset[str]

    def describe_column(self, name: str) -> ColumnWords:
        """Labels and, when one term names the whole column, the term itself."""
        if any("\u4e00" <= ch <= "\u9fff" for ch in name):
            parts = _segments(_chinese_units(name), self._zh_index)
        else:
            parts = _segments(words_of(name), self._en_index)
        meaningful = [(text, term) for text, term in parts if term is None or term.role != "noise"]
        if not meaningful:
            return ColumnWords()
        known = all(term is not None for _, term in meaningful)
        whole = meaningful[0][1] if len(meaningful) == 1 else None
        terms = [t for _, t in meaningful if t is not None]
        terms = [t for i, t in enumerate(terms) if i == 0 or t is not terms[i - 1]]  # "CSAT score": one score
        label_zh = "".join(t.label_zh or "" for t in terms) if known else None
        label_en = None
        if known:
            words = [t.label_en or "" for t in terms]
            label_en = " ".join([words[0], *(w if w.isupper() else w.lower() for w in words[1:])])
        return ColumnWords(label_en=label_en or None, label_zh=label_zh or None, term=whole)

    def record_term(self, table_name: str) -> Term:
        """What a count of `table_name`'s rows is called (`Records` when the name says nothing)."""
        words = words_of(table_name)
        text = " ".join(words)
        for term in self.records:
            if any(_contains_phrase(words, phrase.split()) for phrase in term.en):
                return term
            if any(phrase in text.replace(" ", "") for phrase in term.zh):
                return term
        known = self.describe_column(table_name)
        if known.term is not None and known.term.role in (None, "id") and known.label_en:
            noun = known.label_en if known.label_en.endswith("s") else known.label_en + "s"
            zh = f"{known.label_zh}数" if known.label_zh else None
            return Term(
                en=(),
                zh=(),
                label_en=noun,
                label_zh=zh,
                synonyms_en=(noun.lower(), f"number of {noun.lower()}"),
            )
        return self.records[-1]

    def value_aliases(self, value: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(Chinese aliases, English aliases) of a data value, empty when the dictionary has none."""
        return self.values.get(value.strip().lower(), ((), ()))

    def is_closed(self, status: str) -> bool:
        return status.strip().lower() in self.closed_statuses

    @functools.cached_property
    def _en_index(self) -> dict[tuple[str, ...], Term]:
        return {tuple(phrase.split()): term for term in self.columns for phrase in term.en}

    @functools.cached_property
    def _zh_index(self) -> dict[tuple[str, ...], Term]:
        return {tuple(phrase): term for term in self.columns for phrase in term.zh}


def _chinese_units(name: str) -> list[str]:
    """A Chinese name as characters (ASCII words kept whole), for phrase matching."""
    units: list[str] = []
    for word in words_of(name):
        units.extend(word if "\u4e00" <= word[0] <= "\u9fff" else [word])
    return units


def _segments(units: list[str], index: dict[tuple[str, ...], Term]) -> list[tuple[str, Term | None]]:
    """`units` split greedily into the longest dictionary phrases, left to right."""
    longest = max((len(key) for key in index), default=1)
    parts: list[tuple[str, Term | None]] = []
    i = 0
    while i < len(units):
        for size in range(min(longest, len(units) - i), 0, -1):
            term = index.get(tuple(units[i : i + size]))
            if term is not None:
                parts.append(("".join(units[i : i + size]), term))
                i += size
                break
        else:
            singular = (units[i][:-1],) if units[i].endswith("s") and len(units[i]) > 3 else None
            parts.append((units[i], index.get(singular) if singular else None))  # "agents" is an agent
            i += 1
    return parts


def _contains_phrase(words: list[str], phrase: list[str]) -> bool:
    return any(words[i : i + len(phrase)] == phrase for i in range(len(words) - len(phrase) + 1))


def _term(entry: dict[str, Any]) -> Term:
    label = entry.get("label") or {}
    synonyms = entry.get("synonyms") or {}
    verb = entry.get("verb") or {}
    return Term(
        en=tuple(str(p) for p in entry.get("en") or ()),
        zh=tuple(str(p) for p in entry.get("zh") or ()),
        label_en=label.get("en"),
        label_zh=label.get("zh"),
        synonyms_en=tuple(synonyms.get("en") or ()),
        synonyms_zh=tuple(synonyms.get("zh") or ()),
        role=entry.get("role"),
        verb_en=verb.get("en"),
        verb_zh=verb.get("zh"),
    )


@functools.cache
def load_vocabulary(path: Path = VOCABULARY_PATH) -> Vocabulary:
    """The dictionary at `path` (the bundled one by default)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    values = {
        str(key).lower(): (tuple(entry.get("zh") or ()), tuple(entry.get("en") or ()))
        for key, entry in (data.get("values") or {}).items()
    }
    return Vocabulary(
        columns=tuple(_term(e) for e in data["columns"]),
        records=tuple(_term(e) for e in data["records"]),
        values=values,
        closed_statuses=frozenset(str(s).lower() for s in data.get("closed_statuses") or ()),
    )
