"""Drafting from a database, without a server: which tables a model can name, the sample query each
engine is sent (and its guard accepts), the sample typed in DuckDB from the catalog, text times
reviewed, the drafted expressions given the database's own column names, URLs shown without passwords."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from datetime import datetime
from typing import Any

import duckdb
import pytest
from sqlglot import exp

from semantic_layer.drafting.database import (
    _sample_query,
    choose_tables,
    engine_time_format,
    plain_name,
    profile_database_table,
    rebind_columns,
    text_time_conversion,
)
from semantic_layer.drafting.draft import DraftDimension, DraftMetric, DraftModel, Words
from semantic_layer.drafting.timestamps import detect_timestamp_format
from semantic_layer.drafting.workflow import without_password
from semantic_layer.engine import RawResult
from semantic_layer.engines.catalog import CatalogColumn, CatalogTable
from semantic_layer.errors import DraftError
from semantic_layer.guard import check_sql


def table(reference: str, *columns: tuple[str, str], view: bool = False) -> CatalogTable:
    schema, _, name = reference.rpartition(".")
    kinds = {"int8": "integer", "text": "text", "timestamp": "timestamp", "timestamptz": "zoned_timestamp",
             "jsonb": "other", "numeric": "number", "bool": "boolean", "date": "date"}  # fmt: skip
    return CatalogTable(
        schema or "public",
        name,
        reference,
        tuple(CatalogColumn(n, t, kinds[t]) for n, t in columns),  # type: ignore[arg-type]
        view,
    )


@pytest.mark.parametrize(
    ("reference", "dialect", "plain"),
    [
        ("requests", "postgres", True),
        ("ops.repairs", "postgres", True),
        ("Requests", "postgres", False),  # PostgreSQL would fold it to requests
        ("Requests", "spark", True),  # Spark compares names case-insensitively
        ("Legacy Export", "postgres", False),
        ("a.b.c", "postgres", False),
        ("工单", "postgres", False),
        ("t; DROP TABLE x", "spark", False),
    ],
)
def test_a_model_names_tables_without_quotes(reference: str, dialect: str, plain: bool) -> None:
    assert plain_name(reference, dialect) is plain


def test_tables_are_chosen_by_name_and_odd_names_are_skipped() -> None:
    catalog = [table("requests"), table("ops.repairs"), table("Legacy Export")]
    chosen, skipped = choose_tables(catalog, [], "postgres", "the default schemas")
    assert [t.reference for t in chosen] == ["requests", "ops.repairs"]
    assert skipped == [
        "skipped table 'Legacy Export': a model names tables without quotes (lower case letters, digits and _); "
        "create a view with such a name over it"
    ]
    assert [t.reference for t in choose_tables(catalog, ["repairs", "requests"], "postgres", "x")[0]] == [
        "ops.repairs",
        "requests",
    ]
    with pytest.raises(DraftError, match=r"no table 'request' .* in schema ops; did you mean 'requests'\?"):
        choose_tables(catalog, ["request"], "postgres", "schema ops")
    both = [table("requests"), table("ops.requests"), table("a.x"), table("b.x")]
    assert [t.reference for t in choose_tables(both, ["requests", "ops.requests"], "postgres", "x")[0]] == [
        "requests",  # the name a query uses wins over another schema's table of that name
        "ops.requests",
    ]
    with pytest.raises(
        DraftError, match=r"table 'x' is in several schemas \(a.x, b.x\): name one as schema.table"
    ):
        choose_tables(both, ["x"], "postgres", "x")
    with pytest.raises(DraftError, match="no tables or views that this account may read in schema x"):
        choose_tables([], [], "postgres", "schema x")


@pytest.mark.parametrize("dialect", ["postgres", "spark"])
def test_the_sample_query_is_bounded_and_passes_the_guard(dialect: str) -> None:
    source = table("ops.requests", ("Complaint Type", "text"), ("id", "int8"))
    small = _sample_query(source, source.columns, 500, 1000, dialect)
    big = _sample_query(source, source.columns, 4_000_000, 200_000, dialect)
    view = _sample_query(table("ops.requests", view=True), source.columns, 4_000_000, 200_000, dialect)
    quote = '"' if dialect == "postgres" else "`"
    assert small == f"SELECT {quote}Complaint Type{quote}, {quote}id{quote} FROM ops.requests LIMIT 1000"
    sample = (
        "TABLESAMPLE BERNOULLI (5.0000) REPEATABLE (7)"
        if dialect == "postgres"
        else "TABLESAMPLE (5.0000 PERCENT)"
    )
    assert big.endswith(f"FROM ops.requests {sample} LIMIT 200000")
    assert "TABLESAMPLE" not in view and view.endswith("LIMIT 200000")
    for sql in (small, big, view):
        check_sql(sql, allowed_tables=["ops.requests"], dialect=dialect)


class FakeEngine:
    """Answers the count and the sample as an engine would (JSON-ready values), and records the SQL."""

    dialect = "postgres"

    def __init__(self, rows: list[list[Any]]) -> None:
        self.rows = rows
        self.sql: list[str] = []

    def execute(self, sql: str, *, max_rows: int | None = None, allowed_tables: Collection[str] | None = None,
                tree: exp.Expr | None = None) -> RawResult:  # fmt: skip
        self.sql.append(sql)
        assert allowed_tables == ["requests"]
        if sql.startswith("SELECT COUNT(*)"):
            return RawResult(["count"], ["integer"], [[len(self.rows)]], False)
        return RawResult([], [], self.rows[:max_rows], False)

    def close(self) -> None: ...


def test_a_sample_is_typed_from_the_catalog_and_text_times_are_reviewed() -> None:
    source = table(
        "requests",
        ("Request ID", "int8"), ("Created At", "timestamp"), ("updated", "timestamptz"), ("due", "text"),
        ("stamp", "text"), ("cost", "numeric"), ("late", "bool"), ("payload", "jsonb"),
    )  # fmt: skip
    rows = [
        [i, f"2024-01-{i % 28 + 1:02d} 10:00:00", f"2024-01-{i % 28 + 1:02d} 10:00:00+08:00",
         f"01/{i % 28 + 1:02d}/2024 02:13:45 PM", f"2024-01-{i % 28 + 1:02d} 10:{i:02d}" if i > 1 else "unknown",
         1.5 * i, i % 2 == 0]
        for i in range(1, 51)
    ]  # fmt: skip
    engine = FakeEngine(rows)
    with duckdb.connect() as connection:
        connection.execute("SET TimeZone = 'UTC'")
        read = profile_database_table(engine, connection, source, "requests", sample_rows=40)  # type: ignore[arg-type]
        types = connection.execute("DESCRIBE requests").fetchall()
        updated = connection.execute("SELECT min(updated) FROM requests").fetchone()
    assert engine.sql[1].endswith("FROM requests TABLESAMPLE BERNOULLI (80.0000) REPEATABLE (7) LIMIT 40")
    assert [(name, kind) for name, kind, *_ in types] == [
        ("request_id", "BIGINT"), ("created_at", "TIMESTAMP"), ("updated", "TIMESTAMP"), ("due", "VARCHAR"),
        ("stamp", "VARCHAR"), ("cost", "DOUBLE"), ("late", "BOOLEAN"),
    ]  # fmt: skip
    assert updated == (datetime(2024, 1, 1, 2, 0),)  # the instant, in UTC
    assert (read.rows, read.sampled, [c.name for c in read.left_out]) == (50, 40, ["payload"])
    assert read.columns["request_id"] == "Request ID" and read.columns["due"] == "due"
    profile = read.profile
    assert (profile.source, profile.total_rows, profile.rows) == ("requests", 50, 40)
    assert "every value reads so" in profile.column("due").notes[-1]
    assert "but 1 of 40 values are not (e.g. 'unknown')" in profile.column("stamp").notes[-1]
    assert profile.review == (
        "left out, of types that are not profiled: 'payload' (jsonb)",
        "text columns holding times ('due') stay text here; to use them as times, create a view that converts "
        "them, grant SELECT on it to this account, point source at it and add time dimensions on the new "
        "columns: CREATE VIEW requests_typed AS SELECT *, CAST(TO_TIMESTAMP(\"due\", 'MM/DD/YYYY HH12:MI:SS AM') "
        "AS TIMESTAMP) AS due_time FROM requests",
    )


# (values as written, the engines' formats, what they mean): each conversion is run on the real
# engines in tests/semantic_layer/test_engine_catalogs.py
TEXT_TIMES = [
    (["01/05/2023 02:13:45 PM", "12/31/2023 11:59:59 AM"], "MM/DD/YYYY HH12:MI:SS AM", "M/d/yyyy h:m:s a"),
    (["29/2/2016 01:16", "3/4/2016 23:05"], "DD/MM/YYYY HH24:MI", "d/M/yyyy H:m"),
    (["2023/01/05 14:13", "2023/12/31 09:00"], "YYYY/MM/DD HH24:MI", "yyyy/M/d H:m"),
    (
        ["2023年1月5日 14:03", "2023年12月31日 09:00"],
        'YYYY"年"MM"月"DD"日" HH24:MI',
        "yyyy'年'M'月'd'日' H:m",
    ),
]


def one_pattern(patterns: tuple[str, ...], values: list[str]) -> str:
    """The first pattern that reads every value, as Python's strptime reads it (what the drafter picks
    with DuckDB's)."""

    def reads(pattern: str) -> bool:
        try:
            return all(datetime.strptime(v, pattern) for v in values)
        except ValueError:
            return False

    return next(p for p in patterns if reads(p))


