"""The DuckDB engine under attack, load and faults: runaway queries are stopped and the connection
lives on, limits are in force and locked, no file outside the database can be read, the database
file never changes, and concurrent queries do not disturb each other. Real DuckDB files throughout."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pytest
from sqlglot import exp

from semantic_layer.engine import ATTACHED, DuckDBEngine, DuckDBSettings
from semantic_layer.errors import ExecutionError, QueryTimeout, UnsafeSQLError

ROWS = 200_000
# Four times ten billion pairs: minutes of work, never finished within a test's deadline.
RUNAWAY = "SELECT count(*) FROM tickets AS a CROSS JOIN tickets AS b WHERE (a.id + b.id) % 7 = 3"


def make_database(path: Path) -> Path:
    with duckdb.connect(str(path)) as connection:
        connection.execute(
            "CREATE TABLE tickets AS SELECT range AS id, range % 10 AS bucket FROM range(?)", [ROWS]
        )
        connection.execute("CREATE TABLE secrets AS SELECT 'hunter2' AS secret")
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return make_database(tmp_path / "hardening.duckdb")


@pytest.fixture
def engine(database: Path) -> Iterator[DuckDBEngine]:
    engine = DuckDBEngine(database, DuckDBSettings(query_timeout=1.0))
    yield engine
    engine.close()


def count_where_bucket_is(bucket: int) -> str:
    column = exp.column("bucket")
    query = exp.select("count(*)").from_("tickets").where(column.eq(exp.Literal.number(bucket)))
    return query.sql(dialect="duckdb")


def test_a_runaway_query_is_stopped_and_the_connection_lives_on(engine: DuckDBEngine, database: Path) -> None:
    before = sha256(database)
    started = time.perf_counter()
    with pytest.raises(QueryTimeout, match="ran longer than 1 second and was stopped"):
        engine.execute(RUNAWAY, allowed_tables=["tickets"])
    late = time.perf_counter() - started - 1.0
    assert late < 2.0, f"stopped {late:.3f}s after its deadline"
    assert engine.execute(count_where_bucket_is(3)).rows == [[ROWS // 10]]
    assert sha256(database) == before


def test_a_runaway_cross_join_on_the_demo_database_is_stopped(demo_db: Path) -> None:
    engine = DuckDBEngine(demo_db, DuckDBSettings(query_timeout=0.5))
    try:
        with pytest.raises(QueryTimeout) as caught:
            engine.execute("SELECT count(*) FROM tickets AS a, tickets AS b WHERE a.ticket_id < b.ticket_id")
        assert isinstance(caught.value, ExecutionError)
        assert caught.value.code == "query_timeout"
        assert engine.execute("SELECT count(*) FROM tickets").rows == [[200_000]]
    finally:
        engine.close()


def test_without_a_timeout_queries_are_not_interrupted(database: Path) -> None:
    engine = DuckDBEngine(database, DuckDBSettings(query_timeout=None))
    try:
        assert engine.execute(
            "SELECT count(*) FROM tickets AS a, tickets AS b WHERE a.id < 300 AND b.id < 300"
        ).rows
    finally:
        engine.close()


def test_limits_are_in_force(database: Path) -> None:
    settings = DuckDBSettings(threads=2, memory_limit="512MiB", max_temp_directory_size="1GiB")
    engine = DuckDBEngine(database, settings)
    try:
        # duckdb_settings() is refused by the guard: read it on the engine's connection directly
        rows = engine._connection.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN "
            "('threads', 'memory_limit', 'max_temp_directory_size', 'lock_configuration', "
            "'enable_external_access', 'autoload_known_extensions', 'autoinstall_known_extensions')"
        ).fetchall()
    finally:
        engine.close()
    assert dict(rows) == {
        "threads": "2",
        "memory_limit": "512.0 MiB",
        "max_temp_directory_size": "1.0 GiB",
        "lock_configuration": "true",
        "enable_external_access": "false",
        "autoload_known_extensions": "false",
        "autoinstall_known_extensions": "false",
    }


def test_the_configuration_is_locked(engine: DuckDBEngine) -> None:
    with pytest.raises(UnsafeSQLError, match="not SET"):
        engine.execute("SET threads = 1")
    with pytest.raises(duckdb.Error, match="locked"):  # even bypassing the guard
        engine._connection.cursor().execute("SET enable_external_access = true")


def test_files_outside_the_database_cannot_be_read_even_bypassing_the_guard(
    engine: DuckDBEngine, tmp_path: Path
) -> None:
    csv = tmp_path / "outside.csv"
    csv.write_text("secret\nhunter2\n", encoding="utf-8")
    cursor = engine._connection.cursor()
    with pytest.raises(duckdb.PermissionException):
        cursor.execute("SELECT * FROM read_csv(?)", [str(csv)])
    with pytest.raises(duckdb.Error):
        cursor.execute("SELECT * FROM read_text(?)", [str(csv)])
    with pytest.raises(duckdb.Error):
        cursor.execute("INSTALL httpfs")


def test_the_database_is_read_only_even_bypassing_the_guard(engine: DuckDBEngine, database: Path) -> None:
    before = sha256(database)
    cursor = engine._connection.cursor()
    cursor.execute(f"USE {ATTACHED}")
    for statement in ("CREATE TABLE x AS SELECT 1", "DELETE FROM tickets", "DROP TABLE secrets"):
        with pytest.raises(duckdb.Error, match="read-only"):
            cursor.execute(statement)
    with pytest.raises(duckdb.Error):  # nor can another file be attached writable
        cursor.execute(f"ATTACH '{database}' AS again")
    assert sha256(database) == before


def test_the_row_cap_still_holds(engine: DuckDBEngine) -> None:
    result = engine.execute("SELECT id FROM tickets ORDER BY id", max_rows=5)
    assert result.truncated
    assert result.rows == [[0], [1], [2], [3], [4]]


def test_concurrent_queries_are_correct_while_one_times_out(database: Path) -> None:
    engine = DuckDBEngine(database, DuckDBSettings(query_timeout=2.0))
    before = sha256(database)

    def run(index: int) -> object:
        if index == 0:
            try:
                engine.execute(RUNAWAY)
            except QueryTimeout as timeout:
                return timeout
            return "finished"
        return engine.execute(count_where_bucket_is(index % 10)).rows

    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            results = list(pool.map(run, range(16)))
        assert isinstance(results[0], QueryTimeout)
        assert results[1:] == [[[ROWS // 10]]] * 15
        assert engine.execute(count_where_bucket_is(0)).rows == [[ROWS // 10]]
    finally:
        engine.close()
    assert sha256(database) == before
