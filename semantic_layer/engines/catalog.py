"""What a database's catalog says about the tables a role may read: their names, how a query names them,
their columns and types. `chatbi init postgresql://...` drafts a model from it (engines list it with
`list_tables`, a read-only, time-bound look at the catalog that takes no SQL from anyone)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

ColumnKind = Literal["boolean", "integer", "number", "date", "timestamp", "zoned_timestamp", "text", "other"]
"""How a column's values read: `zoned_timestamp` is a time with a zone (PostgreSQL's timestamptz,
Spark's TIMESTAMP); `other` is anything not profiled (JSON, arrays, binary, intervals, times of day)."""


@dataclass(frozen=True)
class CatalogColumn:
    name: str
    type: str
    """The type as the database names it (`int4`, `timestamptz`, `decimal(10,2)`)."""
    kind: ColumnKind


@dataclass(frozen=True)
class CatalogTable:
    schema: str | None
    """The schema (PostgreSQL) or database (Spark) holding the table; None for a Spark temporary view."""
    name: str
    reference: str
    """How a query names it: bare when the search path (current database) finds it, else `schema.name`."""
    columns: tuple[CatalogColumn, ...]
    view: bool = False
    """A view (sampled by LIMIT only: PostgreSQL cannot TABLESAMPLE a view)."""


@runtime_checkable
class ListsTables(Protocol):
    """An engine that lists the tables its account may read (PostgreSQL, Spark)."""

    def list_tables(self, schemas: Sequence[str] | None = None) -> tuple[CatalogTable, ...]:
        """The tables and views of `schemas` (default: the engine's default ones) with their columns."""
        ...
