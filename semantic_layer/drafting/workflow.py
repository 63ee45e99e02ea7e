"""`chatbi init`: files in, a database and a draft model out, checked against each other; or a database
URL in, a draft model over its tables out (nothing copied).

Load every file into the database (atomically), profile each table, draft the model, make sure the
draft loads, then write it (atomically too) and check every expression against the database. From a
URL, each table is profiled from (a sample of) its rows read through the engine (`database.py`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import duckdb

from ..engine import DuckDBEngine
from ..engines import EngineSettings, open_engine
from ..errors import DraftError, ModelError
from ..loader import parse_model
from ..model import SemanticModel
from ..validation import check_against_database
from .database import (
    SAMPLE_ROWS,
    ProfiledTable,
    choose_tables,
    list_catalog,
    profile_database_table,
    rebind_columns,
)
from .draft import DraftModel
from .drafting import DraftOptions, draft_model
from .loading import DatabaseWriter, LoadedTable, Progress
from .naming import identifier, table_identifier
from .profiling import profile_table
from .sources import find_sources
from .yaml_writer import render_draft


@dataclass(frozen=True)
class InitResult:
    model_path: Path
    db_path: Path
    tables: tuple[LoadedTable, ...]
    draft: DraftModel
    model: SemanticModel
    problems: tuple[str, ...]
    """What `chatbi check --db` would report (nothing, for a draft that fits its data)."""


def init_from_source(
    source: str,
    out: Path,
    db: Path | None = None,
    *,
    force: bool = False,
    within_hours: int = 24,
    progress: Progress | None = None,
) -> InitResult:
    """Load `source` (a file, a directory of files) into `db` (default: `out` with `.duckdb`) and write
    a draft model to `out`. Existing tables and an existing model file are replaced only with `force`."""
    sources = find_sources(source)
    default_db = db is None
    db = db or out.with_suffix(".duckdb")
    report = progress or (lambda _stage, _fraction: None)
    _check_out(out, force)
    if db.resolve() in {s.path.resolve() for s in sources}:
        where = f"{db} (the default: --out with .duckdb)" if default_db else str(db)
        raise DraftError(f"the database {where} is one of the files to load; name another one with --db")
    for folder in {out.parent, db.parent}:
        folder.mkdir(parents=True, exist_ok=True)
    name = identifier(Path(source.rstrip("/\\")).stem, fallback="model")
    with DatabaseWriter(db, force=force, progress=progress) as writer:
        tables: list[LoadedTable] = []
        profiles = []
        for item in sources:
            for table in writer.load(item):
                report(f"profiling {table.name}", None)
                tables.append(table)
                profiles.append(
                    profile_table(
                        writer.connection, table.name, table.columns, file=table.file, notes=table.notes
                    )
                )
        draft = draft_model(profiles, DraftOptions(within_hours=within_hours, name=name))
        text = render_draft(
            draft, header=_header(sources_text=", ".join(s.path.name for s in sources), out=out, db=db)
        )
        try:
            model = parse_model(text, file=str(out))
        except ModelError as error:  # a draft that does not load is a bug here, not the user's doing
            raise DraftError(f"the drafted model does not load (please report this): {error}") from None
        writer.commit()
    write_atomically(out, text)
    engine = DuckDBEngine(db)
    try:
        problems = tuple(check_against_database(model, engine))
    finally:
        engine.close()
    return InitResult(out, db, tuple(tables), draft, model, problems)


PASSWORD_LEFT_OUT = (
    "  (the password is left out: set PGPASSWORD or use ~/.pgpass, or write it back into the URL)"
)
INIT_QUERY_TIMEOUT = 120.0
"""Seconds each catalog read, count and sample may take while drafting from a database."""


@dataclass(frozen=True)
class DatabaseInitResult:
    model_path: Path
    database: str
    """The database URL without its password (see `without_password`)."""
    tables: tuple[ProfiledTable, ...]
    skipped: tuple[str, ...]
    """Tables not drafted, and why."""
    draft: DraftModel
    model: SemanticModel
    problems: tuple[str, ...]
    password_left_out: bool = False
    """The URL held a password that `database` leaves out."""


def init_from_database(
    url: str,
    out: Path,
    *,
    schemas: Sequence[str] = (),
    tables: Sequence[str] = (),
    force: bool = False,
    within_hours: int = 24,
    sample_rows: int = SAMPLE_ROWS,
    progress: Progress | None = None,
) -> DatabaseInitResult:
    """Write a draft model over the tables of the database at `url` (those of `schemas`, default the
    search path's; only `tables` when named) to `out`, profiled from at most `sample_rows` rows each."""
    report = progress or (lambda _stage, _fraction: None)
    _check_out(out, force)
    engine = open_engine(url, EngineSettings(query_timeout=INIT_QUERY_TIMEOUT))
    try:
        report("reading the catalog", None)
        where = f"schema {', '.join(schemas)}" if schemas else "the default schemas"
        chosen, skipped = choose_tables(list_catalog(engine, schemas), tables, engine.dialect, where)
        profiled: list[ProfiledTable] = []
        with duckdb.connect(":memory:", config={"autoinstall_known_extensions": False}) as connection:
            connection.execute("SET TimeZone = 'UTC'")
            taken: list[str] = []
            for table in chosen:
                wanted = table.name if table.name not in taken else f"{table.schema}_{table.name}"
                name = table_identifier(wanted, taken)
                taken.append(name)
                profiled.append(
                    profile_database_table(
                        engine, connection, table, name, sample_rows=sample_rows, progress=report
                    )
                )
        origin = _described(url)
        options = DraftOptions(within_hours=within_hours, name=_model_name(url, out), origin=origin)
        draft = draft_model([t.profile for t in profiled], options)
        draft = rebind_columns(draft, {t.name: t.columns for t in profiled})
        shown = without_password(url)
        header = _header(sources_text=origin, out=out, db=shown)
        password_left_out = urlsplit(url).password is not None
        if password_left_out:
            header += (PASSWORD_LEFT_OUT,)
        text = render_draft(draft, header=header)
        try:
            model = parse_model(text, file=str(out))
        except ModelError as error:
            raise DraftError(f"the drafted model does not load (please report this): {error}") from None
        out.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(out, text)
        report("checking the draft against the database", None)
        problems = tuple(check_against_database(model, engine))
    finally:
        engine.close()
    return DatabaseInitResult(
        out, shown, tuple(profiled), tuple(skipped), draft, model, problems, password_left_out
    )


def without_password(url: str) -> str:
    """`url` without a password (nor a Spark Connect token), for commands shown to people and written
    to files; PostgreSQL's client finds the password in PGPASSWORD or ~/.pgpass."""
    parts = urlsplit(url)
    path = ";".join(p for p in parts.path.split(";") if not p.lower().startswith("token="))
    if parts.password is None and path == parts.path:
        return url
    netloc = parts.netloc
    if parts.password is not None:
        netloc = (
            f"{parts.username}@{netloc.rpartition('@')[2]}" if parts.username else netloc.rpartition("@")[2]
        )
    return urlunsplit((parts.scheme, netloc, path, parts.query, parts.fragment))


def _check_out(out: Path, force: bool) -> None:
    if out.exists() and not force:
        raise DraftError(f"{out} already exists; use --force to replace it (edits made to it would be lost)")
    if out.suffix.lower() not in (".yaml", ".yml"):
        raise DraftError(f"--out {out} should be a .yaml file")


def _described(url: str) -> str:
    """The database a URL names, without account, password or options: `postgresql://host:5432/db`."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path.split(';')[0]}"


def _model_name(url: str, out: Path) -> str:
    """The database's name (the URL's path), else the model file's."""
    path = urlsplit(url).path.split(";")[0].strip("/")
    return identifier(Path(path).name if path else out.stem, fallback="model")


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file renamed into place."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _header(*, sources_text: str, out: Path, db: Path | str) -> tuple[str, ...]:
    return (
        f"Draft semantic model written by `chatbi init` from {sources_text}.",
        "Read every REVIEW comment: each marks a guess (a type, a date order, a column left out, a suggested",
        "synonym). Add the words your people use as synonyms, and aliases of data values under a dimension's",
        "values:, then check and ask again. The format is described in docs/semantic-model.md.",
        f"  chatbi check --model {out} --db {db}",
        f'  chatbi ask --model {out} --db {db} "..."',
    )
