"""Vet SQL right before it runs: one read-only query over allowed tables, calling allowed functions.

The compiler builds SQL from validated parts; the engine checks every text again before executing it
(defence in depth, and the only check for SQL built elsewhere). The guard accepts only what it fully
understands: SQL it cannot tokenize or parse is refused, and names compare as DuckDB compares them
(ASCII case-insensitively), so a look-alike never passes for an allowed table.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Collection
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError
from sqlglot.tokens import Token, TokenType

from .errors import UnsafeSQLError
from .expressions import AGGREGATES, ALLOWED_FUNCTIONS

# What a query may call beyond model expressions: the compiler's `contains` filter. Aggregates (and
# the window functions sqlglot counts as aggregates) are allowed by type, as in model expressions.
QUERY_FUNCTIONS = ALLOWED_FUNCTIONS | frozenset({"strposition"})
# What the compiler's SQL calls once written for another engine (semantic_layer/dialects.py), as that
# dialect's parser reads it back: allowed in that dialect's text only.
DIALECT_FUNCTIONS = {
    "duckdb": frozenset({"printf", "trunc"}),  # round(): 15 significant digits; //: a truncated quotient
    "postgres": frozenset({"age", "trunc"}),
    "spark": frozenset({"timestampdiff", "tsordstodate", "timestrtotime", "weekday", "format"}),
}
# Aggregates sqlglot does not know by name are unvetted functions, not aggregates.
_UNNAMED_AGGREGATES = (
    exp.AnonymousAggFunc,
    exp.CombinedAggFunc,
    exp.ParameterizedAgg,
    exp.CombinedParameterizedAgg,
)
# Anything that is not a plain read: refused wherever it appears in the tree (also in CTEs, subqueries).
_STATEMENTS = (
    exp.DDL, exp.DML, exp.Drop, exp.Alter, exp.Attach, exp.Detach, exp.Install, exp.Pragma, exp.Set,
    exp.Command, exp.Use, exp.Describe, exp.Show, exp.Summarize, exp.Transaction, exp.Commit,
    exp.Rollback, exp.LoadData, exp.Analyze, exp.Refresh, exp.TruncateTable, exp.Cache, exp.Uncache,
    exp.Export, exp.Into, exp.Returning, exp.Kill, exp.Grant, exp.Revoke, exp.Comment, exp.Declare,
    exp.Lock,  # SELECT ... FOR UPDATE / FOR SHARE locks rows
)  # fmt: skip
_QUERY_STARTS = frozenset({TokenType.SELECT, TokenType.WITH, TokenType.FROM, TokenType.L_PAREN})
_SYSTEM_SCHEMAS = frozenset({"information_schema", "pg_catalog"})
_SYSTEM_PREFIXES = ("duckdb_", "pragma_", "sqlite_")
_PATH_LIKE = re.compile(r"[/\\:.*?~]")
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
DEFAULT_SCHEMA = "main"


def check_sql(
    sql: str,
    *,
    allowed_tables: Collection[str],
    known_tables: Collection[str] = (),
    dialect: str = "duckdb",
) -> None:
    """Raise UnsafeSQLError unless `sql` is one read-only query (SELECT, UNION, WITH ... SELECT, or
    EXPLAIN of one) that reads only `allowed_tables` and calls only allowed functions.

    Table names may be schema-qualified ("main.tickets" is "tickets"). `known_tables` are the
    database's real tables: no CTE may be named like one of them or like an allowed table."""
    _check_text(sql, _policy(frozenset(allowed_tables), frozenset(known_tables), dialect), dialect)


def check_query(
    query: exp.Expr, *, allowed_tables: Collection[str], known_tables: Collection[str] = ()
) -> None:
    """The rules of `check_sql` applied to a sqlglot tree, for SQL rendered from it (no parsing)."""
    if not isinstance(query, exp.Query):
        raise _refused(f"only a read-only query (SELECT) may run, not {query.key.upper()}")
    _check_tree(query, _policy(frozenset(allowed_tables), frozenset(known_tables), "duckdb"))


@dataclass(frozen=True)
class _Policy:
    allowed: frozenset[tuple[str, str]]
    """(schema, table), folded."""
    shadowed: frozenset[str]
    """Names no CTE may take: the allowed and the real tables'."""
    functions: frozenset[str]
    """Scalar functions that may be called."""


@functools.lru_cache(maxsize=64)
def _policy(allowed_tables: frozenset[str], known_tables: frozenset[str], dialect: str) -> _Policy:
    allowed = frozenset(_table_key(name) for name in allowed_tables)
    known = {_table_key(name)[1] for name in known_tables}
    return _Policy(
        allowed=allowed,
        shadowed=frozenset(known | {name for _, name in allowed}),
        functions=QUERY_FUNCTIONS | DIALECT_FUNCTIONS.get(dialect, frozenset()),
    )


@functools.lru_cache(maxsize=1024)
def _check_text(sql: str, policy: _Policy, dialect: str) -> None:
    """Cached by text: accepted SQL is checked once; refusals raise and are not cached."""
    reader = Dialect.get_or_raise(dialect)
    try:
        tokens = reader.tokenize(sql)
    except SqlglotError as error:
        raise _refused(f"it cannot be read ({_first_line(error)})") from None
    if not tokens:
        raise _refused("it is empty")
    if tokens[0].text.upper() == "EXPLAIN":  # planning a query reads no data; the query is checked
        _check_text(sql[tokens[0].end + 1 :], policy, dialect)
        return
    _check_one_statement(tokens)
    try:
        statements = [s for s in reader.parser().parse(tokens, sql) if s is not None]
    except SqlglotError as error:
        raise _refused(f"it cannot be parsed ({_first_line(error)})") from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise _refused("only one read-only query (SELECT) may run")
    _check_tree(statements[0], policy)


