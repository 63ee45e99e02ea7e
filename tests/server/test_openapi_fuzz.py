"""Property-based fuzzing of the HTTP API from its own OpenAPI schema (schemathesis), against the app on
the demo database served by a real uvicorn on loopback.

- Every operation of `app.openapi()` with generated valid and invalid parameters, bodies and methods.
- POST /api/query, /api/ask and /api/ask/stream again with their bodies narrowed to the demo model's own
  names, data values and questions, so that requests get past the name checks and reach the compiler,
  DuckDB and the agent; plus fixed edge cases (dates near year 1 and 9999, numbers past 64 bits, filter
  values of the wrong type) sent on every run.

No request may end in a 5xx (a 503 included: a request the schema accepts that the database cannot run is
the client's error to report, not a database failure), and a stream may not end in an `error` event with
the code of one. Every 4xx has the error shape `{"error": {"code", "message", "suggestions"}}`; responses
conform to the documented schema and content type (status codes are not checked: the schema documents
only 200 and 422). The examples are derandomized (the same cases every run) and bounded so that the
module takes well under a minute and a half; it prints how many requests each operation got, by status."""

from __future__ import annotations

import copy
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from semantic_layer.loader import load_model
from semantic_layer.periods import FIXED_PERIODS
from server.app import create_app
from server.settings import Settings
from tests.conftest import DEMO_AS_OF
from tests.server.conftest import served

AS_OF = DEMO_AS_OF  # 2026-11-15
MAX_EXAMPLES = 30  # per operation and phase; /api/ask takes ~20-100 ms a call
DEEP_EXAMPLES = 60  # for the requests narrowed to the model's names, which reach the database


# questions that take the agent down its less common roads (why, concentration, distribution, detail,
# comparison, refusal, unknown words), plus hostile text
HARD_QUESTIONS = [
    "为什么7月满意度下降",
    "超时工单主要集中在哪些大区",
    "首次响应时长分布",
    "列出本周低分VIP客户",
    "投诉量环比",
    "2025年第三季度各大区的NPS同比",
    "top 0 regions by tickets",
    "top 100000000000 regions by tickets",
    "tickets from 0001-01-01 to 9999-12-31",
    "tickets in the last 99999999 days",
    "最近100000000个月的工单量",
    "DROP TABLE tickets; --",
    "<script>alert(1)</script>",
    "what is our revenue",
    "\u202e各渠道的满意度",
    "a\x00b",
]
EXTREME_PERIODS = ["last_1_days", "last_100000_days", "last_999999999_weeks", "last_99999999999_months"]

# Requests at the edges of what dates and numbers can hold, sent every run (the random examples reach
# them only by luck): relative periods and comparisons past year 1 or 9999, limits past 64 bits, filter
# values of another type than their column.
EDGE_QUERIES: list[dict[str, Any]] = [
    {"metrics": ["ticket_count"], "time_range": {"period": "last_999999999_weeks"}},
    {"metrics": ["ticket_count"], "time_range": {"period": "last_99999999999_months"}},
    {"metrics": ["ticket_count"], "time_range": {"period": "last_99999999_days"}},
    {
        "metrics": ["ticket_count"],
        "time_range": {"start": "0001-01-01", "end": "0002-01-01"},
        "compare": "previous_period",
    },
    {
        "metrics": ["ticket_count"],
        "time_range": {"start": "0001-01-01", "end": "0002-01-01"},
        "compare": "same_period_last_year",
    },
    {
        "metrics": ["ticket_count"],
        "dimensions": [{"name": "created_date", "grain": "week"}],
        "time_range": {"start": "9999-12-01"},
    },
    {"metrics": ["backlog_count"], "time_range": {"end": "0001-01-02"}},
    {"metrics": ["ticket_count"], "dimensions": ["region"], "limit": 2**63},
    {"metrics": ["ticket_count"], "filters": [{"metric": "ticket_count", "op": "gt", "values": [2**70]}]},
    {"metrics": ["ticket_count"], "filters": [{"dimension": "region", "op": "eq", "values": [5]}]},
    {"fields": ["ticket_id"], "filters": [{"field": "csat_score", "op": "eq", "values": ["abc"]}]},
    {"fields": ["ticket_id"], "filters": [{"field": "created_at", "op": "gt", "values": [True]}]},
    {"fields": ["ticket_id"], "filters": [{"dimension": "is_complaint", "op": "eq", "values": ["maybe"]}]},
    {"fields": ["ticket_id"], "limit": 2**70},
]
EDGE_QUESTIONS: list[dict[str, Any]] = [
    {"question": "tickets in the last 99999999 days"},
    {"question": "最近100000000个月的工单量"},
    {"question": "top 100000000000000000000000 regions by tickets"},
    {"question": "投诉量环比", "as_of": "0001-01-01"},
    {"question": "投诉量每月趋势", "as_of": "0001-01-01"},
    {"question": "为什么投诉量上升", "as_of": "0001-01-15"},
    {"question": "本周投诉量", "as_of": "9999-12-31"},
    {"question": "今年投诉量", "as_of": "9999-12-31"},
]


