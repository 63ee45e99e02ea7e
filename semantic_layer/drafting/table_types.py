"""The stored type of every column of a staged table: text columns are typed from their values
(`column_types`), typed columns (Parquet, DuckDB) keep their type, except times with a zone (converted
to UTC) and epoch numbers named like times. Dates whose day/month order no value tells follow another
date column of the same table that the values did tell."""

from __future__ import annotations

import duckdb

from .column_types import TypedColumn, type_text_column
from .sql_text import quote_identifier
from .timestamps import detect_epoch

TEXT_TYPES = ("VARCHAR", "TEXT", "STRING")
NUMBER_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UINTEGER",
    "UBIGINT",
    "DOUBLE",
    "FLOAT",
)


def type_columns(
    connection: duckdb.DuckDBPyConnection,
    relation: str,
    originals: dict[str, str],
    types: dict[str, str],
    *,
    decimal_comma: bool = False,
) -> list[TypedColumn]:
    """The stored type of each column of `relation` (a quoted table name): `originals` maps its
    columns to the names the file wrote, `types` to their DuckDB types. Ambiguous D/M vs M/D dates
    follow a column of the same table whose order the values told."""
    typed: dict[str, TypedColumn] = {}
    for name, original in originals.items():
        typed[name] = _type_one(connection, relation, name, original, types[name], decimal_comma, None)
    decided = [c.timestamp.day_first for c in typed.values() if c.timestamp and c.timestamp.day_first is not None
               and not c.timestamp.ambiguous]  # fmt: skip
    preferred = decided[0] if decided else None
    for name, column in typed.items():
        if column.timestamp and column.timestamp.ambiguous:
            if preferred is not None:
                column = _type_one(
                    connection, relation, name, column.original, types[name], decimal_comma, preferred
                )
            typed[name] = _with_note(column, _ambiguity_note(column, preferred))
        elif column.timestamp and column.timestamp.evidence:
            order = "day-first" if column.timestamp.day_first else "month-first"
            note = f"read {order} as {column.timestamp.description}: {column.timestamp.evidence}"
            typed[name] = _with_note(column, note)
    return list(typed.values())


def _type_one(
    connection: duckdb.DuckDBPyConnection,
    relation: str,
    name: str,
    original: str,
    duckdb_type: str,
    decimal_comma: bool,
    prefer_day_first: bool | None,
) -> TypedColumn:
    column = quote_identifier(name)
    if duckdb_type in TEXT_TYPES:
        return type_text_column(
            connection,
            relation,
            name,
            original,
            decimal_comma=decimal_comma,
            prefer_day_first=prefer_day_first,
        )
    if duckdb_type.startswith("TIMESTAMP WITH TIME ZONE") or duckdb_type == "TIMESTAMPTZ":
        note = "times with a zone, converted to UTC"
        return TypedColumn(name, original, "TIMESTAMP", f"timezone('UTC', {column})", notes=(note,))
    if duckdb_type in NUMBER_TYPES:
        row = connection.execute(f"SELECT min({column}), max({column}) FROM {relation}").fetchone()
        if row and row[0] is not None:
            epoch = detect_epoch(float(row[0]), float(row[1]), original)
            if epoch is not None:
                return TypedColumn(name, original, "TIMESTAMP", epoch.sql(column), timestamp=epoch)
    return TypedColumn(name, original, duckdb_type, column)


def _ambiguity_note(column: TypedColumn, preferred: bool | None) -> str:
    assert column.timestamp is not None
    order = "day-first" if column.timestamp.day_first else "month-first"
    why = "as another date column of this file is" if preferred is not None else "the US convention"
    return (
        f"no day in this column is above 12, so day-first and month-first dates both read every value: "
        f"read as {column.timestamp.description} ({order}, {why}); check a few rows"
    )


def _with_note(column: TypedColumn, note: str) -> TypedColumn:
    return TypedColumn(
        column.name, column.original, column.duckdb_type, column.sql, column.timestamp, (*column.notes, note)
    )
