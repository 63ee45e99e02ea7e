from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from semantic_layer.query import SemanticQuery
from semantic_layer.result import QueryResult

from .dependencies import IdentityDep, StateDep

router = APIRouter(tags=["query"])


@router.post("/query")
async def run_query(
    query: SemanticQuery, state: StateDep, identity: IdentityDep, lang: Literal["zh", "en"] | None = None
) -> QueryResult:
    """The headless semantic API: a SemanticQuery in, a QueryResult (columns, rows, SQL) out, as the caller
    may see the data."""
    return await run_in_threadpool(state.layer.query, query, identity, language=lang)
