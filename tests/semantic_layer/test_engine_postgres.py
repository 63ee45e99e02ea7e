"""The PostgreSQL engine on a real cluster (tests/databases.py): it serves only through a SELECT-only role,
every session is read-only and bounded in time, a runaway query is cancelled without harming the next,
the row cap holds, values come back JSON-ready, and a bad address or password is a clear error."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest
import sqlglot
from psycopg import errors as pg_errors

from semantic_layer.engines import EngineSettings, open_engine
from semantic_layer.engines.postgres import PostgresEngine
from semantic_layer.errors import ExecutionError, QueryTimeout, UnsafeDatabaseError, UnsafeSQLError
from tests.databases import (
    OWNER,
    OWNER_PASSWORD,
    READER,
    READER_PASSWORD,
    SUPERUSER,
    SUPERUSER_PASSWORD,
    free_port,
)

SLOW = "SELECT count(*) FROM tickets AS a CROSS JOIN tickets AS b CROSS JOIN tickets AS c"


@pytest.fixture(scope="module")
def engine(postgres_url: str) -> Iterator[PostgresEngine]:
    engine = open_engine(postgres_url, EngineSettings(query_timeout=2.0, timezone="Asia/Shanghai"))
    assert isinstance(engine, PostgresEngine)
    yield engine
    engine.close()


def test_the_reader_sees_the_granted_tables_only(engine: PostgresEngine) -> None:
    assert engine.tables == frozenset({"tickets", "surveys", "customers", "agents", "demo_metadata"})
    with pytest.raises(UnsafeSQLError, match="table 'secrets' is not one of the allowed tables"):
        engine.execute("SELECT secret FROM secrets")


def test_the_role_cannot_write_even_past_the_guard(postgres_cluster: Any, engine: PostgresEngine) -> None:
    """What the guard stops must fail in PostgreSQL too: the role has no write privilege, and the
    engine's sessions are read-only whatever the role could do."""
    with psycopg.connect(postgres_cluster.url(READER, READER_PASSWORD), autocommit=True) as plain:
        with pytest.raises(pg_errors.InsufficientPrivilege):
            plain.execute("INSERT INTO tickets (ticket_id) VALUES ('T-evil')")
        with pytest.raises(pg_errors.InsufficientPrivilege):
            plain.execute("CREATE TABLE stolen AS SELECT * FROM tickets")
    with engine._pool.connection() as session:  # the engine's own session, without the guard
        assert session.execute("SHOW default_transaction_read_only").fetchone() == ("on",)
        with pytest.raises(pg_errors.ReadOnlySqlTransaction):
            session.execute("CREATE TEMPORARY TABLE scratch (x int)")
        session.rollback()
    # and a server-side cursor takes one query: DECLARE ... FOR anything else does not parse
    with (
        engine._pool.connection() as session,
        pytest.raises(ExecutionError, match='syntax error at or near "DELETE"'),
    ):
        engine._run(session, "DELETE FROM tickets", max_rows=None)
    assert engine.execute("SELECT count(*) FROM tickets").rows == [[20_000]]


def test_every_session_is_read_only_and_bounded_in_time(engine: PostgresEngine) -> None:
    with engine._pool.connection() as session:
        settings = {
            name: session.execute(f"SHOW {name}").fetchone()[0]  # type: ignore[index]
            for name in (
                "default_transaction_read_only",
                "statement_timeout",
                "TimeZone",
                "standard_conforming_strings",
            )
        }
        session.rollback()
    assert settings == {
        "default_transaction_read_only": "on",
        "statement_timeout": "3s",
        "TimeZone": "Asia/Shanghai",
        "standard_conforming_strings": "on",
    }


@pytest.mark.parametrize(
    ("user", "password", "expected"),
    [
        pytest.param(SUPERUSER, SUPERUSER_PASSWORD, "it is a superuser", id="superuser"),
        pytest.param(OWNER, OWNER_PASSWORD, r"it can write 6 table\(s\) \(public.agents", id="table-owner"),
    ],
)
def test_a_role_that_could_change_data_is_refused(
    postgres_cluster: Any, user: str, password: str, expected: str
) -> None:
    with pytest.raises(
        UnsafeDatabaseError, match=f"refusing to serve as PostgreSQL role '{user}': {expected}"
    ):
        open_engine(postgres_cluster.url(user, password))


