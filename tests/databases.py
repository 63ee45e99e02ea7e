"""Real database servers for tests: a throwaway PostgreSQL cluster and a local Spark session, loaded with
the same demo tables as a DuckDB file.

PostgreSQL runs from Debian's `postgresql` package (installed by `make test` / .ci/system-deps.sh) as the
`postgres` system user when the tests run as root (the server refuses to run as root), in a temporary
folder, on a free loopback port with its socket in that folder. The data is copied from DuckDB with
psycopg's COPY (DuckDB's postgres extension would need a download).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

POSTGRES_BIN_GLOB = "/usr/lib/postgresql/*/bin"
OWNER, OWNER_PASSWORD = "chatbi_owner", "owner-secret-1"
READER, READER_PASSWORD = "chatbi_reader", "reader-secret-1"
SUPERUSER, SUPERUSER_PASSWORD = "chatbi_admin", "admin-secret-1"
DATABASE = "analytics"
# The tables' text sorts like a Chinese user's database would (pinyin, ICU), so that only an explicit
# collation gives DuckDB's order.
ICU_LOCALE = "zh"
_PG_TYPES = {
    "VARCHAR": "text",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "DOUBLE": "double precision",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
}


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder, if any."""
    found = sorted(Path("/").glob(POSTGRES_BIN_GLOB.lstrip("/")), key=lambda p: int(p.parent.name))
    found = [path for path in found if (path / "initdb").exists()]
    return found[-1] if found else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresCluster:
    """A PostgreSQL cluster in a temporary folder (`start`, then `stop`)."""

    bin: Path
    root: Path
    port: int

    @classmethod
    def create(cls, bin: Path) -> PostgresCluster:
        root = Path(tempfile.mkdtemp(prefix="chatbi-pg-"))
        return cls(bin=bin, root=root, port=free_port())

    @property
    def _as_server_user(self) -> list[str]:
        """The command prefix that runs a server binary as a non-root user (postgres refuses root)."""
        return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        data = self.root / "data"
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        options = f"-k {self.root} -p {self.port} -h 127.0.0.1 -c fsync=off -c full_page_writes=off"
        options += " -c shared_buffers=32MB -c max_connections=40"
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(self.root / "log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, *command: str) -> None:
        result = subprocess.run(
            [*self._as_server_user, *command], capture_output=True, text=True, cwd="/tmp", check=False
        )
        if result.returncode != 0:
            log = self.root / "log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(command)} failed: {result.stderr.strip()}\n{tail}")

    def admin(self, dbname: str = "postgres") -> Any:
        """A superuser connection over the cluster's socket (autocommit)."""
        import psycopg

        return psycopg.connect(
            host=str(self.root), port=self.port, user="postgres", dbname=dbname, autocommit=True
        )

    def url(self, user: str, password: str, dbname: str = DATABASE) -> str:
        return f"postgresql://{user}:{password}@127.0.0.1:{self.port}/{dbname}"


def load_postgres(cluster: PostgresCluster, source: Path) -> None:
    """Create the roles and the `analytics` database, owned by OWNER, holding every table of the DuckDB
    file `source`; READER may only SELECT them (and sees no `secrets` table); SUPERUSER is one."""
    from psycopg import sql

    with cluster.admin() as admin:
        for role, password, extra in (
            (OWNER, OWNER_PASSWORD, sql.SQL("")),
            (READER, READER_PASSWORD, sql.SQL("")),
            (SUPERUSER, SUPERUSER_PASSWORD, sql.SQL(" SUPERUSER")),
        ):
            admin.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}{}").format(
                    sql.Identifier(role), sql.Literal(password), extra
                )
            )
        admin.execute(
            sql.SQL(
                "CREATE DATABASE {} OWNER {} TEMPLATE template0 LOCALE 'C.UTF-8' "
                "LOCALE_PROVIDER icu ICU_LOCALE {}"
            ).format(sql.Identifier(DATABASE), sql.Identifier(OWNER), sql.Literal(ICU_LOCALE))
        )
    import psycopg

    with (
        psycopg.connect(cluster.url(OWNER, OWNER_PASSWORD), autocommit=True) as owner,
        duckdb.connect(str(source), read_only=True) as local,
    ):
        for (table,) in local.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT internal ORDER BY table_name"
        ).fetchall():
            columns = local.execute(f'DESCRIBE "{table}"').fetchall()
            definition = sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(_PG_TYPES[kind]))
                for name, kind, *_ in columns
            )
            owner.execute(sql.SQL("CREATE TABLE {} ({})").format(sql.Identifier(table), definition))
            names = sql.SQL(", ").join(sql.Identifier(name) for name, *_ in columns)
            rows = local.execute(f'SELECT * FROM "{table}"').fetchall()
            with (
                owner.cursor() as cursor,
                cursor.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(table), names)) as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            owner.execute(
                sql.SQL("GRANT SELECT ON {} TO {}").format(sql.Identifier(table), sql.Identifier(READER))
            )
            owner.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))
        owner.execute("CREATE TABLE secrets AS SELECT 'hunter2' AS secret")
        owner.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(sql.Identifier(READER)))


def write_parquet_tables(source: Path, folder: Path) -> Path:
    """Every table of the DuckDB file `source` as `folder`/NAME.parquet (what spark-local:///folder reads)."""
    folder.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(source), read_only=True) as local:
        for (table,) in local.execute("SELECT table_name FROM duckdb_tables() WHERE NOT internal").fetchall():
            target = str(folder / f"{table}.parquet").replace("'", "''")
            local.execute(f"COPY \"{table}\" TO '{target}' (FORMAT parquet)")
    return folder


def start_spark() -> Any:
    """The test session's one local Spark: 2 threads, a small driver, no UI, 2 shuffle partitions; its
    Spark Connect server (`start_spark_connect`) would listen on a free loopback port."""
    from pyspark.sql import SparkSession

    warehouse = Path(tempfile.mkdtemp(prefix="chatbi-spark-"))
    session = (
        SparkSession.builder.master("local[2]")
        .appName("chatbi-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.warehouse.dir", str(warehouse))
        .config("spark.connect.grpc.binding.address", "127.0.0.1")
        .config("spark.connect.grpc.binding.port", str(free_port()))
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def start_spark_connect(session: Any) -> str:
    """Start a Spark Connect server inside the local session's JVM; its sc:// URL."""
    context = session.sparkContext
    context._jvm.org.apache.spark.sql.connect.service.SparkConnectService.start(context._jsc.sc())
    return f"sc://127.0.0.1:{context.getConf().get('spark.connect.grpc.binding.port')}"


def java_available() -> bool:
    return shutil.which("java") is not None
