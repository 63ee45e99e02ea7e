"""The metrics a draft proposes for one table: a count of its rows, durations between a start and an end
time, open and closed items from a status, totals and averages of measures, and shares of flags."""

from __future__ import annotations

import re
from collections.abc import Callable

from .draft import DraftDimension, DraftMetric, Notes, Words
from .profiling import ColumnProfile
from .sql_text import quote_literal
from .vocabulary import Term, Vocabulary

Namer = Callable[[str], str]
"""Gives a unique metric name for a wanted one."""
NOT_ADDITIVE = re.compile(
    r"duration|time|hours?|minutes?|days|score|rating|rate|percent|ratio|age|temperature|price|avg|average|mean"
    r"|时长|时间|耗时|用时|评分|满意|率|年龄|分数|价格|平均",
    re.IGNORECASE,
)


def count_metric(table: str, term: Term, namer: Namer) -> DraftMetric:
    """How many rows: `request_count` "Requests" / 工单量 (the noun from the table's name)."""
    noun = (term.label_en or "Records").lower()
    singular = noun[:-1] if noun.endswith("s") else noun
    return DraftMetric(
        name=namer(f"{singular.replace(' ', '_')}_count"),
        table=table,
        agg="count",
        format="count",
        words=Words(term.label_en, term.label_zh, term.synonyms_en, term.synonyms_zh),
        description=Words(f"Number of {noun} (rows of {table})", f"{_zh_noun(term)}数量（{table} 表的行数）"),
        notes=Notes(comments=(f"counts the rows of {table}",)),
    )


def duration_metrics(
    table: str,
    start: ColumnProfile,
    end: ColumnProfile,
    verb: tuple[str, str],
    count_name: str,
    within_hours: int,
    pair: tuple[int, int],
    namer: Namer,
) -> list[DraftMetric]:
    """Time from `start` to `end` in hours (days for dates): average, median and p90, plus the share of
    rows whose end came within `within_hours` of their start."""
    verb_en, verb_zh = verb
    days = "date" in (start.kind, end.kind)
    unit, seconds = ("days", 86400) if days else ("hours", 3600)
    expr = f"date_diff('second', {start.name}, {end.name}) / {seconds}.0"
    valid = f"{end.name} >= {start.name}"
    both, ordered = pair
    review = (
        f"durations from {start.original!r} to {end.original!r}: {both:,} rows have both times; "
        f"{both - ordered:,} whose end comes before the start are left out, as are rows without both",
    )
    about_en = f"{unit} from {start.original} to {end.original}, for rows with both where the end is not before the start"
    about_zh = f"从{start.original}到{end.original}的{'天数' if days else '小时数'}（两者皆有且结束不早于开始的记录）"
    base = dict(table=table, expr=expr, filter=valid, format=unit, unit=unit, polarity="lower_is_better")
    verb_ing = verb_en[:-1] + "ing" if verb_en.endswith("e") else verb_en + "ing"
    metrics = [
        DraftMetric(
            name=namer(f"avg_{unit}_to_{verb_en}"), agg="avg",
            words=Words(f"Average time to {verb_en}", f"平均{verb_zh}时长",
                        (f"time to {verb_en}", f"{unit} to {verb_en}", f"average {unit} to {verb_en}",
                         f"average time to {verb_en} in {unit}", f"time to {verb_en} in {unit}",
                         f"{verb_en} time", f"{verb_ing} time", f"how long to {verb_en}"),
                        (f"{verb_zh}时长", f"{verb_zh}用时", f"{verb_zh}耗时", f"平均{verb_zh}用时")),
            description=Words("Average " + about_en, "平均" + about_zh),
            notes=Notes(review=review), **base,  # type: ignore[arg-type]
        ),
        DraftMetric(
            name=namer(f"median_{unit}_to_{verb_en}"), agg="median",
            words=Words(f"Median time to {verb_en}", f"{verb_zh}时长中位数",
                        (f"median time to {verb_en}", f"median {unit} to {verb_en}",
                         f"median time to {verb_en} in {unit}"),
                        (f"中位{verb_zh}时长", f"{verb_zh}时长的中位数")),
            description=Words("Median " + about_en, about_zh + "的中位数"), **base,  # type: ignore[arg-type]
        ),
        DraftMetric(
            name=namer(f"p90_{unit}_to_{verb_en}"), agg="percentile", percentile=0.9,
            words=Words(f"90th percentile time to {verb_en}", f"{verb_zh}时长P90",
                        (f"p90 time to {verb_en}", f"90th percentile {unit} to {verb_en}"),
                        (f"{verb_zh}时长90分位", f"90分位{verb_zh}时长")),
            description=Words(f"90% of rows take at most this many {unit}: " + about_en, about_zh + "的90分位"),
            **base,  # type: ignore[arg-type]
        ),
    ]  # fmt: skip
    if days:
        return metrics
    done = verb_en + ("d" if verb_en.endswith("e") else "ed")
    within = f"{valid} AND date_diff('second', {start.name}, {end.name}) <= {within_hours * 3600}"
    count = namer(f"{done}_within_{within_hours}h_count")
    return [
        *metrics,
        DraftMetric(
            name=count, table=table, agg="count", filter=within, format="count", hidden=True,
            words=Words(f"{done.capitalize()} within {within_hours} hours", f"{within_hours}小时内{verb_zh}数"),
            description=Words(f"Rows whose {end.original} is at most {within_hours} hours after {start.original}",
                              f"{start.original}后{within_hours}小时内{verb_zh}的记录数"),
        ),
        DraftMetric(
            name=namer(f"share_{done}_within_{within_hours}h"), type="ratio", numerator=count,
            denominator=count_name, format="percent", polarity="higher_is_better",
            words=Words(f"Share {done} within {within_hours} hours", f"{within_hours}小时内{verb_zh}率",
                        (f"{done} within {within_hours} hours", f"share {done} within {within_hours}h",
                         f"percent {done} within {within_hours} hours", f"{within_hours}-hour {verb_en} rate"),
                        (f"{within_hours}小时内{verb_zh}占比", f"{within_hours}小时{verb_zh}率",
                         f"{within_hours}小时内{verb_zh}比例", f"{within_hours}小时内{verb_zh}的比例")),
            description=Words(f"Rows {done} within {within_hours} hours of {start.original} / all rows",
                              f"{within_hours}小时内{verb_zh}的记录数 / 全部记录数"),
            notes=Notes(review=(f"the share counts every row in the denominator, also rows not {done} yet; "
                                f"change {within_hours} (chatbi init --within-hours) or the filter to suit",)),
        ),
    ]  # fmt: skip


