"""👍/👎 on an answer, stored with its question, intent and answer so that wrong answers can be reviewed."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field, StringConstraints
from starlette.concurrency import run_in_threadpool

from ..errors import TurnNotFound
from ..store import Rating
from .dependencies import ChatDep, IdentityDep

router = APIRouter(tags=["feedback"])


class FeedbackRequest(BaseModel):
    conversation_id: str
    turn_id: str
    rating: Rating
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = Field(
        default=None, description="What was wrong or right, in the user's words."
    )


class FeedbackSaved(BaseModel):
    id: int
    conversation_id: str
    turn_id: str
    rating: Rating
    comment: str | None
    created_at: datetime
    updated_at: datetime


@router.post("/feedback")
async def give_feedback(body: FeedbackRequest, chat: ChatDep, identity: IdentityDep) -> FeedbackSaved:
    """Rate one of the caller's answers; rating the same answer again replaces the earlier rating."""
    record = await run_in_threadpool(
        chat.store.save_feedback,
        identity.user_id,
        body.conversation_id,
        body.turn_id,
        body.rating,
        body.comment or None,
    )
    if record is None:
        raise TurnNotFound(conversation_id=body.conversation_id, turn_id=body.turn_id)
    return FeedbackSaved.model_validate(record.model_dump(exclude={"question", "intent", "answer"}))
