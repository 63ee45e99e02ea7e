"""The short narrative of an answer, in the question's language, built only from computed facts.

Every number in the text is the `text` of a Fact (value formatted for the reader), and the facts travel
in the Answer, so that a test (and later an LLM rewrite check) can verify that nothing was invented.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from semantic_layer.model import Language, SemanticModel
from semantic_layer.result import QueryResult

from .analysis import Anomaly, ChangeExplanation, Concentration, Distribution
from .intent import Intent
from .number_format import format_change, format_period, format_range, format_ratio, format_value


class Fact(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    value: float | str | None
    text: str
    """How the value reads in the narrative."""


class _Facts:
    def __init__(self) -> None:
        self.items: list[Fact] = []

    def add(self, fact_id: str, value: float | str | None, text: str) -> str:
        self.items.append(Fact(id=fact_id, value=value, text=text))
        return text


def _direction(change: float, polarity: str, lang: Language) -> tuple[str, str]:
    """(movement word, verdict word): 上升/下降 and 改善/恶化 as the metric's polarity says."""
    up = change > 0
    move = ("上升" if up else "下降") if lang == "zh" else ("up" if up else "down")
    if polarity == "neutral" or change == 0:
        return move, ""
    good = up == (polarity == "higher_is_better")
    verdict = ("改善" if good else "恶化") if lang == "zh" else ("better" if good else "worse")
    return move, verdict


def narrate(
    intent: Intent,
    result: QueryResult | None,
    model: SemanticModel,
    *,
    today: date,
    data_as_of: str | None = None,
    analysis: ChangeExplanation | Concentration | Distribution | None = None,
    anomalies: Sequence[Anomaly] = (),
) -> tuple[str, list[Fact]]:
    """The narrative and the facts it was built from."""
    facts = _Facts()
    lang: Language = intent.language
    query = intent.query
    sentences: list[str] = []
    if query is not None and query.time_range is not None:
        span = format_range(query.time_range.start, query.time_range.end, lang, today)
    else:
        span = format_range(None, None, lang)
    range_text = facts.add("time_range", span, span)
    if isinstance(analysis, ChangeExplanation):
        sentences += _explain(analysis, model, lang, facts, range_text)
    elif isinstance(analysis, Concentration):
        sentences += _concentration(analysis, model, lang, facts, range_text)
    elif isinstance(analysis, Distribution):
        sentences += _distribution(analysis, model, lang, facts, range_text)
    elif query is not None and query.is_detail and result is not None:
        count = facts.add("rows", len(result.rows), f"{len(result.rows):,}")
        more = (
            ("（仅显示前" + count + "条）" if lang == "zh" else f" (the first {count} shown)")
            if result.truncated
            else ""
        )
        sentences.append(
            f"{range_text}，共找到{count}条记录{more}。"
            if lang == "zh"
            else f"{count} records found for {range_text}{more}."
        )
    elif result is not None and query is not None:
        sentences += _metric(intent, result, model, lang, facts, range_text, anomalies)
    if data_as_of:
        stamp = _stamp(data_as_of, lang)
        facts.add("data_as_of", data_as_of, stamp)
        sentences.append(f"数据截至{stamp}。" if lang == "zh" else f"Data as of {stamp}.")
    return ("" if lang == "zh" else " ").join(sentences), facts.items


def _stamp(value: str, lang: Language) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if lang == "zh":
        return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}"
    return f"{moment:%b} {moment.day}, {moment.year} {moment:%H:%M}"


