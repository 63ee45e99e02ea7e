"""Never confidently wrong (issue 15): a question whose every word is not accounted for, whose cues
contradict the metric, or that asks about the future is asked back or refused, never answered as a
different question."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.evaluation import EVAL_TODAY
from agent.intent import ConversationState
from agent.parser import Planner
from agent.value_index import build_value_index
from semantic_layer.engine import DuckDBEngine
from semantic_layer.layer import SemanticLayer
from semantic_layer.loader import load_model
from semantic_layer.periods import FixedClock


@pytest.fixture(scope="module")
def planner(demo_db: Path) -> Planner:
    model = load_model()
    layer = SemanticLayer(model, DuckDBEngine(demo_db), clock=FixedClock(EVAL_TODAY))
    return Planner(model, build_value_index(layer), FixedClock(EVAL_TODAY))


@pytest.mark.parametrize(
    "question",
    [
        "how many tickets will we get next month?",
        "下个月工单量预测",
        "预计下季度投诉会有多少",
        "forecast CSAT for Q1",
    ],
)
def test_the_future_is_refused_not_answered_with_the_past(planner: Planner, question: str) -> None:
    intent = planner.plan(question).intent
    assert intent.kind == "unsupported" and intent.query is None


@pytest.mark.parametrize(
    ("question", "word"),
    [("本月营收和投诉量", "营收"), ("complaints from the warehouse robots this month", "warehouse")],
)
def test_an_unknown_word_is_named_and_the_reading_without_it_is_only_an_option(
    planner: Planner, question: str, word: str
) -> None:
    intent = planner.plan(question).intent
    assert intent.kind == "clarify" and intent.clarification is not None
    assert word in intent.clarification.question
    first = intent.clarification.options[0]
    assert first.intent is not None and first.intent.query is not None and word in first.label
    assert all(o.intent is not None or o.text for o in intent.clarification.options)  # complete questions


@pytest.mark.parametrize(
    ("question", "fits"),
    [
        ("how long do tickets take to resolve in 华东?", {"minutes", "hours", "days"}),
        ("各大区投诉的占比", {"percent"}),
    ],
)
def test_a_cue_the_metric_contradicts_offers_metrics_that_fit(
    planner: Planner, question: str, fits: set[str]
) -> None:
    intent = planner.plan(question).intent
    if intent.kind == "metric":  # a metric that fits was found directly
        assert intent.query is not None
        assert {planner.model.metric(m).format for m in intent.query.metrics} & fits
        return
    assert intent.kind == "clarify" and intent.clarification is not None
    for option in intent.clarification.options:
        assert option.intent is not None and option.intent.query is not None
        assert {planner.model.metric(m).format for m in option.intent.query.metrics} <= fits


def test_how_many_with_a_rate_is_asked_back(planner: Planner) -> None:
    intent = planner.plan("how many people answered the NPS survey this year").intent
    assert intent.kind != "metric" or all(
        planner.model.metric(m).format == "count"
        for m in intent.query.metrics  # type: ignore[union-attr]
    )


@pytest.mark.parametrize(
    ("question", "op"),
    [
        ("非电话渠道的工单量", "ne"),
        ("ticket count not in 华东 this month", "ne"),
        ("tickets w/o email or 电话", "not_in"),
    ],
)
def test_negation_excludes(planner: Planner, question: str, op: str) -> None:
    intent = planner.plan(question).intent
    assert intent.kind == "metric" and intent.query is not None
    assert [f.op for f in intent.query.filters if f.dimension] == [op]


@pytest.mark.parametrize("garbage", ["asdkjh qwerty", "what's our profit margin?", "删除所有工单"])
def test_a_garbage_follow_up_never_reshows_the_previous_answer(planner: Planner, garbage: str) -> None:
    first = planner.plan("本月各大区的投诉量")
    assert first.intent.kind == "metric"
    second = planner.plan(garbage, first.state).intent
    assert second.kind in ("clarify", "unsupported"), second


@pytest.mark.parametrize(
    ("question", "start", "end"),
    [
        ("NPS by segment 1H", "2026-01-01", "2026-07-01"),
        ("complaints wk 45", "2026-11-02", "2026-11-09"),
        ("3、4月份的投诉量", "2026-03-01", "2026-05-01"),
        ("去年下半年的满意度", "2025-07-01", "2026-01-01"),
        ("tickets in the past fortnight", "2026-11-02", "2026-11-16"),
    ],
)
def test_abbreviated_and_listed_periods_are_read(
    planner: Planner, question: str, start: str, end: str
) -> None:
    intent = planner.plan(question, ConversationState()).intent
    assert intent.query is not None and intent.query.time_range is not None
    assert (str(intent.query.time_range.start), str(intent.query.time_range.end)) == (start, end)


def test_every_example_question_of_the_catalog_is_answered(planner: Planner) -> None:
    """The questions the product offers people must not be asked back or refused (issue 15)."""
    for verified in planner.model.verified_questions:
        for lang in ("zh", "en"):
            question = verified.question.get(lang)
            intent = planner.plan(question).intent
            assert intent.kind not in ("clarify", "unsupported"), (
                question,
                intent.clarification,
                intent.reason,
            )
