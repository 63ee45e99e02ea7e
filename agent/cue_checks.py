"""Cues that constrain the query: a question asking how long, for a share or how many must get a
duration, a rate or a count. When the metric the words matched is none of those ("how long do repairs
take" matched the repair count), the answer would be a different question's: the planner asks instead,
offering the metrics that fit, each as a complete question."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from rapidfuzz import fuzz

from semantic_layer.model import Language, Metric, RatioMetric, SemanticModel, SimpleMetric, SnapshotMetric
from semantic_layer.query import Filter, OrderBy, SemanticQuery
from semantic_layer.resolve import leaf_metrics

from . import cues, wording
from .intent import Clarification, ClarifyOption, Intent
from .text import normalize
from .vocabulary import flag_dimension, own_words

if TYPE_CHECKING:
    from .parser import Reading

DURATION_FORMATS = ("minutes", "hours", "days")
_NOT_NULL = re.compile(r"\s*([A-Za-z_]\w*)\s+is\s+not\s+null\s*", re.IGNORECASE)


def is_duration(metric: Metric) -> bool:
    return metric.format in DURATION_FORMATS


def is_share(metric: Metric) -> bool:
    return metric.format == "percent"


def is_count(metric: Metric) -> bool:
    if isinstance(metric, SnapshotMetric):
        return True
    if isinstance(metric, SimpleMetric):
        return metric.agg in ("count", "count_distinct") or (metric.agg == "sum" and metric.format == "count")
    return metric.format == "count"


# (the cue, what a metric must be, the message's key); English "how many" only: Chinese 多少 asks for any value
CHECKS: tuple[tuple[re.Pattern[str], Callable[[Metric], bool], str], ...] = (
    (cues.DURATION, is_duration, "duration"),
    (cues.SHARE, is_share, "share"),
    (cues.HOW_MANY, is_count, "count"),
)


def check_cues(model: SemanticModel, lang: Language, reading: Reading, intent: Intent) -> Intent:
    """The intent, or a clarification when a cue of the question contradicts its metrics."""
    query = intent.query
    if intent.kind not in ("metric", "explain_change") or query is None or not query.metrics:
        return intent
    text = _without_terms(reading)
    for cue, fits, key in CHECKS:
        if not cue.search(text):
            continue
        if any(fits(model.metric(name)) or _says(cue, model.metric(name)) for name in query.metrics):
            continue
        repaired = _repaired(model, reading, text, query, fits, key)
        if repaired is not None:
            return intent.model_copy(update={"query": repaired, "confidence": min(intent.confidence, 0.75)})
        return _ask(model, lang, reading.text, intent, query, fits, key)
    return intent


def _without_terms(reading: Reading) -> str:
    """The words a cue is looked for in: not those of a term ("解决时长" names its measure, so it asks
    for no duration), nor times, numbers and thresholds."""
    text = list(reading.cue_text)
    for start, end, role, _ in reading.spans:
        if role in ("metric", "field", "dimension", "value"):
            text[start:end] = " " * (end - start)
    return "".join(text)


def _repaired(
    model: SemanticModel,
    reading: Reading,
    text: str,
    query: SemanticQuery,
    fits: Callable[[Metric], bool],
    key: str,
) -> SemanticQuery | None:
    """The query with its first metric swapped for the one measure of the same thing the cue asks for,
    when there is exactly one: "how many tickets breached SLA" is the breach rate's numerator, "what
    share of tickets were complaints" the rate over the complaint count, "how long to resolve" the
    duration whose own words share the word that named the resolved count. None when unsure."""
    name = query.metrics[0]
    metric = model.metric(name)
    visible = [m for m in model.metrics if not m.hidden]
    if key == "count" and isinstance(metric, RatioMetric):
        numerator = model.metric(metric.numerator)  # hidden or not: a building block is queryable
        if not fits(numerator):
            return None
        both = numerator.name in _named(reading)  # "how many surveys, and the response rate": both asked
        replaced = _with_metrics(query, (numerator.name, name) if both else (numerator.name,))
        return replaced and replaced.model_copy(  # "how many reopens and the reopen rate": not a 100% rate
            update={
                "filters": tuple(f for f in replaced.filters if not _is_condition_of(model, f, numerator))
            }
        )
    if key == "count" and isinstance(metric, SimpleMetric) and metric.expr:
        # "how many tickets have had a first response": the count of the records the average has a value for
        used = set(re.findall(r"[a-z_]\w*", metric.expr.lower()))
        having = [
            m for m in model.metrics
            if isinstance(m, SimpleMetric) and m.table == metric.table and is_count(m)
            and (column := _NOT_NULL.fullmatch(m.filter or "")) and column.group(1).lower() in used
        ]  # fmt: skip
        return _with_metric(query, having[0].name) if len(having) == 1 else None
    if key == "share" and is_count(metric) and any(f.field for f in query.filters):
        # "what percent of surveys were 4 or 5 stars": the rate over them whose count is of those scores
        restating = [
            m for m in visible
            if isinstance(m, RatioMetric) and m.denominator == name and fits(m)
            and _said_by(query.filters, condition_bounds(model, model.metric(m.numerator)))
        ]  # fmt: skip
        replaced = _with_metric(query, restating[0].name) if len(restating) == 1 else None
        return replaced and replaced.model_copy(
            update={"filters": tuple(f for f in replaced.filters if not f.field)}
        )
    if key == "share" and is_count(metric):
        rates = [m for m in visible if isinstance(m, RatioMetric) and fits(m)]
        others = _named(reading) - {name}
        valued = [  # "what proportion of resolved tickets were closed via self-service": the rate whose
            m  # count is of that value, over the resolved tickets
            for m in rates
            if m.denominator == name
            and any(_counts_value(model.metric(m.numerator), f) for f in query.filters if f.dimension)
        ]
        if len(valued) == 1:
            numerator = model.metric(valued[0].numerator)
            replaced = _with_metric(query, valued[0].name)
            return replaced and replaced.model_copy(
                update={"filters": tuple(f for f in replaced.filters if not _counts_value(numerator, f))}
            )
        if (
            not others
            and _named_as_whole(reading, name)
            and any(f.dimension and f.op in ("eq", "in") for f in query.filters)
        ):
            # "what percent of complaints were P1": of complaints, by priority
            return _share_of_total(query, text)
        of = [m for m in rates if m.denominator == name and m.numerator in others]  # "portion of resolved
        of = of or [m for m in rates if m.numerator == name and m.denominator in others]  # tickets reopened"
        if not of and all(_counts_all(model.metric(o)) for o in others):
            # "what share were complaints", "share of tickets reopened": the rate of that count (by region
            # it could be each region's share: asked)
            of = [m for m in rates if m.numerator == name] if not query.dimensions else []
        if not of and not others and not (query.dimensions and any(m.numerator == name for m in rates)):
            # (by region, "各大区投诉的占比" may be each region's complaint rate: asked)
            return _share_of_total(query, text)
        if len(of) != 1:
            return None
        asked = bool(cues.HOW_MANY.search(text))  # "how many complaints, and what % is it"
        replaced = _with_metrics(query, (name, of[0].name) if asked else (of[0].name,))
        counted = model.metric(of[0].numerator)
        return replaced and replaced.model_copy(
            update={"filters": tuple(f for f in replaced.filters if not _is_condition_of(model, f, counted))}
        )
    if key == "duration":
        said = [
            reading.text[start:end]
            for start, end, role, ref in reading.spans
            if (role == "metric" and ref == name) or role == "value"  # "to get resolved"
        ]
        records = set(  # "how long do tickets take": the records' own noun names no duration
            _stems(
                [w for m in visible if _counts_all(m) and _table(m) == _table(metric) for w in own_words(m)]
            )
        )

        def sharing(words: list[str]) -> list[Metric]:
            stems = [stem for stem in _stems(words) if stem not in records]
            return [m for m in visible if fits(m) and stems and any(_shares(m, stem) for stem in stems)]

        # "takes the longest to fix": else the count's own words ("fix" names resolved tickets)
        same = sharing(said) or sharing([metric.label.get("en") or "", metric.label.get("zh") or ""])
        if len(same) != 1:
            return None
        replaced = _with_metric(query, same[0].name)
        naming = {  # "投诉工单平均多久解决": 解决 named the duration, it is no status filter
            tuple(ref.split("=", 1))
            for start, end, role, ref in reading.spans
            if role == "value"
            and ref
            and "=" in ref
            and any(_shares(same[0], s) for s in _stems([reading.text[start:end]]))
        }
        flag = flag_dimension(model, name)  # and the complaints are which records: the flag's yes
        kept = [f for f in query.filters if (f.dimension, str(f.values[0]) if f.values else "") not in naming]
        if flag is not None and not any(f.dimension == flag for f in kept):
            kept.append(Filter(dimension=flag, op="eq", values=(True,)))
        return replaced and replaced.model_copy(update={"filters": tuple(kept)})
    return None


_WHOLE_BEFORE = re.compile(
    r"(?:share|percent(?:age)?|portion|fraction|proportion|%)\s+of\s+(?:the\s+|our\s+|all\s+)?$"
)
_WHOLE_AFTER = re.compile(r"^\s*(?:当中|之中|里面|中|里)")


def _named_as_whole(reading: Reading, name: str) -> bool:
    """Whether the count is what a share is taken of ("percent of complaints were P1", "投诉中P1的占比"),
    rather than what is counted ("what share of tickets were complaints")."""
    return any(
        _WHOLE_BEFORE.search(reading.text[:start]) or _WHOLE_AFTER.search(reading.text[end:])
        for start, end, role, ref in reading.spans
        if role == "metric" and ref == name
    )


def condition_bounds(model: SemanticModel, metric: Metric) -> set[tuple[str, float]]:
    """The bounds the counts under a measure are defined by, as ("gte", lowest) or ("lte", highest):
    the satisfied count's csat_score >= 4 is ("gte", 4)."""
    return {
        ("gte" if op.startswith(">") else "lte", float(number) + {">": 1, "<": -1}.get(op, 0))
        for leaf in leaf_metrics(model, metric)
        for op, number in re.findall(
            r"[a-z_]\w*\s*(>=|>|<=|<)\s*(\d+(?:\.\d+)?)", getattr(leaf, "filter", "") or ""
        )
    }


