"""The words a model gives people: metric, dimension and field names, labels, synonyms and data values
in both languages, and how to find them in a question (longest match first, typos forgiven)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, Protocol

from rapidfuzz import fuzz, process

from semantic_layer.model import SemanticModel, Synonyms, Text

from .sounds import sound_alike
from .text import has_cjk, is_cjk, normalize, squash_sql
from .unknown_words import lexicon
from .value_index import ValueIndex

TermKind = Literal["metric", "dimension", "value", "field"]
# When one span names several things, prefer the more specific reading.
_KIND_RANK = {"value": 0, "metric": 1, "field": 2, "dimension": 3}


@dataclass(frozen=True)
class Term:
    text: str
    kind: TermKind
    name: str
    value: str | None = None


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    terms: tuple[Term, ...]
    """Every reading of the span (several when the words are ambiguous)."""
    fuzzy: bool = False

    @property
    def kind(self) -> TermKind:
        return self.terms[0].kind

    def names(self, kind: TermKind) -> list[str]:
        return list(dict.fromkeys(t.name for t in self.terms if t.kind == kind))


class _Worded(Protocol):
    label: Text
    synonyms: Synonyms


def own_words(item: _Worded) -> list[str]:
    """A metric's, dimension's or field's own words (labels in both languages and synonyms), normalised."""
    return [normalize(w) for w in (item.label.zh, item.label.en, *item.synonyms.all()) if w]


def flag_dimension(model: SemanticModel, metric_name: str) -> str | None:
    """The yes/no dimension a count is the true side of (complaints: is_complaint)."""
    metric = model.metrics_by_name.get(metric_name)
    condition = getattr(metric, "filter", None)
    if getattr(metric, "agg", None) != "count" or not condition:
        return None
    for dimension in model.dimensions:
        on_table = dimension.on.get(getattr(metric, "table", ""))
        if dimension.type == "boolean" and on_table and squash_sql(on_table) == squash_sql(condition):
            return dimension.name
    return None


def _variants(text: str) -> set[str]:
    base = normalize(text)
    variants = {base}
    # 自助解决率 said as 自助解决的比例 (not 占比: "各大区投诉的占比" may be each region's share)
    if has_cjk(base) and base.endswith("率") and len(base) >= 3:
        variants |= {base[:-1] + way for way in ("比例", "的比例")}
    if not has_cjk(base) and base.endswith(" rate"):  # "self service resolution %"
        variants |= {base[:-5] + " %", base[:-5] + "%"}
    if not has_cjk(base):
        variants.add(base.replace("_", " "))
        variants.add(base.replace("-", " "))
        if len(base) > 3 and not base.endswith("s"):
            variants.add(base[:-1] + "ies" if base.endswith("y") and base[-2] not in "aeiou" else base + "s")
        elif len(base) > 5 and base.endswith("s") and not base.endswith("ss"):  # "schools": a school
            one = base[:-3] + "y" if base.endswith("ies") else base[:-1]
            if one.split()[-1] not in lexicon().en_words:  # "filters" is a category; "filter" a request
                variants.add(one)
        elif 2 <= len(base) <= 3 and base[-1].isalnum():  # codes: "P1s", "VIPs"
            variants.add(base + "s")
    return {v for v in variants if v}


