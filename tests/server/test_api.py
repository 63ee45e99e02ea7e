"""The HTTP API: health, catalog and the headless semantic query endpoint, with the pinned error shape."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from semantic_layer.engine import open_read_only
from server.app import create_app
from server.settings import Settings
from tests.conftest import DEMO_AS_OF


@pytest.fixture(scope="module")
def client(demo_db: Path) -> Iterator[TestClient]:
    settings = Settings(db=str(demo_db), as_of=DEMO_AS_OF)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_health_is_ready_with_data_freshness(client: TestClient, demo_db: Path) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    with open_read_only(demo_db) as connection:
        latest = connection.execute("SELECT max(created_at) FROM tickets").fetchone()[0]
    assert body["data_as_of"] == latest.isoformat(sep=" ")


def test_catalog_lists_public_metrics_in_the_requested_language(client: TestClient) -> None:
    zh = client.get("/api/catalog").json()
    en = client.get("/api/catalog", params={"lang": "en"}).json()
    names = [m["name"] for m in zh["metrics"]]
    assert "avg_csat" in names and "nps_response_count" not in names  # hidden building blocks stay out
    csat_zh = next(m for m in zh["metrics"] if m["name"] == "avg_csat")
    csat_en = next(m for m in en["metrics"] if m["name"] == "avg_csat")
    assert (csat_zh["label"], csat_en["label"]) == ("满意度", "CSAT")
    assert csat_zh["polarity"] == "higher_is_better"
    priority = next(d for d in en["dimensions"] if d["name"] == "priority")
    assert {"value": "P1", "label": "urgent"} in priority["values"]
    assert en["example_questions"][0] == "Which product had the most complaints this month?"


def test_query_returns_typed_columns_rows_and_sql(client: TestClient, demo_db: Path) -> None:
    query = {
        "metrics": ["ticket_count"],
        "dimensions": ["channel"],
        "order_by": [{"field": "ticket_count", "desc": True}],
    }
    body = client.post("/api/query", json=query, params={"lang": "en"}).json()
    assert [(c["name"], c["type"], c["label"]) for c in body["columns"]] == [
        ("channel", "string", "Channel"),
        ("ticket_count", "integer", "Tickets"),
    ]
    with open_read_only(demo_db) as connection:
        expected = connection.execute(
            "SELECT channel, count(*) FROM tickets GROUP BY channel ORDER BY 2 DESC, 1"
        ).fetchall()
        rerun = connection.execute(body["sql"]).fetchall()  # the SQL as executed runs as-is
    assert [tuple(r) for r in body["rows"]] == expected == rerun


@pytest.mark.parametrize(
    ("query", "status", "code", "message", "suggestions"),
    [
        ({"metrics": ["xyzzy"]}, 400, "unknown_field", "unknown metric 'xyzzy'", []),
        ({"metrics": ["avg_csta"]}, 400, "unknown_field", "unknown metric 'avg_csta'", ["avg_csat"]),
        (
            {"metrics": ["repurchase_rate"], "dimensions": ["channel"]},
            400,
            "invalid_query",
            "dimension 'channel' is not available for metric 'repurchased_customer_count' (table 'customers'); "
            "it is defined on tickets",
            [],
        ),
        (
            {"metrics": []},
            422,
            "invalid_request",
            "a query names either 'metrics' (aggregates) or 'fields' (a detail list)",
            [],
        ),
        (
            {"metrics": ["ticket_count"], "limit": 0},
            422,
            "invalid_request",
            "limit: Input should be greater than 0",
            [],
        ),
    ],
)
def test_errors_have_one_shape(
    client: TestClient, query: dict[str, Any], status: int, code: str, message: str, suggestions: list[str]
) -> None:
    response = client.post("/api/query", json=query)
    assert response.status_code == status
    assert response.json() == {"error": {"code": code, "message": message, "suggestions": suggestions}}


def test_server_never_writes_to_the_analytics_database(client: TestClient, demo_db: Path) -> None:
    before = demo_db.stat().st_mtime_ns
    client.post("/api/query", json={"metrics": ["ticket_count", "backlog_count"]})
    assert demo_db.stat().st_mtime_ns == before
    state = client.app.state.chat.server  # type: ignore[attr-defined]
    with pytest.raises(Exception, match="read-only"):
        state.layer.engine.execute("CREATE TABLE x AS SELECT 1")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_chatbi_serve_answers_over_real_http(demo_db: Path) -> None:
    port = _free_port()
    env = {**os.environ, "CHATBI_AS_OF": DEMO_AS_OF.isoformat()}
    process = subprocess.Popen(
        [sys.executable, "-m", "server", "serve", "--db", str(demo_db), "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
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
        request = urllib.request.Request(
            f"{base}/api/query",
            data=json.dumps({"metrics": ["ticket_count"]}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = json.load(response)
        with open_read_only(demo_db) as connection:
            total = connection.execute("SELECT count(*) FROM tickets").fetchone()[0]
        assert body["rows"] == [[total]]
    finally:
        process.terminate()
        process.wait(timeout=20)
