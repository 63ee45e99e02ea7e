"""Never confidently wrong (issue 15): a question whose every word is not accounted for, whose cues
contradict the metric, or that asks about the future is asked back or refused, never answered as a
different question."""

from __future__ import annotations

import pytest

from agent.intent import ConversationState
from agent.parser import Planner


@pytest.fixture(scope="module")
def planner(eval_planner: Planner) -> Planner:
    return eval_planner


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
    [("本月仓位和投诉量", "仓位"), ("complaints from the warehouse robots this month", "warehouse")],
)
def test_an_unknown_word_is_named_and_the_reading_without_it_is_only_an_option(
    planner: Planner, question: str, word: str
) -> None:
    intent = planner.plan(question).intent
    assert intent.kind == "clarify" and intent.clarification is not None
    assert word in intent.clarification.question
    first = intent.clarification.options[0]
    assert first.intent is not None and first.intent.query is not None and word in first.label
    this_month = "2026年11月1日至11月30日" if "仓位" in question else "Nov 1 – Nov 30, 2026"
    assert this_month in first.label  # the inclusive last day, as the narrative writes ranges
    assert all(o.intent is not None or o.text for o in intent.clarification.options)  # complete questions


def test_a_duration_question_gets_a_duration(planner: Planner) -> None:
    intent = planner.plan("how long do tickets take to resolve in 华东?").intent
    assert intent.kind == "metric" and intent.query is not None
    assert [planner.model.metric(m).format for m in intent.query.metrics] == ["hours"]


@pytest.mark.parametrize(
    ("question", "cue", "fits"),
    [("各大区投诉的占比", "比例", {"percent"}), ("how many CSAT this month", "how many", {"count"})],
)
def test_a_cue_the_metric_contradicts_offers_metrics_that_fit(
    planner: Planner, question: str, cue: str, fits: set[str]
) -> None:
    intent = planner.plan(question).intent
    assert intent.kind == "clarify" and intent.clarification is not None
    assert cue in intent.clarification.question
    assert intent.clarification.options
    for option in intent.clarification.options:
        assert option.intent is not None and option.intent.query is not None
        assert {planner.model.metric(m).format for m in option.intent.query.metrics} <= fits


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
