"""Answer assembly: plan a question, run what the intent needs through the semantic layer, and
package the public Answer (DESIGN.md section 4). The CLI and the server both use `answer_question`."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict

from semantic_layer.errors import AccessDeniedError, QueryError
from semantic_layer.identity import Identity
from semantic_layer.layer import SemanticLayer
from semantic_layer.model import Language, SemanticModel
from semantic_layer.query import DimensionRef, OrderBy, SemanticQuery
from semantic_layer.resolve import resolve_query
from semantic_layer.result import Column, QueryResult

from . import wording
from .analysis import Anomaly, ChangeExplanation, Concentration, Distribution
from .charts import choose_chart
from .insights import concentration, distribution, explain_change, find_anomalies
from .intent import Clarification, ClarifyOption, ConversationState, Intent, Plan, Shown
from .narrative import narrate

Status = Literal["answered", "clarify", "unsupported"]
Rephraser = Callable[[Intent, str, Sequence[dict[str, Any]]], str | None]
"""Rewords a narrative from its facts; None keeps the template (see agent.llm.rephrase)."""


class QuestionPlanner(Protocol):
    """What answering needs of a planner: the built-in parser, or the router in front of the LLM."""

    @property
    def model(self) -> SemanticModel: ...

    def plan(self, question: str, state: ConversationState | None = None) -> Plan: ...

    def choose(self, state: ConversationState, option_id: str) -> Plan: ...


class OptionView(BaseModel):
    id: str
    label: str


class ClarificationView(BaseModel):
    question: str
    options: list[OptionView]


class Answer(BaseModel):
    """What a question gets back; field names are public."""

    model_config = ConfigDict(frozen=True)

    status: Status
    answer: str | None = None
    facts: list[dict[str, Any]] = []
    chart: dict[str, Any] | None = None
    data: QueryResult | None = None
    query: Intent
    sql: str | list[str] | None = None
    source: Literal["base", "rollup", "cache"] = "base"
    suggestions: list[str] = []
    clarification: ClarificationView | None = None
    planner: Literal["rules", "llm"] = "rules"
    data_as_of: str | None = None
    conversation_id: str | None = None
    turn_id: str | None = None
    timings: dict[str, float] = {}


def data_query(intent: Intent) -> SemanticQuery | None:
    """The query whose rows answer the intent (a concentration lists the biggest groups first)."""
    query = intent.query
    if query is not None and intent.kind == "concentration":
        return query.model_copy(update={"order_by": (OrderBy(field=query.metrics[0], desc=True),)})
    return query


def _rejected(
    intent: Intent,
    error: QueryError,
    model: SemanticModel,
    plan: Plan,
    before: ConversationState,
    data_as_of: str | None,
    timings: dict[str, float],
) -> tuple[Answer, ConversationState]:
    """A clarification in place of a query the semantic layer refused: why, and questions it can answer."""
    lang = intent.language
    # the layer explains in English; a Chinese reader gets the question as read instead
    why = str(error).splitlines()[0] if lang == "en" else wording.restate(intent, model, lang)
    examples = [q.question.get(lang) for q in model.verified_questions if q.question.get(lang)][:3]
    options = tuple(
        ClarifyOption(id=f"option{i}", label=text, text=text) for i, text in enumerate(examples, start=1)
    )
    asking = Intent(
        kind="clarify",
        confidence=0.5,
        language=lang,
        clarification=Clarification(question=wording.say("rejected", lang, why=why), options=options),
    )
    state = before.model_copy(update={"pending": asking, "turns": plan.state.turns})
    return _asking(asking, plan, data_as_of, timings), state


def _asking(intent: Intent, plan: Plan, data_as_of: str | None, timings: dict[str, float]) -> Answer:
    """The answer card of a clarification: its question and options."""
    assert intent.clarification is not None
    view = ClarificationView(
        question=intent.clarification.question,
        options=[OptionView(id=o.id, label=o.label) for o in intent.clarification.options],
    )
    return Answer(
        status="clarify",
        query=intent,
        clarification=view,
        planner=plan.planner,
        data_as_of=data_as_of,
        timings=timings,
    )


def answer_question(
    planner: QuestionPlanner,
    layer: SemanticLayer,
    question: str,
    state: ConversationState | None = None,
    *,
    identity: Identity | None = None,
    choice: str | None = None,
    data_as_of: str | None = None,
    rephrase: Rephraser | None = None,
) -> tuple[Answer, ConversationState]:
    """Plan `question` (or take the clarification option `choice`) and answer it as `identity`;
    `rephrase`, when given, may reword the narrative (its checks decide)."""
    started = time.perf_counter()
    state = state or ConversationState()
    plan: Plan = planner.choose(state, choice) if choice else planner.plan(question, state)
    planned = time.perf_counter()
    intent = plan.intent
    timings = {"plan_ms": round((planned - started) * 1000, 3)}
    if intent.kind == "clarify" and intent.clarification is not None:
        return _asking(intent, plan, data_as_of, timings), plan.state
    if intent.kind == "unsupported":
        answer = Answer(
            status="unsupported",
            answer=intent.reason,
            query=intent,
            suggestions=list(intent.alternatives),
            planner=plan.planner,
            data_as_of=data_as_of,
            timings=timings,
        )
        return answer, plan.state
    query = data_query(intent)
    assert query is not None
    analysis: ChangeExplanation | Concentration | Distribution | None = None
    anomalies: list[Anomaly] = []
    try:
        if intent.kind == "distribution":
            analysis = distribution(layer, query, identity)
            result = _bins_result(analysis, layer, intent.language)
        else:
            result = layer.query(query, identity, language=intent.language)
            timings.update(result.timings)
            if intent.kind == "explain_change":
                analysis = explain_change(layer, query, identity)
            elif intent.kind == "concentration":
                analysis = concentration(layer, query, identity)
            elif intent.kind == "metric":
                anomalies = _anomalies(query, result)
    except AccessDeniedError:
        raise
    except QueryError as error:  # a reading the layer cannot run: ask, never an HTTP error (issue 15)
        return _rejected(intent, error, layer.model, plan, state, data_as_of, timings)
    analysed = time.perf_counter()
    text, facts = narrate(
        intent,
        result,
        layer.model,
        today=layer.clock.today(),
        data_as_of=data_as_of,
        analysis=analysis,
        anomalies=anomalies,
    )
    fact_dicts = [fact.model_dump() for fact in facts]
    if rephrase is not None and text:
        rephrasing = time.perf_counter()
        text = rephrase(intent, text, fact_dicts) or text
        timings["rephrase_ms"] = round((time.perf_counter() - rephrasing) * 1000, 3)
    chart = choose_chart(intent, result, layer.model, analysis=analysis, anomalies=anomalies)
    sql: str | list[str] = result.sql
    if analysis is not None:  # every query the answer ran, the segment search's too
        sql = [result.sql, *analysis.sql, *getattr(analysis, "segment_sql", ())]
    timings["analysis_ms"] = round((analysed - planned) * 1000, 3)
    timings["total_ms"] = round((time.perf_counter() - started) * 1000, 3)
    answer = Answer(
        status="answered",
        answer=text,
        facts=fact_dicts,
        chart=chart,
        query=intent,
        data=result,
        sql=sql,
        data_as_of=data_as_of,
        timings=timings,
        planner=plan.planner,
        source=result.source,
        suggestions=suggest(intent, planner.model),
    )
    return answer, remember_shown(plan.state, intent, result)


MAX_SHOWN = 50


def remember_shown(state: ConversationState, intent: Intent, result: QueryResult) -> ConversationState:
    """The state with the groups the answer showed (its first categorical dimension's values, in
    order), so that a follow-up's "那个大区" or "those two" names them."""
    query = intent.query
    if intent.kind not in ("metric", "concentration") or query is None or not query.metrics:
        return state
    dimension = next((d.name for d in query.dimensions if d.grain is None), None)
    if dimension is None or dimension not in [c.name for c in result.columns]:
        return state.model_copy(update={"shown": None})
    rows = [r for r in zip(result.column_values(dimension), result.column_values(query.metrics[0]), strict=True)
            if r[0] is not None][:MAX_SHOWN]  # fmt: skip
    values = tuple(dict.fromkeys(str(v) for v, _ in rows))
    by_value = sorted(rows, key=lambda r: (r[1] is None, -(r[1] or 0)))
    ranked = tuple(dict.fromkeys(str(v) for v, _ in by_value))
    return state.model_copy(update={"shown": Shown(dimension=dimension, values=values, ranked=ranked)})


