"""Per-identity limits on the requests that run queries: a rate (questions per minute, a token bucket)
and a number of questions in flight at once. Each refusal is an ApiError with its own code, so a
client can tell "slow down" from "wait for your other questions"."""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from semantic_layer.model import Language

from .errors import ApiError, error_body

IDLE_SECONDS = 600.0  # forget an identity's bucket after this long without requests


class RateLimited(ApiError):
    status = 429
    code = "rate_limited"
    zh = "提问太频繁了（每分钟最多{limit}个），请{wait}秒后再试。"
    en = "Too many questions (at most {limit} a minute); try again in {wait} s."

    @property
    def headers(self) -> tuple[tuple[str, str], ...]:  # type: ignore[override]
        return (("Retry-After", str(self.params["wait"])),)


class TooManyInFlight(ApiError):
    status = 429
    code = "too_many_questions_at_once"
    zh = "你同时进行的提问太多了（最多{limit}个），请等前面的回答完成。"
    en = "Too many of your questions are running at once (at most {limit}); wait for the others to finish."


@dataclass
class _Bucket:
    tokens: float
    updated: float
    running: int = 0


class Slot:
    """One question in flight; release it when the answer is done (idempotent)."""

    def __init__(self, release: Callable[[], None]) -> None:
        self._release: Callable[[], None] | None = release

    def release(self) -> None:
        release, self._release = self._release, None
        if release is not None:
            release()

    def __enter__(self) -> Slot:
        return self

    def __exit__(self, *_: object) -> None:
        self.release()


class Limiter:
    """`per_minute` questions a minute (bursts up to that many) and `concurrent` at once, per user;
    0 switches a limit off."""

    def __init__(self, per_minute: int, concurrent: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.concurrent = concurrent
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def acquire(self, user: str, language: Language | None = None) -> Slot:
        """A slot for one of `user`'s questions, or RateLimited / TooManyInFlight."""
        now = self.clock()
        with self._lock:
            self._forget_idle(now)
            bucket = self._buckets.setdefault(user, _Bucket(tokens=float(self.per_minute), updated=now))
            rate = self.per_minute / 60.0
            bucket.tokens = min(float(self.per_minute), bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
            if self.per_minute and bucket.tokens < 1:
                wait = max(1, math.ceil((1 - bucket.tokens) / rate))
                raise RateLimited(language, limit=self.per_minute, wait=wait)
            if self.concurrent and bucket.running >= self.concurrent:
                raise TooManyInFlight(language, limit=self.concurrent)
            if self.per_minute:
                bucket.tokens -= 1
            bucket.running += 1
        return Slot(lambda: self._done(user))

    def _done(self, user: str) -> None:
        with self._lock:
            bucket = self._buckets.get(user)
            if bucket is not None:
                bucket.running -= 1

    def _forget_idle(self, now: float) -> None:
        if len(self._buckets) < 1024:
            return
        idle = [u for u, b in self._buckets.items() if b.running == 0 and now - b.updated > IDLE_SECONDS]
        for user in idle:
            del self._buckets[user]


class BodyTooLarge(ApiError):
    status = 413
    code = "request_too_large"
    zh = "请求太大了（最多{limit}字节）。"
    en = "The request body is too large (at most {limit} bytes)."


class BodySizeLimit:
    """Refuses request bodies over `limit` bytes with 413, by their Content-Length or, when chunked,
    as soon as the bytes read pass the limit (nothing larger is ever buffered)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.limit:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(scope, send)
            return
        seen = 0
        started = refused = False

        async def counting_receive() -> Message:
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit and not refused:
                    refused = True
                    if not started:
                        await self._refuse(scope, send)
                    return {"type": "http.disconnect"}  # the app stops reading; its reply is dropped
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counting_receive, guarded_send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        accepted = dict(scope.get("headers", [])).get(b"accept-language", b"").decode("latin-1").lower()
        error = BodyTooLarge("zh" if accepted.startswith("zh") else "en", limit=self.limit)
        body = json.dumps(error_body(error.code, error.message(error.language or "en")), ensure_ascii=False)
        response = Response(body, status_code=413, media_type="application/json")
        await response(scope, _empty_receive, send)


async def _empty_receive() -> Message:
    return {"type": "http.disconnect"}