@pytest.mark.parametrize(("values", "postgres", "spark"), TEXT_TIMES, ids=[v[0][0] for v in TEXT_TIMES])
def test_text_times_convert_in_each_engines_format(values: list[str], postgres: str, spark: str) -> None:
    found = detect_timestamp_format(values)
    assert found is not None
    pattern = one_pattern(found.patterns, values)
    fmt = dataclasses.replace(found, patterns=(pattern,))
    assert engine_time_format(pattern, "postgres") == postgres
    assert engine_time_format(pattern, "spark") == spark
    conversion = text_time_conversion("Due At", fmt, "postgres")
    assert conversion is not None
    assert conversion.sql(dialect="postgres") == f"CAST(TO_TIMESTAMP(\"Due At\", '{postgres}') AS TIMESTAMP)"
    conversion = text_time_conversion("Due At", fmt, "spark")
    assert conversion is not None
    assert (
        conversion.sql(dialect="spark")
        == f"TO_TIMESTAMP(`Due At`, '{spark.replace(chr(39), chr(92) + chr(39))}')"
    )


def test_iso_text_converts_with_a_cast() -> None:
    iso = detect_timestamp_format(["2023-01-05 14:13:45", "2023-01-06 10:00:00"])
    zoned = detect_timestamp_format(["2023-01-05T14:13:45+08:00", "2023-01-06T10:00:00Z"])
    dates = detect_timestamp_format(["2023-01-05", "2023-01-06"])
    assert iso and zoned and dates
    assert text_time_conversion("t", iso, "postgres").sql("postgres") == 'CAST("t" AS TIMESTAMP)'  # type: ignore[union-attr]
    assert text_time_conversion("t", zoned, "postgres").sql("postgres") == 'CAST("t" AS TIMESTAMPTZ)'  # type: ignore[union-attr]
    assert text_time_conversion("t", dates, "spark").sql("spark") == "CAST(`t` AS DATE)"  # type: ignore[union-attr]


