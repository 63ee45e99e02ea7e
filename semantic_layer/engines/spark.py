"""Run compiled SQL on Spark SQL: an in-process local session (`spark-local://`) or a cluster through
Spark Connect (`sc://host:port`).

Spark has no read-only role to lean on, so the guard is the gate: every SQL text passes it, and a local
session's own parser must read the text as one query (`parseQuery` takes nothing else) before it runs.
SQL on files (`SELECT * FROM parquet.`/path``) is off, ANSI mode is on (errors instead of silent
overflow), a query past its deadline is cancelled (its job group locally, its tag through Spark
Connect), and only the rows under the cap are taken.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import re
import tempfile
import threading
import uuid
import warnings
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from sqlglot import exp

from ..engine import RawResult, Watchdog, json_rows
from ..errors import ExecutionError, QueryTimeout, UnsafeSQLError
from ..guard import check_statement
from ..result import ColumnType
from .catalog import CatalogColumn, CatalogTable, ColumnKind
from .common import EngineSettings, first_line, redact, run_bounded, seconds

logger = logging.getLogger("chatbi.semantic_layer")

LOCAL_SCHEME = "spark-local"
CONNECT_SCHEME = "sc"
DEFAULT_PARALLEL_QUERIES = 2
# Set on every session, local or remote: no SQL on files, ANSI errors, naive timestamp literals (as
# DuckDB's TIMESTAMP), backslash escapes in literals read as the generator writes them.
_SESSION_CONF = {
    "spark.sql.runSQLOnFiles": "false",
    "spark.sql.ansi.enabled": "true",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.parser.escapedStringLiterals": "false",
}
_TYPES: dict[str, ColumnType] = {
    "boolean": "boolean",
    "byte": "integer",
    "short": "integer",
    "integer": "integer",
    "long": "integer",
    "float": "number",
    "double": "number",
    "decimal": "number",
    "date": "date",
    "timestamp": "timestamp",
    "timestamp_ntz": "timestamp",
}
_PLAIN = frozenset({"boolean", "byte", "short", "integer", "long", "string"})
_VIEW_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_KINDS: dict[str, ColumnKind] = {
    "boolean": "boolean", "tinyint": "integer", "smallint": "integer", "int": "integer", "bigint": "integer",
    "float": "number", "double": "number", "decimal": "number", "date": "date", "timestamp": "zoned_timestamp",
    "timestamp_ntz": "timestamp", "string": "text", "varchar": "text", "char": "text",
}  # fmt: skip


@dataclass(frozen=True)
class SparkLocation:
    """Where a Spark URL points: a local session (with its worker threads and an optional folder of
    Parquet tables) or a Spark Connect endpoint."""

    remote: str | None = None
    threads: int | None = None
    memory: str | None = None
    tables: Path | None = None

    @classmethod
    def parse(cls, url: str) -> SparkLocation:
        parts = urlsplit(url)
        if parts.scheme == CONNECT_SCHEME:
            return cls(remote=url)
        if parts.scheme != LOCAL_SCHEME:
            raise ExecutionError(f"not a Spark URL: {redact(url)} (spark-local://... or sc://host:port)")
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        unknown = set(query) - {"threads", "memory"}
        if unknown or parts.netloc:
            raise ExecutionError(
                f"{url}: spark-local:// takes an optional folder of Parquet tables "
                "(spark-local:///path/to/tables) and ?threads=N&memory=2g, nothing else"
            )
        threads = query.get("threads")
        if threads is not None and not (threads.isdigit() and int(threads) > 0):
            raise ExecutionError(f"{url}: threads must be a whole number above 0, got '{threads}'")
        return cls(
            threads=int(threads) if threads else None,
            memory=query.get("memory"),
            tables=Path(parts.path) if parts.path not in ("", "/") else None,
        )


class SparkEngine:
    dialect = "spark"

    def __init__(self, url: str, settings: EngineSettings | None = None, *, session: Any = None) -> None:
        """`session`: a SparkSession to use instead of the one `url` names (tests share one)."""
        self.url = url
        self.description = redact(url)
        self.settings = settings or EngineSettings()
        self.location = SparkLocation.parse(url)
        opened = None
        try:
            self.session = session or (opened := _open_session(self.location))
            self._remote = _is_connect(self.session)
            with warnings.catch_warnings():  # the Connect client warns as it gives up; the error says it
                warnings.simplefilter("ignore")
                self.session.sql("SELECT 1").collect()  # fails here, clearly, when Spark cannot be reached
            conf = dict(_SESSION_CONF)
            if self.settings.timezone:
                conf["spark.sql.session.timeZone"] = self.settings.timezone
            with warnings.catch_warnings():  # Spark 4 deprecates escapedStringLiterals (still read)
                warnings.simplefilter("ignore")
                for key, value in conf.items():
                    self.session.conf.set(key, value)
            self.timezone = _zone(self.session.conf.get("spark.sql.session.timeZone"))
            if self.location.tables is not None:
                _register_parquet_tables(self.session, self.location.tables)
            self.tables = _session_tables(self.session)
        except Exception as error:
            if opened is not None and _is_connect(opened):
                _stop_quietly(opened)
            if isinstance(error, ExecutionError):
                raise
            raise ExecutionError(f"cannot open Spark at {self.description}: {_message(error)}") from None
        self._turns = threading.BoundedSemaphore(self.settings.parallel_queries or DEFAULT_PARALLEL_QUERIES)
        self._ids = itertools.count()

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
        text = sql.rstrip().removesuffix(";")
        if not self._remote:
            self._one_query(text)
        with self._turns:
            return self._run(text, max_rows)

    def _one_query(self, sql: str) -> None:
        """Spark's own parser must read `sql` as one query: what the guard checked is what runs."""
        try:
            self.session._jsparkSession.sessionState().sqlParser().parseQuery(sql)
        except Exception as error:
            raise UnsafeSQLError(
                f"unsafe SQL refused: Spark does not read it as one query ({first_line(error)})"
            ) from None

    def _run(self, sql: str, max_rows: int | None) -> RawResult:
        tag = f"chatbi-{uuid.uuid4().hex[:12]}-{next(self._ids)}"
        watchdog = Watchdog(lambda: self._cancel(tag), self.settings.query_timeout)
        self._start(tag)
        try:
            frame = self.session.sql(sql)
            fields = frame.schema.fields
            fetched = frame.take(max_rows + 1) if max_rows is not None else frame.collect()
        except Exception as error:
            if watchdog.fired:
                raise QueryTimeout(
                    f"the query ran longer than {seconds(self.settings.query_timeout)} and was stopped"
                ) from None
            raise ExecutionError(f"Spark could not run the query: {_message(error)}") from None
        finally:
            watchdog.stop()
            self._finish(tag)
        kinds = [_type_name(field.dataType) for field in fields]
        rows = self._aware(fetched[:max_rows], kinds)
        return RawResult(
            names=[field.name for field in fields],
            types=[_TYPES.get(kind, "string") for kind in kinds],
            rows=json_rows(rows, [kind not in _PLAIN for kind in kinds]),
            truncated=max_rows is not None and len(fetched) > max_rows,
        )

    def _start(self, tag: str) -> None:
        """Mark this thread's jobs so that a timeout cancels exactly them."""
        if self._remote:
            self.session.addTag(tag)
        else:
            self.session.sparkContext.setJobGroup(tag, "chatbi query", interruptOnCancel=True)

    def _cancel(self, tag: str) -> None:
        if self._remote:
            self.session.interruptTag(tag)
        else:
            self.session.sparkContext.cancelJobGroup(tag)

    def _finish(self, tag: str) -> None:
        if self._remote:
            self.session.removeTag(tag)
        else:
            self.session.sparkContext.setLocalProperty("spark.jobGroup.id", None)

    def _aware(self, rows: Sequence[Any], kinds: list[str]) -> Sequence[Sequence[Any]]:
        """Spark hands TIMESTAMP (with local time zone) values over as naive times in this process's
        zone: given here in the session's zone, as PostgreSQL and DuckDB give theirs."""
        zoned = [i for i, kind in enumerate(kinds) if kind == "timestamp"]
        if not zoned:
            return rows
        converted = []
        for row in rows:
            values = list(row)
            for i in zoned:
                if isinstance(values[i], datetime) and values[i].tzinfo is None and self.timezone:
                    values[i] = values[i].astimezone(self.timezone)
            converted.append(values)
        return converted

    def list_tables(self, schemas: Sequence[str] | None = None) -> tuple[CatalogTable, ...]:
        """The session's temporary views and the current database's tables (or those of the databases
        `schemas` names), with their columns, from Spark's catalog within the query timeout."""
        try:
            return run_bounded(
                lambda: _catalog_tables(self.session, schemas),
                self.settings.query_timeout,
                "reading the catalog",
            )
        except ExecutionError:
            raise
        except Exception as error:
            raise ExecutionError(f"cannot read Spark's catalog: {_message(error)}") from None

    def close(self) -> None:
        """Nothing to release: the session is the process's (a reload opens the next engine on it)."""