def restates(bounds: set[tuple[str, float]], op: str, number: float) -> bool:
    """Whether a threshold says what one of the bounds does ("4 or more", "more than 3": >= 4)."""
    lowest = {n for kind, n in bounds if kind == "gte"}
    highest = {n for kind, n in bounds if kind == "lte"}
    return (
        (op == "gte" and number in lowest) or (op == "gt" and number + 1 in lowest)
        or (op == "lte" and number in highest) or (op == "lt" and number - 1 in highest)
    )  # fmt: skip


def _said_by(filters: tuple[Filter, ...], bounds: set[tuple[str, float]]) -> bool:
    """Whether the record filters are a count's condition said again: one restates a bound, the rest
    close the range above it ("4 or 5 stars": >= 4, and <= 5)."""
    fields = [(f, f.values[0]) for f in filters if f.field and isinstance(f.values[0], (int, float))]
    if len(fields) != sum(1 for f in filters if f.field):
        return False
    opening = [number for f, number in fields if restates(bounds, f.op, number)]
    return bool(opening) and all(
        restates(bounds, f.op, number) or (f.op in ("lte", "lt") and number >= min(opening))
        for f, number in fields
    )


def _share_of_total(query: SemanticQuery, text: str) -> SemanticQuery | None:
    """ "夜班单量占比", "各区域工单占比": no rate counts it, so the share is of the total: the count by
    the groups whose shares are asked (a value's dimension instead of the filter to it), from which
    the answer gives each group's share. Not a change in percent ("比2017年涨了百分之多少")."""
    if query.compare or cues.CHANGE.search(text):
        return None
    values = [f for f in query.filters if f.dimension and f.op in ("eq", "in")]
    if query.dimensions:
        return query if not values else None
    if len(values) != 1:
        return None
    grouped = {**query.model_dump(), "filters": [f for f in query.filters if f is not values[0]]}
    grouped["dimensions"] = [{"name": values[0].dimension}]
    try:
        return SemanticQuery.model_validate(grouped)
    except ValueError:
        return None