def test_drafted_expressions_name_the_databases_columns() -> None:
    words = Words("x", "x")
    draft = DraftModel(
        name="m", description=words, default_language="en",
        tables=(),
        dimensions=(
            DraftDimension("complaint_type", "requests", "complaint_type", "categorical", words),
            DraftDimension("status", "requests", "status", "categorical", words),
            DraftDimension("is_open", "requests", "status IS NOT NULL AND NOT (status IN ('Closed'))", "boolean", words),
            DraftDimension("complaint_type_2", "other", "complaint_type", "categorical", words),
        ),
        attributes=(),
        metrics=(
            DraftMetric("avg_hours_to_close", words, words, table="requests", agg="avg",
                        expr="date_diff('second', created_date, closed_date) / 3600.0",
                        filter="closed_date >= created_date"),
            DraftMetric("share", words, words, type="ratio", numerator="a", denominator="b"),
        ),
    )  # fmt: skip
    names = {"complaint_type": "Complaint Type", "status": "status", "created_date": "CreatedDate",
             "closed_date": "closed_date"}  # fmt: skip
    rebound = rebind_columns(draft, {"requests": names})
    assert [d.expr for d in rebound.dimensions] == [
        '"Complaint Type"',
        "status",
        "status IS NOT NULL AND NOT (status IN ('Closed'))",  # unchanged text where no name changes
        "complaint_type",  # another table's column of the same name
    ]
    duration = rebound.metrics[0]
    assert duration.expr == """DATE_DIFF('SECOND', "CreatedDate", closed_date) / 3600.0"""
    assert duration.filter == 'closed_date >= "CreatedDate"'
    assert rebound.metrics[1] == draft.metrics[1]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql://reader:s3cret@db.example:5432/helpdesk",
            "postgresql://reader@db.example:5432/helpdesk",
        ),
        ("postgresql://reader@db.example/helpdesk", "postgresql://reader@db.example/helpdesk"),
        ("sc://spark.example:15002/;token=abc;user_id=ana", "sc://spark.example:15002/;user_id=ana"),
        ("spark-local://?threads=2", "spark-local://?threads=2"),
    ],
)
def test_urls_are_shown_without_passwords(url: str, shown: str) -> None:
    assert without_password(url) == shown
