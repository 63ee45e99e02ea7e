"""`chatbi init`: files in, a database and a draft model out, checked against each other.

Load every file into the database (atomically), profile each table, draft the model, make sure the
draft loads, then write it (atomically too) and check every expression against the database.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..engine import DuckDBEngine
from ..errors import DraftError, ModelError
from ..loader import parse_model
from ..model import SemanticModel
from ..validation import check_against_database
from .draft import DraftModel
from .drafting import DraftOptions, draft_model
from .loading import DatabaseWriter, LoadedTable, Progress
from .naming import identifier
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
    if out.exists() and not force:
        raise DraftError(f"{out} already exists; use --force to replace it (edits made to it would be lost)")
    if db.resolve() in {s.path.resolve() for s in sources}:
        where = f"{db} (the default: --out with .duckdb)" if default_db else str(db)
        raise DraftError(f"the database {where} is one of the files to load; name another one with --db")
    if out.suffix.lower() not in (".yaml", ".yml"):
        raise DraftError(f"--out {out} should be a .yaml file")
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


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file renamed into place."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _header(*, sources_text: str, out: Path, db: Path) -> tuple[str, ...]:
    return (
        f"Draft semantic model written by `chatbi init` from {sources_text}.",
        "Read every REVIEW comment: each marks a guess (a type, a date order, a column left out, a suggested",
        "synonym). Add the words your people use as synonyms, and aliases of data values under a dimension's",
        "values:, then check and ask again. The format is described in docs/semantic-model.md.",
        f"  chatbi check --model {out} --db {db}",
        f'  chatbi ask --model {out} --db {db} "..."',
    )
