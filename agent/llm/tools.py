"""The LLM's tools: read-only views of the semantic layer, run as the asking user.

The LLM never writes SQL. It calls these tools with JSON arguments that pydantic validates; a query
is a SemanticQuery the compiler builds SQL from, so only modelled metrics, dimensions and fields can
be reached, every access policy applies and nothing can be written. Whatever the model asks (a tool
that does not exist, an extra argument such as `sql`, a file path as a metric name), the worst it gets
is an error message back.

A successful `run_query` or `explain_change` becomes the turn's candidate intent; `ask_user` ends the
turn with a clarifying question.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from rapidfuzz import fuzz, process

from semantic_layer.errors import QueryError, SemanticLayerError, closest
from semantic_layer.identity import Identity
from semantic_layer.layer import SemanticLayer
from semantic_layer.model import Language
from semantic_layer.periods import resolve_period
from semantic_layer.query import Compare, DimensionRef, Filter, OrderBy, SemanticQuery, TimeRange
from semantic_layer.resolve import resolve_query

from ..answer import data_query, reachable
from ..insights import concentration, distribution, explain_change
from ..intent import Clarification, ClarifyOption, Intent
from ..text import normalize
from ..time_expressions import default_period_note
from ..value_index import ValueIndex

PREVIEW_ROWS = 20
MAX_MATCHES = 10
LLM_CONFIDENCE = 0.8


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an argument the tool does not take (e.g. `sql`) is refused


class SearchCatalog(_Args):
    """Find metrics, dimensions and record fields by words (Chinese or English): names, labels,
    synonyms and descriptions, with the dimensions each metric can be broken down by."""

    words: str = Field(
        description="Words to look for, e.g. '首次响应' or 'satisfaction'; empty for everything."
    )


class LookupValues(_Args):
    """Find the exact data values (and their dimension) that words in the question refer to, e.g.
    a region, product model, channel or city. Use the returned `value` in filters."""

    text: str = Field(description="The words from the question, e.g. '华东' or 'east china'.")
    dimension: str | None = Field(default=None, description="Only this dimension's values.")


class TimeArg(_Args):
    period: str | None = Field(
        default=None,
        description="A relative period: today, yesterday, this_week, last_week, this_month, last_month, "
        "this_quarter, last_quarter, this_year, last_year, year_to_date, all_time, last_N_days, "
        "last_N_weeks, last_N_months (N a number).",
    )
    start: date | None = Field(default=None, description="First day (YYYY-MM-DD), inclusive.")
    end: date | None = Field(default=None, description="Day after the last day (YYYY-MM-DD), exclusive.")


class RunQuery(_Args):
    """Run a semantic query and see its result. Name either `metrics` (aggregated, grouped by
    `dimensions`) or `fields` (a list of records). The last successful query is what the user sees as
    a chart and a summary."""

    metrics: list[str] = Field(default=[], description="Metric names from the catalog.")
    fields: list[str] = Field(default=[], description="Record fields for a detail list (instead of metrics).")
    dimensions: list[str | DimensionRef] = Field(
        default=[], description="Dimension names; a time dimension as {name, grain} for a trend."
    )
    filters: list[Filter] = Field(
        default=[],
        description="Conditions: {dimension|field|metric, op, values}; op is eq, ne, in, not_in, gt, gte, "
        "lt, lte, between or contains. Rates are fractions (10% is 0.1).",
    )
    time_range: TimeArg | None = Field(
        default=None, description="The period; the model's default if omitted."
    )
    compare: Compare | None = Field(
        default=None, description="Compare with the previous period or last year."
    )
    order_by: list[OrderBy] = Field(default=[], description="Sort, e.g. [{field: metric, desc: true}].")
    limit: int | None = Field(default=None, gt=0, description="Keep the first N rows (top N).")
    analysis: Literal["table", "concentration", "distribution"] = Field(
        default="table",
        description="'concentration': how concentrated one metric is over one dimension (shares, 80/20); "
        "'distribution': histogram of one numeric record field (give it as the only entry of `fields`).",
    )


class ExplainChange(_Args):
    """Explain why a metric changed between two periods (or, with no compare, what drives its level):
    which dimension values contributed most. The user sees the explanation."""

    metric: str = Field(description="One metric name.")
    time_range: TimeArg | None = Field(
        default=None, description="The period to explain; this month if omitted."
    )
    compare: Compare | None = Field(
        default="previous_period", description="The baseline; null to explain the level instead of a change."
    )
    filters: list[Filter] = Field(default=[], description="Conditions, as in run_query.")
    dimensions: list[str] = Field(default=[], description="Only these candidate drivers (default: all).")


class AskUser(_Args):
    """Ask the user a clarifying question when the question is ambiguous or names something the
    catalog does not have. The turn ends; the user's pick comes back as the next question."""

    question: str = Field(description="The question, in the user's language.")
    options: list[str] = Field(
        min_length=2,
        max_length=4,
        description="2-4 options, each a complete question the user could ask instead (e.g. '本月各大区的投诉量').",
    )