def status_metrics(
    table: str, status: ColumnProfile, term: Term, count_name: str, vocabulary: Vocabulary, namer: Namer
) -> list[DraftMetric]:
    """Open items (status not closed-like) and the share closed, when the status has both kinds."""
    conditions = status_conditions(status, vocabulary)
    if conditions is None:
        return []
    open_sql, closed_sql = conditions
    values = [value for value, _ in status.top_values]
    closed = [v for v in values if vocabulary.is_closed(v)]
    still_open = [v for v in values if not vocabulary.is_closed(v)]
    noun_en = (term.label_en or "Records").lower()
    noun_zh = _zh_noun(term)
    review = (
        f"from {status.original!r}: closed = {', '.join(closed)}; open = every other value "
        f"({', '.join(still_open[:8])}{', ...' if len(still_open) > 8 else ''}); rows without a status count as neither",
    )
    closed_count = namer(f"closed_{count_name}")
    return [
        DraftMetric(
            name=namer(f"open_{count_name}"), table=table, agg="count", format="count",
            filter=open_sql, polarity="lower_is_better",
            words=Words(f"Open {noun_en}", f"未关闭{noun_zh}数",
                        (f"open {noun_en}", "open items", "still open", f"unresolved {noun_en}", "not closed",
                         "open backlog"),
                        ("未关闭", f"未关闭{noun_zh}", f"未结{noun_zh}", "未办结", f"未完成{noun_zh}", "积压")),
            description=Words(f"{noun_en.capitalize()} whose {status.original} is not closed",
                              f"{status.original}不是已关闭类的{noun_zh}数"),
            notes=Notes(review=review),
        ),
        DraftMetric(
            name=closed_count, table=table, agg="count", format="count", filter=closed_sql,
            words=Words(f"Closed {noun_en}", f"已关闭{noun_zh}数", (f"closed {noun_en}",),
                        (f"已关闭{noun_zh}", f"关闭{noun_zh}数", f"已结{noun_zh}")),
            description=Words(f"{noun_en.capitalize()} whose {status.original} is {' or '.join(closed)}",
                              f"{status.original}为{'、'.join(closed)}的{noun_zh}数"),
        ),
        DraftMetric(
            name=namer("share_closed"), type="ratio", numerator=closed_count, denominator=count_name,
            format="percent", polarity="higher_is_better",
            words=Words("Share closed", "关闭率", ("closed rate", "closure rate", "percent closed", "close rate"),
                        ("结案率", "已关闭占比", "关闭比例", "办结率")),
            description=Words(f"Closed {noun_en} / all {noun_en}", f"已关闭{noun_zh}数 / 全部{noun_zh}数"),
        ),
    ]  # fmt: skip


