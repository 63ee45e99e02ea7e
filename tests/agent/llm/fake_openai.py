"""A scripted server speaking the OpenAI chat-completions protocol on loopback, for tests.

Tests never reach the internet: they point the real ``openai`` / ``langchain_openai`` clients at this
server and script what it answers::

    with FakeOpenAI(flavour="vllm") as server:
        server.script([Reply.tool_calls([("run_query", {"metrics": ["tickets"]})]), Reply.text("Done.")])
        llm = ChatOpenAI(
            model="fake-model", base_url=server.base_url, api_key="test", use_responses_api=False, max_retries=0
        )
        ...
        assert server.requests[0]["tools"][0]["function"]["name"] == "run_query"

Scripted replies are consumed first, one per ``POST /v1/chat/completions``; once the script is empty the
responder given to ``respond_with`` (if any) answers; with neither, the server answers HTTP 500
"fake OpenAI server: script exhausted" with ``x-should-retry: false`` so the test fails at once instead of
the client retrying into it.

Streaming replays the chunk shapes each real server sends, so client code is tested against what it will
meet in production rather than against an idealised stream:

openai -- recorded gpt-4o / gpt-4o-mini streams (quoted in the test suites of public OpenAI-compatible
    adapters, e.g. a gpt-4o-2024-08-06 trace with ``obfuscation``) and the API reference for
    ``chat.completion.chunk`` / ``stream_options``:
    * every chunk has the same ``id`` ("chatcmpl-..."), ``created``, ``model``, ``service_tier``,
      ``system_fingerprint`` ("fp_..."), an ``obfuscation`` padding string, and per choice
      ``logprobs: null`` / ``finish_reason: null``; with ``include_usage`` every chunk also has
      ``usage: null`` and one extra chunk with ``choices: []`` and the usage (with token details) closes the
      stream before ``[DONE]``;
    * text: first delta ``{"role": "assistant", "content": "", "refusal": null}``, then the content in many
      small pieces;
    * tool calls without text: the FIRST delta carries ``role``, ``content: null``, ``refusal: null`` and the
      first call's header ``{"index", "id": "call_...", "type": "function", "function": {"name",
      "arguments": ""}}``; then deltas holding only ``index`` and ``function.arguments`` fragments (token-
      sized: ``{"``, ``metrics``, ``":["`` ...); each further call opens with its own header delta;
    * the last choice chunk has ``delta: {}`` and ``finish_reason`` "stop" or "tool_calls".
vllm -- ``vllm/entrypoints/openai/serving_chat.py`` (``chat_completion_stream_generator``), its hermes tool
    parser (``tool_parsers/hermes_tool_parser.py``) and ``chat_utils.make_tool_call_id``:
    * ids "chatcmpl-<32 hex>" and tool-call ids "chatcmpl-tool-<32 hex>"; no ``system_fingerprint``;
      chunks are dumped with ``exclude_unset`` so intermediate choices carry explicit ``"logprobs": null``
      and ``"finish_reason": null`` but there is no ``usage`` key;
    * first chunk: ``delta: {"role": "assistant", "content": ""}`` (plus ``prompt_token_ids: null`` in
      current releases); content is streamed token by token as ``{"content": ...}``;
    * a tool call opens with ``{"id", "type": "function", "index", "function": {"name"}}`` (no
      ``arguments`` key), then its arguments follow in one or two larger fragments (the parser emits the
      auto-completed JSON prefix once it can parse it, then the rest);
    * the final chunk is ``delta: {"content": ""}`` with ``finish_reason`` ("tool_calls" once a tool was
      streamed) and ``stop_reason: null``; with ``include_usage`` a chunk with ``choices: []`` and
      ``usage`` (``prompt_tokens``, ``total_tokens``, ``completion_tokens``; dumped ``exclude_none``) follows.
ollama -- ``openai/openai.go`` (``ToChunk``, ``ToToolCalls``, ``ToChatCompletion``) and
    ``middleware/openai.go`` (``ChatWriter``) in ollama/ollama:
    * id "chatcmpl-<0..998>", ``system_fingerprint: "fp_ollama"``, no ``logprobs`` key; every delta has
      ``role: "assistant"`` and a string ``content`` (never a role-only first chunk);
    * each tool call arrives complete in ONE chunk (``id`` "call_<8 lowercase alnum>", ``index``,
      ``type``, ``name`` and the full ``arguments``) with ``content: ""``;
    * the final chunk is ``delta: {"role": "assistant", "content": ""}``; its ``finish_reason`` is
      "tool_calls" once a tool call was sent (``ChatWriter.toolCallSent``, ollama PR #7963, 2025); older
      releases sent "stop" -- choose that with ``FakeOpenAI(ollama_tool_finish="stop")``;
    * with ``include_usage`` the final chunk is repeated with ``choices: []`` and ``usage``.

Non-streaming answers are ``chat.completion`` objects shaped the same way per flavour (e.g. vLLM's
``stop_reason`` and ``tool_calls: []``, Ollama's ``content: ""`` next to tool calls).
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import select
import socket
import string
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, cast

Flavour = Literal["openai", "vllm", "ollama"]
FLAVOURS: tuple[Flavour, ...] = ("openai", "vllm", "ollama")

EXHAUSTED_MESSAGE = "fake OpenAI server: script exhausted"

Json = dict[str, Any]


@dataclass(frozen=True)
class ToolCall:
    """One scripted tool call; ``arguments`` is sent verbatim (it may be malformed on purpose)."""

    name: str
    arguments: str


@dataclass(frozen=True)
class Reply:
    """What the server answers to one chat-completions request. Build it with the class methods."""

    kind: Literal["message", "error", "delay", "raw"]
    content: str = ""
    calls: tuple[ToolCall, ...] = ()
    status: int = 200
    message: str = ""
    body: str = ""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    seconds: float = 0.0
    then: Reply | None = None

    @classmethod
    def text(cls, content: str) -> Reply:
        """An assistant message with text only (finish_reason "stop")."""
        return cls(kind="message", content=content)

    @classmethod
    def tool_calls(cls, calls: list[tuple[str, dict[str, Any] | str]], content: str = "") -> Reply:
        """One or more tool calls; dict arguments are JSON-encoded, str arguments are sent verbatim."""
        if not calls:
            raise ValueError("Reply.tool_calls needs at least one call")
        encoded = tuple(
            ToolCall(name, args if isinstance(args, str) else json.dumps(args, ensure_ascii=False))
            for name, args in calls
        )
        return cls(kind="message", content=content, calls=encoded)

    @classmethod
    def error(
        cls, status: int, message: str = "fake OpenAI server error", headers: Mapping[str, str] | None = None
    ) -> Reply:
        """An HTTP error with OpenAI's error body, e.g. ``Reply.error(429, headers={"retry-after": "0"})``."""
        return cls(kind="error", status=status, message=message, headers=tuple((headers or {}).items()))

    @classmethod
    def delay(cls, seconds: float, then: Reply) -> Reply:
        """Wait before answering ``then`` (to trigger client timeouts); cut short when the server stops."""
        return cls(kind="delay", seconds=seconds, then=then)

    @classmethod
    def raw(cls, status: int, body: str, content_type: str = "application/json") -> Reply:
        """A verbatim body, e.g. HTML from a proxy or truncated JSON."""
        return cls(kind="raw", status=status, body=body, content_type=content_type)


