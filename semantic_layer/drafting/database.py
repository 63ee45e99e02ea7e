"""Profile a database's tables where they are: `chatbi init postgresql://...` copies no data.

The tables come from the engine's catalog (`list_tables`); each is counted and a bounded sample of its
rows (all of them when few; else TABLESAMPLE with a LIMIT) is read through the engine's guarded,
read-only, time-bound `execute` into an in-memory DuckDB table, which the profiler reads as it reads a
loaded file. The columns keep their database types: text is not parsed, but a text column holding times
gets a REVIEW (with the view that converts them, when every value reads).

The sample table's columns are named like loaded files' (`identifier`); `rebind_columns` gives the
drafted expressions the database's own column names back (quoted where they differ).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa
from sqlglot import exp
from sqlglot.errors import SqlglotError

from ..engine import Engine, RawResult
from ..engines.catalog import CatalogColumn, CatalogTable, ColumnKind, ListsTables
from ..errors import DraftError, closest
from ..expressions import parse_expression
from .column_types import read_text_timestamps
from .draft import DraftModel
from .loading import LoadedColumn
from .naming import identifier
from .profiling import TableProfile, profile_table
from .sql_text import quote_identifier
from .timestamps import TimestampFormat

SAMPLE_ROWS = 200_000
"""Rows profiled per table at most (a sample of bigger tables)."""
SAMPLE_SEED = 7
"""PostgreSQL's TABLESAMPLE ... REPEATABLE seed: the same table gives the same sample."""
_DUCKDB_TYPES: dict[ColumnKind, str] = {
    "boolean": "BOOLEAN", "integer": "BIGINT", "number": "DOUBLE", "date": "DATE", "timestamp": "TIMESTAMP",
    "zoned_timestamp": "TIMESTAMP", "text": "VARCHAR",
}  # fmt: skip
_ARROW_TYPES: dict[ColumnKind, pa.DataType] = {
    "boolean": pa.bool_(),
    "integer": pa.int64(),
    "number": pa.float64(),
}
# Names a model's `source` can hold as they are: PostgreSQL folds unquoted names to lower case.
_PLAIN_NAMES = {"postgres": re.compile(r"[a-z_][a-z0-9_]*"), "spark": re.compile(r"[A-Za-z_][A-Za-z0-9_]*")}
# strptime directives in the engines' own time formats (anything else is literal text).
_FORMATS = {
    "postgres": {"%Y": "YYYY", "%m": "MM", "%d": "DD", "%H": "HH24", "%I": "HH12", "%M": "MI", "%S": "SS",
                 "%f": "US", "%p": "AM"},
    "spark": {"%Y": "yyyy", "%m": "M", "%d": "d", "%H": "H", "%I": "h", "%M": "m", "%S": "s", "%f": "SSSSSS",
              "%p": "a"},
}  # fmt: skip
_LITERAL_QUOTES = {"postgres": '"', "spark": "'"}

Progress = Callable[[str, float | None], None]


@dataclass(frozen=True)
class ProfiledTable:
    """A database table as `chatbi init` read it."""

    name: str
    """The model's name for it."""
    source: str
    """How queries name it in the database (the model's `source`)."""
    rows: int
    sampled: int | None
    """Rows profiled, when a sample of fewer than `rows`."""
    profile: TableProfile
    columns: dict[str, str]
    """Profiled column name -> the database's column name."""
    left_out: tuple[CatalogColumn, ...] = ()
    """Columns of types that are not profiled (JSON, arrays, binary, intervals...)."""


def list_catalog(engine: Engine, schemas: Sequence[str]) -> tuple[CatalogTable, ...]:
    """The tables the engine's account may read in `schemas` (default: the engine's default ones)."""
    if not isinstance(engine, ListsTables):
        raise DraftError(f"chatbi init cannot list the tables of a {engine.dialect} database")
    return engine.list_tables(list(schemas) or None)


