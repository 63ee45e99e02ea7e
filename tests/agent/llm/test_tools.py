"""Contract of each tool the LLM may call: what valid calls return (checked against pandas), what
invalid ones return (an error with suggestions, for one repair), and that no call can reach beyond
the semantic model or the caller's rows."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from agent.llm.tools import TOOLS, Toolbox
from agent.value_index import build_value_index
from semantic_layer.engine import open_read_only
from semantic_layer.identity import Identity
from semantic_layer.layer import SemanticLayer

SOUTH = Identity(user_id="li", attributes={"region": "华南"})


@pytest.fixture(scope="module")
def tools(layer: SemanticLayer) -> Toolbox:
    return Toolbox(layer, build_value_index(layer), None, "zh")


def _month(frame: pd.DataFrame, start: str = "2026-11-01", end: str = "2026-12-01") -> pd.DataFrame:
    return frame[(frame["created_at"] >= pd.Timestamp(start)) & (frame["created_at"] < pd.Timestamp(end))]


def test_the_specs_are_openai_functions_with_no_way_to_pass_sql() -> None:
    specs = Toolbox.specs()
    assert [s["function"]["name"] for s in specs] == list(TOOLS)
    for spec in specs:
        assert spec["type"] == "function"
        assert spec["function"]["description"]
        properties = spec["function"]["parameters"]["properties"]
        assert not {"sql", "query_text", "code", "path"} & set(properties)
    run_query = next(s for s in specs if s["function"]["name"] == "run_query")
    assert {"metrics", "dimensions", "filters", "time_range"} <= set(
        run_query["function"]["parameters"]["properties"]
    )


def test_search_catalog_finds_metrics_by_chinese_or_english_words(tools: Toolbox) -> None:
    found = tools.call("search_catalog", {"words": "满意度"}).content
    names = [m["name"] for m in found["metrics"]]
    assert "avg_csat" in names
    csat = next(m for m in found["metrics"] if m["name"] == "avg_csat")
    assert "channel" in csat["dimensions"] and csat["label"] == "满意度"
    english = tools.call("search_catalog", {"words": "first response"}).content
    assert "avg_first_response_minutes" in [m["name"] for m in english["metrics"]]


def test_lookup_values_resolves_aliases_and_hides_what_the_user_may_not_see(layer: SemanticLayer) -> None:
    everyone = Toolbox(layer, build_value_index(layer), None, "en")
    matches = everyone.call("lookup_values", {"text": "east china"}).content["matches"]
    assert matches[0] == {"dimension": "region", "value": "华东", "label": "East China"}
    south = Toolbox(layer, build_value_index(layer, SOUTH), SOUTH, "zh")
    assert all(m["value"] != "华东" for m in south.call("lookup_values", {"text": "华东"}).content["matches"])


def test_run_query_answers_with_the_rows_pandas_computes(
    tools: Toolbox, frames: dict[str, pd.DataFrame]
) -> None:
    outcome = tools.call(
        "run_query",
        {
            "metrics": ["complaint_count"],
            "dimensions": ["product_model"],
            "time_range": {"period": "this_month"},
            "order_by": [{"field": "complaint_count", "desc": True}],
        },
    )
    assert not outcome.failed and outcome.intent is not None
    assert outcome.intent.kind == "metric"
    time_range = outcome.intent.query.time_range  # type: ignore[union-attr]
    assert (time_range.start, time_range.end) == (date(2026, 11, 1), date(2026, 12, 1))  # type: ignore[union-attr]
    month = _month(frames["tickets"])
    expected = month[month["is_complaint"]].groupby("product_model").size().sort_values(ascending=False)
    rows = outcome.content["rows"]
    assert outcome.content["row_count"] == len(expected)
    assert {row[0]: row[1] for row in rows} == {k: int(v) for k, v in expected.head(len(rows)).items()}


def test_a_bad_name_comes_back_with_suggestions_for_a_repair(tools: Toolbox) -> None:
    outcome = tools.call(
        "run_query", {"metrics": ["complaints_total"], "time_range": {"period": "this_month"}}
    )
    assert outcome.failed and outcome.intent is None
    assert "complaints_total" in outcome.content["error"]
    assert "complaint_count" in outcome.content["suggestions"]


@pytest.mark.parametrize(
    ("name", "arguments", "says"),
    [
        ("run_sql", {"sql": "DROP TABLE tickets"}, "no tool"),
        ("run_query", {"metrics": ["tickets"], "sql": "SELECT * FROM read_csv('/etc/passwd')"}, "sql"),
        ("run_query", {"metrics": ["read_csv('/etc/passwd')"]}, "read_csv"),
        ("run_query", {"fields": ["ticket_id"], "dimensions": ["region"]}, "detail"),
        ("run_query", {"metrics": ["ticket_count"], "time_range": {"period": "next_century"}}, "period"),
        ("lookup_values", {"text": "x", "dimension": "pg_catalog.pg_user"}, "pg_catalog"),
        ("ask_user", {"question": "?", "options": ["only one"]}, "options"),
    ],
)
def test_invalid_calls_are_refused_with_a_message(
    tools: Toolbox, name: str, arguments: dict, says: str
) -> None:
    outcome = tools.call(name, arguments)
    assert outcome.failed and outcome.intent is None
    assert says in outcome.content["error"]


def test_a_filter_value_is_data_not_sql(tools: Toolbox, demo_db: Path) -> None:
    hostile = "华东'; DROP TABLE tickets; --"
    refused = tools.call(
        "run_query",
        {"metrics": ["ticket_count"], "filters": [{"dimension": "region", "op": "eq", "values": [hostile]}]},
    )
    assert refused.failed and "is not a value of region" in refused.content["error"]
    assert refused.content["suggestions"] == ["华东"]
    literal = tools.call(  # a record field's value is not checked against the index: it stays a literal
        "run_query",
        {"fields": ["ticket_id"], "filters": [{"field": "comment", "op": "contains", "values": [hostile]}]},
    )
    assert not literal.failed and literal.content["rows"] == []
    connection = open_read_only(demo_db)
    try:
        assert connection.execute("SELECT count(*) FROM tickets").fetchall()[0][0] == 200_000
    finally:
        connection.close()


def test_a_restricted_user_cannot_filter_on_values_outside_their_rows(layer: SemanticLayer) -> None:
    south = Toolbox(layer, build_value_index(layer, SOUTH), SOUTH, "zh")
    outcome = south.call(
        "run_query",
        {"metrics": ["ticket_count"], "filters": [{"dimension": "region", "op": "eq", "values": ["华东"]}]},
    )
    assert (
        outcome.failed and "not a value of region in the data this user may see" in outcome.content["error"]
    )


def test_queries_run_as_the_caller(layer: SemanticLayer) -> None:
    south = Toolbox(layer, build_value_index(layer, SOUTH), SOUTH, "zh")
    outcome = south.call("run_query", {"metrics": ["ticket_count"], "dimensions": ["region"]})
    assert [row[0] for row in outcome.content["rows"]] == ["华南"]


def test_with_send_rows_off_the_llm_sees_the_shape_but_no_values(layer: SemanticLayer) -> None:
    private = Toolbox(layer, build_value_index(layer), None, "zh", send_rows=False)
    outcome = private.call("run_query", {"metrics": ["ticket_count"], "dimensions": ["region"]})
    assert "rows" not in outcome.content and outcome.content["row_count"] > 1
    assert outcome.intent is not None  # the user still gets the full answer


def test_explain_change_reports_the_contributors_pandas_finds(
    tools: Toolbox, frames: dict[str, pd.DataFrame]
) -> None:
    outcome = tools.call(
        "explain_change",
        {
            "metric": "ticket_count",
            "time_range": {"start": "2026-10-01", "end": "2026-11-01"},
            "dimensions": ["region"],
        },
    )
    assert not outcome.failed and outcome.intent is not None
    assert outcome.intent.kind == "explain_change" and outcome.intent.query.compare == "previous_period"  # type: ignore[union-attr]
    tickets = frames["tickets"]
    now = _month(tickets, "2026-10-01", "2026-11-01").groupby("region").size()
    before = _month(tickets, "2026-09-01", "2026-10-01").groupby("region").size()
    change = now.sub(before, fill_value=0)
    assert outcome.content["current_value"] == len(_month(tickets, "2026-10-01", "2026-11-01"))
    top = outcome.content["top_contributors"][0]
    assert top["value"] == change.abs().idxmax() and top["change"] == pytest.approx(change[top["value"]])


def test_distribution_and_concentration_become_their_own_intents(tools: Toolbox) -> None:
    spread = tools.call(
        "run_query",
        {
            "fields": ["first_response_minutes"],
            "analysis": "distribution",
            "time_range": {"period": "last_month"},
        },
    )
    assert spread.intent is not None and spread.intent.kind == "distribution", spread.content
    shares = tools.call(
        "run_query",
        {"metrics": ["response_sla_breach_count"], "dimensions": ["region"], "analysis": "concentration"},
    )
    assert shares.intent is not None and shares.intent.kind == "concentration", shares.content


def test_ask_user_ends_the_turn_with_a_clarification(tools: Toolbox) -> None:
    outcome = tools.call(
        "ask_user", {"question": "您指的是哪个？", "options": ["本月投诉量", "本月退款金额"]}
    )
    assert outcome.intent is not None and outcome.intent.kind == "clarify"
    options = outcome.intent.clarification.options  # type: ignore[union-attr]
    assert [(o.id, o.text) for o in options] == [("option1", "本月投诉量"), ("option2", "本月退款金额")]
