"""Request dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from semantic_layer.errors import ExecutionError
from semantic_layer.identity import Identity

from ..auth import resolve_identity
from ..chat import ChatService
from ..state import ServerState


def get_state(request: Request) -> ServerState:
    """The model and data in service now."""
    return get_chat(request).server


def get_chat(request: Request) -> ChatService:
    chat: ChatService | None = request.app.state.chat
    if chat is None:
        raise ExecutionError("the server is starting up; try again in a moment")
    return chat


def get_identity(
    request: Request,
    authorization: Annotated[str | None, Header(description="Bearer identity token from the portal")] = None,
) -> Identity:
    """The caller: the identity token's, or the local identity when no token key is configured."""
    return resolve_identity(request.app.state.verifier, authorization)


StateDep = Annotated[ServerState, Depends(get_state)]
ChatDep = Annotated[ChatService, Depends(get_chat)]
IdentityDep = Annotated[Identity, Depends(get_identity)]
