"""Run compiled SQL on DuckDB: the analytics database is opened read-only and without outside access.

One connection per database, one cursor per query (DuckDB cursors are safe to use from concurrent
threads); values come back JSON-ready with a column type each.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import duckdb

from .errors import ExecutionError
from .result import ColumnType


@dataclass(frozen=True)
class RawResult:
    names: list[str]
    types: list[ColumnType]
    rows: list[list[Any]]
    truncated: bool


class Engine(Protocol):
    """What the semantic layer needs from a database."""

    dialect: str

    def execute(self, sql: str, *, max_rows: int | None = None) -> RawResult: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class DuckDBSettings:
    threads: int | None = None
    memory_limit: str | None = None
    """e.g. "4GB"; None leaves DuckDB's default (80% of RAM)."""


def open_read_only(path: str | Path, settings: DuckDBSettings | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection that cannot reach files, the network or extensions, and cannot be
    reconfigured. In one process, every connection to a file must use the same settings (DuckDB
    shares one instance per file), so tests that read the raw data open it through here too."""
    settings = settings or DuckDBSettings()
    config: dict[str, Any] = {
        "enable_external_access": False,
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "lock_configuration": True,
    }
    if settings.threads:
        config["threads"] = settings.threads
    if settings.memory_limit:
        config["memory_limit"] = settings.memory_limit
    return duckdb.connect(str(path), read_only=True, config=config)


class DuckDBEngine:
    dialect = "duckdb"

    def __init__(self, path: str | Path, settings: DuckDBSettings | None = None) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise ExecutionError(f"database file not found: {self.path}")
        try:
            self._connection = open_read_only(self.path, settings or DuckDBSettings())
        except duckdb.Error as error:
            raise ExecutionError(f"cannot open database {self.path}: {_first_line(error)}") from None
        self._lock = threading.Lock()

    def execute(self, sql: str, *, max_rows: int | None = None) -> RawResult:
        with self._lock:  # creating cursors is not thread-safe; running them is
            cursor = self._connection.cursor()
        try:
            cursor.execute(sql)
            description = cursor.description or []
            fetched = cursor.fetchmany(max_rows + 1) if max_rows is not None else cursor.fetchall()
        except duckdb.Error as error:
            raise ExecutionError(f"the database could not run the query: {_first_line(error)}") from None
        finally:
            cursor.close()
        truncated = max_rows is not None and len(fetched) > max_rows
        rows = [[_json_value(v) for v in row] for row in fetched[:max_rows]]
        return RawResult(
            names=[d[0] for d in description],
            types=[_column_type(str(d[1])) for d in description],
            rows=rows,
            truncated=truncated,
        )

    def close(self) -> None:
        self._connection.close()


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _column_type(duckdb_type: str) -> ColumnType:
    name = duckdb_type.upper()
    if name in ("BOOLEAN", "BOOL"):
        return "boolean"
    if name in (
        "TINYINT",
        "SMALLINT",
        "INTEGER",
        "BIGINT",
        "HUGEINT",
        "UTINYINT",
        "USMALLINT",
        "UINTEGER",
        "UBIGINT",
    ):
        return "integer"
    if name.startswith(("DOUBLE", "FLOAT", "REAL", "DECIMAL", "NUMERIC")):
        return "number"
    if name == "DATE":
        return "date"
    if name.startswith("TIMESTAMP") or name == "TIME":
        return "timestamp"
    return "string"


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return value
