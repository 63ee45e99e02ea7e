"""Time formats are told from the values, and the DuckDB expression reads each value as Python does."""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb
import pytest

from semantic_layer.drafting.sql_text import quote_literal
from semantic_layer.drafting.timestamps import (
    TimestampFormat,
    day_order,
    detect_epoch,
    detect_timestamp_format,
)

# (values as written, how they look, the times they mean: computed here with Python, not DuckDB)
FORMATS = [
    (
        ["01/05/2023 02:13:45 PM", "12/31/2023 11:59:59 AM", "7/4/2023 12:00:01 AM"],
        "MM/DD/YYYY hh:mm:ss AM/PM",
        [datetime(2023, 1, 5, 14, 13, 45), datetime(2023, 12, 31, 11, 59, 59), datetime(2023, 7, 4, 0, 0, 1)],
    ),
    (
        ["29/2/2016 01:16", "3/4/2016 23:05", "15/12/2016 09:00"],
        "DD/MM/YYYY hh:mm",
        [datetime(2016, 2, 29, 1, 16), datetime(2016, 4, 3, 23, 5), datetime(2016, 12, 15, 9, 0)],
    ),
    (
        ["2023-01-05T14:13:45", "2023-01-06 08:00:00", "2023-02-01T00:00:00.250"],
        "ISO 8601 (YYYY-MM-DD hh:mm:ss)",
        [datetime(2023, 1, 5, 14, 13, 45), datetime(2023, 1, 6, 8), datetime(2023, 2, 1, 0, 0, 0, 250000)],
    ),
    (
        ["2023-01-05T14:13:45Z", "2023-01-05T14:13:45+08:00", "2023-06-30T23:30:00-04:00"],
        "ISO 8601 with a time zone (converted to UTC)",
        [datetime(2023, 1, 5, 14, 13, 45), datetime(2023, 1, 5, 6, 13, 45), datetime(2023, 7, 1, 3, 30)],
    ),
    (
        ["2023-01-05", "2023-1-6", "2024-02-29"],
        "YYYY-MM-DD",
        [date(2023, 1, 5), date(2023, 1, 6), date(2024, 2, 29)],
    ),
    (
        ["2023/01/05 14:13", "2023/12/31 09:00"],
        "YYYY/MM/DD hh:mm",
        [datetime(2023, 1, 5, 14, 13), datetime(2023, 12, 31, 9, 0)],
    ),
    (
        ["2023年1月5日 14:03:00", "2023年12月31日 09:00:00"],
        "YYYY年MM月DD日 hh:mm:ss",
        [datetime(2023, 1, 5, 14, 3), datetime(2023, 12, 31, 9, 0)],
    ),
    (["05.01.2023", "31.12.2023"], "DD.MM.YYYY", [date(2023, 1, 5), date(2023, 12, 31)]),
]


def read_with_duckdb(found: TimestampFormat, values: list[str]) -> list[object]:
    with duckdb.connect() as connection:
        connection.execute("SET TimeZone = 'UTC'")
        rows = ", ".join(f"({quote_literal(v)})" for v in values)
        query = f"SELECT {found.sql('v')} FROM (VALUES {rows}) AS t(v)"
        return [row[0] for row in connection.execute(query).fetchall()]


@pytest.mark.parametrize(("values", "description", "expected"), FORMATS, ids=[f[1] for f in FORMATS])
def test_a_format_is_recognised_and_read(values: list[str], description: str, expected: list[object]) -> None:
    found = detect_timestamp_format(values)
    assert found is not None
    assert found.description == description
    dates_only = not isinstance(expected[0], datetime)
    assert found.date_only == dates_only
    assert read_with_duckdb(found, values) == expected


def test_day_first_is_told_by_a_first_field_above_12() -> None:
    found = detect_timestamp_format(["01/02/2016 10:00", "13/02/2016 10:00"])
    assert found is not None and found.day_first is True and not found.ambiguous
    assert "first field goes up to 13" in found.evidence
    month_first = detect_timestamp_format(["01/02/2016 10:00", "02/13/2016 10:00"])
    assert month_first is not None and month_first.day_first is False and not month_first.ambiguous


def test_ambiguous_dates_are_read_month_first_and_flagged() -> None:
    values = ["01/02/2016 10:00", "03/04/2016 11:00", "12/11/2016 12:00"]
    found = detect_timestamp_format(values)
    assert found is not None and found.ambiguous and found.day_first is False
    assert read_with_duckdb(found, values)[0] == datetime(2016, 1, 2, 10, 0)
    # another column of the same file that the values told is day-first decides
    preferred = detect_timestamp_format(values, prefer_day_first=True)
    assert preferred is not None and preferred.ambiguous and preferred.day_first is True
    assert read_with_duckdb(preferred, values)[0] == datetime(2016, 2, 1, 10, 0)


def test_the_whole_column_decides_the_order_not_just_the_sample() -> None:
    # the sample shows no day above 12, the column's maxima (computed over every value) do
    found = detect_timestamp_format(["01/02/2016"], field_maxima=(28, 12))
    assert found is not None and found.day_first is True and not found.ambiguous


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [(13, 12, (True, False)), (12, 31, (False, False)), (12, 12, (False, True)), (31, 31, (False, True))],
)
def test_day_order(first: int, second: int, expected: tuple[bool, bool]) -> None:
    assert day_order(first, second) == expected


@pytest.mark.parametrize(
    "values",
    [
        ["hello", "world"],
        ["12", "13"],
        ["2023-01-05", "n/a", "soon", "later"],
        ["13/13/2020"],
        ["1.5", "2.25"],
    ],
)
def test_text_that_is_not_times_is_not_read_as_times(values: list[str]) -> None:
    assert detect_timestamp_format(values) is None


def test_epoch_seconds_and_milliseconds_need_a_time_name_and_a_plausible_range() -> None:
    moment = datetime(2023, 1, 5, 14, 13, 45, tzinfo=UTC).timestamp()
    seconds = detect_epoch(moment, moment + 86400, "created_ts")
    assert seconds is not None and seconds.kind == "epoch_seconds"
    millis = detect_epoch(moment * 1000, moment * 1000 + 5, "Closed Time")
    assert millis is not None and millis.kind == "epoch_milliseconds"
    assert detect_epoch(moment, moment, "amount") is None  # not named like a time
    assert detect_epoch(1, 500, "created_at") is None  # not a plausible moment
    assert read_with_duckdb(seconds, [str(int(moment))]) == [datetime(2023, 1, 5, 14, 13, 45)]
    assert read_with_duckdb(millis, [str(int(moment * 1000))]) == [datetime(2023, 1, 5, 14, 13, 45)]
