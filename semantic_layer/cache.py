"""A result cache in front of an engine: the same SQL on the same data gives the same rows, so a
dashboard's repeated questions and the queries an answer shares with the one before skip the database.

Keys are the SQL text as executed (it carries every access-policy filter, so users who may see
different rows never share an entry) with the row cap. A cache belongs to one engine, that is one
version of the data and the model: a reload opens a new engine with an empty cache, which is how
changed data invalidates it. Entries are bounded by count and by cells (rows x columns), least
recently used first out."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import replace

from sqlglot import exp

from .engine import Engine, RawResult

DEFAULT_ENTRIES = 2048
DEFAULT_CELLS = 4_000_000  # about 100-300 MB of Python objects at worst


class CachedEngine:
    """Wraps an engine; `execute` answers from the cache when it can (the result says `cached`)."""

    def __init__(
        self, engine: Engine, *, max_entries: int = DEFAULT_ENTRIES, max_cells: int = DEFAULT_CELLS
    ) -> None:
        self.inner = engine
        self.dialect = engine.dialect
        self.max_entries = max_entries
        self.max_cells = max_cells
        self._entries: OrderedDict[tuple[str, int | None], RawResult] = OrderedDict()
        self._cells = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def tables(self) -> frozenset[str]:
        return getattr(self.inner, "tables", frozenset())

    def execute(
        self,
        sql: str,
        *,
        max_rows: int | None = None,
        allowed_tables: Collection[str] | None = None,
        tree: exp.Expr | None = None,
    ) -> RawResult:
        key = (sql, max_rows)
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return replace(found, cached=True)
            self.misses += 1
        # the guard runs in the inner engine on a miss; a hit is SQL that passed it before
        result = self.inner.execute(sql, max_rows=max_rows, allowed_tables=allowed_tables, tree=tree)
        self._remember(key, result)
        return result

    def _remember(self, key: tuple[str, int | None], result: RawResult) -> None:
        cells = _cells(result)
        if cells > self.max_cells // 4:  # one huge result would push out everything useful
            return
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = result
            self._cells += cells
            while len(self._entries) > self.max_entries or self._cells > self.max_cells:
                _, dropped = self._entries.popitem(last=False)
                self._cells -= _cells(dropped)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._cells = 0

    def close(self) -> None:
        self.clear()
        self.inner.close()


def _cells(result: RawResult) -> int:
    return max(1, len(result.rows)) * max(1, len(result.names))
