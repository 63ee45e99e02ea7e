"""`chatbi init` on a database URL: a messy service-request table on the real PostgreSQL of the test
session (tests/databases.py), created by its owner and read by the SELECT-only role, is drafted in
place (nothing copied), checked, and questioned in English and Chinese through `chatbi ask --db URL`;
every number is compared with pandas on the same rows. Spark: a temporary view of the same rows on the
test session's local Spark, which `spark-local://` opens in this process."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from server.cli import app
from tests.databases import OWNER, OWNER_PASSWORD, READER, READER_PASSWORD
from tests.server.cli_cases import Case, ask, between, check_answer, monthly, one, run, runner, within_24h

ROWS = 3000
AS_OF = "2024-07-15"
LAST_MONTH = ("2024-06-01", "2024-07-01")
REQUESTS_DB = "service_desk"
COMPLAINTS = [
    "Noise",
    "Heating",
    "Parking",
    "Street Condition",
    "Water Leak",
    "Rodent",
    "Graffiti",
    "Lighting",
]
BOROUGHS = ["BROOKLYN", "QUEENS", "MANHATTAN", "BRONX", "STATEN ISLAND"]
CHANNELS = ["PHONE", "ONLINE", "APP"]
OPEN_STATUSES = ["Open", "Pending", "In Progress"]
DUE_FORMAT = "%m/%d/%Y %I:%M:%S %p"
TEXTS = [
    "Caller reports the problem has been going on for several days and asks for an inspection.",
    "Resident says the issue returns every night; a neighbour confirmed it by phone this morning.",
    "Follow-up on an earlier request that was closed without anyone visiting the address given.",
    "Anonymous report from the online form with photos attached; location checked on the map.",
]


# --- the messy table -----------------------------------------------------------------------------


def service_requests(rows: int, seed: int) -> pd.DataFrame:
    """Service requests as a help desk database holds them: typed timestamps (whole seconds), open ones
    without a closing time, a few closed before they were created, nulls in the categories, free text,
    a text column of US-written due times, a text column of times with stray words, a zoned update time."""
    rng = np.random.default_rng(seed)
    start = datetime(2024, 1, 1)
    span = int((datetime(2024, 7, 15) - start).total_seconds())
    records = []
    for key in range(rows):
        created = start + timedelta(seconds=int(rng.integers(0, span)))
        draw = rng.random()
        if draw < 0.15:
            status, closed = str(rng.choice(OPEN_STATUSES)), None
        elif draw < 0.17:
            status, closed = "Closed", None
        elif draw < 0.18:
            status, closed = "Closed", created - timedelta(seconds=int(rng.integers(3600, 100_000)))
        else:
            status, closed = "Closed", created + timedelta(seconds=int(rng.exponential(40 * 3600)))
        records.append(
            {
                "request_id": 500_000 + key,
                "created_at": created,
                "closed_at": closed,
                "status": status if rng.random() > 0.02 else None,
                "Complaint Type": str(rng.choice(COMPLAINTS)) if rng.random() > 0.03 else None,
                "borough": str(rng.choice(BOROUGHS, p=[0.3, 0.25, 0.2, 0.15, 0.1])),
                "channel": str(rng.choice(CHANNELS, p=[0.5, 0.3, 0.2])),
                "priority": int(rng.integers(1, 5)),
                "description": str(rng.choice(TEXTS)) + f" Ref {key}.",
                "due_text": (created + timedelta(days=3)).strftime(DUE_FORMAT),
                "legacy_stamp": created.strftime("%Y-%m-%d %H:%M") if rng.random() > 0.03 else "unknown",
                "satisfaction": round(float(rng.uniform(1, 5)), 1) if rng.random() > 0.3 else None,
                "cost": round(float(rng.gamma(2.0, 40.0)), 2),
                "is_escalated": bool(rng.random() < 0.1),
                "ticket_uuid": str(uuid.UUID(int=int(rng.integers(0, 2**62)) * 7 + key)),
                "updated_at": created + timedelta(hours=2),
                "payload": json.dumps({"source": "import", "n": key}),
            }
        )
    frame = pd.DataFrame.from_records(records)
    frame["created"] = pd.to_datetime(frame["created_at"])
    frame["closed"] = pd.to_datetime(frame["closed_at"])
    hours = (frame["closed"] - frame["created"]).dt.total_seconds() / 3600
    frame["hours"] = hours.where(frame["closed"] >= frame["created"])
    return frame


def repair_jobs(rows: int, seed: int) -> pd.DataFrame:
    """Repairs with dates only: reported, completed (empty when not yet; a few before reported), ward."""
    rng = np.random.default_rng(seed)
    records = []
    for key in range(rows):
        reported = (datetime(2024, 1, 1) + timedelta(days=int(rng.integers(0, 180)))).date()
        days = int(rng.integers(-2, 30))
        completed = reported + timedelta(days=days) if rng.random() > 0.2 else None
        records.append([key + 1, reported, completed, str(rng.choice(["Ward 1", "Ward 2", "Ward 3"]))])
    return pd.DataFrame.from_records(
        records, columns=["repair_id", "reported_date", "completed_date", "ward"]
    )


CREATE = """
CREATE TABLE service_requests (
    request_id bigint PRIMARY KEY, created_at timestamp NOT NULL, closed_at timestamp, status text,
    "Complaint Type" text, borough text, channel varchar(16), priority smallint, description text,
    due_text text, legacy_stamp text, satisfaction numeric(3, 1), cost numeric(10, 2), is_escalated boolean,
    ticket_uuid uuid, updated_at timestamptz, payload jsonb
)
"""
COLUMNS = ["request_id", "created_at", "closed_at", "status", "Complaint Type", "borough", "channel", "priority",
           "description", "due_text", "legacy_stamp", "satisfaction", "cost", "is_escalated", "ticket_uuid",
           "updated_at", "payload"]  # fmt: skip


@dataclass(frozen=True)
class RequestsDatabase:
    url: str
    """As the SELECT-only role."""
    owner_url: str
    frame: pd.DataFrame
    repairs: pd.DataFrame


@pytest.fixture(scope="module")
def requests_db(postgres_cluster: Any) -> RequestsDatabase:
    """A database of the test cluster holding `service_requests` (plus a table in schema `ops`, a table
    whose name needs quotes and one the reader may not read), owned by the owner role."""
    import psycopg
    from psycopg import sql

    with postgres_cluster.admin() as admin:
        admin.execute(
            sql.SQL("CREATE DATABASE {} OWNER {} TEMPLATE template0 LOCALE 'C.UTF-8'").format(
                sql.Identifier(REQUESTS_DB), sql.Identifier(OWNER)
            )
        )
    frame = service_requests(ROWS, seed=5)
    repairs = repair_jobs(300, seed=6)
    owner_url = postgres_cluster.url(OWNER, OWNER_PASSWORD, REQUESTS_DB)
    with psycopg.connect(owner_url, autocommit=True) as owner:
        owner.execute("SET TimeZone = 'Asia/Shanghai'")  # zoned values written in another zone than UTC
        owner.execute(CREATE)
        names = sql.SQL(", ").join(sql.Identifier(c) for c in COLUMNS)
        with (
            owner.cursor() as cursor,
            cursor.copy(sql.SQL("COPY service_requests ({}) FROM STDIN").format(names)) as copy,
        ):
            for record in frame[COLUMNS].itertuples(index=False):
                copy.write_row([None if _missing(v) else v for v in record])
        owner.execute("CREATE SCHEMA ops")
        owner.execute(
            "CREATE TABLE ops.repairs (repair_id int, reported_date date, completed_date date, ward text)"
        )
        with owner.cursor() as cursor, cursor.copy("COPY ops.repairs FROM STDIN") as copy:
            for record in repairs.itertuples(index=False):
                copy.write_row([None if _missing(v) else v for v in record])
        owner.execute('CREATE TABLE "Legacy Export" (id int)')
        owner.execute("CREATE TABLE internal_costs (id int, amount numeric)")
        for statement in (
            "GRANT USAGE ON SCHEMA public, ops TO {}",
            'GRANT SELECT ON service_requests, ops.repairs, "Legacy Export" TO {}',
        ):
            owner.execute(sql.SQL(statement).format(sql.Identifier(READER)))  # type: ignore[arg-type]
        owner.execute("ANALYZE")
    return RequestsDatabase(
        postgres_cluster.url(READER, READER_PASSWORD, REQUESTS_DB), owner_url, frame, repairs
    )


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT


@pytest.fixture(scope="module")
def drafted(requests_db: RequestsDatabase, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    model = tmp_path_factory.mktemp("from-postgres") / "service_desk.yaml"
    code, out, err = run("init", requests_db.url, "--out", str(model))
    assert code == 0, err
    return model, out


# --- the same numbers with pandas ----------------------------------------------------------------


def counts(column: str) -> Callable[[pd.DataFrame], dict[tuple[Any, ...], float]]:
    def compute(frame: pd.DataFrame) -> dict[tuple[Any, ...], float]:
        sizes = frame.groupby(column, dropna=False).size()
        return {(None if pd.isna(key) else key,): float(n) for key, n in sizes.items()}

    return compute


def still_open(frame: pd.DataFrame) -> float:
    return float((frame["status"].notna() & (frame["status"] != "Closed")).sum())


CASES = [
    Case("requests by complaint type", "request_count", ("complaint_type",), counts("Complaint Type")),
    Case("各投诉类型的工单量", "request_count", ("complaint_type",), counts("Complaint Type")),
    Case("how many requests last month", "request_count", (), one(len, LAST_MONTH)),
    Case("上个月各渠道的工单量", "request_count", ("channel",),
         lambda f: counts("channel")(between(f, LAST_MONTH))),
    Case("monthly trend of requests", "request_count", ("created_at",), monthly),
    Case("每月工单量趋势", "request_count", ("created_at",), monthly),
    Case("average time to close in hours", "avg_hours_to_close", (), one(lambda f: f["hours"].mean())),
    Case("平均关闭时长", "avg_hours_to_close", (), one(lambda f: f["hours"].mean())),
    Case("median time to close last month", "median_hours_to_close", (),
         one(lambda f: f["hours"].median(), LAST_MONTH)),
    Case("share closed within 24 hours", "share_closed_within_24h", (), one(within_24h)),
    Case("上个月24小时内关闭率", "share_closed_within_24h", (), one(within_24h, LAST_MONTH)),
    Case("how many open requests", "open_request_count", (), one(still_open)),
    Case("未关闭工单有多少", "open_request_count", (), one(still_open)),
    Case("open requests by borough", "open_request_count", ("borough",),
         lambda f: {(k,): still_open(part) for k, part in f.groupby("borough")}),
]  # fmt: skip


def unwrapped(path: Path) -> str:
    """The YAML text with wrapped comments joined back into one line each."""
    return re.sub(r"\n\s*#\s{2,}", " ", path.read_text(encoding="utf-8"))


# --- PostgreSQL ----------------------------------------------------------------------------------


def test_the_draft_reads_the_tables_in_place(
    drafted: tuple[Path, str], requests_db: RequestsDatabase
) -> None:
    model, out = drafted
    assert (
        f"read service_requests -> table service_requests: {ROWS:,} rows, 16 columns; left out: payload"
        in out
    )
    shareable = requests_db.url.replace(f":{READER_PASSWORD}@", "@")
    assert f"next: chatbi check --model {model} --db {shareable}" in out
    assert "(the password is left out: set PGPASSWORD" in out
    text = unwrapped(model)
    assert READER_PASSWORD not in text + out
    assert f"chatbi check --model {model} --db {shareable}" in text
    assert "source: service_requests" in text
    assert "repairs" not in text  # another schema: only with --schema
    assert "REVIEW: left out, of types that are not profiled: 'payload' (jsonb)" in text
    assert "profiled from a random sample" not in text
    assert "expr: '\"Complaint Type\"'" in text  # the database's own name, quoted
    bad = int((requests_db.frame["closed"] < requests_db.frame["created"]).sum())
    assert f"{bad:,} whose end comes before the start are left out" in text
    assert "closed = Closed; open = every other value" in text


def test_text_times_are_reviewed_and_the_suggested_view_converts_them(
    drafted: tuple[Path, str], requests_db: RequestsDatabase
) -> None:
    import psycopg

    text = unwrapped(drafted[0])
    assert (
        "REVIEW: text holding times written MM/DD/YYYY hh:mm:ss AM/PM (every value reads so): kept as text"
        in text
    )
    unreadable = int((requests_db.frame["legacy_stamp"] == "unknown").sum())
    assert f"but {unreadable:,} of {ROWS:,} values are not (e.g. 'unknown'): kept as text" in text
    found = re.search(r"REVIEW: text columns holding times \('due_text'\) .*?: (CREATE VIEW .*?)\n", text)
    assert found, text
    view = found.group(1)
    assert "legacy_stamp" not in view
    with psycopg.connect(requests_db.owner_url, autocommit=True) as owner:
        owner.execute(view)  # type: ignore[arg-type]  # the SQL the draft suggests, as written
        rows = owner.execute("SELECT request_id, due_text_time FROM service_requests_typed").fetchall()
        owner.execute("DROP VIEW service_requests_typed")
    expected = requests_db.frame.set_index("request_id")["created"] + pd.Timedelta(days=3)
    assert {key: value for key, value in rows} == {k: v.to_pydatetime() for k, v in expected.items()}


def test_the_draft_passes_check_on_postgres(drafted: tuple[Path, str], requests_db: RequestsDatabase) -> None:
    code, out, err = run("check", "--model", str(drafted[0]), "--db", requests_db.url)
    assert code == 0, err
    assert "every expression runs on postgresql://chatbi_reader:***@" in out
    # the command the draft prints, without the password, works with PGPASSWORD set
    shareable = requests_db.url.replace(f":{READER_PASSWORD}@", "@")
    result = runner.invoke(
        app, ["check", "--model", str(drafted[0]), "--db", shareable], env={"PGPASSWORD": READER_PASSWORD}
    )
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize("case", CASES, ids=[c.question for c in CASES])
def test_a_question_on_postgres_matches_pandas(
    drafted: tuple[Path, str], requests_db: RequestsDatabase, case: Case
) -> None:
    check_answer(ask(drafted[0], requests_db.url, case.question, as_of=AS_OF), case, requests_db.frame)


def test_the_measures_and_flags_match_pandas(
    drafted: tuple[Path, str], requests_db: RequestsDatabase
) -> None:
    """Sums and averages of numeric columns, the share of a true/false column and the zoned time."""
    model, frame = drafted[0], requests_db.frame
    query = json.dumps({"metrics": ["total_cost", "avg_satisfaction", "share_is_escalated"]})
    code, out, err = run("query", query, "--model", str(model), "--db", requests_db.url, "--json")
    assert code == 0, err
    row = json.loads(out)["rows"][0]
    assert row == pytest.approx(
        [frame["cost"].sum(), frame["satisfaction"].mean(), frame["is_escalated"].mean()], rel=1e-9
    )
    by_month = json.dumps(
        {"metrics": ["request_count"], "dimensions": [{"name": "updated_at", "grain": "month"}]}
    )
    code, out, err = run("query", by_month, "--model", str(model), "--db", requests_db.url, "--json")
    assert code == 0, err
    # written as Asia/Shanghai wall times; the draft's calendar is UTC, eight hours behind
    in_utc = frame["updated_at"] - pd.Timedelta(hours=8)
    months = in_utc.dt.to_period("M").dt.start_time.dt.strftime("%Y-%m-%d").value_counts()
    assert {r[0]: r[1] for r in json.loads(out)["rows"]} == months.to_dict()


def test_a_sample_is_said_and_tables_of_two_schemas_make_one_model(
    requests_db: RequestsDatabase, tmp_path: Path
) -> None:
    model = tmp_path / "sampled.yaml"
    code, out, err = run(
        "init", requests_db.url, "--out", str(model), "--sample-rows", "1000", "--table", "service_requests",
        "--table", "ops.repairs", "--schema", "public", "--schema", "ops",
    )  # fmt: skip
    assert code == 0, err
    match = re.search(r"(\d[\d,]*) rows \(profiled from a sample of ([\d,]+)\)", out)
    assert match and match.group(1) == f"{ROWS:,}", out
    sampled = int(match.group(2).replace(",", ""))
    assert 700 <= sampled <= 1000
    assert "read ops.repairs -> table repairs: 300 rows, 4 columns" in out  # fewer rows than the sample
    text = unwrapped(model)
    assert f"REVIEW: profiled from a random sample of {sampled:,} of its {ROWS:,} rows" in text
    assert "REVIEW: primary_key request_id is unique in the sample: check that it is in the table" in text
    assert text.count("profiled from a random sample") == 1
    assert "Legacy Export" not in text  # --table chose
    code, out, err = run("check", "--model", str(model), "--db", requests_db.url)
    assert code == 0, err
    code, out, err = run("init", requests_db.url, "--out", str(model))
    assert code == 1 and "already exists; use --force to replace it" in err


def test_another_schema_is_named_and_date_durations_match_pandas(
    requests_db: RequestsDatabase, tmp_path: Path
) -> None:
    """A table outside the search path is drafted with its schema; durations between two DATE columns
    (date_diff in seconds / 86400 in the draft) give pandas' days on PostgreSQL."""
    model = tmp_path / "repairs.yaml"
    code, out, err = run("init", requests_db.url, "--out", str(model), "--schema", "ops")
    assert code == 0, err
    assert "read ops.repairs -> table repairs: 300 rows, 4 columns" in out
    assert "source: ops.repairs" in model.read_text(encoding="utf-8")
    code, out, err = run("check", "--model", str(model), "--db", requests_db.url)
    assert code == 0, err
    frame = requests_db.repairs
    reported, completed = pd.to_datetime(frame["reported_date"]), pd.to_datetime(frame["completed_date"])
    days = ((completed - reported).dt.days).where(completed >= reported)
    query = json.dumps({"metrics": ["avg_days_to_resolve", "median_days_to_resolve"],
                        "dimensions": [{"name": "ward"}]})  # fmt: skip
    code, out, err = run("query", query, "--model", str(model), "--db", requests_db.url, "--json")
    assert code == 0, err
    got = {row[0]: row[1:] for row in json.loads(out)["rows"]}
    want = {ward: [part.mean(), part.median()] for ward, part in days.groupby(frame["ward"])}
    assert got.keys() == want.keys()
    for ward, values in want.items():
        assert got[ward] == pytest.approx(values, rel=1e-9), ward