def _check_one_statement(tokens: list[Token]) -> None:
    if tokens[0].token_type not in _QUERY_STARTS:
        raise _refused(f"only a read-only query (SELECT) may run, not {tokens[0].text.upper()}")
    semicolons = [i for i, token in enumerate(tokens) if token.token_type == TokenType.SEMICOLON]
    if semicolons and semicolons != [len(tokens) - 1]:
        raise _refused("only one statement may run (found ';' before the end)")


def _check_tree(tree: exp.Expr, policy: _Policy) -> None:
    for node in tree.walk():
        kind = _kind(type(node))
        if kind is None:
            continue
        if kind == "statement":
            raise _refused(f"{node.key.upper()} is not a read-only query")
        if kind == "with" and node.args.get("recursive"):
            raise _refused("WITH RECURSIVE is not allowed")
        if kind == "cte" and _fold(node.alias_or_name) in policy.shadowed:
            raise _refused(f"the CTE '{node.alias_or_name}' has the name of a table")
        if isinstance(node, exp.Table):
            _check_table(node, policy.allowed)
        elif kind == "call" and isinstance(node, exp.Func):
            _check_function(node, policy.functions)


_KINDS: dict[type, str | None] = {}


def _kind(node_type: type) -> str | None:
    """What the guard checks in a node of this type (None: nothing); worked out once per type, as
    most nodes need no check and isinstance over many classes is what a check costs."""
    if node_type not in _KINDS:
        _KINDS[node_type] = _classify(node_type)
    return _KINDS[node_type]


def _classify(node_type: type) -> str | None:
    if issubclass(node_type, _STATEMENTS):
        return "statement"
    for kind, base in (("with", exp.With), ("cte", exp.CTE), ("table", exp.Table)):
        if issubclass(node_type, base):
            return kind
    if issubclass(node_type, exp.Func) and not issubclass(node_type, exp.Connector | exp.Binary | exp.Unary):
        return "call"
    return None


def _check_table(table: exp.Table, allowed: frozenset[tuple[str, str]]) -> None:
    if not isinstance(table.this, exp.Identifier):
        raise _refused(f"table functions are not allowed ('{_called(table.this)}')")
    name, schema = table.name, table.args.get("db")
    if _PATH_LIKE.search(name):
        raise _refused(f"file paths and URLs are not tables ('{name}')")
    if table.args.get("catalog") is not None:
        raise _refused(f"tables of other databases are not allowed ('{table.sql()}')")
    folded_schema = _fold(schema.name) if schema is not None else None
    if folded_schema in _SYSTEM_SCHEMAS or _fold(name).startswith(_SYSTEM_PREFIXES):
        raise _refused(f"system catalogs are not allowed ('{table.sql()}')")
    if folded_schema is None and _fold(name) in _visible_ctes(table):
        return
    if (folded_schema or DEFAULT_SCHEMA, _fold(name)) not in allowed:
        raise _refused(f"table '{table.sql()}' is not one of the allowed tables")


def _visible_ctes(table: exp.Table) -> set[str]:
    """The CTE names a table reference can mean where it stands: those of every enclosing WITH, and
    inside a CTE only the ones defined before it. Unsure means a table, which is then checked."""
    names: set[str] = set()
    child: exp.Expr = table
    node = table.parent
    while node is not None:
        if isinstance(node, exp.With):
            for cte in node.expressions:
                if cte is child:
                    break
                names.add(_fold(cte.alias_or_name))
        elif isinstance(node, exp.Query) and _with_of(node) is not None and _with_of(node) is not child:
            names.update(_fold(cte.alias_or_name) for cte in node.args["with_"].expressions)
        child, node = node, node.parent
    return names


def _with_of(query: exp.Expr) -> exp.Expr | None:
    return query.args.get("with_")


def _check_function(node: exp.Func, functions: frozenset[str]) -> None:
    if isinstance(node, AGGREGATES) and not isinstance(node, _UNNAMED_AGGREGATES):
        return
    name = _fold(node.name) if isinstance(node, exp.Anonymous) else node.key
    if name not in functions:
        raise _refused(f"the function '{_called(node)}' is not allowed")


def _called(node: exp.Expr) -> str:
    """A function's name as written in SQL (sqlglot's key for `read_csv` is `readcsv`)."""
    if isinstance(node, exp.Anonymous):
        return _fold(node.name)
    return node.sql_name().lower() if isinstance(node, exp.Func) else node.key


def _table_key(name: str) -> tuple[str, str]:
    schema, _, table = name.rpartition(".")
    return (_fold(schema) or DEFAULT_SCHEMA, _fold(table))


def _fold(name: str) -> str:
    """Lower-case as DuckDB compares names: ASCII only (Python's lower() maps e.g. the Kelvin sign
    to 'k', which would let a look-alike pass)."""
    return name.translate(_ASCII_LOWER)


def _refused(reason: str) -> UnsafeSQLError:
    return UnsafeSQLError(f"unsafe SQL refused: {reason}")


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def check_statement(
    sql: str,
    tree: exp.Expr | None,
    *,
    allowed_tables: Collection[str] | None,
    known_tables: Collection[str],
    dialect: str,
) -> None:
    """What every engine checks before it runs anything: the tree `sql` was rendered from (cheap), or
    else the text itself, parsed in `dialect`. `allowed_tables` None: any of `known_tables`."""
    allowed = known_tables if allowed_tables is None else allowed_tables
    if tree is not None:
        check_query(tree, allowed_tables=allowed, known_tables=known_tables)
    else:
        check_sql(sql, allowed_tables=allowed, known_tables=known_tables, dialect=dialect)
