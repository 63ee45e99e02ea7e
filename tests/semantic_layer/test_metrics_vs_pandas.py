"""Every number the semantic layer computes, checked against an independent pandas computation.

`reference.py` recomputes each metric from the raw tables of the demo database with pandas merges,
masks and groupby, from the definitions in DESIGN.md section 3 and the model's descriptions. These
tests run the same questions through `SemanticLayer.query` and compare whole result sets: the same
groups, counts equal, floats within 1e-9 (relative), percentiles within 1e-6.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from semantic_layer.engine import DuckDBEngine
from semantic_layer.layer import SemanticLayer
from semantic_layer.loader import load_model
from semantic_layer.model import SemanticModel
from semantic_layer.periods import FixedClock
from semantic_layer.query import SemanticQuery
from semantic_layer.result import QueryResult

from . import reference as ref
from .reference import Condition, Query, Reference, iso

TODAY = date(2026, 11, 15)  # the demo database's as-of date (tests/conftest.py)
PERCENTILES = {"median_first_response_minutes", "p90_first_response_minutes"}

# --- fixtures ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def db_path(demo_db: Path) -> Path:
    return demo_db


MODEL = load_model()


@pytest.fixture(scope="module")
def model() -> SemanticModel:
    return MODEL


@pytest.fixture(scope="module")
def layer(model: SemanticModel, db_path: Path) -> Iterator[SemanticLayer]:
    engine = DuckDBEngine(db_path)
    yield SemanticLayer(model, engine, clock=FixedClock(TODAY))
    engine.close()


@pytest.fixture(scope="module")
def raw_copy(db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the database for pandas and plain SQL: DuckDB refuses a second connection to
    a file the product's engine (or another test's) already holds with a different configuration."""
    copy = tmp_path_factory.mktemp("reference") / db_path.name
    shutil.copyfile(db_path, copy)
    wal = db_path.with_name(db_path.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, copy.with_name(copy.name + ".wal"))
    return copy


@pytest.fixture(scope="module")
def pandas_ref(raw_copy: Path) -> Reference:
    return Reference(raw_copy, TODAY)


# --- helpers ----------------------------------------------------------------------------------------


def run(layer: SemanticLayer, spec: dict[str, Any]) -> QueryResult:
    return layer.query(SemanticQuery.model_validate(spec))


