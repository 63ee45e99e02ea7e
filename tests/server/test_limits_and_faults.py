"""Limits (body size, rate, questions at once, conversation length), the audit log, reload, and faults
(a database missing, locked or corrupt; a model that breaks on reload; a full store): each gives a clear
message and loses nothing stored."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from semantic_layer.loader import load_model
from server.app import create_app
from server.cli import app as cli
from server.limits import Limiter, RateLimited, TooManyInFlight
from server.settings import Settings
from server.state import Serving, open_state
from server.store import NewTurn, Store
from tests.conftest import DEMO_AS_OF
from tests.server.conftest import SECRET, bearer, served, token

ALICE = bearer(token("alice", region="华南"))
BOB = bearer(token("bob", region="华东"))
ADMIN = bearer(token("ops", roles=["admin"]))
BUNDLED_MODEL = Path(load_model.__code__.co_filename).parent / "demo" / "after_sales.yaml"


def _client(demo_db: Path, tmp_path: Path, **settings: object) -> TestClient:
    options: dict[str, object] = {
        "db": str(demo_db),
        "as_of": DEMO_AS_OF,
        "store": tmp_path / "store.sqlite3",
    }
    options.update(settings)
    return TestClient(create_app(Settings(**options)))  # type: ignore[arg-type]


# --- limits -----------------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_refused_whether_declared_or_streamed(demo_db: Path, tmp_path: Path) -> None:
    with _client(demo_db, tmp_path, max_body_bytes=1000) as client:
        big = {"question": "本月投诉量" + " " * 2000}
        declared = client.post("/api/ask", json=big, headers={"Accept-Language": "zh-CN"})
        assert declared.status_code == 413
        assert declared.json()["error"] == {
            "code": "request_too_large",
            "message": "请求太大了（最多1000字节）。",
            "suggestions": [],
        }

        def chunks() -> Iterator[bytes]:
            yield b'{"question": "'
            for _ in range(50):
                yield b"x" * 100
            yield b'"}'

        streamed = client.post("/api/ask", content=chunks(), headers={"Content-Type": "application/json"})
        assert streamed.status_code == 413 and streamed.json()["error"]["code"] == "request_too_large"
        assert client.post("/api/ask", json={"question": "本月投诉量"}).status_code == 200


def test_the_rate_limit_is_per_user_and_says_when_to_retry(demo_db: Path, tmp_path: Path) -> None:
    with _client(demo_db, tmp_path, rate_limit=3, auth_secret=SECRET) as client:
        for _ in range(3):
            assert client.post("/api/ask", json={"question": "本月投诉量"}, headers=ALICE).status_code == 200
        refused = client.post("/api/ask", json={"question": "本月投诉量"}, headers=ALICE)
        assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
        wait = int(refused.headers["Retry-After"])  # 20 s for a whole question, less as time passes
        assert 1 <= wait <= 20
        assert refused.json()["error"]["message"] == f"提问太频繁了（每分钟最多3个），请{wait}秒后再试。"
        assert client.post("/api/query", json={"metrics": ["ticket_count"]}, headers=ALICE).status_code == 429
        assert client.post("/api/ask", json={"question": "本月投诉量"}, headers=BOB).status_code == 200


def test_the_limiter_refills_and_counts_questions_in_flight() -> None:
    now = [0.0]
    limiter = Limiter(per_minute=2, concurrent=1, clock=lambda: now[0])
    first = limiter.acquire("alice")
    with pytest.raises(TooManyInFlight):
        limiter.acquire("alice")
    first.release()
    first.release()  # idempotent: the count cannot go below zero
    limiter.acquire("alice").release()
    with pytest.raises(RateLimited) as refused:
        limiter.acquire("alice", "en")
    assert refused.value.params == {"limit": 2, "wait": 30}
    now[0] = 30.0  # one question's worth refilled
    limiter.acquire("alice").release()


def test_questions_at_once_are_limited_per_user(demo_db: Path, tmp_path: Path) -> None:
    with _client(demo_db, tmp_path, max_concurrent=1) as client:
        held = client.app.state.chat.limiter.acquire("local")  # type: ignore[attr-defined]
        refused = client.post("/api/ask/stream", json={"question": "本月投诉量"})
        assert refused.status_code == 429 and refused.json()["error"]["code"] == "too_many_questions_at_once"
        held.release()
        assert client.post("/api/ask", json={"question": "本月投诉量"}).status_code == 200
        with client.stream("POST", "/api/ask/stream", json={"question": "本月投诉量"}) as response:
            assert response.status_code == 200
            response.read()
        assert (
            client.post("/api/ask", json={"question": "本月投诉量"}).status_code == 200
        )  # the slot came back


def test_a_conversation_has_a_turn_limit(demo_db: Path, tmp_path: Path) -> None:
    with _client(demo_db, tmp_path, max_turns=2) as client:
        first = client.post("/api/ask", json={"question": "本月投诉量"}).json()
        conversation = first["conversation_id"]
        assert (
            client.post(
                "/api/ask", json={"question": "按大区拆分", "conversation_id": conversation}
            ).status_code
            == 200
        )
        full = client.post("/api/ask", json={"question": "按渠道拆分", "conversation_id": conversation})
        assert full.status_code == 409
        assert full.json()["error"]["message"] == "这个对话已有2轮问答，请开始一个新对话。"
        assert client.get(f"/api/conversations/{conversation}").json()["turn_count"] == 2
        assert client.post("/api/ask", json={"question": "按渠道拆分"}).status_code == 200


# --- the audit log ----------------------------------------------------------------------------------


def test_every_question_and_query_is_audited_append_only(demo_db: Path, tmp_path: Path) -> None:
    with _client(demo_db, tmp_path, auth_secret=SECRET) as client:
        answer = client.post("/api/ask", json={"question": "本月各大区投诉量"}, headers=ALICE).json()
        client.post("/api/ask", json={"question": "按渠道拆分", "conversation_id": "nope"}, headers=ALICE)
        client.post("/api/query", json={"metrics": ["ticket_count"]}, headers=BOB)
        client.post("/api/query", json={"metrics": ["no_such_metric"]}, headers=BOB)
        store: Store = client.app.state.chat.store  # type: ignore[attr-defined]
        entries = list(reversed(store.audit()))
    assert [(e.user_id, e.action, e.status) for e in entries] == [
        ("alice", "ask", "answered"),
        ("alice", "ask", "conversation_not_found"),
        ("bob", "query", "answered"),
        ("bob", "query", "unknown_field"),
    ]
    asked = entries[0]
    assert asked.question == "本月各大区投诉量" and asked.planner == "rules"
    assert asked.intent == answer["query"] and asked.sql == answer["sql"] and "'华南'" in str(asked.sql)
    assert asked.duration_ms > 0 and asked.at is not None
    with sqlite3.connect(tmp_path / "store.sqlite3") as db:
        for statement in ("UPDATE audit SET user_id = 'mallory'", "DELETE FROM audit"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                db.execute(statement)
    result = CliRunner().invoke(
        cli, ["audit", "--store", str(tmp_path / "store.sqlite3"), "--user", "bob", "--json"]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(line["action"], line["status"]) for line in lines] == [
        ("query", "unknown_field"),
        ("query", "answered"),
    ]
    table = CliRunner().invoke(cli, ["audit", "--store", str(tmp_path / "store.sqlite3")])
    assert "本月各大区投诉量" in table.stdout and "conversation_not_found" in table.stdout


# --- faults -----------------------------------------------------------------------------------------


def test_a_full_store_refuses_clearly_and_loses_nothing(demo_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    store = Store(path)
    filler = "x" * 200_000
    for index in range(4):  # about 0.8 MB of turns already stored
        turn = NewTurn(
            conversation_id=f"c{index}", turn_id=f"t{index}", question="旧问题", choice=None,
            intent_json="{}", answer_json=json.dumps({"answer": filler}), state_json="{}",
        )  # fmt: skip
        store.record_turn("local", turn, title=f"旧对话{index}")
    size = path.stat().st_size
    with _client(demo_db, tmp_path, store_max_mb=1) as client:
        refused = client.post("/api/ask", json={"question": "本月各产品的投诉量和满意度趋势"})
        for _ in range(5):  # until the file is full
            if refused.status_code == 503:
                break
            refused = client.post("/api/ask", json={"question": "本月各产品的投诉量和满意度趋势"})
        assert refused.status_code == 503
        assert refused.json()["error"]["code"] == "store_unavailable"
        assert "没有保存" in refused.json()["error"]["message"]
        old = client.get("/api/conversations/c0").json()
        assert old["turns"][0]["answer"] == {"answer": filler}
        assert client.post(
            "/api/feedback", json={"conversation_id": "c1", "turn_id": "t1", "rating": "up"}
        ).status_code in (200, 503)
    assert len(Store(path).conversations("local", limit=100)) >= 4 and path.stat().st_size >= size


def _fail_to_serve(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["serve", *args])
    return result.exit_code, result.stderr


def test_a_missing_or_corrupt_database_stops_serve_with_a_clear_message(tmp_path: Path) -> None:
    code, err = _fail_to_serve("--db", str(tmp_path / "missing.duckdb"))
    assert code == 1 and f"database file not found: {tmp_path / 'missing.duckdb'}" in err
    corrupt = tmp_path / "corrupt.duckdb"
    corrupt.write_bytes(b"this is not a database\x00" * 500)
    code, err = _fail_to_serve("--db", str(corrupt))
    assert code == 1 and f"cannot open database {corrupt}" in err and "Traceback" not in err


def test_a_database_locked_by_a_writer_stops_serve_with_a_clear_message(
    demo_db: Path, tmp_path: Path
) -> None:
    locked = tmp_path / "locked.duckdb"
    shutil.copy(demo_db, locked)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(60)", str(locked)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        code, err = _fail_to_serve("--db", str(locked))
        assert code == 1 and f"cannot open database {locked}" in err and "lock" in err.lower()
    finally:
        holder.kill()
        holder.wait()


def test_a_store_that_cannot_be_opened_stops_serve_with_a_clear_message(
    demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("CHATBI_STORE", str(blocker / "store.sqlite3"))
    code, err = _fail_to_serve("--db", str(demo_db))
    assert code == 1 and "cannot open the conversation store" in err and "CHATBI_STORE" in err


def test_a_model_broken_on_reload_leaves_the_old_one_serving(demo_db: Path, tmp_path: Path) -> None:
    model = tmp_path / "model.yaml"
    shutil.copy(BUNDLED_MODEL, model)
    with _client(demo_db, tmp_path, model=model, auth_secret=SECRET) as client:
        before = client.post("/api/ask", json={"question": "本月投诉量"}, headers=ALICE).json()
        model.write_text(
            model.read_text(encoding="utf-8").replace("agg: count", "agg: cnt", 1), encoding="utf-8"
        )
        failed = client.post("/api/admin/reload", headers=ADMIN)
        assert failed.status_code == 409 and failed.json()["error"]["code"] == "reload_failed"
        assert (
            "model.yaml:" in failed.json()["error"]["message"]
            and "did you mean 'count'" in failed.json()["error"]["message"]
        )
        after = client.post("/api/ask", json={"question": "本月投诉量"}, headers=ALICE).json()
        assert after["data"]["rows"] == before["data"]["rows"]
        assert client.post("/api/admin/reload", headers=ALICE).status_code == 403  # not an administrator
        shutil.copy(BUNDLED_MODEL, model)
        reloaded = client.post("/api/admin/reload", headers=ADMIN).json()
        assert reloaded["status"] == "reloaded" and reloaded["version"] == 2
        assert client.get("/api/health").json()["status"] == "ready"


def test_a_database_gone_on_reload_leaves_the_old_one_serving(demo_db: Path, tmp_path: Path) -> None:
    copy = tmp_path / "data.duckdb"
    shutil.copy(demo_db, copy)
    with _client(demo_db, tmp_path, db=str(copy)) as client:
        copy.unlink()  # the open file keeps serving; a reload cannot find it
        failed = client.post("/api/admin/reload")
        assert failed.status_code == 409 and "database file not found" in failed.json()["error"]["message"]
        assert client.post("/api/ask", json={"question": "本月投诉量"}).json()["status"] == "answered"


def test_questions_in_flight_finish_on_the_version_they_started_with(demo_db: Path, tmp_path: Path) -> None:
    settings = Settings(db=str(demo_db), as_of=DEMO_AS_OF, store=tmp_path / "store.sqlite3")
    serving = Serving(open_state(settings), lambda: open_state(settings))
    try:
        with serving.use() as old:
            serving.reload()
            assert serving.current is not old and serving.current.version == 2
            assert old.layer.engine.execute("SELECT 1").rows == [[1]]  # still open for the request holding it
        with pytest.raises(Exception, match="closed"):
            old.layer.engine.execute("SELECT 1")  # closed once its last request was done
    finally:
        serving.close()


def test_reloads_under_load_fail_no_question(demo_db: Path, tmp_path: Path) -> None:
    settings = Settings(db=str(demo_db), as_of=DEMO_AS_OF, store=tmp_path / "store.sqlite3", rate_limit=0)
    with served(create_app(settings)) as url:
        answers: list[httpx.Response] = []

        def ask() -> None:
            for _ in range(3):
                answers.append(
                    httpx.post(f"{url}/api/ask", json={"question": "本月各大区投诉量"}, timeout=60)
                )

        threads = [threading.Thread(target=ask) for _ in range(3)]
        for thread in threads:
            thread.start()
        reloads = [httpx.post(f"{url}/api/admin/reload", timeout=60) for _ in range(3)]
        for thread in threads:
            thread.join()
    assert [r.json()["version"] for r in reloads] == [2, 3, 4]
    assert len(answers) == 9 and {r.status_code for r in answers} == {200}
    assert len({json.dumps(r.json()["data"]["rows"]) for r in answers}) == 1
