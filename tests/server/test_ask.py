"""POST /api/ask as the local identity: answers checked against independent SQL, follow-ups, clarifications,
unsupported questions, the conversation store, feedback, and the error shape in Chinese and English."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from semantic_layer.engine import open_read_only
from semantic_layer.identity import LOCAL_IDENTITY
from server.app import create_app
from server.settings import Settings
from tests.conftest import DEMO_AS_OF


@pytest.fixture(scope="module")
def settings(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    store = tmp_path_factory.mktemp("store") / "chatbi.sqlite3"
    return Settings(db=str(demo_db), as_of=DEMO_AS_OF, store=store, max_question_chars=50)


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def sql_rows(demo_db: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with open_read_only(demo_db) as connection:
        return [tuple(row) for row in connection.execute(sql, list(params)).fetchall()]


def ask(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post("/api/ask", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def period(answer: dict[str, Any]) -> tuple[str, str]:
    time_range = answer["query"]["query"]["time_range"]
    return time_range["start"], time_range["end"]


def test_question_is_answered_with_narrative_chart_data_and_sql(client: TestClient, demo_db: Path) -> None:
    answer = ask(client, question="本月各大区投诉量")
    assert answer["status"] == "answered" and answer["planner"] == "rules"
    assert answer["conversation_id"] and answer["turn_id"]
    assert answer["chart"]["$schema"].startswith("https://vega.github.io/schema/vega-lite/v5")
    assert period(answer) == ("2026-11-01", "2026-12-01")
    expected = sql_rows(
        demo_db,
        "SELECT region, count(*) FROM tickets WHERE is_complaint AND created_at >= ? AND created_at < ? "
        "GROUP BY region ORDER BY 2 DESC, 1",
        *period(answer),
    )
    rows = {tuple(row) for row in answer["data"]["rows"]}
    assert rows == set(expected)
    assert sql_rows(demo_db, answer["sql"]) == [tuple(row) for row in answer["data"]["rows"]]
    top_region, top_count = expected[0]
    assert f"{top_region}的投诉量最多（{top_count}" in answer["answer"]
    assert answer["suggestions"] and answer["data_as_of"].startswith("2026-11-15")


def test_english_question_gets_an_english_answer(client: TestClient, demo_db: Path) -> None:
    answer = ask(client, question="Which product had the most complaints this month?")
    expected = sql_rows(
        demo_db,
        "SELECT product_model, count(*) FROM tickets WHERE is_complaint AND created_at >= ? AND created_at < ? "
        "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1",
        *period(answer),
    )
    assert [tuple(row) for row in answer["data"]["rows"]] == expected
    assert f"is {expected[0][0]} ({expected[0][1]})" in answer["answer"]


def test_follow_up_by_conversation_id_keeps_the_context(client: TestClient, demo_db: Path) -> None:
    first = ask(client, question="本月各大区投诉量")
    follow_up = ask(client, question="按渠道拆分", conversation_id=first["conversation_id"])
    assert follow_up["conversation_id"] == first["conversation_id"]
    assert follow_up["turn_id"] != first["turn_id"]
    query = follow_up["query"]["query"]
    assert query["metrics"] == ["complaint_count"]
    assert [d["name"] for d in query["dimensions"]] == ["channel"]
    assert period(follow_up) == period(first)
    expected = sql_rows(
        demo_db,
        "SELECT channel, count(*) FROM tickets WHERE is_complaint AND created_at >= ? AND created_at < ? "
        "GROUP BY 1",
        *period(first),
    )
    assert {tuple(row) for row in follow_up["data"]["rows"]} == set(expected)


def test_as_of_reads_relative_periods_as_of_that_day(client: TestClient, demo_db: Path) -> None:
    answer = ask(client, question="本月投诉量", as_of="2026-07-15")
    assert period(answer) == ("2026-07-01", "2026-08-01")
    [(expected,)] = sql_rows(
        demo_db,
        "SELECT count(*) FROM tickets WHERE is_complaint AND created_at >= ? AND created_at < ?",
        *period(answer),
    )
    assert answer["data"]["rows"] == [[expected]]
    assert period(ask(client, question="本月投诉量")) == (
        "2026-11-01",
        "2026-12-01",
    )  # the server's day again


def test_a_new_question_without_conversation_id_does_not_follow_up(client: TestClient) -> None:
    alone = client.post("/api/ask", json={"question": "按渠道拆分"}).json()
    assert alone["status"] == "clarify"  # no measure named and nothing to follow: which measure by channel?
    assert all("按渠道" in option["label"] for option in alone["clarification"]["options"])


def test_clarification_is_answered_by_choice(client: TestClient, demo_db: Path) -> None:
    asked = ask(client, question="响应时间是多少")
    assert asked["status"] == "clarify"
    options = {o["label"]: o["id"] for o in asked["clarification"]["options"]}
    assert "平均首次响应时长" in options
    chosen = ask(client, conversation_id=asked["conversation_id"], choice=options["平均首次响应时长"])
    assert chosen["status"] == "answered"
    assert chosen["query"]["query"]["metrics"] == ["avg_first_response_minutes"]
    [(expected,)] = sql_rows(
        demo_db,
        "SELECT avg(date_diff('second', created_at, first_response_at) / 60.0) FROM tickets "
        "WHERE created_at >= ? AND created_at < ?",
        *period(chosen),
    )
    assert chosen["data"]["rows"][0][0] == pytest.approx(expected)
    history = client.get(f"/api/conversations/{asked['conversation_id']}").json()
    assert [(t["question"], t["choice"]) for t in history["turns"]] == [
        ("响应时间是多少", None),
        ("平均首次响应时长", options["平均首次响应时长"]),
    ]


def test_unsupported_question_says_why_and_offers_alternatives(client: TestClient) -> None:
    answer = ask(client, question="今年的营收是多少")
    assert answer["status"] == "unsupported"
    assert answer["answer"] == "数据里没有「营收」，这个问题答不了。可以问："
    assert answer["data"] is None and answer["chart"] is None
    assert 1 <= len(answer["suggestions"]) <= 3


def test_follow_ups_work_across_restarts(settings: Settings, client: TestClient) -> None:
    first = ask(client, question="本月各大区投诉量")
    with TestClient(create_app(settings)) as restarted:
        follow_up = ask(restarted, question="按渠道拆分", conversation_id=first["conversation_id"])
    assert [d["name"] for d in follow_up["query"]["query"]["dimensions"]] == ["channel"]


def test_conversations_are_listed_newest_first_read_and_deleted(client: TestClient) -> None:
    older = ask(client, question="本月满意度")
    newer = ask(client, question="CSAT by channel this month")
    ask(client, question="按产品型号拆分", conversation_id=older["conversation_id"])  # older is active again
    listed = client.get("/api/conversations").json()
    ids = [c["id"] for c in listed]
    assert ids.index(older["conversation_id"]) < ids.index(newer["conversation_id"])
    summary = next(c for c in listed if c["id"] == older["conversation_id"])
    assert (summary["title"], summary["turn_count"]) == ("本月满意度", 2)
    assert len(client.get("/api/conversations", params={"limit": 1}).json()) == 1

    read = client.get(f"/api/conversations/{older['conversation_id']}").json()
    assert [t["question"] for t in read["turns"]] == ["本月满意度", "按产品型号拆分"]
    assert read["turns"][0]["answer"] == older  # the Answer exactly as it was sent
    assert read["turns"][0]["turn_id"] == older["turn_id"] and read["turns"][0]["created_at"]

    assert client.delete(f"/api/conversations/{older['conversation_id']}").status_code == 204
    assert client.get(f"/api/conversations/{older['conversation_id']}").status_code == 404
    assert client.delete(f"/api/conversations/{older['conversation_id']}").status_code == 404
    assert older["conversation_id"] not in [c["id"] for c in client.get("/api/conversations").json()]


def test_feedback_is_stored_with_question_intent_and_answer(client: TestClient, settings: Settings) -> None:
    answer = ask(client, question="本月各渠道的投诉量")
    ids = {"conversation_id": answer["conversation_id"], "turn_id": answer["turn_id"]}
    response = client.post("/api/feedback", json={**ids, "rating": "down", "comment": " 应该按省份 "})
    assert response.status_code == 200
    assert response.json() | ids == response.json()
    assert (response.json()["rating"], response.json()["comment"]) == ("down", "应该按省份")
    client.post("/api/feedback", json={**ids, "rating": "up"})  # a second rating replaces the first

    with sqlite3.connect(settings.store_path) as db:
        rows = db.execute(
            "SELECT owner, rating, comment, question, intent, answer FROM feedback WHERE turn_id = ?",
            (answer["turn_id"],),
        ).fetchall()
    assert len(rows) == 1
    owner, rating, comment, question, intent, stored_answer = rows[0]
    assert (owner, rating, comment, question) == ("local", "up", None, "本月各渠道的投诉量")
    assert json.loads(intent) == answer["query"]
    assert json.loads(stored_answer) == answer

    client.delete(f"/api/conversations/{answer['conversation_id']}")
    assert [f.turn_id for f in client.app.state.chat.store.feedback("local")].count(answer["turn_id"]) == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("body", "headers", "status", "code", "message"),
    [
        ({"question": "  "}, {}, 400, "empty_question", "Please ask a question."),
        ({"question": ""}, {"Accept-Language": "zh-CN,zh;q=0.9"}, 400, "empty_question", "请输入一个问题。"),
        (
            {"question": "x" * 51},
            {},
            413,
            "question_too_long",
            "The question is too long (51 characters); please keep it under 50 characters.",
        ),
        (
            {"question": "投诉" * 26},
            {},
            413,
            "question_too_long",
            "问题太长了（52个字），请控制在50个字以内。",
        ),
        (
            {"question": "按渠道拆分", "conversation_id": "nope"},
            {},
            404,
            "conversation_not_found",
            "找不到这个对话（nope），它可能已被删除。",
        ),
        (
            {"question": "by channel", "conversation_id": "nope"},
            {},
            404,
            "conversation_not_found",
            "Unknown conversation 'nope'; it may have been deleted.",
        ),
        (
            {"question": "投诉量", "choice": "option1"},
            {},
            400,
            "choice_needs_conversation",
            "选择澄清选项时请带上该对话的 conversation_id。",
        ),
        ({"question": 5}, {}, 422, "invalid_request", "question: Input should be a valid string"),
    ],
)
def test_errors_have_one_shape_in_the_question_language(
    client: TestClient, body: dict[str, Any], headers: dict[str, str], status: int, code: str, message: str
) -> None:
    response = client.post("/api/ask", json=body, headers=headers)
    assert response.status_code == status
    assert response.json() == {"error": {"code": code, "message": message, "suggestions": []}}


def test_an_unknown_choice_lists_the_pending_options(client: TestClient) -> None:
    asked = ask(client, question="响应时间是多少")
    response = client.post(
        "/api/ask", json={"conversation_id": asked["conversation_id"], "choice": "option9"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "unknown_choice",
            "message": "这个对话中没有待选的选项“option9”。",
            "suggestions": [o["id"] for o in asked["clarification"]["options"]],
        }
    }


def test_feedback_on_an_unknown_turn_is_404(client: TestClient) -> None:
    answer = ask(client, question="本月投诉量")
    response = client.post(
        "/api/feedback",
        json={"conversation_id": answer["conversation_id"], "turn_id": "nope", "rating": "up"},
    )
    assert response.status_code == 404 and response.json()["error"]["code"] == "turn_not_found"
    bad = client.post("/api/feedback", json={**answer | {"rating": "meh"}})
    assert bad.status_code == 422


def test_unknown_route_has_the_error_shape(client: TestClient) -> None:
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not Found", "suggestions": []}}


def test_health_is_503_until_started(settings: Settings) -> None:
    app = create_app(settings)
    not_started = TestClient(app)  # no `with`: the lifespan (database, store, planner) has not run
    assert not_started.get("/api/health").status_code == 503
    with TestClient(app) as started:
        assert started.get("/api/health").json()["status"] == "ready"
        assert started.app.state.chat.planners.cached(LOCAL_IDENTITY)  # type: ignore[attr-defined]


def test_a_question_the_layer_cannot_run_is_asked_back_not_an_http_error(client: TestClient) -> None:
    """Customers have no channel (channel is a ticket's): the reading is valid words, an invalid query."""
    asked = ask(client, question="各渠道的客户数")
    question = asked["clarification"]["question"]
    assert asked["status"] == "clarify" and "「客户数」不能按「渠道」" in question  # both named, in Chinese
    assert not any("a" <= c.lower() <= "z" for c in question)  # not the layer's English explanation
    english = ask(client, question="customers by channel")
    assert (
        english["status"] == "clarify"
        and "Customers cannot be broken down" in english["clarification"]["question"]
    )
    assert asked["data"] is None and asked["clarification"]["options"]
    chosen = ask(client, conversation_id=asked["conversation_id"], choice="option1")
    assert chosen["status"] == "answered"  # the question without the grouping the measure cannot reach
    assert chosen["query"]["query"]["dimensions"] == [] and chosen["query"]["query"]["metrics"] == [
        "customer_count"
    ]
