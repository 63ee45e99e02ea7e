"""Serving under a path prefix behind a reverse proxy (`CHATBI_ROOT_PATH`, e.g. `/chatbi`), whether the
proxy strips the prefix or passes it on: the ASGI scope gets the prefix as `root_path`, and its `path`
includes it (as the ASGI spec asks), so routes match, URLs and the OpenAPI page carry the prefix."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class PathPrefix:
    def __init__(self, app: ASGIApp, root_path: str) -> None:
        self.app = app
        self.root_path = root_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.root_path and scope["type"] in ("http", "websocket"):
            path: str = scope["path"]
            scope = {**scope, "root_path": self.root_path}
            if path != self.root_path and not path.startswith(self.root_path + "/"):  # the proxy stripped it
                scope["path"] = self.root_path + path
                if scope.get("raw_path") is not None:
                    scope["raw_path"] = self.root_path.encode() + scope["raw_path"]
        await self.app(scope, receive, send)
