"""The caller's conversations: list (newest first), read (every turn), delete. Another user's -> 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from starlette.concurrency import run_in_threadpool

from ..errors import ConversationNotFound
from ..store import Conversation, ConversationSummary
from .dependencies import ChatDep, IdentityDep

router = APIRouter(tags=["conversations"])


@router.get("/conversations")
async def list_conversations(
    chat: ChatDep, identity: IdentityDep, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[ConversationSummary]:
    """The caller's conversations with their titles, the most recently active first."""
    return await run_in_threadpool(chat.store.conversations, identity.user_id, limit)


@router.get("/conversations/{conversation_id}")
async def read_conversation(conversation_id: str, chat: ChatDep, identity: IdentityDep) -> Conversation:
    """One of the caller's conversations with its turns (question, answer, time) in order."""
    conversation = await run_in_threadpool(chat.store.conversation, identity.user_id, conversation_id)
    if conversation is None:
        raise ConversationNotFound(conversation_id=conversation_id)
    return conversation


@router.delete("/conversations/{conversation_id}", status_code=204)
async def delete_conversation(conversation_id: str, chat: ChatDep, identity: IdentityDep) -> Response:
    """Delete one of the caller's conversations (feedback given on it is kept for review)."""
    if not await run_in_threadpool(chat.store.delete_conversation, identity.user_id, conversation_id):
        raise ConversationNotFound(conversation_id=conversation_id)
    return Response(status_code=204)
