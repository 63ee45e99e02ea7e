"""Embedding in a portal and serving behind a proxy: CORS only for the configured origins, framing only
by them, no MIME sniffing, and the app under a path prefix (with or without the proxy stripping it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.settings import Settings
from tests.conftest import DEMO_AS_OF

PORTAL = "https://portal.example.com"


@pytest.fixture(scope="module")
def client(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(
        db=str(demo_db),
        as_of=DEMO_AS_OF,
        store=tmp_path_factory.mktemp("store") / "chatbi.sqlite3",
        allowed_origins=f"{PORTAL}, http://localhost:3000/",  # type: ignore[arg-type]  # as the environment gives it
        root_path="/chatbi/",
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_cors_answers_only_the_allowed_origins(client: TestClient) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    allowed = client.options("/api/ask", headers={"Origin": PORTAL, **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == PORTAL
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in allowed.headers

    refused = client.options("/api/ask", headers={"Origin": "https://evil.example.com", **preflight})
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers

    simple = client.get("/api/health", headers={"Origin": "http://localhost:3000"})
    assert simple.headers["access-control-allow-origin"] == "http://localhost:3000"
    other = client.get("/api/health", headers={"Origin": "https://evil.example.com"})
    assert other.status_code == 200 and "access-control-allow-origin" not in other.headers


def test_only_the_portal_origins_may_frame_the_pages(client: TestClient) -> None:
    for path in ("/api/health", "/api/conversations", "/api/nothing"):  # pages set their own policy
        headers = client.get(path).headers
        assert headers["content-security-policy"] == (
            f"frame-ancestors 'self' {PORTAL} http://localhost:3000"
        ), path
        assert headers["x-content-type-options"] == "nosniff"
        assert "x-frame-options" not in headers  # it cannot name the portal; CSP does


def test_without_origins_only_the_app_itself_may_frame_it(demo_db: Path, tmp_path: Path) -> None:
    app = create_app(Settings(db=str(demo_db), store=tmp_path / "s.sqlite3"))
    headers = TestClient(app).get("/api/health").headers  # no start-up needed for headers
    assert headers["content-security-policy"] == "frame-ancestors 'self'"
    assert headers["x-frame-options"] == "SAMEORIGIN"
    assert headers["x-content-type-options"] == "nosniff"
    preflight = TestClient(app).options(
        "/api/ask", headers={"Origin": PORTAL, "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in preflight.headers


def test_the_app_works_under_a_path_prefix(client: TestClient) -> None:
    kept = client.get("/chatbi/api/health")  # the proxy passes the prefix on
    stripped = client.get("/api/health")  # the proxy strips it
    assert kept.json()["status"] == stripped.json()["status"] == "ready"
    asked = client.post("/chatbi/api/ask", json={"question": "本月投诉量"}).json()
    read = client.get(f"/chatbi/api/conversations/{asked['conversation_id']}")
    assert read.status_code == 200 and read.json()["turns"][0]["turn_id"] == asked["turn_id"]
    assert client.get("/chatbi/openapi.json").json()["servers"] == [{"url": "/chatbi"}]
    assert "/chatbi/openapi.json" in client.get("/chatbi/docs").text
