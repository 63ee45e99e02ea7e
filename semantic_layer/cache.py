"""A result cache in front of the semantic layer: the same question on the same data gives the same rows,
so a dashboard's repeated questions, and the queries an answer shares with the one before, skip
compiling, the rollups and the database alike.

A key is everything the compiled SQL depends on besides the model: the semantic query, the row filters
the caller's access policies impose (users who may see different rows never share an entry), the day
relative periods are read on, and the language of the labels. A cache belongs to one layer, that is one
version of the data and the model: a reload opens a new layer with an empty cache, which is how changed
data invalidates it. Rollups and base tables give the same rows, so an entry stays good when rollups
become ready. Entries are bounded by count and by cells (rows x columns), least recently used first out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from .result import QueryResult

T = TypeVar("T")

DEFAULT_ENTRIES = 2048
DEFAULT_CELLS = 4_000_000  # about 100-300 MB of Python objects at worst


class ResultCache:
    """Query results by key; `get` hands back a hit marked `source="cache"`."""

    def __init__(self, *, max_entries: int = DEFAULT_ENTRIES, max_cells: int = DEFAULT_CELLS) -> None:
        self.max_entries = max_entries
        self.max_cells = max_cells
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._sizes: dict[Hashable, int] = {}
        self._cells = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> QueryResult | None:
        found = self._lookup(key)
        if found is None:
            return None
        return found.model_copy(update={"source": "cache", "timings": {"compile_ms": 0.0, "execute_ms": 0.0}})

    def put(self, key: Hashable, result: QueryResult) -> None:
        self._store(key, result, _cells(result))

    def remember(self, key: Hashable, compute: Callable[[], T], cells: Callable[[T], int]) -> T:
        """The value cached under `key`, else `compute()`, kept with its size in `cells`: for analyses
        made of queries, whose own work a repeat need not redo either. Treat values as read-only."""
        found = self._lookup(key)
        if found is not None:
            return found
        value = compute()
        self._store(key, value, cells(value))
        return value

    def _lookup(self, key: Hashable) -> Any:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found

    def _store(self, key: Hashable, value: Any, cells: int) -> None:
        cells = max(1, cells)
        if cells > self.max_cells // 4:  # one huge result would push out everything useful
            return
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = value
            self._sizes[key] = cells
            self._cells += cells
            while len(self._entries) > self.max_entries or self._cells > self.max_cells:
                dropped, _ = self._entries.popitem(last=False)
                self._cells -= self._sizes.pop(dropped)

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._sizes.clear()
            self._cells = 0


def _cells(result: QueryResult) -> int:
    return max(1, len(result.rows)) * max(1, len(result.columns))