def _open_session(location: SparkLocation) -> Any:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise ExecutionError(
            "Spark needs pyspark: pip install 'chatbi[spark]' (and Java 17 or later)"
        ) from None
    if location.remote is not None:
        return _connect_session(location.remote)
    return _local_session(location)


def _connect_session(url: str) -> Any:
    """A Spark Connect client session (the client itself: it also runs next to a local session)."""
    from pyspark.sql.connect.client.retries import DefaultPolicy
    from pyspark.sql.connect.session import SparkSession as ConnectSession

    session = ConnectSession.builder.remote(url).create()
    # A few quick retries, not the client's ten minutes: an unreachable server is an error to report.
    session.client.set_retry_policies(
        [DefaultPolicy(max_retries=4, initial_backoff=100, backoff_multiplier=2.0, max_backoff=1000)]
    )
    return session


def _local_session(location: SparkLocation) -> Any:
    """The process's local Spark session (the one already running, if any: one per process)."""
    from pyspark.sql import SparkSession

    threads = location.threads or "*"
    warehouse = Path(tempfile.gettempdir()) / "chatbi-spark-warehouse"
    builder = (
        SparkSession.builder.master(f"local[{threads}]")
        .appName("chatbi")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(max(2, location.threads or 4)))
        .config("spark.sql.warehouse.dir", str(warehouse))
    )
    if location.memory:
        builder = builder.config("spark.driver.memory", location.memory)
    local = builder.getOrCreate()
    local.sparkContext.setLogLevel("ERROR")
    return local


