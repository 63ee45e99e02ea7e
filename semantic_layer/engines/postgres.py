"""Run compiled SQL on PostgreSQL through a SELECT-only role (psycopg 3 and a connection pool).

Refused at open: a superuser, a role that may write any table (or run programs, read or write server
files). Every session is read-only (`default_transaction_read_only`), bounded by `statement_timeout`
and cancelled from the client past the deadline; each query runs as a server-side cursor (PostgreSQL's
own parser must see one SELECT: `DECLARE ... CURSOR FOR` takes nothing else) and only the rows under the
cap are fetched. Every SQL text passes the guard first.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Sequence
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import ConnectionPool, PoolTimeout
from sqlglot import exp

from ..engine import RawResult, Watchdog, json_rows
from ..errors import ExecutionError, QueryTimeout, UnsafeDatabaseError
from ..guard import check_statement
from ..result import ColumnType
from .catalog import CatalogColumn, CatalogTable, ColumnKind
from .common import EngineSettings, first_line, redact, seconds

CONNECT_TIMEOUT = 10
SERVER_GRACE = 1.0
DEFAULT_CONNECTIONS = 4
# Membership in these lets a role run programs or touch the server's files: refused like a superuser.
_DANGEROUS_ROLES = ("pg_execute_server_program", "pg_read_server_files", "pg_write_server_files")
_TYPES: dict[str, ColumnType] = {
    "bool": "boolean",
    "int2": "integer",
    "int4": "integer",
    "int8": "integer",
    "oid": "integer",
    "float4": "number",
    "float8": "number",
    "numeric": "number",
    "money": "number",
    "date": "date",
    "timestamp": "timestamp",
    "timestamptz": "timestamp",
    "time": "timestamp",
    "timetz": "timestamp",
}
_PLAIN = frozenset({"bool", "int2", "int4", "int8", "oid", "text", "varchar", "bpchar", "name"})
_KINDS: dict[str, ColumnKind] = {
    "bool": "boolean", "int2": "integer", "int4": "integer", "int8": "integer", "float4": "number",
    "float8": "number", "numeric": "number", "date": "date", "timestamp": "timestamp",
    "timestamptz": "zoned_timestamp", "uuid": "text",
}  # fmt: skip
# The tables and views (and their columns) the role may read in the given schemas (default: those of
# the search path), with their base types (a domain's type is its base type's). Partitions are read
# through their parent. A fixed text: the schemas are its one bound parameter.
_CATALOG = """
SELECT n.nspname, c.relname, pg_table_is_visible(c.oid), c.relkind IN ('v', 'f'),
       a.attname, format_type(a.atttypid, a.atttypmod), b.typname, b.typtype, b.typcategory
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
  AND n.nspname = ANY(COALESCE(%s::text[], current_schemas(false)))
  AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%%'
  AND has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT')
