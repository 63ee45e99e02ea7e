"""Questions: `POST /api/ask` answers with an Answer; `POST /api/ask/stream` streams the same as events."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from agent.answer import Answer

from ..chat import AskRequest, question_language
from ..errors import language_of_request
from ..streaming import answer_events
from .dependencies import ChatDep, IdentityDep

router = APIRouter(tags=["ask"])


@router.post("/ask")
async def ask(body: AskRequest, chat: ChatDep, identity: IdentityDep) -> Answer:
    """Answer a question (or a clarification's `choice`) in a conversation, as the caller."""
    with chat.admit(identity, question_language(body)):
        return await run_in_threadpool(chat.answer, body, identity)


@router.post("/ask/stream", response_class=StreamingResponse)
async def ask_stream(
    body: AskRequest, request: Request, chat: ChatDep, identity: IdentityDep
) -> StreamingResponse:
    """The same as `/api/ask` as server-sent events: `stage`, `token`, then `answer` or `error`.
    A request refused before answering starts gets a plain HTTP error instead."""
    await run_in_threadpool(chat.check, body, identity)
    slot = chat.admit(
        identity, question_language(body)
    )  # released when the answer is done (or, at the latest, the response)
    return StreamingResponse(
        answer_events(chat, body, identity, language_of_request(request), slot),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        background=BackgroundTask(slot.release),
    )