def test_tables_the_model_cannot_name_are_skipped_and_said(
    requests_db: RequestsDatabase, tmp_path: Path
) -> None:
    code, out, err = run("init", requests_db.url, "--out", str(tmp_path / "all.yaml"))
    assert code == 0, err
    assert "note: skipped table 'Legacy Export': a model names tables without quotes" in err
    assert "internal_costs" not in out + err  # the reader may not read it


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--db", "x.duckdb"], "a database URL is read where it is (nothing is copied), so leave --db out"),
        (["--table", "service_request"], "no table 'service_request' that this account may read in the default "
                                         "schemas; did you mean 'service_requests'?"),
        (["--table", "Legacy Export"], "skipped table 'Legacy Export'"),
    ],
    ids=["db", "unknown-table", "quoted-name"],
)  # fmt: skip
def test_mistakes_are_clear_errors(
    requests_db: RequestsDatabase, tmp_path: Path, extra: list[str], message: str
) -> None:
    code, _, err = run("init", requests_db.url, "--out", str(tmp_path / "m.yaml"), *extra)
    assert code != 0
    assert message in " ".join(err.split())
    assert not (tmp_path / "m.yaml").exists()


def test_an_owner_or_superuser_url_is_refused(requests_db: RequestsDatabase, tmp_path: Path) -> None:
    code, _, err = run("init", requests_db.owner_url, "--out", str(tmp_path / "owner.yaml"))
    assert code == 1
    assert "refusing to serve as PostgreSQL role 'chatbi_owner': it can write" in err
    assert OWNER_PASSWORD not in err


