"""Conversations and feedback in a small embedded SQLite file (never in the analytics database).

Every record belongs to an owner (the identity's user id) and every read and write names the owner, so
one user can neither see nor change another's. Each write is one transaction. Answers, intents and the
conversation state are stored as the JSON their pydantic models write."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

Rating = Literal["up", "down"]
SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    title TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_by_owner ON conversations (owner, updated_at);
CREATE TABLE IF NOT EXISTS turns (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    question TEXT NOT NULL,
    choice TEXT,
    intent TEXT NOT NULL,
    answer TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (conversation_id, seq)
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    owner TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    turn_id TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment TEXT,
    question TEXT NOT NULL,
    intent TEXT NOT NULL,
    answer TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (owner, turn_id)
);
"""


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True)


class ConversationSummary(_Record):
    id: str
    title: str
    created_at: datetime
    updated_at: datetime
    turn_count: int


class TurnRecord(_Record):
    turn_id: str
    question: str
    """What was asked; for a clarification answered by choice, the chosen option's label."""
    choice: str | None
    answer: dict[str, Any]
    created_at: datetime


class Conversation(ConversationSummary):
    turns: list[TurnRecord]


class FeedbackRecord(_Record):
    id: int
    conversation_id: str
    turn_id: str
    rating: Rating
    comment: str | None
    question: str
    intent: dict[str, Any]
    answer: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class NewTurn(_Record):
    """One answered turn to record: the ids are chosen before answering, so the Answer carries them."""

    conversation_id: str
    turn_id: str
    question: str
    choice: str | None
    intent_json: str
    answer_json: str
    state_json: str


class StoreUnavailable(RuntimeError):
    """The store file cannot be created or opened."""


