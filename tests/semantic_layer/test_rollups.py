"""Rollups answer exactly as the base tables do, or not at all.

Rollups are built from a copy of the session's demo database (200k tickets) into a temporary folder.
Every query a rollup answers is also run on the base tables and the two results compared: the same
columns (names, types, labels, formats) and the same rows in the same order, integers equal, floats
within 1e-9 (relative). Questions come from the agent's eval set (planned by the built-in parser) and
from a grid over every additive metric, dimension, grain, comparison, filter and identity.
"""

from __future__ import annotations

import hashlib
import math
import os
import shutil
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlglot import exp

from agent.evaluation import EVAL_TODAY, load_cases
from agent.intent import ConversationState
from agent.parser import Planner
from agent.value_index import build_value_index
from semantic_layer.engine import DuckDBEngine
from semantic_layer.errors import UnsafeSQLError
from semantic_layer.identity import Identity
from semantic_layer.layer import SemanticLayer
from semantic_layer.loader import DEMO_MODEL_PATH, load_model, parse_model
from semantic_layer.model import SemanticModel, SimpleMetric
from semantic_layer.periods import FixedClock
from semantic_layer.query import SemanticQuery
from semantic_layer.resolve import leaf_metrics
from semantic_layer.result import QueryResult
from semantic_layer.rollups import DEFAULT_MAX_FRACTION, ROLLED_UP, Rollups

TODAY = EVAL_TODAY  # 2026-11-15, the demo database's as-of date
MODEL = load_model()
SOUTH = Identity("south", {"region": "华南"})
TWO_REGIONS = Identity("two", {"region": ("华东", "华北")})
NO_REGION = Identity("nobody", {})  # no region attribute: default deny, sees no rows
HEADQUARTERS = Identity("hq", roles=("headquarters",))  # bypasses the region policy
IDENTITIES = [None, SOUTH, TWO_REGIONS, NO_REGION, HEADQUARTERS]
# One metric of each kind: a count, a ratio and an average of tickets, an average and a derived metric
# of surveys, a ratio across the two tables.
SAMPLE_METRICS = ["ticket_count", "complaint_rate", "avg_first_response_minutes", "avg_csat", "nps",
                  "survey_response_rate"]  # fmt: skip


def additive(model: SemanticModel, name: str) -> bool:
    leaves = leaf_metrics(model, model.metric(name))
    return all(isinstance(leaf, SimpleMetric) and leaf.agg in ROLLED_UP for leaf in leaves)


def metrics_on(tables: set[str]) -> list[str]:
    return [
        m.name
        for m in MODEL.metrics
        if additive(MODEL, m.name) and {leaf.table for leaf in leaf_metrics(MODEL, m)} <= tables
    ]


TICKET_METRICS = metrics_on({"tickets", "surveys"})
CUSTOMER_METRICS = metrics_on({"customers"})
TICKET_DIMENSIONS = ["channel", "product_line", "product_model", "category", "priority", "region", "province",
                     "city", "customer_tier", "industry", "team", "agent", "shift", "status", "is_complaint",
                     "reopened", "resolution_type"]  # fmt: skip
CUSTOMER_DIMENSIONS = ["region", "province", "city", "customer_tier", "industry"]
GRAINS = [None, "day", "week", "month", "quarter", "year"]


# --- fixtures ---------------------------------------------------------------------------------------


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Built:
    source: Path
    out: Path
    rollups: Rollups
    hashes: tuple[str, str]
    """The analytics file's SHA-256 before and after the build."""
    messages: list[str]
    routed: Counter[str] = field(default_factory=Counter)


