"""Which planner answers: the built-in parser first (instant, free) when it is sure; the LLM for what
the parser cannot answer or is unsure of; the parser's best plan when the LLM fails. Both planners read
and write the same ConversationState, so a follow-up works whichever answered the turn before."""

from __future__ import annotations

import logging
from collections.abc import Callable

from semantic_layer.identity import Identity
from semantic_layer.layer import SemanticLayer
from semantic_layer.model import SemanticModel

from . import cues
from .intent import ConversationState, Plan
from .llm.client import ChatClient, Deadline, LLMError
from .llm.planner import LLMPlanner
from .llm.rephrase import Rephraser
from .parser import Planner
from .text import normalize

logger = logging.getLogger("chatbi.llm")
StageListener = Callable[[str], None]
FALLBACK_NOTE = {
    "zh": "智能模型暂时无法使用，以上由内置解析器回答",
    "en": "The AI model is unavailable right now; the built-in parser answered",
}


def for_question(
    rules: Planner,
    layer: SemanticLayer,
    identity: Identity | None,
    client: ChatClient | None,
    *,
    on_stage: StageListener | None = None,
    always_llm: bool = False,
) -> tuple[RoutedPlanner, Rephraser | None]:
    """The planner and the narrative rewording for one question asked by `identity`; with no LLM
    client, the parser alone and the template narrative. Both share one deadline."""
    if client is None:
        return RoutedPlanner(rules), None
    config = client.config
    deadline = Deadline(config.timeout)
    llm = LLMPlanner(client, layer, rules.values, identity, config)
    planner = RoutedPlanner(
        rules,
        llm,
        route_below=config.route_below,
        deadline=deadline,
        on_stage=on_stage,
        always_llm=always_llm,
    )
    rephrase = (
        Rephraser(client, deadline, send_rows=config.send_rows, on_stage=on_stage)
        if config.rephrase
        else None
    )
    return planner, rephrase


class RoutedPlanner:
    """Plans like a `Planner`; `llm` None means the parser alone (no LLM configured)."""

    def __init__(
        self,
        rules: Planner,
        llm: LLMPlanner | None = None,
        *,
        route_below: float = 0.8,
        deadline: Deadline | None = None,
        on_stage: StageListener | None = None,
        always_llm: bool = False,
    ) -> None:
        self.rules = rules
        self.llm = llm
        self.route_below = route_below
        self.deadline = deadline
        self.on_stage = on_stage
        self.always_llm = always_llm

    @property
    def model(self) -> SemanticModel:
        return self.rules.model

    def plan(self, question: str, state: ConversationState | None = None) -> Plan:
        state = state or ConversationState()
        parsed = self.rules.plan(question, state)
        if self.llm is None or not self.wants_llm(question, parsed):
            return parsed
        try:
            planned = self.llm.plan(question, state, self.on_stage, self.deadline, parsed.intent.reading)
        except LLMError as error:
            logger.warning("the LLM could not plan %r (%s); the parser's plan stands", question, error)
            intent = parsed.intent
            note = FALLBACK_NOTE[intent.language]
            intent = intent.model_copy(update={"notes": (*intent.notes, note)})
            return parsed.model_copy(update={"intent": intent, "fallback": error.kind})
        return planned.model_copy(update={"planner": "llm"})

    def choose(self, state: ConversationState, option_id: str) -> Plan:
        """A clarification's option: its intent, or its text planned as the next question."""
        pending = state.pending
        options = pending.clarification.options if pending and pending.clarification else ()
        option = next((o for o in options if o.id == option_id), None)
        if option is None:
            raise KeyError(option_id)
        if option.intent is not None:
            return self.rules.choose(state, option_id)
        return self.plan(option.text or option.label, state.model_copy(update={"pending": None}))

    def wants_llm(self, question: str, parsed: Plan) -> bool:
        """Whether the LLM should take this question instead of the parser's plan."""
        intent = parsed.intent
        if cues.UNSAFE.search(normalize(question)):  # a request to change data is refused either way
            return False
        if self.always_llm:
            return True
        # The parser asks back when a word is unknown, a cue contradicts the metric or two readings are
        # close: the LLM, which may know the word, gets the question first (issue 15).
        return intent.kind in ("clarify", "unsupported") or intent.confidence < self.route_below
