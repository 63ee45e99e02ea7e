"""Server-sent events for `POST /api/ask/stream`: `stage` as each stage starts, `token` chunks of the
checked narrative, then `answer` (the Answer) or `error` (the error body)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

from starlette.concurrency import run_in_threadpool

from agent.answer import Answer
from semantic_layer.identity import Identity
from semantic_layer.model import Language

from .chat import AskRequest, ChatService
from .errors import ApiError, error_body
from .limits import Slot

logger = logging.getLogger("chatbi.server")
_SENTENCE = re.compile(r".+?(?:[。！？!?；;]|\.(?=\s)|$)\s*", re.DOTALL)
MAX_TOKEN_EVENTS = 4
_running: set[asyncio.Task[None]] = set()


def server_sent_event(event: str, data: Any) -> str:
    """One event: its name and its JSON data on one line."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


def narrative_chunks(text: str | None) -> list[str]:
    """The narrative in a few chunks cut at sentence ends; joined, they are the narrative exactly."""
    if not text:
        return []
    sentences = _SENTENCE.findall(text)
    per_chunk = -(-len(sentences) // MAX_TOKEN_EVENTS)
    return ["".join(sentences[i : i + per_chunk]) for i in range(0, len(sentences), per_chunk)]


async def answer_events(
    chat: ChatService, request: AskRequest, identity: Identity, fallback: Language, slot: Slot | None = None
) -> AsyncIterator[str]:
    """Answer in a worker thread and yield its events as they happen. If the client goes away, the
    answer still finishes and is recorded in the conversation."""
    loop = asyncio.get_running_loop()
    events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    def emit(kind: str, data: Any) -> None:
        loop.call_soon_threadsafe(events.put_nowait, (kind, data))

    def work() -> None:
        try:
            emit("done", chat.answer(request, identity, lambda name: emit("stage", {"name": name})))
        except ApiError as error:
            emit(
                "failed", error_body(error.code, error.message(error.language or fallback), error.suggestions)
            )
        except Exception:
            logger.exception("answering a streamed question failed")
            emit(
                "failed",
                error_body("internal_error", "Something went wrong on the server; the error is logged."),
            )
        finally:
            if slot is not None:
                slot.release()

    task = asyncio.create_task(run_in_threadpool(work))
    _running.add(task)
    task.add_done_callback(_running.discard)
    while True:
        kind, data = await events.get()
        if kind == "stage":
            yield server_sent_event("stage", data)
        elif kind == "failed":
            yield server_sent_event("error", data)
            return
        else:
            answer: Answer = data
            for chunk in narrative_chunks(answer.answer):
                yield server_sent_event("token", {"text": chunk})
            yield server_sent_event("answer", answer.model_dump(mode="json"))
            return
