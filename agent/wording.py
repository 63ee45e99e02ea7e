"""What the planner says to the reader when it does not answer, in both languages, in one place: the
question it asks back when a word could not be placed or a cue contradicts the query, the refusal of a
forecast, and an intent restated as a complete question (a clarification's option)."""

from __future__ import annotations

from semantic_layer.model import Language, SemanticModel
from semantic_layer.query import Filter, SemanticQuery

from .intent import Intent
from .number_format import format_range

_OPS = {
    "zh": {
        "eq": "",
        "in": "",
        "ne": "非",
        "not_in": "非",
        "gt": ">",
        "gte": "≥",
        "lt": "<",
        "lte": "≤",
        "contains": "包含",
    },
    "en": {
        "eq": "",
        "in": "",
        "ne": "not ",
        "not_in": "not ",
        "gt": "> ",
        "gte": "≥ ",
        "lt": "< ",
        "lte": "≤ ",
        "contains": "contains ",
    },
}

MESSAGES: dict[str, dict[Language, str]] = {
    "unknown_words": {
        "zh": "我没能理解「{words}」，不想给您一个不同问题的答案。您是想问：",
        "en": "I could not place '{words}' and would rather not answer a different question. Did you mean:",
    },
    "without_words": {"zh": "{question}（不考虑「{words}」）", "en": "{question} (leaving out '{words}')"},
    "cue_duration": {
        "zh": "您问的是时长，但「{metric}」不是时长。您是想问：",
        "en": "You asked how long, but {metric} is not a duration. Did you mean:",
    },
    "cue_share": {
        "zh": "您问的是比例，但「{metric}」不是比例。您是想问：",
        "en": "You asked for a share, but {metric} is not a rate. Did you mean:",
    },
    "cue_count": {
        "zh": "您问的是数量，但「{metric}」不是计数。您是想问：",
        "en": "You asked how many, but {metric} is not a count. Did you mean:",
    },
    "no_duration": {
        "zh": "数据里没有能回答这个时长问题的指标。",
        "en": "The data has no duration that answers this question.",
    },
    "no_share": {
        "zh": "数据里没有能回答这个比例问题的指标。",
        "en": "The data has no rate that answers this question.",
    },
    "no_count": {
        "zh": "数据里没有能回答这个数量问题的计数。",
        "en": "The data has no count that answers this question.",
    },
    "forecast": {
        "zh": "我还不能预测未来，只能回答已经发生的数据。",
        "en": "I cannot forecast yet; I can answer about what has already happened.",
    },
    "which_measure": {
        "zh": "您想看哪个指标？",
        "en": "Which measure would you like to see?",
    },
    "which_records": {
        "zh": "您是想列出这些记录，还是看某个指标？",
        "en": "Would you like the records listed, or a measure?",
    },
    "not_in_data": {
        "zh": "数据里没有「{words}」，这个问题答不了。可以问：",
        "en": "The data holds nothing about '{words}', so I cannot answer that. You could ask:",
    },
    "action": {
        "zh": "我只能回答关于数据的问题，做不了「{words}」这样的操作。",
        "en": "I can only answer questions about the data; I cannot do '{words}'.",
    },
    "no_such_value": {
        "zh": "数据中的{dimension}没有「{word}」，现有：{values}。",
        "en": "'{word}' is not a {dimension} in the data; there are: {values}.",
    },
    "unreachable": {
        "zh": "「{metric}」不能按「{dimension}」拆分或筛选：两者不在同一份数据上。您可以这样问：",
        "en": "{metric} cannot be broken down or filtered by {dimension}: they are not in the same data. You could ask:",
    },
    "rejected": {
        "zh": "「{why}」这样的组合在数据中查不出来。您可以这样问：",
        "en": "That combination cannot be queried ({why}). You could ask:",
    },
}


def say(key: str, lang: Language, **details: str) -> str:
    return MESSAGES[key][lang].format(**details)


def join_words(words: list[str], lang: Language) -> str:
    return ("、" if lang == "zh" else "', '").join(words)


def restate(intent: Intent, model: SemanticModel, lang: Language) -> str:
    """The intent as a complete question a reader can pick ("投诉率，按大区，华东，2026-07" /
    "Complaint rate by region, 华东, 2026-07")."""
    query = intent.query
    if query is None:
        return intent.reason or ""
    return restate_query(query, model, lang, kind=intent.kind)


def restate_query(query: SemanticQuery, model: SemanticModel, lang: Language, *, kind: str = "metric") -> str:
    label = lambda name, lookup: lookup(name).label.get(lang) or name  # noqa: E731
    if query.metrics:
        what = ("、" if lang == "zh" else ", ").join(label(m, model.metric) for m in query.metrics)
    else:
        what = ("、" if lang == "zh" else ", ").join(
            label(f, lambda n: model.attributes_by_name[n])
            for f in query.fields
            if f in model.attributes_by_name
        )
    if kind == "explain_change":
        what = f"为什么{what}变化" if lang == "zh" else f"why {what} changed"
    elif kind == "detail":
        what = f"明细：{what}" if lang == "zh" else f"list of {what}"
    parts = [what]
    categorical = [d for d in query.dimensions if d.grain is None]
    if categorical:
        names = ("、" if lang == "zh" else ", ").join(label(d.name, model.dimension) for d in categorical)
        parts.append(f"按{names}" if lang == "zh" else f"by {names}")
    if query.order_by:
        desc = query.order_by[0].desc
        if query.limit:
            parts.append((f"前{query.limit}" if desc else f"后{query.limit}") if lang == "zh" else
                         (f"top {query.limit}" if desc else f"bottom {query.limit}"))  # fmt: skip
        else:
            parts.append(
                ("从高到低" if desc else "从低到高")
                if lang == "zh"
                else ("highest first" if desc else "lowest first")
            )
    if any(d.grain for d in query.dimensions):
        parts.append("趋势" if lang == "zh" else "trend")
    parts += [_filter_words(f, model, lang) for f in query.filters]
    if query.time_range and (query.time_range.start or query.time_range.end):
        parts.append(format_range(query.time_range.start, query.time_range.end, lang))
    if query.compare:
        parts.append(
            {"previous_period": "环比", "same_period_last_year": "同比"}[query.compare]
            if lang == "zh"
            else {"previous_period": "vs the previous period", "same_period_last_year": "vs last year"}[
                query.compare
            ]
        )
    return ("，" if lang == "zh" else ", ").join(p for p in parts if p)


def _filter_words(condition: Filter, model: SemanticModel, lang: Language) -> str:
    values = "/".join(str(v) for v in condition.values)
    if condition.op == "contains":  # the words searched for, quoted
        values = f"「{values}」" if lang == "zh" else f"'{values}'"
    op = _OPS[lang].get(condition.op, condition.op + " ")
    if condition.dimension:
        return f"{op}{values}"
    if condition.metric:
        name = model.metric(condition.metric).label.get(lang) or condition.metric
    else:
        attribute = model.attributes_by_name.get(condition.field or "")
        name = (attribute.label.get(lang) if attribute else None) or condition.field or ""
    return f"{name}{op}{values}" if lang == "zh" else f"{name} {op}{values}"
