"""Names for what `chatbi init` creates: SQL identifiers from file and column names, and readable labels.

Identifiers are lower-case snake_case (Chinese characters are kept: DuckDB and the model accept them),
never a SQL keyword, and unique (case-insensitively, as DuckDB compares names) within their scope.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

import duckdb
from sqlglot import exp

from ..expressions import ExpressionError, parse_expression

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NOT_WORD = re.compile(r"[^0-9a-z\u4e00-\u9fff]+")
_WORDS = re.compile(r"[A-Za-z0-9]+|[\u4e00-\u9fff]+")


def words_of(text: str) -> list[str]:
    """The words of a column or file name, lower case: `IncidentZip` / `incident_zip` / `Incident Zip`
    -> ["incident", "zip"]; Chinese runs stay whole."""
    text = unicodedata.normalize("NFKC", text)
    text = _CAMEL.sub(" ", text)
    return [word.lower() for word in _WORDS.findall(text)]


@functools.cache
def _duckdb_keywords() -> frozenset[str]:
    """Words DuckDB does not take as a bare column name (`order`, `at`, `left`...)."""
    with duckdb.connect() as connection:
        rows = connection.execute(
            "SELECT keyword_name FROM duckdb_keywords() WHERE keyword_category IN ('reserved', 'type_function')"
        ).fetchall()
    return frozenset(str(row[0]).lower() for row in rows)


def _plain_column(name: str) -> bool:
    """Whether `name` reads back as a bare column in a model expression and in DuckDB (not a keyword
    or a function)."""
    if name.lower() in _duckdb_keywords():
        return False
    try:
        tree = parse_expression(name)
    except ExpressionError:
        return False
    return isinstance(tree, exp.Column) and tree.name == name


def identifier(text: str, taken: Iterable[str] = (), *, fallback: str = "column") -> str:
    """A SQL identifier for `text`, unique among `taken` (compared case-insensitively)."""
    base = _NOT_WORD.sub("_", "_".join(words_of(text))).strip("_") or fallback
    if base[0].isdigit():
        base = f"{fallback[0]}_{base}"
    if not _plain_column(base):
        base += "_"
    used = {name.lower() for name in taken}
    name, number = base, 2
    while name.lower() in used:
        name = f"{base}_{number}"
        number += 1
    return name


def table_identifier(file_stem: str, taken: Iterable[str] = ()) -> str:
    """A table name from a file name: `311_Service_Requests (2023)` -> `t_311_service_requests_2023`."""
    return identifier(file_stem, taken, fallback="table")


def humanize(text: str) -> str:
    """A label from a column name: `Complaint Type` -> "Complaint type", `created_at` -> "Created at",
    acronyms kept (`NYPD ID` -> "NYPD ID"); Chinese names unchanged."""
    text = unicodedata.normalize("NFKC", text).strip()
    if any("\u4e00" <= ch <= "\u9fff" for ch in text):
        return text
    spaced = _CAMEL.sub(" ", text.replace("_", " ").replace(".", " "))
    words = [w for w in re.split(r"\s+", spaced) if w]
    if not words:
        return text
    shouting = not any(ch.islower() for ch in text)  # COMPLAINT_TYPE: capitals are not acronyms here
    shown = []
    for index, word in enumerate(words):
        acronym = word.isupper() and len(word) > 1 and (not shouting or len(word) <= 3)
        keep = acronym or any(ch.isdigit() for ch in word)
        if keep:
            shown.append(word)
        elif index == 0:
            shown.append(word[:1].upper() + word[1:].lower())
        else:
            shown.append(word.lower())
    label = " ".join(shown)
    first = next((i for i, ch in enumerate(label) if ch.isalpha()), 0)
    return label[:first] + label[first : first + 1].upper() + label[first + 1 :]
