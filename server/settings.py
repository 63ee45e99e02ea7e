"""Server and CLI settings, read from `CHATBI_*` environment variables (each documented in the README)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from agent.llm.config import DEFAULT_MODEL, LLMConfig
from semantic_layer.query import EARLIEST, LATEST

DEFAULT_DEMO_DB = Path("data") / "demo.duckdb"
STORE_FILE_NAME = "chatbi-store.sqlite3"
HMAC_ALGORITHMS = ("HS256", "HS384", "HS512")
PUBLIC_KEY_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
MIN_SECRET_LENGTH = 32
_ORIGIN = re.compile(r"^https?://[^/\s?#]+$")

CommaList = Annotated[list[str], NoDecode]


def _split_commas(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHATBI_", extra="ignore", hide_input_in_errors=True)

    db: str = Field(
        default=str(DEFAULT_DEMO_DB),
        description="Analytics database: a DuckDB file path, or postgresql://user:password@host:port/db, "
        "spark-local://[/folder/of/parquet][?threads=N] or sc://host:port (Spark Connect); see docs/engines.md.",
    )
    model: Path | None = Field(
        default=None, description="Semantic model YAML; the bundled after-sales model when unset."
    )
    host: str = Field(default="127.0.0.1", description="Address the server listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port the server listens on.")
    as_of: date | None = Field(
        default=None,
        ge=EARLIEST,
        le=LATEST,
        description="Fixes 'today' (YYYY-MM-DD) for relative periods; the real date when unset.",
    )
    detail_limit: int = Field(default=1000, ge=1, description="Most rows a detail list returns.")
    max_rows: int = Field(
        default=100_000, ge=1, description="Most rows any query returns; larger results are cut and flagged."
    )
    threads: int | None = Field(
        default=None, ge=1, description="DuckDB worker threads; DuckDB's default (all cores) when unset."
    )
    memory_limit: str | None = Field(
        default=None, description="DuckDB memory limit such as '4GB'; DuckDB's default when unset."
    )
    demo_tickets: int = Field(
        default=200_000, ge=1000, description="Tickets in the demo database that `chatbi demo` generates."
    )
    store: Path | None = Field(
        default=None,
        description="SQLite file for conversations and feedback; next to the analytics database when unset.",
    )
    max_question_chars: int = Field(
        default=500, ge=1, description="Longest question accepted, in characters."
    )
    max_body_bytes: int = Field(
        default=65_536, ge=0, description="Largest request body accepted, in bytes (0: no limit)."
    )
    rate_limit: int = Field(
        default=60, ge=0, description="Questions and queries a user may ask per minute (0: no limit)."
    )
    max_concurrent: int = Field(
        default=4, ge=0, description="Questions and queries one user may have running at once (0: no limit)."
    )
    max_turns: int = Field(
        default=200, ge=0, description="Turns one conversation may hold; then a new one starts (0: no limit)."
    )
    store_max_mb: int = Field(
        default=0, ge=0, description="Size limit of the conversation store file in MB (0: no limit)."
    )
    query_timeout: float = Field(
        default=30.0, gt=0, description="Seconds a database query may run before it is stopped."
    )
    parallel_queries: int | None = Field(
        default=None, ge=1, description="Database queries run at once (others wait); one per core when unset."
    )
    max_temp_directory_size: str | None = Field(
        default=None, description="Most disk DuckDB may spill to, e.g. '2GB'; DuckDB's default when unset."
    )
    cache: bool = Field(
        default=True,
        description="Answer repeated queries from a result cache (on/off); emptied when data or model change.",
    )
    rollups: bool = Field(
        default=True,
        description="Answer additive questions from pre-aggregated rollups built in the background (on/off).",
    )
    reload_interval: float = Field(
        default=5.0,
        ge=0,
        description="Seconds between checks for a changed database or model file (0: no checks).",
    )
    data_version_interval: float = Field(
        default=300.0,
        ge=0,
        description="PostgreSQL and Spark: seconds between reads of the data version; a new version "
        "reloads (empties the cache, reads data_as_of again). 0: never.",
    )
    data_version_query: str | None = Field(
        default=None,
        description="PostgreSQL and Spark: a SELECT of one value that changes with the data (e.g. "
        "select max(updated_at) from tickets); unset: every interval counts as a new version.",
    )
    admin_roles: CommaList = Field(
        default=["admin"], description="Roles that may reload the model and data through the admin API."
    )
    auth_secret: SecretStr | None = Field(
        default=None, description="Shared secret verifying HS256/384/512 identity tokens (32+ characters)."
    )
    auth_public_key: str | None = Field(
        default=None, description="PEM public key (text or file path) verifying RS/PS/ES identity tokens."
    )
    auth_algorithm: str | None = Field(
        default=None, description="Token algorithm; HS256 with a secret, RS256 with a public key when unset."
    )
    auth_claims: CommaList = Field(
        default=["region=region", "roles=roles"],
        description="claim=attribute pairs turning token claims into user attributes ('roles' sets roles).",
    )
    auth_audience: str | None = Field(default=None, description="Required `aud` claim of tokens, if set.")
    auth_issuer: str | None = Field(default=None, description="Required `iss` claim of tokens, if set.")
    allowed_origins: CommaList = Field(
        default=[], description="Portal origins allowed to call the API (CORS) and to frame the pages."
    )
    root_path: str = Field(default="", description="Path prefix when served behind a proxy, e.g. /chatbi.")
    llm_base_url: str | None = Field(
        default=None,
        description="OpenAI-compatible API base URL (e.g. http://127.0.0.1:11434/v1); the LLM is on when "
        "this or a key is set.",
    )
    llm_api_key: SecretStr | None = Field(
        default=None, description="API key for the LLM; OpenAI's own API when no base URL is set."
    )
    llm_model: str = Field(default=DEFAULT_MODEL, description="Model name the LLM endpoint serves.")
    llm_timeout: float = Field(
        default=30.0, gt=0, description="Seconds the LLM may spend on one question before the parser answers."
    )
    llm_retries: int = Field(
        default=2,
        ge=0,
        le=10,
        description="Retries of an LLM call failing with 429, 5xx or a dropped connection.",
    )
    llm_rephrase: bool = Field(
        default=True,
        description="Let the LLM reword narratives (a rewrite with a number not in the facts is dropped).",
    )
    llm_send_rows: bool = Field(
        default=True,
        description="Send result rows to the LLM; off sends only the intent and aggregated facts.",
    )
    llm_route_below: float = Field(
        default=0.8, ge=0, le=1, description="Questions the parser reads with less confidence go to the LLM."
    )

    @field_validator(
        "model",
        "store",
        "auth_secret",
        "auth_public_key",
        "auth_algorithm",
        "llm_base_url",
        "llm_api_key",
        "max_temp_directory_size",
        "data_version_query",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("auth_claims", "allowed_origins", "admin_roles", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        return _split_commas(value)

    @field_validator("auth_claims")
    @classmethod
    def _claim_pairs(cls, value: list[str]) -> list[str]:
        for pair in value:
            claim, sep, attribute = pair.partition("=")
            if not sep or not claim.strip() or not attribute.strip():
                raise ValueError(f"auth_claims takes claim=attribute pairs, got '{pair}'")
        return value

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        origins = [origin.rstrip("/") for origin in value]
        for origin in origins:
            if origin == "*":
                raise ValueError("allowed_origins must list the portal origins; '*' would let any site in")
            if not _ORIGIN.match(origin):
                raise ValueError(f"an allowed origin is scheme://host[:port] with no path, got '{origin}'")
        return origins

    @field_validator("root_path")
    @classmethod
    def _root_path(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not value.startswith("/"):
            raise ValueError(f"root_path starts with '/', e.g. /chatbi; got '{value}'")
        return value

    @field_validator("auth_algorithm")
    @classmethod
    def _known_algorithm(cls, value: str | None) -> str | None:
        if value is not None and value.upper() not in HMAC_ALGORITHMS + PUBLIC_KEY_ALGORITHMS:
            known = ", ".join(HMAC_ALGORITHMS + PUBLIC_KEY_ALGORITHMS)
            raise ValueError(f"auth_algorithm must be one of {known}; got '{value}'")
        return value.upper() if value else None

    @model_validator(mode="after")
    def _one_token_key(self) -> Self:
        if self.auth_secret and self.auth_public_key:
            raise ValueError("set auth_secret or auth_public_key, not both")
        if self.auth_secret is not None and len(self.auth_secret.get_secret_value()) < MIN_SECRET_LENGTH:
            raise ValueError(f"auth_secret must be at least {MIN_SECRET_LENGTH} characters long")
        algorithm = self.token_algorithm
        if algorithm in HMAC_ALGORITHMS and self.auth_public_key:
            raise ValueError(f"auth_algorithm {algorithm} needs auth_secret, not a public key")
        if algorithm in PUBLIC_KEY_ALGORITHMS and self.auth_secret:
            raise ValueError(f"auth_algorithm {algorithm} needs auth_public_key, not a shared secret")
        return self

    @property
    def auth_configured(self) -> bool:
        """True when identity tokens are required (a secret or a public key is set)."""
        return bool(self.auth_secret or self.auth_public_key)

    @field_validator("llm_base_url")
    @classmethod
    def _llm_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(
                f"llm_base_url is an http(s) URL such as http://127.0.0.1:8001/v1, got '{value}'"
            )
        return value.rstrip("/") if value else None

    @property
    def llm(self) -> LLMConfig:
        key = self.llm_api_key.get_secret_value() if self.llm_api_key else None
        return LLMConfig(
            base_url=self.llm_base_url,
            api_key=key,
            model=self.llm_model,
            timeout=self.llm_timeout,
            retries=self.llm_retries,
            rephrase=self.llm_rephrase,
            send_rows=self.llm_send_rows,
            route_below=self.llm_route_below,
        )

    @property
    def token_algorithm(self) -> str:
        return self.auth_algorithm or ("RS256" if self.auth_public_key else "HS256")

    @property
    def rollups_path(self) -> Path:
        """The product's own file of rollups, next to the store (never inside the analytics database)."""
        return self.store_path.with_name(f"chatbi-rollups-{Path(self.db).stem}.duckdb")

    @property
    def store_path(self) -> Path:
        """Where conversations and feedback live: never inside the analytics database."""
        if self.store is not None:
            return self.store
        if "://" in self.db:
            return Path("data") / STORE_FILE_NAME
        return Path(self.db).parent / STORE_FILE_NAME
