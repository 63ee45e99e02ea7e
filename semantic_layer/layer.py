"""The semantic layer's front door: a model, an engine and a clock; semantic queries in, results out."""

from __future__ import annotations

import time

from .compiler import CompiledQuery, compile_query
from .engine import Engine
from .identity import Identity
from .model import Language, SemanticModel
from .periods import Clock, SystemClock
from .query import SemanticQuery
from .result import Column, QueryResult

DEFAULT_MAX_ROWS = 100_000


class SemanticLayer:
    def __init__(
        self,
        model: SemanticModel,
        engine: Engine,
        *,
        clock: Clock | None = None,
        detail_limit: int = 1000,
        max_rows: int = DEFAULT_MAX_ROWS,
    ) -> None:
        self.model = model
        self.engine = engine
        self.clock = clock or SystemClock(model.calendar.timezone)
        self.detail_limit = detail_limit
        self.max_rows = max_rows
        self.allowed_tables = frozenset(table.source for table in model.tables)
        """The only tables the queries of this layer may read: the model's."""

    def compile(self, query: SemanticQuery, identity: Identity | None = None) -> CompiledQuery:
        return compile_query(
            self.model,
            query,
            identity=identity,
            today=self.clock.today(),
            dialect=self.engine.dialect,
            detail_limit=self.detail_limit,
        )

    def query(
        self, query: SemanticQuery, identity: Identity | None = None, *, language: Language | None = None
    ) -> QueryResult:
        """Compile and run `query` as `identity` sees the data; labels in `language`."""
        language = language or self.model.default_language
        started = time.perf_counter()
        compiled = self.compile(query, identity)
        sql = compiled.sql  # rendered on each access
        compiled_at = time.perf_counter()
        raw = self.engine.execute(
            sql, max_rows=self.max_rows, allowed_tables=self.allowed_tables, tree=compiled.expression
        )
        finished = time.perf_counter()
        columns = [
            Column(name=spec.name, type=kind, label=spec.label.get(language) or spec.name, format=spec.format)
            for spec, kind in zip(compiled.columns, raw.types, strict=True)
        ]
        return QueryResult(
            columns=columns,
            rows=raw.rows,
            sql=sql,
            truncated=raw.truncated,
            timings={
                "compile_ms": round((compiled_at - started) * 1000, 3),
                "execute_ms": round((finished - compiled_at) * 1000, 3),
            },
        )
