"""Helpers for the HTTP tests: identity tokens, and the app served by a real uvicorn on loopback."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import uvicorn
from fastapi import FastAPI

SECRET = "a-shared-secret-of-the-portal-0123456789"


def token(
    sub: str, *, key: Any = SECRET, algorithm: str = "HS256", expires_in: float = 6 * 3600, **claims: Any
) -> str:
    """A signed identity token as the host portal would issue it (valid for the whole test session:
    modules make theirs when they are collected, long before their tests run)."""
    payload = {"sub": sub, "exp": datetime.now(UTC) + timedelta(seconds=expires_in), **claims}
    return jwt.encode(payload, key, algorithm=algorithm)


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """Serve `app` with uvicorn on a loopback port in a thread; yields the base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "uvicorn exited before it started"
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