def test_a_role_granted_one_write_privilege_is_refused(postgres_cluster: Any) -> None:
    with psycopg.connect(postgres_cluster.url(OWNER, OWNER_PASSWORD), autocommit=True) as owner:
        owner.execute(f"GRANT UPDATE ON surveys TO {READER}")
        try:
            with pytest.raises(UnsafeDatabaseError, match=r"can write 1 table\(s\) \(public.surveys\)"):
                open_engine(postgres_cluster.url(READER, READER_PASSWORD))
        finally:
            owner.execute(f"REVOKE UPDATE ON surveys FROM {READER}")


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        pytest.param("wrong-password", "password authentication failed", id="wrong-password"),
        pytest.param("no-server", "Connection refused", id="no-server"),
        pytest.param("no-database", 'database "nowhere" does not exist', id="no-database"),
    ],
)
def test_a_connection_failure_is_a_clear_error_without_the_password(
    postgres_cluster: Any, where: str, expected: str
) -> None:
    url = {
        "wrong-password": postgres_cluster.url(READER, "not-the-password"),
        "no-server": f"postgresql://{READER}:{READER_PASSWORD}@127.0.0.1:{free_port()}/analytics",
        "no-database": postgres_cluster.url(READER, READER_PASSWORD, "nowhere"),
    }[where]
    started = time.monotonic()
    with pytest.raises(ExecutionError) as caught:
        open_engine(url)
    message = str(caught.value)
    assert message.startswith(f"cannot connect to PostgreSQL at postgresql://{READER}:***@127.0.0.1:")
    assert expected in message
    assert READER_PASSWORD not in message and "not-the-password" not in message
    assert time.monotonic() - started < 15


def test_a_slow_query_is_cancelled_and_the_next_one_runs(
    postgres_cluster: Any, engine: PostgresEngine
) -> None:
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match="longer than 2 seconds"):
        engine.execute(SLOW)
    assert time.monotonic() - started < 10
    assert engine.execute("SELECT count(*) FROM agents").rows == [[120]]
    with postgres_cluster.admin() as admin:  # nothing of ours is still running on the server
        running = admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE usename = %s AND state = 'active'", (READER,)
        ).fetchone()
    assert running == (0,)


def test_the_server_stops_a_query_the_client_did_not(engine: PostgresEngine) -> None:
    """statement_timeout (the deadline plus a second) stops what runs without the engine's watchdog,
    e.g. when the client died."""
    started = time.monotonic()
    with (
        engine._pool.connection() as session,
        pytest.raises(pg_errors.QueryCanceled, match="statement timeout"),
    ):
        session.execute("SELECT pg_sleep(30)")
    assert time.monotonic() - started < 10


def test_the_row_cap_fetches_no_more(engine: PostgresEngine) -> None:
    result = engine.execute("SELECT ticket_id FROM tickets ORDER BY ticket_id", max_rows=5)
    assert result.truncated and len(result.rows) == 5
    assert not engine.execute("SELECT agent_id FROM agents", max_rows=120).truncated


def test_values_come_back_json_ready(engine: PostgresEngine) -> None:
    result = engine.execute(
        "SELECT CAST(created_at AS DATE) AS day, created_at, 1.5 AS ratio, CAST(2 AS BIGINT) AS n, TRUE AS flag,"
        " '100%' AS pct, CAST('NaN' AS DOUBLE PRECISION) AS nan, ticket_id FROM tickets ORDER BY ticket_id LIMIT 1"
    )
    assert result.types == ["date", "timestamp", "number", "integer", "boolean", "string", "number", "string"]
    day, moment, ratio, n, flag, pct, nan, ticket = result.rows[0]
    assert (ratio, n, flag, pct, nan) == (1.5, 2, True, "100%", None)
    assert isinstance(day, str) and len(day) == 10 and moment.startswith(day + " ")
    assert isinstance(ticket, str)


def test_queries_run_from_many_threads(engine: PostgresEngine) -> None:
    def count(region: str) -> int:
        sql = sqlglot.select("count(*)").from_("tickets").where(sqlglot.exp.column("region").eq(region))
        return int(engine.execute(sql.sql("postgres")).rows[0][0])

    regions = [row[0] for row in engine.execute("SELECT DISTINCT region FROM tickets").rows]
    with ThreadPoolExecutor(max_workers=8) as pool:
        counts = list(pool.map(count, regions * 4))
    assert sum(counts) == 4 * 20_000
    assert threading.active_count() < 50


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1; DROP TABLE tickets",
        "COPY tickets TO '/tmp/stolen.csv'",
        "SELECT pg_read_file('/etc/passwd')",
        "SET default_transaction_read_only = off",
        "WITH tickets AS (SELECT * FROM secrets) SELECT * FROM tickets",
        "SELECT * FROM tickets FOR UPDATE",
    ],
)
def test_the_engine_refuses_before_postgres_runs_anything(engine: PostgresEngine, sql: str) -> None:
    with pytest.raises(UnsafeSQLError):
        engine.execute(sql, allowed_tables=["tickets"])