def _counts_all(metric: Metric) -> bool:
    """A count of every record ("tickets"): naming it says what is counted, not a second measure."""
    return isinstance(metric, SimpleMetric) and metric.agg == "count" and not metric.filter


def _counts_value(count: Metric, condition: Filter) -> bool:
    """Whether a count is of the records holding the filter's value (its own condition names it)."""
    said = getattr(count, "filter", None) or ""
    return condition.op in ("eq", "in") and any(f"'{value}'" in said for value in condition.values)


def _is_condition_of(model: SemanticModel, condition: Filter, count: Metric) -> bool:
    """Whether a filter is the count's own condition (reopened = true for the reopened count): the
    rate of that count already counts it, so keeping it would make the rate 100%."""
    flag = flag_dimension(model, count.name)
    return flag is not None and condition.dimension == flag and condition.values == (True,)


def _named(reading: Reading) -> set[str]:
    """Every metric a word of the question could name."""
    return {
        n.strip() for _, _, role, ref in reading.spans if role == "metric" and ref for n in ref.split("|")
    }


def _table(metric: Metric) -> str | None:
    return getattr(metric, "table", None)


def _stems(phrases: list[str]) -> list[str]:
    """The words of `phrases` to look for in other measures' words (English words cut to 5 letters)."""
    return [
        w[:5] if w.isascii() else w
        for words in phrases
        for w in re.findall(r"[a-z]{4,}|[\u4e00-\u9fff]{2,}", words.lower())
    ]


