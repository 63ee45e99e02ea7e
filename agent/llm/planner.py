"""The LLM planner: a bounded tool-calling loop whose outcome is an Intent, exactly what the built-in
parser produces, so the answer (chart, narrative, follow-ups) is built the same way whichever planned.

The loop ends when the model stops calling tools (the last successful query or explanation is the
answer), when it asks the user a question, or with an `LLMError`: a second invalid call (one repair
is allowed), no query at all, too many rounds, or the deadline."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from semantic_layer.identity import Identity
from semantic_layer.layer import SemanticLayer
from semantic_layer.model import Language

from ..intent import ConversationState, Intent, Plan, ReadingSegment
from ..text import language_of
from ..value_index import ValueIndex
from .client import ChatClient, Deadline, LLMError
from .config import LLMConfig
from .prompt import question_message, system_prompt
from .tools import Toolbox, ToolOutcome

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage

StageListener = Callable[[str], None]
REPAIRS = 1


class LLMPlanner:
    """Plans one user's questions with the LLM; the tools run as `identity` over `layer`."""

    def __init__(
        self,
        client: ChatClient,
        layer: SemanticLayer,
        values: ValueIndex,
        identity: Identity | None,
        config: LLMConfig | None = None,
    ) -> None:
        self.client = client
        self.layer = layer
        self.values = values
        self.identity = identity
        self.config = config or client.config

    def plan(
        self,
        question: str,
        state: ConversationState,
        on_stage: StageListener | None = None,
        deadline: Deadline | None = None,
        reading: tuple[ReadingSegment, ...] = (),
    ) -> Plan:
        """`reading`: how the built-in parser read the question, given to the model as context."""
        intent = self.understand(question, state, on_stage or (lambda _: None), deadline, reading)
        if intent.kind == "clarify":
            return Plan(
                intent=intent, state=state.model_copy(update={"pending": intent, "turns": state.turns + 1})
            )
        return Plan(intent=intent, state=ConversationState(last=intent, turns=state.turns + 1))

    def understand(
        self,
        question: str,
        state: ConversationState,
        on_stage: StageListener,
        deadline: Deadline | None,
        reading: tuple[ReadingSegment, ...] = (),
    ) -> Intent:
        from langchain_core.messages import HumanMessage, SystemMessage, ToolMessage

        deadline = deadline or Deadline(self.config.timeout)
        language: Language = "zh" if language_of(question) == "zh" else "en"
        tools = Toolbox(self.layer, self.values, self.identity, language, send_rows=self.config.send_rows)
        messages: list[BaseMessage] = [
            SystemMessage(system_prompt(self.layer.model, self.layer.clock.today(), dict(self.values))),
            HumanMessage(question_message(question, state.last, reading)),
        ]
        specs = Toolbox.specs()
        answer: Intent | None = None
        failures = 0
        on_stage("thinking")
        for _ in range(self.config.max_steps):
            reply = self.client.complete(messages, deadline, specs)
            messages.append(reply)
            calls: list[tuple[str | None, str, dict[str, Any] | None, str | None]] = [
                (c["id"], c["name"], c["args"], None) for c in reply.tool_calls
            ]
            calls += [(c["id"], c["name"] or "", None, c["error"]) for c in reply.invalid_tool_calls]
            if not calls:
                if answer is None:
                    raise LLMError("malformed", "the model answered without running a query")
                return answer
            for call_id, name, args, invalid in calls:
                outcome = _invalid(invalid) if args is None else tools.call(name, args)
                if outcome.failed:
                    failures += 1
                    if failures > REPAIRS:
                        raise LLMError("malformed", f"a second invalid tool call: {outcome.content['error']}")
                elif outcome.intent is not None:
                    answer = outcome.intent
                messages.append(ToolMessage(_dump(outcome.content), tool_call_id=call_id or name))
            if answer is not None and answer.kind == "clarify":
                return answer
        if answer is None:
            raise LLMError("malformed", f"no answer after {self.config.max_steps} rounds")
        return answer


def _invalid(error: str | None) -> ToolOutcome:
    return ToolOutcome(
        content={"ok": False, "error": f"the arguments are not valid JSON ({error or 'unparsable'})"},
        failed=True,
    )


def _dump(content: dict[str, Any]) -> str:
    return json.dumps(content, ensure_ascii=False, default=str)