def dims_of(spec: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [
        (d, None) if isinstance(d, str) else (d["name"], d.get("grain")) for d in spec.get("dimensions", [])
    ]


def reference_query(spec: dict[str, Any], start: Any = None, end: Any = None) -> Query:
    """The reference's view of a SemanticQuery; `start`/`end` override a relative period."""
    filters = spec.get("filters", [])
    where = [
        Condition(f.get("dimension") or f["field"], f["op"], tuple(f["values"]))
        for f in filters
        if "metric" not in f
    ]
    having = [Condition(f["metric"], f["op"], tuple(f["values"])) for f in filters if "metric" in f]
    time_range = spec.get("time_range") or {}
    return Query(
        metrics=list(spec["metrics"]),
        dimensions=dims_of(spec),
        where=where,
        start=start or time_range.get("start"),
        end=end or time_range.get("end"),
        having=having,
    )


def _none_last(value: Any) -> tuple[bool, Any]:
    return (value is None, value)


def _row_key(row: Sequence[Any], width: int) -> tuple[Any, ...]:
    return tuple(_none_last(v) for v in row[:width])


def close_to(column: str, actual: Any, expected: Any) -> bool:
    """Counts exactly, percentiles within 1e-6, every other number within 1e-9 relative."""
    if expected is None or actual is None:
        return expected is None and actual is None
    metric, _, part = column.partition("__")
    if metric in ref.COUNT_METRICS and part in ("", "previous", "change"):
        return isinstance(actual, int) and not isinstance(actual, bool) and actual == expected
    if isinstance(expected, str) or isinstance(actual, str):
        return actual == expected
    if metric in PERCENTILES:
        return actual == pytest.approx(expected, rel=1e-9, abs=1e-6)
    return actual == pytest.approx(expected, rel=1e-9, abs=1e-12)


def assert_same(
    result: QueryResult,
    expected: list[dict[str, Any]],
    dims: Sequence[str],
    values: Sequence[str],
    *,
    ordered: bool = False,
) -> None:
    """The result holds exactly the expected rows (sorted by the dimensions unless `ordered`): the
    dimension columns first, then the value columns, each value read under its column's name."""
    names = [c.name for c in result.columns]
    assert names[: len(dims)] == list(dims)
    assert sorted(names[len(dims) :]) == sorted(values)
    width = len(dims)
    want = [[iso(row[d]) for d in dims] + [row[v] for v in values] for row in expected]
    got = [[record[n] for n in [*dims, *values]] for record in result.records()]
    if not ordered:
        want.sort(key=lambda r: _row_key(r, width))
        got.sort(key=lambda r: _row_key(r, width))
    assert [r[:width] for r in got] == [r[:width] for r in want], "the result's groups differ from pandas'"
    mismatches = [
        (g[:width], name, g[width + i], w[width + i])
        for g, w in zip(got, want, strict=True)
        for i, name in enumerate(values)
        if not close_to(name, g[width + i], w[width + i])
    ]
    assert not mismatches, (
        f"{len(mismatches)} values differ (group, column, product, pandas): {mismatches[:10]}"
    )


def check(layer: SemanticLayer, pandas_ref: Reference, spec: dict[str, Any], **range_: Any) -> QueryResult:
    """Run `spec` through the product and through pandas; assert the same rows."""
    result = run(layer, spec)
    expected = pandas_ref.evaluate(reference_query(spec, **range_))
    dims = [name for name, _ in dims_of(spec)]
    assert_same(result, expected, dims, spec["metrics"])
    return result


def table_of(metric: str) -> str:
    return ref.metric_table(metric)


# --- 1. every metric, overall -----------------------------------------------------------------------

ALL_METRICS = list(ref.METRICS)


def test_reference_covers_every_metric_of_the_model(model: SemanticModel) -> None:
    assert sorted(m.name for m in model.metrics) == sorted(ref.METRICS)


@pytest.mark.parametrize("metric", ALL_METRICS)
def test_metric_overall(layer: SemanticLayer, pandas_ref: Reference, metric: str) -> None:
    result = check(layer, pandas_ref, {"metrics": [metric]})
    assert len(result.rows) == 1


def test_overall_values_are_plausible(layer: SemanticLayer, pandas_ref: Reference) -> None:
    """Guards against a vacuous comparison (both sides empty or NULL)."""
    result = run(layer, {"metrics": ALL_METRICS}).records()[0]
    assert all(result[m] is not None for m in ALL_METRICS), result
    assert result["ticket_count"] == len(pandas_ref.raw["tickets"])
    assert result["survey_count"] == len(pandas_ref.raw["surveys"])
    assert result["customer_count"] == len(pandas_ref.raw["customers"])
    assert 1 <= result["avg_csat"] <= 5 and -100 <= result["nps"] <= 100
    for rate in (
        "complaint_rate",
        "resolution_rate",
        "survey_response_rate",
        "repurchase_rate",
        "churn_rate",
    ):
        assert 0 < result[rate] < 1


# --- 2. every metric by a dimension, including dimensions of a joined table -------------------------

BREAKDOWNS = {
    # ticket metrics: by a customer attribute (each ticket counted once) and by their own region
    "tickets": ("customer_tier", "region"),
    # survey metrics: by a customer attribute (two joins away) and by their ticket's channel
    "surveys": ("customer_tier", "channel"),
    # customer metrics: only by the customer's own attributes (region = home_region)
    "customers": ("region", "customer_tier", "city"),
}
BY_DIMENSION = [(m, d) for m in ALL_METRICS for d in BREAKDOWNS[table_of(m)]]
BY_DIMENSION += [("survey_response_rate", "customer_tier"), ("survey_response_rate", "channel")]


@pytest.mark.parametrize(("metric", "dimension"), sorted(set(BY_DIMENSION)))
def test_metric_by_dimension(
    layer: SemanticLayer, pandas_ref: Reference, metric: str, dimension: str
) -> None:
    result = check(layer, pandas_ref, {"metrics": [metric], "dimensions": [dimension]})
    assert len(result.rows) >= 2


@pytest.mark.parametrize("metric", ["ticket_count", "survey_count", "customer_count", "complaint_count"])
def test_breakdown_by_joined_dimension_adds_up(layer: SemanticLayer, metric: str) -> None:
    """Grouping by an attribute of a joined table neither drops nor repeats rows."""
    total = run(layer, {"metrics": [metric]}).rows[0][0]
    by_tier = run(layer, {"metrics": [metric], "dimensions": ["customer_tier"]})
    assert sum(by_tier.column_values(metric)) == total


# --- 3. every metric over a time range, and as a monthly series -------------------------------------

SUMMER = {"start": "2026-06-01", "end": "2026-09-01"}


@pytest.mark.parametrize("metric", ALL_METRICS)
def test_metric_over_time_range(layer: SemanticLayer, pandas_ref: Reference, metric: str) -> None:
    check(layer, pandas_ref, {"metrics": [metric], "time_range": SUMMER})


@pytest.mark.parametrize("metric", ALL_METRICS)
def test_metric_monthly_series(layer: SemanticLayer, pandas_ref: Reference, metric: str) -> None:
    spec = {
        "metrics": [metric],
        "dimensions": [{"name": "created_date", "grain": "month"}],
        "time_range": SUMMER,
    }
    result = check(layer, pandas_ref, spec)
    assert result.column_values("created_date") == ["2026-06-01", "2026-07-01", "2026-08-01"]


@pytest.mark.parametrize(
    ("metrics", "grain", "time_range", "extra_dims"),
    [
        (["ticket_count", "avg_first_response_minutes", "resolution_rate"], "week", SUMMER, []),
        (["avg_csat", "nps", "survey_response_rate"], "week", SUMMER, ["channel"]),
        (
            ["ticket_count", "complaint_rate", "p90_first_response_minutes"],
            "day",
            {"start": "2026-10-28", "end": "2026-11-04"},
            [],
        ),
        (
            ["ticket_count", "avg_csat", "resolution_rate"],
            "quarter",
            {"start": "2025-07-01", "end": "2026-07-01"},
            [],
        ),
        (
            ["customer_count", "repurchase_rate", "churn_rate"],
            "month",
            {"start": "2026-01-01", "end": "2026-07-01"},
            ["region"],
        ),
        (["customer_count", "churn_rate"], "year", None, []),
        (["ticket_count", "complaint_rate", "avg_csat"], "year", None, ["customer_tier"]),
        (
            ["ticket_count", "median_first_response_minutes"],
            "month",
            {"start": "2026-09-01", "end": "2026-12-01"},
            ["priority"],
        ),
    ],
    ids=[
        "week",
        "week-by-channel",
        "day",
        "quarter",
        "customers-month-by-region",
        "customers-year",
        "year-by-tier",
        "month-by-priority",
    ],
)
def test_series_by_grain(
    layer: SemanticLayer,
    pandas_ref: Reference,
    metrics: list[str],
    grain: str,
    time_range: dict[str, str] | None,
    extra_dims: list[str],
) -> None:
    spec: dict[str, Any] = {
        "metrics": metrics,
        "dimensions": [{"name": "created_date", "grain": grain}, *extra_dims],
    }
    if time_range:
        spec["time_range"] = time_range
    result = check(layer, pandas_ref, spec)
    assert result.rows


@pytest.mark.parametrize(
    "time_range",
    [{"start": "2026-10-01"}, {"end": "2025-03-01"}],
    ids=["from-october", "until-march-2025"],
)
@pytest.mark.parametrize(
    "metrics",
    [
        ["ticket_count", "avg_first_response_minutes", "avg_csat", "survey_response_rate", "customer_count"],
        ["backlog_count"],
    ],
    ids=["mix", "backlog"],
)
def test_open_ended_time_range(
    layer: SemanticLayer, pandas_ref: Reference, metrics: list[str], time_range: dict[str, str]
) -> None:
    check(layer, pandas_ref, {"metrics": metrics, "time_range": time_range})


def test_relative_period_resolves_against_the_clock(layer: SemanticLayer, pandas_ref: Reference) -> None:
    spec = {
        "metrics": ["ticket_count", "avg_csat", "customer_count"],
        "time_range": {"period": "last_3_months"},
    }
    check(layer, pandas_ref, spec, start="2026-09-01", end="2026-12-01")
    spec = {"metrics": ["ticket_count", "avg_csat"], "time_range": {"period": "this_week"}}
    check(layer, pandas_ref, spec, start="2026-11-09", end="2026-11-16")


# --- 4. backlog, a snapshot -------------------------------------------------------------------------


def _open_at(tickets: pd.DataFrame, moment: pd.Timestamp) -> pd.DataFrame:
    return tickets[
        (tickets["created_at"] < moment)
        & (tickets["resolved_at"].isna() | (tickets["resolved_at"] >= moment))
    ]


def test_backlog_now_is_the_unresolved_tickets(layer: SemanticLayer, pandas_ref: Reference) -> None:
    tickets = pandas_ref.raw["tickets"]
    assert run(layer, {"metrics": ["backlog_count"]}).rows == [[int(tickets["resolved_at"].isna().sum())]]


def test_backlog_monthly_snapshots(layer: SemanticLayer, pandas_ref: Reference) -> None:
    """Each month's backlog at its end; the running month's at the end of today; no future month."""
    spec = {
        "metrics": ["backlog_count"],
        "dimensions": [{"name": "created_date", "grain": "month"}],
        "time_range": {"start": "2026-06-01", "end": "2027-03-01"},
    }
    result = run(layer, spec)
    tickets = pandas_ref.raw["tickets"]
    ends = ["2026-07-01", "2026-08-01", "2026-09-01", "2026-10-01", "2026-11-01", "2026-11-16"]
    months = ["2026-06-01", "2026-07-01", "2026-08-01", "2026-09-01", "2026-10-01", "2026-11-01"]
    expected = [[m, len(_open_at(tickets, pd.Timestamp(e)))] for m, e in zip(months, ends, strict=True)]
    assert result.rows == expected
    check(layer, pandas_ref, spec)


def test_backlog_at_the_end_of_a_range(layer: SemanticLayer, pandas_ref: Reference) -> None:
    tickets = pandas_ref.raw["tickets"]
    result = run(layer, {"metrics": ["backlog_count"], "time_range": SUMMER})
    assert result.rows == [[len(_open_at(tickets, pd.Timestamp("2026-09-01")))]]


@pytest.mark.parametrize(
    "spec",
    [
        {"metrics": ["backlog_count"], "dimensions": ["region"]},
        {"metrics": ["backlog_count"], "dimensions": ["customer_tier", "priority"]},
        {
            "metrics": ["backlog_count"],
            "dimensions": [{"name": "created_date", "grain": "week"}],
            "time_range": {"start": "2026-09-07", "end": "2026-11-30"},
        },
        {
            "metrics": ["backlog_count"],
            "dimensions": [{"name": "created_date", "grain": "month"}, "region"],
            "time_range": {"start": "2026-01-01", "end": "2026-12-01"},
        },
        {
            "metrics": ["backlog_count", "ticket_count"],
            "dimensions": [{"name": "created_date", "grain": "month"}],
            "time_range": SUMMER,
        },
        {
            "metrics": ["backlog_count"],
            "dimensions": [{"name": "created_date", "grain": "month"}],
            "time_range": {"start": "2026-08-01", "end": "2026-09-15"},
        },
        {
            "metrics": ["backlog_count"],
            "filters": [{"dimension": "priority", "op": "eq", "values": ["P1"]}],
            "time_range": SUMMER,
        },
    ],
    ids=[
        "by-region",
        "by-tier-priority",
        "weekly",
        "monthly-by-region",
        "with-ticket-count",
        "range-ends-mid-month",
        "filtered",
    ],
)
def test_backlog_cuts(layer: SemanticLayer, pandas_ref: Reference, spec: dict[str, Any]) -> None:
    check(layer, pandas_ref, spec)


def test_backlog_monthly_without_range_ends_today(layer: SemanticLayer, pandas_ref: Reference) -> None:
    spec = {"metrics": ["backlog_count"], "dimensions": [{"name": "created_date", "grain": "month"}]}
    result = check(layer, pandas_ref, spec)
    assert result.rows[-1][0] == "2026-11-01"


# --- 5. percentiles ---------------------------------------------------------------------------------


@pytest.mark.parametrize("dimension", [None, "priority", "customer_tier"])
def test_first_response_percentiles(
    layer: SemanticLayer, pandas_ref: Reference, dimension: str | None
) -> None:
    """median and p90 are pandas' median() and quantile(0.9) (linear interpolation), within 1e-6."""
    metrics = ["median_first_response_minutes", "p90_first_response_minutes"]
    spec: dict[str, Any] = {"metrics": metrics, "time_range": SUMMER}
    tickets = pandas_ref.frames["tickets"]
    tickets = tickets[(tickets["created_at"] >= "2026-06-01") & (tickets["created_at"] < "2026-09-01")]
    minutes = (
        tickets["first_response_at"].dt.floor("s") - tickets["created_at"].dt.floor("s")
    ).dt.total_seconds() / 60
    if dimension:
        spec["dimensions"] = [dimension]
        groups = minutes.groupby(tickets[dimension], dropna=False)
        expected = {k: (g.median(), g.quantile(0.9)) for k, g in groups}
    else:
        expected = {None: (minutes.median(), minutes.quantile(0.9))}
    result = run(layer, spec)
    got = {(row[0] if dimension else None): tuple(row[-2:]) for row in result.rows}
    assert set(got) == {None if pd.isna(k) else k for k in expected}
    for key, (median, p90) in expected.items():
        key = None if pd.isna(key) else key
        assert got[key][0] == pytest.approx(median, abs=1e-6)
        assert got[key][1] == pytest.approx(p90, abs=1e-6)


# --- 6. filters -------------------------------------------------------------------------------------

TICKET_MIX = ["ticket_count", "complaint_rate", "avg_first_response_minutes", "resolution_rate"]
SURVEY_MIX = ["survey_count", "avg_csat", "nps", "csat_satisfied_rate"]


def _f(target: str, op: str, *values: Any, kind: str = "dimension") -> dict[str, Any]:
    return {kind: target, "op": op, "values": list(values)}


FILTER_CASES = [
    ("eq", TICKET_MIX, [_f("channel", "eq", "电话")], ["region"]),
    ("ne", TICKET_MIX, [_f("channel", "ne", "电话")], ["region"]),
    ("in", TICKET_MIX, [_f("region", "in", "华南", "华东")], ["channel"]),
    ("not_in", TICKET_MIX, [_f("region", "not_in", "华南", "华东")], ["channel"]),
    ("gt", TICKET_MIX, [_f("priority", "gt", "P2")], ["priority"]),
    ("gte", TICKET_MIX, [_f("priority", "gte", "P2")], ["priority"]),
    ("lt", TICKET_MIX, [_f("priority", "lt", "P3")], ["priority"]),
    ("lte", TICKET_MIX, [_f("priority", "lte", "P3")], ["priority"]),
    ("between", TICKET_MIX, [_f("priority", "between", "P2", "P3")], ["priority"]),
    ("contains", TICKET_MIX, [_f("product_model", "contains", "AC-")], ["product_model"]),
    ("contains-cjk", TICKET_MIX, [_f("city", "contains", "州")], ["region"]),
    ("date-gte", TICKET_MIX, [_f("created_date", "gte", "2026-08-15")], ["channel"]),
    (
        "date-between",
        [*TICKET_MIX, "customer_count"],
        [_f("created_date", "between", "2026-08-20", "2026-09-10")],
        [],
    ),
    ("joined-eq", TICKET_MIX, [_f("customer_tier", "eq", "VIP")], ["priority"]),
    (
        "joined-in-customers",
        ["customer_count", "repurchase_rate"],
        [_f("customer_tier", "in", "VIP", "新客户")],
        ["region"],
    ),
    (
        "conformed-region",
        ["ticket_count", "customer_count", "churn_rate", "avg_csat"],
        [_f("region", "eq", "华南")],
        [],
    ),
    ("survey-by-ticket-attr", SURVEY_MIX, [_f("channel", "in", "App", "电话")], ["customer_tier"]),
    ("survey-by-customer-attr", SURVEY_MIX, [_f("customer_tier", "ne", "VIP")], ["channel"]),
    ("field-lte", SURVEY_MIX, [_f("csat_score", "lte", 2, kind="field")], ["channel"]),
    ("field-between", SURVEY_MIX, [_f("csat_score", "between", 2, 4, kind="field")], ["customer_tier"]),
    ("field-contains", SURVEY_MIX, [_f("comment", "contains", "等", kind="field")], []),
    ("field-expr-gt", TICKET_MIX, [_f("first_response_minutes", "gt", 60, kind="field")], ["priority"]),
    ("field-expr-lt", TICKET_MIX, [_f("resolution_hours", "lt", 24, kind="field")], ["category"]),
    ("ne-keeps-null", ["ticket_count", "resolution_rate"], [_f("resolution_type", "ne", "上门")], ["status"]),
    ("ne-keeps-null-backlog", ["backlog_count"], [_f("resolution_type", "ne", "上门")], ["priority"]),
    (
        "not_in-keeps-null",
        ["ticket_count", "resolution_rate"],
        [_f("resolution_type", "not_in", "上门", "远程")],
        ["status"],
    ),
    ("eq-null", ["ticket_count", "backlog_count"], [_f("resolution_type", "eq", None)], ["status"]),
    (
        "combined",
        [*TICKET_MIX, "survey_response_rate"],
        [_f("region", "eq", "华南"), _f("priority", "in", "P1", "P2"), _f("shift", "eq", "夜班")],
        ["customer_tier"],
    ),
]


@pytest.mark.parametrize(
    ("metrics", "filters", "dims"), [c[1:] for c in FILTER_CASES], ids=[c[0] for c in FILTER_CASES]
)
@pytest.mark.parametrize("time_range", [None, SUMMER], ids=["all-time", "summer"])
def test_filters(
    layer: SemanticLayer,
    pandas_ref: Reference,
    metrics: list[str],
    filters: list[dict[str, Any]],
    dims: list[str],
    time_range: dict[str, str] | None,
) -> None:
    spec: dict[str, Any] = {"metrics": metrics, "dimensions": dims, "filters": filters}
    if time_range:
        spec["time_range"] = time_range
    result = check(layer, pandas_ref, spec)
    if time_range is None:
        assert result.rows


def test_ne_and_not_in_keep_null_values(layer: SemanticLayer, pandas_ref: Reference) -> None:
    """Unresolved tickets have no resolution type; 'not 上门' must still count them."""
    tickets = pandas_ref.raw["tickets"]
    unresolved = int(tickets["resolution_type"].isna().sum())
    assert unresolved > 0
    for condition in (_f("resolution_type", "ne", "上门"), _f("resolution_type", "not_in", "上门")):
        result = run(layer, {"metrics": ["ticket_count"], "filters": [condition]})
        assert result.rows == [[int((tickets["resolution_type"] != "上门").sum())]]


def _region_counts(pandas_ref: Reference) -> pd.Series:
    return pandas_ref.raw["tickets"].groupby("region").size().sort_values()


@pytest.mark.parametrize("op", ["gt", "gte", "lt", "lte", "eq", "ne", "between", "in"])
def test_metric_filter_having(layer: SemanticLayer, pandas_ref: Reference, op: str) -> None:
    counts = _region_counts(pandas_ref)
    middle = int(counts.iloc[len(counts) // 2])
    values = {"between": [int(counts.iloc[1]), middle], "in": [middle, int(counts.iloc[0])]}.get(op, [middle])
    spec = {
        "metrics": ["ticket_count", "avg_csat"],
        "dimensions": ["region"],
        "filters": [{"metric": "ticket_count", "op": op, "values": values}],
    }
    result = check(layer, pandas_ref, spec)
    assert 0 < len(result.rows) < len(counts)


@pytest.mark.parametrize(
    "spec",
    [
        {
            "metrics": ["complaint_rate", "ticket_count"],
            "dimensions": ["product_model"],
            "filters": [_f("complaint_rate", "gte", 0.05, kind="metric")],
        },
        {
            "metrics": ["avg_csat"],
            "dimensions": ["channel"],
            "filters": [_f("avg_csat", "lt", 4.2, kind="metric")],
            "time_range": SUMMER,
        },
        {
            "metrics": ["response_sla_breach_rate"],
            "dimensions": ["region", "shift"],
            "filters": [_f("response_sla_breach_rate", "gt", 0.1, kind="metric"), _f("priority", "eq", "P1")],
        },
        {
            "metrics": ["ticket_count"],
            "dimensions": [{"name": "created_date", "grain": "month"}],
            "filters": [_f("ticket_count", "gt", 0, kind="metric")],
            "time_range": SUMMER,
        },
    ],
    ids=["ratio", "avg-in-range", "with-row-filter", "series"],
)
def test_metric_filters_on_other_metrics(
    layer: SemanticLayer, pandas_ref: Reference, spec: dict[str, Any]
) -> None:
    check(layer, pandas_ref, spec)


# --- 7. order_by and limit --------------------------------------------------------------------------


def expected_order(
    rows: list[dict[str, Any]], order_by: list[tuple[str, bool]], dims: list[str], limit: int | None
) -> list[dict[str, Any]]:
    """Sort by each order key (NULLs last), then by the remaining dimensions ascending."""
    keys = [*order_by, *[(d, False) for d in dims if d not in {name for name, _ in order_by}]]
    ordered = list(rows)
    for name, desc in reversed(keys):  # stable sorts, least significant key first
        present = [r for r in ordered if r[name] is not None]
        missing = [r for r in ordered if r[name] is None]
        ordered = sorted(present, key=lambda r, n=name: iso(r[n]), reverse=desc) + missing
    return ordered[:limit] if limit else ordered


ORDER_CASES = [
    ("top-3-complaints", ["complaint_count"], ["product_model"], [("complaint_count", True)], 3, None),
    ("bottom-5-cities", ["ticket_count"], ["city"], [("ticket_count", False)], 5, None),
    (
        "ties-agents-by-team-shift",
        ["active_agent_count"],
        ["team", "shift"],
        [("active_agent_count", True)],
        None,
        None,
    ),
    (
        "ties-customers-by-city",
        ["customer_count"],
        ["city"],
        [("customer_count", True)],
        12,
        {"start": "2026-11-01", "end": "2026-11-16"},
    ),
    (
        "ties-small-counts",
        ["ticket_count"],
        ["product_model", "priority"],
        [("ticket_count", True)],
        20,
        {"start": "2026-11-15", "end": "2026-11-16"},
    ),
    ("by-dimension-desc", ["avg_csat", "survey_count"], ["region"], [("region", True)], None, None),
    ("ratio-desc", ["complaint_rate"], ["region"], [("complaint_rate", True)], 3, SUMMER),
    (
        "two-keys",
        ["ticket_count", "complaint_count"],
        ["channel", "priority"],
        [("priority", False), ("complaint_count", True)],
        10,
        None,
    ),
    (
        "series-latest-first",
        ["ticket_count"],
        [{"name": "created_date", "grain": "month"}],
        [("created_date", True)],
        4,
        None,
    ),
    ("limit-without-order", ["ticket_count"], ["region", "channel"], [], 5, None),
]


@pytest.mark.parametrize(
    ("metrics", "dimensions", "order_by", "limit", "time_range"),
    [c[1:] for c in ORDER_CASES],
    ids=[c[0] for c in ORDER_CASES],
)
def test_order_and_limit(
    layer: SemanticLayer,
    pandas_ref: Reference,
    metrics: list[str],
    dimensions: list[Any],
    order_by: list[tuple[str, bool]],
    limit: int | None,
    time_range: dict[str, str] | None,
) -> None:
    spec: dict[str, Any] = {
        "metrics": metrics,
        "dimensions": dimensions,
        "order_by": [{"field": f, "desc": d} for f, d in order_by],
    }
    if limit:
        spec["limit"] = limit
    if time_range:
        spec["time_range"] = time_range
    result = run(layer, spec)
    dims = [name for name, _ in dims_of(spec)]
    expected = expected_order(pandas_ref.evaluate(reference_query(spec)), order_by, dims, limit)
    assert_same(result, expected, dims, metrics, ordered=True)
    assert len(result.rows) == len(expected)


def test_tie_cases_really_have_ties(layer: SemanticLayer) -> None:
    """The tie-breaking cases above only prove something if the data has ties."""
    for case, metrics, dimensions, _, _, time_range in ORDER_CASES:
        if "ties" not in case:
            continue
        spec: dict[str, Any] = {"metrics": metrics, "dimensions": dimensions}
        if time_range:
            spec["time_range"] = time_range
        values = run(layer, spec).column_values(metrics[0])
        assert max(Counter(values).values()) > 1, f"no ties for {metrics} by {dimensions}"


# --- 8. compare -------------------------------------------------------------------------------------


def _counts_records(metric: str) -> bool:
    definition = MODEL.metrics_by_name[metric]
    return definition.type == "snapshot" or getattr(definition, "agg", None) in ("count", "count_distinct")


def expected_compare(
    pandas_ref: Reference,
    spec: dict[str, Any],
    current: tuple[str, str],
    previous: tuple[str, str],
    shift: tuple[int, int],
) -> list[dict[str, Any]]:
    """Current rows joined with the previous range's rows of the same group; a time grain's period is
    moved forward by `shift` (months, days) to meet its current period."""
    query = reference_query(spec)
    now = pandas_ref.evaluate(query, *current)
    before = pandas_ref.evaluate(query, *previous)
    grains = {name for name, grain in query.dimensions if grain}
    names = [name for name, _ in query.dimensions]

    def moved(row: dict[str, Any]) -> tuple[Any, ...]:
        key = []
        for name in names:
            value = row[name]
            if name in grains and value is not None:
                value = ref.add_months(value, shift[0]) + timedelta(days=shift[1])
            key.append(value)
        return tuple(key)

    previous_rows = {moved(row): row for row in before}
    current_keys = {tuple(row[n] for n in names) for row in now}
    # A group of either period is a row: one only in the previous period has a current count of 0.
    gone = [dict(zip(names, key, strict=True)) for key in previous_rows if key not in current_keys]
    rows = []
    for row in [*now, *gone]:
        key = tuple(row[n] for n in names)
        match = previous_rows.get(key, {})
        out = {n: row[n] for n in names}
        for metric in query.metrics:
            value, prior = row.get(metric), match.get(metric)
            if _counts_records(metric):
                value = 0 if value is None else value  # no rows in a period: a count of 0, not unknown
                prior = 0 if not match else prior
            change = None if value is None or prior is None else value - prior
            out[metric] = value
            out[f"{metric}__previous"] = prior
            out[f"{metric}__change"] = change
            out[f"{metric}__change_pct"] = None if change is None or not prior else change / abs(prior)
        rows.append(out)
    return rows


COMPARE_METRICS = [
    "ticket_count",
    "complaint_rate",
    "avg_csat",
    "nps",
    "p90_first_response_minutes",
    "customer_count",
]
MONTH_GRAIN = [{"name": "created_date", "grain": "month"}]
COMPARE_CASES = [
    # id, time_range, compare, dimensions, metrics, current range, previous range, shift (months, days)
    ("month", {"start": "2026-07-01", "end": "2026-08-01"}, "previous_period", [], COMPARE_METRICS,
     ("2026-07-01", "2026-08-01"), ("2026-06-01", "2026-07-01"), (1, 0)),
    ("month-by-region", {"start": "2026-07-01", "end": "2026-08-01"}, "previous_period", ["region"], COMPARE_METRICS,
     ("2026-07-01", "2026-08-01"), ("2026-06-01", "2026-07-01"), (1, 0)),
    ("month-backlog", {"start": "2026-07-01", "end": "2026-08-01"}, "previous_period", [], ["backlog_count", "resolution_rate"],
     ("2026-07-01", "2026-08-01"), ("2026-06-01", "2026-07-01"), (1, 0)),
    ("quarter", {"start": "2026-07-01", "end": "2026-10-01"}, "previous_period", [], COMPARE_METRICS,
     ("2026-07-01", "2026-10-01"), ("2026-04-01", "2026-07-01"), (3, 0)),
    ("quarter-monthly", {"start": "2026-07-01", "end": "2026-10-01"}, "previous_period", MONTH_GRAIN, COMPARE_METRICS,
     ("2026-07-01", "2026-10-01"), ("2026-04-01", "2026-07-01"), (3, 0)),
    ("quarter-monthly-by-tier", {"start": "2026-07-01", "end": "2026-10-01"}, "previous_period", [*MONTH_GRAIN, "customer_tier"],
     ["ticket_count", "survey_response_rate", "repurchase_rate"], ("2026-07-01", "2026-10-01"), ("2026-04-01", "2026-07-01"), (3, 0)),
    ("7-days", {"start": "2026-10-05", "end": "2026-10-12"}, "previous_period", [], COMPARE_METRICS,
     ("2026-10-05", "2026-10-12"), ("2026-09-28", "2026-10-05"), (0, 7)),
    ("7-days-daily", {"start": "2026-10-05", "end": "2026-10-12"}, "previous_period", [{"name": "created_date", "grain": "day"}],
     COMPARE_METRICS, ("2026-10-05", "2026-10-12"), ("2026-09-28", "2026-10-05"), (0, 7)),
    ("last-7-days", {"period": "last_7_days"}, "previous_period", ["region"], COMPARE_METRICS,
     ("2026-11-09", "2026-11-16"), ("2026-11-02", "2026-11-09"), (0, 7)),
    ("month-to-date", {"period": "this_month"}, "previous_period", [], COMPARE_METRICS,
     ("2026-11-01", "2026-11-16"), ("2026-10-01", "2026-10-16"), (1, 0)),
    ("month-to-date-daily", {"period": "this_month"}, "previous_period", [{"name": "created_date", "grain": "day"}],
     ["ticket_count", "avg_csat"], ("2026-11-01", "2026-11-16"), ("2026-10-01", "2026-10-16"), (1, 0)),
    ("quarter-to-date", {"period": "this_quarter"}, "previous_period", [], COMPARE_METRICS,
     ("2026-10-01", "2026-11-16"), ("2026-07-01", "2026-08-16"), (3, 0)),
    ("quarter-monthly-backlog", {"start": "2026-07-01", "end": "2026-10-01"}, "previous_period", MONTH_GRAIN, ["backlog_count"],
     ("2026-07-01", "2026-10-01"), ("2026-04-01", "2026-07-01"), (3, 0)),
    ("month-to-date-backlog", {"period": "this_month"}, "previous_period", [], ["backlog_count"],
     ("2026-11-01", "2026-11-16"), ("2026-10-01", "2026-10-16"), (1, 0)),
    ("year-to-date-yoy", {"period": "this_year"}, "same_period_last_year", ["customer_tier"], COMPARE_METRICS,
     ("2026-01-01", "2026-11-16"), ("2025-01-01", "2025-11-16"), (12, 0)),
    ("yoy-month", {"start": "2026-07-01", "end": "2026-08-01"}, "same_period_last_year", ["region"], COMPARE_METRICS,
     ("2026-07-01", "2026-08-01"), ("2025-07-01", "2025-08-01"), (12, 0)),
    ("yoy-monthly", {"start": "2026-01-01", "end": "2026-07-01"}, "same_period_last_year", MONTH_GRAIN, COMPARE_METRICS,
     ("2026-01-01", "2026-07-01"), ("2025-01-01", "2025-07-01"), (12, 0)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("time_range", "compare", "dimensions", "metrics", "current", "previous", "shift"),
    [c[1:] for c in COMPARE_CASES],
    ids=[c[0] for c in COMPARE_CASES],
)
def test_compare_each_metric(
    layer: SemanticLayer,
    pandas_ref: Reference,
    time_range: dict[str, str],
    compare: str,
    dimensions: list[Any],
    metrics: list[str],
    current: tuple[str, str],
    previous: tuple[str, str],
    shift: tuple[int, int],
) -> None:
    """One compared metric at a time: m, m__previous, m__change, m__change_pct against pandas."""
    for metric in metrics:
        spec = {"metrics": [metric], "dimensions": dimensions, "time_range": time_range, "compare": compare}
        result = run(layer, spec)
        expected = expected_compare(pandas_ref, spec, current, previous, shift)
        columns = [metric, f"{metric}__previous", f"{metric}__change", f"{metric}__change_pct"]
        assert [c.name for c in result.columns] == [name for name, _ in dims_of(spec)] + columns
        assert_same(result, expected, [name for name, _ in dims_of(spec)], columns)
        assert any(row[f"{metric}__previous"] is not None for row in result.records())


SEVERAL = [c for c in COMPARE_CASES if len(c[4]) > 1]


@pytest.mark.parametrize(
    ("time_range", "compare", "dimensions", "metrics", "current", "previous", "shift"),
    [c[1:] for c in SEVERAL],
    ids=[c[0] for c in SEVERAL],
)
def test_compare_several_metrics(
    layer: SemanticLayer,
    pandas_ref: Reference,
    time_range: dict[str, str],
    compare: str,
    dimensions: list[Any],
    metrics: list[str],
    current: tuple[str, str],
    previous: tuple[str, str],
    shift: tuple[int, int],
) -> None:
    """All the case's metrics compared in one query; every value read under its column's name."""
    spec = {"metrics": metrics, "dimensions": dimensions, "time_range": time_range, "compare": compare}
    result = run(layer, spec)
    expected = expected_compare(pandas_ref, spec, current, previous, shift)
    columns = [f"{m}{suffix}" for m in metrics for suffix in ("", "__previous", "__change", "__change_pct")]
    assert_same(result, expected, [name for name, _ in dims_of(spec)], columns)


def test_compare_columns_hold_their_own_values(layer: SemanticLayer) -> None:
    """The smallest case: ticket_count and avg_csat for July vs June; each column as when asked alone."""
    base = {"time_range": {"start": "2026-07-01", "end": "2026-08-01"}, "compare": "previous_period"}
    together = run(layer, {**base, "metrics": ["ticket_count", "avg_csat"]}).records()[0]
    alone = {**run(layer, {**base, "metrics": ["ticket_count"]}).records()[0]}
    alone.update(run(layer, {**base, "metrics": ["avg_csat"]}).records()[0])
    assert together == alone


def test_month_to_date_compares_the_same_days(layer: SemanticLayer, pandas_ref: Reference) -> None:
    """'this month' on Nov 15 is Nov 1-15, compared with Oct 1-15 (not all of October)."""
    tickets = pandas_ref.raw["tickets"]
    created = tickets["created_at"]
    now = int(((created >= "2026-11-01") & (created < "2026-11-16")).sum())
    before = int(((created >= "2026-10-01") & (created < "2026-10-16")).sum())
    result = run(
        layer,
        {"metrics": ["ticket_count"], "time_range": {"period": "this_month"}, "compare": "previous_period"},
    )
    assert result.records() == [
        {
            "ticket_count": now,
            "ticket_count__previous": before,
            "ticket_count__change": now - before,
            "ticket_count__change_pct": pytest.approx((now - before) / before, rel=1e-12),
        }
    ]


# --- 9. detail queries ------------------------------------------------------------------------------


def _detail_values(frame: pd.DataFrame, fields: list[str]) -> list[tuple[Any, ...]]:
    out = []
    for row in frame[fields].itertuples(index=False):
        values = []
        for value in row:
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                values.append(None)
            elif isinstance(value, pd.Timestamp):
                values.append(value.to_pydatetime().isoformat(sep=" "))
            elif hasattr(value, "item"):
                values.append(value.item())
            else:
                values.append(value)
        out.append(tuple(values))
    return out


def _detail_rows(result: QueryResult) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in result.rows]


def _same_multiset(got: list[tuple[Any, ...]], want: list[tuple[Any, ...]]) -> None:
    """The same rows, in any order; floats (computed durations) within 1e-9 relative."""

    def key(row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(_none_last(round(v, 6) if isinstance(v, float) else v) for v in row)

    assert len(got) == len(want)
    for g, w in zip(sorted(got, key=key), sorted(want, key=key), strict=True):
        assert len(g) == len(w)
        for a, b in zip(g, w, strict=True):
            if isinstance(b, float) and isinstance(a, int | float):
                assert a == pytest.approx(b, rel=1e-9), (g, w)
            else:
                assert a == b, (g, w)


def test_detail_low_score_vip_surveys_this_week(layer: SemanticLayer, pandas_ref: Reference) -> None:
    fields = ["ticket_id", "customer_name", "csat_score", "comment"]
    spec = {
        "fields": fields,
        "time_range": {"period": "this_week"},
        "filters": [_f("customer_tier", "eq", "VIP"), _f("csat_score", "lte", 2, kind="field")],
    }
    surveys = pandas_ref.frames["surveys"]
    want = surveys[
        (surveys["customer_tier"] == "VIP")
        & (surveys["csat_score"] <= 2)
        & (surveys["created_at"] >= "2026-11-09")
        & (surveys["created_at"] < "2026-11-16")
    ]
    result = run(layer, spec)
    assert [c.name for c in result.columns] == fields
    assert len(want) > 0
    _same_multiset(_detail_rows(result), _detail_values(want, fields))


@pytest.mark.parametrize(
    ("fields", "filters", "time_range", "table"),
    [
        (
            ["ticket_id", "created_at", "priority", "first_response_minutes"],
            [_f("priority", "eq", "P1"), _f("region", "eq", "华南")],
            {"start": "2026-10-01", "end": "2026-10-08"},
            "tickets",
        ),
        (
            ["ticket_id", "resolution_type", "status"],
            [_f("resolution_type", "ne", "上门")],
            {"start": "2026-11-14", "end": "2026-11-16"},
            "tickets",
        ),
        (
            ["ticket_id", "customer_name", "resolution_hours"],
            [_f("customer_tier", "eq", "VIP"), _f("resolution_hours", "gt", 48, kind="field")],
            {"start": "2026-09-01", "end": "2026-09-08"},
            "tickets",
        ),
        (
            ["ticket_id", "csat_score", "nps_score", "comment", "channel"],
            [_f("comment", "contains", "等"), _f("nps_score", "lte", 6, kind="field")],
            {"start": "2026-08-01", "end": "2026-08-04"},
            "surveys",
        ),
    ],
    ids=["tickets", "ne-keeps-null", "joined-filter", "surveys"],
)
def test_detail_rows(
    layer: SemanticLayer,
    pandas_ref: Reference,
    fields: list[str],
    filters: list[dict[str, Any]],
    time_range: dict[str, str],
    table: str,
) -> None:
    frame = pandas_ref.frame(
        table, reference_query({"metrics": [], "filters": filters}), time_range["start"], time_range["end"]
    )
    want = _detail_values(frame, fields)
    assert 0 < len(want) < 1000, "pick a case with a few rows"
    result = run(layer, {"fields": fields, "filters": filters, "time_range": time_range})
    _same_multiset(_detail_rows(result), want)
    # a limit caps the list at rows of the same set
    limited = run(layer, {"fields": fields, "filters": filters, "time_range": time_range, "limit": 3})
    assert len(limited.rows) == min(3, len(want))
    assert set(_detail_rows(limited)) <= set(_detail_rows(result))


def test_detail_default_cap_is_1000_rows(layer: SemanticLayer, pandas_ref: Reference) -> None:
    result = run(layer, {"fields": ["ticket_id", "channel", "created_at"]})
    assert len(result.rows) == 1000
    tickets = pandas_ref.raw["tickets"]
    rows = _detail_rows(result)
    listed = tickets[tickets["ticket_id"].isin([row[0] for row in rows])]
    assert len(set(rows)) == 1000
    assert set(rows) == set(_detail_values(listed, ["ticket_id", "channel", "created_at"]))
    assert len(run(layer, {"fields": ["ticket_id"], "limit": 10}).rows) == 10


# --- 10. several metrics from several tables in one query -------------------------------------------

MIXES = [
    (["ticket_count", "avg_csat", "survey_response_rate"], ["region"], None),
    (
        ["ticket_count", "avg_csat", "survey_response_rate", "nps", "complaint_rate"],
        ["customer_tier"],
        SUMMER,
    ),
    (["ticket_count", "customer_count", "repurchase_rate", "avg_csat"], ["region"], SUMMER),
    (
        ["ticket_count", "survey_count", "backlog_count", "customer_count"],
        MONTH_GRAIN,
        {"start": "2026-05-01", "end": "2026-11-01"},
    ),
    (ALL_METRICS, [], SUMMER),
]


@pytest.mark.parametrize(
    ("metrics", "dimensions", "time_range"),
    MIXES,
    ids=["by-region", "by-tier", "with-customers", "series", "all"],
)
def test_multi_metric_equals_each_alone(
    layer: SemanticLayer,
    pandas_ref: Reference,
    metrics: list[str],
    dimensions: list[Any],
    time_range: dict[str, str] | None,
) -> None:
    spec: dict[str, Any] = {"metrics": metrics, "dimensions": dimensions}
    if time_range:
        spec["time_range"] = time_range
    together = check(layer, pandas_ref, spec)
    dims = [name for name, _ in dims_of(spec)]
    combined = {tuple(r[d] for d in dims): r for r in together.records()}
    for metric in metrics:
        alone = run(layer, {**spec, "metrics": [metric]})
        for row in alone.records():
            key = tuple(row[d] for d in dims)
            assert close_to(metric, combined[key][metric], row[metric]), (metric, key)


def _first_spec_with(
    pandas_ref: Reference, candidates: list[dict[str, Any]], wanted: Any
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The first candidate query whose pandas rows include one that `wanted` accepts (and those rows)."""
    for spec in candidates:
        rows = [r for r in pandas_ref.evaluate(reference_query(spec)) if wanted(r)]
        if rows:
            return spec, rows
    pytest.fail("precondition: no candidate query has such a group in the demo data")


RECENT_DAYS = [{"start": d, "end": "2026-11-16"} for d in ("2026-11-15", "2026-11-14", "2026-11-09")]


def test_survey_response_rate_of_a_group_without_surveys_is_zero(
    layer: SemanticLayer, pandas_ref: Reference
) -> None:
    """A city whose recent tickets are resolved but not surveyed yet: its survey count is 0 and its
    response rate 0.0 (0 surveys / n resolved tickets), not NULL."""
    candidates = [
        {
            "metrics": ["resolved_ticket_count", "survey_count", "survey_response_rate"],
            "dimensions": [dimension],
            "time_range": time_range,
        }
        for time_range in RECENT_DAYS
        for dimension in ("city", "product_model", "channel")
    ]
    spec, silent = _first_spec_with(
        pandas_ref, candidates, lambda r: r["survey_count"] == 0 and r["resolved_ticket_count"] > 0
    )
    assert all(r["survey_response_rate"] == 0.0 for r in silent)
    check(layer, pandas_ref, spec)


def test_backlog_of_a_group_without_open_tickets_is_zero(layer: SemanticLayer, pandas_ref: Reference) -> None:
    """Resolved and closed tickets are never in the backlog: by status, their backlog is 0."""
    spec = {"metrics": ["ticket_count", "backlog_count"], "dimensions": ["status"]}
    records = {r["status"]: r for r in run(layer, spec).records()}
    assert records["已解决"]["backlog_count"] == 0
    assert records["已关闭"]["backlog_count"] == 0
    check(layer, pandas_ref, spec)


def test_customer_count_of_a_tier_without_signups_is_zero(
    layer: SemanticLayer, pandas_ref: Reference
) -> None:
    """A tier with tickets in a period but no customer signing up then has 0 new customers, not NULL."""
    candidates = [
        {
            "metrics": ["ticket_count", "customer_count"],
            "dimensions": ["customer_tier"],
            "time_range": time_range,
        }
        for time_range in [*RECENT_DAYS, SUMMER]
    ]
    spec, _ = _first_spec_with(
        pandas_ref, candidates, lambda r: r["ticket_count"] > 0 and r["customer_count"] == 0
    )
    check(layer, pandas_ref, spec)


# --- the reference itself (so that a mistake in it cannot hide a mistake in the product) ------------


def test_reference_against_plain_sql(raw_copy: Path, pandas_ref: Reference) -> None:
    """A few headline numbers from the reference, recomputed with hand-written SQL."""
    with duckdb.connect(str(raw_copy), read_only=True) as connection:
        tickets, resolved, surveys, vip_tickets = connection.sql(
            """
            SELECT (SELECT count(*) FROM tickets),
                   (SELECT count(*) FROM tickets WHERE status IN ('已解决', '已关闭')),
                   (SELECT count(*) FROM surveys),
                   (SELECT count(*) FROM tickets t JOIN customers c USING (customer_id) WHERE c.tier = 'VIP')
            """
        ).fetchall()[0]
    overall = pandas_ref.evaluate(Query(["ticket_count", "resolved_ticket_count", "survey_count"]))[0]
    assert (overall["ticket_count"], overall["resolved_ticket_count"], overall["survey_count"]) == (
        tickets,
        resolved,
        surveys,
    )
    by_tier = pandas_ref.evaluate(Query(["ticket_count"], [("customer_tier", None)]))
    assert {r["customer_tier"]: r["ticket_count"] for r in by_tier}["VIP"] == vip_tickets