def status_conditions(status: ColumnProfile, vocabulary: Vocabulary) -> tuple[str, str] | None:
    """(open, closed) conditions on a status column whose values include both kinds, else None."""
    values = [value for value, _ in status.top_values]
    closed = [v for v in values if vocabulary.is_closed(v)]
    if not closed or len(closed) == len(values):
        return None
    closed_sql = f"{status.name} IN ({', '.join(quote_literal(v) for v in closed)})"
    return f"{status.name} IS NOT NULL AND NOT ({closed_sql})", closed_sql


def status_flags(
    table: str, status: ColumnProfile, vocabulary: Vocabulary, namer: Namer
) -> list[DraftDimension]:
    """Open / closed as true-false dimensions with the very conditions of the open and closed counts,
    so that "list the open requests" filters the records the way the count counts them."""
    conditions = status_conditions(status, vocabulary)
    if conditions is None:
        return []
    open_sql, closed_sql = conditions
    comment = (f"from {status.original!r}: the condition of the open and closed counts, for detail lists",)
    return [
        DraftDimension(namer("is_open"), table, open_sql, "boolean", Words("Is open", "是否未关闭"),
                       notes=Notes(comments=comment)),
        DraftDimension(namer("is_closed"), table, closed_sql, "boolean", Words("Is closed", "是否已关闭"),
                       notes=Notes(comments=comment)),
    ]  # fmt: skip


def measure_metrics(table: str, column: ColumnProfile, words: Words, namer: Namer) -> list[DraftMetric]:
    """Total and average of a numeric column (only the average for times, scores and rates)."""
    label_en = (words.label_en or column.original).lower()
    zh = words.label_zh  # None: no Chinese label is made up (the English one shows)
    additive = not NOT_ADDITIVE.search(column.original) and not NOT_ADDITIVE.search(label_en)
    review = (f"numbers in {column.original!r}: check that adding them up (or averaging them) makes sense",)
    own_en, own_zh = (label_en, *words.synonyms_en), ((zh, *words.synonyms_zh) if zh else ())
    average = DraftMetric(
        name=namer(f"avg_{column.name}"), table=table, agg="avg", expr=column.name,
        words=Words(f"Average {label_en}", _zh("平均{}", zh), () if additive else own_en, () if additive else own_zh),
        description=Words(f"Average of {column.original}", f"{column.original}的平均值"),
        notes=Notes(review=() if additive else review),
    )  # fmt: skip
    if not additive:
        return [average]
    total = DraftMetric(
        name=namer(f"total_{column.name}"), table=table, agg="sum", expr=column.name,
        words=Words(f"Total {label_en}", _zh("{}合计", zh), own_en, (*own_zh, *((f"{zh}总计",) if zh else ()))),
        description=Words(f"Sum of {column.original}", f"{column.original}之和"),
        notes=Notes(review=review),
    )  # fmt: skip
    return [total, average]


def flag_metrics(
    table: str, column: ColumnProfile, words: Words, count_name: str, namer: Namer
) -> list[DraftMetric]:
    """The share of rows where a true/false column is true."""
    label_en = (words.label_en or column.original).lower()
    zh = words.label_zh
    count = namer(f"{column.name}_count")
    return [
        DraftMetric(
            name=count, table=table, agg="count", filter=column.name, format="count", hidden=True,
            words=Words(f"Rows {label_en}", _zh("{}数", zh)),
            description=Words(f"Rows where {column.original} is true", f"{column.original}为真的记录数"),
        ),
        DraftMetric(
            name=namer(f"share_{column.name}"), type="ratio", numerator=count, denominator=count_name,
            format="percent",
            words=Words(f"Share {label_en}", _zh("{}占比", zh), (f"{label_en} rate", f"percent {label_en}"),
                        (f"{zh}比例", f"{zh}率") if zh else ()),
            description=Words(f"Rows where {column.original} is true / all rows", f"{column.original}为真的占比"),
        ),
    ]  # fmt: skip


def _zh(template: str, label: str | None) -> str | None:
    return template.format(label) if label else None


def _zh_noun(term: Term) -> str:
    """工单量 -> 工单, 记录数 -> 记录."""
    label = term.label_zh or "记录数"
    return label[:-1] if label.endswith(("量", "数")) else label
