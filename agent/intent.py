"""What a planner makes of a question: an Intent (public, JSON-serialisable) and the state it carries.

Kinds:
- `metric`: `query` is a SemanticQuery with metrics (a KPI, breakdown, trend, top-N or comparison).
- `detail`: `query` lists records (`fields`), e.g. low-score VIP surveys this week.
- `distribution`: `query.fields` names one numeric record field to bin (e.g. first_response_minutes),
  with the query's filters and time range.
- `explain_change`: `query.metrics` names one metric; `query.time_range` is the period to explain and
  `query.compare` the baseline (`previous_period` or `same_period_last_year`); with no compare, what
  drives the metric's level ("why is first response slow?"). `query.dimensions` may narrow the
  candidate drivers (empty: every dimension of the metric).
- `concentration`: `query.metrics[0]` concentrated over `query.dimensions[0]` ("which regions account
  for most SLA breaches").
- `clarify`: `clarification` asks a question with 2-4 options, each a complete Intent or a text.
- `unsupported`: `reason` says why; `alternatives` are up to three questions the model can answer.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from semantic_layer.model import Language
from semantic_layer.query import SemanticQuery

IntentKind = Literal[
    "metric", "detail", "distribution", "explain_change", "concentration", "clarify", "unsupported"
]


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


SegmentRole = Literal[
    "metric", "dimension", "field", "value", "time", "comparison", "grain", "limit", "threshold", "cue",
    "reference", "phrasing", "unknown",
]  # fmt: skip


class ReadingSegment(_Spec):
    """One span of the question as the parser read it. The segments of a reading, in order, spell the
    (normalised) question: what each part was taken as is shown to the user ("understood as ..."),
    unknown words marked. Text, not character offsets, which differ between Python and JavaScript."""

    text: str
    role: SegmentRole
    ref: str | None = None
    """What it matched: a model name ("avg_csat", "region=华南"), a period, a grain."""


class ClarifyOption(_Spec):
    id: str
    label: str
    intent: Intent | None = None
    """The complete intent this option stands for; or None with `text` to re-plan as a follow-up."""
    text: str | None = None


class Clarification(_Spec):
    question: str
    options: tuple[ClarifyOption, ...]


class Intent(_Spec):
    kind: IntentKind
    query: SemanticQuery | None = None
    confidence: float = Field(ge=0, le=1)
    language: Language
    clarification: Clarification | None = None
    reason: str | None = None
    alternatives: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    """What the planner assumed, said to the user (e.g. the default time range it used)."""
    reading: tuple[ReadingSegment, ...] = ()
    """How the built-in parser read the question (empty when another planner planned it)."""


class Shown(_Spec):
    """The groups the last answer showed, in the order shown: what "那个大区", "these two" and "them"
    refer to."""

    dimension: str
    values: tuple[str, ...]
    ranked: tuple[str, ...] = ()
    """The same groups from the highest value of the answer's first measure: "最多的那个"."""


class ConversationState(_Spec):
    """Carried between turns so that follow-ups change the previous intent instead of starting over."""

    last: Intent | None = None
    """The last intent that was answered (not a clarification)."""
    shown: Shown | None = None
    """The groups of the last answer (set by whoever ran its query; the planner cannot see data)."""
    mentioned: Shown | None = None
    """Values of one dimension the conversation moved between ("SL-3 ...", "SL-1呢"): what "these two"
    may mean when the answers showed no groups."""
    pending: Intent | None = None
    """A clarification waiting for the user's choice."""
    turns: int = 0


class Plan(_Spec):
    intent: Intent
    state: ConversationState
    planner: Literal["rules", "llm"] = "rules"
    """Which planner produced the intent."""
    fallback: str | None = None
    """Why the LLM's plan was not used (it failed), when the parser's plan stands in for it."""


ClarifyOption.model_rebuild()
