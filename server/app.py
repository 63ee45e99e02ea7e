"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from .errors import install_error_handlers
from .routes import catalog, health, query, web
from .settings import Settings
from .state import open_state


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.server = open_state(settings)
        try:
            yield
        finally:
            app.state.server.close()
            app.state.server = None

    app = FastAPI(title="chatbi", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.server = None
    install_error_handlers(app)
    for module in (health, catalog, query):
        app.include_router(module.router, prefix="/api")
    app.include_router(web.router)
    return app
