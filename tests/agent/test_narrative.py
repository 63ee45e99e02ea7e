"""Narratives: every number comes from the facts, polarity words are right, both languages read well."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from agent.answer import answer_question
from agent.evaluation import EVAL_TODAY, load_cases
from agent.intent import ConversationState, Intent
from agent.narrative import narrate
from agent.number_format import format_change, format_range, format_value
from agent.parser import Planner
from agent.value_index import build_value_index
from semantic_layer.engine import DuckDBEngine
from semantic_layer.freshness import data_as_of
from semantic_layer.layer import SemanticLayer
from semantic_layer.loader import load_model
from semantic_layer.periods import FixedClock
from semantic_layer.query import SemanticQuery
from semantic_layer.result import Column, QueryResult

CASES = load_cases(Path(__file__).parent / "eval")
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_MODEL = load_model()
LABELS = sorted(
    {
        text
        for item in (*_MODEL.metrics, *_MODEL.dimensions, *_MODEL.attributes)
        for text in (item.label.zh, item.label.en)
        if text
    },
    key=len,
    reverse=True,
)


@pytest.fixture(scope="module")
def setup(demo_db: Path) -> tuple[Planner, SemanticLayer, str | None]:
    model = load_model()
    layer = SemanticLayer(model, DuckDBEngine(demo_db), clock=FixedClock(EVAL_TODAY))
    return (
        Planner(model, build_value_index(layer), FixedClock(EVAL_TODAY)),
        layer,
        data_as_of(model, layer.engine),
    )


def test_every_number_in_every_narrative_of_the_eval_set_comes_from_the_facts(
    setup: tuple[Planner, SemanticLayer, str | None],
) -> None:
    planner, layer, as_of = setup
    checked = 0
    for case in CASES:
        state = ConversationState()
        for turn in case["turns"]:
            answer, state = answer_question(planner, layer, turn["q"], state, data_as_of=as_of)
            if answer.status != "answered":
                continue
            assert answer.answer, turn["q"]
            grounded = " ".join(str(fact["text"]) for fact in answer.facts)
            # Data values (AC-300, P1) and the model's own labels ("首次响应时长P90") are not numbers
            # the product computed; everything else must be a fact.
            text = answer.answer
            for label in LABELS:
                text = text.replace(label, " ")
            if answer.data is not None:
                for row in answer.data.rows:
                    for value in row:
                        if isinstance(value, str):
                            text = text.replace(value, " ")
            for number in NUMBER.findall(text):
                assert number in grounded, (
                    f"{turn['q']}: '{number}' in {answer.answer!r} is not in the facts {grounded!r}"
                )
            checked += 1
    assert checked > 200


def _kpi_intent(metric: str, lang: str) -> Intent:
    query = SemanticQuery(
        metrics=(metric,),
        time_range={"start": date(2026, 7, 1), "end": date(2026, 8, 1)},
        compare="previous_period",
    )  # type: ignore[arg-type]
    return Intent(kind="metric", query=query, confidence=0.9, language=lang)  # type: ignore[arg-type]


def _kpi_result(metric: str, now: float, before: float) -> QueryResult:
    names = [metric, f"{metric}__previous", f"{metric}__change", f"{metric}__change_pct"]
    return QueryResult(
        columns=[Column(name=n, type="number", label=n) for n in names],
        rows=[[now, before, now - before, (now - before) / abs(before)]],
        sql="",
    )


@pytest.mark.parametrize(
    ("metric", "now", "before", "zh_word", "en_word"),
    [
        ("avg_csat", 3.68, 3.91, "恶化", "worse"),  # satisfaction down: worse
        ("avg_csat", 4.1, 3.9, "改善", "better"),
        ("avg_first_response_minutes", 20.0, 30.0, "改善", "better"),  # faster first response: better
        ("avg_first_response_minutes", 45.0, 30.0, "恶化", "worse"),
        ("complaint_rate", 0.08, 0.04, "恶化", "worse"),
        ("resolution_rate", 0.95, 0.90, "改善", "better"),
        ("response_sla_breach_rate", 0.05, 0.10, "改善", "better"),
        ("nps", -10.0, 5.0, "恶化", "worse"),
    ],
)
def test_polarity_words_follow_the_metric(
    metric: str, now: float, before: float, zh_word: str, en_word: str
) -> None:
    model = load_model()
    zh, _ = narrate(_kpi_intent(metric, "zh"), _kpi_result(metric, now, before), model, today=EVAL_TODAY)
    en, _ = narrate(_kpi_intent(metric, "en"), _kpi_result(metric, now, before), model, today=EVAL_TODAY)
    assert zh.endswith(f"，{zh_word}。"), zh
    assert en.endswith(f": {en_word}."), en
    moved = "上升" if now > before else "下降"
    assert moved in zh


def test_a_kpi_with_comparison_reads_naturally_in_both_languages() -> None:
    model = load_model()
    zh, facts = narrate(
        _kpi_intent("avg_csat", "zh"),
        _kpi_result("avg_csat", 3.68, 3.91),
        model,
        today=EVAL_TODAY,
        data_as_of="2026-11-15 23:58:00",
    )
    assert (
        zh
        == "2026年7月1日至7月31日，满意度为3.68分，较上期（3.91分）下降5.9%（-0.23分），恶化。数据截至2026年11月15日 23:58。"
    )
    en, _ = narrate(
        _kpi_intent("avg_csat", "en"), _kpi_result("avg_csat", 3.68, 3.91), model, today=EVAL_TODAY
    )
    assert (
        en == "CSAT: 3.68 (Jul 1 – Jul 31, 2026), down 5.9% (-0.23) from 3.91 in the previous period: worse."
    )
    assert {f.id for f in facts} >= {
        "time_range",
        "avg_csat",
        "previous",
        "change",
        "change_pct",
        "data_as_of",
    }


@pytest.mark.parametrize(
    ("value", "fmt", "zh", "en"),
    [
        (123456, "count", "12.3万", "123,456"),
        (9876, "count", "9,876", "9,876"),
        (0.1234, "percent", "12.3%", "12.3%"),
        (23.46, "minutes", "23.5分钟", "23.5 min"),
        (150, "minutes", "2.5小时", "2.5 h"),
        (30, "hours", "30.0小时", "30.0 h"),
        (3.912, "score", "3.91分", "3.91"),
    ],
)
def test_numbers_are_formatted_for_the_reader(value: float, fmt: str, zh: str, en: str) -> None:
    assert format_value(value, fmt, "zh") == zh
    assert format_value(value, fmt, "en") == en


def test_changes_and_ranges_are_formatted_for_the_reader() -> None:
    assert format_change(-0.023, "percent", "zh") == "-2.3个百分点"
    assert format_change(0.023, "percent", "en") == "+2.3 pts"
    assert format_range(date(2026, 7, 1), date(2026, 8, 1), "zh") == "2026年7月1日至7月31日"
    assert (
        format_range(date(2026, 11, 1), date(2026, 12, 1), "en", today=date(2026, 11, 15))
        == "Nov 1 – Nov 15, 2026"
    )


@pytest.mark.parametrize("metric", sorted(m.name for m in _MODEL.metrics if not m.hidden))
def test_every_metric_gets_the_verdict_its_polarity_says(metric: str) -> None:
    polarity = _MODEL.metric(metric).polarity
    for lang, good, bad in (("zh", "改善", "恶化"), ("en", "better", "worse")):
        up, _ = narrate(_kpi_intent(metric, lang), _kpi_result(metric, 12.0, 10.0), _MODEL, today=EVAL_TODAY)
        down, _ = narrate(_kpi_intent(metric, lang), _kpi_result(metric, 8.0, 10.0), _MODEL, today=EVAL_TODAY)
        if polarity == "neutral":
            assert good not in up + down and bad not in up + down
        else:
            rising_is_good = polarity == "higher_is_better"
            assert (good if rising_is_good else bad) in up, up
            assert (bad if rising_is_good else good) in down, down
