"""Quoting for the DuckDB statements that load data: names and values never go into SQL unquoted."""

from __future__ import annotations

from sqlglot import exp


def quote_identifier(name: str) -> str:
    """`name` as a quoted DuckDB identifier (any text, including quotes and Chinese)."""
    return exp.to_identifier(name, quoted=True).sql(dialect="duckdb")


def quote_literal(value: str) -> str:
    """`value` as a DuckDB string literal."""
    return exp.Literal.string(value).sql(dialect="duckdb")