def choose_tables(
    catalog: Sequence[CatalogTable], wanted: Sequence[str], dialect: str, where: str
) -> tuple[list[CatalogTable], list[str]]:
    """The tables to draft (those `wanted` names, else every table with a name a model can hold) and,
    for the others, why they were skipped. `where` says where they were looked for (in messages)."""
    if not catalog:
        raise DraftError(f"no tables or views that this account may read in {where}")
    if wanted:
        chosen = []
        for name in wanted:
            found = [t for t in catalog if name == t.reference] or [
                t for t in catalog if name in (t.name, f"{t.schema}.{t.name}")
            ]
            if len(found) > 1:
                places = ", ".join(t.reference for t in found)
                raise DraftError(f"table '{name}' is in several schemas ({places}): name one as schema.table")
            if not found:
                names = sorted({t.reference for t in catalog})
                raise DraftError(
                    f"no table '{name}' that this account may read in {where}",
                    suggestions=closest(name, names),
                )
            if not plain_name(found[0].reference, dialect):
                raise DraftError(_not_plain(found[0]))
            chosen.append(found[0])
        return list(dict.fromkeys(chosen)), []
    chosen = [t for t in catalog if plain_name(t.reference, dialect)]
    skipped = [_not_plain(t) for t in catalog if t not in chosen]
    if not chosen:
        raise DraftError("; ".join(skipped))
    return chosen, skipped


def plain_name(reference: str, dialect: str) -> bool:
    """Whether `reference` (`name` or `schema.name`) reads back as that table unquoted, as a model's
    `source` is written."""
    pattern = _PLAIN_NAMES.get(dialect, _PLAIN_NAMES["postgres"])
    if not all(pattern.fullmatch(part) for part in reference.split(".")) or reference.count(".") > 1:
        return False
    try:
        table = exp.to_table(reference, dialect=dialect)
    except SqlglotError:
        return False
    return ".".join(p for p in (table.db, table.name) if p) == reference


def _not_plain(table: CatalogTable) -> str:
    return (
        f"skipped table {table.reference!r}: a model names tables without quotes (lower case letters, "
        "digits and _); create a view with such a name over it"
    )


def profile_database_table(
    engine: Engine,
    connection: duckdb.DuckDBPyConnection,
    table: CatalogTable,
    name: str,
    *,
    sample_rows: int = SAMPLE_ROWS,
    progress: Progress | None = None,
) -> ProfiledTable:
    """Count `table`, read (a sample of) its rows into DuckDB table `name` on `connection`, profile it."""
    report = progress or (lambda _stage, _fraction: None)
    readable = [c for c in table.columns if c.kind != "other"]
    left_out = tuple(c for c in table.columns if c.kind == "other")
    report(f"counting the rows of {table.reference}", None)
    count = _run(engine, table, exp.select(exp.Count(this=exp.Star())).from_(exp.to_table(table.reference)))
    rows = int(count.rows[0][0])
    report(f"reading {'a sample of ' if rows > sample_rows else ''}{table.reference}", None)
    sample = _run(
        engine, table, _sample_query(table, readable, rows, sample_rows, engine.dialect), sample_rows
    )
    names: list[str] = []
    for column in readable:
        names.append(identifier(column.name, names))
    columns = _load(connection, name, readable, names, sample.rows)
    columns = [_with_time_note(connection, name, column) for column in columns]
    report(f"profiling {table.reference}", None)
    profile = profile_table(connection, name, columns)
    sampled = profile.rows if profile.rows < rows else None
    review = _table_review(table, columns, left_out, engine.dialect)
    profile = dataclasses.replace(profile, source=table.reference, total_rows=rows, review=review)
    real = {column.name: original.name for column, original in zip(columns, readable, strict=True)}
    return ProfiledTable(name, table.reference, rows, sampled, profile, real, left_out)


def _run(
    engine: Engine, table: CatalogTable, query: exp.Query | str, max_rows: int | None = None
) -> RawResult:
    sql = query if isinstance(query, str) else query.sql(dialect=engine.dialect)
    return engine.execute(sql, max_rows=max_rows, allowed_tables=[table.reference])


def _sample_query(
    table: CatalogTable, columns: Sequence[CatalogColumn], rows: int, limit: int, dialect: str
) -> str:
    """SELECT the columns of (a sample of about `limit` rows of) the table, at most `limit` rows."""
    source = exp.to_table(table.reference)
    if rows > limit and not table.view and dialect in ("postgres", "spark"):
        percent = exp.Literal.number(f"{max(100 * limit / rows, 0.0001):.4f}")
        if dialect == "postgres":  # rows picked at random over the whole table, the same ones every time
            seed = exp.Literal.number(SAMPLE_SEED)
            source.set("sample", exp.TableSample(method=exp.var("BERNOULLI"), percent=percent, seed=seed))
        else:
            source.set("sample", exp.TableSample(percent=percent))
    selected: list[exp.Expr] = [exp.column(c.name, quoted=True) for c in columns] or [exp.Literal.number(1)]
    return exp.select(*selected).from_(source).limit(limit).sql(dialect=dialect)