def _shares(metric: Metric, stem: str) -> bool:
    if stem.isascii():
        return any(re.search(rf"\b{re.escape(stem)}", w) for w in own_words(metric))
    return any(stem in w for w in own_words(metric))


def _with_metrics(query: SemanticQuery, names: tuple[str, ...]) -> SemanticQuery | None:
    replaced = _with_metric(query, names[0])
    if replaced is None or len(names) == 1:
        return replaced
    return replaced.model_copy(update={"metrics": names})


def _says(cue: re.Pattern[str], metric: Metric) -> bool:
    """A metric whose own words carry the cue fits it ("平均处理时长" is a duration whatever its
    format: a drafted model may not know a column's unit)."""
    return any(cue.search(w) for w in own_words(metric))


def _ask(
    model: SemanticModel,
    lang: Language,
    text: str,
    intent: Intent,
    query: SemanticQuery,
    fits: Callable[[Metric], bool],
    key: str,
) -> Intent:
    matched = model.metric(query.metrics[0])
    candidates = [m for m in model.metrics if not m.hidden and fits(m)]
    ranked = sorted(candidates, key=lambda m: -_closeness(m, matched, text, lang))[:3]
    options: list[ClarifyOption] = []
    for metric in ranked:
        replaced = _with_metric(query, metric.name)
        if replaced is None:
            continue
        option = intent.model_copy(update={"query": replaced})
        label = wording.restate(option, model, lang)
        options.append(ClarifyOption(id=f"option{len(options) + 1}", label=label, intent=option))
    if not options:
        return Intent(
            kind="unsupported", confidence=0.2, language=lang, reason=wording.say(f"no_{key}", lang)
        )
    question = wording.say(f"cue_{key}", lang, metric=matched.label.get(lang) or matched.name)
    return Intent(
        kind="clarify",
        confidence=0.5,
        language=lang,
        clarification=Clarification(question=question, options=tuple(options)),
    )


def _closeness(candidate: Metric, matched: Metric, text: str, lang: Language) -> float:
    """How near a fitting metric is to what was asked: its words in the question, its table."""
    words = [
        w for w in (candidate.label.get(lang), candidate.label.get("en"), *candidate.synonyms.all()) if w
    ]
    score = max((fuzz.partial_ratio(normalize(w), text) for w in words), default=0.0)
    same_table = getattr(candidate, "table", None) == getattr(matched, "table", None)
    return score + (10 if same_table else 0)


def _with_metric(query: SemanticQuery, name: str) -> SemanticQuery | None:
    old = query.metrics[0]
    order = tuple(OrderBy(field=name if o.field == old else o.field, desc=o.desc) for o in query.order_by)
    filters = tuple(f for f in query.filters if f.metric != old)
    try:
        return SemanticQuery.model_validate(
            {**query.model_dump(), "metrics": (name,), "order_by": order, "filters": filters}
        )
    except ValueError:
        return None
