"""The built-in parser understands the eval question set: at least 95% in each language."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.evaluation import accuracy_table, load_cases, run_cases
from agent.parser import Planner
from semantic_layer.layer import SemanticLayer

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
