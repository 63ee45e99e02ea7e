"""The semantic layer's front door: a model, an engine and a clock; semantic queries in, results out."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Collection, Hashable
from datetime import date
from typing import TYPE_CHECKING, Literal

from .cache import ResultCache
from .compiler import CompiledQuery, compile_query
from .engine import Engine
from .errors import ExecutionError, QueryTimeout, UnsafeSQLError
from .identity import Identity, row_filters
from .model import Language, SemanticModel, SimpleMetric
from .periods import Clock, SystemClock
from .query import SemanticQuery
from .result import Column, QueryResult

if TYPE_CHECKING:
    from .rollups import Rollups

DEFAULT_MAX_ROWS = 100_000
logger = logging.getLogger("chatbi.semantic_layer")
_EXTENDING = threading.Lock()


class SemanticLayer:
    def __init__(
        self,
        model: SemanticModel,
        engine: Engine,
        *,
        clock: Clock | None = None,
        detail_limit: int = 1000,
        max_rows: int = DEFAULT_MAX_ROWS,
        rollups: Rollups | None = None,
        cache: ResultCache | None = None,
    ) -> None:
        self.model = model
        self.engine = engine
        self.clock = clock or SystemClock(model.calendar.timezone)
        self.detail_limit = detail_limit
        self.max_rows = max_rows
        self.cache = cache
        """Results of earlier queries (None: every query runs); see semantic_layer.cache."""
        self.allowed_tables = frozenset(table.source for table in model.tables)
        """The only tables the queries of this layer may read: the model's."""
        self._rollups: Rollups | None = None
        self.rollups = rollups
        self._base: SemanticLayer | None = None
        """For a layer from `extended`: the layer it extends (whose rollups it follows)."""
        self._namespace: tuple[str, ...] = ()
        """For a layer from `extended`: its extra metrics, as they are part of its cache keys."""
        self._extensions: dict[tuple[str, ...], SemanticLayer] = {}
        self._extended_models: dict[tuple[str, ...], SemanticModel] = {}
        """The models of `extended`, by their extra metrics; shared by `share_extensions`."""

    @property
    def rollups(self) -> Rollups | None:
        """Pre-aggregated tables that answer the queries they can answer exactly (None: base tables only).
        Settable at any time, e.g. once a background build has finished; queries under way keep theirs."""
        if self._base is not None:  # an extension follows its base layer's rollups
            base = self._base.rollups
            return None if base is None else base.for_model(self.model)
        return self._rollups

    @rollups.setter
    def rollups(self, rollups: Rollups | None) -> None:
        if rollups is not None and rollups.model is not self.model and rollups.model != self.model:
            raise ValueError("these rollups were built for another model")
        self._rollups = rollups

    def with_rollups(self, rollups: Rollups | None) -> SemanticLayer:
        """This layer (same model, engine, clock and limits, no cache) answering from `rollups` where it
        can."""
        return SemanticLayer(
            self.model,
            self.engine,
            clock=self.clock,
            detail_limit=self.detail_limit,
            max_rows=self.max_rows,
            rollups=rollups,
        )

    def extended(self, metrics: tuple[SimpleMetric, ...]) -> SemanticLayer:
        """This layer over the model plus `metrics` (hidden helpers an analysis builds, e.g. the count of
        an average's values), sharing the engine, clock, limits, cache and rollups; the same layer
        for the same metrics, so that repeated analyses hit the cache."""
        if not metrics:
            return self
        key = tuple(metric.model_dump_json() for metric in metrics)
        with _EXTENDING:
            found = self._extensions.get(key)
            if found is None:
                model = self._extended_models.get(key)
                if model is None:
                    fields = {name: getattr(self.model, name) for name in type(self.model).model_fields}
                    fields["metrics"] = (*self.model.metrics, *metrics)
                    model = self._extended_models[key] = SemanticModel.model_construct(**fields)
                found = SemanticLayer(
                    model,
                    self.engine,
                    clock=self.clock,
                    detail_limit=self.detail_limit,
                    max_rows=self.max_rows,
                    cache=self.cache,
                )
                found._base = self
                found._namespace = key
                self._extensions[key] = found
        return found

    def share_extensions(self, other: SemanticLayer) -> None:
        """Build `extended` models as `other` (a longer-lived layer of the same model) does: a short-lived
        layer's extensions are then the same models, which rollups keep their views of, not new ones
        per layer."""
        if other.model is not self.model:
            raise ValueError("only a layer of the same model shares its extensions")
        self._extended_models = other._extended_models

    def compile(
        self, query: SemanticQuery, identity: Identity | None = None, *, today: date | None = None
    ) -> CompiledQuery:
        """`query` compiled over the base tables (what `query` runs unless rollups answer it), with
        relative periods read on `today` (default: the clock's)."""
        return compile_query(
            self.model,
            query,
            identity=identity,
            today=today or self.clock.today(),
            dialect=self.engine.dialect,
            detail_limit=self.detail_limit,
        )

    def query(
        self, query: SemanticQuery, identity: Identity | None = None, *, language: Language | None = None
    ) -> QueryResult:
        """Compile and run `query` as `identity` sees the data; labels in `language`. Rollups answer
        when they give the same rows as the base tables (`source` says which did)."""
        language = language or self.model.default_language
        started = time.perf_counter()
        today = self.clock.today()
        key = None
        if self.cache is not None:
            key = self.cache_key(query, identity, today, language)
            found = self.cache.get(key)
            if found is not None:
                return found
        result = self._answer(query, identity, language, today, started)
        if key is not None and self.cache is not None:
            self.cache.put(key, result)
        return result

    def cache_key(
        self, query: SemanticQuery, identity: Identity | None, today: date, *extra: Hashable
    ) -> tuple[Hashable, ...]:
        """What a result of `query` for `identity` on `today` depends on besides the data and the
        model (see semantic_layer.cache), plus `extra` (e.g. an analysis's name and parameters)."""
        scope = None if identity is None else tuple(row_filters(self.model, identity))
        return (self._namespace, query.model_dump_json(), scope, today, *extra)

    def _answer(
        self,
        query: SemanticQuery,
        identity: Identity | None,
        language: Language,
        today: date,
        started: float,
    ) -> QueryResult:
        rollups = self.rollups
        if rollups is not None:
            compiled = rollups.compile(query, identity, today=today, detail_limit=self.detail_limit)
            if compiled is not None:
                try:
                    return self._run(compiled, rollups.engine, rollups.tables, "rollup", language, started)
                except (QueryTimeout, UnsafeSQLError):
                    raise
                except ExecutionError as error:  # e.g. the rollups were closed while being swapped
                    logger.warning("rollups failed, answering from the base tables: %s", error)
        return self._run(
            self.compile(query, identity, today=today),
            self.engine,
            self.allowed_tables,
            "base",
            language,
            started,
        )

    def _run(
        self,
        compiled: CompiledQuery,
        engine: Engine,
        allowed_tables: Collection[str],
        source: Literal["base", "rollup"],
        language: Language,
        started: float,
    ) -> QueryResult:
        sql = compiled.sql
        compiled_at = time.perf_counter()
        raw = engine.execute(
            sql, max_rows=self.max_rows, allowed_tables=allowed_tables, tree=compiled.expression
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
            source="cache" if raw.cached else source,
        )
