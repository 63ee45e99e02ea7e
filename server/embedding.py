"""Embedding in a portal: CORS for the configured portal origins only, and response headers that let
only those origins frame the pages (`Content-Security-Policy: frame-ancestors`) and stop MIME sniffing."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .settings import Settings


class SecurityHeaders:
    """Adds the framing and no-sniff headers to every HTTP response (streamed ones included)."""

    def __init__(self, app: ASGIApp, allowed_origins: list[str]) -> None:
        self.app = app
        ancestors = " ".join(["'self'", *allowed_origins])
        self.headers = [
            (b"content-security-policy", f"frame-ancestors {ancestors}".encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
        ]
        if not allowed_origins:
            self.headers.append((b"x-frame-options", b"SAMEORIGIN"))  # for browsers without CSP

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in self.headers if name not in names]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_embedding(app: FastAPI, settings: Settings) -> None:
    if settings.allowed_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.allowed_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Accept", "Accept-Language"],
            allow_credentials=False,  # identity travels in the Authorization header, not in cookies
            max_age=600,
        )
    app.add_middleware(SecurityHeaders, allowed_origins=settings.allowed_origins)
