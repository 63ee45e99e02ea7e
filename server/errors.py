"""One place that turns errors into HTTP responses: `{"error": {"code", "message", "suggestions"}}`.

Domain errors of the semantic layer carry their own message; errors the server raises while answering a
question (`ApiError`) carry a message in Chinese and in English and are rendered in the question's
language (or, without a question, the `Accept-Language` header's)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from semantic_layer.errors import (
    AccessDeniedError,
    ExecutionError,
    ModelError,
    QueryError,
    QueryTimeout,
    SemanticLayerError,
    UnsafeSQLError,
)
from semantic_layer.model import Language

from .store import StoreUnavailable

logger = logging.getLogger("chatbi.server")

STATUS_BY_ERROR: list[tuple[type[SemanticLayerError], int]] = [
    (AccessDeniedError, 403),
    (QueryError, 400),
    (ModelError, 500),
    (UnsafeSQLError, 400),  # refused before it ran: nothing to retry
    (ExecutionError, 503),
]


def error_body(code: str, message: str, suggestions: list[str] | None = None) -> dict[str, object]:
    return {"error": {"code": code, "message": message, "suggestions": suggestions or []}}


def status_of(error: SemanticLayerError) -> int:
    return next((status for kind, status in STATUS_BY_ERROR if isinstance(error, kind)), 500)


class ApiError(Exception):
    """A request the server refuses: an HTTP status, a code, and the message in zh and en."""

    status: int = 400
    code: str = "bad_request"
    zh: ClassVar[str] = "请求无效。"
    en: ClassVar[str] = "Bad request."
    headers: ClassVar[tuple[tuple[str, str], ...]] = ()

    def __init__(
        self, language: Language | None = None, *, suggestions: Iterable[str] = (), **params: Any
    ) -> None:
        self.language = language
        self.suggestions = list(suggestions)
        self.params = params
        super().__init__(self.message("en"))

    def message(self, language: Language) -> str:
        return (self.zh if language == "zh" else self.en).format(**self.params)


class EmptyQuestion(ApiError):
    code = "empty_question"
    zh = "请输入一个问题。"
    en = "Please ask a question."


class QuestionTooLong(ApiError):
    status = 413
    code = "question_too_long"
    zh = "问题太长了（{length}个字），请控制在{limit}个字以内。"
    en = "The question is too long ({length} characters); please keep it under {limit} characters."


class ChoiceNeedsConversation(ApiError):
    code = "choice_needs_conversation"
    zh = "选择澄清选项时请带上该对话的 conversation_id。"
    en = "A choice answers a clarification: send it with the conversation_id that asked it."


class UnknownChoice(ApiError):
    code = "unknown_choice"
    zh = "这个对话中没有待选的选项“{choice}”。"
    en = "No clarification option '{choice}' is waiting in this conversation."


class ConversationNotFound(ApiError):
    status = 404
    code = "conversation_not_found"
    zh = "找不到这个对话（{conversation_id}），它可能已被删除。"
    en = "Unknown conversation '{conversation_id}'; it may have been deleted."


class TurnNotFound(ApiError):
    status = 404
    code = "turn_not_found"
    zh = "这个对话中没有这一轮问答（{turn_id}）。"
    en = "Conversation '{conversation_id}' has no turn '{turn_id}'."


class ConversationTooLong(ApiError):
    status = 409
    code = "conversation_too_long"
    zh = "这个对话已有{limit}轮问答，请开始一个新对话。"
    en = "This conversation has reached {limit} turns; please start a new one."


class StoreFailed(ApiError):
    status = 503
    code = "store_unavailable"
    zh = "暂时无法保存对话记录（存储已满、只读或损坏），这次提问没有保存，请联系管理员。"
    en = "Conversations cannot be saved right now (the store is full, read-only or broken); nothing was saved. Please tell the administrator."


class Forbidden(ApiError):
    status = 403
    code = "forbidden"
    zh = "只有管理员可以这样做。"
    en = "Only an administrator may do this."


class ReloadFailed(ApiError):
    status = 409
    code = "reload_failed"
    zh = "重新加载失败，仍在使用原来的模型和数据：{detail}"
    en = "The reload failed; the previous model and data keep serving: {detail}"


class Unauthorized(ApiError):
    status = 401
    code = "unauthorized"
    headers = (("WWW-Authenticate", "Bearer"),)
    zh = "需要有效的身份令牌（Authorization: Bearer ...）。"
    en = "A valid identity token is required (Authorization: Bearer ...)."


class TokenExpired(Unauthorized):
    code = "token_expired"
    zh = "身份令牌已过期，请重新登录。"
    en = "The identity token has expired; sign in again."


class TokenInvalid(Unauthorized):
    code = "token_invalid"
    zh = "身份令牌无效：{reason}"
    en = "The identity token is not valid: {reason}"


class AnswerFailed(ApiError):
    """A semantic-layer error met while answering a question, said in the question's language."""

    ZH: ClassVar[list[tuple[type[SemanticLayerError], str]]] = [
        (AccessDeniedError, "你没有权限查看这些数据。"),
        (QueryError, "这个问题无法转换成有效的查询：{detail}"),
        (QueryTimeout, "查询运行时间太长，已被停止。请缩小时间范围或减少拆分维度后再试。"),
        (UnsafeSQLError, "这个查询被安全检查拒绝了：{detail}"),
        (ExecutionError, "数据库暂时无法执行查询，请稍后再试。"),
        (SemanticLayerError, "语义模型有误，请联系管理员：{detail}"),
    ]

    def __init__(self, error: SemanticLayerError, language: Language | None) -> None:
        self.error = error
        self.status = status_of(error)
        self.code = error.code
        super().__init__(language, suggestions=error.suggestions, detail=error.message)

    def message(self, language: Language) -> str:
        if language == "en":
            return self.error.message
        template = next(text for kind, text in self.ZH if isinstance(self.error, kind))
        return template.format(**self.params)


def language_of_request(request: Request) -> Language:
    """zh when the client prefers Chinese (Accept-Language), else en."""
    accepted = request.headers.get("accept-language", "").strip().lower()
    return "zh" if accepted.startswith("zh") else "en"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> JSONResponse:
        language = error.language or language_of_request(request)
        return JSONResponse(
            error_body(error.code, error.message(language), error.suggestions),
            status_code=error.status,
            headers=dict(error.headers),
        )

    @app.exception_handler(StoreUnavailable)
    async def store_unavailable(request: Request, error: StoreUnavailable) -> JSONResponse:
        logger.error("the conversation store failed: %s", error)
        failed = StoreFailed()
        return JSONResponse(
            error_body(failed.code, failed.message(language_of_request(request))), status_code=failed.status
        )

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

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
        return JSONResponse(
            error_body(code, str(error.detail)), status_code=error.status_code, headers=error.headers
        )

    @app.exception_handler(Exception)
    async def unexpected(_: Request, error: Exception) -> JSONResponse:
        logger.exception("unexpected error", exc_info=error)
        return JSONResponse(
            error_body("internal_error", "Something went wrong on the server; the error is logged."),
            status_code=500,
        )
