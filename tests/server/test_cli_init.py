"""Bring your own data: `chatbi init` on messy CSV exports, then `chatbi check`, then questions in English
and Chinese through the real parser (`chatbi ask`), every number compared with pandas on the same CSV."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.server.cli_cases import Case, ask, between, check_answer, monthly, one, run, within_24h

NULLS = ["N/A", "NA", "?", "-", "null", ""]
NYC_AS_OF = "2023-07-15"
LAST_MONTH = ("2023-06-01", "2023-07-01")
NYC_ROWS = 3000
NYC_FORMAT = "%m/%d/%Y %I:%M:%S %p"
COMPLAINTS = {
    "Noise - Residential": ["Loud Music/Party", "Banging/Pounding"],
    "HEAT/HOT WATER": ["ENTIRE BUILDING", "APARTMENT ONLY"],
    "Illegal Parking": ["Blocked Hydrant", "Double Parked Blocking Traffic"],
    "Blocked Driveway": ["No Access", "Partial Access"],
    "Street Condition": ["Pothole", "Cave-in"],
    "Water System": ["Hydrant Running", "Leak (Use Comments) (WA2)"],
    "Rodent": ["Rat Sighting", "Mouse Sighting"],
    "UNSANITARY CONDITION": ["PESTS", "GARBAGE/RECYCLING STORAGE"],
}
AGENCIES = {
    "NYPD": "New York City Police Department",
    "HPD": "Department of Housing Preservation and Development",
    "DOT": "Department of Transportation",
    "DEP": "Department of Environmental Protection",
    "DOHMH": "Department of Health and Mental Hygiene",
}
BOROUGHS = ["BROOKLYN", "QUEENS", "MANHATTAN", "BRONX", "STATEN ISLAND", "Unspecified"]
CHANNELS = ["PHONE", "ONLINE", "MOBILE", "UNKNOWN"]
OPEN_STATUSES = ["Open", "Pending", "In Progress", "Assigned"]
CITIES = ["BROOKLYN", "NEW YORK", "BRONX", "ASTORIA", "JAMAICA", "STATEN ISLAND", "FLUSHING", "RIDGEWOOD",
          "ELMHURST", "CORONA", "WOODSIDE", "BAYSIDE", "?"]  # fmt: skip


# --- the messy exports ---------------------------------------------------------------------------


def write_nyc_311(path: Path, rows: int, seed: int) -> None:
    """A NYC-311-like export: AM/PM times, missing and N/A closing times, multi-line quoted resolutions,
    nulls spelt several ways, an always-empty column, a few closing times before their creation."""
    rng = np.random.default_rng(seed)
    start = datetime(2023, 1, 1)
    span = (datetime(2023, 7, 15) - start).total_seconds()
    header = ["Unique Key", "Created Date", "Closed Date", "Agency", "Agency Name", "Complaint Type",
              "Descriptor", "Location Type", "Incident Zip", "Incident Address", "City", "Status",
              "Resolution Description", "Borough", "Open Data Channel Type", "Facility Type", "Latitude",
              "Longitude"]  # fmt: skip
    zips = [f"1{n:04d}" for n in rng.choice(np.arange(1, 500), 30, replace=False)]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for key in range(rows):
            created = start + timedelta(seconds=float(rng.uniform(0, span)))
            complaint = str(rng.choice(list(COMPLAINTS)))
            agency = str(rng.choice(list(AGENCIES)))
            draw = rng.random()
            if draw < 0.15:
                status, closed = str(rng.choice(OPEN_STATUSES)), None
            elif draw < 0.17:
                status, closed = "Closed", None  # closed without a closing time
            elif draw < 0.18:
                status, closed = "Closed", created - timedelta(hours=float(rng.uniform(1, 30)))  # bad data
            else:
                status, closed = "Closed", created + timedelta(hours=float(rng.exponential(40)))
            resolution = str(rng.choice([
                "The Police Department responded to the complaint and took action to fix the condition.",
                'The Department of Housing inspected the apartment.\nA "Notice of Violation" was issued, and\nthe owner must correct it.',
                "Service Request status for this request is available at the agency website, see nyc.gov.",
            ]))  # fmt: skip
            writer.writerow([
                91_000_000 + key,
                created.strftime(NYC_FORMAT),
                closed.strftime(NYC_FORMAT) if closed else str(rng.choice(["", "N/A"])),
                agency,
                AGENCIES[agency],
                complaint,
                str(rng.choice(COMPLAINTS[complaint])),
                str(rng.choice(["RESIDENTIAL BUILDING", "Street/Sidewalk", "Store/Commercial", "N/A"])),
                str(rng.choice([*zips, "N/A", ""])),
                f"{int(rng.integers(1, 3000))} {rng.choice(['BROADWAY', 'ATLANTIC AVENUE', 'GRAND CONCOURSE', '5 AVENUE'])}",
                str(rng.choice(CITIES)),
                status,
                resolution if closed else str(rng.choice(["", "-"])),
                str(rng.choice(BOROUGHS, p=[0.3, 0.25, 0.2, 0.15, 0.05, 0.05])),
                str(rng.choice(CHANNELS, p=[0.4, 0.3, 0.25, 0.05])),
                "N/A",
                f"{rng.uniform(40.5, 40.9):.6f}" if rng.random() > 0.05 else "",
                f"{rng.uniform(-74.2, -73.7):.6f}" if rng.random() > 0.05 else "",
            ])  # fmt: skip


def write_uk_repairs(path: Path, rows: int, seed: int) -> None:
    """A UK council export: `;`-delimited, a byte-order mark, day-first times without leading zeros."""
    rng = np.random.default_rng(seed)
    lines = ["Ref No;Date Raised;Date Closed;Repair Type;Ward;Status"]
    for key in range(rows):
        raised = datetime(2016, 1, 1) + timedelta(minutes=int(rng.integers(0, 190 * 24 * 60)))
        done = raised + timedelta(hours=float(rng.exponential(50)))
        closed = rng.random() < 0.9
        when = f"{done.day}/{done.month}/{done.year} {done.hour:02d}:{done.minute:02d}" if closed else "-"
        lines.append(
            f"R{key:05d};{raised.day}/{raised.month}/{raised.year} {raised.hour:02d}:{raised.minute:02d};{when};"
            f"{rng.choice(['Plumbing', 'Electrical', 'Roofing', 'Damp'])};{rng.choice(['Ward 1', 'Ward 2', 'Ward 3'])};"
            f"{'Completed' if closed else rng.choice(['Open', 'Awaiting parts'])}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")


def write_chinese_tickets(path: Path, rows: int, seed: int) -> None:
    """A Chinese export: Chinese column names, YYYY/MM/DD times, NA and - for missing handling times."""
    rng = np.random.default_rng(seed)
    lines = ["工单编号,创建时间,渠道,状态,处理时长"]
    for key in range(rows):
        created = datetime(2024, 1, 1) + timedelta(minutes=int(rng.integers(0, 180 * 24 * 60)))
        hours = str(rng.choice(["NA", "-", f"{rng.gamma(2.0, 12.0):.1f}"], p=[0.05, 0.05, 0.9]))
        lines.append(
            f"GD{key:06d},{created:%Y/%m/%d %H:%M},{rng.choice(['电话', '微信', 'App', '网站'], p=[0.4, 0.3, 0.2, 0.1])},"
            f"{rng.choice(['已关闭', '处理中', '待处理'], p=[0.7, 0.2, 0.1])},{hours}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# --- the same numbers with pandas ----------------------------------------------------------------


def read_nyc(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = frame.map(lambda v: None if v.strip() in NULLS else v.strip())
    frame["created"] = pd.to_datetime(frame["Created Date"], format=NYC_FORMAT)
    frame["closed"] = pd.to_datetime(frame["Closed Date"], format=NYC_FORMAT)
    hours = (frame["closed"] - frame["created"]).dt.total_seconds() / 3600
    frame["hours"] = hours.where(frame["closed"] >= frame["created"])
    return frame


def counts(frame: pd.DataFrame, column: str) -> dict[tuple[Any, ...], float]:
    return {(key,): float(n) for key, n in frame.groupby(column).size().items()}


def top(values: dict[tuple[Any, ...], float], n: int) -> dict[tuple[Any, ...], float]:
    return dict(sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))[:n])


def still_open(frame: pd.DataFrame) -> float:
    return float(frame["Status"].notna().sum() - (frame["Status"] == "Closed").sum())


def by(
    column: str, compute: Callable[[pd.DataFrame], float] = len, period: tuple[str, str] | None = None
) -> Callable[[pd.DataFrame], dict[tuple[Any, ...], float]]:  # type: ignore[assignment]
    return lambda frame: {
        (key,): float(compute(part)) for key, part in between(frame, period).groupby(column)
    }


NYC_CASES = [
    Case("how many requests last month", "request_count", (), one(len, LAST_MONTH)),
    Case("上个月有多少工单", "request_count", (), one(len, LAST_MONTH)),
    Case("requests by complaint type", "request_count", ("complaint_type",), lambda f: counts(f, "Complaint Type")),
    Case("各投诉类型的工单量", "request_count", ("complaint_type",), lambda f: counts(f, "Complaint Type")),
    Case("requests by channel last month", "request_count", ("open_data_channel_type",),
         lambda f: counts(between(f, LAST_MONTH), "Open Data Channel Type")),
    Case("上个月各渠道的工单量", "request_count", ("open_data_channel_type",),
         lambda f: counts(between(f, LAST_MONTH), "Open Data Channel Type")),
    Case("requests by borough", "request_count", ("borough",), lambda f: counts(f, "Borough")),
    Case("各区的工单量", "request_count", ("borough",), lambda f: counts(f, "Borough")),
    Case("top 5 complaint types by requests last month", "request_count", ("complaint_type",),
         lambda f: top(counts(between(f, LAST_MONTH), "Complaint Type"), 5), limit=5),
    Case("上个月工单量最多的3个投诉类型", "request_count", ("complaint_type",),
         lambda f: top(counts(between(f, LAST_MONTH), "Complaint Type"), 3), limit=3),
    Case("monthly trend of requests", "request_count", ("created_date",), monthly),
    Case("每月工单量趋势", "request_count", ("created_date",), monthly),
    Case("average time to close in hours", "avg_hours_to_close", (), one(lambda f: f["hours"].mean())),
    Case("平均关闭时长", "avg_hours_to_close", (), one(lambda f: f["hours"].mean())),
    Case("median time to close last month", "median_hours_to_close", (),
         one(lambda f: f["hours"].median(), LAST_MONTH)),
    Case("上个月关闭时长中位数", "median_hours_to_close", (), one(lambda f: f["hours"].median(), LAST_MONTH)),
    Case("average time to close by borough", "avg_hours_to_close", ("borough",),
         by("Borough", lambda f: f["hours"].mean())),
    Case("share closed within 24 hours last month", "share_closed_within_24h", (), one(within_24h, LAST_MONTH)),
    Case("上个月24小时内关闭率", "share_closed_within_24h", (), one(within_24h, LAST_MONTH)),
    Case("how many open requests", "open_request_count", (), one(still_open)),
    Case("未关闭工单有多少", "open_request_count", (), one(still_open)),
    Case("open requests by agency", "open_request_count", ("agency",), by("Agency", still_open)),
    Case("电话渠道上个月的工单量", "request_count", (),
         one(lambda f: float((f["Open Data Channel Type"] == "PHONE").sum()), LAST_MONTH)),
]  # fmt: skip


# --- the tests -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nyc(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, pd.DataFrame]:
    folder = tmp_path_factory.mktemp("nyc")
    export = folder / "311_Service_Requests.csv"
    write_nyc_311(export, NYC_ROWS, seed=11)
    model = folder / "requests.yaml"
    code, out, err = run("init", str(export), "--out", str(model))
    assert code == 0, err
    assert (
        f"loaded 311_Service_Requests.csv -> table t_311_service_requests: {NYC_ROWS:,} rows, 18 columns"
        in out
    )
    return model, folder / "requests.duckdb", read_nyc(export)


def test_the_draft_passes_check(nyc: tuple[Path, Path, pd.DataFrame]) -> None:
    model, db, _ = nyc
    code, out, err = run("check", "--model", str(model), "--db", str(db))
    assert code == 0, err
    assert "every expression runs on" in out


def unwrapped(path: Path) -> str:
    """The YAML text with wrapped comments joined back into one line each."""
    return re.sub(r"\n\s*#\s{2,}", " ", path.read_text(encoding="utf-8"))


def test_the_draft_says_what_to_review(nyc: tuple[Path, Path, pd.DataFrame]) -> None:
    text = unwrapped(nyc[0])
    assert "REVIEW: left out, always empty: 'Facility Type'" in text
    assert "REVIEW: read month-first as MM/DD/YYYY hh:mm:ss AM/PM" in text
    assert re.search(r"REVIEW: a record field, not a dimension: free text", text)
    assert "REVIEW: synonyms suggested from the dictionary" in text
    assert "closed = Closed; open = every other value" in text
    bad = int((nyc[2]["closed"] < nyc[2]["created"]).sum())
    assert f"{bad:,} whose end comes before the start are left out" in text
    assert "label: {en: Complaint type, zh: 投诉类型}" in text
    assert (
        "shares values with city (e.g. bronx, brooklyn, staten island): a question naming such a value alone means borough"
        in text
    )


@pytest.mark.parametrize("case", NYC_CASES, ids=[c.question for c in NYC_CASES])
def test_a_question_on_the_draft_matches_pandas(nyc: tuple[Path, Path, pd.DataFrame], case: Case) -> None:
    model, db, frame = nyc
    check_answer(ask(model, db, case.question, as_of=NYC_AS_OF), case, frame)


def test_a_detail_list_shows_the_records(nyc: tuple[Path, Path, pd.DataFrame]) -> None:
    model, db, frame = nyc
    recent = between(frame, LAST_MONTH)
    still_open = recent["Status"].notna() & (recent["Status"] != "Closed")
    # BROOKLYN is a borough and a city: alone it means the borough (fewer values), named it is the city's
    for question, column in [
        ("list open requests in Brooklyn last month", "Borough"),
        ("list the open requests of Brooklyn city last month", "City"),
    ]:
        answer = ask(model, db, question, as_of=NYC_AS_OF)
        assert answer["query"]["kind"] == "detail"
        keys = {int(row[0]) for row in answer["data"]["rows"]}
        expected = recent[(recent[column] == "BROOKLYN") & still_open]
        assert keys == {int(k) for k in expected["Unique Key"]}, question


def test_a_synonym_added_to_the_draft_is_understood(
    tmp_path: Path, nyc: tuple[Path, Path, pd.DataFrame]
) -> None:
    model, db, frame = nyc
    question = "上个月按投诉看工单量"
    before = ask(model, db, question, as_of=NYC_AS_OF)
    assert (
        before["status"] == "clarify" and "投诉" in before["clarification"]["question"]
    )  # not answered without it
    edited = tmp_path / "edited.yaml"
    text = model.read_text(encoding="utf-8")
    assert "zh: [投诉类别, 投诉种类]" in text
    edited.write_text(
        text.replace("zh: [投诉类别, 投诉种类]", "zh: [投诉, 投诉类别, 投诉种类]"), encoding="utf-8"
    )
    assert run("check", "--model", str(edited), "--db", str(db))[0] == 0
    case = Case(question, "request_count", ("complaint_type",),
                lambda f: counts(between(f, LAST_MONTH), "Complaint Type"))  # fmt: skip
    check_answer(ask(edited, db, question, as_of=NYC_AS_OF), case, frame)


def test_uk_day_first_semicolon_export(tmp_path: Path) -> None:
    export = tmp_path / "council_repairs.csv"
    write_uk_repairs(export, 1500, seed=3)
    model = tmp_path / "repairs.yaml"
    assert run("init", str(export), "--out", str(model), "--db", str(tmp_path / "repairs.duckdb"))[0] == 0
    text = unwrapped(model)
    assert "REVIEW: read day-first as DD/MM/YYYY hh:mm: the first field goes up to 31" in text
    assert run("check", "--model", str(model), "--db", str(tmp_path / "repairs.duckdb"))[0] == 0
    frame = pd.read_csv(export, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame["created"] = pd.to_datetime(frame["Date Raised"], format="%d/%m/%Y %H:%M")
    frame["closed"] = pd.to_datetime(frame["Date Closed"].replace("-", None), format="%d/%m/%Y %H:%M")
    frame["hours"] = (frame["closed"] - frame["created"]).dt.total_seconds() / 3600
    june = ("2016-06-01", "2016-07-01")
    cases = [
        Case("how many repairs last month", "repair_count", (), one(len, june)),
        Case("repairs by repair type last month", "repair_count", ("repair_type",),
             lambda f: counts(between(f, june), "Repair Type")),
        Case("上个月各维修类型的维修量", "repair_count", ("repair_type",),
             lambda f: counts(between(f, june), "Repair Type")),
        Case("average time to close last month", "avg_hours_to_close", (), one(lambda f: f["hours"].mean(), june)),
        Case("how many open repairs", "open_repair_count", (),
             one(lambda f: float((f["Status"] != "Completed").sum()))),
    ]  # fmt: skip
    for case in cases:
        check_answer(ask(model, tmp_path / "repairs.duckdb", case.question, as_of="2016-07-10"), case, frame)


def test_chinese_export(tmp_path: Path) -> None:
    export = tmp_path / "工单导出.csv"
    write_chinese_tickets(export, 2000, seed=8)
    model = tmp_path / "工单.yaml"
    code, _, err = run("init", str(export), "--out", str(model))
    assert code == 0, err
    db = tmp_path / "工单.duckdb"
    assert run("check", "--model", str(model), "--db", str(db))[0] == 0
    frame = pd.read_csv(export, dtype=str, keep_default_na=False)
    frame["created"] = pd.to_datetime(frame["创建时间"], format="%Y/%m/%d %H:%M")
    frame["hours"] = pd.to_numeric(frame["处理时长"], errors="coerce")
    june = ("2024-06-01", "2024-07-01")
    cases = [
        Case("上个月有多少工单", "ticket_count", (), one(len, june)),
        Case("各渠道的工单量", "ticket_count", ("渠道",), lambda f: counts(f, "渠道")),
        Case("上个月各渠道的平均处理时长", "avg_处理时长", ("渠道",), by("渠道", lambda f: f["hours"].mean(), june)),
        Case("未关闭工单有多少", "open_ticket_count", (), one(lambda f: float((f["状态"] != "已关闭").sum()))),
        Case("关闭率", "share_closed", (), one(lambda f: float((f["状态"] == "已关闭").mean()))),
        Case("how many tickets by channel", "ticket_count", ("渠道",), lambda f: counts(f, "渠道")),
        Case("phone tickets last month", "ticket_count", (), one(lambda f: float((f["渠道"] == "电话").sum()), june)),
    ]  # fmt: skip
    for case in cases:
        check_answer(ask(model, db, case.question, as_of="2024-07-05"), case, frame)


def test_init_refuses_what_it_cannot_do_and_keeps_what_exists(tmp_path: Path) -> None:
    code, _, err = run("init", "mysql://analyst@db.internal/helpdesk", "--out", str(tmp_path / "m.yaml"))
    assert code == 1 and "unsupported database URL mysql://analyst@db.internal/helpdesk" in err
    code, _, err = run(
        "init", "postgresql://analyst:pw@db.invalid/helpdesk", "--out", str(tmp_path / "m.yaml")
    )
    assert code == 1 and "cannot connect to PostgreSQL at postgresql://analyst:***@db.invalid/helpdesk" in err
    assert not (tmp_path / "m.yaml").exists()
    export = tmp_path / "calls.csv"
    export.write_text("Call ID,Created At,Status\n1,2024-01-05 10:00,Open\n2,2024-01-06 11:00,Closed\n")
    model = tmp_path / "calls.yaml"
    assert run("init", str(export), "--out", str(model))[0] == 0
    first = model.read_text(encoding="utf-8")
    code, _, err = run("init", str(export), "--out", str(model))
    assert code == 1 and "already exists; use --force" in err
    other = tmp_path / "other.yaml"
    code, _, err = run("init", str(export), "--out", str(other), "--db", str(tmp_path / "calls.duckdb"))
    assert code == 1 and "table 'calls' (from calls.csv) already exists" in err
    assert not other.exists() and model.read_text(encoding="utf-8") == first
    assert run("init", str(export), "--out", str(model), "--force")[0] == 0


def test_a_directory_becomes_one_table_per_file(tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    write_uk_repairs(exports / "repairs.csv", 300, seed=1)
    write_chinese_tickets(exports / "工单导出.csv", 300, seed=2)
    (exports / "README.txt").write_text("not,a,table\n")  # .txt is read as CSV too: a third table
    model = tmp_path / "all.yaml"
    code, out, err = run("init", str(exports), "--out", str(model))
    assert code == 0, err
    assert [line.split(" -> ")[0] for line in out.splitlines() if line.startswith("loaded")] == [
        "loaded README.txt", "loaded repairs.csv", "loaded 工单导出.csv",
    ]  # fmt: skip
    assert run("check", "--model", str(model), "--db", str(tmp_path / "all.duckdb"))[0] == 0
    text = model.read_text(encoding="utf-8")
    assert "- name: repair_count\n" in text and "- name: ticket_count\n" in text
    answer = ask(model, tmp_path / "all.duckdb", "各渠道的工单量", as_of="2024-07-05")
    frame = pd.read_csv(exports / "工单导出.csv", dtype=str)
    assert {row[0]: row[1] for row in answer["data"]["rows"]} == counts_by(frame, "渠道")


def counts_by(frame: pd.DataFrame, column: str) -> dict[str, float]:
    return {key: float(n) for key, n in frame.groupby(column).size().items()}
