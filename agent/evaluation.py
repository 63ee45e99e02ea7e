"""Run the question eval set (tests/agent/eval/*.yaml) through a planner and score it.

Each case is one or more turns; each turn's `expect` is compared with the planner's intent by the
rules in tests/agent/eval/README.md (unspecified keys take their defaults, sets compared as sets,
time ranges compared once resolved against the eval's today).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from semantic_layer.model import SemanticModel
from semantic_layer.periods import resolve_period

from .intent import ConversationState, Intent

if TYPE_CHECKING:
    from .answer import QuestionPlanner

EVAL_TODAY = date(2026, 11, 15)


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

    @property
    def passed(self) -> bool:
        return not self.problems


def load_cases(folder: Path) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.yaml")):
        cases += yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return cases


def run_cases(
    planner: QuestionPlanner, cases: Iterable[dict[str, Any]], today: date = EVAL_TODAY
) -> list[TurnResult]:
    results = []
    for case in cases:
        state = ConversationState()
        for turn in case["turns"]:
            plan = planner.plan(turn["q"], state)
            state = plan.state
            problems = compare_intent(turn["expect"], plan.intent, planner.model, today)
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


def _filter_key(spec: dict[str, Any]) -> tuple[str, str, str, frozenset[Any]]:
    kind = next(k for k in ("dimension", "field", "metric") if spec.get(k) is not None)
    values = frozenset(
        float(v) if isinstance(v, int | float) and not isinstance(v, bool) else v for v in spec["values"]
    )
    return kind, spec[kind], spec["op"], values


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
    want_filters = {_filter_key(f) for f in expect.get("filters", [])}
    got_filters = {_filter_key(f.model_dump()) for f in query.filters}
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


def accuracy_table(results: list[TurnResult]) -> tuple[dict[str, float], str]:
    """Accuracy per language (returned) and a printable table per language and category."""
    by_lang: dict[str, list[bool]] = defaultdict(list)
    by_category: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for result in results:
        by_lang[result.lang].append(result.passed)
        by_category[(result.category, result.lang)].append(result.passed)
    accuracy = {lang: sum(v) / len(v) for lang, v in sorted(by_lang.items())}
    lines = [f"{'category':<14} {'zh':>12} {'en':>12}"]
    for category in sorted({c for c, _ in by_category}):
        cells = []
        for lang in ("zh", "en"):
            passed = by_category.get((category, lang), [])
            cells.append(f"{sum(passed)}/{len(passed)}" if passed else "-")
        lines.append(f"{category:<14} {cells[0]:>12} {cells[1]:>12}")
    totals = [
        f"{sum(by_lang[lang])}/{len(by_lang[lang])} {100 * accuracy[lang]:.1f}%" if lang in accuracy else "-"
        for lang in ("zh", "en")
    ]
    lines.append(f"{'all':<14} {totals[0]:>12} {totals[1]:>12}")
    llm = sum(r.planner == "llm" for r in results)
    fallbacks = sum(r.fallback is not None for r in results)
    if llm or fallbacks:
        lines.append(f"LLM planned {llm} of {len(results)} turns; the parser stood in {fallbacks} times")
    return accuracy, "\n".join(lines)
