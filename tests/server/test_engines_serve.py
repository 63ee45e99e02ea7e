"""`chatbi serve --db postgresql://...` on a real PostgreSQL: it starts, `/api/ask` answers with DuckDB's
numbers, health says the engine and why rollups are off; `chatbi check` and `chatbi query` take the URL
too; a superuser or an unreachable server stops it before it listens, with a clear message and no
password in it; the data version reloads when the data changes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from semantic_layer.engine import open_read_only
from server.settings import Settings
from server.state import Serving, current_fingerprint, open_state
from tests.conftest import DEMO_AS_OF
from tests.databases import OWNER, OWNER_PASSWORD, READER_PASSWORD, SUPERUSER, SUPERUSER_PASSWORD, free_port

QUESTION = "本月哪个产品投诉最多?"


def _chatbi(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def served(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`chatbi serve --db <postgres>` in a subprocess; its base URL once ready."""
    port = free_port()
    store = tmp_path_factory.mktemp("store") / "store.sqlite3"
    env = {
        **os.environ,
        "CHATBI_AS_OF": DEMO_AS_OF.isoformat(),
        "CHATBI_STORE": str(store),
        "CHATBI_ROLLUPS": "on",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "server", "serve", "--db", postgres_url, "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/health", timeout=2) as response:
                    if json.load(response)["status"] == "ready":
                        break
            except (urllib.error.URLError, ConnectionError):
                pass
            assert process.poll() is None, (
                process.stdout.read().decode() if process.stdout else "server exited"
            )
            assert time.monotonic() < deadline, "server did not become ready"
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0].decode()
        assert READER_PASSWORD not in output  # the URL is logged without its password


def _post(url: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def test_health_names_the_engine_and_why_rollups_are_off(served: str, small_demo_db: Path) -> None:
    with urllib.request.urlopen(f"{served}/api/health", timeout=10) as response:
        health = json.load(response)
    assert health["engine"] == "postgres"
    assert health["rollups"] == "off"
    assert "DuckDB file" in health["rollups_reason"] and "postgres" in health["rollups_reason"]
    with open_read_only(small_demo_db) as connection:
        latest = connection.execute("SELECT max(created_at) FROM tickets").fetchone()[0]
    assert health["data_as_of"] == latest.isoformat(sep=" ")


def test_ask_answers_with_duckdbs_numbers(served: str, small_demo_db: Path) -> None:
    answer = _post(f"{served}/api/ask", {"question": QUESTION})
    assert answer["status"] == "answered", answer
    assert answer["query"]["query"]["metrics"] == ["complaint_count"]
    assert 'COLLATE "C"' in answer["sql"] or "NULLS LAST" in answer["sql"]  # PostgreSQL's SQL, as run
    with open_read_only(small_demo_db) as connection:
        expected = connection.execute(
            """SELECT product_model, count(*) FILTER (WHERE is_complaint) AS n FROM tickets
               WHERE created_at >= DATE '2026-11-01' AND created_at < DATE '2026-12-01'
               GROUP BY product_model ORDER BY n DESC, product_model LIMIT 1"""
        ).fetchall()
    assert [tuple(row) for row in answer["data"]["rows"]] == [tuple(row) for row in expected]


def test_the_semantic_api_answers_too(served: str) -> None:
    result = _post(f"{served}/api/query", {"metrics": ["ticket_count"], "dimensions": ["region"]})
    assert sum(row[1] for row in result["rows"]) == 20_000


def test_check_and_query_take_the_url(postgres_url: str) -> None:
    check = _chatbi("check", "--db", postgres_url)
    assert check.returncode == 0, check.stderr
    assert "every expression runs on postgresql://chatbi_reader:***@" in check.stdout
    query = _chatbi("query", '{"metrics": ["ticket_count"]}', "--db", postgres_url, "--json")
    assert query.returncode == 0, query.stderr
    assert json.loads(query.stdout)["rows"] == [[20_000]]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        pytest.param("superuser", "it is a superuser", id="superuser"),
        pytest.param(
            "no-server", "cannot connect to PostgreSQL at postgresql://chatbi_reader:***@", id="no-server"
        ),
        pytest.param("bad-scheme", "unsupported database URL mysql://", id="unsupported-url"),
    ],
)
def test_serve_refuses_to_start_with_a_clear_message(postgres_cluster: Any, who: str, expected: str) -> None:
    url = {
        "superuser": postgres_cluster.url(SUPERUSER, SUPERUSER_PASSWORD),
        "no-server": f"postgresql://chatbi_reader:{READER_PASSWORD}@127.0.0.1:{free_port()}/analytics",
        "bad-scheme": "mysql://root:pw@127.0.0.1/analytics",
    }[who]
    result = _chatbi("serve", "--db", url, "--port", str(free_port()))
    assert result.returncode != 0
    assert expected in result.stderr
    assert SUPERUSER_PASSWORD not in result.stderr and READER_PASSWORD not in result.stderr


def test_a_new_data_version_reloads_with_the_new_data(
    postgres_cluster: Any, postgres_url: str, tmp_path: Path
) -> None:
    """With CHATBI_DATA_VERSION_QUERY, the watcher sees the data change and the reload serves it."""
    settings = Settings(
        db=postgres_url,
        as_of=DEMO_AS_OF,
        store=tmp_path / "store.sqlite3",
        data_version_query="SELECT count(*) FROM agents",
        data_version_interval=0.01,
    )
    serving = Serving(open_state(settings), lambda: open_state(settings))
    with psycopg.connect(postgres_cluster.url(OWNER, OWNER_PASSWORD), autocommit=True) as owner:
        try:
            before = serving.current.fingerprint
            assert current_fingerprint(settings, serving.current) == before
            owner.execute(
                "INSERT INTO agents (agent_id, agent_name, team) VALUES ('A-new', 'new', '热线一组')"
            )
            time.sleep(0.05)
            changed = current_fingerprint(settings, serving.current)
            assert changed != before
            serving.reload()
            assert serving.current.fingerprint == changed
            assert serving.current.layer.engine.execute("SELECT count(*) FROM agents").rows == [[121]]
        finally:
            owner.execute("DELETE FROM agents WHERE agent_id = 'A-new'")
            serving.close()


def test_an_unsafe_data_version_query_stops_the_start(postgres_url: str, tmp_path: Path) -> None:
    settings = Settings(
        db=postgres_url, store=tmp_path / "s.sqlite3", data_version_query="SELECT pg_sleep(1)"
    )
    with pytest.raises(Exception, match=r"data version query \(CHATBI_DATA_VERSION_QUERY\).*pg_sleep"):
        open_state(settings)
