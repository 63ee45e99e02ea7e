"""`round(x, n)` in a model expression means one thing on every engine: half away from zero, on the value
as written in decimal (its 15 significant digits), not on the binary double each engine's ROUND sees.

The expected values come from Python's `decimal` module, independently of any engine: DuckDB 2.0.1's own
ROUND gives round(0.35, 1) = 0.3 (the double just below 0.35), which changed results between DuckDB
releases and between engines; PostgreSQL's numeric gives 0.4, as a reader expects.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
import sqlglot

from semantic_layer.dialects import render
from semantic_layer.engine import DuckDBEngine, Engine
from semantic_layer.engines import EngineSettings, open_engine

# (expression as written in a model, digits, what a reader expects)
TIES = [
    ("0.35", 1, 0.4),
    ("2.5", 0, 3.0),
    ("-2.5", 0, -3.0),
    ("-0.45", 1, -0.5),
    ("1.005", 2, 1.01),
    ("-1.005", 2, -1.01),
    ("0.125", 2, 0.13),
    ("1234.5", -2, 1200.0),
    ("cast(21 as double) / 60", 2, 0.35),
    ("cast(21 as double) / 60", 1, 0.4),
    ("0.1 + 0.2", 1, 0.3),
    ("7", 1, 7.0),
    ("1e25", 1, 1e25),
]


def as_written(value: float, digits: int) -> float:
    """The reference: the double's 15 significant digits, rounded half away from zero."""
    decimal = Decimal(format(value, ".14e"))
    return float(decimal.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


# Quotients people round in model expressions (minutes to hours, shares), each a double division.
SWEEP = [
    (f"cast({k} as double) / {d}", k / d, n)
    for d in (8, 60, 1000)
    for k in range(-40, 1210, 3)
    for n in (1, 2)
]


@pytest.fixture(scope="module", params=["duckdb", "postgres", "spark"])
def engine(request: pytest.FixtureRequest, small_demo_db: Path) -> Iterator[Engine]:
    settings = EngineSettings(query_timeout=120.0, timezone="Asia/Shanghai")
    if request.param == "duckdb":
        opened: Engine = DuckDBEngine(small_demo_db)
    else:
        url = request.getfixturevalue("postgres_url" if request.param == "postgres" else "spark_url")
        opened = open_engine(url, settings)
    yield opened
    opened.close()


def evaluate(engine: Engine, expressions: list[str]) -> list[float]:
    """Each model expression (DuckDB SQL) as the engine's own SQL, 500 to a SELECT (PostgreSQL's limit
    is 1,664 columns)."""
    values: list[float] = []
    for start in range(0, len(expressions), 500):
        tree = sqlglot.parse_one("SELECT " + ", ".join(expressions[start : start + 500]), read="duckdb")
        values += [float(value) for value in engine.execute(render(tree, engine.dialect)).rows[0]]
    return values


def test_ties_round_half_away_from_zero_as_written(engine: Engine) -> None:
    got = evaluate(engine, [f"round({value}, {digits})" for value, digits, _ in TIES])
    assert got == [expected for _, _, expected in TIES]


def test_rounded_quotients_match_the_decimal_reference(engine: Engine) -> None:
    got = evaluate(engine, [f"round({sql}, {digits})" for sql, _, digits in SWEEP])
    wrong = [
        (sql, digits, value, as_written(exact, digits))
        for (sql, exact, digits), value in zip(SWEEP, got, strict=True)
        if value != as_written(exact, digits)
    ]
    assert not wrong, wrong[:10]


def test_the_reference_is_not_the_binary_rounding() -> None:
    """The sweep would prove nothing if Python's own round() agreed with the reference everywhere."""
    assert as_written(0.35, 1) == 0.4 and round(0.35, 1) == 0.3
    assert sum(as_written(exact, n) != round(exact, n) for _, exact, n in SWEEP) > 10


# The audit of issue 14: functions the guard allows whose meaning could differ by engine or version.
# Each model expression (DuckDB SQL) and the value a reader expects, whatever the engine.
SAME_MEANING = [
    ("-7 // 2", -3),  # integer division truncates toward zero
    ("7 // -2", -3),
    ("cast(7.5 as double) // 2", 3),  # DuckDB 2.0's own // divides a double exactly (3.75)
    ("7 // 0", None),  # division by zero is NULL, never an error
    ("-7 % 2", -1),  # the remainder takes the dividend's sign
    ("7 / 2", 3.5),  # / divides exactly, integers too
    ("date_diff('month', DATE '2026-01-31', DATE '2026-02-01')", 1),  # boundaries crossed
    ("date_diff('year', DATE '2025-12-31', DATE '2026-01-01')", 1),
    ("date_diff('day', TIMESTAMP '2026-01-01 23:59:00', TIMESTAMP '2026-01-02 00:01:00')", 1),
    ("date_diff('hour', TIMESTAMP '2026-01-01 10:59:00', TIMESTAMP '2026-01-01 11:00:00')", 1),
    ("date_diff('week', DATE '2026-01-01', DATE '2026-01-14')", 1),  # whole weeks between the days
    ("abs(-2.5)", 2.5),
    ("floor(-2.5)", -3),
    ("ceil(-2.5)", -2),
]


def test_functions_mean_the_same_on_every_engine(engine: Engine) -> None:
    tree = sqlglot.parse_one("SELECT " + ", ".join(sql for sql, _ in SAME_MEANING), read="duckdb")
    got = engine.execute(render(tree, engine.dialect)).rows[0]
    differ = [
        (sql, value, expected)
        for (sql, expected), value in zip(SAME_MEANING, got, strict=True)
        if (value is None) != (expected is None) or (value is not None and float(value) != float(expected))
    ]
    assert not differ, differ
