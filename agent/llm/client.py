"""One chat call to an OpenAI-compatible API through LangChain's ChatOpenAI, streamed and reassembled,
with bounded retries inside a per-question deadline. Every failure becomes an `LLMError`, so callers
have one thing to catch and fall back from."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from .config import LLMConfig

if TYPE_CHECKING:  # LangChain and openai load only when an LLM is configured
    from langchain_core.messages import AIMessage, BaseMessage

FailureKind = Literal["timeout", "rate_limited", "unavailable", "rejected", "malformed"]
NO_KEY = "not-needed"  # the openai client insists on a key; local servers ignore it
MAX_BACKOFF = 8.0


class LLMError(Exception):
    """The LLM could not help with this question (it is down, slow, refusing or talking nonsense)."""

    def __init__(self, kind: FailureKind, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


class Deadline:
    """The time left for the LLM's work on one question."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._end = clock() + seconds

    def remaining(self) -> float:
        return max(0.0, self._end - self._clock())

    def check(self) -> float:
        left = self.remaining()
        if left <= 0.05:
            raise LLMError("timeout", "the time for this question ran out")
        return left


class ChatClient:
    """Talks to the configured model. Thread-safe: one instance serves every request."""

    def __init__(self, config: LLMConfig) -> None:
        from langchain_openai import ChatOpenAI

        self.config = config
        self._model = ChatOpenAI(
            model=config.model,
            base_url=config.base_url,
            api_key=config.api_key or NO_KEY,  # type: ignore[arg-type]
            timeout=config.timeout,
            max_retries=0,  # retried here, within the question's deadline
            temperature=0,
            use_responses_api=False,  # compatible servers speak chat completions only
        )

    def complete(
        self,
        messages: Sequence[BaseMessage],
        deadline: Deadline,
        tools: Sequence[dict[str, Any]] = (),
    ) -> AIMessage:
        """The model's reply (streamed, reassembled); retries 429/5xx/connection failures with backoff."""
        import httpx
        import openai

        model: Any = self._model.bind_tools(list(tools)) if tools else self._model
        attempt = 0
        while True:
            timeout = deadline.check()
            try:
                return _reassemble(model.stream(list(messages), timeout=timeout))
            except openai.APITimeoutError:
                raise LLMError("timeout", "the model did not answer in time") from None
            except (openai.RateLimitError, openai.InternalServerError, openai.APIConnectionError) as error:
                kind: FailureKind = (
                    "rate_limited" if isinstance(error, openai.RateLimitError) else "unavailable"
                )
                if attempt >= self.config.retries:
                    raise LLMError(kind, _describe(error)) from None
                wait = _retry_after(error) or min(MAX_BACKOFF, 0.5 * 2**attempt) * random.uniform(0.8, 1.2)
                if wait >= deadline.remaining():
                    raise LLMError(kind, _describe(error) + "; no time left to retry") from None
                time.sleep(wait)
                attempt += 1
            except openai.APIStatusError as error:  # 400/401/403/404: retrying would not help
                raise LLMError("rejected", _describe(error)) from None
            except (openai.APIError, ValueError) as error:  # e.g. a body that is not JSON, or no chunks
                raise LLMError("malformed", _describe(error)) from None
            except httpx.HTTPError as error:  # the connection broke mid-stream
                raise LLMError("unavailable", str(error) or type(error).__name__) from None


def _reassemble(chunks: Any) -> AIMessage:
    from langchain_core.messages import AIMessage, AIMessageChunk

    total: AIMessageChunk | None = None
    for chunk in chunks:
        total = chunk if total is None else total + chunk
    if total is None:
        raise LLMError("malformed", "the model sent an empty stream")
    return AIMessage(
        content=total.content,
        tool_calls=total.tool_calls,
        invalid_tool_calls=total.invalid_tool_calls,
        id=total.id,
    )


def _retry_after(error: Exception) -> float | None:
    response = getattr(error, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _describe(error: Exception) -> str:
    status = getattr(error, "status_code", None)
    message = getattr(error, "message", None) or str(error)
    return f"HTTP {status}: {message}" if status else message
