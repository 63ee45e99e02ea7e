"""Conversations and feedback in a small embedded SQLite file (never in the analytics database).

Every record belongs to an owner (the identity's user id) and every read and write names the owner, so
one user can neither see nor change another's. Each write is one transaction. Answers, intents and the
conversation state are stored as the JSON their pydantic models write."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

Rating = Literal["up", "down"]
SCHEMA_VERSION = 2
PAGE_SIZE = 4096
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
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    user_id TEXT NOT NULL,
    action TEXT NOT NULL,
    question TEXT,
    intent TEXT,
    sql TEXT,
    status TEXT NOT NULL,
    planner TEXT,
    duration_ms REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_by_time ON audit (at);
CREATE TRIGGER IF NOT EXISTS audit_is_append_only_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_is_append_only_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
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


class AuditEntry(_Record):
    """Who asked what, what it became, and how it ended."""

    at: datetime | None = None
    user_id: str
    action: Literal["ask", "query"]
    question: str | None = None
    intent: dict[str, Any] | None = None
    sql: str | list[str] | None = None
    status: str
    """answered, clarify or unsupported; or the error code the request ended with."""
    planner: str | None = None
    duration_ms: float


class StoreUnavailable(RuntimeError):
    """The store file cannot be created, opened or written (full, read-only, broken)."""


class ConversationFull(RuntimeError):
    """The conversation has as many turns as a conversation may have."""


class ConversationGone(LookupError):
    """The conversation a turn belongs to does not exist (any more) for this owner."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class Store:
    """The conversation and feedback store in one SQLite file; safe to use from many threads."""

    def __init__(
        self,
        path: Path,
        clock: Callable[[], datetime] = utc_now,
        *,
        max_turns: int = 0,
        max_bytes: int = 0,
    ) -> None:
        self.path = path
        self.clock = clock
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self.max_turns = max_turns
        """Turns a conversation may hold; 0 for no limit."""
        self.max_pages = -(-max_bytes // PAGE_SIZE) if max_bytes else 0
        """The file's size limit in pages (SQLite's max_page_count, set on every connection); 0: none."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with self._connection() as db:
                db.execute(f"PRAGMA page_size = {PAGE_SIZE}")
                db.execute("PRAGMA journal_mode = WAL")
                db.executescript(SCHEMA)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except (OSError, sqlite3.Error, StoreUnavailable) as error:
            raise StoreUnavailable(
                f"cannot open the conversation store {path} (set CHATBI_STORE to a writable file): {error}"
            ) from None

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection (kept open: opening one per call costs a WAL checkpoint each time the
        last one closes); any failure of the file itself (full, read-only, locked too long, broken) is a
        StoreUnavailable, and a write it interrupts changes nothing (see `_transaction`)."""
        db = self._thread_connection()
        try:
            yield db
        except sqlite3.IntegrityError:
            raise
        except sqlite3.DatabaseError as error:
            raise StoreUnavailable(f"the conversation store {self.path} failed: {error}") from None

    def _thread_connection(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is not None:
            return db
        try:
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA foreign_keys = ON")
            # WAL with NORMAL sync: a commit survives the process dying; only a power cut may lose the last
            # turns, and never corrupts the file. FULL would fsync on every question.
            db.execute("PRAGMA synchronous = NORMAL")
            if self.max_pages:
                db.execute(f"PRAGMA max_page_count = {self.max_pages}")
        except sqlite3.Error as error:
            raise StoreUnavailable(f"the conversation store {self.path} cannot be opened: {error}") from None
        self._local.db = db
        with self._all_lock:
            self._all.append(db)
        return db

    def close(self) -> None:
        """Close every thread's connection (at shutdown)."""
        with self._all_lock:
            connections, self._all = self._all, []
        for db in connections:
            db.close()
        self._local = threading.local()

    @contextmanager
    def _transaction(self, write: bool = True) -> Iterator[sqlite3.Connection]:
        """One transaction: all of it is written or none of it."""
        with self._connection() as db:
            db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield db
            except BaseException:
                if db.in_transaction:
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

    def record_turn(
        self, owner: str, turn: NewTurn, *, title: str | None, audit: AuditEntry | None = None
    ) -> None:
        """Store an answered turn, the conversation's new state and the turn's audit entry, all or
        nothing; `title` starts a new conversation. Raises ConversationGone when continuing a
        conversation the owner does not have, ConversationFull when it has no room left."""
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
                if self.max_turns and self.turn_count(db, turn.conversation_id) >= self.max_turns:
                    raise ConversationFull(turn.conversation_id)
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
            if audit is not None:
                self._append_audit(db, audit)

    @staticmethod
    def turn_count(db: sqlite3.Connection, conversation_id: str) -> int:
        row = db.execute(
            "SELECT count(*) FROM turns WHERE conversation_id = ?", (conversation_id,)
        ).fetchone()
        return int(row[0])

    def conversation_full(self, owner: str, conversation_id: str) -> bool:
        """Whether the owner's conversation has reached the turn limit (checked before answering)."""
        if not self.max_turns:
            return False
        with self._connection() as db:
            return self.turn_count(db, conversation_id) >= self.max_turns

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

    # --- audit -----------------------------------------------------------------------------------

    def record_audit(self, entry: AuditEntry) -> None:
        """Append one entry to the audit log (rows can be added, never changed or deleted)."""
        with self._transaction() as db:
            self._append_audit(db, entry)

    def _append_audit(self, db: sqlite3.Connection, entry: AuditEntry) -> None:
        db.execute(
            "INSERT INTO audit (at, user_id, action, question, intent, sql, status, planner, duration_ms) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self._now(),
                entry.user_id,
                entry.action,
                entry.question,
                json.dumps(entry.intent, ensure_ascii=False) if entry.intent is not None else None,
                json.dumps(entry.sql, ensure_ascii=False) if isinstance(entry.sql, list) else entry.sql,
                entry.status,
                entry.planner,
                entry.duration_ms,
            ),
        )

    def audit(
        self, *, user: str | None = None, since: datetime | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        """The latest audit entries first, optionally one user's or since a moment."""
        clauses, params = [], []
        if user is not None:
            clauses.append("user_id = ?")
            params.append(user)
        if since is not None:
            clauses.append("at >= ?")
            params.append(since.astimezone(UTC).isoformat(timespec="microseconds"))
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._connection() as db:
            rows = db.execute(
                f"SELECT * FROM audit {where} ORDER BY id DESC LIMIT ?", (*params, limit)
            ).fetchall()
        return [_audit(row) for row in rows]


def _audit(row: sqlite3.Row) -> AuditEntry:
    values = dict(row)
    values.pop("id")
    if values["intent"] is not None:
        values["intent"] = json.loads(values["intent"])
    if values["sql"] is not None and values["sql"].startswith("["):
        values["sql"] = json.loads(values["sql"])
    return AuditEntry(**values)


def _feedback(row: sqlite3.Row) -> FeedbackRecord:
    values = dict(row)
    values.pop("owner")
    values["intent"] = json.loads(values["intent"])
    values["answer"] = json.loads(values["answer"])
    return FeedbackRecord(**values)