TOOLS: dict[str, type[_Args]] = {
    "search_catalog": SearchCatalog,
    "lookup_values": LookupValues,
    "run_query": RunQuery,
    "explain_change": ExplainChange,
    "ask_user": AskUser,
}


@dataclass
class ToolOutcome:
    content: dict[str, Any]
    """What the LLM reads back (JSON)."""
    intent: Intent | None = None
    """The intent this call answers with (a successful query, an explanation, a question)."""
    failed: bool = False
    """The call was invalid (a repair attempt is allowed)."""
    notes: list[str] = field(default_factory=list)


class Toolbox:
    """The tools, bound to one user, one language and the day questions are read on."""

    def __init__(
        self,
        layer: SemanticLayer,
        values: ValueIndex,
        identity: Identity | None,
        language: Language,
        *,
        send_rows: bool = True,
    ) -> None:
        self.layer = layer
        self.model = layer.model
        self.values = values
        self.identity = identity
        self.language = language
        self.send_rows = send_rows

    @staticmethod
    @cache
    def specs() -> tuple[dict[str, Any], ...]:
        """The tools in OpenAI's function-calling format (built once)."""
        from langchain_core.utils.function_calling import convert_to_openai_tool

        specs = []
        for name, args in TOOLS.items():
            spec = convert_to_openai_tool(args)
            spec["function"]["name"] = name
            specs.append(spec)
        return tuple(specs)

    def call(self, name: str, arguments: dict[str, Any]) -> ToolOutcome:
        schema = TOOLS.get(name)
        if schema is None:
            return _failure(f"there is no tool '{name}'", list(TOOLS))
        run = getattr(self, name)  # one of the methods below: `name` is a key of TOOLS
        try:
            return run(schema.model_validate(arguments))
        except ValidationError as error:  # the arguments, or the query built from them
            return _failure(_validation_message(error))
        except SemanticLayerError as error:
            return _failure(error.message, list(error.suggestions))

    # --- the tools -------------------------------------------------------------------------------

    def search_catalog(self, args: SearchCatalog) -> ToolOutcome:
        words = args.words.strip().lower()
        lang = self.language
        found: dict[str, list[dict[str, Any]]] = {"metrics": [], "dimensions": [], "fields": []}
        for metric in self.model.metrics:
            if metric.hidden or not _mentions(
                words, metric.name, metric.label, metric.synonyms, metric.description
            ):
                continue
            found["metrics"].append(
                {
                    "name": metric.name,
                    "label": metric.label.get(lang),
                    "description": metric.description.get(lang) if metric.description else None,
                    "format": metric.format,
                    "polarity": metric.polarity,
                    "synonyms": list(metric.synonyms.all()),
                    "dimensions": [
                        d.name for d in self.model.dimensions if reachable(self.model, metric.name, d.name)
                    ],
                }
            )
        for dimension in self.model.dimensions:
            if not _mentions(
                words, dimension.name, dimension.label, dimension.synonyms, dimension.description
            ):
                continue
            found["dimensions"].append(
                {
                    "name": dimension.name,
                    "label": dimension.label.get(lang),
                    "type": dimension.type,
                    "grains": list(dimension.grains) if dimension.type == "time" else [],
                    "sample_values": list(self.values.get(dimension.name, ()))[:8],
                }
            )
        for attribute in self.model.attributes:
            if _mentions(words, attribute.name, attribute.label, attribute.synonyms, None):
                found["fields"].append(
                    {"name": attribute.name, "label": attribute.label.get(lang), "type": attribute.type}
                )
        return ToolOutcome(content={"ok": True, **found})

    def lookup_values(self, args: LookupValues) -> ToolOutcome:
        if args.dimension is not None:
            self.model.dimension(args.dimension)  # an unknown name is an error with suggestions
        text = normalize(args.text).strip()
        candidates: list[tuple[str, str, str]] = []  # (what is matched, dimension, value)
        for dimension in self.model.dimensions:
            if args.dimension not in (None, dimension.name):
                continue
            for value in self.values.get(dimension.name, ()):
                candidates.append((normalize(value), dimension.name, value))
            for value, info in dimension.values.items():
                labels = (info.label.zh, info.label.en) if info.label else ()
                for word in (value, *labels, *info.zh, *info.en):
                    if word:
                        candidates.append((normalize(word), dimension.name, value))
        scored = process.extract(text, [c[0] for c in candidates], scorer=fuzz.WRatio, limit=50)
        matches: dict[tuple[str, str], float] = {}
        for _, score, index in scored:
            _, dimension_name, value = candidates[index]
            if (
                score >= 70
                and (dimension_name, value) not in matches
                and self._visible(dimension_name, value)
            ):
                matches[(dimension_name, value)] = score
        return ToolOutcome(
            content={
                "ok": True,
                "matches": [
                    {
                        "dimension": name,
                        "value": value,
                        "label": self.model.dimension(name).value_label(value, self.language),
                    }
                    for (name, value), _ in sorted(matches.items(), key=lambda item: -item[1])[:MAX_MATCHES]
                ],
            }
        )

    def run_query(self, args: RunQuery) -> ToolOutcome:
        notes: list[str] = []
        time_range = self._time_range(args.time_range, notes, default=self.model.default_time_range)
        query = SemanticQuery(
            metrics=tuple(args.metrics),
            fields=tuple(args.fields),
            dimensions=tuple(args.dimensions),  # type: ignore[arg-type]
            filters=tuple(args.filters),
            time_range=time_range,
            compare=args.compare,
            order_by=tuple(args.order_by),
            limit=args.limit,
        )
        self._check_visible(query.filters)
        if args.analysis == "distribution":
            intent = self._intent("distribution", query, notes)
            spread = distribution(self.layer, query, self.identity)
            summary = {"count": spread.count, "mean": spread.mean, "p50": spread.p50, "p90": spread.p90}
            return ToolOutcome(content={"ok": True, "distribution": summary}, intent=intent)
        if args.analysis == "concentration":
            intent = self._intent("concentration", query, notes)
            shares = concentration(self.layer, query, self.identity)
            summary = {"groups": len(shares.groups), "groups_for_80_percent": shares.groups_for_80_percent}
            return ToolOutcome(content={"ok": True, **summary}, intent=intent)
        intent = self._intent("detail" if query.is_detail else "metric", query, notes)
        run = data_query(intent)
        assert run is not None
        result = self.layer.query(run, self.identity, language=self.language)
        content: dict[str, Any] = {
            "ok": True,
            "columns": [{"name": c.name, "label": c.label} for c in result.columns],
            "row_count": len(result.rows),
            "truncated": result.truncated,
        }
        if self.send_rows:
            content["rows"] = [[_json_value(v) for v in row] for row in result.rows[:PREVIEW_ROWS]]
        if notes:
            content["notes"] = notes
        return ToolOutcome(content=content, intent=intent)

    def explain_change(self, args: ExplainChange) -> ToolOutcome:
        notes: list[str] = []
        time_range = self._time_range(args.time_range, notes, default="this_month")
        query = SemanticQuery(
            metrics=(args.metric,),
            dimensions=tuple(DimensionRef(name=d) for d in args.dimensions),
            filters=tuple(args.filters),
            time_range=time_range,
            compare=args.compare,
        )
        self._check_visible(query.filters)
        intent = self._intent("explain_change", query, notes)
        explanation = explain_change(self.layer, query, self.identity)
        content = {  # aggregates only: these are facts, not rows
            "ok": True,
            "current_value": explanation.current_value,
            "previous_value": explanation.previous_value,
            "change": explanation.change,
            "top_contributors": [
                {
                    "dimension": c.dimension,
                    "value": c.value,
                    "change": c.change,
                    "share_of_change": c.share_of_change,
                }
                for c in explanation.top[:5]
            ],
        }
        return ToolOutcome(content=content, intent=intent)

    def ask_user(self, args: AskUser) -> ToolOutcome:
        options = tuple(
            ClarifyOption(id=f"option{index}", label=text, text=text)
            for index, text in enumerate(args.options, start=1)
        )
        intent = Intent(
            kind="clarify",
            confidence=LLM_CONFIDENCE,
            language=self.language,
            clarification=Clarification(question=args.question, options=options),
        )
        return ToolOutcome(content={"ok": True, "asked": True}, intent=intent)

    # --- helpers -----------------------------------------------------------------------------------

    def _intent(self, kind: str, query: SemanticQuery, notes: list[str]) -> Intent:
        resolve_query(self.model, query)  # names and joins checked before anything runs
        return Intent(
            kind=kind,  # type: ignore[arg-type]
            query=query,
            confidence=LLM_CONFIDENCE,
            language=self.language,
            notes=tuple(notes),
        )

    def _time_range(self, arg: TimeArg | None, notes: list[str], default: str | None) -> TimeRange | None:
        """An absolute range (what a planner returns), from a relative period or dates."""
        if arg is None:
            if default is None:
                return None
            arg = TimeArg(period=default)
            notes.append(default_period_note(default, self.language))
        if arg.period is not None:
            if arg.start or arg.end:
                raise QueryError("give a time range as 'period' or as 'start'/'end', not both")
            start, end = resolve_period(arg.period, self.layer.clock.today(), self.model.calendar.week_start)
            return TimeRange(start=start, end=end) if start or end else None
        return TimeRange(start=arg.start, end=arg.end)

    def _check_visible(self, filters: tuple[Filter, ...]) -> None:
        """Values to match must be in the data this user may see: a filter on anything else would only
        answer "nothing" (or, for a restricted user, say nothing true about data they cannot see)."""
        for condition in filters:
            if condition.dimension is None or condition.op not in ("eq", "in"):
                continue
            for value in condition.values:
                if not self._visible(condition.dimension, str(value)):
                    raise QueryError(
                        f"'{value}' is not a value of {condition.dimension} in the data this user may see",
                        suggestions=closest(str(value), self.values[condition.dimension]),
                    )

    def _visible(self, dimension: str, value: str) -> bool:
        """Only values this user's rows hold (aliases of values outside their scope stay hidden)."""
        known = self.values.get(dimension)
        return known is None or value in known


def _mentions(words: str, name: str, label: Any, synonyms: Any, description: Any) -> bool:
    if not words:
        return True
    texts = [name, label.zh, label.en]
    if synonyms is not None:
        texts += list(synonyms.all())
    if description is not None:
        texts += [description.zh, description.en]
    haystack = [t.lower() for t in texts if t]
    return any(token in text for token in words.split() for text in haystack) or any(
        fuzz.partial_ratio(words, text) >= 80 for text in haystack
    )


def _failure(message: str, suggestions: list[str] | None = None) -> ToolOutcome:
    content: dict[str, Any] = {"ok": False, "error": message}
    if suggestions:
        content["suggestions"] = suggestions
    return ToolOutcome(content=content, failed=True)


def _validation_message(error: ValidationError) -> str:
    problems = []
    for item in error.errors(include_url=False)[:5]:
        where = ".".join(str(part) for part in item["loc"]) or "arguments"
        problems.append(f"{where}: {item['msg']}")
    return "invalid arguments: " + "; ".join(problems)


def _json_value(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)
