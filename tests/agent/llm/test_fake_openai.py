"""Self-tests of the fake OpenAI server, with the real ``openai`` and ``langchain_openai`` clients in the loop."""

from __future__ import annotations

import functools
import json
import operator
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from tests.agent.llm.fake_openai import EXHAUSTED_MESSAGE, FLAVOURS, FakeOpenAI, Reply

MESSAGES: list[Any] = [{"role": "user", "content": "工单量多少？"}]
QUERY_ARGS = {"metrics": ["tickets"], "filters": {"region": "华东"}}


def run_query(metrics: list[str], filters: dict[str, str] | None = None) -> str:
    """Run a query against the semantic layer."""
    return ""


def show_chart(kind: str) -> str:
    """Show a chart of the last result."""
    return ""


@pytest.fixture(params=FLAVOURS)
def server(request: pytest.FixtureRequest) -> Iterator[FakeOpenAI]:
    with FakeOpenAI(flavour=request.param) as fake:
        yield fake


def client(server: FakeOpenAI) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0)


def chat(server: FakeOpenAI, **kwargs: Any) -> ChatOpenAI:
    kwargs.setdefault("max_retries", 0)
    return ChatOpenAI(
        model="fake-model",
        base_url=server.base_url,
        api_key=SecretStr("test"),
        use_responses_api=False,
        **kwargs,
    )


@pytest.fixture(scope="module")
def raw() -> Iterator[httpx.Client]:
    """One plain HTTP client for the wire-format tests (building one, with its TLS context, costs ~50 ms)."""
    with httpx.Client(timeout=5) as http:
        yield http


def raw_stream(raw: httpx.Client, server: FakeOpenAI, **body: Any) -> list[dict[str, Any]]:
    """The SSE chunks exactly as sent, so the flavour's wire format can be checked field by field."""
    payload = {"model": "fake-model", "messages": MESSAGES, "stream": True, **body}
    with raw.stream("POST", f"{server.base_url}/chat/completions", json=payload) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.iter_lines() if line]
    assert lines[-1] == "data: [DONE]"
    assert all(line.startswith("data: ") for line in lines)
    return [json.loads(line.removeprefix("data: ")) for line in lines[:-1]]


# ---------------------------------------------------------------------------------------------------------
# The openai client


