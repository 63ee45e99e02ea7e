"""Answering a question in a conversation: check the request, plan and answer it as the caller, and
record the turn and the conversation state so that follow-ups work across requests and restarts."""

from __future__ import annotations

import logging
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

from pydantic import BaseModel, Field, ValidationError

from agent.answer import Answer, answer_question
from agent.intent import ConversationState
from agent.llm.client import ChatClient
from agent.routing import for_question
from agent.text import language_of
from semantic_layer.compiler import CompiledQuery
from semantic_layer.errors import SemanticLayerError
from semantic_layer.identity import Identity
from semantic_layer.layer import SemanticLayer
from semantic_layer.model import Language
from semantic_layer.periods import Clock, FixedClock
from semantic_layer.query import EARLIEST, LATEST, SemanticQuery
from semantic_layer.result import QueryResult

from .errors import (
    AnswerFailed,
    ApiError,
    ChoiceNeedsConversation,
    ConversationNotFound,
    ConversationTooLong,
    EmptyQuestion,
    QuestionTooLong,
    StoreFailed,
    UnknownChoice,
)
from .limits import Limiter, Slot
from .planners import PlannerCache, planner_as_of
from .state import ServerState, Serving
from .store import AuditEntry, ConversationFull, ConversationGone, NewTurn, Store, StoreUnavailable

logger = logging.getLogger("chatbi.server")
TITLE_CHARS = 60
StageListener = Callable[[str], None]


class AskRequest(BaseModel):
    """A question, or the answer to a clarification (`conversation_id` and `choice`)."""

    question: str = Field(default="", description="The question, in Chinese or English.")
    conversation_id: str | None = Field(default=None, description="Continue this conversation.")
    as_of: date | None = Field(
        default=None, ge=EARLIEST, le=LATEST, description="Read relative periods as of this day."
    )
    choice: str | None = Field(default=None, description="The id of the clarification option picked.")


class CheckedTurn(BaseModel):
    """A request that passed every check, with the conversation state it continues."""

    question: str
    language: Language | None
    state: ConversationState
    conversation_id: str | None
    choice: str | None
    as_of: date | None


class _ConversationLock:
    __slots__ = ("__weakref__", "lock")

    def __init__(self) -> None:
        self.lock = threading.Lock()


