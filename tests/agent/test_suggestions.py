"""Suggested follow-ups are in the question's language and the planner answers each of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.answer import answer_question
from agent.evaluation import EVAL_TODAY, load_cases
from agent.intent import ConversationState
from agent.parser import Planner
from agent.text import has_cjk
from agent.value_index import build_value_index
from semantic_layer.engine import DuckDBEngine
from semantic_layer.layer import SemanticLayer
from semantic_layer.loader import load_model
from semantic_layer.periods import FixedClock

CASES = [case for case in load_cases(Path(__file__).parent / "eval") if len(case["turns"]) == 1][::4]


@pytest.fixture(scope="module")
def setup(demo_db: Path) -> tuple[Planner, SemanticLayer]:
    model = load_model()
    layer = SemanticLayer(model, DuckDBEngine(demo_db), clock=FixedClock(EVAL_TODAY))
    return Planner(model, build_value_index(layer), FixedClock(EVAL_TODAY)), layer


def test_every_suggestion_is_answerable_in_the_same_language(setup: tuple[Planner, SemanticLayer]) -> None:
    planner, layer = setup
    checked = 0
    for case in CASES:
        question = case["turns"][0]["q"]
        answer, state = answer_question(planner, layer, question, ConversationState())
        if answer.status != "answered":
            continue
        assert 1 <= len(answer.suggestions) <= 3 or answer.query.kind in ("detail", "distribution"), question
        for suggestion in answer.suggestions:
            assert has_cjk(suggestion) == (answer.query.language == "zh"), (question, suggestion)
            follow = planner.plan(suggestion, state).intent
            assert follow.kind not in ("clarify", "unsupported"), (question, suggestion, follow.kind)
            checked += 1
    assert checked > 60