Responder = Callable[[Json], Reply]


def error_body(status: int, message: str) -> Json:
    """OpenAI's error envelope; ``type``/``code`` follow what api.openai.com sends for common statuses."""
    kind, code = {
        400: ("invalid_request_error", None),
        401: ("invalid_request_error", "invalid_api_key"),
        404: ("invalid_request_error", "unknown_url"),
        429: ("requests", "rate_limit_exceeded"),
    }.get(status, ("server_error" if status >= 500 else "invalid_request_error", None))
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


# ---------------------------------------------------------------------------------------------------------
# Splitting text the way servers stream it


def _content_pieces(text: str) -> list[str]:
    """Small, lossless, token-like pieces: a word (or up to four characters of one) with its leading space."""
    return re.findall(r"\s*\S{1,4}|\s+", text)


def _argument_pieces(arguments: str) -> list[str]:
    """Token-like fragments of a JSON string, as OpenAI streams them: punctuation runs and word runs."""
    return re.findall(r'[{}\[\]:,"]+|[^{}\[\]:,"]+', arguments)


def _two_pieces(arguments: str) -> list[str]:
    """vLLM's hermes parser: the parsable prefix once it appears, then the rest."""
    if len(arguments) < 2:
        return [arguments] if arguments else []
    cut = len(arguments) // 2
    return [arguments[:cut], arguments[cut:]]


