"""Load CSV, Parquet and DuckDB files into one DuckDB database, one typed table per file (or per table).

The database is written atomically: tables go into a copy (a new file when the database does not exist
yet), and the copy replaces the database only when every file has loaded, so a failure leaves the old
database as it was and no half-written file. An existing table is replaced only when asked (`force`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ..errors import DraftError
from .column_types import CLEAN_MACRO, TypedColumn, create_clean_macro
from .csv_format import sniff_csv, to_utf8
from .naming import identifier, table_identifier
from .sources import Source
from .sql_text import quote_identifier, quote_literal
from .table_types import TEXT_TYPES, type_columns
from .timestamps import TimestampFormat

Progress = Callable[[str, float | None], None]
"""Told what is happening (`stage`) and, for long steps, how far along it is (0..1, or None)."""
PROGRESS_BYTES = 32 * 1024 * 1024
"""Files at least this large report progress while they load."""
_RAW = "chatbi_raw"


@dataclass(frozen=True)
class LoadedColumn:
    name: str
    """Column name in the database."""
    original: str
    """Column name as the file wrote it."""
    duckdb_type: str
    timestamp: TimestampFormat | None = None
    """How the file wrote the times of this column, when they were parsed while loading."""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class LoadedTable:
    name: str
    file: Path
    rows: int
    columns: tuple[LoadedColumn, ...]
    notes: tuple[str, ...] = ()


class DatabaseWriter:
    """Loads files into a working copy of the database at `path`; `commit` puts the copy in its place."""

    def __init__(self, path: Path, *, force: bool = False, progress: Progress | None = None) -> None:
        self.path = path
        self.force = force
        self.progress = progress or (lambda _stage, _fraction: None)
        self.work = path.with_name(f".{path.name}.{os.getpid()}.init-tmp")
        self.existing = _tables_of(path) if path.exists() else set()
        self.created: list[str] = []
        self._scratch = Path(tempfile.mkdtemp(prefix="chatbi-init-"))
        if path.exists():
            shutil.copyfile(path, self.work)
        self.connection = duckdb.connect(
            str(self.work),
            config={
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
                "temp_directory": str(self._scratch),  # what spills to disk goes with the scratch folder
            },
        )
        self.connection.execute("SET TimeZone = 'UTC'")
        create_clean_macro(self.connection)

    def __enter__(self) -> DatabaseWriter:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Drop the working copy unless it was committed."""
        with contextlib.suppress(duckdb.Error):
            self.connection.close()
        for leftover in (self.work, self.work.with_name(self.work.name + ".wal")):
            leftover.unlink(missing_ok=True)
        shutil.rmtree(self._scratch, ignore_errors=True)

    def commit(self) -> None:
        """Replace the database with the working copy (atomically: a rename)."""
        self.connection.execute("CHECKPOINT")
        self.connection.close()
        os.replace(self.work, self.path)

    def load(self, source: Source) -> list[LoadedTable]:
        """Load one file: a table for a CSV or Parquet file, one per table of a DuckDB file."""
        if source.kind == "duckdb":
            return self._load_duckdb(source.path)
        name = self._table_name(source.path.stem, source.path)
        if source.kind == "csv":
            return [self._load_csv(source.path, name)]
        reader = "SELECT * FROM read_parquet($1)"
        return [self._load_relation(reader, [str(source.path)], name, source.path)]

    def _table_name(self, wanted: str, path: Path) -> str:
        name = table_identifier(wanted, self.created)
        if name.lower() in {t.lower() for t in self.existing}:
            if not self.force:
                raise DraftError(
                    f"table '{name}' (from {path.name}) already exists in {self.path}; "
                    "use --force to replace it, or --db to load into another database"
                )
            self.connection.execute(f"DROP TABLE IF EXISTS {quote_identifier(name)}")
            self.connection.execute(f"DROP VIEW IF EXISTS {quote_identifier(name)}")
        self.created.append(name)
        return name

    def _load_csv(self, path: Path, table: str) -> LoadedTable:
        fmt = sniff_csv(path)
        readable = path
        if fmt.encoding != "utf-8":
            readable = self._scratch / f"{table}.csv"
            self.progress(f"converting {path.name} from {fmt.encoding} to UTF-8", None)
            to_utf8(path, fmt.encoding, readable)
        names: list[str] = []
        for original in fmt.header:
            names.append(identifier(original, names))
        columns = "{" + ", ".join(f"{quote_literal(n)}: 'VARCHAR'" for n in names) + "}"
        reader = (
            f"SELECT * FROM read_csv($1, columns={columns}, header=true, delim=$2, quote='\"', escape='\"', "
            "auto_detect=false, null_padding=true, parallel=false, max_line_size=16777216)"
        )
        note = f"read as CSV ({_delimiter_name(fmt.delimiter)}-delimited, {fmt.encoding})"
        return self._load_relation(
            reader,
            [str(readable), fmt.delimiter],
            table,
            path,
            originals=dict(zip(names, fmt.header, strict=True)),
            decimal_comma=fmt.delimiter != ",",
            notes=(note,),
        )

    def _load_duckdb(self, path: Path) -> list[LoadedTable]:
        self.connection.execute("ATTACH $1 AS chatbi_source (READ_ONLY)", [str(path)])
        try:
            rows = self.connection.execute(
                "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'chatbi_source' "
                "UNION ALL SELECT schema_name, view_name FROM duckdb_views() "
                "WHERE database_name = 'chatbi_source' AND NOT internal ORDER BY 1, 2"
            ).fetchall()
            if not rows:
                raise DraftError(f"{path} holds no tables")
            loaded = []
            for schema, table in rows:
                source = f"chatbi_source.{quote_identifier(schema)}.{quote_identifier(table)}"
                wanted = table if schema == "main" else f"{schema}_{table}"
                loaded.append(
                    self._load_relation(f"SELECT * FROM {source}", [], self._table_name(wanted, path), path)
                )
            return loaded
        finally:
            self.connection.execute("DETACH chatbi_source")

    def _load_relation(
        self,
        reader: str,
        parameters: list[str],
        table: str,
        path: Path,
        *,
        originals: dict[str, str] | None = None,
        decimal_comma: bool = False,
        notes: tuple[str, ...] = (),
    ) -> LoadedTable:
        """`reader` (a SELECT) -> a cleaned staging table -> the typed table `table`."""
        described = self.connection.execute(f"DESCRIBE {reader}", parameters).fetchall()
        if originals is None:
            names: list[str] = []
            for row in described:
                names.append(identifier(str(row[0]), names))
            originals = {name: str(row[0]) for name, row in zip(names, described, strict=True)}
        sources = [str(row[0]) for row in described]
        types = {name: str(row[1]).upper() for name, row in zip(originals, described, strict=True)}
        select = ", ".join(
            f"{_cleaned(quote_identifier(src), types[name])} AS {quote_identifier(name)}"
            for name, src in zip(originals, sources, strict=True)
        )
        size = path.stat().st_size if path.is_file() else 0
        self.progress(f"reading {path.name}", 0.0 if size >= PROGRESS_BYTES else None)
        with self._watching(f"reading {path.name}", size >= PROGRESS_BYTES):
            try:
                self.connection.execute(
                    f"CREATE OR REPLACE TEMP TABLE {_RAW} AS SELECT {select} FROM ({reader})", parameters
                )
            except duckdb.Error as error:
                raise DraftError(f"cannot read {path}: {_reading_problem(error)}") from None
        self.progress(f"typing the columns of {path.name}", None)
        typed = type_columns(self.connection, _RAW, originals, types, decimal_comma=decimal_comma)
        body = ", ".join(f"{column.sql} AS {quote_identifier(column.name)}" for column in typed)
        self.progress(f"writing table {table}", None)
        with self._watching(f"writing table {table}", size >= PROGRESS_BYTES):
            self.connection.execute(f"CREATE TABLE {quote_identifier(table)} AS SELECT {body} FROM {_RAW}")
        count = self.connection.execute(f"SELECT count(*) FROM {quote_identifier(table)}").fetchone()
        self.connection.execute(f"DROP TABLE {_RAW}")
        columns = tuple(
            LoadedColumn(c.name, c.original, _stored_type(c), c.timestamp, c.notes) for c in typed
        )
        return LoadedTable(table, path, int(count[0]) if count else 0, columns, notes)

    @contextmanager
    def _watching(self, stage: str, enabled: bool) -> Iterator[None]:
        """Report DuckDB's progress on the running statement every half second (big files only)."""
        if not enabled:
            yield
            return
        done = threading.Event()

        def watch() -> None:
            while not done.wait(0.5):
                fraction = self.connection.query_progress()
                if fraction >= 0:
                    self.progress(stage, min(fraction / 100, 1.0))

        thread = threading.Thread(target=watch, daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()
            self.progress(stage, 1.0)


def _stored_type(column: TypedColumn) -> str:
    return column.duckdb_type.split("(")[0]


def _cleaned(column: str, duckdb_type: str) -> str:
    return f"{CLEAN_MACRO}({column})" if duckdb_type in TEXT_TYPES else column


def _delimiter_name(delimiter: str) -> str:
    return {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}.get(delimiter, repr(delimiter))


def _tables_of(path: Path) -> set[str]:
    try:
        with duckdb.connect(str(path), read_only=True) as connection:
            rows = connection.execute(
                "SELECT table_name FROM duckdb_tables() UNION ALL SELECT view_name FROM duckdb_views() "
                "WHERE NOT internal"
            ).fetchall()
    except duckdb.Error as error:
        raise DraftError(f"cannot open the database {path}: {_first_line(error)}") from None
    return {str(row[0]) for row in rows}


def _reading_problem(error: Exception) -> str:
    """DuckDB's account of a bad file, without its list of reader options: the line, the line's text
    and what was expected ("Expected Number of Columns: 3 Found: 4")."""
    lines = [line.strip() for line in str(error).strip().splitlines()]
    wanted = [line for line in lines if line.startswith(("Original Line", "Expected", "Found"))]
    return "; ".join([lines[0], *wanted]) if lines else type(error).__name__


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0]
