"""Data and model changes reach answers: a replaced database file or an edited model is noticed and
reloaded (questions in flight finish on the old version), and the result cache answers repeats but never
across users who see different rows, and never with data older than the database."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from semantic_layer.cache import ResultCache
from semantic_layer.demo.generate import generate_demo_database
from semantic_layer.engine import open_read_only
from server.app import create_app
from server.settings import Settings
from tests.conftest import DEMO_AS_OF
from tests.server.conftest import SECRET, bearer, token

ALICE = bearer(token("alice", region="华南"))
BOB = bearer(token("bob", region="华东"))
BUNDLED_MODEL = Path(__file__).parents[2] / "semantic_layer" / "demo" / "after_sales.yaml"


def _tickets(path: Path) -> int:
    with open_read_only(path) as connection:
        return int(connection.execute("SELECT count(*) FROM tickets").fetchall()[0][0])


def _wait_for_version(client: TestClient, version: int, timeout: float = 20) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        health = client.get("/api/health").json()
        if health["version"] >= version:
            return health
        time.sleep(0.1)
    pytest.fail(f"the server did not reload to version {version} in {timeout} s")


def test_a_replaced_database_file_is_noticed_and_answers_change(demo_db: Path, tmp_path: Path) -> None:
    served = tmp_path / "served.duckdb"
    shutil.copy(demo_db, served)
    smaller = tmp_path / "smaller.duckdb"
    generate_demo_database(smaller, tickets=3000, as_of=DEMO_AS_OF, seed=11)
    settings = Settings(db=str(served), as_of=DEMO_AS_OF, store=tmp_path / "s.sqlite3", reload_interval=0.2)
    with TestClient(create_app(settings)) as client:
        before = client.post("/api/query", json={"metrics": ["ticket_count"]}).json()["rows"]
        assert before == [[_tickets(demo_db)]]
        os.replace(smaller, served)  # a nightly load writes a new file and renames it over the old one
        health = _wait_for_version(client, 2)
        assert health["status"] == "ready"
        after = client.post("/api/query", json={"metrics": ["ticket_count"]}).json()["rows"]
        assert after == [[3000]]


def test_an_edited_model_is_reloaded_and_a_broken_one_is_not(demo_db: Path, tmp_path: Path) -> None:
    model = tmp_path / "model.yaml"
    shutil.copy(BUNDLED_MODEL, model)
    settings = Settings(
        db=str(demo_db), model=model, as_of=DEMO_AS_OF, store=tmp_path / "s.sqlite3", reload_interval=0.2
    )
    with TestClient(create_app(settings)) as client:
        text = model.read_text(encoding="utf-8")
        model.write_text(
            text.replace("label: {zh: 投诉量, en: Complaints}", "label: {zh: 客诉量, en: Complaints}"),
            encoding="utf-8",
        )
        _wait_for_version(client, 2)
        catalog = client.get("/api/catalog?lang=zh").json()
        assert any(m["label"] == "客诉量" for m in catalog["metrics"])
        model.write_text("name: broken\n", encoding="utf-8")  # invalid: the old version keeps serving
        time.sleep(1.5)
        assert client.get("/api/health").json()["version"] == 2
        assert client.post("/api/ask", json={"question": "本月客诉量"}).json()["status"] == "answered"


def test_repeats_come_from_the_cache_and_users_never_share_entries(demo_db: Path, tmp_path: Path) -> None:
    settings = Settings(db=str(demo_db), as_of=DEMO_AS_OF, store=tmp_path / "s.sqlite3", auth_secret=SECRET)
    with TestClient(create_app(settings)) as client:
        cache = client.app.state.chat.server.layer.cache  # type: ignore[attr-defined]
        assert isinstance(cache, ResultCache)
        first = client.post("/api/ask", json={"question": "本月各大区的投诉量"}, headers=ALICE).json()
        hits = cache.hits
        again = client.post("/api/ask", json={"question": "本月各大区的投诉量"}, headers=ALICE).json()
        assert cache.hits > hits and again["source"] == "cache" and first["source"] != "cache"
        assert again["data"]["rows"] == first["data"]["rows"] and again["answer"] == first["answer"]
        bob = client.post("/api/ask", json={"question": "本月各大区的投诉量"}, headers=BOB).json()
        assert bob["source"] != "cache" and [row[0] for row in bob["data"]["rows"]] == ["华东"]


def test_the_cache_can_be_switched_off(demo_db: Path, tmp_path: Path) -> None:
    settings = Settings(db=str(demo_db), as_of=DEMO_AS_OF, store=tmp_path / "s.sqlite3", cache=False)
    with TestClient(create_app(settings)) as client:
        assert client.app.state.chat.server.layer.cache is None  # type: ignore[attr-defined]
        client.post("/api/ask", json={"question": "本月投诉量"})
        assert client.post("/api/ask", json={"question": "本月投诉量"}).json()["source"] == "base"
        assert client.get("/api/health").json()["cache"] == "off"


def test_rollups_build_in_the_background_and_answer_additive_questions(demo_db: Path, tmp_path: Path) -> None:
    settings = Settings(
        db=str(demo_db), as_of=DEMO_AS_OF, store=tmp_path / "s.sqlite3", rollups=True, cache=False
    )
    with TestClient(create_app(settings)) as client:
        deadline = time.monotonic() + 120
        while (status := client.get("/api/health").json()["rollups"]) == "building":
            assert time.monotonic() < deadline, "the rollups were not built in time"
            time.sleep(0.2)
        assert status == "ready"
        kpi = client.post("/api/ask", json={"question": "本月各大区的投诉量"}).json()
        p90 = client.post("/api/ask", json={"question": "上个月首次响应时长P90按班次"}).json()
        assert kpi["source"] == "rollup" and p90["source"] == "base"  # percentiles stay on the base tables
        with open_read_only(demo_db) as connection:  # the same numbers straight from the tickets
            expected = connection.execute(
                "SELECT region, count(*) FROM tickets WHERE is_complaint AND created_at >= '2026-11-01' "
                "AND created_at < '2026-12-01' GROUP BY region"
            ).fetchall()
        assert sorted(map(tuple, kpi["data"]["rows"])) == sorted(expected)
    assert settings.rollups_path.is_file()  # the product's own file, next to the store
    with TestClient(create_app(settings)) as client:  # a restart opens them at once, before it says ready
        assert client.get("/api/health").json()["rollups"] == "ready"
        assert client.post("/api/ask", json={"question": "本月各大区的投诉量"}).json()["source"] == "rollup"


def test_a_background_rollups_build_leaves_a_core_and_bounded_memory_to_questions() -> None:
    from semantic_layer.engine import DuckDBSettings
    from server.state import BUILD_MEMORY, build_settings

    cores = os.cpu_count() or 2
    default = build_settings(DuckDBSettings())
    assert default.threads == max(1, cores - 1) and default.memory_limit == BUILD_MEMORY
    assert default.query_timeout is None  # a build is not a question: it runs to its end
    chosen = build_settings(DuckDBSettings(threads=1, memory_limit="512MB"))
    assert chosen.threads == 1 and chosen.memory_limit == "512MB"