@pytest.fixture(scope="module")
def fuzzed_app(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, str]]:
    store = tmp_path_factory.mktemp("fuzz") / "store.sqlite3"
    # no per-user rate limit: the fuzzer is one user asking hundreds of questions a minute
    settings = Settings(db=str(demo_db), as_of=AS_OF, store=store, rate_limit=0, max_concurrent=0)
    app = create_app(settings)
    with served(app) as url:
        yield app, url


def _configured(raw: dict[str, Any], *, narrowed: bool = False) -> Any:
    loaded = schemathesis.openapi.from_dict(raw)
    loaded.config.update(request_timeout=60)
    # the same cases every run, and no example database written into the checkout
    loaded.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True, database="none")
    if narrowed:
        # only valid requests, drawn at random: the coverage phase would enumerate thousands of
        # combinations of the narrowed alternatives, and invalid input is the generic test's job
        loaded.config.generation.update(modes=["positive"], max_examples=DEEP_EXAMPLES)
        loaded.config.phases.update(phases=["examples", "fuzzing"])
    return loaded


def _openapi() -> dict[str, Any]:
    """The app's OpenAPI schema. It does not depend on the database, so it is read from an app that is
    never started: pytest collects the operations before any fixture runs."""
    return create_app(Settings(db="schema-only.duckdb", as_of=AS_OF)).openapi()


def _names(values: list[str]) -> dict[str, Any]:
    return {"type": "string", "enum": sorted(set(values))}


def _array(items: dict[str, Any], low: int, high: int) -> dict[str, Any]:
    return {"type": "array", "items": items, "minItems": low, "maxItems": high}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


# how many values each filter op takes (the SemanticQuery validator's rule)
OP_ARITY = [
    (["eq", "ne", "gt", "gte", "lt", "lte", "contains"], 1, 1),
    (["in", "not_in"], 1, 3),
    (["between"], 2, 2),
]


def _catalog_aware(raw: dict[str, Any]) -> dict[str, Any]:
    """The app's schema with the request bodies of /api/query and /api/ask narrowed to what the demo
    model can answer: its metric, dimension, field and period names, real data values, the shapes the
    validators accept, and real questions. Generated requests then get past the name checks and reach
    the compiler, the database and the agent instead of stopping at "unknown metric". The narrowed
    schemas are added under new names ("Fuzz..."), so responses are still checked against the schema
    the app publishes."""
    model = load_model()
    metrics = [m.name for m in model.metrics]
    dimensions = [d.name for d in model.dimensions]
    fields = [a.name for a in model.attributes] + dimensions
    samples = sorted({value for d in model.dimensions for value in (*d.sample_values, *d.values)})
    questions = [text for q in model.verified_questions for text in (q.question.zh, q.question.en) if text]
    original = raw["components"]["schemas"]
    value = {"anyOf": [_names(samples), *original["Filter"]["properties"]["values"]["items"]["anyOf"]]}
    filters = [  # one target (dimension, then field, then metric) and as many values as the op takes
        {
            "type": "object",
            "additionalProperties": False,
            "required": [target, "op", "values"],
            "properties": {target: _names(names), "op": _names(ops), "values": _array(value, low, high)},
        }
        for target, names in (("dimension", dimensions), ("field", fields), ("metric", metrics))
        for ops, low, high in OP_ARITY
    ]
    aggregate = {
        "dimensions": {**_array(_ref("FuzzDimensionRef"), 0, 3), "uniqueItems": True},
        "filters": _array({"anyOf": filters}, 0, 3),
        "time_range": {"anyOf": [_ref("FuzzTimeRange"), {"type": "null"}]},
        "compare": original["SemanticQuery"]["properties"]["compare"],
        "order_by": _array(_ref("FuzzOrderBy"), 0, 2),
        "limit": original["SemanticQuery"]["properties"]["limit"],
    }
    detail = {  # a detail list: no dimensions, comparison or metric filters
        "filters": _array({"anyOf": filters[: 2 * len(OP_ARITY)]}, 0, 3),
        "time_range": aggregate["time_range"],
        "order_by": aggregate["order_by"],
        "limit": aggregate["limit"],
    }
    narrowed = {
        "FuzzSemanticQuery": {
            "anyOf": [
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": [kind],
                    "properties": {kind: {**_array(_names(names), 1, high), "uniqueItems": True}, **rest},
                }
                for kind, names, high, rest in (
                    ("metrics", metrics, 3, aggregate),
                    ("fields", fields, 4, detail),
                )
            ]
        },
        "FuzzDimensionRef": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name"],
            "properties": {
                "name": _names(dimensions),
                "grain": original["DimensionRef"]["properties"]["grain"],
            },
        },
        "FuzzOrderBy": {
            "type": "object",
            "additionalProperties": False,
            "required": ["field"],
            "properties": {"field": _names(metrics + fields), "desc": {"type": "boolean"}},
        },
        "FuzzTimeRange": {
            "anyOf": [
                {
                    "type": "object",
                    "additionalProperties": False,
                    "minProperties": 1,
                    "properties": {
                        "start": {"type": "string", "format": "date"},
                        "end": {"type": "string", "format": "date"},
                    },
                },
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["period"],
                    "properties": {"period": _names([*FIXED_PERIODS, *EXTREME_PERIODS])},
                },
            ]
        },
        "FuzzAskRequest": {
            "type": "object",
            "additionalProperties": False,
            "required": ["question"],
            "properties": {
                "question": _names(questions + HARD_QUESTIONS),
                "as_of": original["AskRequest"]["properties"]["as_of"],
            },
        },
    }
    schema = copy.deepcopy(raw)
    schema["components"]["schemas"].update(narrowed)
    for path, name, edges in (
        ("/api/query", "FuzzSemanticQuery", EDGE_QUERIES),
        ("/api/ask", "FuzzAskRequest", EDGE_QUESTIONS),
        ("/api/ask/stream", "FuzzAskRequest", EDGE_QUESTIONS),
    ):
        # the edge cases go in as the body's OpenAPI examples: schemathesis sends each one every run
        schema["paths"][path]["post"]["requestBody"]["content"]["application/json"] = {
            "schema": _ref(name),
            "examples": {f"edge{i}": {"value": body} for i, body in enumerate(edges)},
        }
    return schema


