"""Run compiled SQL on DuckDB: the analytics database is opened read-only and without outside access.

One connection per database, one cursor per query (DuckDB cursors are safe to use from concurrent
threads); values come back JSON-ready with a column type each. Every SQL text passes the guard
(`guard.py`) and DuckDB's own parser must see one SELECT in it before it runs; a query that runs past
its deadline is interrupted.
"""

from __future__ import annotations

import math
import os
import tempfile
import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

import duckdb
from sqlglot import exp

from .errors import ExecutionError, QueryTimeout, UnsafeSQLError
from .guard import check_statement
from .result import ColumnType

DEFAULT_QUERY_TIMEOUT = 30.0
# What may reach the database, as DuckDB's own parser classifies a statement; a tree is a query.
_RUNNABLE = (duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN)
_RUNNABLE_TREE = (duckdb.StatementType.SELECT,)


@dataclass(frozen=True)
class RawResult:
    names: list[str]
    types: list[ColumnType]
    rows: list[list[Any]]
    truncated: bool
    cached: bool = False
    """Answered from a result cache (see semantic_layer.cache), not by the database."""


class Engine(Protocol):
    """What the semantic layer needs from a database."""

    dialect: str

    def execute(
        self,
        sql: str,
        *,
        max_rows: int | None = None,
        allowed_tables: Collection[str] | None = None,
        tree: exp.Expr | None = None,
    ) -> RawResult:
        """Run one read-only query. `allowed_tables`: the only tables it may read (None: any table of
        the database). `tree`: the sqlglot tree `sql` was rendered from, checked instead of parsing
        `sql` again. Raises UnsafeSQLError before running anything the guard refuses."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class DuckDBSettings:
    threads: int | None = None
    memory_limit: str | None = None
    """e.g. "4GB"; None leaves DuckDB's default (80% of RAM)."""
    max_temp_directory_size: str | None = None
    """e.g. "2GB": how much a query may spill to disk; None leaves DuckDB's default (90% of free space)."""
    query_timeout: float | None = DEFAULT_QUERY_TIMEOUT
    """Seconds a query may run before it is interrupted; None: no limit."""
    parallel_queries: int | None = None
    """Queries run at once; the rest wait their turn (their timeout starts when they run). None: one per
    core, since each query already uses every core and more at once only thrash."""


ATTACHED = "analytics"
"""The catalog name the analytics file is attached under (and made current, so names need no prefix)."""


