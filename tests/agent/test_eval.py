"""The built-in parser understands the eval question set: at least 95% in each language."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.evaluation import EVAL_TODAY, accuracy_table, compare_intent, load_cases, run_cases
from agent.intent import Intent
from agent.parser import Planner
from semantic_layer.layer import SemanticLayer
from semantic_layer.loader import load_model
from semantic_layer.query import Filter, SemanticQuery

CASES = load_cases(Path(__file__).parent / "eval")


@pytest.fixture(scope="module")
def planner(eval_planner: Planner) -> Planner:
    return eval_planner


def test_the_eval_set_is_big_and_balanced() -> None:
    turns = [(case["lang"], case["category"]) for case in CASES for _ in case["turns"]]
    assert len(turns) >= 200
    assert (
        sum(1 for lang, _ in turns if lang == "zh") >= 90
        and sum(1 for lang, _ in turns if lang == "en") >= 90
    )
    assert sum(1 for case in CASES if len(case["turns"]) > 1) >= 40
    assert sum(1 for _, category in turns if category in ("clarify", "unsupported")) >= 20


def test_accuracy_is_at_least_95_percent_in_each_language(
    planner: Planner, eval_layer: SemanticLayer
) -> None:
    results = run_cases(planner, CASES, layer=eval_layer)
    accuracy, table = accuracy_table(results)
    wrong = "\n".join(f"[{r.case_id}] {r.question}: {'; '.join(r.problems)}" for r in results if not r.passed)
    print(table)
    assert min(accuracy.values()) >= 0.95, f"{table}\n{wrong}"


@pytest.mark.parametrize(
    ("gold", "ours", "same"),
    [
        ({"dimension": "channel", "op": "eq", "values": ["电话"]}, Filter(dimension="channel", op="in", values=("电话",)), True),
        ({"dimension": "is_complaint", "op": "eq", "values": [False]}, Filter(dimension="is_complaint", op="ne", values=(True,)), True),
        ({"field": "csat_score", "op": "between", "values": [4, 5]}, Filter(field="csat_score", op="gte", values=(4,)), False),
        ({"field": "csat_score", "op": "gt", "values": [3]}, Filter(field="csat_score", op="gte", values=(4,)), True),
        ({"field": "resolution_hours", "op": "gt", "values": [3]}, Filter(field="resolution_hours", op="gte", values=(4,)), False),
        ({"dimension": "channel", "op": "eq", "values": ["电话"]}, Filter(dimension="channel", op="ne", values=("电话",)), False),
    ],
)  # fmt: skip
def test_filters_that_mean_the_same_rows_compare_equal(
    gold: dict[str, object], ours: Filter, same: bool
) -> None:
    """One value `in` is `eq`, a yes/no `ne true` is `eq false`, `gt 3` on a whole-number score is `gte 4`;
    not on hours, and never a different condition."""
    query = SemanticQuery(metrics=("ticket_count",), filters=(ours,))
    intent = Intent(kind="metric", query=query, confidence=1.0, language="en")
    expect = {"kind": "metric", "metrics": ["ticket_count"], "filters": [gold]}
    problems = compare_intent(expect, intent, load_model(), EVAL_TODAY)
    assert (not any(p.startswith("filters") for p in problems)) is same, problems
