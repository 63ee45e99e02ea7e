"""POST /api/ask/stream over a real uvicorn server on loopback: stages, then the checked narrative in
chunks, then the Answer; errors before answering are plain HTTP errors, errors while answering an event."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent.answer import Answer
from agent.intent import Intent
from server.app import create_app
from server.chat import AskRequest
from server.errors import UnknownChoice
from server.settings import Settings
from server.streaming import answer_events, narrative_chunks
from tests.conftest import DEMO_AS_OF
from tests.server.conftest import SECRET, bearer, served, token

ALICE = bearer(token("alice", region="华南"))


@pytest.fixture(scope="module")
def base_url(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = Settings(
        db=str(demo_db),
        as_of=DEMO_AS_OF,
        store=tmp_path_factory.mktemp("store") / "chatbi.sqlite3",
        auth_secret=SECRET,
        root_path="/chatbi",
    )
    with served(create_app(settings)) as url:
        yield url + "/chatbi"


def read_events(response: httpx.Response) -> list[tuple[str, Any]]:
    """The (event, data) pairs of a text/event-stream body, as a browser's parser reads them."""
    events, name, data = [], None, []
    for line in response.iter_lines():
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            data.append(line.removeprefix("data: "))
        elif not line and name:
            events.append((name, json.loads("\n".join(data))))
            name, data = None, []
    return events


def stream(base_url: str, body: dict[str, Any], headers: dict[str, str] = ALICE) -> list[tuple[str, Any]]:
    with httpx.stream(
        "POST", f"{base_url}/api/ask/stream", json=body, headers=headers, timeout=60
    ) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        return read_events(response)


def test_stream_sends_stages_then_tokens_then_the_answer(base_url: str) -> None:
    events = stream(base_url, {"question": "为什么7月满意度下降了"})
    names = [name for name, _ in events]
    assert names[:3] == ["stage", "stage", "stage"]
    assert [data["name"] for name, data in events if name == "stage"] == ["planning", "querying", "analysing"]
    tokens = [data["text"] for name, data in events if name == "token"]
    assert names == ["stage"] * 3 + ["token"] * len(tokens) + ["answer"]
    answer = events[-1][1]
    assert answer["status"] == "answered" and answer["query"]["kind"] == "explain_change"
    assert 2 <= len(tokens) <= 4 and "".join(tokens) == answer["answer"]
    assert all(row for row in answer["data"]["rows"])  # as alice (华南) sees the data
    assert "华东" not in answer["answer"]

    stored = httpx.get(f"{base_url}/api/conversations/{answer['conversation_id']}", headers=ALICE).json()
    assert stored["turns"][0]["answer"] == answer  # the streamed answer is recorded like /api/ask's


def test_stream_continues_a_conversation_and_answers_a_clarification(base_url: str) -> None:
    asked = stream(base_url, {"question": "what's our response time"})
    clarify = asked[-1][1]
    assert [name for name, _ in asked] == ["stage", "answer"] and clarify["status"] == "clarify"
    option = clarify["clarification"]["options"][0]["id"]
    chosen = stream(base_url, {"conversation_id": clarify["conversation_id"], "choice": option})
    assert chosen[-1][0] == "answer" and chosen[-1][1]["status"] == "answered"
    assert chosen[-1][1]["conversation_id"] == clarify["conversation_id"]


def test_requests_refused_before_answering_get_plain_http_errors(base_url: str) -> None:
    url = f"{base_url}/api/ask/stream"
    unknown = httpx.post(url, json={"question": "按渠道拆分", "conversation_id": "nope"}, headers=ALICE)
    assert unknown.status_code == 404
    assert unknown.json()["error"] == {
        "code": "conversation_not_found",
        "message": "找不到这个对话（nope），它可能已被删除。",
        "suggestions": [],
    }
    assert httpx.post(url, json={"question": "本月投诉量"}).status_code == 401
    assert httpx.post(url, json={"question": "x" * 501}, headers=ALICE).status_code == 413


def test_api_and_health_answer_over_real_http_under_the_prefix(base_url: str) -> None:
    assert httpx.get(f"{base_url}/api/health").json()["status"] == "ready"
    root = base_url.removesuffix("/chatbi")
    assert httpx.get(f"{root}/api/health").json()["status"] == "ready"  # a proxy that strips the prefix
    answer = httpx.post(f"{base_url}/api/ask", json={"question": "本月各大区投诉量"}, headers=ALICE).json()
    assert [row[0] for row in answer["data"]["rows"]] == ["华南"]


class FailingChat:
    """A chat service whose answering fails after the planning stage (a fake, not a patch)."""

    def answer(self, request: AskRequest, identity: Any, on_stage: Any) -> Any:
        on_stage("planning")
        raise UnknownChoice("zh", choice=request.choice, suggestions=["option1"])


def test_an_error_while_answering_is_an_error_event() -> None:
    async def collect() -> list[str]:
        request = AskRequest(conversation_id="c", choice="option7")
        return [event async for event in answer_events(FailingChat(), request, None, "en")]  # type: ignore[arg-type]

    events = asyncio.run(collect())
    assert events == [
        'event: stage\ndata: {"name":"planning"}\n\n',
        'event: error\ndata: {"error":{"code":"unknown_choice","message":"这个对话中没有待选的选项“option7”。",'
        '"suggestions":["option1"]}}\n\n',
    ]


@pytest.mark.parametrize(
    "text",
    [
        "2026年7月，满意度为3.68分，比上期（3.91分）下降0.23分。变化主要来自华南。数据截至2026年11月15日 23:58。",
        "For Nov 2026, CSAT is 3.91. It fell 0.2 points. Most of it came from the South. Data as of Nov 15.",
        "One sentence without an end",
    ],
)
def test_narrative_chunks_cut_at_sentence_ends_and_join_back(text: str) -> None:
    chunks = narrative_chunks(text)
    assert "".join(chunks) == text and 1 <= len(chunks) <= 4
    assert all(chunk.rstrip()[-1] in "。.d" for chunk in chunks)


class WaitingChat:
    """A chat service that reports planning, then waits for the test before it answers."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def answer(self, request: AskRequest, identity: Any, on_stage: Any) -> Any:
        on_stage("planning")
        assert self.release.wait(10)
        on_stage("querying")
        return Answer(
            status="unsupported",
            answer="No. Really not.",
            query=Intent(kind="unsupported", confidence=0.2, language="en"),
        )


def test_each_stage_is_sent_when_it_starts_not_when_the_answer_is_ready() -> None:
    async def run() -> list[str]:
        chat = WaitingChat()
        events = answer_events(chat, AskRequest(question="q"), None, "en")  # type: ignore[arg-type]
        first = await anext(events)
        assert not chat.release.is_set()  # the answer is still being worked on
        chat.release.set()
        return [first] + [event async for event in events]

    events = asyncio.run(run())
    assert [event.split("\n")[0] for event in events] == [
        "event: stage",
        "event: stage",
        "event: token",
        "event: token",
        "event: answer",
    ]
    assert events[0] == 'event: stage\ndata: {"name":"planning"}\n\n'