def _metric(
    intent: Intent, result: QueryResult, model: SemanticModel, lang: Language, facts: _Facts, range_text: str,
    anomalies: Sequence[Anomaly],
) -> list[str]:  # fmt: skip
    query = intent.query
    assert query is not None
    rows = result.records()
    metric = model.metric(query.metrics[0])
    label = metric.label.get(lang)
    if not rows:
        return ["所选范围内没有数据。" if lang == "zh" else "There is no data for this selection."]
    time_dims = [d for d in query.dimensions if d.grain]
    categories = [d for d in query.dimensions if not d.grain]
    if not query.dimensions:
        return _kpi(query, rows[0], model, lang, facts, range_text)
    if time_dims and not categories:
        return _trend(
            metric.name,
            label,
            metric.format,
            time_dims[0].grain or "day",
            time_dims[0].name,
            rows,
            lang,
            facts,
            range_text,
            anomalies,
        )
    dim = categories[0]
    dim_label = model.dimension(dim.name).label.get(lang)
    ranked = [r for r in rows if r.get(metric.name) is not None]
    if not ranked:
        return ["所选范围内没有数据。" if lang == "zh" else "There is no data for this selection."]
    ranked.sort(key=lambda r: r[metric.name], reverse=not (query.order_by and not query.order_by[0].desc))
    top = ranked[0]
    top_value = facts.add("top_value", top[metric.name], format_value(top[metric.name], metric.format, lang))
    top_name = _shown(model, dim.name, top[dim.name], lang)
    bottom_name = _shown(model, dim.name, ranked[-1][dim.name], lang)
    ascending = bool(query.order_by) and not query.order_by[0].desc
    high, low = _extremes(metric.format, lang)
    first, last = (low, high) if ascending else (high, low)
    if query.limit == 1 or len(ranked) == 1:
        if lang == "zh":
            return [f"{range_text}，{label}{first}的{dim_label}是{top_name}（{top_value}）。"]
        return [f"For {range_text}, the {dim_label} with the {first} {label} is {top_name} ({top_value})."]
    bottom = ranked[-1]
    bottom_value = facts.add(
        "bottom_value", bottom[metric.name], format_value(bottom[metric.name], metric.format, lang)
    )
    share = ""
    # A share of all groups: never of the top N or of the groups a threshold kept.
    if (
        metric.format == "count"
        and not time_dims
        and not query.limit
        and not any(f.metric for f in query.filters)
    ):
        total = sum(r[metric.name] for r in ranked)
        if total:
            share_text = facts.add(
                "top_share", top[metric.name] / total, format_ratio(top[metric.name] / total)
            )
            share = f"，占{share_text}" if lang == "zh" else f", {share_text} of the total"
    sentences = []
    kept = ""
    if any(f.metric for f in query.filters):  # "投诉率超过5%的产品型号": how many qualify
        count = facts.add("groups", len(ranked), str(len(ranked)))
        kept = (
            f"符合条件的{dim_label}共{count}个，" if lang == "zh" else f"{count} {dim_label} values qualify; "
        )
    if lang == "zh":
        sentences.append(
            f"{range_text}，{kept}按{dim_label}看，{top_name}的{label}{first}（{top_value}{share}），{bottom_name}{last}（{bottom_value}）。"
        )
    else:
        sentences.append(
            f"For {range_text}, {kept}by {dim_label}, {top_name} has the {first} {label} ({top_value}{share}) and {bottom_name} the {last} ({bottom_value})."
        )
    change_column = f"{metric.name}__change"
    changed = [r for r in ranked if r.get(change_column) is not None]
    if query.compare and changed:
        riser = max(changed, key=lambda r: r[change_column])
        faller = min(changed, key=lambda r: r[change_column])
        same_period = query.compare == "same_period_last_year"
        base = (
            ("去年同期" if same_period else "上期")
            if lang == "zh"
            else ("the same period last year" if same_period else "the previous period")
        )
        parts = []
        if riser[change_column] > 0:
            rise = facts.add(
                "largest_rise", riser[change_column], format_change(riser[change_column], metric.format, lang)
            )
            parts.append(
                f"{riser[dim.name]}上升最多（{rise}）"
                if lang == "zh"
                else f"{riser[dim.name]} rose most ({rise})"
            )
        if faller[change_column] < 0:
            fall = facts.add(
                "largest_fall",
                faller[change_column],
                format_change(faller[change_column], metric.format, lang),
            )
            parts.append(
                f"{faller[dim.name]}下降最多（{fall}）"
                if lang == "zh"
                else f"{faller[dim.name]} fell most ({fall})"
            )
        if parts:
            sentences.append(
                f"与{base}相比，{'，'.join(parts)}。"
                if lang == "zh"
                else f"Against {base}, {' and '.join(parts)}."
            )
    return sentences


