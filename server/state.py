"""What the server holds while it runs: the semantic layer over the analytics database."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from agent.llm.client import ChatClient
from agent.llm.config import LLMConfig
from semantic_layer.engine import DuckDBEngine, DuckDBSettings
from semantic_layer.freshness import data_as_of
from semantic_layer.layer import SemanticLayer
from semantic_layer.loader import load_model
from semantic_layer.periods import FixedClock, SystemClock

from .settings import Settings

logger = logging.getLogger("chatbi.server")


@dataclass
class ServerState:
    layer: SemanticLayer
    data_as_of: str | None

    def close(self) -> None:
        self.layer.engine.close()


def open_state(settings: Settings) -> ServerState:
    """Load the model and open the database read-only; raises a SemanticLayerError if either fails."""
    model = load_model(settings.model)
    engine = DuckDBEngine(
        settings.db, DuckDBSettings(threads=settings.threads, memory_limit=settings.memory_limit)
    )
    clock = FixedClock(settings.as_of) if settings.as_of else SystemClock(model.calendar.timezone)
    layer = SemanticLayer(
        model, engine, clock=clock, detail_limit=settings.detail_limit, max_rows=settings.max_rows
    )
    return ServerState(layer=layer, data_as_of=data_as_of(model, engine))


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