def test_file_sources_still_refuse_url_options(tmp_path: Path) -> None:
    export = tmp_path / "calls.csv"
    export.write_text("id,created\n1,2024-01-01 10:00\n", encoding="utf-8")
    code, _, err = run("init", str(export), "--out", str(tmp_path / "calls.yaml"), "--table", "calls")
    assert code == 2
    assert "--schema, --table and --sample-rows go with a database URL" in err


# --- Spark ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spark_requests(spark_session: Any) -> Iterator[pd.DataFrame]:
    """The same kind of rows as a temporary view of the test session's Spark (times without a zone)."""
    from pyspark.sql import types as T

    frame = service_requests(1500, seed=9)
    frame["resolved_date"] = (frame["closed"] + pd.Timedelta(days=1)).dt.date.where(
        frame["closed"].notna(), None
    )
    columns = [
        "request_id",
        "created_at",
        "closed_at",
        "status",
        "Complaint Type",
        "channel",
        "cost",
        "resolved_date",
    ]
    schema = T.StructType(
        [
            T.StructField("request_id", T.LongType()),
            T.StructField("created_at", T.TimestampNTZType()),
            T.StructField("closed_at", T.TimestampNTZType()),
            T.StructField("status", T.StringType()),
            T.StructField("Complaint Type", T.StringType()),
            T.StructField("channel", T.StringType()),
            T.StructField("cost", T.DoubleType()),
            T.StructField("resolved_date", T.DateType()),
        ]
    )
    rows = [
        [None if _missing(v) else (v.to_pydatetime() if isinstance(v, pd.Timestamp) else v) for v in record]
        for record in frame[columns].itertuples(index=False)
    ]
    spark_session.createDataFrame(rows, schema).createOrReplaceTempView("sr_requests")
    yield frame
    spark_session.catalog.dropTempView("sr_requests")


