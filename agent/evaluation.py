"""Run a question eval set (tests/agent/eval/*.yaml, or the frozen blind sets) through a planner and score it.

Each case is one or more turns; each turn's `expect` (or one of its `also` alternatives) is compared
with the planner's intent by the rules in tests/agent/eval/README.md (unspecified keys take their
defaults, sets compared as sets, time ranges compared once resolved against the eval's today).

Every turn has one outcome: `right` (the gold or a listed alternative), `wrong` (answered, but neither:
the outcome that hands an executive a wrong number) or `declined` (asked back or refused where the
gold is an answer: not wrong, not right). A clarification is right only where the gold is one; a
forecast question (category `forecast`) is right when refused.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml

from semantic_layer.errors import SemanticLayerError
from semantic_layer.layer import SemanticLayer
from semantic_layer.model import SemanticModel
from semantic_layer.periods import resolve_period

from .intent import ConversationState, Intent

if TYPE_CHECKING:
    from .answer import QuestionPlanner

EVAL_TODAY = date(2026, 11, 15)


Outcome = Literal["right", "wrong", "declined"]
DECLINING = ("clarify", "unsupported")


@dataclass(frozen=True)
class TurnResult:
    case_id: str
    lang: str
    category: str
    question: str
    problems: tuple[str, ...]
    intent: Intent
    planner: str = "rules"
    fallback: str | None = None
    outcome: Outcome = "right"

    @property
    def passed(self) -> bool:
        return self.outcome == "right"


def load_cases(folder: Path) -> list[dict[str, Any]]:
    """The cases of every *.yaml directly in `folder` that holds a list of cases (sub-folders are other
    sets; a mapping, such as the blind sets' known_misses.yaml, is not cases)."""
    cases: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.yaml")):
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(loaded, list):
            cases += loaded
    return cases


def score_turn(
    turn: dict[str, Any], category: str, intent: Intent, model: SemanticModel, today: date
) -> tuple[Outcome, list[str]]:
    """The turn's outcome and, unless right, what differs from the gold."""
    golds = [turn["expect"], *turn.get("also", [])]
    if category == "forecast" and intent.kind == "unsupported":
        return "right", []
    problems: list[str] = []
    for gold in golds:
        differences = compare_intent(gold, intent, model, today)
        if not differences:
            return "right", []
        problems = problems or differences
    if intent.kind in DECLINING:
        return "declined", problems
    return "wrong", problems


def run_cases(
    planner: QuestionPlanner,
    cases: Iterable[dict[str, Any]],
    today: date = EVAL_TODAY,
    layer: SemanticLayer | None = None,
) -> list[TurnResult]:
    """Plan every turn of every case, each case a conversation. With `layer`, each answer's query runs
    too, as in the product, so that a follow-up may refer to what the answer showed ("那个大区")."""
    from .answer import data_query, remember_shown

    results = []
    for case in cases:
        state = ConversationState()
        for turn in case["turns"]:
            plan = planner.plan(turn["q"], state)
            state = plan.state
            query = data_query(plan.intent) if layer is not None else None
            if layer is not None and query is not None and plan.intent.kind in ("metric", "concentration"):
                # a query the layer rejects is asked back in the product: the conversation goes on
                with contextlib.suppress(SemanticLayerError):
                    state = remember_shown(state, plan.intent, layer.query(query))
            outcome, problems = score_turn(turn, case["category"], plan.intent, planner.model, today)
            results.append(
                TurnResult(
                    case["id"],
                    case["lang"],
                    case["category"],
                    turn["q"],
                    tuple(problems),
                    plan.intent,
                    plan.planner,
                    plan.fallback,
                    outcome,
                )
            )
    return results


def _range(spec: dict[str, Any] | None, model: SemanticModel, today: date) -> tuple[date | None, date | None]:
    if spec is None:
        if model.default_time_range is None:
            return None, None
        return resolve_period(model.default_time_range, today, model.calendar.week_start)
    if "period" in spec:
        return resolve_period(spec["period"], today, model.calendar.week_start)
    as_date = lambda v: date.fromisoformat(str(v)) if v is not None else None  # noqa: E731
    return as_date(spec.get("start")), as_date(spec.get("end"))


def _filter_keys(spec: dict[str, Any], model: SemanticModel) -> set[tuple[str, str, str, frozenset[Any]]]:
    """A filter as the conditions it means, so that ways of writing the same rows compare equal: one
    value `in` is `eq`; a yes/no `ne true` is `eq false`; `between` is its two bounds; on a whole-number
    field, `gt 3` is `gte 4` and `lt 3` is `lte 2`."""
    kind = next(k for k in ("dimension", "field", "metric") if spec.get(k) is not None)
    name, op = spec[kind], spec["op"]
    values = [
        float(v) if isinstance(v, int | float) and not isinstance(v, bool) else v for v in spec["values"]
    ]
    if op in ("in", "not_in") and len(values) == 1:
        op = "eq" if op == "in" else "ne"
    if kind == "dimension" and op == "ne" and len(values) == 1 and isinstance(values[0], bool):
        dimension = model.dimensions_by_name.get(name)
        if dimension is not None and dimension.type == "boolean":
            op, values = "eq", [not values[0]]
    if op == "between" and len(values) == 2:
        bounds = [("gte", values[0]), ("lte", values[1])]
    else:
        bounds = [(op, values[0])] if len(values) == 1 and op in ("gt", "gte", "lt", "lte") else []
    if not bounds:
        return {(kind, name, op, frozenset(values))}
    attribute = model.attributes_by_name.get(name) if kind == "field" else None
    whole = attribute is not None and attribute.type == "integer"
    keys = set()
    for bound, value in bounds:
        if whole and isinstance(value, float) and value.is_integer() and bound in ("gt", "lt"):
            bound, value = ("gte", value + 1) if bound == "gt" else ("lte", value - 1)
        keys.add((kind, name, bound, frozenset([value])))
    return keys


def compare_intent(expect: dict[str, Any], intent: Intent, model: SemanticModel, today: date) -> list[str]:
    """What differs between the expected intent and the planner's (empty when they agree)."""
    problems: list[str] = []
    if intent.kind != expect["kind"]:
        return [f"kind {intent.kind} != {expect['kind']}"]
    if intent.kind in ("clarify", "unsupported"):
        return []
    query = intent.query
    assert query is not None
    if set(expect.get("metrics", [])) != set(query.metrics):
        problems.append(f"metrics {list(query.metrics)} != {expect.get('metrics', [])}")
    want_dims = {
        (d, None) if isinstance(d, str) else (d["name"], d.get("grain")) for d in expect.get("dimensions", [])
    }
    got_dims = {(d.name, d.grain) for d in query.dimensions}
    if want_dims != got_dims:
        problems.append(f"dimensions {sorted(got_dims, key=str)} != {sorted(want_dims, key=str)}")
    want_filters = {key for f in expect.get("filters", []) for key in _filter_keys(f, model)}
    got_filters = {key for f in query.filters for key in _filter_keys(f.model_dump(), model)}
    if want_filters != got_filters:
        problems.append(f"filters {sorted(got_filters, key=str)} != {sorted(want_filters, key=str)}")
    want_range = _range(expect.get("time_range"), model, today)
    got_range = (query.time_range.start, query.time_range.end) if query.time_range else (None, None)
    if want_range != got_range:
        problems.append(f"time_range {got_range} != {want_range}")
    if expect.get("compare") != query.compare:
        problems.append(f"compare {query.compare} != {expect.get('compare')}")
    if expect.get("limit") != query.limit:
        problems.append(f"limit {query.limit} != {expect.get('limit')}")
    if "order_by" in expect:
        want_order = [(o["field"], bool(o.get("desc", False))) for o in expect["order_by"]]
        got_order = [(o.field, o.desc) for o in query.order_by]
        if want_order != got_order:
            problems.append(f"order_by {got_order} != {want_order}")
    missing = [f for f in expect.get("fields", []) if f not in query.fields]
    if missing:
        problems.append(f"fields {list(query.fields)} lack {missing}")
    return problems


@dataclass(frozen=True)
class Scores:
    """Shares of turns, per language: right, wrong (answered but neither the gold nor an alternative)
    and declined (a clarification or refusal where an answer was the gold)."""

    turns: dict[str, int]
    accuracy: dict[str, float]
    wrong: dict[str, float]
    declined: dict[str, float]


def scores(results: list[TurnResult]) -> Scores:
    by_lang: dict[str, list[Outcome]] = defaultdict(list)
    for result in results:
        by_lang[result.lang].append(result.outcome)
    share = lambda outcomes, what: sum(o == what for o in outcomes) / len(outcomes)  # noqa: E731
    langs = sorted(by_lang)
    return Scores(
        turns={lang: len(by_lang[lang]) for lang in langs},
        accuracy={lang: share(by_lang[lang], "right") for lang in langs},
        wrong={lang: share(by_lang[lang], "wrong") for lang in langs},
        declined={lang: share(by_lang[lang], "declined") for lang in langs},
    )


CONFIDENCE_BANDS = ((0.85, 1.01), (0.7, 0.85), (0.5, 0.7), (0.0, 0.5))


def calibration(results: list[TurnResult]) -> list[tuple[tuple[float, float], int, float]]:
    """Per confidence band: how many turns were answered, and the share of them that were right."""
    rows = []
    for low, high in CONFIDENCE_BANDS:
        answered = [
            r for r in results if r.intent.kind not in DECLINING and low <= r.intent.confidence < high
        ]
        right = sum(r.outcome == "right" for r in answered)
        rows.append(((low, high), len(answered), right / len(answered) if answered else float("nan")))
    return rows


def accuracy_table(results: list[TurnResult]) -> tuple[dict[str, float], str]:
    """Accuracy per language (returned) and a printable table: per language and category, the turns
    right / wrong / declined; then the totals and the calibration of the confidence."""
    cells: dict[tuple[str, str], list[Outcome]] = defaultdict(list)
    for result in results:
        cells[(result.category, result.lang)].append(result.outcome)

    def cell(outcomes: list[Outcome]) -> str:
        if not outcomes:
            return "-"
        return f"{outcomes.count('right')}/{outcomes.count('wrong')}/{outcomes.count('declined')}"

    lines = [f"{'category':<14} {'zh right/wrong/declined':>24} {'en right/wrong/declined':>24}"]
    for category in sorted({c for c, _ in cells}):
        lines.append(
            f"{category:<14} {cell(cells.get((category, 'zh'), [])):>24} {cell(cells.get((category, 'en'), [])):>24}"
        )
    total = scores(results)
    for lang in ("zh", "en"):
        if lang in total.turns:
            lines.append(
                f"{lang}: {total.turns[lang]} turns, {100 * total.accuracy[lang]:.1f}% right, "
                f"{100 * total.wrong[lang]:.1f}% answered wrongly, {100 * total.declined[lang]:.1f}% declined"
            )
    lines.append("confidence    answered  right")
    for (low, high), answered, right in calibration(results):
        shown = f"{100 * right:.0f}%" if answered else "-"
        lines.append(f"[{low:.2f}, {min(high, 1):.2f}) {answered:>9}  {shown:>5}")
    llm = sum(r.planner == "llm" for r in results)
    fallbacks = sum(r.fallback is not None for r in results)
    if llm or fallbacks:
        lines.append(f"LLM planned {llm} of {len(results)} turns; the parser stood in {fallbacks} times")
    return total.accuracy, "\n".join(lines)
