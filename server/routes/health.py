from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["health"])


@router.get("/health")
def health(request: Request) -> JSONResponse:
    """200 `{"status": "ready"}` once the model is loaded, the database open and a question can be
    answered now (the local planner is built); 503 before."""
    chat = request.app.state.chat
    if chat is None:
        return JSONResponse({"status": "starting"}, status_code=503)
    state, llm = chat.server, chat.llm
    return JSONResponse(
        {
            "status": "ready",
            "model": state.layer.model.name,
            "data_as_of": state.data_as_of,
            "llm": {"enabled": True, "model": llm.config.model} if llm else {"enabled": False},
            "version": state.version,
            "cache": "on" if request.app.state.settings.cache else "off",
            "rollups": state.rollups,
            "rollups_reason": state.rollups_reason,
            "engine": state.layer.engine.dialect,
        }
    )
