"""What each profiled column is for: a time, a dimension to group by, a flag, a measure to add up or
average, or a record attribute (ids, free text, coordinates, codes) that detail lists show."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from .column_types import CODE_NAME
from .profiling import ColumnProfile
from .vocabulary import ColumnWords

Role = Literal[
    "time", "dimension", "flag", "measure", "identifier", "text", "location", "code", "constant", "empty"
]
MAX_DIMENSION_VALUES = 200
"""More distinct values than this make a column a record attribute, not something to group by."""
MAX_DIMENSION_LENGTH = 40
"""Values longer than this on average are free text."""
ID_NAME = re.compile(r"(^|[_ ])(id|key|uuid|guid|no|nr)$|^id[_ ]|编号|单号|工单号|序号|流水号", re.IGNORECASE)
LOCATION_NAME = re.compile(
    r"^(lat|lon|lng|long)$|latitude|longitude|[xy][_ ]?coord|经度|纬度|坐标", re.IGNORECASE
)
GROUPING_NUMBER = re.compile(
    r"priority|level|grade|tier|rank|year|month|quarter|weekday|等级|级别|优先级|年份|月份|季度",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ColumnRole:
    role: Role
    reason: str
    """Why, in a few words, for the review comments."""


def classify_column(column: ColumnProfile, words: ColumnWords) -> ColumnRole:
    """The role of `column`, from its values and (for ids, coordinates and codes) its name."""
    name = column.original
    if column.non_null == 0:
        return ColumnRole("empty", "always empty")
    if column.is_time:
        return ColumnRole("time", "a time")
    if column.kind == "boolean":
        return ColumnRole("flag", "true/false values")
    unique = column.distinct >= 0.9 * column.non_null and column.non_null >= 20
    if words.role == "location" or (LOCATION_NAME.search(name) and column.kind != "string"):
        return ColumnRole("location", "coordinates")
    if (words.role == "id" or ID_NAME.search(name)) and (unique or column.distinct == column.non_null):
        return ColumnRole("identifier", "an identifier (a different value on nearly every row)")
    if column.kind in ("integer", "number"):
        if CODE_NAME.search(name) or words.role == "id":
            return _grouping(column, "a code")
        if column.kind == "integer" and GROUPING_NUMBER.search(name) and column.distinct <= 50:
            return ColumnRole("dimension", "a small set of whole numbers naming levels")
        if unique and column.kind == "integer" and column.distinct == column.rows:
            return ColumnRole("identifier", "whole numbers, a different one on every row")
        return ColumnRole("measure", "numbers")
    if column.distinct == 1:
        return ColumnRole(
            "constant", f"one value only ('{column.top_values[0][0] if column.top_values else ''}')"
        )
    if words.role == "text":
        return ColumnRole("text", "free text")
    if column.average_length is not None and column.average_length > MAX_DIMENSION_LENGTH:
        return ColumnRole("text", f"long text (about {column.average_length:.0f} characters)")
    if CODE_NAME.search(name):
        return _grouping(column, "a code")
    if unique and column.distinct > MAX_DIMENSION_VALUES:
        return ColumnRole("identifier", "a different value on nearly every row")
    return _grouping(column, "text")


def _grouping(column: ColumnProfile, what: str) -> ColumnRole:
    repeated = column.distinct <= 0.5 * column.non_null or column.non_null <= 40
    if column.distinct <= MAX_DIMENSION_VALUES and repeated:
        return ColumnRole("dimension", f"{what} with {column.distinct:,} distinct values")
    role: Role = "code" if what == "a code" else "text"
    return ColumnRole(role, f"{what} with {column.distinct:,} distinct values, too many to group by")
