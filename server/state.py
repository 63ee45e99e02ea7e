"""What the server holds while it runs: the semantic layer over the analytics database and the planners
built on it, as one version that a reload replaces atomically."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from agent.llm.client import ChatClient
from agent.llm.config import LLMConfig
from semantic_layer.engine import DuckDBEngine, DuckDBSettings
from semantic_layer.freshness import data_as_of
from semantic_layer.identity import LOCAL_IDENTITY
from semantic_layer.layer import SemanticLayer
from semantic_layer.loader import load_model
from semantic_layer.periods import FixedClock, SystemClock

from .planners import PlannerCache
from .settings import Settings

logger = logging.getLogger("chatbi.server")


@dataclass
class ServerState:
    layer: SemanticLayer
    data_as_of: str | None
    planners: PlannerCache = field(init=False)
    version: int = 1

    def __post_init__(self) -> None:
        self.planners = PlannerCache(self.layer)

    def close(self) -> None:
        self.layer.engine.close()


class Serving:
    """The version in service. `reload` opens a new one and swaps it in only if it opened (a broken model
    or database leaves the old one serving); requests hold the version they started with (`use`), and a
    replaced version closes when its last request is done."""

    def __init__(self, state: ServerState, opener: Callable[[], ServerState]) -> None:
        self._current = state
        self._opener = opener
        self._in_use: dict[int, int] = {}
        self._retired: dict[int, ServerState] = {}
        self._lock = threading.Lock()
        self._reloading = threading.Lock()

    @property
    def current(self) -> ServerState:
        return self._current

    @contextmanager
    def use(self) -> Iterator[ServerState]:
        with self._lock:
            state = self._current
            self._in_use[id(state)] = self._in_use.get(id(state), 0) + 1
        try:
            yield state
        finally:
            with self._lock:
                self._in_use[id(state)] -= 1
                done = self._in_use[id(state)] == 0 and id(state) in self._retired
                if self._in_use[id(state)] == 0:
                    del self._in_use[id(state)]
                if done:
                    del self._retired[id(state)]
            if done:
                state.close()

    def reload(self, warm: Callable[[ServerState], object] = lambda _: None) -> ServerState:
        """Open the model and data again and serve them; raises (and changes nothing) if they do not open."""
        with self._reloading:  # one reload at a time
            fresh = self._opener()
            try:
                warm(fresh)
            except BaseException:
                fresh.close()
                raise
            with self._lock:
                old, self._current = self._current, fresh
                fresh.version = old.version + 1
                idle = id(old) not in self._in_use
                if not idle:
                    self._retired[id(old)] = old
            if idle:
                old.close()
            logger.info("reloaded: version %d (data as of %s)", fresh.version, fresh.data_as_of)
            return fresh

    def close(self) -> None:
        with self._lock:
            states = [self._current, *self._retired.values()]
            self._retired.clear()
        for state in states:
            state.close()


def open_state(settings: Settings) -> ServerState:
    """Load the model and open the database read-only; raises a SemanticLayerError if either fails."""
    model = load_model(settings.model)
    engine = DuckDBEngine(
        settings.db,
        DuckDBSettings(
            threads=settings.threads,
            memory_limit=settings.memory_limit,
            query_timeout=settings.query_timeout,
            max_temp_directory_size=settings.max_temp_directory_size,
        ),
    )
    clock = FixedClock(settings.as_of) if settings.as_of else SystemClock(model.calendar.timezone)
    layer = SemanticLayer(
        model, engine, clock=clock, detail_limit=settings.detail_limit, max_rows=settings.max_rows
    )
    return ServerState(layer=layer, data_as_of=data_as_of(model, engine))


def warm_up(state: ServerState) -> None:
    """Build the local user's planner (its value index reads the data) so that questions are fast."""
    state.planners.planner(LOCAL_IDENTITY)


def open_llm(config: LLMConfig) -> ChatClient | None:
    """The LLM client when one is configured (LangChain loads only then); None: the parser works alone."""
    if not config.enabled:
        return None
    client = ChatClient(config)
    where = config.base_url or "OpenAI"
    logger.info(
        "LLM planner on: model %s at %s (parser first, LLM below confidence %s)",
        config.model,
        where,
        config.route_below,
    )
    return client
