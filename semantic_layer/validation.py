"""Check a loaded model against a real database: every table, join column and expression must run."""

from __future__ import annotations

from sqlglot import exp

from .compiler import compile_query
from .dialects import render
from .engine import Engine
from .errors import SemanticLayerError
from .expressions import parse_expression, qualify
from .model import SemanticModel, SimpleMetric, SnapshotMetric
from .query import SemanticQuery


def check_against_database(model: SemanticModel, engine: Engine) -> list[str]:
    """Problems found, one message each (empty when the model fits the database)."""
    problems: list[str] = []

    def probe(what: str, table: str, sql_text: str) -> None:
        source = exp.to_table(model.table(table).source)
        source.set("alias", exp.TableAlias(this=exp.to_identifier(table, quoted=True)))
        select = exp.select(qualify(parse_expression(sql_text), table)).from_(source).limit(0)
        try:
            engine.execute(render(select, engine.dialect))
        except SemanticLayerError as error:
            problems.append(f"{what}: {error.message}")

    for relationship in model.relationships:
        probe(
            f"relationship {relationship.from_} -> {relationship.to}",
            relationship.from_table,
            relationship.from_column,
        )
        probe(
            f"relationship {relationship.from_} -> {relationship.to}",
            relationship.to_table,
            relationship.to_column,
        )
    for dimension in model.dimensions:
        for table, sql_text in dimension.on.items():
            probe(f"dimension '{dimension.name}' on {table}", table, sql_text)
    for attribute in model.attributes:
        probe(f"field '{attribute.name}'", attribute.table, attribute.sql)
    for metric in model.metrics:
        if isinstance(metric, SimpleMetric | SnapshotMetric) and problems:
            continue  # a broken column above would only repeat here
        try:
            compiled = compile_query(model, SemanticQuery(metrics=(metric.name,)), dialect=engine.dialect)
            engine.execute(_planned_only(compiled.expression, compiled.sql, engine.dialect))
        except SemanticLayerError as error:
            problems.append(f"metric '{metric.name}': {error.message}")
    return problems


def _planned_only(query: exp.Query, sql: str, dialect: str) -> str:
    """SQL that makes the database plan `query` without reading its rows: DuckDB's EXPLAIN; elsewhere
    (EXPLAIN is not a query a server-side cursor or Spark's query parser takes) the query with LIMIT 0."""
    if dialect == "duckdb":
        return "EXPLAIN " + sql
    return render(exp.select("*").from_(query.subquery("planned", copy=True)).limit(0), dialect)
