"""How fresh the data is: the latest timestamp of each table's time dimension, and (for databases
without a file to watch) a data version that says when the data changed."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection

from sqlglot import exp

from .dialects import render
from .engine import Engine
from .errors import ExecutionError
from .expressions import parse_expression, qualify
from .model import SemanticModel

logger = logging.getLogger("chatbi.semantic_layer")


def data_as_of(model: SemanticModel, engine: Engine) -> str | None:
    """The latest time in the data (ISO), over the tables whose time dimension is their own column."""
    latest: list[str] = []
    for table in model.tables:
        if not table.time_dimension:
            continue
        dimension = model.dimension(table.time_dimension)
        if table.name not in dimension.on:
            continue
        column = qualify(parse_expression(dimension.on[table.name]), table.name)
        source = exp.to_table(table.source)
        source.set("alias", exp.TableAlias(this=exp.to_identifier(table.name, quoted=True)))
        query = exp.select(exp.Max(this=column)).from_(source)
        value = engine.execute(render(query, engine.dialect)).rows[0][0]
        if value is not None:
            latest.append(str(value))
    return max(latest) if latest else None


class DataVersion:
    """What identifies the data's current version on a server database (PostgreSQL, Spark), where no
    file's size and time say it: the value of `query` (a SELECT the guard accepts, over `tables`), or,
    without one, the number of whole `interval`s since the epoch (the data is taken as changed every
    interval). Read at most once per `interval` seconds; `current()` returns the last value read."""

    def __init__(
        self,
        engine: Engine,
        *,
        query: str | None,
        interval: float,
        tables: Collection[str],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.query = query
        self.interval = interval
        self.tables = frozenset(tables)
        self._clock = clock
        self._lock = threading.Lock()
        self._read_at: float | None = None
        self._value: str | None = None

    def current(self) -> str | None:
        """The data version; None when it cannot be read now (e.g. the database is down). The first
        read raises instead: a query that cannot run is a setting to fix before serving."""
        with self._lock:
            now, read_at = self._clock(), self._read_at
            first = read_at is None
            if read_at is not None and (self.interval <= 0 or now - read_at < self.interval):
                return self._value
            self._read_at = now
            try:
                self._value = self._read(now)
            except ExecutionError as error:
                if first:
                    raise type(error)(
                        f"the data version query (CHATBI_DATA_VERSION_QUERY) failed: {error}"
                    ) from None
                logger.warning("could not read the data version: %s", error)
                self._value = None
            return self._value

    def _read(self, now: float) -> str:
        if self.query is None:
            return f"interval {int(now // self.interval)}" if self.interval > 0 else "fixed"
        result = self.engine.execute(self.query, max_rows=1, allowed_tables=self.tables)
        return f"query {result.rows[:1]!r}"
