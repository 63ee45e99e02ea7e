"""Messy files load into typed DuckDB tables: nulls however spelt, quoted multi-line text, odd and
duplicate column names, byte-order marks, other delimiters and encodings; the database is written
atomically and existing tables are kept unless replacing them is asked for."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from semantic_layer.drafting import loading
from semantic_layer.drafting.loading import DatabaseWriter, LoadedTable
from semantic_layer.drafting.sources import Source, find_sources, is_database_url
from semantic_layer.errors import DraftError


def load(
    tmp_path: Path, name: str, content: bytes, **options: Any
) -> tuple[LoadedTable, list[dict[str, Any]]]:
    """Load one CSV file (`content`) and read the table back: (what loading said, rows as dicts)."""
    path = tmp_path / name
    path.write_bytes(content)
    db = tmp_path / "data.duckdb"
    with DatabaseWriter(db, **options) as writer:
        (table,) = writer.load(Source(path, "csv"))
        writer.commit()
    with duckdb.connect(str(db), read_only=True) as connection:
        cursor = connection.execute(f'SELECT * FROM "{table.name}"')
        names = [d[0] for d in cursor.description or []]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return table, rows


def types_of(table: LoadedTable) -> dict[str, str]:
    return {c.name: c.duckdb_type for c in table.columns}


@pytest.mark.parametrize("spelling", ["?", "NA", "N/A", "n/a", "-", "null", "NULL", "", "  ", "#N/A"])
def test_every_spelling_of_no_value_is_null(tmp_path: Path, spelling: str) -> None:
    content = f"id,amount,city\n1,10.5,Paris\n2,{spelling},{spelling}\n3,2,Lyon\n".encode()
    table, rows = load(tmp_path, "t.csv", content)
    assert types_of(table) == {"id": "BIGINT", "amount": "DOUBLE", "city": "VARCHAR"}
    assert [r["amount"] for r in rows] == [10.5, None, 2.0]
    assert [r["city"] for r in rows] == ["Paris", None, "Lyon"]


def test_quoted_multi_line_text_with_commas_and_quotes_stays_one_value(tmp_path: Path) -> None:
    text = 'The police responded.\nNo action, "none" needed.'
    content = ('key,resolution,status\n1,"' + text.replace('"', '""') + '",Closed\n2,plain,Open\n').encode()
    table, rows = load(tmp_path, "t.csv", content)
    assert table.rows == 2
    assert rows[0]["resolution"] == text
    assert [r["status"] for r in rows] == ["Closed", "Open"]


def test_odd_and_duplicate_column_names_become_identifiers_and_keep_their_originals(tmp_path: Path) -> None:
    header = 'Agency.Name,Created Date,Cost (£),Cost (£),工单 编号,"order",1st value,""'
    content = (header + "\nNYPD,2023-01-05,1,2,A1,x,9,z\n").encode()
    table, rows = load(tmp_path, "t.csv", content)
    names = [(c.name, c.original) for c in table.columns]
    assert names == [
        ("agency_name", "Agency.Name"),
        ("created_date", "Created Date"),
        ("cost", "Cost (£)"),
        ("cost_2", "Cost (£)"),
        ("工单_编号", "工单 编号"),
        ("order_", "order"),
        ("c_1st_value", "1st value"),
        ("column_8", "column_8"),
    ]
    assert rows[0]["工单_编号"] == "A1" and rows[0]["cost_2"] == 2


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [
        ("utf-8-sig", ","),
        ("utf-8", ";"),
        ("utf-8", "\t"),
        ("utf-8-sig", "|"),
        ("gb18030", ","),
        ("utf-16", ";"),
    ],
)
def test_encodings_byte_order_marks_and_delimiters(tmp_path: Path, encoding: str, delimiter: str) -> None:
    lines = [["工单编号", "渠道", "处理时长"], ["GD1", "电话", "1.5"], ["GD2", "微信", "NA"]]
    content = ("\n".join(delimiter.join(line) for line in lines) + "\n").encode(encoding)
    table, rows = load(tmp_path, "工单.csv", content)
    assert table.name == "工单"
    assert [c.original for c in table.columns] == ["工单编号", "渠道", "处理时长"]
    assert [(r["工单编号"], r["渠道"], r["处理时长"]) for r in rows] == [
        ("GD1", "电话", 1.5),
        ("GD2", "微信", None),
    ]


def test_semicolon_files_may_write_decimal_commas(tmp_path: Path) -> None:
    table, rows = load(tmp_path, "t.csv", b"ref;cost\nA;12,50\nB;3\n")
    assert types_of(table)["cost"] == "DOUBLE"
    assert [r["cost"] for r in rows] == [12.5, 3.0]


def test_mixed_columns(tmp_path: Path) -> None:
    numbers = "\n".join(
        f"{i},{i * 1.5},{'x' if i % 3 == 0 else i},{i:05d},{'yes' if i % 2 else 'no'}" for i in range(1, 301)
    )
    content = ("n,mostly,mixed,code,flag\n" + numbers + "\n301,oops,y,00301,no\n").encode()
    table, rows = load(tmp_path, "t.csv", content)
    assert types_of(table) == {
        "n": "BIGINT", "mostly": "DOUBLE", "mixed": "VARCHAR", "code": "VARCHAR", "flag": "BOOLEAN",
    }  # fmt: skip
    mostly = {c.name: c for c in table.columns}["mostly"]
    assert mostly.notes and "1 values are not numbers" in mostly.notes[0] and "'oops'" in mostly.notes[0]
    assert rows[-1]["mostly"] is None and rows[0]["mostly"] == 1.5
    assert rows[0]["code"] == "00001"  # leading zeros kept: a code, not a number
    assert [r["flag"] for r in rows[:2]] == [True, False]
    mixed = {c.name: c for c in table.columns}["mixed"]
    assert mixed.notes == ("mixed values (66% numbers): kept as text",)


def test_times_are_parsed_while_loading_and_the_order_is_shared_within_a_file(tmp_path: Path) -> None:
    content = (
        b"Created Date,Closed Date,Due\n"
        b"29/2/2016 01:16,01/03/2016 10:00,01/03/2016\n"
        b"3/4/2016 23:05,,02/03/2016\n"
        b"05/04/2016 08:00,06/04/2016 09:30,N/A\n"
    )
    table, rows = load(tmp_path, "t.csv", content)
    assert types_of(table) == {"created_date": "TIMESTAMP", "closed_date": "TIMESTAMP", "due": "DATE"}
    assert rows[0]["created_date"] == datetime(2016, 2, 29, 1, 16)
    assert rows[1]["created_date"] == datetime(2016, 4, 3, 23, 5)
    # no day of Closed Date is above 12: it follows Created Date, which is day-first, and says so
    assert rows[0]["closed_date"] == datetime(2016, 3, 1, 10, 0)
    closed = {c.name: c for c in table.columns}["closed_date"]
    assert closed.timestamp is not None and closed.timestamp.day_first and closed.timestamp.ambiguous
    assert any("as another date column of this file is" in note for note in closed.notes)
    created = {c.name: c for c in table.columns}["created_date"]
    assert any("read day-first" in note for note in created.notes)


def test_an_existing_table_is_kept_unless_forced(tmp_path: Path) -> None:
    load(tmp_path, "requests.csv", b"id,v\n1,a\n")
    with pytest.raises(DraftError, match=r"table 'requests' .* already exists .* --force"):
        load(tmp_path, "requests.csv", b"id,v\n2,b\n")
    with duckdb.connect(str(tmp_path / "data.duckdb"), read_only=True) as connection:
        assert connection.execute("SELECT v FROM requests").fetchall() == [("a",)]
    _, rows = load(tmp_path, "requests.csv", b"id,v\n2,b\n", force=True)
    assert rows == [{"id": 2, "v": "b"}]


def test_a_failed_load_leaves_the_database_as_it_was_and_no_stray_file(tmp_path: Path) -> None:
    load(tmp_path, "first.csv", b"id\n1\n")
    db = tmp_path / "data.duckdb"
    before = db.read_bytes()
    good, bad = tmp_path / "second.csv", tmp_path / "third.csv"  # the third is missing
    good.write_bytes(b"id\n2\n")
    with pytest.raises(DraftError, match="cannot read"), DatabaseWriter(db) as writer:
        writer.load(Source(good, "csv"))
        writer.load(Source(bad, "csv"))
        writer.commit()
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.duckdb", "first.csv", "second.csv"]


def test_parquet_and_duckdb_files_load_too(tmp_path: Path) -> None:
    frame = pd.DataFrame({"Ticket ID": ["A", "B"], "Opened": ["01/05/2023 02:13:45 PM", "N/A"], "n": [1, 2]})
    frame.to_parquet(tmp_path / "tickets.parquet")
    source_db = tmp_path / "source.duckdb"
    with duckdb.connect(str(source_db)) as connection:
        connection.execute("CREATE TABLE calls AS SELECT 1 AS id, TIMESTAMPTZ '2023-01-05 12:00:00+08' AS at")
    db = tmp_path / "out.duckdb"
    with DatabaseWriter(db) as writer:
        tables = [
            *writer.load(Source(tmp_path / "tickets.parquet", "parquet")),
            *writer.load(Source(source_db, "duckdb")),
        ]
        writer.commit()
    assert [t.name for t in tables] == ["tickets", "calls"]
    with duckdb.connect(str(db), read_only=True) as connection:
        assert connection.execute("SELECT ticket_id, opened, n FROM tickets ORDER BY 1").fetchall() == [
            ("A", datetime(2023, 1, 5, 14, 13, 45), 1),
            ("B", None, 2),
        ]
        assert connection.execute("SELECT at_ FROM calls").fetchall() == [(datetime(2023, 1, 5, 4, 0),)]


def test_sources(tmp_path: Path) -> None:
    assert is_database_url("postgresql://user@localhost/db") and not is_database_url(str(tmp_path))
    with pytest.raises(DraftError, match=r"postgresql://\.\.\. is a database URL, not a file"):
        find_sources("postgresql://user@localhost/db")
    with pytest.raises(DraftError, match="no such file"):
        find_sources(str(tmp_path / "missing.csv"))
    (tmp_path / "a.csv").write_text("x\n1\n")
    (tmp_path / "b.parquet").write_bytes(b"")
    (tmp_path / "notes.md").write_text("# not data\n")
    assert [(s.path.name, s.kind) for s in find_sources(str(tmp_path))] == [
        ("a.csv", "csv"),
        ("b.parquet", "parquet"),
    ]
    with pytest.raises(DraftError, match="unknown kind of file"):
        find_sources(str(tmp_path / "notes.md"))


def test_big_files_report_their_progress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loading, "PROGRESS_BYTES", 0)  # every file counts as big
    path = tmp_path / "t.csv"
    path.write_text("id,v\n" + "".join(f"{i},{i % 7}\n" for i in range(20000)))
    seen: list[tuple[str, float | None]] = []
    with DatabaseWriter(
        tmp_path / "data.duckdb", progress=lambda stage, done: seen.append((stage, done))
    ) as writer:
        writer.load(Source(path, "csv"))
    fractions = [done for stage, done in seen if stage == "reading t.csv"]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert all(0 <= f <= 1 for f in fractions if f is not None)
    assert ("typing the columns of t.csv", None) in seen


def test_a_row_with_more_fields_than_the_header_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DraftError) as raised:
        load(tmp_path, "ragged.csv", b"id,x,y\n1,2\n2,3,4,5\n")
    assert "CSV Error on Line: 3" in str(raised.value)
    assert "Original Line: 2,3,4,5; Expected Number of Columns: 3 Found: 4" in str(raised.value)
    assert not (tmp_path / "data.duckdb").exists()


def test_epoch_columns_named_like_times_become_times(tmp_path: Path) -> None:
    content = b"id,created_ts,closed_ms,amount\n1,1672928025,1672931625000,1672928025\n2,N/A,,5\n"
    table, rows = load(tmp_path, "t.csv", content)
    assert types_of(table) == {
        "id": "BIGINT",
        "created_ts": "TIMESTAMP",
        "closed_ms": "TIMESTAMP",
        "amount": "BIGINT",
    }
    assert rows[0]["created_ts"] == datetime(2023, 1, 5, 14, 13, 45)
    assert rows[0]["closed_ms"] == datetime(2023, 1, 5, 15, 13, 45)
    assert rows[1]["created_ts"] is None