ORDER BY n.nspname, c.relname, a.attnum
"""


class PostgresEngine:
    dialect = "postgres"

    def __init__(self, url: str, settings: EngineSettings | None = None) -> None:
        self.url = url
        self.description = redact(url)
        self.settings = settings or EngineSettings()
        self._names = itertools.count()
        try:
            with psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT, autocommit=True) as connection:
                self._configure(connection)
                refuse_unsafe_role(connection)
                self.tables = _database_tables(connection)
        except psycopg.Error as error:
            raise ExecutionError(
                f"cannot connect to PostgreSQL at {self.description}: {first_line(error)}"
            ) from None
        self._pool = ConnectionPool(
            url,
            kwargs={"connect_timeout": CONNECT_TIMEOUT},
            min_size=1,
            max_size=self.settings.parallel_queries or DEFAULT_CONNECTIONS,
            configure=self._configure,
            check=ConnectionPool.check_connection,
            open=False,
            name="chatbi",
        )
        self._pool.open(wait=False)

    def _configure(self, connection: psycopg.Connection[Any]) -> None:
        """Every session: read-only, bounded in time, strings read as written, the model's time zone."""
        settings = {
            "default_transaction_read_only": "on",
            "standard_conforming_strings": "on",  # a backslash in a literal is a backslash
            # the watchdog cancels at the deadline; the server stops the query a second later if the
            # client could not (e.g. it died)
            "statement_timeout": str(round((self.settings.query_timeout + SERVER_GRACE) * 1000))
            if self.settings.query_timeout
            else "0",
            "idle_in_transaction_session_timeout": "60000",
            "cursor_tuple_fraction": "1",  # plan cursors for the whole result, not the first rows
            "application_name": "chatbi",
        }
        if self.settings.timezone:
            settings["TimeZone"] = self.settings.timezone
        autocommit = connection.autocommit
        connection.autocommit = True
        for name, value in settings.items():
            connection.execute("SELECT set_config(%s, %s, false)", (name, value))
        connection.autocommit = autocommit
        connection.read_only = True

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
        timeout = self.settings.query_timeout
        try:
            with self._pool.connection(timeout=timeout or 30.0) as connection:
                return self._run(connection, sql, max_rows)
        except PoolTimeout:
            raise ExecutionError(
                f"no connection to PostgreSQL at {self.description} became free or could be opened"
            ) from None

    def _run(self, connection: psycopg.Connection[Any], sql: str, max_rows: int | None) -> RawResult:
        watchdog = Watchdog(connection.cancel_safe, self.settings.query_timeout)
        try:
            # A server-side cursor: PostgreSQL declares it FOR one query (nothing else parses) and
            # sends only the rows fetched. (So no EXPLAIN: model checks plan a `LIMIT 0` query.)
            with connection.cursor(name=f"chatbi_{next(self._names)}") as cursor:
                cursor.execute(sql)  # checked by the guard above
                description = cursor.description or []
                fetched = cursor.fetchmany(max_rows + 1) if max_rows is not None else cursor.fetchall()
            connection.rollback()  # nothing to keep: the transaction only read
        except pg_errors.QueryCanceled:
            connection.rollback()
            raise QueryTimeout(
                f"the query ran longer than {seconds(self.settings.query_timeout)} and was stopped"
            ) from None
        except psycopg.Error as error:
            if not connection.closed:
                connection.rollback()
            if watchdog.fired:
                raise QueryTimeout(
                    f"the query ran longer than {seconds(self.settings.query_timeout)} and was stopped"
                ) from None
            raise ExecutionError(f"the database could not run the query: {first_line(error)}") from None
        finally:
            watchdog.stop()
        names = [_type_name(connection, d.type_code) for d in description]
        return RawResult(
            names=[d.name for d in description],
            types=[_TYPES.get(name, "string") for name in names],
            rows=json_rows(fetched[:max_rows], [name not in _PLAIN for name in names]),
            truncated=max_rows is not None and len(fetched) > max_rows,
        )

    def list_tables(self, schemas: Sequence[str] | None = None) -> tuple[CatalogTable, ...]:
        """The tables and views the role may SELECT in `schemas` (default: the search path's), with
        their columns, read from the system catalog in a read-only session within the query timeout."""
        timeout = self.settings.query_timeout
        try:
            with self._pool.connection(timeout=timeout or 30.0) as connection:
                watchdog = Watchdog(connection.cancel_safe, timeout)
                try:
                    rows = connection.execute(_CATALOG, (list(schemas) if schemas else None,)).fetchall()
                    connection.rollback()
                except pg_errors.QueryCanceled:
                    connection.rollback()
                    raise QueryTimeout(f"reading the catalog took longer than {seconds(timeout)}") from None
                except psycopg.Error as error:
                    if not connection.closed:
                        connection.rollback()
                    raise ExecutionError(f"cannot read the catalog: {first_line(error)}") from None
                finally:
                    watchdog.stop()
        except PoolTimeout:
            raise ExecutionError(
                f"no connection to PostgreSQL at {self.description} became free or could be opened"
            ) from None
        tables: dict[tuple[str, str], tuple[bool, bool, list[CatalogColumn]]] = {}
        for schema, table, visible, view, column, shown, base, typtype, category in rows:
            entry = tables.setdefault((schema, table), (visible, view, []))
            entry[2].append(CatalogColumn(column, shown, _column_kind(base, typtype, category)))
        return tuple(
            CatalogTable(schema, table, table if visible else f"{schema}.{table}", tuple(columns), view)
            for (schema, table), (visible, view, columns) in tables.items()
        )

    def close(self) -> None:
        self._pool.close()


def refuse_unsafe_role(connection: psycopg.Connection[Any]) -> None:
    """Raise UnsafeDatabaseError when the session's role is a superuser, may run programs or touch
    server files, or may write (INSERT, UPDATE, DELETE, TRUNCATE) any table outside the system schemas."""
    row = connection.execute(
        "SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user"
    ).fetchone()
    assert row is not None
    user, superuser = row
    if superuser:
        raise UnsafeDatabaseError(
            f"refusing to serve as PostgreSQL role '{user}': it is a superuser. Connect as a role that can "
            "only SELECT the model's tables (see docs/engines.md)"
        )
    for role in _DANGEROUS_ROLES:
        member = connection.execute(
            "SELECT pg_has_role(current_user, oid, 'USAGE') FROM pg_roles WHERE rolname = %s", (role,)
        ).fetchone()
        if member is not None and member[0]:
            raise UnsafeDatabaseError(
                f"refusing to serve as PostgreSQL role '{user}': it is a member of {role}. Connect as a "
                "role that can only SELECT the model's tables (see docs/engines.md)"
            )
    writable = connection.execute(
        """
        SELECT n.nspname || '.' || c.relname
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
          AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
          AND has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')
        ORDER BY 1
        """
    ).fetchall()
    if writable:
        names = ", ".join(name for (name,) in writable[:5]) + (", ..." if len(writable) > 5 else "")
        raise UnsafeDatabaseError(
            f"refusing to serve as PostgreSQL role '{user}': it can write {len(writable)} table(s) ({names}). "
            "Connect as a role that can only SELECT them (see docs/engines.md)"
        )


def _database_tables(connection: psycopg.Connection[Any]) -> frozenset[str]:
    """The tables and views the role may read, by the name a query uses: bare when the search path
    finds it, else schema-qualified."""
    rows = connection.execute(
        """
        SELECT n.nspname, c.relname, pg_table_is_visible(c.oid)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
          AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
          AND has_table_privilege(c.oid, 'SELECT')
        """
    ).fetchall()
    return frozenset(name if visible else f"{schema}.{name}" for schema, name, visible in rows)


def _column_kind(base: str, typtype: str, category: str) -> ColumnKind:
    """How a column of base type `base` reads: text for strings, enums and uuids."""
    if base in _KINDS:
        return _KINDS[base]
    return "text" if category == "S" or typtype == "e" else "other"


def _type_name(connection: psycopg.Connection[Any], oid: int) -> str:
    info = connection.adapters.types.get(oid)
    return info.name if info is not None else "unknown"