class ChatService:
    """Answers questions for identities; every method blocks (run it in a worker thread)."""

    def __init__(
        self,
        serving: Serving,
        store: Store,
        max_question_chars: int,
        llm: ChatClient | None = None,
        limiter: Limiter | None = None,
    ):
        self.serving = serving
        self.store = store
        self.max_question_chars = max_question_chars
        self.llm = llm
        self.limiter = limiter or Limiter(per_minute=0, concurrent=0)
        self._locks: weakref.WeakValueDictionary[str, _ConversationLock] = weakref.WeakValueDictionary()
        self._locks_guard = threading.Lock()

    @property
    def server(self) -> ServerState:
        """The model and data in service now."""
        return self.serving.current

    @property
    def planners(self) -> PlannerCache:
        return self.serving.current.planners

    def admit(self, identity: Identity, language: Language | None = None) -> Slot:
        """A slot for one more of this user's questions or queries (rate and concurrency limits),
        released when the answer is done; refused with the reason in `language`."""
        return self.limiter.acquire(identity.user_id, language)

    def check(self, request: AskRequest, identity: Identity) -> CheckedTurn:
        """Refuse what cannot be answered (with the message in the question's language)."""
        question = request.question.strip()
        language: Language | None = _language(question) if question else None
        if not question and not request.choice:
            raise EmptyQuestion(language)
        if len(question) > self.max_question_chars:
            raise QuestionTooLong(language, length=len(question), limit=self.max_question_chars)
        if request.choice and not request.conversation_id:
            raise ChoiceNeedsConversation(language)
        state = ConversationState()
        if request.conversation_id:
            state = self._state(identity, request.conversation_id, language)
            if self.store.conversation_full(identity.user_id, request.conversation_id):
                raise ConversationTooLong(language, limit=self.store.max_turns)
        if request.choice:
            pending = state.pending
            language = language or (pending.language if pending else None)
            options = pending.clarification.options if pending and pending.clarification else ()
            if request.choice not in {option.id for option in options}:
                raise UnknownChoice(language, choice=request.choice, suggestions=[o.id for o in options])
        return CheckedTurn(
            question=question,
            language=language,
            state=state,
            conversation_id=request.conversation_id,
            choice=request.choice,
            as_of=request.as_of,
        )

    def answer(
        self, request: AskRequest, identity: Identity, on_stage: StageListener | None = None
    ) -> Answer:
        """Answer as `identity` and record the turn with its audit entry; turns of one conversation run
        one at a time. A refused or failed question is audited too."""
        started = time.perf_counter()
        try:
            return self._answer(request, identity, on_stage, started)
        except ApiError as error:
            self._audit_failure(identity, request, started, error.code)
            raise
        except Exception:
            self._audit_failure(identity, request, started, "internal_error")
            raise

    def query(self, query: SemanticQuery, identity: Identity, language: Language | None) -> QueryResult:
        """The headless semantic API, audited like questions."""
        started = time.perf_counter()
        entry = AuditEntry(
            user_id=identity.user_id,
            action="query",
            intent=query.model_dump(mode="json", exclude_defaults=True),
            status="answered",
            duration_ms=0,
        )
        try:
            with self.serving.use() as server:
                result = server.layer.query(query, identity, language=language)
        except SemanticLayerError as error:
            self._audit(entry.model_copy(update={"status": error.code, "duration_ms": _ms_since(started)}))
            raise
        try:
            self.store.record_audit(
                entry.model_copy(update={"sql": result.sql, "duration_ms": _ms_since(started)})
            )
        except StoreUnavailable:
            logger.exception("the audit log could not record a query")
            raise StoreFailed(language) from None
        return result

    def _audit(self, entry: AuditEntry) -> None:
        try:
            self.store.record_audit(entry)
        except StoreUnavailable:  # the original error says more than this one
            logger.exception("the audit log could not record a failed request")

    def _audit_failure(self, identity: Identity, request: AskRequest, started: float, status: str) -> None:
        entry = AuditEntry(
            user_id=identity.user_id,
            action="ask",
            question=request.question or request.choice,
            status=status,
            duration_ms=_ms_since(started),
        )
        self._audit(entry)

    def _answer(
        self, request: AskRequest, identity: Identity, on_stage: StageListener | None, started: float
    ) -> Answer:
        stage = on_stage or (lambda _: None)
        with self._one_turn_at_a_time(request.conversation_id), self.serving.use() as server:
            turn = self.check(request, identity)
            stage("planning")
            rules = planner_as_of(server.planners.planner(identity), turn.as_of)
            layer = StagedLayer(server.layer, stage, FixedClock(turn.as_of) if turn.as_of else None)
            planner, rephrase = for_question(rules, layer, identity, self.llm, on_stage=stage)
            try:
                answer, state = answer_question(
                    planner,
                    layer,
                    turn.question,
                    turn.state,
                    identity=identity,
                    choice=turn.choice,
                    data_as_of=server.data_as_of,
                    rephrase=rephrase,
                )
            except KeyError:
                if not turn.choice:
                    raise
                raise UnknownChoice(turn.language, choice=turn.choice) from None  # gone since the check
            except SemanticLayerError as error:
                raise AnswerFailed(error, turn.language) from None
            return self._record(identity, turn, answer, state, started)

    def _record(
        self, identity: Identity, turn: CheckedTurn, answer: Answer, state: ConversationState, started: float
    ) -> Answer:
        conversation_id = turn.conversation_id or uuid.uuid4().hex
        answer = answer.model_copy(update={"conversation_id": conversation_id, "turn_id": uuid.uuid4().hex})
        asked = turn.question or _option_label(turn)
        record = NewTurn(
            conversation_id=conversation_id,
            turn_id=answer.turn_id or "",
            question=asked,
            choice=turn.choice,
            intent_json=answer.query.model_dump_json(),
            answer_json=answer.model_dump_json(),
            state_json=state.model_dump_json(),
        )
        title = None if turn.conversation_id else _title(asked)
        audit = AuditEntry(
            user_id=identity.user_id,
            action="ask",
            question=asked,
            intent=answer.query.model_dump(mode="json"),
            sql=answer.sql,
            status=answer.status,
            planner=answer.planner,
            duration_ms=_ms_since(started),
        )
        try:
            self.store.record_turn(identity.user_id, record, title=title, audit=audit)
        except ConversationGone:
            raise ConversationNotFound(turn.language, conversation_id=conversation_id) from None
        except ConversationFull:
            raise ConversationTooLong(turn.language, limit=self.store.max_turns) from None
        except StoreUnavailable:
            logger.exception("a turn could not be recorded")
            raise StoreFailed(turn.language) from None
        return answer

    def _state(
        self, identity: Identity, conversation_id: str, language: Language | None
    ) -> ConversationState:
        stored = self.store.state(identity.user_id, conversation_id)
        if stored is None:
            raise ConversationNotFound(language, conversation_id=conversation_id)
        try:
            return ConversationState.model_validate_json(stored)
        except ValidationError:  # written by an older version: the next question starts afresh
            return ConversationState()

    @contextmanager
    def _one_turn_at_a_time(self, conversation_id: str | None) -> Iterator[None]:
        if conversation_id is None:  # a new conversation: nobody else can be in it yet
            yield
            return
        with self._locks_guard:
            holder = self._locks.get(conversation_id)
            if holder is None:
                holder = self._locks[conversation_id] = _ConversationLock()
        with holder.lock:  # `holder` stays referenced (and registered) while the turn runs
            yield