def _anomalies(query: SemanticQuery, result: QueryResult) -> list[Anomaly]:
    """Unusual periods of a single time series (one metric over a time grain, no other dimension)."""
    if len(query.dimensions) != 1 or query.dimensions[0].grain is None or query.compare:
        return []
    period, metric = query.dimensions[0].name, query.metrics[0]
    return find_anomalies([(str(row[period]), row[metric]) for row in result.records()])


def _bins_result(analysis: Distribution, layer: SemanticLayer, lang: Language) -> QueryResult:
    """A distribution's histogram as rows (bin start, bin end, count) for the table and the CSV."""
    attribute = layer.model.attributes_by_name.get(analysis.field)
    label = attribute.label.get(lang) if attribute else analysis.field
    fmt = attribute.format if attribute else None
    words = {"zh": ("起", "止", "记录数"), "en": ("from", "to", "records")}[lang]
    columns = [
        Column(
            name="bin_start",
            type="number",
            label=f"{label}（{words[0]}）" if lang == "zh" else f"{label} {words[0]}",
            format=fmt,
        ),
        Column(
            name="bin_end",
            type="number",
            label=f"{label}（{words[1]}）" if lang == "zh" else f"{label} {words[1]}",
            format=fmt,
        ),
        Column(name="count", type="integer", label=words[2], format="count"),
    ]
    rows: list[list[Any]] = [[b.start, b.end, b.count] for b in analysis.bins]
    return QueryResult(columns=columns, rows=rows, sql=analysis.sql[-1] if analysis.sql else "")