MAX_VALUE_CHARS = 40


def _shown(model: SemanticModel, dimension: str, value: Any, lang: Language) -> str:
    """A data value as the narrative names it: its label, cut short when it is long (the table has it whole)."""
    known = model.dimensions_by_name.get(dimension)
    text = known.value_label(str(value), lang) if known else str(value)
    text = "".join(" " if ch in "\n\r\t" else ch for ch in text if ch >= " " or ch in "\n\r\t")
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _extremes(fmt: str | None, lang: Language) -> tuple[str, str]:
    """The words for the largest and the smallest value: durations are long or short, counts many or few."""
    if fmt in ("minutes", "hours", "days"):
        return ("最长", "最短") if lang == "zh" else ("longest", "shortest")
    if fmt == "count":
        return ("最多", "最少") if lang == "zh" else ("most", "fewest")
    return ("最高", "最低") if lang == "zh" else ("highest", "lowest")


def _kpi(
    query: Any, row: dict[str, Any], model: SemanticModel, lang: Language, facts: _Facts, range_text: str
) -> list[str]:
    parts = []
    for name in query.metrics:
        metric = model.metric(name)
        value = facts.add(f"{name}", row.get(name), format_value(row.get(name), metric.format, lang))
        label = metric.label.get(lang)
        parts.append(f"{label}为{value}" if lang == "zh" else f"{label}: {value}")
    sentence = (
        (f"{range_text}，" + "，".join(parts)) if lang == "zh" else "; ".join(parts) + f" ({range_text})"
    )
    name = query.metrics[0]
    change = row.get(f"{name}__change")
    if query.compare and change is not None:
        metric = model.metric(name)
        previous = facts.add(
            "previous",
            row.get(f"{name}__previous"),
            format_value(row.get(f"{name}__previous"), metric.format, lang),
        )
        delta = facts.add("change", change, format_change(change, metric.format, lang))
        pct_value = row.get(f"{name}__change_pct")
        move, verdict = _direction(change, metric.polarity, lang)
        same_period = query.compare == "same_period_last_year"
        if lang == "zh":
            pct = facts.add("change_pct", pct_value, format_ratio(pct_value)) if pct_value is not None else ""
            base = "去年同期" if same_period else "上期"
            sentence += f"，较{base}（{previous}）{move}{pct}（{delta}）" + (
                f"，{verdict}" if verdict else ""
            )
        else:
            pct = (
                " " + facts.add("change_pct", pct_value, format_ratio(pct_value))
                if pct_value is not None
                else ""
            )
            base = "the same period last year" if same_period else "the previous period"
            sentence += f", {move}{pct} ({delta}) from {previous} in {base}" + (
                f": {verdict}" if verdict else ""
            )
    elif query.compare:
        sentence += "，上期没有可比数据" if lang == "zh" else "; the previous period has no data to compare"
    return [sentence + ("。" if lang == "zh" else ".")]


