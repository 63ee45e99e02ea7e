"""How SQL with DuckDB's meaning is written for each engine: sqlglot's dialects, with the differences
that would change a result overridden in one class per dialect.

Model expressions are DuckDB SQL and the compiler builds its trees with DuckDB's semantics; sqlglot's
PostgreSQL and Spark generators translate most of it. What they leave different is fixed here, so that
the same semantic query returns the same rows on every engine (tests/semantic_layer/test_engines.py):

- division is by a value or NULL: `a / b`, `a // b` and `a % b` are NULL where b is 0 (DuckDB's
  infinity becomes NULL in results too), never an error (DuckDB 2.0 raises one for // and %, as
  PostgreSQL and Spark's ANSI mode do); `a // b` is the quotient truncated toward zero, as an integer,
  for doubles too (DuckDB 2.0's own // divides doubles exactly: 7.5 // 2 is 3.75 there);
- date parts are integers (PostgreSQL's EXTRACT returns numeric), days of the week count as DuckDB's
  (Sunday 0; ISO: Monday 1), and `date_diff` counts unit boundaries crossed, as DuckDB does;
- Spark computes decimal literals as DOUBLE (DuckDB divides decimals in DOUBLE; Spark's DECIMAL
  division keeps 6 digits) and percentiles with its exact `percentile`, as DuckDB's quantile_cont;
- interval units PostgreSQL or Spark lack are written in ones they have (a quarter is 3 months);
- PostgreSQL joins on `IS NOT DISTINCT FROM` written as equalities (a FULL JOIN needs them);
- `round(x, n)` rounds half away from zero the value as written in decimal, to the 15 significant
  digits a double holds (`round(0.35, 1)` is 0.4 and `round(1.005, 2)` is 1.01 everywhere, as with
  PostgreSQL's numeric), not the binary value each engine's own ROUND sees (DuckDB 2.0.1 gives 0.3);
  the result is a DOUBLE. See docs/semantic-model.md, "Rounding".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Literal

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.dialects.postgres import Postgres
from sqlglot.dialects.spark import Spark
from sqlglot.generator import Generator
from sqlglot.generators.duckdb import DuckDBGenerator
from sqlglot.generators.postgres import PostgresGenerator
from sqlglot.generators.spark import SparkGenerator

EngineDialect = Literal["duckdb", "postgres", "spark"]
ENGINE_DIALECTS: tuple[EngineDialect, ...] = ("duckdb", "postgres", "spark")

# Units whose difference counts boundaries crossed once both ends are truncated to the unit.
_BOUNDARY_UNITS = frozenset({"MICROSECOND", "MILLISECOND", "SECOND", "MINUTE", "HOUR", "DAY", "MONTH", "QUARTER", "YEAR"})  # fmt: skip
_PART_FUNCTIONS: dict[type[exp.Expr], str] = {
    exp.Year: "YEAR",
    exp.Quarter: "QUARTER",
    exp.Month: "MONTH",
    exp.WeekOfYear: "WEEK",
    exp.DayOfMonth: "DAY",
    exp.DayOfYear: "DOY",
    exp.DayOfWeek: "DOW",
    exp.DayOfWeekIso: "ISODOW",
    exp.Hour: "HOUR",
    exp.Minute: "MINUTE",
}
_INTERVAL_UNITS = {"QUARTER": (3, "MONTH"), "QUARTERS": (3, "MONTH"), "WEEK": (7, "DAY"), "WEEKS": (7, "DAY")}


def _null_if_zero(divisor: exp.Expr) -> exp.Expr:
    """The divisor, NULL where it is 0 (left alone when it cannot be 0 or is already guarded)."""
    if isinstance(divisor, exp.Nullif) or (divisor.is_number and float(divisor.name) != 0):
        return divisor
    return exp.Nullif(this=divisor, expression=exp.Literal.number(0))


def _plain_interval(interval: exp.Interval) -> exp.Interval:
    """INTERVAL '2' QUARTER as INTERVAL '6' MONTH, weeks as days; other intervals as they are."""
    unit = interval.text("unit").upper()
    amount = interval.this
    if unit not in _INTERVAL_UNITS or not isinstance(amount, exp.Literal):
        return interval
    try:
        count = int(amount.name)
    except ValueError:
        return interval
    factor, plain = _INTERVAL_UNITS[unit]
    return exp.Interval(this=exp.Literal.string(str(count * factor)), unit=exp.Var(this=plain))


def _round_decimal_digits(generator: Generator, expression: exp.Round, format_function: str) -> str:
    """round(x, n) on the 15 significant digits of x (`format_function('%.14e', x)`, which DuckDB's printf
    and Spark's format_string both compute from the exact binary value), as a DECIMAL rounded half away
    from zero. Past DECIMAL(38, 18)'s range (|x| >= 1e20, NaN, infinities) that is the engine's own ROUND,
    which leaves such values as they are."""
    value = generator.sql(expression, "this")
    digits = generator.sql(expression, "decimals") or "0"
    as_written = f"TRY_CAST({format_function}('%.14e', CAST({value} AS DOUBLE)) AS DECIMAL(38, 18))"
    return (
        f"COALESCE(CAST(ROUND({as_written}, {digits}) AS DOUBLE), CAST(ROUND({value}, {digits}) AS DOUBLE))"
    )


def _truncated_quotient(generator: Generator, expression: exp.IntDiv, truncate: str) -> str:
    """`a // b` as the exact quotient (NULL where b is 0) truncated toward zero by `truncate`."""
    quotient = exp.Div(this=expression.this, expression=_null_if_zero(expression.expression))
    return truncate.format(generator.sql(quotient))


def _remainder_or_null(generator: Generator, expression: exp.Mod) -> str:
    return generator.binary(
        exp.Mod(this=expression.this, expression=_null_if_zero(expression.expression)), "%"
    )


class _ChatbiDuckDBGenerator(DuckDBGenerator):
    def round_sql(self, expression: exp.Round) -> str:
        return _round_decimal_digits(self, expression, "printf")

    def intdiv_sql(self, expression: exp.IntDiv) -> str:
        return _truncated_quotient(self, expression, "CAST(TRUNC({}) AS BIGINT)")

    def mod_sql(self, expression: exp.Mod) -> str:
        return _remainder_or_null(self, expression)

    TRANSFORMS: ClassVar[dict[type[exp.Expr], Callable[..., str]]] = {
        kind: transform for kind, transform in DuckDBGenerator.TRANSFORMS.items() if kind is not exp.IntDiv
    }


class ChatbiDuckDB(DuckDB):
    """DuckDB itself, with round() as on the other engines (see the module's docstring)."""

    Generator = _ChatbiDuckDBGenerator


_POSTGRES_DATE_DIFF = PostgresGenerator.TRANSFORMS[exp.DateDiff]


class _ChatbiPostgresGenerator(PostgresGenerator):
    def div_sql(self, expression: exp.Div) -> str:
        expression.set("expression", _null_if_zero(expression.expression))
        return super().div_sql(expression)

    def extract_sql(self, expression: exp.Extract) -> str:
        unit = expression.text("this").upper()
        extracted = super().extract_sql(expression)
        if unit == "EPOCH":
            return f"CAST({extracted} AS DOUBLE PRECISION)"
        return f"CAST(FLOOR({extracted}) AS BIGINT)"  # DuckDB's parts are integers (seconds too)

    def anonymous_sql(self, expression: exp.Anonymous) -> str:
        args = expression.expressions
        if expression.name.lower() == "date_part" and len(args) == 2 and args[0].is_string:
            return self.extract_sql(exp.Extract(this=exp.var(args[0].name), expression=args[1]))
        return super().anonymous_sql(expression)

    def interval_sql(self, expression: exp.Interval) -> str:
        return super().interval_sql(_plain_interval(expression))

    def datediff_sql(self, expression: exp.DateDiff) -> str:
        if expression.text("unit").upper() != "WEEK":
            return _POSTGRES_DATE_DIFF(self, expression)
        # DuckDB: whole weeks between the two days (sqlglot's EXTRACT(days ...) / 7 rounds instead)
        end = self.sql(exp.cast(expression.this, exp.DataType.Type.DATE))
        start = self.sql(exp.cast(expression.expression, exp.DataType.Type.DATE))
        return f"(({end} - {start}) / 7)"

    def nullsafeeq_sql(self, expression: exp.NullSafeEQ) -> str:
        """`a IS NOT DISTINCT FROM b` as equalities: PostgreSQL runs a FULL JOIN only on conditions it
        can hash or merge, which IS NOT DISTINCT FROM is not (the compiler joins groups with it)."""
        left, right = expression.this, expression.expression

        def text(value: exp.Expr) -> exp.Expr:
            return exp.Coalesce(
                this=exp.cast(value.copy(), exp.DataType.Type.TEXT), expressions=[exp.Literal.string("")]
            )

        both_null = exp.EQ(
            this=exp.paren(exp.Is(this=left.copy(), expression=exp.null())),
            expression=exp.paren(exp.Is(this=right.copy(), expression=exp.null())),
        )
        return self.sql(exp.paren(exp.and_(both_null, exp.EQ(this=text(left), expression=text(right)))))

    def intdiv_sql(self, expression: exp.IntDiv) -> str:
        return _truncated_quotient(self, expression, "CAST(TRUNC({}) AS BIGINT)")

    def mod_sql(self, expression: exp.Mod) -> str:
        return _remainder_or_null(self, expression)

    def round_sql(self, expression: exp.Round) -> str:
        """A float8 becomes numeric through its 15 significant digits, and numeric rounds half away from zero."""
        value = self.sql(expression, "this")
        digits = self.sql(expression, "decimals") or "0"
        return f"CAST(ROUND(CAST({value} AS NUMERIC), {digits}) AS DOUBLE PRECISION)"

    def date_part_sql(self, expression: exp.Func) -> str:
        """year(x), hour(x), dayofweek(x)...: PostgreSQL has EXTRACT for them."""
        part = exp.var(_PART_FUNCTIONS[type(expression)])
        return self.extract_sql(exp.Extract(this=part, expression=expression.this))

    TRANSFORMS: ClassVar[dict[type[exp.Expr], Callable[..., str]]] = {
        **{
            kind: transform
            for kind, transform in PostgresGenerator.TRANSFORMS.items()
            if kind not in (exp.Round, exp.IntDiv)
        },
        **dict.fromkeys(_PART_FUNCTIONS, date_part_sql),
        exp.DateDiff: datediff_sql,
    }


class ChatbiPostgres(Postgres):
    """PostgreSQL with DuckDB's meaning (see the module's docstring)."""

    Generator = _ChatbiPostgresGenerator


class _ChatbiSparkGenerator(SparkGenerator):
    def div_sql(self, expression: exp.Div) -> str:
        expression.set("expression", _null_if_zero(expression.expression))
        return super().div_sql(expression)

    def literal_sql(self, expression: exp.Literal) -> str:
        text = super().literal_sql(expression)
        if expression.is_number and any(c in expression.name.lower() for c in ".e"):
            return f"{text}D"  # a DOUBLE literal: Spark reads 60.0 as DECIMAL(3, 1)
        return text

    def round_sql(self, expression: exp.Round) -> str:
        return _round_decimal_digits(self, expression, "format_string")

    def intdiv_sql(self, expression: exp.IntDiv) -> str:
        return _truncated_quotient(self, expression, "CAST({} AS BIGINT)")  # Spark's cast truncates

    def mod_sql(self, expression: exp.Mod) -> str:
        return _remainder_or_null(self, expression)

    def median_sql(self, expression: exp.Median) -> str:
        return self.func("PERCENTILE", expression.this, exp.Literal.number(0.5))

    def percentilecont_sql(self, expression: exp.PercentileCont) -> str:
        return self.func("PERCENTILE", expression.this, expression.expression)

    def datediff_sql(self, expression: exp.DateDiff) -> str:
        unit = expression.text("unit").upper() or "DAY"
        end, start = expression.this, expression.expression
        if unit == "WEEK":  # DuckDB: whole weeks between the two days
            end = exp.TimestampTrunc(this=end, unit=exp.var("DAY"))
            start = exp.TimestampTrunc(this=start, unit=exp.var("DAY"))
        elif unit in _BOUNDARY_UNITS:
            end = exp.TimestampTrunc(this=end, unit=exp.var(unit))
            start = exp.TimestampTrunc(this=start, unit=exp.var(unit))
        return self.func("TIMESTAMPDIFF", exp.var(unit), start, end)

    def dayofweek_sql(self, expression: exp.DayOfWeek) -> str:
        return f"({self.func('DAYOFWEEK', expression.this)} - 1)"  # Spark counts Sunday as 1

    def dayofweekiso_sql(self, expression: exp.DayOfWeekIso) -> str:
        return f"({self.func('WEEKDAY', expression.this)} + 1)"  # WEEKDAY: Monday 0

    def timetounix_sql(self, expression: exp.TimeToUnix) -> str:
        """Seconds since 1970-01-01 00:00 of the wall-clock time, with fractions, as DuckDB's epoch()."""
        epoch = exp.cast(exp.Literal.string("1970-01-01 00:00:00"), exp.DataType.Type.TIMESTAMPNTZ)
        micros = self.func("TIMESTAMPDIFF", exp.var("MICROSECOND"), epoch, expression.this)
        return f"({micros} / 1000000.0D)"

    def interval_sql(self, expression: exp.Interval) -> str:
        return super().interval_sql(_plain_interval(expression))

    # The methods above replace Spark's transforms for these types (a transform is used before a method).
    TRANSFORMS: ClassVar[dict[type[exp.Expr], Callable[..., str]]] = {
        kind: transform
        for kind, transform in SparkGenerator.TRANSFORMS.items()
        if kind
        not in (
            exp.Median,
            exp.PercentileCont,
            exp.DateDiff,
            exp.DayOfWeek,
            exp.DayOfWeekIso,
            exp.TimeToUnix,
            exp.IntDiv,
        )
    }


class ChatbiSpark(Spark):
    """Spark SQL (ANSI mode) with DuckDB's meaning (see the module's docstring)."""

    Generator = _ChatbiSparkGenerator


_DIALECTS: dict[str, str | type[Dialect]] = {
    "duckdb": ChatbiDuckDB,
    "postgres": ChatbiPostgres,
    "spark": ChatbiSpark,
}


def sql_dialect(name: str) -> str | type[Dialect]:
    """What sqlglot renders `name`'s SQL with: our class for the engines above, else sqlglot's own."""
    return _DIALECTS.get(name, name)


def render(expression: exp.Expr, dialect: str, *, pretty: bool = False) -> str:
    """`expression` (DuckDB semantics) as SQL for the engine speaking `dialect`."""
    return expression.sql(dialect=sql_dialect(dialect), pretty=pretty)
