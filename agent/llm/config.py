"""How to reach the LLM and what it may do; the server fills it from `CHATBI_LLM_*` settings."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MODEL = "gpt-4o-mini"


@dataclass(frozen=True)
class LLMConfig:
    base_url: str | None = None
    """An OpenAI-compatible endpoint (…/v1); OpenAI's own when only a key is set."""
    api_key: str | None = None
    """Local servers (vLLM, Ollama) need none."""
    model: str = DEFAULT_MODEL
    timeout: float = 30.0
    """Seconds the LLM may spend on one question in all (every call and retry); then the parser answers."""
    retries: int = 2
    """Retries of a call that failed with 429, 5xx or a dropped connection (within `timeout`)."""
    rephrase: bool = True
    """Let the LLM reword the template narrative (checked: a rewrite with a number not in the facts is dropped)."""
    send_rows: bool = True
    """Whether result rows may reach the LLM; when False it sees only columns, row counts and aggregated facts."""
    route_below: float = 0.8
    """Questions the parser reads with a confidence below this go to the LLM."""
    max_steps: int = 6
    """Tool-calling rounds per question."""

    @property
    def enabled(self) -> bool:
        """The LLM is on when a base URL or a key is set."""
        return bool(self.base_url or self.api_key)
