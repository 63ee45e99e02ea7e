"""The Spark engine on the test session's local Spark, and through Spark Connect (a server started in the
same JVM): SQL on files is off even past the guard, ANSI mode is on, Spark's own parser must read one
query, a runaway query is cancelled (job group locally, tag through Connect) without harming the next,
the row cap holds, values come back JSON-ready, and an unreachable server is a quick, clear error."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlglot

from semantic_layer.engines import EngineSettings, open_engine
from semantic_layer.engines.spark import SparkEngine, SparkLocation
from semantic_layer.errors import ExecutionError, QueryTimeout, UnsafeSQLError
from semantic_layer.layer import SemanticLayer
from semantic_layer.loader import load_model
from semantic_layer.periods import FixedClock
from semantic_layer.query import SemanticQuery
from tests.conftest import DEMO_AS_OF
from tests.databases import free_port, start_spark_connect

# Minutes of work, checked for cancellation every batch. (A three-way cross join is not: Spark cancels
# tasks cooperatively, and its nested loops run a whole batch of rows against the others first.)
SLOW = "SELECT count(DISTINCT concat(a.ticket_id, b.ticket_id)) FROM tickets AS a CROSS JOIN tickets AS b"


@pytest.fixture(scope="module")
def engine(spark_url: str) -> Iterator[SparkEngine]:
    engine = open_engine(spark_url, EngineSettings(query_timeout=60.0, timezone="Asia/Shanghai"))
    assert isinstance(engine, SparkEngine)
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def hasty(spark_url: str) -> SparkEngine:
    """An engine on the same session that gives a query 2 seconds."""
    engine = open_engine(spark_url, EngineSettings(query_timeout=2.0))
    assert isinstance(engine, SparkEngine)
    return engine


@pytest.fixture(scope="module")
def connect_session(spark_session: Any, spark_url: str) -> Iterator[Any]:
    """A Spark Connect client session on a server in the test JVM, with the demo tables as its views."""
    from pyspark.sql.connect.session import SparkSession as ConnectSession

    url = start_spark_connect(spark_session)
    session = ConnectSession.builder.remote(url).create()
    folder = Path(SparkLocation.parse(spark_url).tables or "")
    for table in folder.glob("*.parquet"):
        session.read.parquet(str(table)).createOrReplaceTempView(table.stem)
    yield session
    session.stop()


def test_the_session_is_hardened(engine: SparkEngine) -> None:
    conf = engine.session.conf
    assert conf.get("spark.sql.runSQLOnFiles") == "false"
    assert conf.get("spark.sql.ansi.enabled") == "true"
    assert conf.get("spark.sql.session.timeZone") == "Asia/Shanghai"
    assert engine.tables >= {"tickets", "surveys", "customers", "agents"}


def test_sql_on_files_fails_even_past_the_guard(engine: SparkEngine, spark_url: str) -> None:
    tickets = Path(SparkLocation.parse(spark_url).tables or "") / "tickets.parquet"
    with pytest.raises(UnsafeSQLError, match="file paths"):
        engine.execute(f"SELECT count(*) FROM parquet.`{tickets}`")
    with pytest.raises(ExecutionError):  # what the guard would have stopped, Spark refuses too
        engine._run(f"SELECT count(*) FROM parquet.`{tickets}`", max_rows=None)


def test_ansi_mode_errors_instead_of_guessing(engine: SparkEngine) -> None:
    with pytest.raises(ExecutionError, match=r"CAST_INVALID_INPUT|cannot be cast"):
        engine.execute("SELECT CAST(ticket_id AS INT) FROM tickets")


def test_sparks_own_parser_must_see_one_query(engine: SparkEngine) -> None:
    """A tree that passes with a text that is not its rendering: Spark's parser still refuses it."""
    tree = sqlglot.parse_one("SELECT 1", read="spark")
    for sql in ("CACHE TABLE tickets", "DROP TABLE tickets", "SELECT 1; SELECT 2"):
        with pytest.raises(UnsafeSQLError, match="Spark does not read it as one query"):
            engine.execute(sql, tree=tree)
    assert engine.execute("SELECT count(*) FROM agents").rows == [[120]]


