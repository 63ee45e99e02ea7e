"""The data version of a server database (what stands in for a watched file): read at most once per
interval, from a query or from the clock; a failed first read stops the start, later ones wait."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import duckdb
import pytest

from semantic_layer.engine import DuckDBEngine
from semantic_layer.errors import ExecutionError, UnsafeSQLError
from semantic_layer.freshness import DataVersion


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "data.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("CREATE TABLE loads AS SELECT 1 AS batch")
        connection.execute("CREATE TABLE secrets AS SELECT 'x' AS secret")
    return path


def version(
    engine: DuckDBEngine, query: str | None, clock: Clock, tables: Collection[str] = ("loads",)
) -> DataVersion:
    return DataVersion(engine, query=query, interval=60, tables=tables, clock=clock)


def test_without_a_query_every_interval_is_a_new_version(database: Path) -> None:
    clock = Clock()
    data = version(DuckDBEngine(database), None, clock)
    first = data.current()
    clock.now += 59
    assert data.current() == first
    clock.now += 2
    assert data.current() != first


def test_a_query_is_read_at_most_once_per_interval(database: Path) -> None:
    clock, engine = Clock(), DuckDBEngine(database)
    data = version(engine, "SELECT max(batch) FROM loads", clock)
    first = data.current()
    assert first == "query [[1]]"
    calls: list[str] = []
    execute = engine.execute
    engine.execute = lambda sql, **kw: calls.append(sql) or execute(sql, **kw)  # type: ignore[method-assign]
    clock.now += 30
    assert data.current() == first and calls == []
    clock.now += 31
    assert data.current() == first and len(calls) == 1


def test_the_query_passes_the_guard_over_the_models_tables(database: Path) -> None:
    with pytest.raises(UnsafeSQLError, match=r"CHATBI_DATA_VERSION_QUERY.*table 'secrets'"):
        version(DuckDBEngine(database), "SELECT count(*) FROM secrets", Clock()).current()


def test_a_failing_first_read_stops_the_start_a_later_one_waits(database: Path) -> None:
    clock, engine = Clock(), DuckDBEngine(database)
    with pytest.raises(ExecutionError, match="CHATBI_DATA_VERSION_QUERY"):
        version(engine, "SELECT max(no_such_column) FROM loads", clock).current()
    data = version(engine, "SELECT max(batch) FROM loads", clock)
    assert data.current() == "query [[1]]"

    def down(sql: str, **_: object) -> None:
        raise ExecutionError("the database is down")

    engine.execute = down  # type: ignore[method-assign,assignment]
    clock.now += 61
    assert data.current() is None  # the watcher skips a version it cannot read
