"""QueryResult: typed columns and raw rows, plus the SQL that produced them and how long it took."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

ColumnType = Literal["string", "integer", "number", "boolean", "date", "timestamp"]


class Column(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    type: ColumnType
    label: str
    format: str | None = None


class QueryResult(BaseModel):
    """Rows are lists of JSON-ready values: numbers raw, dates and times as ISO strings, NULL as None."""

    model_config = ConfigDict(frozen=True)

    columns: list[Column]
    rows: list[list[Any]]
    sql: str
    truncated: bool = False
    """True when the row cap cut the result short."""
    timings: dict[str, float] = {}
    """Milliseconds spent compiling (`compile_ms`) and running (`execute_ms`)."""
    source: Literal["base", "rollup", "cache"] = "base"
    """What answered: the analytics tables (`base`), pre-aggregated rollups (`rollup`, the same rows) or
    the engine's result cache (`cache`, rows computed earlier by either)."""

    def column_values(self, name: str) -> list[Any]:
        index = [c.name for c in self.columns].index(name)
        return [row[index] for row in self.rows]

    def records(self) -> list[dict[str, Any]]:
        names = [c.name for c in self.columns]
        return [dict(zip(names, row, strict=True)) for row in self.rows]