@pytest.fixture(scope="module")
def built(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    folder = tmp_path_factory.mktemp("rollups")
    source = folder / "analytics.duckdb"
    shutil.copyfile(demo_db, source)
    before = sha256(source)
    messages: list[str] = []
    out = folder / "product" / "rollups.duckdb"
    out.parent.mkdir()
    rollups = Rollups.build(MODEL, source, out, progress=messages.append)
    result = Built(source, out, rollups, (before, sha256(source)), messages)
    yield result
    print("\n" + "\n".join(f"{k}: {v}" for k, v in sorted(result.routed.items())))
    rollups.close()


@pytest.fixture(scope="module")
def base(built: Built) -> Iterator[SemanticLayer]:
    engine = DuckDBEngine(built.source)
    yield SemanticLayer(MODEL, engine, clock=FixedClock(TODAY))
    engine.close()


@pytest.fixture(scope="module")
def routed(base: SemanticLayer, built: Built) -> SemanticLayer:
    return base.with_rollups(built.rollups)


# --- comparing --------------------------------------------------------------------------------------


def assert_same_result(got: QueryResult, expected: QueryResult, context: str) -> None:
    assert got.columns == expected.columns, context
    assert len(got.rows) == len(expected.rows), context
    assert got.truncated == expected.truncated, context
    for index, (row, want) in enumerate(zip(got.rows, expected.rows, strict=True)):
        for name, value, wanted in zip([c.name for c in got.columns], row, want, strict=True):
            where = f"{context}\nrow {index} column {name}: rollup {value!r} != base {wanted!r}\n{got.sql}"
            if isinstance(wanted, float) and isinstance(value, float):
                assert math.isclose(value, wanted, rel_tol=1e-9, abs_tol=1e-12), where
            else:
                assert value == wanted and type(value) is type(wanted), where


def check(
    base: SemanticLayer,
    routed: SemanticLayer,
    query: SemanticQuery | dict[str, Any],
    identity: Identity | None = None,
) -> bool:
    """Run `query` on the base tables and through the rollups; True when a rollup answered (and
    answered the same)."""
    if isinstance(query, dict):
        query = SemanticQuery.model_validate(query)
    expected = base.query(query, identity)
    got = routed.query(query, identity)
    assert expected.source == "base"
    if got.source == "base":
        return False
    assert got.source == "rollup"
    context = f"{query.model_dump(exclude_defaults=True)} as {identity}"
    assert_same_result(got, expected, context)
    return True


def on_rollups(built: Built, query: SemanticQuery | dict[str, Any], identity: Identity | None = None) -> Any:
    """The query as compiled over the rollups, or None when it must run on the base tables."""
    if isinstance(query, dict):
        query = SemanticQuery.model_validate(query)
    return built.rollups.compile(query, identity, today=TODAY, detail_limit=1000)


def read_tables(sql_tree: exp.Expr) -> set[str]:
    return {table.name for table in sql_tree.find_all(exp.Table)}


# --- building, fingerprints, sizes ------------------------------------------------------------------


def test_building_leaves_the_analytics_database_byte_identical(built: Built) -> None:
    before, after = built.hashes
    assert before == after
    assert sorted(p.name for p in built.out.parent.iterdir()) == ["rollups.duckdb"]  # no temp files left


def test_rollups_are_small_next_to_their_base_tables(built: Built, base: SemanticLayer) -> None:
    counts = {
        table.name: base.engine.execute(f"SELECT count(*) FROM {table.source}").rows[0][0]
        for table in MODEL.tables
    }
    lines = [f"{'rollup':<20} {'table':<10} {'rows':>8} {'share':>7}  dimensions"]
    for rollup in built.rollups.rollups:
        share = rollup.rows / counts[rollup.table]
        lines.append(
            f"{rollup.name:<20} {rollup.table:<10} {rollup.rows:>8,} {share:>7.1%}  {', '.join(rollup.dimensions)}"
        )
        if rollup.dimensions:
            assert share <= DEFAULT_MAX_FRACTION, rollup
    total = sum(r.rows for r in built.rollups.rollups)
    lines.append(f"{len(built.rollups.rollups)} rollups, {total:,} rows, {built.rollups.size_bytes:,} bytes")
    lines.append(f"base: {counts}, {built.source.stat().st_size:,} bytes")
    lines.append(f"built in {built.rollups.info['build_seconds']} s")
    assert any(m.startswith("rollup_tickets_0: tickets by day: ") for m in built.messages)  # progress
    print("\n" + "\n".join(lines))
    tables = {r.table for r in built.rollups.rollups}
    assert tables == {"tickets", "surveys", "customers"}
    for table in tables:  # each has a rollup by day alone
        assert () in {r.dimensions for r in built.rollups.rollups if r.table == table}
    ticket_rollups = {r.dimensions for r in built.rollups.rollups if r.table == "tickets"}
    assert ticket_rollups >= {("region",), ("priority", "region"), ("channel",)}
    assert ("product_line", "product_model") in ticket_rollups  # a model determines its product line
    assert built.rollups.leaves["tickets"] >= {
        "ticket_count",
        "complaint_count",
        "avg_first_response_minutes",
    }
    assert "active_agent_count" not in built.rollups.leaves["tickets"]  # distinct counts do not add up
    assert "median_first_response_minutes" not in built.rollups.leaves["tickets"]


def test_open_returns_the_rollups_only_while_source_and_model_are_unchanged(built: Built) -> None:
    opened = Rollups.open(MODEL, built.source, built.out)
    assert opened is not None and opened.info["build_id"] == built.rollups.info["build_id"]
    opened.close()

    stat = built.source.stat()
    os.utime(built.source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    try:
        assert Rollups.open(MODEL, built.source, built.out) is None  # the data may have changed
    finally:
        os.utime(built.source, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    reopened = Rollups.open(MODEL, built.source, built.out)
    assert reopened is not None
    reopened.close()

    other = built.out.parent / "other.duckdb"
    shutil.copyfile(built.source, other)
    try:
        assert Rollups.open(MODEL, other, built.out) is None  # another database
    finally:
        other.unlink()

    text = DEMO_MODEL_PATH.read_text(encoding="utf-8")
    redefined = parse_model(
        text.replace("filter: is_complaint\n", "filter: is_complaint AND priority = 'P1'\n")
    )
    assert Rollups.open(redefined, built.source, built.out) is None  # a metric means something else
    relabelled = parse_model(
        text.replace("label: {zh: 投诉量, en: Complaints}", "label: {zh: 客诉, en: Grievances}")
    )
    kept = Rollups.open(relabelled, built.source, built.out)  # labels do not change what rollups hold
    assert kept is not None and kept.model is relabelled
    kept.close()

    assert Rollups.open(MODEL, built.source, built.out.parent / "missing.duckdb") is None
    garbage = built.out.parent / "garbage.duckdb"
    garbage.write_bytes(b"not a database" * 100)
    try:
        assert Rollups.open(MODEL, built.source, garbage) is None
    finally:
        garbage.unlink()


def test_the_rollups_engine_is_read_only_and_limited_to_rollup_tables(built: Built) -> None:
    engine = built.rollups.engine
    with pytest.raises(UnsafeSQLError):
        engine.execute("CREATE TABLE x AS SELECT 1", allowed_tables=built.rollups.tables)
    with pytest.raises(UnsafeSQLError):
        engine.execute("SELECT * FROM rollup_metadata", allowed_tables=built.rollups.tables)


def test_a_layer_refuses_rollups_of_another_model(built: Built, base: SemanticLayer) -> None:
    text = DEMO_MODEL_PATH.read_text(encoding="utf-8")
    other = parse_model(text.replace("filter: reopened\n", "filter: reopened AND contact_count > 1\n"))
    with pytest.raises(ValueError, match="another model"):
        SemanticLayer(other, base.engine, rollups=built.rollups)


def test_closed_rollups_leave_questions_to_the_base_tables(built: Built, base: SemanticLayer) -> None:
    rollups = Rollups.open(MODEL, built.source, built.out)
    assert rollups is not None
    layer = base.with_rollups(rollups)
    query = SemanticQuery(metrics=("ticket_count",), time_range={"period": "this_month"})
    assert layer.query(query).source == "rollup"
    rollups.close()
    result = layer.query(query)
    assert result.source == "base" and result.rows == base.query(query).rows


@pytest.mark.parametrize("steps", [1, 3, 6])
def test_a_process_exiting_during_a_background_build_stops_it_cleanly(
    steps: int, built: Built, tmp_path: Path
) -> None:
    """A build thread still inside DuckDB when Python finalizes -- or one destroying its connection
    then -- would abort the process (exit 134). The process exits after `steps` rollups were built,
    mid-way through the next, the way the server's background build ends at shutdown."""
    script = textwrap.dedent(
        f"""
        import logging
        import threading
        from pathlib import Path
        from semantic_layer.engine import DuckDBEngine
        from semantic_layer.identity import LOCAL_IDENTITY
        from semantic_layer.layer import SemanticLayer
        from semantic_layer.loader import load_model
        from server.state import ServerState

        logging.basicConfig()
        steps = threading.Event()
        done = []

        class Counting(logging.Handler):
            def emit(self, record):
                done.append(record)
                if len(done) > {steps}:
                    steps.set()

        logging.getLogger("chatbi.server").addHandler(Counting())
        logging.getLogger("chatbi.server").setLevel(logging.INFO)
        source = Path({str(built.source)!r})
        state = ServerState(SemanticLayer(load_model(), DuckDBEngine(source)), data_as_of=None)
        state.start_rollups(source, Path({str(tmp_path / "r.duckdb")!r}), state.layer.engine.settings)
        state.build_rollups()
        assert steps.wait(60)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert list(tmp_path.iterdir()) == []  # no rollups file, no temporary file


# --- exactness: the eval set ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def eval_queries(base: SemanticLayer) -> list[SemanticQuery]:
    planner = Planner(MODEL, build_value_index(base), FixedClock(TODAY))
    queries = []
    for case in load_cases(Path(__file__).parent.parent / "agent" / "eval"):
        state = ConversationState()
        for turn in case["turns"]:
            plan = planner.plan(turn["q"], state)
            state = plan.state
            if plan.intent.kind == "metric" and plan.intent.query is not None:
                queries.append(plan.intent.query)
    for verified in MODEL.verified_questions:
        query = SemanticQuery.model_validate(verified.query)
        if not query.is_detail:
            queries.append(query)
    return queries


def test_every_eval_question_a_rollup_answers_is_answered_exactly(
    built: Built, base: SemanticLayer, routed: SemanticLayer, eval_queries: list[SemanticQuery]
) -> None:
    additive_count = routed_count = 0
    for query in eval_queries:
        is_additive = all(additive(MODEL, m) for m in query.metrics)
        if not is_additive:
            assert on_rollups(built, query) is None, f"{query} needs the base tables"
            continue
        additive_count += 1
        routed_count += check(base, routed, query)
    built.routed["eval: additive questions"] = additive_count
    built.routed["eval: answered from rollups"] = routed_count
    assert len(eval_queries) >= 300
    assert routed_count >= 0.5 * additive_count, f"{routed_count} of {additive_count}"


def test_non_additive_metrics_and_detail_lists_never_use_rollups(built: Built) -> None:
    for name in ["median_first_response_minutes", "p90_first_response_minutes", "active_agent_count",
                 "backlog_count"]:  # fmt: skip
        for query in [
            {"metrics": [name]},
            {"metrics": [name, "ticket_count"], "dimensions": ["region"], "time_range": {"period": "this_month"}},
            {"metrics": [name], "dimensions": [{"name": "created_date", "grain": "month"}],
             "time_range": {"period": "last_12_months"}, "compare": "previous_period"},
        ]:  # fmt: skip
            assert on_rollups(built, query) is None, query
    assert (
        on_rollups(built, {"fields": ["ticket_id", "region"], "time_range": {"period": "this_week"}}) is None
    )
    # Grouped by the raw timestamp, or filtered by a record field or a time: finer than a day.
    for query in [
        {"metrics": ["ticket_count"], "dimensions": ["created_date"]},
        {"metrics": ["ticket_count"], "filters": [{"field": "csat_score", "op": "lte", "values": [2]}]},
        {"metrics": ["ticket_count"], "filters": [{"dimension": "created_date", "op": "gte",
                                                   "values": ["2026-01-01 12:00:00"]}]},
    ]:  # fmt: skip
        assert on_rollups(built, query) is None, query


# --- exactness: the grid ----------------------------------------------------------------------------


def covered(built: Built, dimensions: set[str], tables: tuple[str, ...] = ("tickets", "surveys")) -> bool:
    """Whether each of `tables` has a rollup holding all of `dimensions`."""
    return all(
        any(dimensions <= set(r.dimensions) for r in built.rollups.rollups if r.table == table)
        for table in tables
    )


# Time ranges by grain (fine grains over short ranges, so that results stay small), in rotation.
RANGES_BY_GRAIN: dict[str | None, list[dict[str, str] | None]] = {
    None: [{"period": "this_month"}, {"start": "2025-02-10", "end": "2025-05-17"}, None],
    "day": [
        {"period": "last_7_days"},
        {"period": "this_month"},
        {"start": "2025-02-24", "end": "2025-03-03"},
    ],
    "week": [
        {"period": "this_quarter"},
        {"period": "last_8_weeks"},
        {"start": "2024-12-29", "end": "2025-02-02"},
    ],
    "month": [
        {"period": "last_12_months"},
        {"period": "year_to_date"},
        {"start": "2025-03-15", "end": "2025-08-15"},
    ],
    "quarter": [{"period": "this_year"}, {"period": "last_quarter"}, {"period": "last_12_months"}],
    "year": [{"period": "year_to_date"}, {"start": "2025-01-01", "end": "2026-01-01"}, None],
}
COMPARES = [None, "previous_period", "same_period_last_year"]


@pytest.mark.parametrize("dimension", [None, *TICKET_DIMENSIONS])
def test_every_additive_metric_by_each_dimension_and_grain(
    built: Built, base: SemanticLayer, routed: SemanticLayer, dimension: str | None
) -> None:
    """Every ticket and survey metric in one query per grain (time ranges rotate)."""
    count = 0
    for index, grain in enumerate(GRAINS):
        turn = index + len(dimension or "")
        compare = COMPARES[1 + turn % 2] if turn % 6 == 0 else None  # comparisons are tested below
        time_range = RANGES_BY_GRAIN[grain][turn % 3] or (
            None if compare is None else {"period": "last_quarter"}
        )
        dims: list[Any] = ([dimension] if dimension else []) + (
            [{"name": "created_date", "grain": grain}] if grain else []
        )
        query: dict[str, Any] = {"metrics": TICKET_METRICS, "dimensions": dims, "compare": compare}
        if time_range:
            query["time_range"] = time_range
        if index % 2:
            query["order_by"] = [{"field": "complaint_count", "desc": True}]
            query["limit"] = 25
        routed_here = check(base, routed, query)
        assert routed_here == covered(built, {dimension} if dimension else set()), query
        count += routed_here
    built.routed["grid: metric x dimension x grain"] += count


@pytest.mark.parametrize("grain", GRAINS)
def test_every_grain_with_every_comparison_and_range(
    built: Built, base: SemanticLayer, routed: SemanticLayer, grain: str | None
) -> None:
    metrics = ["ticket_count", "complaint_rate", "avg_first_response_minutes", "nps", "survey_response_rate"]
    count = 0
    for compare in COMPARES:
        for index, time_range in enumerate(RANGES_BY_GRAIN[grain]):
            if time_range is None and compare:
                continue
            dims: list[Any] = (
                [["region", "channel", "priority"][index]] if compare != "previous_period" else []
            )
            if grain:
                dims.append({"name": "created_date", "grain": grain})
            query: dict[str, Any] = {"metrics": metrics, "dimensions": dims, "compare": compare}
            if time_range:
                query["time_range"] = time_range
            assert check(base, routed, query), query
            count += 1
    built.routed["grid: grain x compare x range"] += count


@pytest.mark.parametrize("metric", [m.name for m in MODEL.metrics if additive(MODEL, m.name)])
def test_each_additive_metric_alone(
    built: Built, base: SemanticLayer, routed: SemanticLayer, metric: str
) -> None:
    tables = {leaf.table for leaf in leaf_metrics(MODEL, MODEL.metric(metric))}
    dimension = "customer_tier" if tables == {"customers"} else "channel"
    queries: list[dict[str, Any]] = [
        {"metrics": [metric]},
        {"metrics": [metric], "dimensions": [{"name": "created_date", "grain": "week"}],
         "time_range": {"period": "last_3_months"}, "compare": "same_period_last_year"},
        {"metrics": [metric], "dimensions": [dimension, {"name": "created_date", "grain": "month"}],
         "time_range": {"start": "2025-06-01", "end": "2025-09-01"}, "compare": "previous_period",
         "order_by": [{"field": f"{metric}__change", "desc": True}], "limit": 5},
    ]  # fmt: skip
    for query in queries:
        assert check(base, routed, query), query
    built.routed["each additive metric alone"] += len(queries)


@pytest.mark.parametrize("dimension", CUSTOMER_DIMENSIONS)
def test_customer_metrics_by_their_own_dimensions(
    built: Built, base: SemanticLayer, routed: SemanticLayer, dimension: str
) -> None:
    count = 0
    for grain, compare, time_range in [
        (None, None, None),
        ("month", None, {"period": "last_12_months"}),
        ("quarter", "same_period_last_year", {"period": "this_year"}),
        ("week", "previous_period", {"period": "this_month"}),
        ("day", None, {"start": "2026-03-03", "end": "2026-03-19"}),
    ]:
        dims: list[Any] = [dimension] + ([{"name": "created_date", "grain": grain}] if grain else [])
        query: dict[str, Any] = {"metrics": CUSTOMER_METRICS, "dimensions": dims, "compare": compare}
        if time_range:
            query["time_range"] = time_range
        count += check(base, routed, query)
    built.routed["grid: customer metrics"] += count


def test_metrics_of_several_tables_in_one_question(
    built: Built, base: SemanticLayer, routed: SemanticLayer
) -> None:
    queries: list[dict[str, Any]] = [
        {"metrics": ["survey_response_rate", "ticket_count", "avg_csat"], "dimensions": ["region"],
         "time_range": {"period": "last_12_months"}},
        {"metrics": ["customer_count", "ticket_count", "repurchase_rate"], "dimensions": ["customer_tier"],
         "time_range": {"period": "this_year"}, "compare": "same_period_last_year"},
        {"metrics": ["customer_count", "complaint_rate"], "dimensions": ["customer_tier",
         {"name": "created_date", "grain": "quarter"}], "time_range": {"period": "last_12_months"}},
        {"metrics": ["nps", "survey_response_rate"], "dimensions": [{"name": "created_date", "grain": "month"}],
         "time_range": {"period": "year_to_date"}, "compare": "previous_period"},
    ]  # fmt: skip
    count = sum(check(base, routed, query) for query in queries)
    assert count == len(queries)
    built.routed["several tables"] += count


FILTERS: list[list[dict[str, Any]]] = [
    [{"dimension": "region", "op": "eq", "values": ["华南"]}],
    [{"dimension": "channel", "op": "ne", "values": ["电话"]}],
    [{"dimension": "priority", "op": "in", "values": ["P1", "P2"]}],
    [{"dimension": "product_line", "op": "not_in", "values": ["空调", "冰箱"]}],
    [{"dimension": "city", "op": "contains", "values": ["州"]}],
    [{"dimension": "province", "op": "between", "values": ["广东", "江苏"]}],
    [{"dimension": "is_complaint", "op": "eq", "values": ["true"]}],
    [{"dimension": "resolution_type", "op": "eq", "values": [None]}],  # NULL: tickets not resolved yet
    [{"dimension": "resolution_type", "op": "not_in", "values": ["自助"]}],  # keeps NULLs
    [{"dimension": "customer_tier", "op": "eq", "values": ["VIP"]}, {"dimension": "region", "op": "in",
     "values": ["华南", "华东"]}],
    [{"dimension": "product_model", "op": "eq", "values": ["AC-300"]}],
    [{"dimension": "region", "op": "eq", "values": ["nowhere"]}],  # no rows at all
]  # fmt: skip


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: "+".join(c["dimension"] for c in f))
def test_filters_and_metric_conditions(
    built: Built, base: SemanticLayer, routed: SemanticLayer, filters: list[dict[str, Any]]
) -> None:
    dims = {c["dimension"] for c in filters}
    group = next(d for d in ["channel", "priority", "region", "product_line"] if d not in dims)
    metrics = ["ticket_count", "complaint_count", "complaint_rate", "avg_first_response_minutes", "avg_csat"]
    queries: list[dict[str, Any]] = [
        {"metrics": metrics, "filters": filters, "time_range": {"period": "last_12_months"}},
        {"metrics": metrics, "dimensions": [group], "filters": filters, "time_range": {"period": "this_month"},
         "compare": "previous_period"},
        {"metrics": metrics, "dimensions": [{"name": "created_date", "grain": "month"}],
         "filters": [*filters, {"metric": "ticket_count", "op": "gt", "values": [50]}],
         "time_range": {"period": "last_12_months"}, "order_by": [{"field": "complaint_rate", "desc": True}],
         "limit": 5},
        {"metrics": metrics, "dimensions": [group], "compare": "same_period_last_year",
         "filters": [*filters, {"metric": "avg_csat", "op": "lt", "values": [4.2]},
                     {"metric": "complaint_count", "op": "between", "values": [1, 100000]}],
         "time_range": {"period": "last_quarter"}, "order_by": [{"field": "complaint_count__change", "desc": True}]},
    ]  # fmt: skip
    count = 0
    for query in queries:
        needed = dims | ({group} if query.get("dimensions") and query["dimensions"][0] == group else set())
        routed_here = check(base, routed, query)
        assert routed_here == covered(built, needed), query
        count += routed_here
    built.routed["filters and HAVING"] += count


@pytest.mark.parametrize("identity", IDENTITIES, ids=lambda i: i.user_id if i else "none")
def test_access_policies_apply_to_rollups(
    built: Built, base: SemanticLayer, routed: SemanticLayer, identity: Identity | None
) -> None:
    count = 0
    dimensions = [None, "region", "channel", "priority", "product_model", "city", "customer_tier"]
    for index, dimension in enumerate(dimensions):
        for metrics in (SAMPLE_METRICS, CUSTOMER_METRICS):
            if metrics is CUSTOMER_METRICS and dimension not in (None, *CUSTOMER_DIMENSIONS):
                continue
            query: dict[str, Any] = {
                "metrics": metrics,
                "dimensions": ([dimension] if dimension else [])
                + [{"name": "created_date", "grain": "month"}],
                "time_range": {"period": "last_quarter"},
                "compare": COMPARES[index % 3],
            }
            count += check(base, routed, query, identity)
            compiled = on_rollups(built, query, identity)
            if compiled is not None and identity not in (None, HEADQUARTERS):
                by_name = {r.name: r for r in built.rollups.rollups}
                for name in read_tables(compiled.expression) & set(by_name):
                    assert "region" in by_name[name].dimensions, f"{name} cannot apply the region policy"
    built.routed[f"identity {identity.user_id if identity else None}"] += count
    if identity is NO_REGION:
        assert count > 0  # default deny holds on rollups too (compared above: no rows)


def test_restricted_users_never_read_a_rollup_without_their_policy_dimension(built: Built) -> None:
    for rollup in built.rollups.rollups:
        metric = {"surveys": "survey_count", "customers": "customer_count"}.get(rollup.table, "ticket_count")
        query = {
            "metrics": [metric],
            "dimensions": list(rollup.dimensions),
            "time_range": {"period": "this_year"},
        }
        for identity in (SOUTH, NO_REGION):
            compiled = on_rollups(built, query, identity)
            if "region" not in rollup.dimensions:
                used = read_tables(compiled.expression) if compiled else set()
                assert rollup.name not in used


def test_weeks_starting_on_sunday(built: Built) -> None:
    text = DEMO_MODEL_PATH.read_text(encoding="utf-8")
    sunday = parse_model(text.replace("week_start: monday", "week_start: sunday"))
    rollups = Rollups.open(sunday, built.source, built.out)  # the week start does not change a day
    assert rollups is not None
    engine = DuckDBEngine(built.source)
    try:
        base = SemanticLayer(sunday, engine, clock=FixedClock(TODAY))
        routed = base.with_rollups(rollups)
        count = 0
        for dimension in [None, "channel", "region"]:
            for compare in [None, "previous_period", "same_period_last_year"]:
                for time_range in [{"period": "this_week"}, {"period": "last_8_weeks"},
                                   {"start": "2025-12-24", "end": "2026-01-18"}]:  # fmt: skip
                    dims: list[Any] = [{"name": "created_date", "grain": "week"}]
                    query = {"metrics": SAMPLE_METRICS, "dimensions": dims + ([dimension] if dimension else []),
                             "time_range": time_range, "compare": compare}  # fmt: skip
                    assert check(base, routed, query, SOUTH if dimension == "region" else None), query
                    count += 1
        sql = routed.query(SemanticQuery.model_validate(query)).sql
        assert "INTERVAL '1' DAY" in sql  # the Sunday week bucket
        built.routed["weeks from Sunday"] += count
    finally:
        rollups.close()
        engine.close()


EXTRA_METRICS = """
  - {name: total_contacts, table: tickets, agg: sum, expr: contact_count, format: count}
  - {name: complaint_contacts, table: tickets, agg: sum, expr: contact_count, filter: is_complaint}
  - {name: total_resolution_hours, table: tickets, agg: sum, expr: "date_diff('second', created_at, resolved_at) / 3600.0"}
  - {name: weighted_contacts, table: tickets, agg: sum, expr: "CAST(contact_count AS DECIMAL(10, 2)) * 1.25"}
  - {name: longest_resolution_hours, table: tickets, agg: max, expr: "date_diff('second', created_at, resolved_at) / 3600.0"}
  - {name: first_ticket_at, table: tickets, agg: min, expr: created_at}
  - {name: last_channel, table: tickets, agg: max, expr: channel, filter: priority = 'P1'}
  - {name: lowest_csat, table: surveys, agg: min, expr: csat_score}
  - {name: avg_contacts_of_complaints, table: tickets, agg: avg, expr: contact_count, filter: is_complaint}
  - {name: contacts_per_ticket, type: ratio, numerator: total_contacts, denominator: ticket_count}
  - {name: csat_points, table: surveys, agg: sum, expr: csat_score}
  - {name: csat_points_per_resolved, type: ratio, numerator: csat_points, denominator: resolved_ticket_count}
"""


def test_sums_minimums_maximums_and_averages_of_every_type(built: Built, tmp_path: Path) -> None:
    """Sums (of integers, decimals and doubles, filtered or not), minimums and maximums (of numbers,
    times and text) and averages of integers re-aggregate to the base's values and types."""
    text = DEMO_MODEL_PATH.read_text(encoding="utf-8")
    model = parse_model(text.replace("\nverified_questions:", EXTRA_METRICS + "\nverified_questions:"))
    extra = [line.split("name: ")[1].split(",")[0] for line in EXTRA_METRICS.strip().splitlines()]
    numeric = [name for name in extra if name not in ("first_ticket_at", "last_channel")]  # comparable
    rollups = Rollups.build(model, built.source, tmp_path / "extra.duckdb", dimensions=["region", "channel"])
    engine = DuckDBEngine(built.source)
    try:
        assert all(additive(model, name) for name in extra)
        base = SemanticLayer(model, engine, clock=FixedClock(TODAY))
        routed = base.with_rollups(rollups)
        for identity in (None, SOUTH):
            for query in [
                {"metrics": extra},
                {"metrics": numeric, "dimensions": ["region"], "time_range": {"period": "this_month"},
                 "compare": "previous_period"},
                {"metrics": numeric, "dimensions": [{"name": "created_date", "grain": "quarter"}],
                 "time_range": {"period": "last_12_months"}, "compare": "same_period_last_year",
                 "filters": [{"metric": "total_contacts", "op": "gt", "values": [100]}]},
                {"metrics": extra, "dimensions": [{"name": "created_date", "grain": "week"}],
                 "time_range": {"period": "last_8_weeks"}, "order_by": [{"field": "weighted_contacts", "desc": True}],
                 "limit": 3},
            ]:  # fmt: skip
                assert check(base, routed, query, identity), query
    finally:
        rollups.close()
        engine.close()


@pytest.mark.parametrize("metric", ["avg_csat", "complaint_rate", "ticket_count"])
def test_why_analyses_answer_from_rollups_exactly(
    metric: str, base: SemanticLayer, routed: SemanticLayer
) -> None:
    """An average's explanation adds a helper metric (the count of its values); the rollups answer it
    from the average's own count block, so every per-dimension query of the analysis is a rollup's."""
    from agent.insights.explain import explain_change

    query = SemanticQuery.model_validate(
        {
            "metrics": [metric],
            "time_range": {"start": "2026-07-01", "end": "2026-08-01"},
            "compare": "previous_period",
        }
    )
    expected = explain_change(base, query)
    got = explain_change(routed, query)
    assert expected.drivers, "the demo's July change has drivers"
    close = lambda a, b: a == b or (a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9))  # noqa: E731
    assert close(got.current_value, expected.current_value) and close(got.change, expected.change)
    assert [d.dimension for d in got.drivers] == [d.dimension for d in expected.drivers]
    for mine, theirs in zip(got.drivers, expected.drivers, strict=True):
        assert [c.value for c in mine.contributions] == [c.value for c in theirs.contributions]
        assert all(
            close(a.change, b.change) for a, b in zip(mine.contributions, theirs.contributions, strict=True)
        )
    assert [(s.dimensions, s.values) for s in got.segments] == [
        (s.dimensions, s.values) for s in expected.segments
    ]
    rollups = routed.rollups
    assert rollups is not None
    from_rollups = [sql for sql in got.sql if any(table in sql for table in rollups.tables)]
    tables = {leaf.table for leaf in leaf_metrics(MODEL, MODEL.metric(metric))}
    covered = {d for r in rollups.rollups if r.table in tables for d in r.dimensions}
    # the total, and each dimension some rollup of the metric's tables holds (the others are too fine
    # for a rollup at 200k tickets and stay on the base tables)
    assert len(from_rollups) >= 1 + sum(d.dimension in covered for d in got.drivers) > 1