def open_read_only(path: str | Path, settings: DuckDBSettings | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the database file that cannot reach files, the network or extensions,
    and cannot be reconfigured.

    The file is attached to a fresh in-memory database rather than opened directly: DuckDB shares one
    instance per file path within a process, so a second direct open (a reload) would keep seeing the
    old file after it was replaced, and would have to use the same settings. Attached, every open reads
    the file as it is now, with its own settings."""
    settings = settings or DuckDBSettings()
    config: dict[str, Any] = {
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "python_enable_replacements": False,  # no Python variable is a table
        "temp_directory": str(_temp_directory()),  # an in-memory database would spill into the cwd
    }
    if settings.threads:
        config["threads"] = settings.threads
    if settings.memory_limit:
        config["memory_limit"] = settings.memory_limit
    if settings.max_temp_directory_size:
        config["max_temp_directory_size"] = settings.max_temp_directory_size
    connection = duckdb.connect(":memory:", config=config)
    try:
        literal = str(Path(path)).replace("'", "''")
        connection.execute(f"ATTACH '{literal}' AS {ATTACHED} (READ_ONLY)")
        connection.execute(f"USE {ATTACHED}")
        connection.execute("SET enable_external_access = false")  # after the one file it may read
        connection.execute("SET lock_configuration = true")
    except BaseException:
        connection.close()
        raise
    return connection


def _temp_directory() -> Path:
    folder = Path(tempfile.gettempdir()) / "chatbi-duckdb"
    folder.mkdir(exist_ok=True)
    return folder


class DuckDBEngine:
    dialect = "duckdb"

    def __init__(self, path: str | Path, settings: DuckDBSettings | None = None) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise ExecutionError(f"database file not found: {self.path}")
        self.settings = settings or DuckDBSettings()
        try:
            self._connection = open_read_only(self.path, self.settings)
            self.tables = _database_tables(self._connection)
        except duckdb.Error as error:
            raise ExecutionError(f"cannot open database {self.path}: {_first_line(error)}") from None
        self._lock = threading.Lock()
        self._turns = threading.BoundedSemaphore(self.settings.parallel_queries or os.cpu_count() or 2)

    def execute(
        self,
        sql: str,
        *,
        max_rows: int | None = None,
        allowed_tables: Collection[str] | None = None,
        tree: exp.Expr | None = None,
    ) -> RawResult:
        """Run one read-only query; see `Engine.execute`. Raises QueryTimeout past the deadline."""
        check_statement(
            sql, tree, allowed_tables=allowed_tables, known_tables=self.tables, dialect=self.dialect
        )
        with self._turns:
            return self._run(sql, max_rows, tree)

    def _run(self, sql: str, max_rows: int | None, tree: exp.Expr | None) -> RawResult:
        with self._lock:  # creating cursors is not thread-safe; running them is
            cursor = self._connection.cursor()
        cursor.execute(f"USE {ATTACHED}")  # a cursor is a new session: it starts in the empty memory catalog
        watchdog = Watchdog(cursor.interrupt, self.settings.query_timeout, repeat=0.05)
        try:
            statement = _one_query(cursor, sql, _RUNNABLE if tree is None else _RUNNABLE_TREE)
            cursor.execute(statement)
            description = cursor.description or []
            fetched = cursor.fetchmany(max_rows + 1) if max_rows is not None else cursor.fetchall()
        except duckdb.Error as error:
            if watchdog.fired:
                raise QueryTimeout(
                    f"the query ran longer than {_seconds(self.settings.query_timeout)} and was stopped"
                ) from None
            raise ExecutionError(f"the database could not run the query: {_first_line(error)}") from None
        finally:
            watchdog.stop()
            cursor.close()
        truncated = max_rows is not None and len(fetched) > max_rows
        types = [_column_type(str(d[1])) for d in description]
        return RawResult(
            names=[d[0] for d in description],
            types=types,
            rows=json_rows(fetched[:max_rows], [str(d[1]).upper() not in _PLAIN_TYPES for d in description]),
            truncated=truncated,
        )

    def close(self) -> None:
        self._connection.close()


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


def _one_query(
    cursor: duckdb.DuckDBPyConnection, sql: str, runnable: tuple[duckdb.StatementType, ...]
) -> duckdb.Statement:
    """The one statement in `sql` as DuckDB's own parser reads it, which must be of a `runnable`
    type: what the guard checked is what runs, whatever the two parsers disagree on."""
    statements = cursor.extract_statements(sql)
    if len(statements) != 1:
        raise UnsafeSQLError(
            f"unsafe SQL refused: only one statement may run (DuckDB reads {len(statements)})"
        )
    if statements[0].type not in runnable:
        raise UnsafeSQLError(
            f"unsafe SQL refused: only a read-only query may run, not {statements[0].type.name}"
        )
    return statements[0]


def _database_tables(connection: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """The database's own tables and views, schema-qualified outside `main`."""
    rows = connection.execute(
        """
        SELECT schema_name, table_name FROM duckdb_tables()
        WHERE database_name = current_database() AND NOT internal
        UNION ALL
        SELECT schema_name, view_name FROM duckdb_views()
        WHERE database_name = current_database() AND NOT internal
        """
    ).fetchall()
    return frozenset(name if schema == "main" else f"{schema}.{name}" for schema, name in rows)


def _seconds(value: float | None) -> str:
    return f"{value:g} second" + ("" if value == 1 else "s")


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


_PLAIN_TYPES = (
    "BOOLEAN",
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "VARCHAR",
)


def json_rows(fetched: Sequence[Sequence[Any]], converted: Sequence[bool]) -> list[list[Any]]:
    """Rows as JSON-ready lists, converting only the `converted` columns (those whose type needs it:
    decimals, floats that may be NaN, dates and times): most result columns are text or integers,
    passed through as they are. Every engine returns its values this way."""
    convert = [i for i, flag in enumerate(converted) if flag]
    if not convert:
        return [list(row) for row in fetched]
    rows = []
    for row in fetched:
        values = list(row)
        for i in convert:
            values[i] = json_value(values[i])
        rows.append(values)
    return rows


def json_value(value: Any) -> Any:
    """One value as JSON takes it: decimals as floats, NaN and infinities as None, dates and times as
    ISO text (a timestamp with a space before the time)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value