SPARK_CASES = [
    Case("requests by complaint type", "request_count", ("complaint_type",), counts("Complaint Type")),
    Case("每月工单量趋势", "request_count", ("created_at",), monthly),
    Case("average time to close in hours", "avg_hours_to_close", (), one(lambda f: f["hours"].mean())),
    Case("24小时内关闭率", "share_closed_within_24h", (), one(within_24h)),
    Case("how many open requests", "open_request_count", (), one(still_open)),
]


def test_spark_local_drafts_a_temporary_view_and_answers_like_pandas(
    spark_requests: pd.DataFrame, tmp_path: Path
) -> None:
    model = tmp_path / "spark.yaml"
    code, out, err = run("init", "spark-local://", "--out", str(model), "--table", "sr_requests")
    assert code == 0, err
    assert "read sr_requests -> table sr_requests: 1,500 rows, 8 columns" in out
    text = model.read_text(encoding="utf-8")
    assert "source: sr_requests" in text
    code, out, err = run("check", "--model", str(model), "--db", "spark-local://")
    assert code == 0, err
    for case in SPARK_CASES:
        check_answer(ask(model, "spark-local://", case.question, as_of=AS_OF), case, spark_requests)
    # a time to a date: the draft's date_diff in seconds / 86400 from the creation time to midnight
    resolved = pd.to_datetime(spark_requests["resolved_date"])
    days = ((resolved - spark_requests["created"]).dt.total_seconds() / 86400).where(
        resolved >= spark_requests["created"]
    )
    query = json.dumps({"metrics": ["avg_days_to_resolve", "p90_days_to_resolve"]})
    code, out, err = run("query", query, "--model", str(model), "--db", "spark-local://", "--json")
    assert code == 0, err
    assert json.loads(out)["rows"][0] == pytest.approx([days.mean(), days.quantile(0.9)], rel=1e-9)
    sampled = tmp_path / "sampled.yaml"
    code, out, err = run(
        "init", "spark-local://", "--out", str(sampled), "--table", "sr_requests", "--sample-rows", "500"
    )
    assert code == 0, err
    assert "1,500 rows (profiled from a sample of" in out
