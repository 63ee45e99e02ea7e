"""Request dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from semantic_layer.errors import ExecutionError

from ..state import ServerState


def get_state(request: Request) -> ServerState:
    state: ServerState | None = request.app.state.server
    if state is None:
        raise ExecutionError("the server is starting up; try again in a moment")
    return state


StateDep = Annotated[ServerState, Depends(get_state)]
