"""Errors of the semantic layer: user errors carry a location and suggestions; one root for all.

`SemanticLayerError` is the root. `ModelError` means the semantic model (YAML) is wrong; `QueryError`
means a semantic query is wrong; `ExecutionError` means the database failed; `DraftError` means a data
source or a dbt project could not be turned into a draft model. Callers (CLI, server) map
these types to exit codes and HTTP statuses in one place.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """The valid names closest to `name`, best first (for "did you mean ...?"); only near-ties of the best."""
    pool = list(dict.fromkeys(candidates))
    lowered = name.lower()
    scored = sorted(
        ((difflib.SequenceMatcher(None, lowered, c.lower()).ratio(), c) for c in pool), key=lambda p: -p[0]
    )
    matches = [c for score, c in scored if score >= 0.6 and score >= scored[0][0] - 0.08][:n]
    if not matches:
        matches = [c for c in pool if lowered and (lowered in c.lower() or c.lower() in lowered)][:n]
    return matches


class SemanticLayerError(Exception):
    """Root of every error raised by the semantic layer."""

    code = "semantic_layer_error"

    def __init__(self, message: str, *, suggestions: Iterable[str] = ()) -> None:
        self.message = message
        self.suggestions = list(suggestions)
        super().__init__(self.__str__())

    def __str__(self) -> str:
        if len(self.suggestions) == 1:
            return f"{self.message}; did you mean '{self.suggestions[0]}'?"
        if self.suggestions:
            options = ", ".join(f"'{s}'" for s in self.suggestions)
            return f"{self.message}; did you mean one of {options}?"
        return self.message


class ModelError(SemanticLayerError):
    """The semantic model is invalid. Names the file, the line and the field where known."""

    code = "invalid_model"

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
        suggestions: Iterable[str] = (),
    ) -> None:
        self.file = file
        self.line = line
        self.field = field
        super().__init__(message, suggestions=suggestions)

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "") + ": "
        elif self.line:
            where = f"line {self.line}: "
        field = f"{self.field}: " if self.field else ""
        return where + field + super().__str__()


class QueryError(SemanticLayerError):
    """A semantic query cannot be answered as asked (bad shape, unknown name, impossible join)."""

    code = "invalid_query"


class UnknownFieldError(QueryError):
    """A query names a metric, dimension or field the model does not define."""

    code = "unknown_field"

    def __init__(self, kind: str, name: str, candidates: Iterable[str]) -> None:
        self.kind = kind
        self.name = name
        super().__init__(f"unknown {kind} '{name}'", suggestions=closest(name, candidates))


class AccessDeniedError(QueryError):
    """The identity may not see the data a query asks for."""

    code = "access_denied"


class DraftError(SemanticLayerError):
    """A data source cannot be loaded or drafted into a model (`chatbi init`, `chatbi import-dbt`)."""

    code = "draft_error"


class ExecutionError(SemanticLayerError):
    """The database failed to run a compiled query (missing file, lock, timeout, engine error)."""

    code = "execution_error"


class UnsafeSQLError(ExecutionError):
    """SQL refused before it reached the database: not one read-only query over allowed tables and
    functions (see `semantic_layer.guard`)."""

    code = "unsafe_sql"


class QueryTimeout(ExecutionError):
    """A query ran past its deadline and was interrupted."""

    code = "query_timeout"


class UnsafeDatabaseError(ExecutionError):
    """The database account could change data (a superuser, a role that may write tables): refused."""

    code = "unsafe_database"
