"""One place that turns errors into HTTP responses: `{"error": {"code", "message", "suggestions"}}`."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from semantic_layer.errors import (
    AccessDeniedError,
    ExecutionError,
    ModelError,
    QueryError,
    SemanticLayerError,
)

STATUS_BY_ERROR: list[tuple[type[SemanticLayerError], int]] = [
    (AccessDeniedError, 403),
    (QueryError, 400),
    (ModelError, 500),
    (ExecutionError, 503),
]


def error_body(code: str, message: str, suggestions: list[str] | None = None) -> dict[str, object]:
    return {"error": {"code": code, "message": message, "suggestions": suggestions or []}}


def status_of(error: SemanticLayerError) -> int:
    return next((status for kind, status in STATUS_BY_ERROR if isinstance(error, kind)), 500)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SemanticLayerError)
    async def semantic_layer_error(_: Request, error: SemanticLayerError) -> JSONResponse:
        return JSONResponse(
            error_body(error.code, error.message, error.suggestions), status_code=status_of(error)
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0] if error.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(part) for part in first["loc"] if part != "body")
        message = str(first["msg"]).removeprefix("Value error, ")
        return JSONResponse(
            error_body("invalid_request", f"{where}: {message}" if where else message), status_code=422
        )
