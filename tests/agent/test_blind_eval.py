"""The frozen blind sets (tests/agent/eval/blind/), one test per case, so that a regression names its
question. Cases the parser does not get right yet are listed in known_misses.yaml with their outcome
(`wrong`: answered, but neither the gold nor an alternative; `declined`: asked back or refused); they
run as expected failures and report XPASS once fixed. `UPDATE_KNOWN_MISSES=1` rewrites the list from
the current parser: review its diff like a golden file's (a case moving to `wrong` is a regression).
The wrong-answer rate per language may not rise above the ceiling below (issue 15 asks for 1%)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from agent.evaluation import TurnResult, run_cases, scores
from agent.parser import Planner
from semantic_layer.layer import SemanticLayer

FOLDER = Path(__file__).parent / "eval" / "blind"
KNOWN_MISSES = FOLDER / "known_misses.yaml"
CASES: list[dict[str, Any]] = [
    case
    for path in sorted(FOLDER.glob("[a-z][a-z].yaml"))
    for case in yaml.safe_load(path.read_text("utf-8"))
]
# The share of turns answered wrongly, per language, measured 2026-12-07 after the first round of
# issue 15 (before it: zh 35.2%, en 33.2%). Lower it as the parser improves; never raise it.
WRONG_CEILING = {"zh": 0.19, "en": 0.10}


def _known() -> dict[str, str]:
    if not KNOWN_MISSES.exists():
        return {}
    return dict(yaml.safe_load(KNOWN_MISSES.read_text("utf-8")) or {})


@pytest.fixture(scope="module")
def results(eval_planner: Planner, eval_layer: SemanticLayer) -> dict[str, list[TurnResult]]:
    by_case: dict[str, list[TurnResult]] = {}
    for result in run_cases(eval_planner, CASES, layer=eval_layer):
        by_case.setdefault(result.case_id, []).append(result)
    if os.environ.get("UPDATE_KNOWN_MISSES"):
        misses = {
            case_id: "wrong" if any(r.outcome == "wrong" for r in turns) else "declined"
            for case_id, turns in by_case.items()
            if not all(r.passed for r in turns)
        }
        header = (
            "# Blind cases the parser misses, and how (see tests/agent/test_blind_eval.py). Regenerate with\n"
        )
        header += "# UPDATE_KNOWN_MISSES=1 pytest tests/agent/test_blind_eval.py and review the diff.\n"
        KNOWN_MISSES.write_text(header + yaml.safe_dump(misses, allow_unicode=True, sort_keys=True), "utf-8")
    return by_case


def test_the_blind_sets_are_big_and_in_both_languages() -> None:
    langs = [case["lang"] for case in CASES]
    assert langs.count("zh") >= 150 and langs.count("en") >= 150
    assert len({case["id"] for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_blind_case(case: dict[str, Any], results: dict[str, list[TurnResult]]) -> None:
    turns = results[case["id"]]
    known = _known().get(case["id"])
    problems = [f"{r.question!r}: {r.outcome}, {'; '.join(r.problems)}" for r in turns if not r.passed]
    if known is not None:
        if any(r.outcome == "wrong" for r in turns) and known == "declined":
            pytest.fail(f"now answered wrongly (was declined): {problems}")
        pytest.xfail(f"known {known} (chatbi eval --cases tests/agent/eval/blind --failures says how)")
    assert not problems, problems


def test_the_wrong_answer_rate_does_not_rise(results: dict[str, list[TurnResult]]) -> None:
    measured = scores([r for turns in results.values() for r in turns])
    for lang, ceiling in WRONG_CEILING.items():
        assert measured.wrong[lang] <= ceiling, (lang, measured)
