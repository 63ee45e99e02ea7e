"""The held-out sets (tests/agent/eval/holdout2/, holdout3/ and holdout5/; holdout/ and holdout4/ measured their
rounds and are now development sets in test_blind_eval.py): written blind and never tuned on, so they are scored only
in aggregate. This test names no question that fails, on purpose: reading their failures would turn them
into more development sets. It holds the product to the accuracy and wrong-answer rate measured when it
was last improved; lower the ceilings (raise the floors) as the parser improves, never the other way."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.evaluation import load_cases, run_cases, scores
from agent.parser import Planner
from semantic_layer.layer import SemanticLayer

EVAL = Path(__file__).parent / "eval"
# (share right at least, share answered wrongly at most), per language.
# holdout2, measured 2026-12-07: when it was written (the parser of the second round of issue 15) zh 89.1%
# right, 3.1% wrong; en 85.0% right, 2.6% wrong (229 and 227 turns). End of the third round: zh 97.8% /
# 0.9%, en 93.4% / 1.3%. End of the fourth: zh 97.8% / 0.9%, en 95.6% / 1.3%.
# holdout3 (240 zh and 294 en turns), written at the start of the fourth round: zh 97.1% / 1.2%, en 94.2% /
# 1.7% on the parser it was written against; end of the fourth round zh 98.3% / 0.4%, en 95.9% / 1.4%.
# Fifth round: holdout2 zh 97.8% / 0.9%, en 96.5% / 0.9%; holdout3 zh 99.6% / 0.0%, en 96.9% / 1.4%.
# holdout4 (238 zh and 295 en turns), written at the start of the fifth round: zh 94.5% / 2.1%, en 85.4% /
# 1.4% on the parser it was written against; end of the fifth round zh 96.2% / 1.3%, en 91.5% / 0.3%. Its
# failures were read in the sixth round: it is a development set now (test_blind_eval.py).
# holdout5 (240 zh and 297 en turns), written at the start of the sixth round: zh 90.8% / 3.3%, en 92.9% /
# 1.3% on the parser it was written against (0530d0b); end of the sixth round zh 95.4% / 2.1%, en 94.3% / 1.3%.
# Sixth round: holdout2 zh 98.7% / 0.4%, en 96.5% / 0.9%; holdout3 zh 99.6% / 0.0%, en 97.3% / 1.4%.
HELD_OUT = {
    "holdout2": {"zh": (0.985, 0.005), "en": (0.96, 0.01)},
    "holdout3": {"zh": (0.99, 0.005), "en": (0.97, 0.015)},
    "holdout5": {"zh": (0.95, 0.022), "en": (0.94, 0.014)},
}


@pytest.mark.parametrize("name", sorted(HELD_OUT))
def test_the_held_out_sets_are_scored_in_aggregate_only(
    name: str, eval_planner: Planner, eval_layer: SemanticLayer
) -> None:
    cases = load_cases(EVAL / name)
    assert all(sum(case["lang"] == lang for case in cases) >= 150 for lang in ("zh", "en"))
    measured = scores(run_cases(eval_planner, cases, layer=eval_layer))
    for lang, (floor, ceiling) in HELD_OUT[name].items():
        summary = f"{name} {lang}: {measured.accuracy[lang]:.1%} right, {measured.wrong[lang]:.1%} wrong"
        assert measured.accuracy[lang] >= floor, summary
        assert measured.wrong[lang] <= ceiling, summary
