"""Open the engine a database setting names: a file path is DuckDB; a URL picks PostgreSQL or Spark.

    data/demo.duckdb                          DuckDB (semantic_layer.engine)
    postgresql://user:pass@host:5432/db       PostgreSQL through a SELECT-only role (engines/postgres.py)
    spark-local://?threads=2                  an in-process local Spark session (engines/spark.py)
    spark-local:///path/to/parquet/tables     ... with each NAME.parquet in the folder as table NAME
    sc://host:15002                           a Spark cluster through Spark Connect

Each speaks the `Engine` protocol; the compiler renders for its `dialect`. PostgreSQL and Spark load
on first use (their client libraries take a while to import).
"""

from __future__ import annotations

import re
from typing import Literal

from ..engine import DuckDBEngine, Engine
from ..errors import ExecutionError
from .common import EngineSettings, redact

EngineKind = Literal["duckdb", "postgres", "spark"]
_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_SCHEMES: dict[str, EngineKind] = {
    "postgresql": "postgres",
    "postgres": "postgres",
    "spark-local": "spark",
    "sc": "spark",
}

__all__ = ["EngineKind", "EngineSettings", "engine_kind", "open_engine", "redact"]


def engine_kind(db: str) -> EngineKind:
    """Which engine serves `db`: a path is DuckDB; an unknown URL scheme is an error naming the known ones."""
    match = _URL.match(db)
    if match is None:
        return "duckdb"
    scheme = match.group(1).lower()
    if scheme not in _SCHEMES:
        known = "postgresql://, spark-local://, sc://"
        raise ExecutionError(f"unsupported database URL {redact(db)}: use a DuckDB file path or {known}")
    return _SCHEMES[scheme]


def open_engine(db: str, settings: EngineSettings | None = None) -> Engine:
    """The engine for `db` (see the module's docstring); raises ExecutionError when it cannot open,
    UnsafeDatabaseError when the account could change data."""
    settings = settings or EngineSettings()
    kind = engine_kind(db)
    if kind == "postgres":
        from .postgres import PostgresEngine

        return PostgresEngine(db, settings)
    if kind == "spark":
        from .spark import SparkEngine

        return SparkEngine(db, settings)
    return DuckDBEngine(db, settings.for_duckdb())
