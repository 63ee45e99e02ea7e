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


class Watchdog:
    """Calls `cancel` once a query has run `seconds`, and again every `repeat` seconds until stopped (a
    cancel that lands between two steps of a query would otherwise be lost)."""

    def __init__(self, cancel: Callable[[], None], seconds: float | None, repeat: float = 0.25) -> None:
        self._cancel = cancel
        self._repeat = repeat
        self._lock = threading.Lock()
        self._stopped = False
        self._timer: threading.Timer | None = None
        self.fired = False
        if seconds is not None:
            self._arm(seconds)

    def _arm(self, seconds: float) -> None:
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            if self._stopped:
                return
            self.fired = True
            try:
                self._cancel()
            finally:
                self._arm(self._repeat)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            if self._timer is not None:
                self._timer.cancel()


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
