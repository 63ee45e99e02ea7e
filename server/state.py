"""What the server holds while it runs: the semantic layer over the analytics database and the planners
built on it, as one version that a reload replaces atomically."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from agent.llm.client import ChatClient
from agent.llm.config import LLMConfig
from semantic_layer.cache import ResultCache
from semantic_layer.engine import DuckDBSettings, Engine
from semantic_layer.engines import EngineSettings, engine_kind, open_engine
from semantic_layer.freshness import data_as_of
from semantic_layer.identity import LOCAL_IDENTITY
from semantic_layer.layer import SemanticLayer
from semantic_layer.loader import load_model
from semantic_layer.periods import FixedClock, SystemClock
from semantic_layer.rollups import Rollups

from .planners import PlannerCache
from .settings import Settings

logger = logging.getLogger("chatbi.server")


Fingerprint = tuple[tuple[int, int, int] | None, ...]
RollupStatus = Literal["off", "building", "ready", "failed"]
BUILD_MEMORY = "1GB"


def files_fingerprint(settings: Settings) -> Fingerprint:
    """What identifies the served files' current contents cheaply: each file's inode, size and
    modification time (a file replaced by rename or rewritten in place changes one of them)."""

    def stat(path: Path | None) -> tuple[int, int, int] | None:
        if path is None:
            return None
        try:
            info = path.stat()
        except OSError:
            return None
        return (info.st_ino, info.st_size, info.st_mtime_ns)

    return (stat(Path(settings.db)), stat(settings.model))


@dataclass
class ServerState:
    layer: SemanticLayer
    data_as_of: str | None
    fingerprint: Fingerprint = ()
    """Of the files this version was opened from (see `files_fingerprint`)."""
    planners: PlannerCache = field(init=False)
    version: int = 1
    rollups: RollupStatus = "off"
    """Whether rollups answer additive questions yet: off, building, ready or failed."""
    _closed: bool = field(default=False, init=False)
    _pending_build: tuple[Path, Path, DuckDBSettings] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.planners = PlannerCache(self.layer)

    def close(self) -> None:
        self._closed = True
        rollups, self.layer.rollups = self.layer.rollups, None
        if rollups is not None:
            rollups.close()
        self.layer.engine.close()

    def start_rollups(self, source: Path, out: Path, settings: DuckDBSettings) -> None:
        """Open the rollups at `out` if they match the data and the model (at once: they then answer
        the warm-up's queries too); else they are to be built (`build_rollups`), and questions use
        the base tables until they are ready."""
        model = self.layer.model
        try:
            opened = Rollups.open(model, source, out, settings=settings)
        except Exception:
            logger.exception("the rollups at %s could not be opened; building them again", out)
            opened = None
        if opened is not None:
            self.layer.rollups = opened
            self.rollups = "ready"
            return
        self.rollups = "building"
        self._pending_build = (source, out, settings)

    def build_rollups(self) -> None:
        """Start the build `start_rollups` left pending, in the background within `build_settings`
        (after the warm-up, which it would otherwise slow down); nothing when none is pending."""
        pending, self._pending_build = self._pending_build, None
        if pending is None:
            return
        source, out, settings = pending
        model = self.layer.model

        def work() -> None:
            try:
                logger.info("building rollups of %s into %s", source, out)
                # built within the build's limits, then opened with the server's
                Rollups.build(
                    model, source, out, settings=build_settings(settings), progress=logger.info
                ).close()
                rollups = Rollups.open(model, source, out, settings=settings)
                if rollups is None:
                    raise RuntimeError(f"the database {source} changed while its rollups were built")
            except Exception:
                logger.exception("the rollups could not be built; questions use the base tables")
                self.rollups = "failed"
                return
            if self._closed:  # replaced by a reload while building
                rollups.close()
                return
            self.layer.rollups = rollups
            self.rollups = "ready"

        threading.Thread(target=work, name="chatbi-rollups", daemon=True).start()


def build_settings(settings: DuckDBSettings) -> DuckDBSettings:
    """What a background rollups build may take while the server answers questions: one core fewer
    than the machine's (at least one), and CHATBI_MEMORY_LIMIT or else BUILD_MEMORY (DuckDB spills
    to disk beyond it rather than growing the server)."""
    cores = os.cpu_count() or 2
    return DuckDBSettings(
        threads=max(1, min(settings.threads or cores, cores - 1)),
        memory_limit=settings.memory_limit or BUILD_MEMORY,
        max_temp_directory_size=settings.max_temp_directory_size,
        query_timeout=None,
    )


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


def open_state(settings: Settings, *, rollups: bool = False) -> ServerState:
    """Load the model and open the database read-only (behind a result cache unless CHATBI_CACHE is
    off); raises a SemanticLayerError if either fails."""
    fingerprint = files_fingerprint(settings)
    model = load_model(settings.model)
    duckdb_settings = DuckDBSettings(
        threads=settings.threads,
        memory_limit=settings.memory_limit,
        query_timeout=settings.query_timeout,
        parallel_queries=settings.parallel_queries,
        max_temp_directory_size=settings.max_temp_directory_size,
    )
    engine: Engine = open_engine(
        settings.db,
        EngineSettings(
            query_timeout=settings.query_timeout,
            parallel_queries=settings.parallel_queries,
            timezone=model.calendar.timezone,
            duckdb=duckdb_settings,
        ),
    )
    clock = FixedClock(settings.as_of) if settings.as_of else SystemClock(model.calendar.timezone)
    layer = SemanticLayer(
        model,
        engine,
        clock=clock,
        detail_limit=settings.detail_limit,
        max_rows=settings.max_rows,
        cache=ResultCache() if settings.cache else None,
    )
    state = ServerState(layer=layer, data_as_of=data_as_of(model, engine), fingerprint=fingerprint)
    on_duckdb = engine_kind(settings.db) == "duckdb"  # rollups are built from a DuckDB file
    if rollups and settings.rollups and on_duckdb:  # the server's versions only: a CLI command exits first
        state.start_rollups(Path(settings.db), settings.rollups_path, duckdb_settings)
    return state


class ReloadWatcher:
    """Reloads when the served database or model file changes: polled every `interval` seconds, and
    acted on once the change has held for two polls (a file still being written is left alone)."""

    def __init__(self, serving: Serving, settings: Settings, interval: float) -> None:
        self.serving = serving
        self.settings = settings
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="chatbi-reload-watcher", daemon=True)
        self._failed: Fingerprint | None = None

    def start(self) -> None:
        if self.interval > 0:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        seen: Fingerprint | None = None
        while not self._stop.wait(self.interval):
            now = files_fingerprint(self.settings)
            if now == self.serving.current.fingerprint or now == self._failed or None in now[:1]:
                seen = None
                continue
            if now != seen:  # changed since the last poll: wait for it to settle
                seen = now
                continue
            try:
                self.serving.reload(warm_up)
                self._failed = None
            except Exception as error:  # the old version keeps serving; try again on the next change
                logger.error(
                    "the changed files could not be loaded; still serving the previous version: %s", error
                )
                self._failed = now
            seen = None


def warm_up(state: ServerState) -> None:
    """Build the local user's planner (its value index reads the data) so that questions are fast,
    then start building the rollups if they are due."""
    state.planners.planner(LOCAL_IDENTITY)
    state.build_rollups()


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
