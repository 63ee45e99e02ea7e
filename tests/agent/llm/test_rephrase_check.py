"""The check a reworded narrative must pass before anyone sees it: every number from the facts."""

from __future__ import annotations

import pytest

from agent.llm.rephrase import problems

ZH = "2026年11月投诉量为1,234件，比10月上升12.5%（+137件），恶化。华东占比最高（38.2%）。"
ZH_FACTS = [
    {"id": "value", "text": "1,234件"},
    {"id": "change_pct", "text": "12.5%"},
    {"id": "top", "text": "38.2%"},
]
EN = "Complaints in November 2026 were 1,234, up 12.5% (+137) on October: worse. East China had the most (38.2%)."


@pytest.mark.parametrize(
    "rewrite",
    [
        "11月投诉量达到1,234件，较10月上升12.5%，多了137件，情况恶化；华东占比最高，为38.2%。",
        "2026年11月共有1234件投诉，环比上升12.5%（增加137件）。其中华东占38.2%，居首。",
    ],
)
def test_a_faithful_chinese_rewording_passes(rewrite: str) -> None:
    assert problems(ZH, rewrite, ZH_FACTS, "zh") == []


def test_a_faithful_english_rewording_passes() -> None:
    rewrite = "November 2026 saw 1234 complaints, 12.5% more than October (+137), which is worse; East China led with 38.2%."
    assert problems(EN, rewrite, [], "en") == []


@pytest.mark.parametrize(
    ("rewrite", "why"),
    [
        ("11月投诉量为1,234件，比10月上升13%。", "13"),  # rounded differently: a new number
        ("11月投诉量为1,240件左右。", "1,240"),
        ("投诉量为1,234件，约为去年同期的两倍。", "两倍"),
        ("投诉量为1,234件，华东占三成以上。", "三成"),
        ("投诉量为1,234件，详见 https://example.com/report", "link"),
        ("投诉量为<b>1,234</b>件", "markup"),
        ("Complaints were 1,234 in November.", "language"),
        ("", "empty"),
    ],
)
def test_a_rewording_with_anything_new_is_rejected(rewrite: str, why: str) -> None:
    found = problems(ZH, rewrite, ZH_FACTS, "zh")
    assert found and any(why in problem for problem in found), found


@pytest.mark.parametrize(
    "rewrite",
    [
        "Complaints nearly doubled to 1,234 in November 2026.",
        "Complaints were 1,234, up twelve percent.",
        "Complaints hit 1,234; three regions drove the rise.",
        "Complaints were 1,234 [details](javascript:alert(1))",
    ],
)
def test_english_number_words_and_links_are_rejected(rewrite: str) -> None:
    assert problems(EN, rewrite, [], "en")


def test_a_rewording_much_longer_than_the_original_is_rejected() -> None:
    assert "too long" in problems(EN, EN + " " + EN + " " + EN, [], "en")
