"""Administration: reload the model and the data without a restart (the old version keeps serving if the
new one does not open)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from semantic_layer.errors import SemanticLayerError
from semantic_layer.identity import Identity

from ..errors import Forbidden, ReloadFailed
from ..state import warm_up
from .dependencies import ChatDep, IdentityDep

router = APIRouter(tags=["admin"])


def require_admin(request: Request, identity: Identity) -> None:
    roles: list[str] = request.app.state.settings.admin_roles
    if not identity.unrestricted and not set(identity.roles) & set(roles):
        raise Forbidden()


@router.post("/admin/reload")
async def reload(request: Request, chat: ChatDep, identity: IdentityDep) -> dict[str, Any]:
    """Open the model file and the database again and serve them; questions in flight finish on the old
    version. An administrator's call (a role in CHATBI_ADMIN_ROLES, or the local user)."""
    require_admin(request, identity)
    try:
        state = await run_in_threadpool(chat.serving.reload, warm_up)
    except SemanticLayerError as error:
        raise ReloadFailed(detail=str(error)) from None
    return {
        "status": "reloaded",
        "version": state.version,
        "model": state.layer.model.name,
        "data_as_of": state.data_as_of,
    }