def test_a_slow_query_is_cancelled_and_the_next_one_runs(engine: SparkEngine, hasty: SparkEngine) -> None:
    engine.execute("SELECT count(*) FROM tickets")  # warm: the deadline is for the cross join
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match="longer than 2 seconds"):
        hasty.execute(SLOW)
    assert time.monotonic() - started < 20
    assert hasty.execute("SELECT count(*) FROM agents").rows == [[120]]
    assert not engine.session.sparkContext.statusTracker().getActiveJobsIds()  # cancelled, not left
    deadline = time.monotonic() + 40  # and its task stopped (executors report every 10 seconds)
    while _running_tasks(engine) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _running_tasks(engine) == 0


def _running_tasks(engine: SparkEngine) -> int:
    infos = engine.session.sparkContext._jsc.sc().statusTracker().getExecutorInfos()
    return sum(infos[i].numRunningTasks() for i in range(len(infos)))


def test_the_row_cap_takes_no_more(engine: SparkEngine) -> None:
    result = engine.execute("SELECT ticket_id FROM tickets ORDER BY ticket_id", max_rows=5)
    assert result.truncated and len(result.rows) == 5


def test_values_come_back_json_ready(engine: SparkEngine) -> None:
    result = engine.execute(
        "SELECT CAST(created_at AS DATE) AS day, created_at, CAST(1.5 AS DECIMAL(4, 2)) AS ratio,"
        " CAST(2 AS BIGINT) AS n, TRUE AS flag, date_trunc('MONTH', created_at) AS month_start"
        " FROM tickets ORDER BY ticket_id LIMIT 1"
    )
    assert result.types == ["date", "timestamp", "number", "integer", "boolean", "timestamp"]
    day, moment, ratio, n, flag, month_start = result.rows[0]
    assert (ratio, n, flag) == (1.5, 2, True)
    assert moment.startswith(day + " ") and len(moment) == 19  # a naive timestamp, as stored
    assert month_start == day[:8] + "01 00:00:00+08:00"  # a zoned one, in the session's zone


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param("spark-local://?threads=two", "threads must be a whole number", id="bad-threads"),
        pytest.param("spark-local://?warehouse=/tmp", "nothing else", id="unknown-option"),
        pytest.param("spark-local:///no/such/folder", "no folder of Parquet tables", id="missing-folder"),
    ],
)
def test_a_bad_spark_url_is_a_clear_error(spark_session: Any, url: str, expected: str) -> None:
    with pytest.raises(ExecutionError, match=expected):
        open_engine(url)


def test_an_unreachable_spark_connect_server_is_a_quick_clear_error() -> None:
    url = f"sc://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(ExecutionError, match=f"cannot open Spark at {url}"):
        open_engine(url)
    assert time.monotonic() - started < 30


def test_spark_connect_answers_and_cancels(connect_session: Any, small_demo_db: Path) -> None:
    from semantic_layer.engine import DuckDBEngine

    url = "sc://127.0.0.1:1"  # not dialled: the engine uses the given session
    engine = SparkEngine(
        url, EngineSettings(query_timeout=60.0, timezone="Asia/Shanghai"), session=connect_session
    )
    assert engine._remote and engine.tables >= {"tickets", "surveys", "customers"}
    query = SemanticQuery.model_validate(
        {"metrics": ["complaint_rate", "p90_first_response_minutes"], "dimensions": ["region"]}
    )
    model = load_model()
    duckdb = DuckDBEngine(small_demo_db)
    try:
        expected = SemanticLayer(model, duckdb, clock=FixedClock(DEMO_AS_OF)).query(query)
    finally:
        duckdb.close()
    actual = SemanticLayer(model, engine, clock=FixedClock(DEMO_AS_OF)).query(query)
    assert [row[0] for row in actual.rows] == [row[0] for row in expected.rows]
    for got, want in zip(actual.rows, expected.rows, strict=True):
        assert got[1:] == pytest.approx(want[1:], rel=1e-9)
    hasty = SparkEngine(url, EngineSettings(query_timeout=2.0), session=connect_session)
    with pytest.raises(QueryTimeout):
        hasty.execute(SLOW)
    assert hasty.execute("SELECT count(*) FROM agents").rows == [[120]]