class ConversationGone(LookupError):
    """The conversation a turn belongs to does not exist (any more) for this owner."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class Store:
    """The conversation and feedback store in one SQLite file; safe to use from many threads."""

    def __init__(self, path: Path, clock: Callable[[], datetime] = utc_now) -> None:
        self.path = path
        self.clock = clock
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with self._connection() as db:
                db.execute("PRAGMA journal_mode = WAL")
                db.executescript(SCHEMA)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except (OSError, sqlite3.Error) as error:
            raise StoreUnavailable(
                f"cannot open the conversation store {path} (set CHATBI_STORE to a writable file): {error}"
            ) from None

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
        try:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA foreign_keys = ON")
            yield db
        finally:
            db.close()

    @contextmanager
    def _transaction(self, write: bool = True) -> Iterator[sqlite3.Connection]:
        with self._connection() as db:
            db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _now(self) -> str:
        return self.clock().astimezone(UTC).isoformat(timespec="microseconds")

    # --- conversations ---------------------------------------------------------------------------

    def state(self, owner: str, conversation_id: str) -> str | None:
        """The conversation state JSON of the owner's conversation; None when there is no such conversation."""
        with self._connection() as db:
            row = db.execute(
                "SELECT state FROM conversations WHERE id = ? AND owner = ?", (conversation_id, owner)
            ).fetchone()
        return None if row is None else str(row["state"])

    def record_turn(self, owner: str, turn: NewTurn, *, title: str | None) -> None:
        """Store an answered turn and the conversation's new state; `title` starts a new conversation.
        Raises ConversationGone when continuing a conversation the owner does not have."""
        now = self._now()
        with self._transaction() as db:
            if title is not None:
                db.execute(
                    "INSERT INTO conversations (id, owner, title, state, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (turn.conversation_id, owner, title, turn.state_json, now, now),
                )
            else:
                updated = db.execute(
                    "UPDATE conversations SET state = ?, updated_at = ? WHERE id = ? AND owner = ?",
                    (turn.state_json, now, turn.conversation_id, owner),
                )
                if updated.rowcount == 0:
                    raise ConversationGone(turn.conversation_id)
            db.execute(
                "INSERT INTO turns (id, conversation_id, seq, question, choice, intent, answer, created_at) "
                "VALUES (?, ?, (SELECT coalesce(max(seq), 0) + 1 FROM turns WHERE conversation_id = ?), "
                "?, ?, ?, ?, ?)",
                (
                    turn.turn_id,
                    turn.conversation_id,
                    turn.conversation_id,
                    turn.question,
                    turn.choice,
                    turn.intent_json,
                    turn.answer_json,
                    now,
                ),
            )

    def conversations(self, owner: str, limit: int = 50) -> list[ConversationSummary]:
        """The owner's conversations, the most recently active first."""
        with self._connection() as db:
            rows = db.execute(
                "SELECT c.id, c.title, c.created_at, c.updated_at, "
                "(SELECT count(*) FROM turns t WHERE t.conversation_id = c.id) AS turn_count "
                "FROM conversations c WHERE c.owner = ? ORDER BY c.updated_at DESC, c.rowid DESC LIMIT ?",
                (owner, limit),
            ).fetchall()
        return [ConversationSummary(**dict(row)) for row in rows]

    def conversation(self, owner: str, conversation_id: str) -> Conversation | None:
        """The owner's conversation with its turns in order; None when the owner has no such conversation."""
        with self._transaction(write=False) as db:
            head = db.execute(
                "SELECT id, title, created_at, updated_at FROM conversations WHERE id = ? AND owner = ?",
                (conversation_id, owner),
            ).fetchone()
            if head is None:
                return None
            rows = db.execute(
                "SELECT id, question, choice, answer, created_at FROM turns "
                "WHERE conversation_id = ? ORDER BY seq",
                (conversation_id,),
            ).fetchall()
        turns = [
            TurnRecord(
                turn_id=row["id"],
                question=row["question"],
                choice=row["choice"],
                answer=json.loads(row["answer"]),
                created_at=row["created_at"],
            )
            for row in rows
        ]
        return Conversation(**dict(head), turn_count=len(turns), turns=turns)

    def delete_conversation(self, owner: str, conversation_id: str) -> bool:
        """Delete the owner's conversation and its turns; False when the owner has no such conversation.
        Feedback given on its turns is kept (it holds its own copy of the question and the answer)."""
        with self._transaction() as db:
            deleted = db.execute(
                "DELETE FROM conversations WHERE id = ? AND owner = ?", (conversation_id, owner)
            )
        return deleted.rowcount > 0

    # --- feedback --------------------------------------------------------------------------------

    def save_feedback(
        self, owner: str, conversation_id: str, turn_id: str, rating: Rating, comment: str | None
    ) -> FeedbackRecord | None:
        """Rate one of the owner's turns (a second rating replaces the first), keeping a copy of its
        question, intent and answer for review; None when the owner has no such turn."""
        now = self._now()
        with self._transaction() as db:
            turn = db.execute(
                "SELECT t.question, t.intent, t.answer FROM turns t JOIN conversations c "
                "ON c.id = t.conversation_id WHERE t.id = ? AND c.id = ? AND c.owner = ?",
                (turn_id, conversation_id, owner),
            ).fetchone()
            if turn is None:
                return None
            db.execute(
                "INSERT INTO feedback (owner, conversation_id, turn_id, rating, comment, question, intent, "
                "answer, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (owner, turn_id) DO UPDATE SET rating = excluded.rating, "
                "comment = excluded.comment, updated_at = excluded.updated_at",
                (owner, conversation_id, turn_id, rating, comment, turn["question"], turn["intent"],
                 turn["answer"], now, now),
            )  # fmt: skip
            row = db.execute(
                "SELECT * FROM feedback WHERE owner = ? AND turn_id = ?", (owner, turn_id)
            ).fetchone()
        return _feedback(row)

    def feedback(self, owner: str) -> list[FeedbackRecord]:
        """The owner's feedback, the latest first."""
        with self._connection() as db:
            rows = db.execute(
                "SELECT * FROM feedback WHERE owner = ? ORDER BY updated_at DESC, id DESC", (owner,)
            ).fetchall()
        return [_feedback(row) for row in rows]


def _feedback(row: sqlite3.Row) -> FeedbackRecord:
    values = dict(row)
    values.pop("owner")
    values["intent"] = json.loads(values["intent"])
    values["answer"] = json.loads(values["answer"])
    return FeedbackRecord(**values)
