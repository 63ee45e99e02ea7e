"""The FastAPI application factory."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from .auth import TokenVerifier
from .chat import ChatService
from .embedding import install_embedding
from .errors import install_error_handlers
from .limits import BodySizeLimit, Limiter
from .proxy import PathPrefix
from .routes import admin, ask, catalog, conversations, feedback, health, query, web
from .settings import Settings
from .state import ReloadWatcher, Serving, open_llm, open_state, warm_up
from .store import Store


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app for `settings`; the database, the store and the local planner open at start-up."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        server = await run_in_threadpool(lambda: open_state(settings, rollups=True))
        serving = Serving(server, lambda: open_state(settings, rollups=True))
        try:
            store = await run_in_threadpool(
                lambda: Store(
                    settings.store_path, max_turns=settings.max_turns, max_bytes=settings.store_max_mb * 2**20
                )
            )
            await run_in_threadpool(warm_up, server)  # the first question is fast
            limiter = Limiter(per_minute=settings.rate_limit, concurrent=settings.max_concurrent)
            app.state.chat = chat = ChatService(serving, store, settings.max_question_chars, None, limiter)
            if settings.llm.enabled:  # LangChain takes seconds to import: the parser answers meanwhile
                threading.Thread(
                    target=lambda: setattr(chat, "llm", open_llm(settings.llm)), daemon=True
                ).start()
            watcher = ReloadWatcher(serving, settings, settings.reload_interval)
            watcher.start()
            try:
                yield
            finally:
                watcher.stop()
                store.close()
        finally:
            app.state.chat = None
            serving.close()

    app = FastAPI(title="chatbi", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.chat = None
    app.state.verifier = TokenVerifier(settings) if settings.auth_configured else None
    install_error_handlers(app)
    install_embedding(app, settings)
    app.add_middleware(BodySizeLimit, limit=settings.max_body_bytes)
    app.add_middleware(PathPrefix, root_path=settings.root_path)
    for module in (health, catalog, query, ask, conversations, feedback, admin):
        app.include_router(module.router, prefix="/api")
    app.include_router(web.router)
    return app