def _load(
    connection: duckdb.DuckDBPyConnection,
    name: str,
    columns: Sequence[CatalogColumn],
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> list[LoadedColumn]:
    """The sampled rows as DuckDB table `name`, typed from the catalog; times arrive as ISO text."""
    arrays = []
    for index, column in enumerate(columns):
        values = [row[index] for row in rows]
        kind = _ARROW_TYPES.get(column.kind)
        arrays.append(
            pa.array(values, type=kind) if kind else pa.array([_text(v) for v in values], pa.string())
        )
    staged = pa.table(arrays, names=[f"c{i}" for i in range(len(columns))])
    select = ", ".join(
        f"{_typed(f'c{i}', column.kind)} AS {quote_identifier(alias)}"
        for i, (column, alias) in enumerate(zip(columns, names, strict=True))
    )
    with connection.cursor() as staging:  # a session of its own: the arrow table is registered there only
        staging.register("chatbi_staged", staged)
        staging.execute(
            f"CREATE OR REPLACE TABLE {quote_identifier(name)} AS SELECT {select} FROM chatbi_staged"
        )
    return [
        LoadedColumn(alias, column.name, _DUCKDB_TYPES[column.kind], notes=_kind_notes(column))
        for column, alias in zip(columns, names, strict=True)
    ]


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _typed(column: str, kind: ColumnKind) -> str:
    if kind == "date":
        return f"CAST({column} AS DATE)"
    if kind == "timestamp":
        return f"CAST({column} AS TIMESTAMP)"
    if kind == "zoned_timestamp":  # ISO text with an offset: the instant, as UTC wall time
        return f"timezone('UTC', CAST({column} AS TIMESTAMPTZ))"
    return column


def _kind_notes(column: CatalogColumn) -> tuple[str, ...]:
    if column.kind == "zoned_timestamp":
        return (
            f"times with a zone ({column.type}): profiled in UTC; questions read them in calendar.timezone",
        )
    return ()


def _with_time_note(connection: duckdb.DuckDBPyConnection, table: str, column: LoadedColumn) -> LoadedColumn:
    """A text column whose values look like times gets a REVIEW (the model does not parse text) and,
    when one format reads every value, that format (`timestamp`), for the view the table's REVIEW shows."""
    if column.duckdb_type != "VARCHAR":
        return column
    relation = quote_identifier(table)
    reading = read_text_timestamps(connection, relation, column.name)
    if reading is None:
        return column
    shown = reading.format.description
    if reading.unreadable:
        examples = ", ".join(repr(v[:40]) for v in reading.examples)
        note = (
            f"text that looks like times written {shown}, but {reading.unreadable:,} of {reading.values:,} "
            f"values are not (e.g. {examples}): kept as text, not usable as a time"
        )
        return dataclasses.replace(column, notes=(*column.notes, note))
    single = _single_format(connection, relation, column.name, reading.format)
    if single is None:
        note = f"text holding times written {shown}, in more than one layout: kept as text (the model does not parse text)"
        return dataclasses.replace(column, notes=(*column.notes, note))
    note = (
        f"text holding times written {shown} (every value reads so): kept as text, as the model does not "
        "parse text; to use it as a time, convert it in a view (the table's REVIEW shows one)"
    )
    return dataclasses.replace(column, timestamp=single, notes=(*column.notes, note))


def _single_format(
    connection: duckdb.DuckDBPyConnection, relation: str, column: str, fmt: TimestampFormat
) -> TimestampFormat | None:
    """`fmt` with the one strptime pattern that reads every value of the column (ISO needs none)."""
    if fmt.kind != "pattern":
        return fmt
    quoted = quote_identifier(column)
    for pattern in fmt.patterns:
        row = connection.execute(
            f"SELECT count(*) FROM {relation} WHERE {quoted} IS NOT NULL AND try_strptime({quoted}, $1) IS NULL",
            [pattern],
        ).fetchone()
        if row is not None and row[0] == 0:
            return dataclasses.replace(fmt, patterns=(pattern,))
    return None


def _table_review(
    table: CatalogTable, columns: Sequence[LoadedColumn], left_out: Sequence[CatalogColumn], dialect: str
) -> tuple[str, ...]:
    review = []
    if left_out:
        shown = ", ".join(f"{c.name!r} ({c.type})" for c in left_out)
        review.append(f"left out, of types that are not profiled: {shown}")
    readable = [c for c in columns if c.timestamp is not None]
    if readable:
        conversions = [
            exp.alias_(conversion, f"{column.name}_time", quoted=False)
            for column in readable
            if (conversion := text_time_conversion(column.original, column.timestamp, dialect)) is not None
        ]
        if conversions:
            view = exp.to_table(f"{table.reference}_typed")
            select = exp.select(exp.Star(), *conversions).from_(exp.to_table(table.reference))
            create = exp.Create(this=view, kind="VIEW", expression=select).sql(dialect=dialect)
            names = ", ".join(repr(c.original) for c in readable)
            review.append(
                f"text columns holding times ({names}) stay text here; to use them as times, create a view "
                f"that converts them, grant SELECT on it to this account, point source at it and add time "
                f"dimensions on the new columns: {create}"
            )
    return tuple(review)


def text_time_conversion(column: str, fmt: TimestampFormat | None, dialect: str) -> exp.Expr | None:
    """The `dialect` expression reading text column `column` written in `fmt` as a TIMESTAMP (a DATE
    for dates alone); None when no single format of the engine reads it."""
    if fmt is None:
        return None
    value = exp.column(column, quoted=True)
    target = exp.DataType.build("DATE" if fmt.date_only else "TIMESTAMP")
    if fmt.kind == "iso":
        return exp.Cast(this=value, to=target)
    if fmt.kind == "iso_zoned":
        return exp.Cast(
            this=value, to=exp.DataType.build("TIMESTAMPTZ" if dialect == "postgres" else "TIMESTAMP")
        )
    if fmt.kind != "pattern" or dialect not in _FORMATS or not fmt.patterns:
        return None
    pattern = engine_time_format(fmt.patterns[0], dialect)
    function = "to_date" if fmt.date_only else "to_timestamp"
    call = exp.Anonymous(this=function, expressions=[value, exp.Literal.string(pattern)])
    if dialect == "postgres" and not fmt.date_only:  # PostgreSQL's to_timestamp gives a timestamptz
        return exp.Cast(this=call, to=target)
    return call


def engine_time_format(pattern: str, dialect: str) -> str:
    """A strptime pattern (`%m/%d/%Y %I:%M:%S %p`) in `dialect`'s own time format."""
    directives = _FORMATS[dialect]
    quote = _LITERAL_QUOTES[dialect]
    parts = re.split(r"(%[A-Za-z])", pattern)
    written = []
    for part in parts:
        if part in directives:
            written.append(directives[part])
        elif part:
            plain = "".join(ch if not ch.isalpha() else f"{quote}{ch}{quote}" for ch in part)
            written.append(plain)
    return "".join(written)


def rebind_columns(draft: DraftModel, columns: dict[str, dict[str, str]]) -> DraftModel:
    """`draft` with the profiled column names of each table (`columns[table]`: profiled name ->
    database name) replaced in every expression by the database's names, quoted where they differ."""
    renamed = {table: {a: b for a, b in names.items() if a != b} for table, names in columns.items()}

    def fix(table: str | None, text: str | None) -> str | None:
        mapping = renamed.get(table or "", {})
        if text is None or not mapping:
            return text
        tree = parse_expression(text, allow_aggregates=True)
        if not any(c.name in mapping and not c.table for c in tree.find_all(exp.Column)):
            return text

        def swap(node: exp.Expr) -> exp.Expr:
            if isinstance(node, exp.Column) and not node.table and node.name in mapping:
                return exp.column(mapping[node.name], quoted=True)
            return node

        return tree.transform(swap).sql(dialect="duckdb")

    return dataclasses.replace(
        draft,
        dimensions=tuple(
            dataclasses.replace(d, expr=fix(d.table, d.expr) or d.expr) for d in draft.dimensions
        ),
        attributes=tuple(
            dataclasses.replace(a, expr=fix(a.table, a.expr) or a.expr) for a in draft.attributes
        ),
        metrics=tuple(
            dataclasses.replace(m, expr=fix(m.table, m.expr), filter=fix(m.table, m.filter))
            for m in draft.metrics
        ),
    )
