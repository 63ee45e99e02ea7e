"""Model expressions (`expr`, `filter`, ...) are DuckDB SQL written by people: parse, vet, qualify.

A model expression is a scalar expression over one table's columns. It may not contain a query, a
table, a table function, a file path or a function outside the allowlist: a model file is untrusted
input like any SQL, and these checks run when the model loads, before anything reaches a database.
"""

from __future__ import annotations

import functools

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError
from sqlglot.tokens import TokenType

MODEL_DIALECT = "duckdb"

# Scalar functions a model expression may call, by sqlglot's name for them (`Func.key`) or, for
# functions sqlglot does not know, by their lower-case SQL name.
ALLOWED_FUNCTIONS = frozenset(
    {
        # conditionals and nulls
        "case", "if", "coalesce", "nullif", "greatest", "least", "ifnull",
        # casts
        "cast", "trycast", "try_cast",
        # arithmetic
        "abs", "round", "floor", "ceil", "sign", "sqrt", "ln", "log", "pow", "power", "exp", "mod",
        # strings
        "lower", "upper", "length", "trim", "substring", "concat", "replace", "strpos", "left", "right",
        "startswith", "endswith", "contains", "regexpfullmatch", "regexplike",
        # dates and times
        "datediff", "date_diff", "datetrunc", "timestamptrunc", "date_trunc", "extract", "dateadd",
        "date_add", "datesub", "date_part", "epoch", "timetounix", "dayofweek", "dayofweekiso",
        "dayofmonth", "dayofyear", "weekofyear", "month", "year", "quarter", "hour", "minute",
        "todate", "date", "strftime", "timetostr", "strptime", "strtotime", "currentdate",
        "currenttimestamp", "interval",
    }
)  # fmt: skip
AGGREGATES = (exp.AggFunc,)


class ExpressionError(ValueError):
    """A model expression is not valid SQL or uses something it may not."""


def parse_expression(sql: str, *, allow_aggregates: bool = False) -> exp.Expr:
    """Parse one scalar SQL expression (DuckDB dialect) and refuse anything but plain computation."""
    return _parse_expression(sql, allow_aggregates).copy()


@functools.lru_cache(maxsize=4096)
def _parse_expression(sql: str, allow_aggregates: bool) -> exp.Expr:
    try:
        if any(token.token_type == TokenType.SEMICOLON for token in sqlglot.tokenize(sql, MODEL_DIALECT)):
            raise ExpressionError("must be a single expression (found ';')")
        tree = sqlglot.parse_one(sql, read=MODEL_DIALECT, into=exp.Condition)
    except ExpressionError:
        raise
    except ParseError as error:
        first = error.errors[0]["description"] if error.errors else str(error)
        raise ExpressionError(f"is not a valid SQL expression ({first})") from None
    except Exception as error:  # sqlglot raises a few other types for odd input
        raise ExpressionError(f"is not a valid SQL expression ({error})") from None
    for node in tree.walk():
        if isinstance(node, exp.Query | exp.Subquery | exp.Table | exp.Values | exp.Lateral):
            raise ExpressionError("may not contain a query or a table")
        if isinstance(node, exp.Star):
            raise ExpressionError("may not use '*'")
        if isinstance(node, exp.Placeholder | exp.Parameter):
            raise ExpressionError("may not contain parameters")
        if isinstance(node, AGGREGATES) and not allow_aggregates:
            raise ExpressionError(f"may not aggregate ({node.sql(MODEL_DIALECT)}): the metric's 'agg' does")
        if isinstance(node, exp.Column) and (node.table or node.args.get("db")):
            raise ExpressionError(f"names columns without a table ('{node.sql(MODEL_DIALECT)}')")
        if isinstance(node, exp.Func) and not isinstance(node, exp.Connector | exp.Binary | exp.Unary):
            name = node.name.lower() if isinstance(node, exp.Anonymous) else node.key
            if name not in ALLOWED_FUNCTIONS and not isinstance(node, AGGREGATES):
                shown = node.name if isinstance(node, exp.Anonymous) else node.sql_name()
                raise ExpressionError(f"may not call function '{shown.lower()}'")
    return tree


def columns_of(tree: exp.Expr) -> set[str]:
    return {column.name for column in tree.find_all(exp.Column)}


def qualify(tree: exp.Expr, table_alias: str) -> exp.Expr:
    """A copy of `tree` whose bare columns refer to `table_alias`."""

    def attach(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and not node.table:
            return exp.column(node.name, table=table_alias, quoted=True)
        return node

    return tree.copy().transform(attach)
