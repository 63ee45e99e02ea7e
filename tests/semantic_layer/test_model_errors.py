"""A malformed model gets an error naming the file, the line, the field and the closest valid name."""

from __future__ import annotations

from pathlib import Path

import pytest

from semantic_layer.errors import ModelError
from semantic_layer.loader import load_model, parse_model

BASE = """\
name: shop
tables:
  - name: orders
    source: orders
    time_dimension: order_date
dimensions:
  - name: order_date
    type: time
    table: orders
    expr: ordered_at
  - name: store
    table: orders
metrics:
  - name: order_count
    table: orders
    agg: count
  - name: revenue
    table: orders
    agg: sum
    expr: amount
"""


def load(text: str, tmp_path: Path) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text(text, encoding="utf-8")
    load_model(path)


def error_for(text: str, tmp_path: Path) -> ModelError:
    with pytest.raises(ModelError) as caught:
        load(text, tmp_path)
    return caught.value


def test_the_base_model_loads(tmp_path: Path) -> None:
    load(BASE, tmp_path)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            ("    agg: sum\n", "    agg: sum\n    filtr: amount > 0\n"),
            "shop.yaml:20: metrics[1].filtr: unknown field 'filtr'; did you mean 'filter'?",
            id="unknown-field",
        ),
        pytest.param(
            ("    agg: sum\n", "    agg: summ\n"),
            "shop.yaml:19: metrics[1].agg: 'summ' is not one of count, count_distinct, sum, avg, min, max, median, "
            "percentile; did you mean 'sum'?",
            id="bad-enum-value",
        ),
        pytest.param(
            ("  - name: revenue\n    table: orders\n", "  - name: revenue\n    table: order\n"),
            "shop.yaml:18: metrics[1].table: unknown table 'order'; did you mean 'orders'?",
            id="unknown-table",
        ),
        pytest.param(
            ("  - name: revenue\n", "  - name: order_count\n"),
            "shop.yaml:17: metrics[1].name: duplicate name 'order_count' (also in metrics)",
            id="duplicate-name",
        ),
        pytest.param(
            (
                "    expr: amount\n",
                "    expr: amount\n  - {name: aov, type: ratio, numerator: revenu, denominator: order_count}\n",
            ),
            "shop.yaml:21: metrics[2].numerator: unknown metric 'revenu'; did you mean 'revenue'?",
            id="unknown-metric-reference",
        ),
        pytest.param(
            ("    expr: amount\n", "    expr: read_text('/etc/passwd')\n"),
            "shop.yaml:20: metrics[1].expr: expression 'read_text('/etc/passwd')' may not call function 'read_text'",
            id="expression-reads-a-file",
        ),
        pytest.param(
            ("    expr: amount\n", "    expr: (SELECT max(amount) FROM secrets)\n"),
            "shop.yaml:20: metrics[1].expr: expression '(SELECT max(amount) FROM secrets)' may not contain a query or a table",
            id="expression-with-subquery",
        ),
        pytest.param(
            ("    expr: amount\n", "    expr: amount; DROP TABLE orders\n"),
            "shop.yaml:20: metrics[1].expr: expression 'amount; DROP TABLE orders' must be a single expression (found ';')",
            id="stacked-statement",
        ),
        pytest.param(
            ("    time_dimension: order_date\n", "    time_dimension: order_day\n"),
            "shop.yaml:5: tables[0].time_dimension: 'order_day' is not a time dimension; did you mean 'order_date'?",
            id="bad-time-dimension",
        ),
        pytest.param(
            (
                "  - name: store\n    table: orders\n",
                "  - name: store\n    table: orders\n    type: categoric\n",
            ),
            "shop.yaml:13: dimensions[1].type: 'categoric' is not one of categorical, time, boolean, number; "
            "did you mean 'categorical'?",
            id="bad-dimension-type",
        ),
        pytest.param(
            ("    agg: count\n", "    agg: count\n    type: ration\n"),
            "shop.yaml:14: metrics[0]: unknown metric type 'ration'; did you mean 'ratio'?",
            id="unknown-metric-type",
        ),
        pytest.param(
            ("name: shop\n", "name: shop\nname: shop2\n"),
            "shop.yaml:2: duplicate key 'name'",
            id="duplicate-yaml-key",
        ),
        pytest.param(
            ("    agg: count\n", "    agg: [count\n"),
            "shop.yaml:17: YAML syntax error: expected ',' or ']', but got ':'",
            id="yaml-syntax-error",
        ),
        pytest.param(
            (
                "  - name: order_count\n    table: orders\n    agg: count\n",
                "  - name: order_count\n    table: orders\n",
            ),
            "shop.yaml:14: metrics[0].agg: missing required field 'agg'",
            id="missing-field",
        ),
    ],
)
def test_malformed_model(change: tuple[str, str], expected: str, tmp_path: Path) -> None:
    old, new = change
    assert old in BASE
    error = error_for(BASE.replace(old, new, 1), tmp_path)
    assert str(error).endswith(expected), str(error)
    assert str(error).startswith(str(tmp_path / "shop.yaml"))


def test_verified_question_names_are_checked(tmp_path: Path) -> None:
    text = (
        BASE
        + "verified_questions:\n  - question: {en: Revenue by shop}\n    query: {metrics: [revenue], dimensions: [stor]}\n"
    )
    error = error_for(text, tmp_path)
    assert str(error).endswith(
        "shop.yaml:23: verified_questions[0].query: unknown dimension 'stor'; did you mean 'store'?"
    ), str(error)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"nowhere\.yaml: cannot read the model file"):
        load_model(tmp_path / "nowhere.yaml")


def test_parse_model_names_the_given_file() -> None:
    with pytest.raises(ModelError, match=r"^inline:1: the model must be a YAML mapping"):
        parse_model("- just a list", file="inline")


def test_the_demo_model_loads() -> None:
    model = load_model()
    required = {
        "ticket_count", "complaint_count", "complaint_rate", "avg_first_response_minutes",
        "median_first_response_minutes", "p90_first_response_minutes", "response_sla_breach_rate",
        "avg_resolution_hours", "resolution_rate", "first_contact_resolution_rate", "reopen_rate",
        "repeat_contact_rate", "backlog_count", "avg_csat", "csat_satisfied_rate", "nps",
        "survey_response_rate", "kb_self_service_rate", "repurchase_rate",
    }  # fmt: skip
    assert required <= set(model.metrics_by_name)
    dimensions = {
        "created_date", "channel", "product_line", "product_model", "category", "priority", "region",
        "province", "city", "customer_tier", "industry", "team", "agent", "shift", "status", "resolution_type",
    }  # fmt: skip
    assert dimensions <= set(model.dimensions_by_name)
    fields = {
        "ticket_id", "created_at", "customer_name", "csat_score", "nps_score", "comment",
        "first_response_minutes", "resolution_hours",
    }  # fmt: skip
    assert fields <= set(model.attributes_by_name)
    for metric in model.metrics:
        assert metric.label.zh and metric.label.en, metric.name
        assert metric.hidden or (metric.description and metric.description.zh and metric.description.en), (
            metric.name
        )
