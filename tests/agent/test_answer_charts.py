"""Every chart the product draws for the eval set's questions is a valid Vega-Lite v5 spec with its data
inline, and the kind of chart fits the kind of answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.answer import answer_question
from agent.evaluation import EVAL_TODAY, load_cases
from agent.intent import ConversationState
from agent.parser import Planner
from agent.value_index import build_value_index
from semantic_layer.engine import DuckDBEngine
from semantic_layer.layer import SemanticLayer
from semantic_layer.loader import load_model
from semantic_layer.periods import FixedClock
from tests.agent.test_charts import schema_validator

CASES = load_cases(Path(__file__).parent / "eval")


@pytest.fixture(scope="module")
def answers(demo_db: Path) -> list[tuple[str, str, dict | None]]:
    model = load_model()
    layer = SemanticLayer(model, DuckDBEngine(demo_db), clock=FixedClock(EVAL_TODAY))
    planner = Planner(model, build_value_index(layer), FixedClock(EVAL_TODAY))
    collected = []
    for case in CASES:
        state = ConversationState()
        for turn in case["turns"]:
            answer, state = answer_question(planner, layer, turn["q"], state)
            if answer.status == "answered":
                collected.append((turn["q"], answer.query.kind, answer.chart))
    return collected


def test_every_chart_of_the_eval_set_validates_against_the_schema(
    answers: list[tuple[str, str, dict | None]],
) -> None:
    validator = schema_validator()
    charts = [(q, spec) for q, _, spec in answers if spec is not None]
    assert len(charts) > 200
    for question, spec in charts:
        errors = list(validator.iter_errors(spec))
        assert not errors, f"{question}: {errors[0].message}"
        assert "url" not in spec.get("data", {}), question


@pytest.mark.parametrize(
    ("kind", "chart_kinds"),
    [
        ("explain_change", {"diverging"}),
        ("concentration", {"pareto"}),
        ("distribution", {"histogram"}),
    ],
)
def test_analyses_get_their_chart(
    answers: list[tuple[str, str, dict | None]], kind: str, chart_kinds: set[str]
) -> None:
    drawn = [spec["usermeta"]["chatbi"]["kind"] for _, k, spec in answers if k == kind and spec is not None]
    assert drawn and all(any(c in d for c in chart_kinds) for d in drawn), drawn
