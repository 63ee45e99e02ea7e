"""The type of a text column, told from all its values, and the DuckDB expression that converts it.

Columns are read as text (nothing is guessed while reading) and cleaned: surrounding spaces go and the
usual spellings of "no value" (`?`, `NA`, `N/A`, `-`, `null`, empty...) become NULL. Then a column
whose every value is a boolean word, a whole number, a decimal number or a time becomes that type.
A column of numbers with a few stray words becomes numeric only when nearly all values are numbers,
and the words left empty are reported; codes (zip codes, phone numbers, numbers with leading zeros)
stay text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import duckdb

from .sql_text import quote_identifier, quote_literal
from .timestamps import TimestampFormat, detect_epoch, detect_timestamp_format

NULL_SPELLINGS = ("", "?", "na", "n/a", "#n/a", "-", "--", "null", "nan", "(null)")
TRUE_WORDS = ("true", "yes", "y", "t", "是", "真")
FALSE_WORDS = ("false", "no", "n", "f", "否", "假")
MOSTLY = 0.99
"""Share of values that must read as numbers (or times) for a column with stray words to convert."""
CODE_NAME = re.compile(
    r"zip|postal|postcode|phone|tel\b|mobile|code$|bbl|邮编|邮政|电话|手机|代码|编码", re.IGNORECASE
)
FLAG_NAME = re.compile(r"^is[_ ]|^has[_ ]|flag|^was[_ ]|是否", re.IGNORECASE)
CLEAN_MACRO = "chatbi_clean"
_SAMPLE = 2000


@dataclass(frozen=True)
class TypedColumn:
    """A column as it is stored: its type and how it is computed from the cleaned text."""

    name: str
    original: str
    duckdb_type: str
    sql: str
    """Expression over the cleaned staging table giving the stored value."""
    timestamp: TimestampFormat | None = None
    notes: tuple[str, ...] = field(default=())
    """What a person should review about this conversion."""


def create_clean_macro(connection: duckdb.DuckDBPyConnection) -> None:
    """`chatbi_clean(text)`: trimmed text, NULL for the spellings of no value."""
    spellings = ", ".join(quote_literal(s) for s in NULL_SPELLINGS)
    connection.execute(
        f"CREATE OR REPLACE TEMP MACRO {CLEAN_MACRO}(v) AS "
        f"CASE WHEN lower(trim(v)) IN ({spellings}) THEN NULL ELSE trim(v) END"
    )


def type_text_column(
    connection: duckdb.DuckDBPyConnection,
    relation: str,
    name: str,
    original: str,
    *,
    decimal_comma: bool = False,
    prefer_day_first: bool | None = None,
) -> TypedColumn:
    """The stored type of text column `name` of `relation` (a quoted table name; values cleaned)."""
    column = quote_identifier(name)
    stats = _stats(connection, relation, column)
    plain = TypedColumn(name, original, "VARCHAR", column)
    non_null = int(stats["non_null"])
    if non_null == 0:
        return plain
    if stats["booleans"] == non_null:
        return TypedColumn(name, original, "BOOLEAN", _boolean_sql(column))
    numbers = stats["decimals"] + (stats["comma_decimals"] if decimal_comma else 0)
    code = bool(CODE_NAME.search(original)) or stats["leading_zeros"] > 0
    if stats["integers"] == non_null:
        epoch = detect_epoch(stats["minimum"], stats["maximum"], original)
        if epoch is not None:
            return _timestamp(connection, relation, name, original, epoch, non_null)
        if code or abs(stats["maximum"]) >= 2**62 or abs(stats["minimum"]) >= 2**62:
            return plain
        if FLAG_NAME.search(original) and stats["zeros_and_ones"] == non_null:
            return TypedColumn(name, original, "BOOLEAN", f"TRY_CAST({column} AS INTEGER) = 1")
        return TypedColumn(name, original, "BIGINT", f"TRY_CAST({column} AS BIGINT)")
    if numbers == non_null and not code:
        return TypedColumn(name, original, "DOUBLE", _number_sql(column, decimal_comma))
    found = detect_timestamp_format(
        _sample(connection, relation, column),
        field_maxima=(int(stats["first_max"]), int(stats["second_max"])),
        prefer_day_first=prefer_day_first,
    )
    if found is not None:
        return _timestamp(connection, relation, name, original, found, non_null)
    if numbers >= MOSTLY * non_null and not code:
        bad = _failures(connection, relation, column, _number_sql(column, decimal_comma))
        note = f"{non_null - numbers:,.0f} values are not numbers and are left empty ({_examples(bad)}): check them"
        return TypedColumn(name, original, "DOUBLE", _number_sql(column, decimal_comma), notes=(note,))
    if numbers >= 0.5 * non_null and not code:
        share = numbers / non_null
        return TypedColumn(
            name, original, "VARCHAR", column, notes=(f"mixed values ({share:.0%} numbers): kept as text",)
        )
    return plain


@dataclass(frozen=True)
class TimestampReading:
    """How a text column writes times, and the values that format does not read."""

    format: TimestampFormat
    values: int
    """Values (not NULL) in the column."""
    unreadable: int
    examples: tuple[str, ...]
    """A few of the unreadable values."""


def read_text_timestamps(
    connection: duckdb.DuckDBPyConnection, relation: str, name: str
) -> TimestampReading | None:
    """The time format that nearly all values of text column `name` of `relation` (a quoted table
    name) are written in, with the values it does not read; None when they are not times (numbers,
    words, a mixture)."""
    column = quote_identifier(name)
    stats = _stats(connection, relation, column)
    non_null = int(stats["non_null"])
    if non_null == 0 or stats["decimals"] == non_null or stats["booleans"] == non_null:
        return None
    found = detect_timestamp_format(
        _sample(connection, relation, column),
        field_maxima=(int(stats["first_max"]), int(stats["second_max"])),
    )
    if found is None:
        return None
    converted = found.sql(column)
    failed = _count_failures(connection, relation, column, converted)
    return TimestampReading(
        found, non_null, failed, tuple(_failures(connection, relation, column, converted))
    )


def _timestamp(
    connection: duckdb.DuckDBPyConnection,
    relation: str,
    name: str,
    original: str,
    found: TimestampFormat,
    non_null: int,
) -> TypedColumn:
    column = quote_identifier(name)
    converted = found.sql(column)
    bad = _failures(connection, relation, column, converted)
    failed = _count_failures(connection, relation, column, converted)
    notes: list[str] = []
    if failed > (1 - MOSTLY) * non_null:
        note = f"looks like {found.description} but {failed:,} of {non_null:,} values are not ({_examples(bad)}): kept as text"
        return TypedColumn(name, original, "VARCHAR", column, notes=(note,))
    if failed:
        notes.append(f"{failed:,} values are not {found.description} and are left empty ({_examples(bad)})")
    return TypedColumn(name, original, found.duckdb_type, converted, timestamp=found, notes=tuple(notes))


def _stats(connection: duckdb.DuckDBPyConnection, relation: str, column: str) -> dict[str, float]:
    true_false = ", ".join(quote_literal(w) for w in (*TRUE_WORDS, *FALSE_WORDS))
    row = connection.execute(
        f"""
        SELECT count({column}),
               count_if(regexp_full_match({column}, '[+-]?\\d+')),
               count_if(regexp_full_match({column}, '[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?')),
               count_if(regexp_full_match({column}, '[+-]?\\d+,\\d+')),
               count_if(lower({column}) IN ({true_false})),
               count_if(regexp_full_match({column}, '0\\d+')),
               count_if({column} IN ('0', '1')),
               min(TRY_CAST({column} AS DOUBLE)),
               max(TRY_CAST({column} AS DOUBLE)),
               max(TRY_CAST(regexp_extract({column}, '^(\\d{{1,2}})[/.\\-]\\d{{1,2}}[/.\\-]\\d{{4}}', 1) AS INTEGER)),
               max(TRY_CAST(regexp_extract({column}, '^\\d{{1,2}}[/.\\-](\\d{{1,2}})[/.\\-]\\d{{4}}', 1) AS INTEGER))
        FROM {relation}
        """
    ).fetchone()
    assert row is not None
    keys = ("non_null", "integers", "decimals", "comma_decimals", "booleans", "leading_zeros", "zeros_and_ones",
            "minimum", "maximum", "first_max", "second_max")  # fmt: skip
    return {key: float(value or 0) for key, value in zip(keys, row, strict=True)}


def _sample(connection: duckdb.DuckDBPyConnection, relation: str, column: str) -> list[str]:
    rows = connection.execute(
        f"SELECT DISTINCT {column} FROM {relation} WHERE {column} IS NOT NULL ORDER BY hash({column}) LIMIT {_SAMPLE}"
    ).fetchall()
    return [str(row[0]) for row in rows]


def _failures(connection: duckdb.DuckDBPyConnection, relation: str, column: str, converted: str) -> list[str]:
    rows = connection.execute(
        f"SELECT DISTINCT {column} FROM {relation} WHERE {column} IS NOT NULL AND ({converted}) IS NULL "
        f"ORDER BY 1 LIMIT 3"
    ).fetchall()
    return [str(row[0]) for row in rows]


def _count_failures(connection: duckdb.DuckDBPyConnection, relation: str, column: str, converted: str) -> int:
    row = connection.execute(
        f"SELECT count(*) FROM {relation} WHERE {column} IS NOT NULL AND ({converted}) IS NULL"
    ).fetchone()
    return int(row[0]) if row else 0


def _examples(values: list[str]) -> str:
    shown = ", ".join(repr(v[:40]) for v in values)
    return f"e.g. {shown}" if shown else "none shown"


def _boolean_sql(column: str) -> str:
    true_words = ", ".join(quote_literal(w) for w in TRUE_WORDS)
    false_words = ", ".join(quote_literal(w) for w in FALSE_WORDS)
    return f"CASE WHEN lower({column}) IN ({true_words}) THEN true WHEN lower({column}) IN ({false_words}) THEN false END"


def _number_sql(column: str, decimal_comma: bool) -> str:
    if decimal_comma:
        return f"TRY_CAST(replace({column}, ',', '.') AS DOUBLE)"
    return f"TRY_CAST({column} AS DOUBLE)"