def _trend(
    name: str, label: str, fmt: str, grain: str, dim: str, rows: list[dict[str, Any]], lang: Language, facts: _Facts,
    range_text: str, anomalies: Sequence[Anomaly],
) -> list[str]:  # fmt: skip
    series = [r for r in rows if r.get(name) is not None]
    if not series:
        return ["所选范围内没有数据。" if lang == "zh" else "There is no data for this selection."]
    first, last = series[0], series[-1]
    high = max(series, key=lambda r: r[name])
    low = min(series, key=lambda r: r[name])
    start_text = facts.add("first_value", first[name], format_value(first[name], fmt, lang))
    end_text = facts.add("last_value", last[name], format_value(last[name], fmt, lang))
    first_period = facts.add("first_period", first[dim], format_period(first[dim], grain, lang))
    last_period = facts.add("last_period", last[dim], format_period(last[dim], grain, lang))
    high_text = facts.add("high_value", high[name], format_value(high[name], fmt, lang))
    low_text = facts.add("low_value", low[name], format_value(low[name], fmt, lang))
    high_period = facts.add("high_period", high[dim], format_period(high[dim], grain, lang))
    low_period = facts.add("low_period", low[dim], format_period(low[dim], grain, lang))
    if lang == "zh":
        sentences = [
            f"{range_text}，{label}从{first_period}的{start_text}变为{last_period}的{end_text}；最高为{high_period}（{high_text}），最低为{low_period}（{low_text}）。"
        ]
    else:
        sentences = [
            f"For {range_text}, {label} went from {start_text} in {first_period} to {end_text} in {last_period}; the high was {high_text} in {high_period} and the low {low_text} in {low_period}."
        ]
    for anomaly in anomalies[:2]:
        period = facts.add("anomaly_period", anomaly.period, format_period(anomaly.period, grain, lang))
        value = facts.add("anomaly_value", anomaly.value, format_value(anomaly.value, fmt, lang))
        usual = facts.add("anomaly_expected", anomaly.expected, format_value(anomaly.expected, fmt, lang))
        if lang == "zh":
            word = "异常偏高" if anomaly.direction == "high" else "异常偏低"
            sentences.append(f"{period}{word}（{value}，通常约{usual}）。")
        else:
            sentences.append(
                f"{period} stands out as unusually {anomaly.direction} ({value} against a usual {usual})."
            )
    return sentences


def _explain(
    analysis: ChangeExplanation, model: SemanticModel, lang: Language, facts: _Facts, range_text: str
) -> list[str]:
    metric = model.metric(analysis.metric)
    label = metric.label.get(lang)
    fmt = metric.format
    current = facts.add("current", analysis.current_value, format_value(analysis.current_value, fmt, lang))
    drivers = []
    for index, item in enumerate(analysis.top[:3]):
        name = model.dimension(item.dimension).label.get(lang)
        effect = facts.add(f"driver_{index}", item.change, format_change(item.change, fmt, lang))
        shown = facts.add(
            f"driver_{index}_group", item.value, _shown(model, item.dimension, item.value, lang)
        )
        drivers.append(f"{name}「{shown}」（{effect}）" if lang == "zh" else f"{name} {shown} ({effect})")
    if analysis.previous_value is not None and analysis.change is not None:
        previous = facts.add(
            "previous", analysis.previous_value, format_value(analysis.previous_value, fmt, lang)
        )
        # the movement word carries the sign: "下降0.23分", "down 0.23"
        delta = facts.add("change", analysis.change, format_value(abs(analysis.change), fmt, lang))
        move, verdict = _direction(analysis.change, metric.polarity, lang)
        if lang == "zh":
            head = (
                f"{range_text}，{label}为{current}，比上期（{previous}）{move}{delta}"
                + (f"，{verdict}" if verdict else "")
                + "。"
            )
            body = f"变化主要来自{'、'.join(drivers)}。" if drivers else ""
            body += _segment(analysis, model, lang, facts)
        else:
            head = (
                f"For {range_text}, {label} was {current}, {move} {delta} from {previous}"
                + (f" ({verdict})" if verdict else "")
                + "."
            )
            body = f"The change comes mostly from {', '.join(drivers)}." if drivers else ""
            body += (" " if body else "") + _segment(analysis, model, lang, facts)
        return [head, body] if body else [head]
    if lang == "zh":
        head = f"{range_text}，{label}为{current}。"
        body = f"影响最大的是{'、'.join(drivers)}。" if drivers else ""
        body += _segment(analysis, model, lang, facts)
    else:
        head = f"For {range_text}, {label} was {current}."
        body = f"The groups that weigh on it most: {', '.join(drivers)}." if drivers else ""
        body += (" " if body else "") + _segment(analysis, model, lang, facts)
    return [head, body] if body else [head]


