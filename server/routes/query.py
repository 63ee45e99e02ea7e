from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from semantic_layer.identity import LOCAL_IDENTITY
from semantic_layer.query import SemanticQuery
from semantic_layer.result import QueryResult

from .dependencies import StateDep

router = APIRouter(tags=["query"])


@router.post("/query")
async def run_query(
    query: SemanticQuery, state: StateDep, lang: Literal["zh", "en"] | None = None
) -> QueryResult:
    """The headless semantic API: a SemanticQuery in, a QueryResult (columns, rows, SQL) out."""
    return await run_in_threadpool(state.layer.query, query, LOCAL_IDENTITY, language=lang)
