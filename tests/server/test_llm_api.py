"""The server with an LLM configured (a scripted OpenAI-protocol server on loopback): the LLM's stages
stream to /api/ask/stream, the narrative streams only once checked, health says which model is on,
tools run as the token's user, and an LLM that is down still leaves every question answered."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.app import create_app
from server.settings import Settings
from tests.agent.llm.fake_openai import FakeOpenAI, Reply
from tests.conftest import DEMO_AS_OF
from tests.server.conftest import SECRET, bearer, served, token
from tests.server.test_streaming import read_events

ALICE = bearer(token("alice", region="华南"))
BY_REGION = {"metrics": ["complaint_count"], "dimensions": ["region"], "time_range": {"period": "this_month"}}


@pytest.fixture(scope="module")
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(flavour="vllm") as server:
        yield server


@pytest.fixture(scope="module")
def base_url(demo_db: Path, tmp_path_factory: pytest.TempPathFactory, llm: FakeOpenAI) -> Iterator[str]:
    settings = Settings(
        db=str(demo_db),
        as_of=DEMO_AS_OF,
        store=tmp_path_factory.mktemp("store") / "chatbi.sqlite3",
        auth_secret=SECRET,
        llm_base_url=llm.base_url,
        llm_model="qwen2.5-72b-instruct",
        llm_timeout=5,
        llm_retries=0,
    )
    with served(create_app(settings)) as url:
        # the LLM client loads in the background; the parser answers meanwhile
        deadline = time.monotonic() + 60
        while not httpx.get(f"{url}/api/health").json().get("llm", {}).get("enabled"):
            assert time.monotonic() < deadline, "the LLM client did not load"
            time.sleep(0.05)
        yield url


def stream(base_url: str, body: dict[str, Any]) -> list[tuple[str, Any]]:
    with httpx.stream("POST", f"{base_url}/api/ask/stream", json=body, headers=ALICE, timeout=60) as response:
        assert response.status_code == 200, response.read()
        return read_events(response)


def test_health_says_the_llm_is_on_without_its_key(base_url: str) -> None:
    health = httpx.get(f"{base_url}/api/health").json()
    assert health["llm"] == {"enabled": True, "model": "qwen2.5-72b-instruct"}


def test_llm_stages_stream_and_the_narrative_streams_once_checked(base_url: str, llm: FakeOpenAI) -> None:
    def reword(request: dict[str, Any]) -> Reply:
        return Reply.text("概括一下：" + request["messages"][1]["content"].split("\n\nFacts:")[0])

    llm.script([Reply.tool_calls([("run_query", BY_REGION)]), Reply.text("好的")])
    llm.respond_with(reword)
    seen = len(llm.requests)
    events = stream(base_url, {"question": "哪个大区最让客户头疼？"})
    stages = [data["name"] for name, data in events if name == "stage"]
    assert stages == ["planning", "thinking", "querying", "analysing", "writing"]
    answer = events[-1][1]
    assert answer["planner"] == "llm" and answer["status"] == "answered"
    assert [row[0] for row in answer["data"]["rows"]] == ["华南"]  # the tools ran as alice
    tokens = "".join(data["text"] for name, data in events if name == "token")
    assert tokens == answer["answer"] and tokens.startswith("概括一下：")
    assert len(llm.requests) - seen == 3  # two planning rounds and one rewording


def test_an_invented_number_never_reaches_the_stream(base_url: str, llm: FakeOpenAI) -> None:
    llm.respond_with(lambda request: Reply.text("本月投诉量为 123,456 件，创下新高。"))
    events = stream(base_url, {"question": "本月投诉量"})
    answer = events[-1][1]
    tokens = "".join(data["text"] for name, data in events if name == "token")
    assert "123,456" not in tokens and tokens == answer["answer"] and answer["planner"] == "rules"


def test_an_llm_that_is_down_leaves_the_parsers_question(base_url: str, llm: FakeOpenAI) -> None:
    """The parser could not place 仓位 and asks; with the LLM down, its question stands (never an
    answer that quietly leaves 仓位 out)."""
    llm.respond_with(lambda request: Reply.error(503, "model is loading"))
    answer = httpx.post(
        f"{base_url}/api/ask", json={"question": "本月仓位和投诉量"}, headers=ALICE, timeout=60
    )
    body = answer.json()
    assert answer.status_code == 200 and body["status"] == "clarify" and body["planner"] == "rules"
    assert "仓位" in body["clarification"]["question"]
    assert "仓位" in body["clarification"]["options"][0]["label"]  # the reading without it, said so
