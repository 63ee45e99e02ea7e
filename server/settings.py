"""Server and CLI settings, read from `CHATBI_*` environment variables (each documented in the README)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DEMO_DB = Path("data") / "demo.duckdb"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHATBI_", extra="ignore")

    db: str = Field(default=str(DEFAULT_DEMO_DB), description="Analytics database: a DuckDB file path.")
    model: Path | None = Field(
        default=None, description="Semantic model YAML; the bundled after-sales model when unset."
    )
    host: str = Field(default="127.0.0.1", description="Address the server listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port the server listens on.")
    as_of: date | None = Field(
        default=None, description="Fixes 'today' (YYYY-MM-DD) for relative periods; the real date when unset."
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

    @field_validator("model", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value
