"""Cues that constrain the query: a question asking how long, for a share or how many must get a
duration, a rate or a count. When the metric the words matched is none of those ("how long do repairs
take" matched the repair count), the answer would be a different question's: the planner asks instead,
offering the metrics that fit, each as a complete question."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from rapidfuzz import fuzz

from semantic_layer.model import Language, Metric, SemanticModel, SimpleMetric, SnapshotMetric
from semantic_layer.query import OrderBy, SemanticQuery

from . import cues, wording
from .intent import Clarification, ClarifyOption, Intent
from .text import normalize

if TYPE_CHECKING:
    from .parser import Reading

DURATION_FORMATS = ("minutes", "hours", "days")


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
    for cue, fits, key in CHECKS:
        if not cue.search(reading.cue_text):
            continue
        if any(fits(model.metric(name)) or _says(cue, model.metric(name)) for name in query.metrics):
            continue
        return _ask(model, lang, reading.text, intent, query, fits, key)
    return intent


def _says(cue: re.Pattern[str], metric: Metric) -> bool:
    """A metric whose own words carry the cue fits it ("平均处理时长" is a duration whatever its
    format: a drafted model may not know a column's unit)."""
    words = [metric.label.get("zh"), metric.label.get("en"), *metric.synonyms.all()]
    return any(cue.search(normalize(w)) for w in words if w)


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