class StagedLayer(SemanticLayer):
    """The server's semantic layer that reports when answering moves on to querying and then to
    analysing (the first query has returned), optionally with another clock (a request's `as_of`)."""

    def __init__(self, layer: SemanticLayer, on_stage: StageListener, clock: Clock | None = None) -> None:
        super().__init__(
            layer.model,
            layer.engine,
            clock=clock or layer.clock,
            detail_limit=layer.detail_limit,
            max_rows=layer.max_rows,
            rollups=layer.rollups,
            cache=layer.cache,
        )
        self.share_extensions(layer)  # one extended model per analysis helper, not one per request
        self._on_stage = on_stage
        self._stages: list[str] = []

    def _enter(self, stage: str) -> None:
        if stage not in self._stages:
            self._stages.append(stage)
            self._on_stage(stage)

    def compile(
        self, query: SemanticQuery, identity: Identity | None = None, *, today: date | None = None
    ) -> CompiledQuery:
        self._enter("querying")
        return super().compile(query, identity, today=today)

    def query(
        self, query: SemanticQuery, identity: Identity | None = None, *, language: Language | None = None
    ) -> QueryResult:
        self._enter("querying")  # rollups answer without compiling over the base tables
        result = super().query(query, identity, language=language)
        self._enter("analysing")
        return result


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


def question_language(request: AskRequest) -> Language | None:
    """The language of the request's question; None for a bare choice."""
    question = request.question.strip()
    return _language(question) if question else None


def _language(text: str) -> Language:
    return "zh" if language_of(text) == "zh" else "en"


def _option_label(turn: CheckedTurn) -> str:
    pending = turn.state.pending
    options = pending.clarification.options if pending and pending.clarification else ()
    return next((o.label for o in options if o.id == turn.choice), turn.choice or "")


def _title(question: str) -> str:
    return question if len(question) <= TITLE_CHARS else question[: TITLE_CHARS - 1] + "…"
