"""Profile the columns of a table on a DuckDB connection: how full, how varied, which values, what range.

Everything is computed by SQL aggregates over a relation, so any source DuckDB can query (a loaded file,
a sample of a database table: `database.py`) is profiled the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb

from .loading import LoadedColumn
from .sql_text import quote_identifier
from .timestamps import TimestampFormat

ValueKind = Literal["string", "integer", "number", "boolean", "date", "timestamp"]
TOP_VALUES = 30
"""Most frequent values kept per column (for dimensions' values and comments)."""
EXACT_DISTINCT_ROWS = 2_000_000
"""Tables up to this many rows get exact distinct counts; larger ones DuckDB's estimate."""
_KINDS: dict[str, ValueKind] = {
    "BOOLEAN": "boolean", "TINYINT": "integer", "SMALLINT": "integer", "INTEGER": "integer",
    "BIGINT": "integer", "HUGEINT": "integer", "UTINYINT": "integer", "USMALLINT": "integer",
    "UINTEGER": "integer", "UBIGINT": "integer", "DOUBLE": "number", "FLOAT": "number", "REAL": "number",
    "DECIMAL": "number", "DATE": "date", "TIMESTAMP": "timestamp", "TIMESTAMP_NS": "timestamp",
    "TIMESTAMP_MS": "timestamp", "TIMESTAMP_S": "timestamp",
}  # fmt: skip


@dataclass(frozen=True)
class ColumnProfile:
    name: str
    original: str
    kind: ValueKind
    rows: int
    non_null: int
    distinct: int
    top_values: tuple[tuple[str, int], ...] = ()
    """The most frequent values with their counts, most frequent first."""
    average_length: float | None = None
    max_length: int | None = None
    minimum: str | None = None
    maximum: str | None = None
    timestamp: TimestampFormat | None = None
    notes: tuple[str, ...] = ()

    @property
    def is_time(self) -> bool:
        return self.kind in ("date", "timestamp")

    @property
    def empty(self) -> int:
        return self.rows - self.non_null


@dataclass(frozen=True)
class TableProfile:
    name: str
    """The table in the database."""
    file: Path | None
    rows: int
    columns: tuple[ColumnProfile, ...]
    ordered_pairs: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    """For each two time columns (a, b): (rows with both, rows where a <= b)."""
    notes: tuple[str, ...] = ()
    source: str | None = None
    """The database table the rows are read from in place (not loaded from a file), as queries name it."""
    total_rows: int | None = None
    """Rows of that database table (`rows` counts those profiled: fewer when a sample)."""
    review: tuple[str, ...] = ()
    """What a person should check about the table as a whole."""

    def column(self, name: str) -> ColumnProfile:
        return next(c for c in self.columns if c.name == name)


def profile_table(
    connection: duckdb.DuckDBPyConnection,
    table: str,
    columns: Sequence[LoadedColumn],
    *,
    file: Path | None = None,
    notes: tuple[str, ...] = (),
) -> TableProfile:
    """Profile `columns` of `table` (a table or view `connection` can read)."""
    relation = quote_identifier(table)
    row = connection.execute(f"SELECT count(*) FROM {relation}").fetchone()
    rows = int(row[0]) if row else 0
    profiles = tuple(_profile_column(connection, relation, rows, column) for column in columns)
    times = [c.name for c in profiles if c.is_time]
    return TableProfile(
        name=table,
        file=file,
        rows=rows,
        columns=profiles,
        ordered_pairs=_ordered_pairs(connection, relation, times),
        notes=notes,
    )


def _profile_column(
    connection: duckdb.DuckDBPyConnection, relation: str, rows: int, column: LoadedColumn
) -> ColumnProfile:
    kind = _KINDS.get(column.duckdb_type.upper(), "string")
    name = quote_identifier(column.name)
    distinct = f"count(DISTINCT {name})" if rows <= EXACT_DISTINCT_ROWS else f"approx_count_distinct({name})"
    length = f"avg(length({name})), max(length({name}))" if kind == "string" else "NULL, NULL"
    stats = connection.execute(
        f"SELECT count({name}), {distinct}, {length}, CAST(min({name}) AS VARCHAR), "
        f"CAST(max({name}) AS VARCHAR) FROM {relation}"
    ).fetchone()
    assert stats is not None
    non_null, distinct_count = int(stats[0]), int(stats[1])
    top: tuple[tuple[str, int], ...] = ()
    if kind in ("string", "integer", "boolean") and non_null:
        top_rows = connection.execute(
            f"SELECT CAST({name} AS VARCHAR), count(*) FROM {relation} WHERE {name} IS NOT NULL "
            f"GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {TOP_VALUES}"
        ).fetchall()
        top = tuple((str(value), int(count)) for value, count in top_rows)
    return ColumnProfile(
        name=column.name,
        original=column.original,
        kind=kind,
        rows=rows,
        non_null=non_null,
        distinct=distinct_count,
        top_values=top,
        average_length=float(stats[2]) if stats[2] is not None else None,
        max_length=int(stats[3]) if stats[3] is not None else None,
        minimum=stats[4],
        maximum=stats[5],
        timestamp=column.timestamp,
        notes=column.notes,
    )


def _ordered_pairs(
    connection: duckdb.DuckDBPyConnection, relation: str, times: list[str]
) -> dict[tuple[str, str], tuple[int, int]]:
    pairs = [(a, b) for a in times for b in times if a != b]
    if not pairs:
        return {}
    parts = []
    for a, b in pairs:
        qa, qb = quote_identifier(a), quote_identifier(b)
        parts += [f"count_if({qa} IS NOT NULL AND {qb} IS NOT NULL)", f"count_if({qa} <= {qb})"]
    row = connection.execute(f"SELECT {', '.join(parts)} FROM {relation}").fetchone()
    assert row is not None
    return {pair: (int(row[2 * i]), int(row[2 * i + 1])) for i, pair in enumerate(pairs)}