class Vocabulary:
    def __init__(self, model: SemanticModel, values: ValueIndex, *, scoped: bool = False) -> None:
        """`scoped`: `values` are what one user may see (an access policy applies), so a value the model
        declares but the user's data lacks is out of their scope (`hidden`), not merely absent."""
        self.model = model
        self.hidden: set[tuple[str, str]] = set()
        terms: list[Term] = []

        def add(kind: TermKind, name: str, texts: Iterable[str], value: str | None = None) -> None:
            for text in texts:
                terms.extend(Term(v, kind, name, value) for v in _variants(text))

        for metric in model.metrics:
            # A hidden metric is a building block: not offered, but asked for by its label ("how many
            # satisfied responses"); its code name may be a column's, too common a word to match.
            names = [] if metric.hidden else [metric.name]
            add(
                "metric",
                metric.name,
                [*names, *filter(None, (metric.label.zh, metric.label.en)), *metric.synonyms.all()],
            )
        for dimension in model.dimensions:
            add(
                "dimension",
                dimension.name,
                [
                    dimension.name,
                    *filter(None, (dimension.label.zh, dimension.label.en)),
                    *dimension.synonyms.all(),
                ],
            )
            known = dict.fromkeys(
                [*dimension.values, *dimension.sample_values, *values.get(dimension.name, ())]
            )
            visible = values.get(dimension.name)
            for value in known:
                if scoped and visible is not None and value not in visible:
                    self.hidden.add((dimension.name, value))
                info = dimension.values.get(value)
                # Aliases, not display labels: a label such as "low" is too common a word to match.
                texts = [value, *info.zh, *info.en] if info else [value]
                add("value", dimension.name, texts, value)
        for attribute in model.attributes:
            add(
                "field",
                attribute.name,
                [
                    attribute.name,
                    *filter(None, (attribute.label.zh, attribute.label.en)),
                    *attribute.synonyms.all(),
                ],
            )
        # Single characters would match everywhere (a letter; 高/低 as labels of priorities), except
        # the model's own one-character words for metrics and dimensions (省, 市).
        self.terms = [
            t
            for t in dict.fromkeys(terms)
            if len(t.text) >= 2 or (has_cjk(t.text) and t.kind in ("metric", "dimension"))
        ]
        self._by_text: dict[str, list[Term]] = {}
        for term in self.terms:
            self._by_text.setdefault(term.text, []).append(term)
        # Term texts by their first two characters (one for one-character terms): a question is read
        # once, position by position, rather than searched once per term (thousands with the values).
        self._by_start: dict[str, list[str]] = {}
        for term_text in self._by_text:
            self._by_start.setdefault(term_text[:2], []).append(term_text)
        # Typos are forgiven in the words for metrics, dimensions and fields, not in data values.
        self._english = sorted(
            {
                t.text
                for t in self.terms
                if not has_cjk(t.text) and len(t.text) >= 5 and t.kind != "value" and "%" not in t.text
            }
        )
        # Words spelt as the model spells them are no typos ("did we close" is not "did we lose").
        self._spelt = frozenset(w for t in self.terms if not has_cjk(t.text) for w in t.text.split())
        # The words a homophone typo may stand for, by length and first character (a typo keeps the first).
        self._chinese: dict[tuple[int, str], list[str]] = {}
        for text in sorted({t.text for t in self.terms if t.kind != "value" and _all_chinese(t.text)}):
            if len(text) >= 2:
                self._chinese.setdefault((len(text), text[0]), []).append(text)
        self._sizes = sorted({size for size, _ in self._chinese}, reverse=True)

    def is_hidden(self, match: Match) -> bool:
        """Whether every value reading of `match` is out of the user's scope."""
        values = [(t.name, t.value) for t in match.terms if t.kind == "value"]
        return bool(values) and all(v in self.hidden for v in values)

    def find(self, text: str) -> list[Match]:
        """Non-overlapping matches in `text` (normalised), longest first, in reading order."""
        candidates: list[tuple[int, int, str]] = []
        for start in range(len(text)):
            for key in {text[start : start + 2], text[start]}:
                for term_text in self._by_start.get(key, ()):
                    end = start + len(term_text)
                    if text.startswith(term_text, start) and (
                        has_cjk(term_text) or _word_bounded(text, start, end)
                    ):
                        candidates.append((start, end, term_text))
        candidates.sort(key=lambda c: (-(c[1] - c[0]), c[0]))
        taken = [False] * len(text)
        matches: list[Match] = []
        for start, end, term_text in candidates:
            if any(taken[start:end]):
                continue
            for i in range(start, end):
                taken[i] = True
            readings = sorted(self._by_text[term_text], key=lambda t: _KIND_RANK[t.kind])
            matches.append(Match(start, end, tuple(readings)))
        matches += self._fuzzy(text, taken)
        # A shorter term may be part of a longer word typed by sound (超市率 for 超时率, 返修绿 for 返修率).
        sounded = self._homophones(text, [m for m in matches if not m.fuzzy])
        inside = [m for m in matches if any(s.start <= m.start and m.end <= s.end for s in sounded)]
        matches = [m for m in matches if m not in inside] + sounded
        return sorted(matches, key=lambda m: m.start)

    def _homophones(self, text: str, exact: list[Match]) -> list[Match]:
        """Chinese words that sound like a longer term, typed with a wrong character of the same sound
        ("满义度", "投述量", "返修绿"): a window may hold whole exact matches shorter than itself, never
        part of one; the longest windows win."""
        found: list[Match] = []
        taken = [False] * len(text)
        for size in self._sizes:
            for start in range(len(text) - size + 1):
                end = start + size
                window = text[start:end]
                if any(taken[start:end]) or not _all_chinese(window):
                    continue
                if any(
                    m.start < end and start < m.end and not (start <= m.start and m.end <= end) for m in exact
                ):
                    continue  # across a word's edge
                if any(start <= m.start and m.end <= end and m.end - m.start >= size for m in exact):
                    continue  # the window is an exact word already
                near = self._chinese.get((size, window[0]), ())
                term_text = next((t for t in near if sound_alike(window, t)), None)
                if term_text is None:
                    continue
                for j in range(start, end):
                    taken[j] = True
                readings = sorted(self._by_text[term_text], key=lambda t: _KIND_RANK[t.kind])
                found.append(Match(start, end, tuple(readings), fuzzy=True))
        return found

    def _forgivable(self, said: str, term: str) -> bool:
        """Whether the words said may be a typo of the term's: no word said is another real word than
        the term's ("did we close" is not "did we lose"; "satisfied customers" is "satisfied customer")."""
        words, term_words = said.split(), term.split()
        if len(words) != len(term_words):
            return True
        return all(
            w == t or w.startswith(t) or t.startswith(w) or not (w in self._spelt or w in lexicon().en_words)
            for w, t in zip(words, term_words, strict=True)
        )

    def _fuzzy(self, text: str, taken: list[bool]) -> list[Match]:
        """English words left over that are a typo away from a term ("complants", "satisfation");
        the closest windows of one to three words win."""
        words = [(m.start(), m.end()) for m in re.finditer(r"[a-z][a-z\-']+", text)]
        candidates: list[tuple[float, int, int, str]] = []
        for size in (1, 2, 3):
            for i in range(len(words) - size + 1):
                start, end = words[i][0], words[i + size - 1][1]
                if any(taken[start:end]) or end - start < 5:
                    continue
                if size == 1 and text[start:end] in lexicon().en_words:  # "prioritise" is no "priorities"
                    continue
                best = process.extractOne(text[start:end], self._english, scorer=fuzz.ratio, score_cutoff=86)
                if best is not None and self._forgivable(text[start:end], best[0]):
                    candidates.append((best[1], start, end, best[0]))
        found: list[Match] = []
        for _, start, end, term_text in sorted(candidates, key=lambda c: (-c[0], -(c[2] - c[1]))):
            if any(taken[start:end]):
                continue
            for j in range(start, end):
                taken[j] = True
            readings = sorted(
                (t for t in self._by_text[term_text] if t.kind != "value"), key=lambda t: _KIND_RANK[t.kind]
            )
            found.append(Match(start, end, tuple(readings), fuzzy=True))
        return found


def _all_chinese(text: str) -> bool:
    return all(is_cjk(ch) for ch in text)


def _word_bounded(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isascii() and before.isalnum()) and not (after.isascii() and after.isalnum())
