"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from semantic_layer.identity import LOCAL_IDENTITY

from .auth import TokenVerifier
from .chat import ChatService
from .embedding import install_embedding
from .errors import install_error_handlers
from .planners import PlannerCache
from .proxy import PathPrefix
from .routes import ask, catalog, conversations, feedback, health, query, web
from .settings import Settings
from .state import open_llm, open_state
from .store import Store


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app for `settings`; the database, the store and the local planner open at start-up."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        server = await run_in_threadpool(open_state, settings)
        try:
            store = await run_in_threadpool(Store, settings.store_path)
            planners = PlannerCache(server.layer)
            await run_in_threadpool(planners.planner, LOCAL_IDENTITY)  # the first question is fast
            llm = await run_in_threadpool(open_llm, settings.llm)
            app.state.chat = ChatService(server, store, planners, settings.max_question_chars, llm)
            app.state.server = server
            yield
        finally:
            app.state.server = None
            app.state.chat = None
            server.close()

    app = FastAPI(title="chatbi", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.server = None
    app.state.chat = None
    app.state.verifier = TokenVerifier(settings) if settings.auth_configured else None
    install_error_handlers(app)
    install_embedding(app, settings)
    app.add_middleware(PathPrefix, root_path=settings.root_path)
    for module in (health, catalog, query, ask, conversations, feedback):
        app.include_router(module.router, prefix="/api")
    app.include_router(web.router)
    return app
