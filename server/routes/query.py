from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from semantic_layer.query import SemanticQuery
from semantic_layer.result import QueryResult

from .dependencies import ChatDep, IdentityDep

router = APIRouter(tags=["query"])


@router.post("/query")
async def run_query(
    query: SemanticQuery, chat: ChatDep, identity: IdentityDep, lang: Literal["zh", "en"] | None = None
) -> QueryResult:
    """The headless semantic API: a SemanticQuery in, a QueryResult (columns, rows, SQL) out, as the caller
    may see the data (rate limits and the audit log as for questions)."""
    with chat.admit(identity, lang):
        return await run_in_threadpool(chat.query, query, identity, lang)