def _usage(request: Json, reply: Reply) -> tuple[int, int]:
    """Deterministic, roughly plausible token counts (about four characters a token)."""
    prompt = max(1, len(json.dumps(request.get("messages", []), ensure_ascii=False)) // 4)
    produced = len(reply.content) + sum(len(call.name) + len(call.arguments) for call in reply.calls)
    return prompt, max(1, produced // 4)


def _random_alnum(length: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(random.choices(alphabet, k=length))


# ---------------------------------------------------------------------------------------------------------
# Flavours: non-streaming bodies and streamed chunks


@dataclass
class _Turn:
    """What one answer needs: the request, the reply and the ids/timestamp shared by its chunks."""

    flavour: Flavour
    request: Json
    reply: Reply
    ollama_tool_finish: str
    created: int = field(default_factory=lambda: int(time.time()))
    fingerprint: str = field(default_factory=lambda: "fp_" + uuid.uuid4().hex[:10])
    id: str = field(init=False)
    call_ids: list[str] = field(init=False)

    def __post_init__(self) -> None:
        if self.flavour == "openai":
            self.id = "chatcmpl-" + _random_alnum(29)
            self.call_ids = ["call_" + _random_alnum(24) for _ in self.reply.calls]
        elif self.flavour == "vllm":
            self.id = "chatcmpl-" + uuid.uuid4().hex
            self.call_ids = ["chatcmpl-tool-" + uuid.uuid4().hex for _ in self.reply.calls]
        else:
            self.id = f"chatcmpl-{random.randrange(999)}"
            self.call_ids = [
                "call_" + _random_alnum(8, string.ascii_lowercase + string.digits) for _ in self.reply.calls
            ]

    @property
    def model(self) -> str:
        model = self.request.get("model")
        return model if isinstance(model, str) else "fake-model"

    @property
    def finish_reason(self) -> str:
        return "tool_calls" if self.reply.calls else "stop"

    @property
    def include_usage(self) -> bool:
        options = self.request.get("stream_options")
        return isinstance(options, dict) and bool(options.get("include_usage"))

    def usage(self) -> Json:
        prompt, completion = _usage(self.request, self.reply)
        total = prompt + completion
        if self.flavour == "openai":
            return {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": total,
                "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                "completion_tokens_details": {
                    "reasoning_tokens": 0,
                    "audio_tokens": 0,
                    "accepted_prediction_tokens": 0,
                    "rejected_prediction_tokens": 0,
                },
            }
        if self.flavour == "vllm":  # UsageInfo's field order
            return {"prompt_tokens": prompt, "total_tokens": total, "completion_tokens": completion}
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": total}

    # -- non-streaming ------------------------------------------------------------------------------------

    def completion(self) -> Json:
        reply, calls = self.reply, self.reply.calls
        if self.flavour == "openai":
            message: Json = {
                "role": "assistant",
                "content": reply.content if reply.content or not calls else None,
                "refusal": None,
                "annotations": [],
            }
            if calls:
                message["tool_calls"] = [
                    {"id": cid, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                    for cid, c in zip(self.call_ids, calls, strict=True)
                ]
            return {
                "id": self.id,
                "object": "chat.completion",
                "created": self.created,
                "model": self.model,
                "choices": [
                    {"index": 0, "message": message, "logprobs": None, "finish_reason": self.finish_reason}
                ],
                "usage": self.usage(),
                "service_tier": "default",
                "system_fingerprint": self.fingerprint,
            }
        if self.flavour == "vllm":  # ChatCompletionResponse.model_dump(): every field, nulls included
            return {
                "id": self.id,
                "object": "chat.completion",
                "created": self.created,
                "model": self.model,
                "choices": [
                    {
                        "index": 0,
                        "message": {
                            "role": "assistant",
                            "content": reply.content if reply.content or not calls else None,
                            "refusal": None,
                            "annotations": None,
                            "audio": None,
                            "function_call": None,
                            "tool_calls": [
                                {
                                    "id": cid,
                                    "type": "function",
                                    "function": {"name": c.name, "arguments": c.arguments},
                                }
                                for cid, c in zip(self.call_ids, calls, strict=True)
                            ],
                            "reasoning_content": None,
                        },
                        "logprobs": None,
                        "finish_reason": self.finish_reason,
                        "stop_reason": None,
                    }
                ],
                "service_tier": None,
                "system_fingerprint": None,
                "usage": {**self.usage(), "prompt_tokens_details": None},
                "prompt_logprobs": None,
                "kv_transfer_params": None,
            }
        ollama_message: Json = {"role": "assistant", "content": reply.content}
        if calls:
            ollama_message["tool_calls"] = self._ollama_calls()
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": "fp_ollama",
            # ToChatCompletion reports "tool_calls" whenever there are tool calls, in every version
            "choices": [{"index": 0, "message": ollama_message, "finish_reason": self.finish_reason}],
            "usage": self.usage(),
        }

    def _ollama_calls(self) -> list[Json]:
        return [
            {
                "id": cid,
                "index": i,
                "type": "function",
                "function": {"name": c.name, "arguments": c.arguments},
            }
            for i, (cid, c) in enumerate(zip(self.call_ids, self.reply.calls, strict=True))
        ]

    # -- streaming ----------------------------------------------------------------------------------------

    def chunks(self) -> list[Json]:
        if self.flavour == "openai":
            return self._openai_chunks()
        if self.flavour == "vllm":
            return self._vllm_chunks()
        return self._ollama_chunks()

    def _openai_chunks(self) -> list[Json]:
        def chunk(delta: Json, finish: str | None = None) -> Json:
            out: Json = {
                "id": self.id,
                "object": "chat.completion.chunk",
                "created": self.created,
                "model": self.model,
                "service_tier": "default",
                "system_fingerprint": self.fingerprint,
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
            }
            if self.include_usage:
                out["usage"] = None
            out["obfuscation"] = _random_alnum(random.randrange(0, 12))
            return out

        def header(i: int) -> Json:
            call = self.reply.calls[i]
            return {
                "index": i,
                "id": self.call_ids[i],
                "type": "function",
                "function": {"name": call.name, "arguments": ""},
            }

        reply = self.reply
        out: list[Json] = []
        first_call_in_role_chunk = bool(reply.calls) and not reply.content
        if first_call_in_role_chunk:
            out.append(
                chunk({"role": "assistant", "content": None, "tool_calls": [header(0)], "refusal": None})
            )
        else:
            out.append(chunk({"role": "assistant", "content": "", "refusal": None}))
            out += [chunk({"content": piece}) for piece in _content_pieces(reply.content)]
        for i, call in enumerate(reply.calls):
            if i > 0 or not first_call_in_role_chunk:
                out.append(chunk({"tool_calls": [header(i)]}))
            out += [
                chunk({"tool_calls": [{"index": i, "function": {"arguments": piece}}]})
                for piece in _argument_pieces(call.arguments)
            ]
        out.append(chunk({}, self.finish_reason))
        if self.include_usage:
            last = chunk({})
            last["choices"] = []
            last["usage"] = self.usage()
            out.append(last)
        return out

    def _vllm_chunks(self) -> list[Json]:
        def chunk(delta: Json, finish: str | None = None, final: bool = False) -> Json:
            choice: Json = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            if final:
                choice["stop_reason"] = None
            return {
                "id": self.id,
                "object": "chat.completion.chunk",
                "created": self.created,
                "model": self.model,
                "choices": [choice],
            }

        reply = self.reply
        first = chunk({"role": "assistant", "content": ""})
        first["prompt_token_ids"] = None
        out = [first]
        out += [chunk({"content": piece}) for piece in _content_pieces(reply.content)]
        for i, (cid, call) in enumerate(zip(self.call_ids, reply.calls, strict=True)):
            out.append(
                chunk(
                    {
                        "tool_calls": [
                            {"id": cid, "type": "function", "index": i, "function": {"name": call.name}}
                        ]
                    }
                )
            )
            out += [
                chunk({"tool_calls": [{"index": i, "function": {"arguments": piece}}]})
                for piece in _two_pieces(call.arguments)
            ]
        out.append(chunk({"content": ""}, self.finish_reason, final=True))
        if self.include_usage:
            out.append(
                {
                    "id": self.id,
                    "object": "chat.completion.chunk",
                    "created": self.created,
                    "model": self.model,
                    "choices": [],
                    "usage": self.usage(),
                }
            )
        return out

    def _ollama_chunks(self) -> list[Json]:
        def chunk(delta: Json, finish: str | None = None) -> Json:
            return {
                "id": self.id,
                "object": "chat.completion.chunk",
                "created": self.created,
                "model": self.model,
                "system_fingerprint": "fp_ollama",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }

        reply = self.reply
        out = [chunk({"role": "assistant", "content": piece}) for piece in _content_pieces(reply.content)]
        out += [
            chunk({"role": "assistant", "content": "", "tool_calls": [call]}) for call in self._ollama_calls()
        ]
        finish = self.ollama_tool_finish if reply.calls else "stop"
        out.append(chunk({"role": "assistant", "content": ""}, finish))
        if self.include_usage:
            last = chunk({"role": "assistant", "content": ""}, finish)
            last["choices"] = []
            last["usage"] = self.usage()
            out.append(last)
        return out


def _models(flavour: Flavour, model: str) -> Json:
    created = int(time.time())
    entry: Json = {"id": model, "object": "model", "created": created}
    if flavour == "openai":
        entry["owned_by"] = "openai"
    elif flavour == "vllm":
        entry |= {"owned_by": "vllm", "root": model, "parent": None, "max_model_len": 32768, "permission": []}
    else:
        entry["owned_by"] = "library"
    return {"object": "list", "data": [entry]}


# ---------------------------------------------------------------------------------------------------------
# HTTP


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a stuck handler must never keep pytest alive
    block_on_close = False  # FakeOpenAI.close joins handlers itself, with a timeout
    owner: FakeOpenAI


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked streaming, as uvicorn (vLLM) and gin (Ollama) do
    disable_nagle_algorithm = True  # else headers and body, written apart, meet delayed ACKs: 40 ms a call
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.owner._register(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.owner._unregister(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep pytest output clean

    # -- routing ------------------------------------------------------------------------------------------

    def handle(self) -> None:
        try:
            super().handle()
        except (ConnectionError, TimeoutError):
            self.close_connection = True  # the client hung up (after its own timeout, or closing its pool)

    def do_GET(self) -> None:
        self._get()

    def do_POST(self) -> None:
        self._post()

    def _path(self) -> str:
        return self.path.split("?", 1)[0].rstrip("/")

    def _get(self) -> None:
        owner = self.server.owner
        if self._path() == "/v1/models":
            self._send_json(200, _models(owner.flavour, owner.model))
        else:
            self._send_json(404, error_body(404, f"Unknown request URL: GET {self.path}."))

    def _post(self) -> None:
        raw = self._read_body()
        if self._path() != "/v1/chat/completions":
            self._send_json(404, error_body(404, f"Unknown request URL: POST {self.path}."))
            return
        try:
            request = json.loads(raw)
        except ValueError:
            request = None
        if not isinstance(request, dict):
            self._send_json(400, error_body(400, "fake OpenAI server: the body is not a JSON object"))
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        reply = self.server.owner._next_reply(request, headers)
        self._answer(request, reply)

    def _read_body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            parts: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("content-length") or 0))

    # -- answering ----------------------------------------------------------------------------------------

    def _answer(self, request: Json, reply: Reply) -> None:
        owner = self.server.owner
        if reply.kind == "delay":
            if not self._wait(reply.seconds):
                self.close_connection = True  # stopping, or nobody is waiting any more
                return
            assert reply.then is not None
            self._answer(request, reply.then)
        elif reply.kind == "error":
            self._send_json(reply.status, error_body(reply.status, reply.message), dict(reply.headers))
        elif reply.kind == "raw":
            self._send_bytes(reply.status, reply.body.encode(), reply.content_type)
        else:
            turn = _Turn(owner.flavour, request, reply, owner.ollama_tool_finish)
            if request.get("stream"):
                self._send_stream(turn.chunks())
            else:
                self._send_json(200, turn.completion())

    def _wait(self, seconds: float) -> bool:
        """Sleep in short slices; False if the server is stopping or the client hung up meanwhile."""
        deadline = time.monotonic() + seconds
        stop = self.server.owner._stop
        while (left := deadline - time.monotonic()) > 0:
            if stop.wait(min(left, 0.02)) or self._peer_closed():
                return False
        return True

    def _peer_closed(self) -> bool:
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True

    def _send_json(self, status: int, body: Json, headers: Mapping[str, str] | None = None) -> None:
        self._send_bytes(status, json.dumps(body, ensure_ascii=False).encode(), "application/json", headers)

    def _send_bytes(
        self, status: int, body: bytes, content_type: str, headers: Mapping[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _send_stream(self, chunks: list[Json]) -> None:
        flavour = self.server.owner.flavour
        self.send_response(200)
        # starlette (vLLM) and OpenAI add a charset to text/* types; gin (Ollama) does not
        media = "text/event-stream" if flavour == "ollama" else "text/event-stream; charset=utf-8"
        self.send_header("Content-Type", media)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        events = [f"data: {json.dumps(c, ensure_ascii=False, separators=(',', ':'))}\n\n" for c in chunks]
        for event in [*events, "data: [DONE]\n\n"]:
            data = event.encode()
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()  # one network write per event, as a real token stream arrives
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


# ---------------------------------------------------------------------------------------------------------
# Public object


class FakeOpenAI:
    """An OpenAI-protocol server on 127.0.0.1 (a free port) answering from a script; see the module doc.

    ``requests`` / ``headers`` are snapshots of the parsed JSON bodies and the lower-cased request headers
    received on ``/v1/chat/completions``, in order.
    """

    def __init__(
        self,
        flavour: Flavour = "openai",
        *,
        model: str = "fake-model",
        ollama_tool_finish: Literal["tool_calls", "stop"] = "tool_calls",
    ) -> None:
        if flavour not in FLAVOURS:
            raise ValueError(f"unknown flavour {flavour!r}; expected one of {FLAVOURS}")
        self.flavour: Flavour = flavour
        self.model = model
        self.ollama_tool_finish: str = ollama_tool_finish
        self.errors: list[BaseException] = []  # exceptions raised by a responder
        self._lock = threading.Lock()
        self._script: deque[Reply] = deque()
        self._responder: Responder | None = None
        self._requests: list[Json] = []
        self._headers: list[dict[str, str]] = []
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._stop = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------------------

    def start(self) -> FakeOpenAI:
        if self._httpd is not None:
            return self
        self._stop.clear()
        httpd = _Server(("127.0.0.1", 0), _Handler)
        httpd.owner = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, name="fake-openai", daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop promptly: wake delayed handlers, stop accepting, cut open connections, join threads."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stop.set()
        httpd.shutdown()
        with self._lock:
            open_connections = dict(self._connections)
        for connection in open_connections:
            # wakes handlers blocked reading the next request on a keep-alive connection
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        httpd.server_close()
        for thread in open_connections.values():
            thread.join(timeout=2)
        if self._thread is not None:
            self._thread.join(timeout=2)

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("FakeOpenAI is not running")
        return cast(int, self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # -- scripting ----------------------------------------------------------------------------------------

    def script(self, replies: list[Reply]) -> None:
        """Queue replies (appended to any still pending); each request consumes the next one."""
        with self._lock:
            self._script.extend(replies)

    def respond_with(self, responder: Responder | None) -> None:
        """Answer with ``responder(request_body)`` once the script is empty (None removes it)."""
        with self._lock:
            self._responder = responder

    @property
    def remaining(self) -> int:
        with self._lock:
            return len(self._script)

    @property
    def requests(self) -> list[Json]:
        with self._lock:
            return list(self._requests)

    @property
    def headers(self) -> list[dict[str, str]]:
        with self._lock:
            return list(self._headers)

    # -- called by handlers -------------------------------------------------------------------------------

    def _next_reply(self, request: Json, headers: dict[str, str]) -> Reply:
        with self._lock:
            self._requests.append(request)
            self._headers.append(headers)
            if self._script:
                return self._script.popleft()
            responder = self._responder
        if responder is None:
            # x-should-retry: false so a client with retries fails at once instead of retrying into it
            return Reply.error(500, EXHAUSTED_MESSAGE, {"x-should-retry": "false"})
        try:
            return responder(request)
        except Exception as exc:  # surfaced to the test through the client's error and self.errors
            with self._lock:
                self.errors.append(exc)
            return Reply.error(
                500, f"fake OpenAI server: responder raised {exc!r}", {"x-should-retry": "false"}
            )

    def _register(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections[connection] = threading.current_thread()

    def _unregister(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.pop(connection, None)
