"""Columns are told apart by their values (and, for ids, coordinates and codes, their names): what to
group by, what to add up, what only detail lists show; and the dictionary labels them in both languages."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest

from semantic_layer.drafting.classification import classify_column
from semantic_layer.drafting.loading import LoadedColumn
from semantic_layer.drafting.profiling import TableProfile, profile_table
from semantic_layer.drafting.vocabulary import load_vocabulary

ROWS = 400


@pytest.fixture(scope="module")
def profile() -> TableProfile:
    rng = np.random.default_rng(5)
    created = [datetime(2023, 1, 1) + timedelta(minutes=int(m)) for m in rng.integers(0, 90 * 24 * 60, ROWS)]
    frame = pd.DataFrame(
        {
            "Unique Key": np.arange(ROWS) + 1000,
            "Created Date": created,
            "Complaint Type": rng.choice(["Noise", "Heat", "Parking", "Graffiti"], ROWS),
            "Incident Address": [
                f"{n} {s} Street"
                for n, s in zip(rng.integers(1, 9999, ROWS), rng.choice(list("ABCDEFGH"), ROWS), strict=True)
            ],
            "Resolution Description": rng.choice(
                [
                    "The Department of Housing Preservation and Development inspected the complaint and found a violation.",
                    "The Police Department responded to the complaint and took action to fix the condition.",
                ],
                ROWS,
            ),
            "Incident Zip": rng.choice(["10001", "11201", "10452"], ROWS),
            "Latitude": rng.uniform(40.5, 40.9, ROWS),
            "Longitude": rng.uniform(-74.2, -73.7, ROWS),
            "Cost": rng.gamma(2.0, 50.0, ROWS).round(2),
            "Priority Level": rng.integers(1, 4, ROWS),
            "Is Escalated": rng.random(ROWS) < 0.2,
            "Source": ["export"] * ROWS,
            "Empty": [None] * ROWS,
            "工单编号": [f"GD{i:05d}" for i in range(ROWS)],
        }
    )
    with duckdb.connect() as connection:
        connection.register("frame", frame)
        connection.execute(
            'CREATE TABLE t AS SELECT * EXCLUDE ("Empty"), CAST("Empty" AS VARCHAR) AS "Empty" FROM frame'
        )
        described = connection.execute("DESCRIBE t").fetchall()
        columns = [LoadedColumn(str(row[0]), str(row[0]), str(row[1])) for row in described]
        return profile_table(connection, "t", columns)


EXPECTED = {
    "Unique Key": "identifier",
    "Created Date": "time",
    "Complaint Type": "dimension",
    "Incident Address": "text",
    "Resolution Description": "text",
    "Incident Zip": "dimension",
    "Latitude": "location",
    "Longitude": "location",
    "Cost": "measure",
    "Priority Level": "dimension",
    "Is Escalated": "flag",
    "Source": "constant",
    "Empty": "empty",
    "工单编号": "identifier",
}


@pytest.mark.parametrize(("column", "role"), EXPECTED.items())
def test_a_column_gets_its_role(profile: TableProfile, column: str, role: str) -> None:
    profiled = profile.column(column)
    words = load_vocabulary().describe_column(column)
    assert classify_column(profiled, words).role == role


def test_the_profile_counts_match_pandas(profile: TableProfile) -> None:
    complaint = profile.column("Complaint Type")
    assert complaint.rows == ROWS and complaint.non_null == ROWS and complaint.distinct == 4
    assert sum(count for _, count in complaint.top_values) == ROWS
    assert profile.column("Empty").non_null == 0
    assert profile.column("Created Date").is_time
    address = profile.column("Incident Address")
    assert address.distinct > 300 and address.average_length is not None and address.average_length > 10


LABELS = [
    # column name, English label from the dictionary (for Chinese names), Chinese label, a synonym
    ("Complaint Type", "Complaint type", "投诉类型", "投诉类别"),
    ("Open Data Channel Type", "Channel", "渠道", "来源渠道"),
    ("Borough", "Borough", "行政区", "区"),
    ("Agency", "Agency", "部门", "责任部门"),
    ("Agency Name", "Agency name", "部门名称", "机构名称"),
    ("Incident Zip", "Zip code", "邮编", "邮政编码"),
    ("Created Date", "Created", "创建时间", "创建日期"),
    ("Closed Date", "Closed", "关闭时间", "结案时间"),
    ("Resolution Description", "Resolution", "处理结果", "解决方案"),
    ("Status", "Status", "状态", "处理状态"),
    ("状态", "Status", "状态", "工单状态"),
    ("渠道", "Channel", "渠道", "进线渠道"),
    ("创建时间", "Created", "创建时间", "建单时间"),
    ("处理时长", "Handling time", "处理时长", "办理时长"),
]


@pytest.mark.parametrize(("name", "label_en", "label_zh", "synonym"), LABELS)
def test_the_dictionary_labels_column_names(name: str, label_en: str, label_zh: str, synonym: str) -> None:
    words = load_vocabulary().describe_column(name)
    assert (words.label_en, words.label_zh) == (label_en, label_zh)
    assert words.term is not None and synonym in words.term.synonyms_zh


def test_names_the_dictionary_does_not_fully_know_get_no_guessed_translation() -> None:
    vocabulary = load_vocabulary()
    assert vocabulary.describe_column("Park Facility Name").label_zh is None
    partial = vocabulary.describe_column("Resolution Action Updated Date")
    assert partial.term is None  # several terms: no synonyms, no role (it is not the closing time)


def test_record_nouns_values_and_statuses() -> None:
    vocabulary = load_vocabulary()
    assert vocabulary.record_term("t_311_service_requests").label_zh == "工单量"
    assert vocabulary.record_term("工单明细").label_en == "Tickets"
    assert vocabulary.record_term("sales_2024").label_en == "Records"
    assert vocabulary.value_aliases("PHONE") == (("电话", "热线", "来电"), ())
    assert vocabulary.value_aliases("电话")[1] == ("phone", "call", "calls")
    assert [s for s in ("Closed", "Open", "已关闭", "Pending", "RESOLVED") if vocabulary.is_closed(s)] == [
        "Closed", "已关闭", "RESOLVED",
    ]  # fmt: skip