def _zone(name: str | None) -> ZoneInfo | None:
    """The session's time zone, when it is an IANA name (Spark also takes offsets such as +08:00:
    their timestamps are then left in this process's zone)."""
    try:
        return ZoneInfo(name) if name else None
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        return None


def _is_connect(session: Any) -> bool:
    return type(session).__module__.startswith("pyspark.sql.connect")


def _register_parquet_tables(session: Any, folder: Path) -> None:
    """Each Parquet file or folder of Parquet files in `folder` as a view named after it."""
    if not folder.is_dir():
        raise ExecutionError(f"spark-local: no folder of Parquet tables at {folder}")
    found = 0
    for entry in sorted(folder.iterdir()):
        name = entry.stem if entry.suffix == ".parquet" else entry.name
        if not _VIEW_NAME.match(name) or not (entry.suffix == ".parquet" or entry.is_dir()):
            continue
        session.read.parquet(str(entry)).createOrReplaceTempView(name)
        found += 1
    if not found:
        raise ExecutionError(f"spark-local: no Parquet tables (NAME.parquet) in {folder}")


def _session_tables(session: Any) -> frozenset[str]:
    """The session's temporary views and the current database's tables, by bare name."""
    return frozenset(table.name for table in session.catalog.listTables())


def _catalog_tables(session: Any, schemas: Sequence[str] | None) -> tuple[CatalogTable, ...]:
    catalog = session.catalog
    current = catalog.currentDatabase()
    listed: list[tuple[str | None, Any]] = (
        [(None, table) for table in catalog.listTables()] if not schemas else []
    )
    for name in schemas or ():
        listed += [(name, table) for table in catalog.listTables(name) if not table.isTemporary]
    found = []
    for schema, table in listed:
        database = None if table.isTemporary else (schema or current)
        columns = catalog.listColumns(table.name, database) if database else catalog.listColumns(table.name)
        reference = table.name if database in (None, current) else f"{database}.{table.name}"
        found.append(
            CatalogTable(
                database,
                table.name,
                reference,
                tuple(CatalogColumn(c.name, c.dataType, _column_kind(c.dataType)) for c in columns),
            )
        )
    return tuple(found)


def _column_kind(data_type: str) -> ColumnKind:
    return _KINDS.get(data_type.split("(")[0].lower(), "other")


def _type_name(data_type: Any) -> str:
    name = str(data_type.typeName())
    return "decimal" if name.startswith("decimal") else name


def _stop_quietly(session: Any) -> None:
    """Close a Connect session that never reached its server (else it retries again at exit)."""
    with warnings.catch_warnings(), contextlib.suppress(Exception):
        warnings.simplefilter("ignore")
        session.client._closed = True  # nothing to release on a server it never reached
        session.stop()


def _message(error: BaseException) -> str:
    """The first line of Spark's message, without the Java stack or the SQL echoed back (gRPC's
    details for a server that cannot be reached)."""
    cause = error.__cause__ or error.__context__
    details = getattr(cause, "details", None)  # a gRPC error under Spark Connect's
    if callable(details):
        return f"{first_line(Exception(details()))}"
    text = getattr(error, "getMessage", None)
    message = str(text() if callable(text) else error)
    return first_line(Exception(message)).split(" SQLSTATE:")[0][:500]
