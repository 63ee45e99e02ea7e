"""Identity tokens (HS256, RS256) become the identity every layer uses: access policies, the value index,
and conversations and feedback that only their owner can see."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from pydantic import ValidationError

from semantic_layer.engine import open_read_only
from semantic_layer.identity import Identity
from server.app import create_app
from server.auth import identity_from_claims
from server.settings import Settings
from tests.conftest import DEMO_AS_OF
from tests.server.conftest import SECRET, bearer, token


@pytest.fixture(scope="module")
def client(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    store = tmp_path_factory.mktemp("store") / "chatbi.sqlite3"
    settings = Settings(db=str(demo_db), as_of=DEMO_AS_OF, store=store, auth_secret=SECRET)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


ALICE = bearer(token("alice", region="华南"))
BOB = bearer(token("bob", region="华东"))
BOSS = bearer(token("boss", roles=["headquarters"]))


def complaints_by_region(demo_db: Path, start: str, end: str) -> dict[str, int]:
    with open_read_only(demo_db) as connection:
        rows = connection.execute(
            "SELECT region, count(*) FROM tickets WHERE is_complaint AND created_at >= ? AND created_at < ? "
            "GROUP BY region",
            [start, end],
        ).fetchall()
    return dict(rows)


@pytest.mark.parametrize(
    ("headers", "code", "message"),
    [
        ({}, "unauthorized", "A valid identity token is required (Authorization: Bearer ...)."),
        (bearer("not-a-jwt"), "token_invalid", "The identity token is not valid: Not enough segments"),
        ({"Authorization": "Basic YWxpY2U6eA=="}, "unauthorized", "A valid identity token is required (Authorization: Bearer ...)."),
        (bearer(token("alice", expires_in=-60)), "token_expired", "The identity token has expired; sign in again."),
        (
            bearer(token("alice", key="another-secret-that-is-long-enough-0123")),
            "token_invalid",
            "The identity token is not valid: Signature verification failed",
        ),
        (
            bearer(token("alice", key=SECRET * 2, algorithm="HS512")),
            "token_invalid",
            "The identity token is not valid: The specified alg value is not allowed",
        ),
    ],
)  # fmt: skip
def test_a_valid_token_is_required_once_a_key_is_configured(
    client: TestClient, headers: dict[str, str], code: str, message: str
) -> None:
    for method, path, body in [
        ("POST", "/api/ask", {"question": "本月投诉量"}),
        ("GET", "/api/conversations", None),
    ]:
        response = client.request(method, path, json=body, headers=headers)
        assert response.status_code == 401
        assert response.json() == {"error": {"code": code, "message": message, "suggestions": []}}
        assert response.headers["www-authenticate"] == "Bearer"


def test_token_errors_follow_accept_language(client: TestClient) -> None:
    response = client.get("/api/conversations", headers={"Accept-Language": "zh-CN"})
    assert response.json()["error"]["message"] == "需要有效的身份令牌（Authorization: Bearer ...）。"


def test_a_token_without_expiry_is_refused(client: TestClient) -> None:
    unexpiring = jwt.encode({"sub": "alice", "region": "华南"}, SECRET, algorithm="HS256")
    response = client.get("/api/conversations", headers=bearer(unexpiring))
    assert response.status_code == 401 and response.json()["error"]["code"] == "token_invalid"


def test_health_needs_no_token(client: TestClient) -> None:
    assert client.get("/api/health").json()["status"] == "ready"


def test_access_policy_applies_through_the_token(client: TestClient, demo_db: Path) -> None:
    response = client.post("/api/ask", json={"question": "本月各大区投诉量"}, headers=ALICE)
    answer = response.json()
    time_range = answer["query"]["query"]["time_range"]
    expected = complaints_by_region(demo_db, time_range["start"], time_range["end"])
    assert answer["data"]["rows"] == [["华南", expected["华南"]]]
    assert "华东" not in answer["answer"] and "华南" in answer["answer"]

    everyone = client.post("/api/ask", json={"question": "本月各大区投诉量"}, headers=BOSS).json()
    assert dict(map(tuple, everyone["data"]["rows"])) == expected  # the headquarters role bypasses the policy

    query = {"metrics": ["complaint_count"], "dimensions": ["region"]}
    rows = client.post("/api/query", json=query, headers=ALICE).json()["rows"]
    assert [row[0] for row in rows] == ["华南"]


def test_asking_for_another_region_gets_none_of_its_data(client: TestClient, demo_db: Path) -> None:
    alice = client.post("/api/ask", json={"question": "本月华东的投诉量"}, headers=ALICE).json()
    bob = client.post("/api/ask", json={"question": "本月华东的投诉量"}, headers=BOB).json()
    time_range = bob["query"]["query"]["time_range"]
    east = complaints_by_region(demo_db, time_range["start"], time_range["end"])["华东"]
    assert east > 0 and bob["data"]["rows"] == [[east]]
    assert alice["status"] == "unsupported" and alice["data"] is None and str(east) not in alice["answer"]
    assert (
        alice["answer"] == "你可以查看的数据中没有「华东」，所以无法回答这个问题。"
    )  # not a misleading zero


def test_planners_are_shared_by_identities_that_see_the_same_rows(client: TestClient) -> None:
    planners = client.app.state.chat.planners  # type: ignore[attr-defined]
    alice = planners.planner(Identity("alice", {"region": "华南"}))
    assert planners.planner(Identity("dave", {"region": "华南", "team": "x"})) is alice
    assert planners.planner(Identity("bob", {"region": "华东"})) is not alice


def test_conversations_and_feedback_belong_to_their_owner(client: TestClient) -> None:
    mine = client.post("/api/ask", json={"question": "本月投诉量"}, headers=ALICE).json()
    conversation_id = mine["conversation_id"]
    ids = {"conversation_id": conversation_id, "turn_id": mine["turn_id"]}

    assert conversation_id in [c["id"] for c in client.get("/api/conversations", headers=ALICE).json()]
    assert conversation_id not in [c["id"] for c in client.get("/api/conversations", headers=BOB).json()]
    not_found = {
        "error": {
            "code": "conversation_not_found",
            "message": f"Unknown conversation '{conversation_id}'; it may have been deleted.",
            "suggestions": [],
        }
    }
    for method, body in [("GET", None), ("DELETE", None)]:
        response = client.request(method, f"/api/conversations/{conversation_id}", json=body, headers=BOB)
        assert (response.status_code, response.json()) == (404, not_found)
    follow_up = client.post("/api/ask", json={"question": "by channel", **ids}, headers=BOB)
    assert (follow_up.status_code, follow_up.json()) == (404, not_found)
    feedback = client.post("/api/feedback", json={**ids, "rating": "down"}, headers=BOB)
    assert feedback.status_code == 404

    assert client.post("/api/feedback", json={**ids, "rating": "up"}, headers=ALICE).status_code == 200
    store = client.app.state.chat.store  # type: ignore[attr-defined]
    assert [f.turn_id for f in store.feedback("alice")] == [mine["turn_id"]]
    assert store.feedback("bob") == []
    assert client.get(f"/api/conversations/{conversation_id}", headers=ALICE).status_code == 200


def test_claims_map_to_attributes_and_roles() -> None:
    claims: dict[str, Any] = {
        "sub": 42,
        "region": ["华南", "华东"],
        "realm_access": {"roles": ["analyst"]},
        "dept": "after-sales",
    }
    mapping = {"region": "region", "realm_access.roles": "roles", "dept": "team", "missing": "x"}
    identity = identity_from_claims(claims, mapping)
    assert identity.user_id == "42"
    assert dict(identity.attributes) == {"region": ("华南", "华东"), "team": "after-sales"}
    assert identity.roles == ("analyst",)


@pytest.fixture(scope="module")
def rsa_keys() -> tuple[Any, str]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public_pem.decode()


def test_rs256_tokens_are_verified_with_the_public_key(
    demo_db: Path, tmp_path: Path, rsa_keys: tuple[Any, str]
) -> None:
    private, public_pem = rsa_keys
    key_file = tmp_path / "portal.pem"
    key_file.write_text(public_pem)
    settings = Settings(
        db=str(demo_db),
        as_of=DEMO_AS_OF,
        store=tmp_path / "store.sqlite3",
        auth_public_key=str(key_file),
        auth_audience="chatbi",
        auth_claims="area=region,groups=roles",  # type: ignore[arg-type]  # as the environment gives it
    )
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with TestClient(create_app(settings)) as rs_client:
        good = token("carol", key=private, algorithm="RS256", aud="chatbi", area="华南")
        answer = rs_client.post(
            "/api/ask", json={"question": "本月各大区投诉量"}, headers=bearer(good)
        ).json()
        assert [row[0] for row in answer["data"]["rows"]] == ["华南"]

        refused = [
            token("carol", key=other, algorithm="RS256", aud="chatbi", area="华南"),  # someone else's key
            token("carol", key=private, algorithm="RS256", aud="elsewhere", area="华南"),  # another audience
            token(
                "carol", algorithm="HS256", aud="chatbi", area="华南"
            ),  # a shared secret: the wrong algorithm
        ]
        for bad in refused:
            response = rs_client.get("/api/conversations", headers=bearer(bad))
            assert response.status_code == 401, bad


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"auth_secret": "short"}, "auth_secret must be at least 32 characters long"),
        ({"auth_secret": SECRET, "auth_public_key": "x"}, "set auth_secret or auth_public_key, not both"),
        ({"auth_secret": SECRET, "auth_algorithm": "RS256"}, "auth_algorithm RS256 needs auth_public_key"),
        ({"auth_algorithm": "none"}, "auth_algorithm must be one of"),
        ({"auth_claims": "region"}, "auth_claims takes claim=attribute pairs"),
        ({"allowed_origins": "*"}, "'*' would let any site in"),
        ({"allowed_origins": "https://portal.example.com/app"}, "scheme://host[:port] with no path"),
        ({"root_path": "chatbi"}, "root_path starts with '/'"),
    ],
)
def test_unsafe_or_inconsistent_settings_are_refused(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("*", r"\*").replace("[", r"\[")):
        Settings(**overrides)


def test_a_refused_secret_is_not_echoed_in_the_error() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(auth_secret="hunter2-is-too-short")
    assert "hunter2" not in str(refused.value)
    assert "hunter2" not in repr(Settings(auth_secret="hunter2" * 5))