schema = _configured(_openapi())
catalog_schema = _configured(_catalog_aware(_openapi()), narrowed=True).include(
    path_regex="^/api/(query|ask|ask/stream)$"
)
TALLY: defaultdict[str, Counter[int]] = defaultdict(Counter)


@pytest.fixture(scope="module", autouse=True)
def _report(pytestconfig: pytest.Config) -> Iterator[None]:
    """Print how many requests each operation got, by status, so a run shows what was exercised."""
    yield
    terminal = pytestconfig.pluginmanager.get_plugin("terminalreporter")
    if terminal is not None:
        terminal.write_line("\nfuzzed requests by operation and status:")
        for operation, statuses in sorted(TALLY.items()):
            terminal.write_line(f"  {operation}: {dict(sorted(statuses.items()))}")


SERVER_ERROR_CODES = {"internal_error", "execution_error"}  # the codes of 500 and 503 responses


def _assert_error_shape(body: Any, where: str) -> None:
    assert isinstance(body, dict) and set(body) == {"error"}, f"{where}: {body}"
    error = body["error"]
    assert set(error) == {"code", "message", "suggestions"}, f"{where}: {body}"
    assert isinstance(error["code"], str) and error["code"], f"{where}: {body}"
    assert isinstance(error["message"], str) and error["message"], f"{where}: {body}"
    assert isinstance(error["suggestions"], list), f"{where}: {body}"


def _events(text: str) -> list[tuple[str, Any]]:
    """The server-sent events of a stream: (event name, JSON data)."""
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        events.append((lines.get("event", ""), json.loads(lines.get("data", "null"))))
    return events


def _check(case: schemathesis.Case, base_url: str) -> None:
    response = case.call(base_url=base_url)
    status = response.status_code
    TALLY[f"{case.method} {case.path}"][status] += 1
    where = f"{case.method} {case.formatted_path} {case.body!r}"
    assert status < 500, f"{where} -> {status}: {response.text[:500]}"
    if status >= 400:
        _assert_error_shape(response.json(), where)
    content_type = ",".join(response.headers.get("content-type", []))  # schemathesis: lists of values
    if status == 200 and content_type.startswith("text/event-stream"):
        # a stream is 200 once it starts; a failure after that is its last event, `error`
        events = _events(response.text)
        last, data = events[-1]
        assert last in ("answer", "error"), f"{where}: the stream ends with {last}"
        if last == "error":
            _assert_error_shape(data, where)
            code = data["error"]["code"]
            assert code not in SERVER_ERROR_CODES, f"{where} -> stream error {data}"
    case.validate_response(
        response, checks=[not_a_server_error, response_schema_conformance, content_type_conformance]
    )


@schema.parametrize()
def test_no_request_fails_on_the_server(case: schemathesis.Case, fuzzed_app: tuple[FastAPI, str]) -> None:
    """Every operation with generated valid and invalid input (and unsupported methods)."""
    _check(case, fuzzed_app[1])


@catalog_schema.parametrize()
def test_no_query_or_question_over_the_model_fails_on_the_server(
    case: schemathesis.Case, fuzzed_app: tuple[FastAPI, str]
) -> None:
    """Valid queries and questions built from the model's own names reach the compiler and the agent."""
    _check(case, fuzzed_app[1])
