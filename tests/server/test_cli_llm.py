"""`chatbi eval --planner llm` (what `make eval-llm` runs) and `chatbi ask` with CHATBI_LLM_* set, against
a scripted OpenAI-protocol server on loopback that answers each eval question with a tool call."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from server.cli import app
from tests.agent.llm.fake_openai import FakeOpenAI, Reply

CASES = """
- id: t-1
  lang: en
  category: kpi
  turns:
    - q: How many tickets did we get this month?
      expect: {kind: metric, metrics: [ticket_count], time_range: {period: this_month}}
- id: t-2
  lang: zh
  category: breakdown
  turns:
    - q: 上个月各渠道的满意度
      expect: {kind: metric, metrics: [avg_csat], dimensions: [channel], time_range: {period: last_month}}
"""
ANSWERS = {
    "How many tickets did we get this month?": {
        "metrics": ["ticket_count"],
        "time_range": {"period": "this_month"},
    },
    "上个月各渠道的满意度": {
        "metrics": ["avg_csat"],
        "dimensions": ["channel"],
        "time_range": {"period": "last_month"},
    },
    "哪个渠道让客户最不开心？": {
        "metrics": ["avg_csat"],
        "dimensions": ["channel"],
        "time_range": {"period": "this_month"},
    },
}


def _answer(request: dict[str, Any]) -> Reply:
    """Call run_query for the question, then stop once its result came back."""
    if request["messages"][-1]["role"] == "tool":
        return Reply.text("done")
    question = request["messages"][1]["content"].splitlines()[-1]
    return Reply.tool_calls([("run_query", ANSWERS[question])])


@pytest.fixture
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(flavour="ollama") as server:
        server.respond_with(_answer)
        yield server


def test_eval_runs_every_question_through_the_llm(
    demo_db: Path, tmp_path: Path, llm: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cases.yaml").write_text(CASES, encoding="utf-8")
    monkeypatch.setenv("CHATBI_LLM_BASE_URL", llm.base_url)
    monkeypatch.setenv("CHATBI_LLM_MODEL", "qwen2.5:7b")
    result = CliRunner().invoke(
        app, ["eval", "--db", str(demo_db), "--cases", str(tmp_path), "--planner", "llm", "--min", "1"]
    )
    assert result.exit_code == 0, result.output
    assert (
        "zh: 1 turns, 100.0% right, 0.0% answered wrongly" in result.stdout
        and "en: 1 turns, 100.0% right" in result.stdout
        and "LLM planned 2 of 2 turns; the parser stood in 0 times" in result.stdout
    )
    assert {r["model"] for r in llm.requests} == {"qwen2.5:7b"} and len(llm.requests) == 4


def test_eval_with_the_llm_needs_an_endpoint(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHATBI_LLM_BASE_URL", raising=False)
    monkeypatch.delenv("CHATBI_LLM_API_KEY", raising=False)
    result = CliRunner().invoke(app, ["eval", "--db", str(demo_db), "--planner", "llm"])
    assert result.exit_code == 2 and "CHATBI_LLM_BASE_URL" in result.stderr


def test_ask_uses_the_llm_for_what_the_parser_cannot_read(
    demo_db: Path, llm: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHATBI_LLM_BASE_URL", llm.base_url)
    monkeypatch.setenv("CHATBI_LLM_REPHRASE", "off")
    result = CliRunner().invoke(
        app, ["ask", "哪个渠道让客户最不开心？", "--db", str(demo_db), "--as-of", "2026-11-15", "--json"]
    )
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["planner"] == "llm" and answer["query"]["query"]["dimensions"] == [
        {"name": "channel", "grain": None}
    ]
