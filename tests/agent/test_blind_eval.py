"""The frozen blind development sets (tests/agent/eval/blind/ to blind6/ and the retired held-out set
holdout/), one test per case, so that a
regression names its question. Cases the parser does not get right yet are listed in each set's
known_misses.yaml with their outcome
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

EVAL = Path(__file__).parent / "eval"
SETS = (
    "blind",
    "blind2",
    "blind3",
    "blind4",
    "blind5",
    "blind6",
    "blind7",
    "blind8",
    "blind9",
    "blind10",
    "blind11",
    "blind12",
    "blind13",
    "blind14",
    "blind15",
    "blind16",
    "blind17",
    "blind18",
    "blind19",
    "blind20",
    "blind21",
    "blind22",
    "blind23",
    "blind24",
    "blind25",
    "blind26",
    "blind27",
    "blind28",
    "blind29",
    "holdout",
    "holdout4",
)
LANGUAGES = {
    "blind4": ("en",),
    "blind5": ("zh",),
    "blind6": ("en",),
    "blind7": ("en",),
    "blind9": ("en",),
    "blind11": ("en",),
    "blind12": ("en",),
    "blind13": ("en",),
    "blind14": ("en",),
    "blind15": ("en",),
    "blind16": ("zh",),
    "blind17": ("en",),
    "blind18": ("en",),
    "blind19": ("en",),
    "blind20": ("zh",),
    "blind21": ("en",),
    "blind22": ("zh",),
    "blind23": ("en",),
    "blind24": ("zh",),
    "blind25": ("en",),
    "blind27": ("zh",),
    "blind28": ("en",),
}  # written for one language each; the others hold both
SMALLER = {
    ("blind8", "zh"): 100,
    ("blind10", "en"): 80,
    ("blind10", "zh"): 60,
    ("blind19", "en"): 90,
    ("blind29", "zh"): 90,
    ("blind29", "en"): 90,
}  # fewer than the usual 150
CASES: list[tuple[str, dict[str, Any]]] = [
    (name, case)
    for name in SETS
    for path in sorted((EVAL / name).glob("[a-z][a-z].yaml"))
    for case in yaml.safe_load(path.read_text("utf-8"))
]
# The share of turns answered wrongly, per set and language. blind: measured 2026-12-07 before issue
# 15 at zh 35.2%, en 33.2%; blind2: at zh 8.0%, en 10.4% when it was written. Lower them as the parser
# improves; never raise them.
# blind3: written in the third round; holdout: 3.9% / 3.9% when it was retired as a held-out set (its second measurement).
WRONG_CEILING = {
    "blind": {"zh": 0.015, "en": 0.015},
    "blind2": {"zh": 0.005, "en": 0.01},
    "holdout": {"zh": 0.005, "en": 0.015},
    "blind3": {"zh": 0.005, "en": 0.005},  # 4.6% / 1.8% when it was written, mid third round
    "blind4": {"en": 0.005},  # 0.5% when it was written, late in the third round
    "blind5": {"zh": 0.005},  # 2.2% when it was written, at the end of the third round
    "blind6": {"en": 0.005},  # 2.2% when it was written, at the end of the third round
    "blind7": {"en": 0.01},  # 6.0% when it was written, early in the fourth round
    "blind8": {"zh": 0.01, "en": 0.005},  # 2.5% / 2.3% when it was written, early in the fourth round
    "blind9": {"en": 0.005},  # 1.7% when it was written, mid fourth round
    "blind10": {"zh": 0.005, "en": 0.005},  # 1.9% / 3.2% when written (conversations), mid fourth round
    "blind11": {"en": 0.015},  # 3.9% when it was written (traps), at the end of the fourth round
    "blind12": {"en": 0.01},  # 1.6% when it was written (phone shorthand), at the end of the fourth round
    "blind13": {
        "en": 0.005
    },  # 0.5% when it was written (several parts at once), at the end of the fourth round
    "blind14": {"en": 0.005},  # 3.8% when it was written (the held-out mix), at the start of the fifth round
    "blind15": {"en": 0.005},  # 3.0% when it was written (metric words), at the start of the fifth round
    "blind16": {"zh": 0.015},  # 1.1% when it was written, at the start of the fifth round
    "blind17": {"en": 0.02},  # 5.1% when it was written (the held-out brief), mid fifth round
    "blind18": {"en": 0.01},  # 6.4% when it was written (answers beyond one number), mid fifth round
    "blind19": {"en": 0.02},  # 7.3% when it was written (conversations), mid fifth round
    "blind20": {"zh": 0.005},  # 4.2% when it was written, mid fifth round
    "blind21": {
        "en": 0.01
    },  # 1.1% at the session-start parser, 0.5% on its first run at the end of the fifth round
    # holdout4: held out through the fifth round (zh 2.1% / en 1.4% wrong when written, 1.3% / 0.3% at its
    # end); its failures were read at the start of the sixth round, so it is a development set now.
    "holdout4": {"zh": 0.005, "en": 0.005},
    "blind22": {"zh": 0.005},  # 2.5% when it was written (the holdout5 brief), early in the sixth round
    "blind23": {"en": 0.005},  # 0.8% when it was written (the holdout5 brief), early in the sixth round
    "blind24": {"zh": 0.005},  # 1.3% when it was written (the holdout5 brief), mid sixth round
    "blind25": {"en": 0.005},  # 0.4% when it was written (the holdout5 brief), mid sixth round
    "blind26": {"zh": 0.01, "en": 0.005},  # 4.1% / 1.5% when it was written (traps), mid sixth round
    "blind27": {"zh": 0.005},  # 0.8% when it was written (the holdout5 brief), late in the sixth round
    "blind28": {"en": 0.005},  # 1.7% when it was written (the holdout5 brief), late in the sixth round
    "blind29": {
        "zh": 0.015,
        "en": 0.025,
    },  # 2.4% / 6.5% when it was written (conversations), late sixth round
}


def _known(name: str) -> dict[str, str]:
    path = EVAL / name / "known_misses.yaml"
    if not path.exists():
        return {}
    return dict(yaml.safe_load(path.read_text("utf-8")) or {})


@pytest.fixture(scope="module")
def results(eval_planner: Planner, eval_layer: SemanticLayer) -> dict[str, list[TurnResult]]:
    by_case: dict[str, list[TurnResult]] = {}
    for result in run_cases(eval_planner, [case for _, case in CASES], layer=eval_layer):
        by_case.setdefault(result.case_id, []).append(result)
    if os.environ.get("UPDATE_KNOWN_MISSES"):
        for name in SETS:
            ids = [case["id"] for set_name, case in CASES if set_name == name]
            misses = {
                case_id: "wrong" if any(r.outcome == "wrong" for r in by_case[case_id]) else "declined"
                for case_id in ids
                if not all(r.passed for r in by_case[case_id])
            }
            header = (
                f"# {name} cases the parser misses, and how (see tests/agent/test_blind_eval.py). Regenerate\n"
                "# with UPDATE_KNOWN_MISSES=1 pytest tests/agent/test_blind_eval.py and review the diff.\n"
            )
            dump = yaml.safe_dump(misses, allow_unicode=True, sort_keys=True)
            (EVAL / name / "known_misses.yaml").write_text(header + dump, "utf-8")
    return by_case


@pytest.mark.parametrize("name", SETS)
def test_the_blind_sets_are_big_and_in_both_languages(name: str) -> None:
    langs = [case["lang"] for set_name, case in CASES if set_name == name]
    assert all(
        langs.count(lang) >= SMALLER.get((name, lang), 150) for lang in LANGUAGES.get(name, ("zh", "en"))
    )
    assert len({case["id"] for _, case in CASES}) == len(CASES)


@pytest.mark.parametrize(("name", "case"), CASES, ids=[case["id"] for _, case in CASES])
def test_blind_case(name: str, case: dict[str, Any], results: dict[str, list[TurnResult]]) -> None:
    turns = results[case["id"]]
    known = _known(name).get(case["id"])
    problems = [f"{r.question!r}: {r.outcome}, {'; '.join(r.problems)}" for r in turns if not r.passed]
    if known is not None:
        if any(r.outcome == "wrong" for r in turns) and known == "declined":
            pytest.fail(f"now answered wrongly (was declined): {problems}")
        pytest.xfail(f"known {known} (chatbi eval --cases tests/agent/eval/{name} --failures says how)")
    assert not problems, problems


@pytest.mark.parametrize("name", SETS)
def test_the_wrong_answer_rate_does_not_rise(name: str, results: dict[str, list[TurnResult]]) -> None:
    ids = {case["id"] for set_name, case in CASES if set_name == name}
    measured = scores([r for case_id, turns in results.items() if case_id in ids for r in turns])
    for lang, ceiling in WRONG_CEILING[name].items():
        assert measured.wrong[lang] <= ceiling, (lang, measured)
