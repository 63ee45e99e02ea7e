"""What the PostgreSQL and Spark engines share: how long a query may run, and messages."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from ..engine import DEFAULT_QUERY_TIMEOUT, DuckDBSettings
from ..errors import QueryTimeout

T = TypeVar("T")

# libpq's `?password=...` and Spark Connect's `/;token=...` carry secrets too
_SECRET_PARAMETER = re.compile(r"([?&;](?:password|token)=)[^&;]*", re.IGNORECASE)


@dataclass(frozen=True)
class EngineSettings:
    """Settings every engine takes; DuckDB's own knobs (threads, memory) in `duckdb`."""

    query_timeout: float | None = DEFAULT_QUERY_TIMEOUT
    """Seconds a query may run before it is cancelled; None: no limit."""
    parallel_queries: int | None = None
    """Queries run at once (PostgreSQL: the most connections open); the rest wait their turn."""
    timezone: str | None = None
    """The session time zone (PostgreSQL, Spark): where time-zone-aware timestamps fall into days.
    The semantic model's calendar time zone; naive timestamps are read as they are."""
    duckdb: DuckDBSettings = field(default_factory=DuckDBSettings)

    def for_duckdb(self) -> DuckDBSettings:
        """DuckDB's settings with the shared ones (timeout, parallel queries) applied."""
        return replace(self.duckdb, query_timeout=self.query_timeout, parallel_queries=self.parallel_queries)


def run_bounded(call: Callable[[], T], limit: float | None, what: str) -> T:
    """`call()` in a daemon thread, given up on past `limit` seconds (QueryTimeout naming `what`): for
    client calls with no deadline of their own (Spark's catalog). The call itself is left to end."""
    if limit is None:
        return call()
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["value"] = call()
        except BaseException as error:  # handed to the caller's thread
            outcome["error"] = error

    worker = threading.Thread(target=work, name="chatbi-bounded", daemon=True)
    worker.start()
    worker.join(limit)
    if worker.is_alive():
        raise QueryTimeout(f"{what} took longer than {seconds(limit)}")
    if "error" in outcome:
        raise outcome["error"]
    value: T = outcome["value"]
    return value


def redact(url: str) -> str:
    """`url` without its password (in the address or as `password=`/`token=`), for messages and logs."""
    url = _SECRET_PARAMETER.sub(r"\1***", url)
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{parts.username}:***@{host}" if parts.username else f"***@{host}"
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def seconds(value: float | None) -> str:
    return f"{value:g} second" + ("" if value == 1 else "s")