def suggest(intent: Intent, model: SemanticModel) -> list[str]:
    """Two or three follow-ups that drill down or compare, phrased so that the planner understands them."""
    query = intent.query
    if query is None or not query.metrics:
        return []
    lang: Language = intent.language
    used = {d.name for d in query.dimensions} | {f.dimension for f in query.filters if f.dimension}
    metric = model.metric(query.metrics[0])
    candidates = [
        d
        for d in model.dimensions
        if d.type == "categorical" and d.name not in used and reachable(model, metric.name, d.name)
    ]
    suggestions = []
    for dimension in candidates[:2]:
        label = dimension.label.get(lang)
        suggestions.append(f"按{label}拆分" if lang == "zh" else f"Break it down by {label.lower()}")
    if not query.compare and query.time_range is not None:
        suggestions.append("和上期相比呢？" if lang == "zh" else "Compare with the previous period")
    elif not any(d.grain for d in query.dimensions):
        suggestions.append("看看趋势" if lang == "zh" else "Show the trend")
    return suggestions[:3]


_REACHABLE: dict[int, tuple[SemanticModel, dict[tuple[str, str], bool]]] = {}


def reachable(model: SemanticModel, metric: str, dimension: str) -> bool:
    """Whether the metric can be broken down by the dimension (a declared join reaches it). A model is
    immutable, so the answer is kept per model object (the newest few)."""
    entry = _REACHABLE.get(id(model))
    if entry is None or entry[0] is not model:
        if len(_REACHABLE) > 8:
            _REACHABLE.clear()
        entry = _REACHABLE[id(model)] = (model, {})
    known = entry[1]
    if (metric, dimension) not in known:
        known[(metric, dimension)] = _joins(model, metric, dimension)
    return known[(metric, dimension)]


def _joins(model: SemanticModel, metric: str, dimension: str) -> bool:
    try:
        resolve_query(model, SemanticQuery(metrics=(metric,), dimensions=(DimensionRef(name=dimension),)))
    except QueryError:
        return False
    return True