def _segment(analysis: ChangeExplanation, model: SemanticModel, lang: Language, facts: _Facts) -> str:
    """The combination of two groups that stands out beyond what each explains alone."""
    if not analysis.segments:
        return ""
    segment = analysis.segments[0]
    metric = model.metric(analysis.metric)
    label, fmt = metric.label.get(lang), metric.format
    parts = []
    for index, (dimension, value) in enumerate(zip(segment.dimensions, segment.values, strict=True)):
        shown = facts.add(f"segment_group_{index}", value, _shown(model, dimension, value, lang))
        name = model.dimension(dimension).label.get(lang)
        parts.append(f"{name}「{shown}」" if lang == "zh" else f"{name} {shown}")
    where = "且".join(parts) if lang == "zh" else " × ".join(parts)
    current = facts.add("segment_value", segment.current, format_value(segment.current, fmt, lang))
    if segment.previous is not None:
        before = facts.add("segment_previous", segment.previous, format_value(segment.previous, fmt, lang))
        if lang == "zh":
            return f"变化在{where}中最突出：{label}从{before}变为{current}。"
        return f"The change stands out most for {where}: {label} went from {before} to {current}."
    lift = f"{segment.lift:.1f}" if segment.lift is not None else None
    if lift is not None:
        facts.add("segment_lift", segment.lift, lift)
    if lang == "zh":
        return f"尤其是{where}：{label}为{current}" + (f"，是整体的{lift}倍" if lift else "") + "。"
    return (
        f"It stands out most for {where}: {current}"
        + (f", {lift} times the overall value" if lift else "")
        + "."
    )


def _concentration(
    analysis: Concentration, model: SemanticModel, lang: Language, facts: _Facts, range_text: str
) -> list[str]:
    metric = model.metric(analysis.metric)
    label = metric.label.get(lang)
    dim_label = model.dimension(analysis.dimension).label.get(lang)
    k = analysis.groups_for_80_percent
    n = len(analysis.groups)
    names = [
        facts.add(f"group_{i}", g.value, _shown(model, analysis.dimension, g.value, lang))
        for i, g in enumerate(analysis.groups[:k])
    ]
    eighty = facts.add("threshold", 0.8, "80%")
    k_text = facts.add("groups_for_80", k, str(k))
    n_text = facts.add("groups", n, str(n))
    total = facts.add("total", analysis.total, format_value(analysis.total, metric.format, lang))
    if lang == "zh":
        return [
            f"{range_text}，{label}共{total}，其中{eighty}来自{k_text}个{dim_label}（共{n_text}个）：{'、'.join(names)}。"
        ]
    return [
        f"For {range_text}, {eighty} of the {total} {label} come from {k_text} of {n_text} {dim_label} values: {', '.join(names)}."
    ]


def _distribution(
    analysis: Distribution, model: SemanticModel, lang: Language, facts: _Facts, range_text: str
) -> list[str]:
    attribute = model.attributes_by_name.get(analysis.field)
    label = attribute.label.get(lang) if attribute else analysis.field
    fmt = attribute.format if attribute else None
    count = facts.add("count", analysis.count, f"{analysis.count:,}")
    p50 = facts.add("p50", analysis.p50, format_value(analysis.p50, fmt, lang))
    p90 = facts.add("p90", analysis.p90, format_value(analysis.p90, fmt, lang))
    ninety = facts.add("p90_share", 0.9, "90%")
    if lang == "zh":
        return [f"{range_text}，共{count}条记录，{label}的中位数为{p50}，{ninety}在{p90}以内。"]
    return [
        f"For {range_text}, across {count} records the median {label} is {p50} and {ninety} are within {p90}."
    ]