def test_openai_text(server: FakeOpenAI) -> None:
    text = "Tickets rose 12% week over week, mostly in 华东。"
    server.script([Reply.text(text), Reply.text(text)])
    api = client(server)

    completion = api.chat.completions.create(model="fake-model", messages=MESSAGES)
    choice = completion.choices[0]
    assert (choice.message.role, choice.message.content, choice.finish_reason) == ("assistant", text, "stop")
    assert not choice.message.tool_calls
    assert completion.object == "chat.completion"
    assert completion.model == "fake-model"
    assert completion.usage is not None and completion.usage.total_tokens > 0

    stream = api.chat.completions.create(
        model="fake-model", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert "".join(pieces) == text
    assert len(pieces) > 3  # streamed in small pieces, not one blob
    assert len({c.id for c in chunks}) == 1
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    assert chunks[-1].choices == [] and chunks[-1].usage is not None

    assert server.requests[0] == {"model": "fake-model", "messages": MESSAGES}
    assert server.requests[1]["stream"] is True
    assert [h["authorization"] for h in server.headers] == ["Bearer test"] * 2
    assert server.remaining == 0


def test_openai_tool_calls_streaming(server: FakeOpenAI) -> None:
    server.script(
        [
            Reply.tool_calls([("run_query", QUERY_ARGS), ("show_chart", {"kind": "bar"})]),
            Reply.tool_calls([("run_query", QUERY_ARGS)], content="Let me look."),
        ]
    )
    api = client(server)

    # reassembled by hand, by index, as a planner reading raw deltas would
    calls: dict[int, dict[str, str]] = {}
    finishes = []
    for chunk in api.chat.completions.create(model="fake-model", messages=MESSAGES, stream=True):
        for choice in chunk.choices:
            finishes.append(choice.finish_reason)
            for delta in choice.delta.tool_calls or []:
                call = calls.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
                call["id"] += delta.id or ""
                if delta.function is not None:
                    call["name"] += delta.function.name or ""
                    call["arguments"] += delta.function.arguments or ""
    assert [calls[i]["name"] for i in sorted(calls)] == ["run_query", "show_chart"]
    assert json.loads(calls[0]["arguments"]) == QUERY_ARGS
    assert json.loads(calls[1]["arguments"]) == {"kind": "bar"}
    assert calls[0]["id"] and calls[0]["id"] != calls[1]["id"]
    assert [f for f in finishes if f] == ["tool_calls"]

    # and by the SDK's own accumulator, which merges by index and type-checks every field
    with api.chat.completions.stream(model="fake-model", messages=MESSAGES) as stream:
        message = stream.get_final_completion().choices[0].message
    assert message.content == "Let me look."
    assert message.tool_calls is not None
    parsed = message.tool_calls[0]
    assert (parsed.type, parsed.function.name) == ("function", "run_query")
    assert json.loads(parsed.function.arguments) == QUERY_ARGS


# ---------------------------------------------------------------------------------------------------------
# LangChain's ChatOpenAI, as the planner uses it


def test_langchain_tool_calls_invoke_and_stream(server: FakeOpenAI) -> None:
    server.script([Reply.tool_calls([("run_query", QUERY_ARGS), ("show_chart", {"kind": "line"})])] * 2)
    llm = chat(server).bind_tools([run_query, show_chart])

    invoked = llm.invoke("工单量多少？")
    assert isinstance(invoked, AIMessage)
    expected = [("run_query", QUERY_ARGS), ("show_chart", {"kind": "line"})]
    assert [(c["name"], c["args"]) for c in invoked.tool_calls] == expected
    assert all(c["id"] for c in invoked.tool_calls)
    assert invoked.invalid_tool_calls == []

    chunks = list(llm.stream("工单量多少？"))
    assert len(chunks) > 2
    streamed = functools.reduce(operator.add, chunks)
    assert isinstance(streamed, AIMessageChunk)
    assert [(c["name"], c["args"]) for c in streamed.tool_calls] == expected
    assert streamed.invalid_tool_calls == []

    assert [t["function"]["name"] for t in server.requests[0]["tools"]] == ["run_query", "show_chart"]
    assert not server.requests[0].get("stream") and server.requests[1]["stream"] is True


def test_langchain_stream_text_with_usage(server: FakeOpenAI) -> None:
    server.script([Reply.text("Done. 完成。")])
    streamed = functools.reduce(operator.add, chat(server, stream_usage=True).stream("hi"))
    assert streamed.content == "Done. 完成。"
    assert isinstance(streamed, AIMessageChunk)
    assert streamed.usage_metadata is not None and streamed.usage_metadata["total_tokens"] > 0
    assert server.requests[0]["stream_options"] == {"include_usage": True}


def test_langchain_malformed_arguments(server: FakeOpenAI) -> None:
    truncated, unparsable = '{"metrics": ["tickets"', '{"metrics": tickets}'
    server.script(
        [Reply.tool_calls([("run_query", truncated)])] * 2 + [Reply.tool_calls([("run_query", unparsable)])]
    )
    llm = chat(server).bind_tools([run_query])

    invoked = llm.invoke("hi")
    assert invoked.tool_calls == []
    assert [(c["name"], c["args"]) for c in invoked.invalid_tool_calls] == [("run_query", truncated)]

    # Worth knowing for the planner: when streaming, LangChain parses arguments with parse_partial_json,
    # which closes open brackets, so the truncated call comes out VALID; only unparsable text is invalid.
    repaired = functools.reduce(operator.add, llm.stream("hi"))
    assert isinstance(repaired, AIMessageChunk)
    assert [(c["name"], c["args"]) for c in repaired.tool_calls] == [("run_query", {"metrics": ["tickets"]})]

    streamed = functools.reduce(operator.add, llm.stream("hi"))
    assert isinstance(streamed, AIMessageChunk)
    assert streamed.tool_calls == []
    assert [(c["name"], c["args"]) for c in streamed.invalid_tool_calls] == [("run_query", unparsable)]


# ---------------------------------------------------------------------------------------------------------
# Failures


def test_rate_limit_then_success_is_retried(server: FakeOpenAI) -> None:
    server.script([Reply.error(429, "Rate limit reached", {"retry-after": "0"}), Reply.text("ok")])
    message = chat(server, max_retries=1).invoke("hi")
    assert message.content == "ok"
    assert len(server.requests) == 2
    assert server.requests[0] == server.requests[1]


def test_timeout_raises_quickly_and_server_still_stops(server: FakeOpenAI) -> None:
    server.script([Reply.delay(30, Reply.text("too late"))])
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        chat(server, timeout=0.2).invoke("hi")
    assert time.monotonic() - started < 3
    started = time.monotonic()
    server.close()
    assert time.monotonic() - started < 1


def test_close_is_prompt_while_a_handler_sleeps() -> None:
    # the client here waits longer than the test, so the handler is still sleeping when the server stops
    outcome: list[BaseException | int] = []
    with FakeOpenAI() as server:
        server.script([Reply.delay(30, Reply.text("never"))])

        def call() -> None:
            try:
                body = {"model": "m", "messages": MESSAGES}
                outcome.append(
                    httpx.post(f"{server.base_url}/chat/completions", json=body, timeout=20).status_code
                )
            except httpx.HTTPError as exc:
                outcome.append(exc)

        caller = threading.Thread(target=call)
        caller.start()
        deadline = time.monotonic() + 5
        while not server.requests and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.requests
        started = time.monotonic()
    assert time.monotonic() - started < 1
    caller.join(timeout=5)
    assert not caller.is_alive()
    # the connection was cut, not answered
    assert len(outcome) == 1 and isinstance(outcome[0], httpx.HTTPError)


def test_script_exhausted_is_a_500_without_retries(server: FakeOpenAI) -> None:
    server.script([Reply.text("only one")])
    llm = chat(server, max_retries=2)
    assert llm.invoke("hi").content == "only one"
    with pytest.raises(openai.InternalServerError, match=EXHAUSTED_MESSAGE):
        llm.invoke("again")
    assert len(server.requests) == 2  # x-should-retry: false stops the client retrying into the empty script


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_have_openai_error_body(status: int) -> None:
    with FakeOpenAI() as server:
        server.script([Reply.error(status, "upstream is down")])
        with pytest.raises(openai.InternalServerError) as raised:
            client(server).chat.completions.create(model="fake-model", messages=MESSAGES)
    assert raised.value.status_code == status
    assert raised.value.body == {
        "message": "upstream is down",
        "type": "server_error",
        "param": None,
        "code": None,
    }


def test_raw_reply_is_sent_verbatim() -> None:
    with FakeOpenAI() as server:
        server.script([Reply.raw(502, "<html>Bad Gateway</html>", "text/html")])
        with pytest.raises(openai.InternalServerError) as raised:
            client(server).chat.completions.create(model="fake-model", messages=MESSAGES)
    assert raised.value.status_code == 502
    assert raised.value.response.text == "<html>Bad Gateway</html>"


# ---------------------------------------------------------------------------------------------------------
# Scripting and routes


def test_responder_answers_after_the_script() -> None:
    with FakeOpenAI() as server:
        server.script([Reply.text("scripted")])
        server.respond_with(lambda request: Reply.text("echo: " + request["messages"][-1]["content"]))
        llm = chat(server)
        assert llm.invoke("one").content == "scripted"
        assert llm.invoke("two").content == "echo: two"
        assert server.remaining == 0


def test_responder_errors_are_reported() -> None:
    def broken(request: dict[str, Any]) -> Reply:
        raise KeyError("nope")

    with FakeOpenAI() as server:
        server.respond_with(broken)
        with pytest.raises(openai.InternalServerError, match="responder raised"):
            chat(server, max_retries=2).invoke("hi")
        assert len(server.requests) == 1
        assert isinstance(server.errors[0], KeyError)


def test_models_and_unknown_paths(server: FakeOpenAI) -> None:
    api = client(server)
    assert [m.id for m in api.models.list()] == ["fake-model"]
    with pytest.raises(openai.NotFoundError):
        api.responses.create(model="fake-model", input="hi")
    assert server.requests == []  # only chat completions are recorded


def test_keep_alive_connection_is_reused() -> None:
    # one client, several calls: they share a connection, so the chunked framing must be exact
    with FakeOpenAI() as server:
        server.script([Reply.text("a"), Reply.tool_calls([("run_query", QUERY_ARGS)]), Reply.text("c")])
        llm = chat(server).bind_tools([run_query])
        assert functools.reduce(operator.add, llm.stream("1")).content == "a"
        assert llm.invoke("2").tool_calls[0]["args"] == QUERY_ARGS
        assert functools.reduce(operator.add, llm.stream("3")).content == "c"


# ---------------------------------------------------------------------------------------------------------
# Wire format per flavour (what the module docstring promises)


def _deltas(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c["choices"][0]["delta"] for c in chunks if c["choices"]]


def _call_deltas(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [call for delta in _deltas(chunks) for call in delta.get("tool_calls", [])]


def test_openai_wire_format(raw: httpx.Client) -> None:
    with FakeOpenAI("openai") as server:
        server.script([Reply.tool_calls([("run_query", QUERY_ARGS)]), Reply.text("Hello there")])
        calls = raw_stream(raw, server, stream_options={"include_usage": True})
        text = raw_stream(raw, server)
    assert len({(c["id"], c["created"], c["system_fingerprint"]) for c in calls}) == 1
    assert calls[0]["id"].startswith("chatcmpl-") and calls[0]["system_fingerprint"].startswith("fp_")
    assert all(c["object"] == "chat.completion.chunk" and "obfuscation" in c for c in calls)
    first = _deltas(calls)[0]
    assert first["role"] == "assistant" and first["content"] is None
    assert first["tool_calls"][0]["id"].startswith("call_")
    assert first["tool_calls"][0]["function"] == {"name": "run_query", "arguments": ""}
    fragments = _call_deltas(calls)[1:]
    assert len(fragments) > 3 and all(set(f) == {"index", "function"} for f in fragments)
    assert calls[-2]["choices"][0] == {
        "index": 0,
        "delta": {},
        "logprobs": None,
        "finish_reason": "tool_calls",
    }
    assert all(c["usage"] is None for c in calls[:-1])
    assert calls[-1]["choices"] == [] and calls[-1]["usage"]["prompt_tokens_details"] == {
        "cached_tokens": 0,
        "audio_tokens": 0,
    }
    assert _deltas(text)[0] == {"role": "assistant", "content": "", "refusal": None}
    assert "usage" not in text[0]
    assert text[-1]["choices"][0]["finish_reason"] == "stop"


def test_vllm_wire_format(raw: httpx.Client) -> None:
    with FakeOpenAI("vllm") as server:
        server.script([Reply.tool_calls([("run_query", QUERY_ARGS)]), Reply.text("Hello there")])
        calls = raw_stream(raw, server, stream_options={"include_usage": True})
        text = raw_stream(raw, server)
    assert calls[0]["id"].startswith("chatcmpl-") and len(calls[0]["id"]) == len("chatcmpl-") + 32
    assert all("system_fingerprint" not in c for c in calls)
    assert all("usage" not in c for c in calls[:-1])
    assert _deltas(calls)[0] == {"role": "assistant", "content": ""}
    header, *fragments = _call_deltas(calls)
    assert header["id"].startswith("chatcmpl-tool-")
    assert header["function"] == {"name": "run_query"}  # no "arguments" key at all
    assert 1 <= len(fragments) <= 2
    middle = calls[1]["choices"][0]
    assert middle["logprobs"] is None and middle["finish_reason"] is None  # explicit nulls
    assert calls[-2]["choices"][0] == {
        "index": 0,
        "delta": {"content": ""},
        "logprobs": None,
        "finish_reason": "tool_calls",
        "stop_reason": None,
    }
    assert calls[-1]["choices"] == [] and set(calls[-1]["usage"]) == {
        "prompt_tokens",
        "total_tokens",
        "completion_tokens",
    }
    assert text[-1]["choices"][0]["finish_reason"] == "stop"


@pytest.mark.parametrize("tool_finish", ["tool_calls", "stop"])
def test_ollama_wire_format(raw: httpx.Client, tool_finish: Any) -> None:
    with FakeOpenAI("ollama", ollama_tool_finish=tool_finish) as server:
        server.script([Reply.tool_calls([("run_query", QUERY_ARGS), ("show_chart", {"kind": "bar"})])])
        server.script([Reply.tool_calls([("run_query", QUERY_ARGS)])])
        calls = raw_stream(raw, server, stream_options={"include_usage": True})
        completion = raw.post(
            f"{server.base_url}/chat/completions", json={"model": "m", "messages": MESSAGES}
        ).json()
    assert all(c["system_fingerprint"] == "fp_ollama" for c in calls)
    assert all("logprobs" not in choice for c in calls for choice in c["choices"])
    assert all(delta["role"] == "assistant" and delta["content"] == "" for delta in _deltas(calls))
    with_calls = [d["tool_calls"] for d in _deltas(calls) if "tool_calls" in d]
    assert [len(tc) for tc in with_calls] == [1, 1]  # one chunk per call, each complete
    first = with_calls[0][0]
    assert first["id"].startswith("call_") and len(first["id"]) == len("call_") + 8
    assert first["index"] == 0 and first["type"] == "function"
    assert first["function"] == {"name": "run_query", "arguments": json.dumps(QUERY_ARGS, ensure_ascii=False)}
    assert calls[-2]["choices"][0]["finish_reason"] == tool_finish
    assert calls[-1]["choices"] == [] and calls[-1]["usage"]["total_tokens"] > 0
    # non-streaming reports tool_calls in every Ollama version, with content "" beside the calls
    assert completion["choices"][0]["finish_reason"] == "tool_calls"
    assert completion["choices"][0]["message"]["content"] == ""


def test_ollama_old_stop_finish_still_gives_langchain_tool_calls() -> None:
    with FakeOpenAI("ollama", ollama_tool_finish="stop") as server:
        server.script([Reply.tool_calls([("run_query", QUERY_ARGS)])])
        streamed = functools.reduce(operator.add, chat(server).bind_tools([run_query]).stream("hi"))
    assert isinstance(streamed, AIMessageChunk)
    assert [(c["name"], c["args"]) for c in streamed.tool_calls] == [("run_query", QUERY_ARGS)]


def test_port_is_free_and_loopback_only() -> None:
    with FakeOpenAI() as server:
        assert server.base_url == f"http://127.0.0.1:{server.port}/v1"
        port = server.port
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            pass
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_unknown_flavour_is_rejected() -> None:
    bad: Any = "llamacpp"
    with pytest.raises(ValueError, match="unknown flavour"):
        FakeOpenAI(bad)
