"""The built-in bilingual planner: a question (zh/en) and the conversation so far -> an Intent.

It works from the semantic model alone (labels, synonyms, value aliases and the data's own values),
so any model a user writes gets the same understanding. Reading a question happens in passes over
normalised text: comparisons, time, grain, top-N and thresholds are found and blanked out first,
then model terms are matched (longest first, typos forgiven), then cue words decide the shape.
Follow-ups change the previous intent instead of starting over.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from rapidfuzz import fuzz

from semantic_layer.errors import SemanticLayerError
from semantic_layer.model import Attribute, Language, RatioMetric, SemanticModel, SimpleMetric
from semantic_layer.periods import Clock, add_months, comparison_shift, resolve_period
from semantic_layer.query import MAX_LIMIT, DimensionRef, Filter, OrderBy, SemanticQuery, TimeRange
from semantic_layer.resolve import leaf_metrics, resolve_query

from . import cues, wording
from .cue_checks import CHECKS, check_cues, condition_bounds, is_count, restates
from .intent import (
    Clarification,
    ClarifyOption,
    ConversationState,
    Intent,
    Plan,
    ReadingSegment,
    SegmentRole,
    Shown,
)
from .text import has_cjk, is_cjk, language_of, normalize, squash_sql, starts_anew
from .time_expressions import TimeMatch, default_period_note, find_comparison, find_grain, find_time
from .unknown_words import (
    IDENTIFIER,
    actions,
    chatter,
    leftover_pieces,
    out_of_scope,
    out_of_scope_in,
    respelt,
    unknown_words,
    vague,
)
from .value_index import ValueIndex
from .vocabulary import Match, Vocabulary, flag_dimension, own_words

_AVERAGE = re.compile(r"平均|均值|\baverag(?:e|ing)\b|\bavg\b|\bmean\b")
_MEDIAN = re.compile(r"中位数?|\bmedian\b|(?<![a-z0-9])p50(?!\d)")
_PERCENTILE = re.compile(r"(?<![a-z0-9])p9\d(?!\d)|90分位|九十分位|90%分位|\b90th\b")
_WHICH_TIME = [(re.compile(r"哪些月份?|哪几个月|哪一个?月|which month"), "month"), (re.compile(r"哪一?天|哪日|which day"), "day"),
               (re.compile(r"哪一?周|哪个星期|which week"), "week"), (re.compile(r"哪个?季度|which quarter"), "quarter")]  # fmt: skip
_CONJUNCTION = re.compile(r"和|与|及|以及|、|,|跟|还有|\band\b|&|\+|\bplus\b|as well as|\bvs\b")
_ADDED_BEFORE = re.compile(r"(?:,|\band|\bplus|\balso)\s+(?:the |our )?$|(?:还有|再加上|加上|以及)$")
_ADDED_ANYWAY = re.compile(
    r"(?:\bplus|\balong with|\balongside|\bnext to|\bas well as|\btogether with)\s+(?:the |our )?$"
)
_ADDED_AFTER = re.compile(r"\s*(?:too|as well|also)\b|\s*(?:也要|也看|也)")
_UNIT_FORMATS = {"star": "score", "stars": "score", "星": "score", "分钟": "minutes", "minute": "minutes", "minutes": "minutes", "min": "minutes", "mins": "minutes",
                 "小时": "hours", "hour": "hours", "hours": "hours", "hr": "hours", "hrs": "hours", "h": "hours", "天": "days", "日": "days",
                 "day": "days", "days": "days", "周": "weeks", "week": "weeks", "weeks": "weeks", "分": "score", "points": "score", "point": "score",
                 "%": "percent", "percent": "percent", "个百分点": "percent"}  # fmt: skip
_DURATIONS = ("minutes", "hours", "days", "weeks")
_MINUTES = {"minutes": 1, "hours": 60, "days": 1440, "weeks": 10080}
_LEVEL = re.compile(r"慢|快|高|低|差|久|长|\bslow|\bhigh|\blow\b|\blong\b|\bbad\b|\bpoor")
"""Words about a level ("why is it so slow"), not a change: explained without a comparison."""
_QUALIFIED_EXCLUSION = re.compile(
    r"\s*(?:other than|except(?: for)?|excluding|besides|apart from|but not|not)\s*(?:the\s+)?"
)
_FLAG_NEGATION = re.compile(
    r"(非|没有?被?|未被?|不是|(?<!的)(?:不算|不含|不包括|去掉)|除了?|排除|\bnon-?|\bnot |\bun-?|\b(?:"
    + cues.NEGATED_VERB
    + r"|never|not been|haven't been|hasn't been)\s)\s*$"
)
_MEASURE_WORD = re.compile(r"量|数|多少|几|count|volume|number|total|how many|#")
_SUPERLATIVE = re.compile(
    r"\bmost\b|\bleast\b|\bhighest\b|\blowest\b|\bfewest\b|\btop\b|\bbottom\b|最多|最少|最高|最低|排名|排行|倒数"
)
_SUPERLATIVE_AFTER = re.compile(
    r"\s+(?:with|that has|that had|having|has|had|getting|gets|got)\s+(?:the\s+)?(?:most|least|fewest|best|worst|\w+est)\b"
)
_SUPERLATIVE_BEFORE = re.compile(r"\b(?:\w+est|most|least|best|worst|top|bottom)\s+$")
_PEOPLE = re.compile(r"\bagents?\b|\bstaff\b|\breps?\b|\bemployees?\b|客服|坐席|员工|处理人")
_WHO = re.compile(r"\bwho\b|\bwhom\b|谁|哪些人|哪位|哪些客户")
_NAME_FIELD = re.compile(r"(?:^|_)name$")
_ONLY = re.compile(r"\bonly\b|\bjust\b|只看?|仅看?|光看")
_COUNT_WORDS = re.compile(r"多少|几|数量|总数|量$|\bcount\b|\bnumber\b|\bhow many\b|\btotal\b")
_COMPARE_WORDS = re.compile(
    r"比(?=\s*(?:\d|上|去|前))|对比|比较|相比|(?:跟|和|与).{0,8}比|\bcompare|\bvs\b|versus|against|side by side"
)
_COMPLEMENT = re.compile(
    r"\b(?:everyone|everybody|everything|all) else\b|\bthe rest of (?:them|the \w+)|其余的|剩下的|其他人"
    r"|^(?:那|那么)?(?:其他|其它|其余|别的)的?(?!\w)"
    r"|\ball (?:the )?other(?=\s)|^(?:and |what about |how about )?(?:for |through |via |in )?the other(?=\s)"
)
_THE_REST = re.compile(r"其他|其它|其余|剩下的?|剩余|\bthe rest\b|\ball other\b|\bthe others\b")
_WHICH_OR_SHOW = re.compile(r"哪些|\bwhich\b|\bshow\b|\blist\b|看看|看一下")
_BEFORE_THAT = re.compile(
    r"^(?:and |what about |how about )?(?:in )?the (month|week|quarter|year|day) before(?: that)?\s*[?？.]*$"
    r"|再?往前(?:推|倒)?[一1]?个?(月|周|季度|年|天)|再早[一1]?个?(月|周|季度|年|天)|(?:的|那)?前[一1]个?(月|周|季度|年|天)呢"
)
_MOST_FROM = re.compile(r"(most of (?:the |our )?)(.*?)(\s*(?:come|comes|came|coming|are) from)", re.DOTALL)
_GROUPED_BEFORE = re.compile(r"(?:\bby|\bper|\beach|按|各|每个)\s*$")
_FOR_RECORDS = re.compile(r"(?:^|\b(?:and|what about|how about))\s+(?:for|on|among)\s+(?:the\s+|our\s+)?$")
_ON_FIELD = re.compile(
    r"[\d.]+(?:\s*(?:or|to|and|-)\s*[\d.]+)?(?:\s*(?:stars?|points?))?\s+(?:on|for|in)\s+(?:the |their |our |a )?"
)
_BACK_IN = re.compile(r"\bback in\b|\b(?:put|add|bring|include)\b.{1,30}\bback\b|加回来|放回来|加回去")
_BY_FLAG_BEFORE = re.compile(
    r"(?:\bby|\bper|\bsplit by|\bbroken down by)\s+(?:whether\s+(?:or not\s+)?(?:the \w+ |it |they )?(?:was|were|is|are|got)\s+(?:an?\s+)?)?$"
    r"|(?:按|按照)(?:是否)?$"
)
_OR_NOT_AFTER = re.compile(
    r"\s*(?:or not\b|vs\.? not\b|与否|或否|,?\s*(?:compared (?:with|to)|vs\.?|versus|against|and)"
    r"(?:\s+(?:the|those|ones?|tickets?|cases?|surveys?))*\s+(?:that |which )?(?P<not>weren't|were not|wasn't|was not|aren't|are not"
    r"|didn't|did not)(?= |$|[,.?!]))"
)
_INSTEAD = re.compile(r"^\s*(?:and )?(?:what|how) about\b|\binstead\b|换成|改成|那.{0,12}呢")
_MEASURE_ALONE = re.compile(r"\s*(?:and |what about |how about )?(?:the |our )?\s*[?？]\s*")
_SORTED_BY = re.compile(
    r"\b(?:sort|order|rank)(?:ed)?\s+(?:it\s+|them\s+|this\s+|that\s+)?by\s+(?:the\s+)?$|按$"
)
_RECORDS_AFTER = re.compile(r"\s*的?\s*(?:单子|工单|单|记录|回访|评价|tickets?\b|cases?\b|surveys?\b)")
_COMPARED = re.compile(
    r"一些|一点|更[高低好差快慢多少]|明显|分别|对比|相比|比较|\bthan\b|\bvs\b|\bversus\b|\bcompar"
)
_ALL_ACROSS = re.compile(r"(?:(?:^|[,;:(])\s*|\bacross\s+)all (?:the |our )?$")
_ALL_BEFORE = re.compile(r"\ball (?:the |our )?$|\bevery $|\bany $|(?:所有|全部|全)的?$")
_RANKED_BEFORE = re.compile(r"\b(?:most|fewest|least|highest|lowest|largest|biggest|more|fewer)\s+$")
_RANKED_AFTER = re.compile(r"\s*(?:最多|最少|最高|最低|排|前\s*\d|倒数)")
_FURTHER = re.compile(r"^再(?:按|分|拆|细分|按照)|进一步按|\bfurther (?:split|broken|break)")
_BARE_SCORE = re.compile(r"scores?|ratings?|评分|分数|打分")
_COLUMNS_NAMED = re.compile(
    r"带上|带着|附上|要带|显示出|\b(?:with|including|include|showing) (?:their |the )?columns?\b"
)
_SORT_WORD = re.compile(r"\b(?:sort|sorted|order|ordered|rank|ranked)\b|排序|排一下|排个序")
_WHETHER_BEFORE = re.compile(r"(?:\bwhether\s+(?:or not\s+)?(?:\w+\s+){0,3}|是否)$")
_SHOW_VERB = re.compile(
    r"^(?:pls |please |can you |could you )?(?:show|give|get|pull|find|list|display)\b|列出|列一下|拉出来"
)
_TOO = re.compile(r"\beither\b|也|还有")  # with cues.ADD's "too", "as well", "also": one more of the same
_PRONOUN = re.compile(r"他们|她们|它们|them|their|they")
_WITH_FIELD = re.compile(
    r"\s*(?:with|having|that (?:have|had|got)|which (?:have|had)|where)\s+(?:an?\s+|the\s+|their\s+)?"
)
_SCORED_BEFORE = re.compile(r"(?:rated|scored|scoring|gave|打了?)(?: us)?(?: an?)?\s*$")
_SCORE_RANGE_BEFORE = re.compile(
    r"\b(?:score|rating)s? (?:of |from |between )?(?:an? )?$"
)  # "an NPS score of 0 to 6"
_RECORD_UNIT = re.compile(r"tickets?|单|件|张")
_SEPARATOR = re.compile(r"^(?:\s|,|、|和|与|及|跟|以及|或者?|\band\b|\bor\b|\bnor\b|&|/|\+|的)*$")


@dataclass
class Reading:
    """What one question says, before it is assembled into an intent."""

    text: str
    metrics: list[str] = field(default_factory=list)
    ambiguous: list[list[str]] = field(default_factory=list)
    dimensions: list[str] = field(default_factory=list)
    qualifiers: list[str] = field(default_factory=list)
    """Dimensions named next to one of their values ("Brooklyn borough"): they say whose value it is."""
    filters: list[Filter] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    time: TimeMatch | None = None
    grain: str | None = None
    compare: str | None = None
    top_n: int | None = None
    direction: str | None = None
    singular: bool = False
    thresholds: list[tuple[str, float, str | None, int]] = field(default_factory=list)
    metric_positions: dict[str, int] = field(default_factory=dict)
    field_positions: dict[str, int] = field(default_factory=dict)
    """Every record field the words could name (also when a metric reading ranked first)."""
    fuzzy: bool = False
    hidden: list[str] = field(default_factory=list)
    """Words naming data values outside what the user may see."""
    rest: str = ""
    """The words no pass understood (terms, times, numbers and the like blanked out)."""
    cue_text: str = ""
    """The question with times, comparisons, numbers and thresholds blanked: where cues are looked for
    ("hours" in "within 72 hours" is a threshold's unit, not a question about a duration)."""
    reference: int | None = None
    """How many groups of the last answer the words point at ("那个" 1, "这两个" 2, "它们" 0 = all)."""
    reference_start: int = 0
    reference_end: int = 0
    reference_needs_dimension: bool = False
    """ "that city" refers; "break that down" is about the whole answer."""
    referred: list[str] = field(default_factory=list)
    """Dimensions named as part of a reference ("那个大区"): they say whose groups, not a new grouping."""
    time_columns: list[str] = field(default_factory=list)
    """Time dimensions the words name ("closed", "创建"): the period's column, or a trend's."""
    period_before: str | None = None
    """The unit of "the month before (that)": the period before the last answer's."""
    mentions: list[str] = field(default_factory=list)
    """Words the question searches free text for ("提到“太慢”的评价")."""
    unplaced: list[str] = field(default_factory=list)
    """Comparisons with a number that fit no measure: asked about, never dropped."""
    narrowed: bool = False
    """A reference became a filter on the groups shown: the ranking that picked them is done."""
    looked_up: bool = False
    """A record named by its id ("ticket T000123456"): the answer lists it."""
    complement: str = ""
    """ "and for everyone else?": the words of a follow-up about the records the last filter left out."""
    negations: list[tuple[int, int]] = field(default_factory=list)
    """Where words negate a value ("weren't", "除了", "不算"): read, as the filter's `not`."""
    spans: list[tuple[int, int, SegmentRole, str | None]] = field(default_factory=list)
    """What each understood span of `text` was read as (start, end, role, what it matched)."""

    def has(self, pattern: re.Pattern[str]) -> bool:
        return bool(pattern.search(self.text))

    def low_score(self, level_of: tuple[str, ...] = ()) -> bool:
        """Words for low scores ("差评", "detractors") that no measure or threshold took: a measure named
        by them ("number of detractors") carries its own condition, and "评分低于3分" is below 3. Said of
        a measure in `level_of` ("what's driving the low CSAT"), they describe its level, not the records."""
        terms = [(start, end) for start, end, role, _ in self.spans if role == "metric"]
        terms += [
            (start - 8, end)  # "low CSAT": the words before the measure asked
            for start, end, role, ref in self.spans
            if role == "metric" and ref in level_of
        ]
        thresholds = [(start, end) for start, end, role, _ in self.spans if role == "threshold"]
        return any(  # inside a measure's name ("detractors"), or overlapping a threshold's words
            not any(start <= m.start() and m.end() <= end for start, end in terms)
            and not any(m.start() < end and start < m.end() for start, end in thresholds)
            for m in cues.LOW_SCORE.finditer(self.text)
        )


class Planner:
    """Plans questions against one model; build once (the vocabulary), then call `plan` per question."""

    def __init__(
        self, model: SemanticModel, values: ValueIndex, clock: Clock, *, scoped: bool = False
    ) -> None:
        """`scoped`: `values` are one user's (an access policy applies); words naming values outside
        them get "not in the data you may see" instead of an answer about nothing."""
        self.model = model
        self.clock = clock
        self.values = values
        self.vocabulary = Vocabulary(model, values, scoped=scoped)

    def plan(self, question: str, state: ConversationState | None = None) -> Plan:
        state = state or ConversationState()
        try:
            intent = self.understand(question, ConversationState() if starts_anew(question) else state)
        except (ValueError, SemanticLayerError):  # a reading that makes no valid query: say so, never crash
            lang: Language = "zh" if language_of(question) == "zh" else "en"
            intent = self.unsupported(lang, normalize(question), "no_metric")
        if intent.kind == "clarify":
            new_state = state.model_copy(update={"pending": intent, "turns": state.turns + 1})
        elif intent.kind == "unsupported":
            new_state = state.model_copy(update={"pending": None, "turns": state.turns + 1})
        else:
            new_state = ConversationState(
                last=intent, pending=None, turns=state.turns + 1, mentioned=_mentioned(state, intent)
            )
        return Plan(intent=intent, state=new_state)

    def choose(self, state: ConversationState, option_id: str) -> Plan:
        """The user picked a clarification option: its intent becomes the answer (and the context)."""
        pending = state.pending
        options = pending.clarification.options if pending and pending.clarification else ()
        option = next((o for o in options if o.id == option_id), None)
        if option is None:
            raise KeyError(option_id)
        if option.intent is None:
            return self.plan(option.text or option.label, state.model_copy(update={"pending": None}))
        return Plan(intent=option.intent, state=ConversationState(last=option.intent, turns=state.turns + 1))

    # --- understanding -------------------------------------------------------------------------------

    def understand(self, question: str, state: ConversationState) -> Intent:
        lang: Language = "zh" if language_of(question) == "zh" else "en"
        text = normalize(question)
        if not text.strip(" ?!.,"):
            return self.unsupported(lang, text, "empty")
        if cues.UNSAFE.search(text):
            return self.unsupported(lang, text, "unsafe")
        if cues.FORECAST.search(text):
            return self.unsupported(lang, text, "forecast")
        action = cues.ACTION_REQUEST.search(text)
        if action:  # "email the weekly report to my manager": an action, not a question about data
            return self.unsupported(lang, text, "action", words=action.group(0).strip())
        reading = self.read(text)
        segments = self.segments(reading)
        unknown = [g.text for g in segments if g.role == "unknown"]
        if fixes := respelt([w for w in unknown if not (out_of_scope([w]) or actions([w]) or vague([w]))]):
            text = re.sub(
                r"\b(" + "|".join(map(re.escape, fixes)) + r")\b", lambda m: fixes[m.group(0)], text
            )
            reading = self.read(text)  # "whats our csat so far tihs year": read as the word it misspells
            reading.fuzzy = True
            segments = self.segments(reading)
        return self.judge(lang, reading, segments, state).model_copy(update={"reading": segments})

    def judge(
        self, lang: Language, reading: Reading, segments: tuple[ReadingSegment, ...], state: ConversationState
    ) -> Intent:
        """The intent of a complete reading; a question back (or a refusal) when the reading is not
        complete: words it could not place, a cue the query contradicts, data it does not hold."""
        text = reading.text
        if reading.hidden:
            return self.unsupported(
                lang, text, "out_of_scope", words=("、" if lang == "zh" else ", ").join(reading.hidden)
            )
        # the segments already classified the leftover words: no second pass over them
        unknown = list(dict.fromkeys(g.text.strip("'-") for g in segments if g.role == "unknown"))
        idle = chatter([(g.text, g.role) for g in segments])  # "Many thanks in advance.": no question in it
        unknown = [w for w in unknown if w not in idle or out_of_scope([w]) or actions([w])]
        if requested := actions(unknown):
            return self.unsupported(lang, text, "action", words=wording.join_words(requested, lang))
        missing = self.missing_value(segments)
        if missing is not None:
            dimension, word = missing
            label = self.model.dimension(dimension).label.get(lang) or dimension
            listed = ("、" if lang == "zh" else ", ").join(self.values.get(dimension, ())[:8])
            return self.unsupported(lang, text, "no_such_value", dimension=label, word=word, values=listed)
        if reading.reference is not None and state.last is None and not reading.filters:
            words = [
                g.text
                for g in segments
                if g.role == "reference"
                and g.text not in ("their", "they")
                and not (g.text == "both" and re.search(r"\bboth\b.+\band\b", text))  # "both X and Y"
                and not (g.text in ("那个", "这个") and _next_role(segments, g) in ("metric", "field"))
            ]  # fmt: skip ("打的那个满意分": a filler before a measure, nothing pointed at)
            unknown = [*words, *unknown]  # "它们的满意度" with nothing shown before: whose?
        before = state.last.query.filters if state.last is not None and state.last.query is not None else ()
        if reading.complement and not any(f.dimension and f.op in ("eq", "in") for f in before):
            unknown = [reading.complement, *unknown]  # "CSAT for everyone else" with no one named before
        intent = self.shape(lang, reading, state)
        if outside := out_of_scope(unknown) or out_of_scope_in(reading.rest):
            answerable = intent.kind not in ("unsupported", "clarify") and len(outside) < len(unknown) + 1
            first = wording.restate(intent, self.model, lang) if answerable else None
            return self.unsupported(
                lang, text, "not_in_data", first=first, words=wording.join_words(outside, lang)
            )
        unknown = [*unknown, *reading.unplaced]
        if unknown and intent.kind not in ("unsupported", "clarify"):
            return self.ask_about_words(lang, reading.text, intent, unknown)
        return self.reachable(lang, check_cues(self.model, lang, reading, intent))

    def reachable(self, lang: Language, intent: Intent) -> Intent:
        """The intent, or a question back when the layer cannot cut its measure as asked ("churn rate by
        channel": customers have no channel): the same question without the groups and filters the
        measure cannot reach, and the catalog's examples."""
        query = intent.query
        if query is None or intent.kind in ("clarify", "unsupported"):
            return intent
        try:
            resolve_query(self.model, query)
            return intent
        except SemanticLayerError as error:
            question = wording.say(
                "rejected",
                lang,
                why=str(error).splitlines()[0] if lang == "en" else wording.restate(intent, self.model, lang),
            )
        options: list[ClarifyOption] = []
        for name in [d.name for d in query.dimensions] + [f.dimension for f in query.filters if f.dimension]:
            grouped = any(d.name == name for d in query.dimensions)
            narrower = query.model_copy(
                update={
                    "dimensions": tuple(d for d in query.dimensions if d.name != name),
                    "filters": tuple(f for f in query.filters if f.dimension != name),
                    "order_by": () if grouped else query.order_by,
                    "limit": None if grouped else query.limit,
                }
            )
            try:
                resolve_query(self.model, narrower)
            except (ValueError, SemanticLayerError):
                continue
            option = intent.model_copy(update={"query": narrower})
            options.append(
                ClarifyOption(id="option1", label=wording.restate(option, self.model, lang), intent=option)
            )
            metric = self.model.metric(query.metrics[0]) if query.metrics else None
            question = wording.say(
                "unreachable",
                lang,
                metric=(metric.label.get(lang) or metric.name) if metric else "",
                dimension=self.model.dimension(name).label.get(lang) or name,
            )
            break
        examples = [q.question.get(lang) for q in self.model.verified_questions if q.question.get(lang)]
        for text in examples[: 3 - len(options)]:
            options.append(ClarifyOption(id=f"option{len(options) + 1}", label=text or "", text=text))
        return Intent(
            kind="clarify",
            confidence=0.5,
            language=lang,
            clarification=Clarification(question=question, options=tuple(options)),
        )

    def missing_value(self, segments: tuple[ReadingSegment, ...]) -> tuple[str, str] | None:
        """ "抖音渠道的进线量", "TikTok channel": an unknown word just before a dimension's name is a
        value the data does not have; (dimension, word) so that the reply can say so and list the values
        it does have."""
        for index, segment in enumerate(segments):
            if segment.role != "unknown" or not re.fullmatch(r"[\u4e00-\u9fff]+", segment.text.strip()):
                continue  # English adjectives stand before nouns ("busiest cities"); Chinese names do
            near = index + 1
            if (
                near < len(segments)
                and segments[near].role == "phrasing"
                and segments[near].text.strip() in ("", "的")
            ):
                near += 1
            ref = segments[near].ref if near < len(segments) else None
            if ref and segments[near].role == "dimension":
                dimension = ref.split(" | ")[0]
                if self.values.get(dimension):
                    return dimension, segment.text.strip()
        return None

    def shape(self, lang: Language, reading: Reading, state: ConversationState) -> Intent:
        last = state.last
        follow_up = (
            last is not None
            and last.query is not None
            and (
                cues.FOLLOW_UP.search(reading.text) is not None
                or (not reading.metrics and not reading.ambiguous)
                or reading.reference is not None
                or cues.ADD.search(reading.text) is not None
                or self.narrows(reading, last)
                or _MEASURE_ALONE.fullmatch(reading.rest)  # "Detractors?": the same slice, that measure
                or reading.has(cues.WHICH_ONES)  # "who are the customers?": the records behind the answer
            )
        )
        if reading.ambiguous and not reading.metrics:
            return self.clarify_metric(lang, reading, last if follow_up else None)
        said = (
            reading.metrics,
            reading.filters,
            reading.dimensions,
            reading.time,
            reading.grain,
            reading.top_n,
        )
        if follow_up and not any(said) and reading.has(cues.HOW_GOING):  # "how's everyone doing overall?"
            return self.clarify_headline(lang, reading)
        if follow_up and last is not None:
            if reading.reference is not None:
                reading = self.resolve_reference(reading, state)
            intent = self.follow_up(lang, reading, last)
            if intent is not None:
                return intent
        return self.fresh(lang, reading)

    def read(self, text: str) -> Reading:
        reading = Reading(text=text)
        work = list(text)

        def blank(span: tuple[int, int], role: SegmentRole, ref: str | None = None) -> None:
            words = "".join(work[span[0] : span[1]])
            start, end = (
                span[0] + len(words) - len(words.lstrip()),
                span[1] - len(words) + len(words.rstrip()),
            )
            if end > start:  # the words themselves, not the spaces a pattern took along
                reading.spans.append((start, end, role, ref))
            for i in range(*span):
                work[i] = " "

        for mention in cues.MENTION.finditer(
            text
        ):  # "评论提到“太慢”", "comments that mention 等待": words searched
            said = next(g for g in mention.groups() if g)
            reading.mentions.append(said.strip())
            blank(mention.span(), "value", f"contains {said.strip()}")
        comparison = find_comparison("".join(work))
        if comparison:
            reading.compare = comparison.compare
            blank(comparison.span, "comparison", comparison.compare)
        before = _BEFORE_THAT.search("".join(work))
        if before:  # "and the month before that?": the period before the last one
            reading.period_before = next(g for g in before.groups() if g)
            blank(before.span(), "time", f"the {reading.period_before} before")
        reading.time = find_time("".join(work), self.clock.today(), self.model.calendar.week_start)
        if reading.time:
            blank(reading.time.span, "time", _period_ref(reading.time))
            other = find_time("".join(work), self.clock.today(), self.model.calendar.week_start)
            if other is not None and (other.start, other.end) == (reading.time.start, reading.time.end):
                blank(
                    other.span, "time", _period_ref(other)
                )  # "ever received, since records began": said twice
            elif other is not None and reading.compare is None:
                # "Oct CSAT compared with Sept": two periods, the later one is explained against the other
                paired = _paired_periods(reading.time, other)
                if paired is not None:
                    reading.time, reading.compare = paired
                    blank(other.span, "comparison", reading.compare)
        grain = find_grain("".join(work))
        if grain:
            reading.grain = grain[0]
            blank(grain[1], "grain", grain[0])
        for pattern, which_grain in _WHICH_TIME:
            match = pattern.search("".join(work))
            if match:
                reading.grain = which_grain
                reading.singular = True
                blank(match.span(), "grain", which_grain)
        for pattern in cues.TOP_N:
            match = pattern.search("".join(work))
            if match:
                group = next(i for i, g in enumerate(match.groups(), start=1) if g)
                reading.top_n = min(int(match.group(group)), MAX_LIMIT)
                whole = pattern is cues.TOP_N[0]  # "排前五", "看前10个": 前 and its counter are the limit
                blank(match.span() if whole else match.span(group), "limit", str(reading.top_n))
                break
        for match in cues.THRESHOLD_AFTER.finditer("".join(work)):  # "2 or less" before "of 2"
            after = cues.THRESHOLD_AFTER_OPS[match.group(3)]
            unit = (
                match.group(2)
                or (  # "rated us 2 or below": a score
                    "分" if re.search(_SCORED_BEFORE, "".join(work)[: match.start()]) else None
                )
            )
            reading.thresholds.append((after, float(match.group(1)), unit, match.start()))
            blank(match.span(), "threshold", f"{after} {match.group(1)}")
        for match in cues.RANGE.finditer("".join(work)):  # "1到5分", "4 or 5 stars", "(4-5)": both ends
            bracketed = match.group(4) is not None
            first, second = (
                (match.group(4), match.group(5)) if bracketed else (match.group(1), match.group(2))
            )
            low, high = sorted((float(first), float(second)))
            unit = "分" if bracketed else match.group(3)
            if unit == "":  # "scored 1 or 2 in Oct", "a score of 0 to 6": a score only after a scoring word
                said_before = "".join(work)[: match.start()]
                if not (_SCORED_BEFORE.search(said_before) or _SCORE_RANGE_BEFORE.search(said_before)):
                    continue
                unit = "分"
            if low > 1:  # "0-6分", "1 or 2 stars": the lowest scores, "6 or less", "2 or less"
                reading.thresholds.append(("gte", low, unit, match.start()))
            reading.thresholds.append(("lte", high, unit, match.start()))
            blank(match.span(), "threshold", f"{low:g}..{high:g}")
        for match in cues.STARS.finditer("".join(work)):  # "1-star surveys": that score
            reading.thresholds.append(("eq", float(match.group(1)), match.group(2), match.start()))
            blank(match.span(), "threshold", f"eq {match.group(1)}")
        for match in cues.THRESHOLD.finditer("".join(work)):
            said = match.group(1).strip()
            op = cues.THRESHOLD_OPS.get(said) or cues.THRESHOLD_OPS.get(said.split(" ")[0])
            if op is None:
                continue
            scored = said.split(" ")[0] in cues.SCORE_VERBS or _SCORED_BEFORE.search(
                "".join(work)[: match.start()]
            )
            unit = match.group(3) or ("分" if scored else None)
            unit = unit[1:] if unit and unit.startswith("个") and len(unit) > 1 else unit  # 2个小时
            reading.thresholds.append((op, float(match.group(2)), unit, match.start()))
            blank(match.span(), "threshold", f"{op} {match.group(2)}")
        reading.cue_text = "".join(work)
        for phrase in cues.BREAKDOWN_PHRASE.finditer("".join(work)):  # "broken out by": no value's words
            blank(phrase.span(), "cue", "breakdown")
        for few in re.finditer(r"\b\d+\b(?= (?:[\w-]+ ){1,2}account(?:s|ed)? for)", text):  # "a few provinces
            blank(few.span(), "cue", "concentration")  # account for most": how few, said loosely
        for concentration in cues.CONCENTRATION.finditer(text):  # "account for" is no account category
            start, end = concentration.span()
            inner = _MOST_FROM.fullmatch(concentration.group(0))
            if inner:  # "most of our late responses coming from": the words between are read as terms
                blank((start, start + inner.end(1)), "cue", "concentration")
                blank((start + inner.start(3), end), "cue", "concentration")
            else:
                blank((start, end), "cue", "concentration")
        for pattern, count in cues.REFERENCES:
            reference = pattern.search("".join(work))
            if reference and any(  # "when they came in" names a field
                m.start <= reference.start() and reference.end() <= m.end
                for m in self.vocabulary.find("".join(work))
            ):
                continue
            if reference:
                reading.reference, reading.reference_end = count, reference.end()
                reading.reference_start = reference.start()
                reading.reference_needs_dimension = reference.group(0).strip() in ("that", "this")
                blank(reference.span(), "reference", "all" if count == 0 else str(count))
                break
        for pattern, direction in cues.SUPERLATIVES:
            if pattern.search(reading.cue_text):  # not "at least 500"
                reading.direction = direction
                break
        reading.singular = reading.singular or bool(cues.SINGULAR_WHICH.search(text))
        if cues.SUPERLATIVE_THE.search(text) and not re.search(
            r"哪些|有哪些|几个|几家|各|每个|们|排名|排行|排序", text
        ):
            reading.singular = True  # "CSAT最低的channel": the one
        matches = self.vocabulary.find("".join(work))
        reading.hidden = [text[m.start : m.end] for m in matches if self.vocabulary.is_hidden(m)]
        matches = [m for m in matches if not self.vocabulary.is_hidden(m)]
        reading.fuzzy = any(m.fuzzy for m in matches)
        self.read_terms(reading, matches, "".join(work))
        for term in matches:  # "which issue types": plural, a ranking, not the one at the top
            if (
                term.kind == "dimension"
                and text[: term.start].endswith("which ")
                and text[term.end - 1] == "s"
            ):
                reading.singular = False
            elif (
                term.kind == "dimension"
                and (
                    _SUPERLATIVE_BEFORE.search(text[: _measure_before(term, matches, text)])
                    or _SUPERLATIVE_AFTER.match(text[term.end :])  # "model with the fewest complaints"
                )
                and text[term.end - 1] != "s"
                and not re.search(r"\b(?:which|what) (?:\w+ )?$|哪些", text[: term.start])
            ):
                reading.singular = True  # "the fastest team", "lowest-CSAT product line": the one
        if reading.reference_needs_dimension and not reading.referred:  # "break that down": the answer
            reading.reference = None
            reading.spans = [s for s in reading.spans if s[2] != "reference"]
        pronoun = _PRONOUN.fullmatch(text[reading.reference_start : reading.reference_end].strip())
        if reading.reference == 0 and any(  # "tickets last week, and how many of them were complaints"
            (m.kind == "metric" or (m.kind == "field" and pronoun)) and m.end <= reading.reference_start
            for m in matches  # "客户和他们的评论": the customers just named
        ):  # points back within the question, not at the last answer
            reading.reference = None
            reading.spans = [
                (start, end, "phrasing" if role == "reference" else role, ref)
                for start, end, role, ref in reading.spans
            ]
        for term in matches:
            blank((term.start, term.end), term.kind, _term_ref(term))
        for span in reading.negations:
            blank(span, "cue", "not")
        hidden = [m for m in reading.metrics if self.model.metric(m).hidden]
        parts = {  # "% of tickets with more than one contact, i.e. the repeat contact rate": its definition
            getattr(self.model.metric(m), side, None)
            for m in reading.metrics
            for side in ("numerator", "denominator")
        }
        if hidden and len(hidden) < len(reading.metrics):  # "CSAT of repeat buyers": a building block as
            reading.unplaced += [  # a condition on another measure's records, which it cannot be: asked
                text[start:end]
                for start, end, role, ref in reading.spans
                if role == "metric" and ref and set(ref.split(" | ")) & set(hidden) - parts
            ]
            reading.metrics = [m for m in reading.metrics if m not in hidden]
        qualified = self.qualified_count(reading, "".join(work))
        if qualified is not None:  # "what percent of surveys were satisfied": the satisfied rate
            spans, name = qualified
            reading.metrics = [name]
            reading.metric_positions = {name: spans[0][0]}
            for span in spans:
                blank(span, "metric", name)
        for pattern in (_MEDIAN, _PERCENTILE, _AVERAGE):  # read with the terms: "90分位也看下", "median?"
            for match in pattern.finditer("".join(work)):
                blank(match.span(), "cue", "aggregation")
                aggregation = {_MEDIAN: "median", _PERCENTILE: "percentile"}.get(pattern)
                chosen = [getattr(self.model.metric(m), "agg", None) for m in reading.metrics]
                if aggregation and chosen and aggregation not in chosen:  # "解决时长的中位数": none held
                    siblings = {  # "the median wait before the first response": that measure's median
                        m: self.sibling_by_aggregation(m, match.group(0))[0] for m in reading.metrics
                    }
                    switched = {m: o for m, o in siblings.items() if o != m}
                    if len(switched) == 1:
                        old, new = next(iter(switched.items()))
                        reading.metrics = [new if m == old else m for m in reading.metrics]
                        reading.metric_positions = {
                            (new if m == old else m): p for m, p in reading.metric_positions.items()
                        }
                    else:
                        reading.unplaced.append(match.group(0))
        complement = _COMPLEMENT.search("".join(work))
        if complement and not reading.filters:  # "and for everyone else?": the other side of the filter
            reading.complement = complement.group(0).strip()
            blank(complement.span(), "cue", "not")
            for start, _, role, ref in reading.spans:  # "all the other channels": whose others, no grouping
                if role == "dimension" and 0 <= start - complement.end() <= 1:
                    reading.dimensions = [d for d in reading.dimensions if d != ref]
        sides: dict[str, set[bool]] = {}  # "没重开过的单子": which records, a yes or a no
        for start, end, role, ref in reading.spans:
            if (
                role == "dimension"
                and ref in reading.dimensions
                and self.model.dimension(ref).type == "boolean"
            ):
                grouped = _GROUPED_BEFORE.search(reading.text[:start]) or not _RECORDS_AFTER.match(
                    reading.text[end:]
                )
                said = not _FLAG_NEGATION.search(reading.text[max(0, start - 16) : start])
                sides.setdefault(ref, set()).update({True, False} if grouped else {said})
        for ref, said_sides in sides.items():  # both sides, or compared ("明显低一些"): the grouping stays
            if len(said_sides) == 1 and not _COMPARED.search(reading.text):
                reading.dimensions = [d for d in reading.dimensions if d != ref]
                reading.filters.append(Filter(dimension=ref, op="eq", values=(said_sides.pop(),)))
        negated = {f.dimension for f in reading.filters if f.op in ("ne", "not_in")}
        for start, _, role, ref in reading.spans:  # "FCR for all teams that aren't hotline team 1": the scope
            scope = role == "dimension" and _ALL_ACROSS.search(reading.text[:start])  # "..., all channels"
            if role == "dimension" and (ref in negated or scope) and _ALL_BEFORE.search(reading.text[:start]):
                grouped = any(  # "NPS by team, all teams except tech support" still groups
                    (other_role, other) == (role, ref) and _GROUPED_BEFORE.search(reading.text[:other_start])
                    for other_start, _, other_role, other in reading.spans
                )
                if not grouped:
                    reading.dimensions = [d for d in reading.dimensions if d != ref]
        for match in _THE_REST.finditer("".join(work)) if negated else ():  # "不算华北，其他大区": the rest
            blank(match.span(), "phrasing")
            for start, _, role, ref in reading.spans:  # its dimension is the scope, not a grouping
                if role == "dimension" and ref in negated and 0 <= start - match.end() <= 1:
                    reading.dimensions = [d for d in reading.dimensions if d != ref]
        for match in IDENTIFIER.finditer("".join(work)):  # "客户C00008284", "ticket T000123456": that record
            near = reading.text[max(0, match.start() - 12) : match.start()]
            keys = [a for a in self.model.attributes if a.name.endswith("_id") and _shares_a_word(a, near)]
            if len(keys) == 1:
                blank(match.span(), "value", keys[0].name)
                reading.filters.append(Filter(field=keys[0].name, op="eq", values=(match.group(0).upper(),)))
                reading.looked_up = True
        reading.rest = "".join(work)
        return reading

    def segments(self, reading: Reading) -> tuple[ReadingSegment, ...]:
        """The whole question, in order, each span with what it was read as (phrasing between)."""
        spans = sorted(
            [
                *reading.spans,
                *((p.start, p.end, p.role, None) for p in leftover_pieces(reading.rest, reading.text)),
            ],
            key=lambda span: (span[0], -span[1]),
        )
        text = reading.text
        segments: list[ReadingSegment] = []

        def add(piece: str, role: SegmentRole, ref: str | None = None) -> None:
            if not piece:
                return
            if role == "phrasing" and segments and segments[-1].role == "phrasing":
                segments[-1] = ReadingSegment(text=segments[-1].text + piece, role="phrasing")
            else:
                segments.append(ReadingSegment(text=piece, role=role, ref=ref))

        position = 0
        for start, end, role, ref in spans:
            if start < position:  # inside a span already read (a cue word within a term)
                continue
            add(text[position:start], "phrasing")
            add(text[start:end], role, ref)
            position = end
        add(text[position:], "phrasing")
        return tuple(segments)

    def read_terms(self, reading: Reading, matches: list[Match], work: str) -> None:
        values = [m for m in matches if m.kind == "value"]
        for index, match in enumerate(matches):
            for name in match.names("field"):
                reading.field_positions.setdefault(name, match.start)
            if match.kind == "metric":
                names = match.names("metric")
                if len(names) == 1:
                    # the words between the neighbouring terms qualify this one ("首响P90", "median FRT",
                    # "avg and p90 FRT": both)
                    left = matches[index - 1].end if index > 0 else 0
                    right = matches[index + 1].start if index + 1 < len(matches) else len(work)
                    names = self.sibling_by_aggregation(names[0], work[left:right])
                elif len(names) > 1:
                    names = self.disambiguate(names, reading.text)
                if len(names) == 1 or match.names("metric") != names:
                    for offset, name in enumerate(n for n in names if n not in reading.metrics):
                        reading.metrics.append(name)
                        reading.metric_positions[name] = match.start + offset
                else:
                    reading.ambiguous.append(names)
            elif match.kind == "field":
                reading.fields += [n for n in match.names("field") if n not in reading.fields]
            elif match.kind == "dimension":
                name = match.names("dimension")[0]
                if self.model.dimension(name).type == "time":  # "created in 2017": which date, not groups
                    reading.time_columns.append(name)
                elif (
                    reading.reference is not None
                    and 0 <= reading.reference_end <= match.start
                    and not work[reading.reference_end : match.start].strip(" 的")
                ):
                    reading.referred.append(name)  # "那个大区": whose groups are meant (the next word only)
                    reading.reference_end = -1
                elif _qualifies_value(match, name, values, work):
                    reading.qualifiers.append(name)
                elif name not in reading.dimensions:
                    reading.dimensions.append(name)
        named_in_metrics = [
            v for v in values if self.names_part_of_metric(work[v.start : v.end], v, reading.metrics)
        ]
        reading.filters += self.value_filters([v for v in values if v not in named_in_metrics], work, reading)
        self.drop_subject_counts(reading, matches, work)
        self.flags_as_groups(reading, matches, work)
        self.counts_of_values(reading)

    def qualified_count(self, reading: Reading, work: str) -> tuple[list[tuple[int, int]], str] | None:
        """Words left over next to the one count asked for, each a form of a word of that count ("survey
        respondents": responses) or naming the one rate over it ("what percent of surveys were
        satisfied", "share of resolved tickets self-served"): the count, or the rate's numerator, or
        asked for a share, the rate. (the words' spans, the metric)."""
        asked = list(reading.metrics)
        if not asked and reading.field_positions and _COUNT_WORDS.search(reading.cue_text):
            field = next(iter(reading.field_positions))  # "流失了多少客户": the customers counted
            asked = self.plain_counts_on(self.model.attributes_by_name[field].table)[:1]
        if len(asked) != 1 or not is_count(self.model.metric(asked[0])):
            return None
        counted = self.model.metric(asked[0])
        rates = [m for m in self.model.metrics if isinstance(m, RatioMetric)]
        spans: list[tuple[int, int]] = []
        chosen: dict[str, RatioMetric] = {}
        for piece in leftover_pieces(work, reading.text):
            word = reading.text[piece.start : piece.end]
            if piece.role != "unknown" or not re.fullmatch(r"[a-z]{4,}|[\u4e00-\u9fff]{2,}", word):
                continue
            if any(_same_word(word, w) for w in own_words(counted)):  # "respondents", "数量": the count's
                spans.append((piece.start, piece.end))
                continue
            named = [  # every rate the word could name ("重复": reopens or repeat contacts): only one
                r for r in rates
                if any(_same_word(word, w) for m in (r, self.model.metric(r.numerator)) for w in own_words(m))
            ]  # fmt: skip
            if len(named) == 1 and named[0].denominator == counted.name:
                spans.append((piece.start, piece.end))
                chosen[named[0].name] = named[0]
        if len(chosen) > 1 or not spans:
            return None
        if not chosen:
            return spans, counted.name
        rate = next(iter(chosen.values()))
        share = cues.SHARE.search(reading.cue_text) is not None
        return spans, rate.name if share else rate.numerator

    def names_part_of_metric(self, text: str, value: Match, metrics: list[str]) -> bool:
        """ "知识库自助解决率": a value's word inside the name of a metric the question asks for is part of
        that name, not a filter (the rate of self-service resolutions is not 100% self-service)."""
        words = {text.strip(), *(str(t.value) for t in value.terms if t.kind == "value")}
        for name in metrics:
            if any(word and word in n for word in words for n in own_words(self.model.metric(name))):
                return True
        return False

    def counts_of_values(self, reading: Reading) -> None:
        """ "how many tickets were resolved", "昨天解决了几单": a plain count filtered to a value that a
        count of the model is defined by is that count (resolved tickets: status 已解决 or 已关闭)."""
        if any(not self.is_plain_count(m) for m in reading.metrics):
            return
        for condition in list(reading.filters):
            if condition.op != "eq" or not condition.dimension or condition.dimension in reading.qualifiers:
                continue  # "tickets with status closed": the status named, a filter on it
            literal = f"'{condition.values[0]}'"
            tables = {getattr(self.model.metric(m), "table", None) for m in reading.metrics}
            counts = [
                m for m in self.model.metrics
                if isinstance(m, SimpleMetric) and m.agg == "count" and not m.hidden and m.filter
                and literal in m.filter and (not reading.metrics or m.table in tables)
            ]  # fmt: skip
            if len(counts) == 1:
                reading.filters.remove(condition)
                reading.metrics = [counts[0].name]
                reading.metric_positions = {counts[0].name: min(reading.metric_positions.values(), default=0)}
                return

    def drop_subject_counts(self, reading: Reading, matches: list[Match], work: str) -> None:
        """ "P1工单的平均解决时长", "resolution time of P1 tickets": a plain count next to another metric
        names the records, not a second metric, unless a conjunction joins them ("工单量和投诉率")."""
        metric_matches = [m for m in matches if m.kind == "metric" and len(m.names("metric")) == 1]
        named_flags = {n for n in reading.metrics if flag_dimension(self.model, n)}  # which records, not what
        for index, match in enumerate(metric_matches):
            name = match.names("metric")[0]
            if not self.is_plain_count(name) or len(reading.metrics) < 2:
                continue
            neighbours = metric_matches[max(0, index - 1) : index] + metric_matches[index + 1 : index + 2]
            before = metric_matches[index - 1 : index]
            if (
                before
                and has_cjk(work[match.start : match.end])
                and _MEASURE_WORD.search(work[match.start : match.end])
                and any(before[0].end <= at < match.start for *_, at in reading.thresholds)
            ):
                continue  # "首响超过两小时的工单数": the records counted, the measure before is their condition
            ranked = _ranked_beside(work, match)
            counts_too = any(is_count(self.model.metric(m)) for m in reading.metrics if m != name)
            if _SORTED_BY.search(work[: match.start]) or (ranked and not counts_too):
                continue  # "sorted by tickets", "NPS of the cities with the most tickets": the measure ranked by
            following = metric_matches[index + 1 : index + 2]
            if (
                following
                and self.is_plain_count(following[0].names("metric")[0])
                and not _joined(match, following[0], work)
                and (
                    has_cjk(work[match.start : match.end])
                    or all(self.is_plain_count(m) for m in reading.metrics if m not in named_flags)
                )  # ("NPS from surveys on tickets": both the records of the NPS)
            ):
                continue  # "回访了多少单": the first count is what is counted, the second its unit
            words = work[match.start : match.end]
            if (
                has_cjk(words)
                and not _MEASURE_WORD.search(words)
                and not any(_joined(match, other, work.replace(",", " ")) for other in neighbours)
            ):  # "晚上进来的VIP单子，首响中位数多少": 单子 says whose, the comma is not "and"
                reading.metrics.remove(name)
                reading.metric_positions.pop(name, None)
                continue
            preceding = metric_matches[index - 1 : index]
            after_count = bool(preceding) and self.is_plain_count(preceding[0].names("metric")[0])
            joined = any(_joined(match, other, work) for other in neighbours)
            if after_count and not _joined(preceding[0], match, work):
                joined = False  # the unit of the count before it
            if not joined and name in reading.metrics:
                reading.metrics.remove(name)
                reading.metric_positions.pop(name, None)

    def flags_as_groups(self, reading: Reading, matches: list[Match], work: str) -> None:
        """ "非投诉单的平均满意度", "CSAT on complaint vs non-complaint tickets": a count of flagged records
        beside another measure names which records (the flag true, or false after 非 / non- / 没), and
        both together are a grouping by the flag."""
        said: dict[str, set[bool]] = {}
        for match in matches:
            names = match.names("metric")
            flag = (
                flag_dimension(self.model, names[0]) if match.kind == "metric" and len(names) == 1 else None
            )
            if flag is None:
                continue
            if _ranked_beside(work, match):
                continue  # "the three models with the most complaints": the count ranks, it is a measure
            others = [m for m in reading.metrics if m != names[0]]
            window = max(0, match.start - 16)
            negation = _FLAG_NEGATION.search(work[window : match.start])
            negated = bool(negation)
            if negation:  # read as the flag's "not" ("weren't reopened")
                reading.negations.append((window + negation.start(1), window + negation.end(1)))
            neighbours = [m for m in matches if m.kind == "metric" and m is not match]
            measured = bool(_MEASURE_WORD.search(work[match.start : match.end]))  # 投诉量, not 投诉单
            joined = any(
                _joined(match, o, work if measured else work.replace(",", " "))
                and not _FLAG_NEGATION.search(work[max(0, o.start - 5) : o.start])
                for o in neighbours
                if o.names("metric") != names
            )  # "工单量、投诉量和投诉率": several measures, not which records
            both_ways = _OR_NOT_AFTER.match(work[match.end :]) or _WHETHER_BEFORE.search(work[: match.start])
            if (not others or joined) and not negated and not both_ways:
                continue
            said.setdefault(flag, set()).add(not negated)
            both = _OR_NOT_AFTER.match(work[match.end :])
            if _BY_FLAG_BEFORE.search(work[: match.start]) or both:
                said[flag] |= {True, False}  # "CSAT split by reopened or not", "按是否投诉": both sides
                if both and both.group("not"):  # "...compared with ones that weren't": the other side
                    reading.negations.append((match.end + both.start("not"), match.end + both.end("not")))
            if names[0] in reading.metrics:
                reading.metrics.remove(names[0])
                reading.metric_positions.pop(names[0], None)
                if not reading.metrics:  # "非投诉单有多少": the records' plain count
                    count = self.plain_count_of(self.model.metric(names[0]))
                    if count:
                        reading.metrics.append(count)
                        reading.metric_positions[count] = match.start
        for flag, values in said.items():
            if len(values) == 2:
                reading.dimensions.append(flag)
            else:
                reading.filters.append(Filter(dimension=flag, op="eq", values=(values.pop(),)))

    def metric_condition(self, metric_name: str) -> Filter | None:
        """A count's own filter as a condition on a dimension or a record field, when it is that
        simple (resolved tickets: status IN ('已解决', '已关闭'); detractors: nps_score <= 6)."""
        metric = self.model.metrics_by_name.get(metric_name)
        condition, table = getattr(metric, "filter", None), getattr(metric, "table", "")
        if getattr(metric, "agg", None) != "count":
            return None
        compared = re.fullmatch(r"\s*(\w+)\s*(>=|<=|>|<|=)\s*(-?\d+(?:\.\d+)?)\s*", condition or "")
        if compared is not None:
            op = {">=": "gte", "<=": "lte", ">": "gt", "<": "lt", "=": "eq"}[compared.group(2)]
            for attribute in self.model.attributes:
                if attribute.table == table and squash_sql(attribute.sql) == squash_sql(compared.group(1)):
                    return Filter(field=attribute.name, op=op, values=(_number(float(compared.group(3))),))  # type: ignore[arg-type]
            return None
        said = re.fullmatch(r"\s*(\w+)\s*(?:=\s*'([^']*)'|in\s*\((.*)\))\s*", condition or "", re.IGNORECASE)
        if said is None:
            return None
        values = (
            (said.group(2),) if said.group(2) is not None else tuple(re.findall(r"'([^']*)'", said.group(3)))
        )
        for dimension in self.model.dimensions:
            if values and squash_sql(dimension.on.get(table, "")) == squash_sql(said.group(1)):
                return Filter(dimension=dimension.name, op="eq" if len(values) == 1 else "in", values=values)
        return None

    def plain_count_of(self, metric: object) -> str | None:
        table = getattr(metric, "table", None)
        counts = [
            m.name
            for m in self.model.metrics
            if self.is_plain_count(m.name) and getattr(m, "table", None) == table
        ]
        return counts[0] if counts else None

    def plain_counts_on(self, table: str) -> list[str]:
        """The visible counts of every record of `table` (tickets: the ticket count)."""
        return [
            m.name for m in self.model.metrics
            if not m.hidden and self.is_plain_count(m.name) and getattr(m, "table", None) == table
        ]  # fmt: skip

    def is_plain_count(self, name: str) -> bool:
        metric = self.model.metrics_by_name.get(name)
        return getattr(metric, "agg", None) == "count" and getattr(metric, "filter", None) is None

    def sibling_by_aggregation(self, name: str, text: str) -> list[str]:
        """ "p90 first response time": the metric of the same measure with the aggregation the words just
        before it ask for (`text`)."""
        metric = self.model.metrics_by_name[name]
        expr, table = getattr(metric, "expr", None), getattr(metric, "table", None)
        if not expr:
            return [name]
        found: list[tuple[int, str]] = []  # "avg and p90 first response": each aggregation asked, in order
        for pattern, aggs in ((_MEDIAN, ("median",)), (_PERCENTILE, ("percentile",)), (_AVERAGE, ("avg",))):
            said = pattern.search(text)
            if not said:
                continue
            for other in self.model.metrics:
                if (
                    getattr(other, "agg", None) in aggs
                    and getattr(other, "table", None) == table
                    and squash_sql(getattr(other, "expr", "") or "") == squash_sql(expr)
                ):
                    found.append((said.start(), other.name))
                    break
        if len(found) > 1 and not _CONJUNCTION.search(text):
            found = sorted(found)[-1:]  # "average p90": the word nearest the measure
        return [n for _, n in sorted(found)] or [name]

    def disambiguate(self, names: list[str], text: str) -> list[str]:
        """Several metrics share a word ("response time"): words like average or median decide."""
        for pattern, hints in (
            (_MEDIAN, ("median", "中位")),
            (_PERCENTILE, ("p90", "90")),
            (_AVERAGE, ("avg", "average", "平均")),
        ):
            if pattern.search(text):
                chosen = [
                    n
                    for n in names
                    if any(h in n or h in self.model.metric(n).label.get("zh") for h in hints)
                ]
                if len(chosen) == 1:
                    return chosen
        return names

    def value_filters(self, values: list[Match], work: str, reading: Reading) -> list[Filter]:
        chosen: dict[str, list[tuple[str, bool]]] = {}
        previous_end = 0
        negating = False
        listed: list[str] = []  # the values of the list being read ("P3、P4"), for a negation after it
        for match in values:
            dimension = self.pick_dimension(match, reading)
            value = next(t.value for t in match.terms if t.kind == "value" and t.name == dimension)
            between = work[previous_end : match.start]
            negation = cues.EXCLUDE.search(between)
            if negation:
                negating = True
                reading.negations.append((previous_end + negation.start(), previous_end + negation.end()))
            elif not _SEPARATOR.match(between) or "的" in between:
                negating = False  # "非电话渠道的P1单": 的 ends what 非 negates; P1 is a new condition
            if not _SEPARATOR.match(between) or "的" in between:
                listed = []
            after = work[match.end : match.end + 16]
            negated_after = cues.NEGATION_AFTER.match(after)
            if negated_after:
                reading.negations.append(
                    (match.end + negated_after.start(1), match.end + negated_after.end(1))
                )
                for earlier in listed:  # "P3、P4以外": the whole list before the word is left out
                    items = chosen.get(dimension, [])
                    if (earlier, False) in items and (earlier, True) not in items:
                        items[items.index((earlier, False))] = (earlier, True)
            negated = negating or bool(negated_after)
            if value is not None and (value, negated) not in chosen.setdefault(dimension, []):
                chosen[dimension].append((value, negated))
            if value is not None:
                listed.append(value)
            previous_end = match.end
        filters = []
        for dimension, items in chosen.items():
            for negated in (False, True):
                picked = [v for v, n in items if n == negated]
                if not picked:
                    continue
                if (
                    not negated
                    and len(picked) > 1
                    and set(map(str, picked)) >= set(self.values.get(dimension, ("",)))
                ):
                    if dimension not in reading.dimensions:  # "day shift vs night shift": every value named
                        reading.dimensions.append(dimension)  # is no filter, only the grouping
                    continue
                if negated:
                    op = "ne" if len(picked) == 1 else "not_in"
                else:
                    op = "eq" if len(picked) == 1 else "in"
                filters.append(Filter(dimension=dimension, op=op, values=tuple(picked)))  # type: ignore[arg-type]
        return filters

    def pick_dimension(self, match: Match, reading: Reading) -> str:
        """A value several dimensions share (北京 the province and the city): the one the question names."""
        names = match.names("value")
        named = [n for n in names if n in reading.qualifiers or n in reading.dimensions]
        return named[0] if named else names[0]

    # --- assembling ----------------------------------------------------------------------------------

    def fresh(self, lang: Language, reading: Reading) -> Intent:
        if reading.period_before:  # "complaints the month before": before what? nothing was shown
            reading.unplaced.append(f"the {reading.period_before} before")
        distinct = self.counted_dimension(reading)
        if distinct is not None:  # the people counted, not grouped by
            table = getattr(self.model.metric(distinct), "table", "")
            expr = squash_sql(getattr(self.model.metric(distinct), "expr", "") or "")
            reading.metrics = [distinct]
            reading.dimensions = [
                d
                for d in reading.dimensions
                if squash_sql(self.model.dimension(d).on.get(table, ""))
                not in (expr, expr.removesuffix("_id"))
            ]
        metrics = list(reading.metrics)
        averages = tuple(m for m in metrics if getattr(self.model.metric(m), "agg", None) == "avg")
        low_score = reading.low_score(level_of=averages if reading.has(cues.WHY) else ())
        keys = {t.primary_key for t in self.model.tables if t.primary_key}
        named_keys = keys & set(reading.fields)
        counted_keys = False
        if named_keys and not metrics and reading.dimensions and not reading.has(cues.DETAIL):
            # "ticket numbers by region": how many, per region (a list has no groups)
            metrics = self.plain_counts_on(self.model.attributes_by_name[next(iter(named_keys))].table)[:1]
            named_keys = set() if metrics else named_keys
            counted_keys = bool(metrics)
        wants_detail = (
            reading.has(cues.DETAIL)
            or (
                reading.looked_up
                and all(self.is_plain_count(m) for m in metrics)
                and not (reading.has(cues.HOW_MANY) or reading.has(_COUNT_WORDS))
            )  # "ticket T000123456", "客户C00008284的工单列一下": the records
            or (low_score and not metrics)
            or bool(named_keys)
            or (
                bool(reading.mentions) and not metrics and reading.has(_WHICH_OR_SHOW)
            )  # "提到“态度”的有哪些"
        )
        counted = reading.has(cues.HOW_MANY) or reading.has(_COUNT_WORDS)
        trended = reading.grain is not None or reading.has(cues.TREND)  # "show the weekly trend of tickets"
        listed = len(metrics) > 1  # "give me tickets, complaints and CSAT": measures, not records
        if (
            reading.has(cues.SHOW_RECORDS)
            and not reading.dimensions
            and not counted
            and not trended
            and not listed
        ):
            wants_detail = wants_detail or all(  # "show reopened RV-20 tickets": the reopened ones, listed
                self.is_plain_count(m)
                or self.attribute_for(m)
                or flag_dimension(self.model, m)
                or (
                    bool(reading.thresholds) and is_count(self.model.metric(m))
                )  # "that took over 72h to resolve"
                for m in metrics
            )
        columns = [  # fields named by words read as fields ("tickets + CSAT by channel" names measures)
            ref
            for _, _, role, ref in reading.spans
            if role == "field" and ref in self.model.attributes_by_name and not (counted_keys and ref in keys)
        ]  # fmt: skip ("ticket numbers per province" counts them: no column)
        as_columns = _COLUMNS_NAMED.search(reading.text)
        if as_columns and all(  # "列出来 带上客服和型号": dimensions named as the list's columns
            start > as_columns.start()
            for start, _, role, ref in reading.spans
            if role == "dimension" and ref in reading.dimensions
        ):
            columns = columns or list(reading.dimensions)
        if (
            wants_detail
            and reading.dimensions
            and metrics
            and not low_score
            and not columns
            and not reading.looked_up
        ):
            wants_detail = False  # "FCR不到七成的客服名单": a list of agents is a breakdown by agent
        scored_rows = (
            bool(reading.thresholds)
            and reading.has(_SHOW_VERB)
            and all(self.attribute_for(m) for m in metrics)
        )  # "show me csat 2 or less ... w customer names": the surveys, the score their condition
        if (
            columns
            and metrics
            and not (counted or trended or reading.has(cues.DISTRIBUTION))
            and (all(is_count(self.model.metric(m)) for m in metrics) or scored_rows)
        ):
            wants_detail = True  # "打1分的回访，评价时间和评论都要", "surveys rated 5, with their comments"
        if wants_detail and not (
            metrics or reading.fields or reading.filters or reading.mentions or reading.thresholds
        ):
            return self.clarify_records(lang, reading)  # "把上个月的数据拉出来": a list of which records?
        if wants_detail:  # ("complaint tickets - ticket id, agent and region": a list with those columns)
            return self.detail(lang, reading)
        implied: str | None = None
        if not metrics and reading.has(_AVERAGE):  # "average resolution hours": the field's average
            averaged = [a for a in (self.average_of(f) for f in reading.field_positions) if a]
            metrics = averaged[:1]
        if not metrics:
            if reading.has(cues.DISTRIBUTION) and reading.field_positions:
                numeric = [
                    f
                    for f in reading.field_positions
                    if self.format_of(f) in ("score", "number", *_DURATIONS)
                ]
                return self.distribution(lang, reading, (numeric or list(reading.field_positions))[0])
            implied = self.implied_count(reading)
            if implied is None:
                return self.clarify_headline(lang, reading)
            metrics = [implied]
        filters = [f for f in reading.filters if not _examples_of(f, reading)] + self.mention_filters(reading)
        if low_score:
            filters += self.low_score_filters()
        metrics, record_filters, metric_filters = self.thresholds(reading, metrics, detail=False)
        filters += record_filters
        filters = [  # "do reopened tickets get lower CSAT? by reopen flag": both sides, compared
            f
            for f in filters
            if not (f.dimension in reading.dimensions and self.model.dimension(f.dimension).type == "boolean")
        ]
        dims = [DimensionRef(name=d) for d in reading.dimensions]
        if reading.has(cues.SIDE_BY_SIDE):  # "比较华东和华南": the values side by side
            for condition in reading.filters:
                if (
                    condition.op == "in"
                    and condition.dimension
                    and condition.dimension not in reading.dimensions
                ):
                    dims.append(DimensionRef(name=condition.dimension))
        if reading.has(cues.DISTRIBUTION) and not dims:
            attribute = self.attribute_for(metrics[0], detail=True) or next(
                iter(reading.field_positions), None
            )
            if attribute is not None:
                return self.distribution(lang, reading, attribute)
        if reading.has(cues.CONCENTRATION) and dims:
            return self.concentration(lang, reading, metrics, filters)
        if reading.has(cues.WHY):
            return self.explain(lang, reading, metrics, filters)
        trend = reading.grain is not None or reading.has(cues.TREND)
        snapshot_now = not trend and all(self.model.metric(m).type == "snapshot" for m in metrics)
        notes: list[str] = []
        time_range: TimeRange | None = None  # "what's the backlog": a snapshot with no time is taken now
        if not (snapshot_now and reading.time is None and reading.compare is None):
            time_range, notes = self.time_range(lang, reading, default_this_month=reading.compare is not None)
        column = reading.time_columns[0] if reading.time_columns else None
        said_as_verb = any(  # "tickets raised at night": how they came, not "tickets by closed date"
            role == "dimension"
            and ref == column
            and re.match(r"\s+(?:at|in|on|during|from|via|through)\b", reading.text[end:])
            for _, end, role, ref in reading.spans
        )
        if column is not None and not trend and reading.time is None and not said_as_verb:
            trend = True  # "tickets by closed date": a series by that date
        if column is not None and column != self.time_dimension(metrics[0]) and not trend and time_range:
            filters += _period_on(column, time_range)  # "resolved in September": the period of that date
            time_range, notes = None, []
        if trend:
            grain = reading.grain or _grain_for(time_range)
            time_dimension = column or self.time_dimension(metrics[0])
            dims = [d for d in dims if d.name != time_dimension]
            dims.append(DimensionRef(name=time_dimension, grain=grain))  # type: ignore[arg-type]
        ranked = _SUPERLATIVE.search(reading.cue_text)
        if ranked and not any(d.grain is None for d in dims) and not reading.grain:
            person = self.person_dimension() if reading.has(_WHO) else None
            if person is not None:  # "who handled the most tickets": the agent at the top
                dims.insert(0, DimensionRef(name=person))
                reading.singular = True
            else:  # "the most" of nothing grouped: which groups? asked, never a total
                reading.unplaced.append(ranked.group(0))
        order_by, limit = self.ranking(reading, metrics, dims)
        if metric_filters and not dims:  # "NPS score 6 or lower": no groups to keep or drop, so what? asked
            reading.unplaced += [f"{f.values[0]:g}" for f in metric_filters]
            metric_filters = []
        query = SemanticQuery(
            metrics=tuple(metrics),
            dimensions=tuple(dims),
            filters=tuple(filters + metric_filters),
            time_range=time_range,
            compare=reading.compare,  # type: ignore[arg-type]
            order_by=tuple(order_by),
            limit=limit,
        )
        if implied is not None:
            label = self.model.metric(implied).label.get(lang) or implied
            notes.append(f"按「{label}」排名" if lang == "zh" else f"Ranked by {label}")
        confidence = self.confidence(reading) - (0.15 if implied is not None else 0)  # a measure guessed
        return Intent(
            kind="metric", query=query, confidence=round(confidence, 2), language=lang, notes=tuple(notes)
        )

    def counted_dimension(self, reading: Reading) -> str | None:
        """ "How many reps were handling tickets": the distinct count of the dimension counted, when the
        model has one (active agents: count_distinct of the agent column)."""
        for start, _, role, ref in reading.spans:
            if role != "dimension" or not ref or not re.search(r"\bhow many\s+$", reading.text[:start]):
                continue
            dimension = self.model.dimension(ref.split(" | ")[0])
            for metric in self.model.metrics:
                column = squash_sql(dimension.on.get(getattr(metric, "table", ""), ""))
                counted = squash_sql(getattr(metric, "expr", "") or "")
                if (
                    not metric.hidden
                    and getattr(metric, "agg", None) == "count_distinct"
                    and column
                    and counted in (column, f"{column}_id")  # agent_id counts the agents
                ):
                    return metric.name
        return None

    def implied_count(self, reading: Reading) -> str | None:
        """The count a ranking of a dimension with no metric named means ("which complaint type is the
        most common", "top 5 boroughs"): the one plain, visible count of the dimension's own table;
        None when there is no such question or no single such count."""
        ranked = reading.direction in ("high", "low") or reading.top_n is not None or reading.has(cues.RANK)
        counted = [f.dimension for f in reading.filters if f.dimension and f.op in ("eq", "in")]
        if not counted and not reading.dimensions and reading.has(_COUNT_WORDS) and reading.field_positions:
            table = self.model.attributes_by_name[next(iter(reading.field_positions))].table
            same = self.plain_counts_on(table)
            return same[0] if len(same) == 1 else None  # "5星评价有多少": the surveys counted
        records = [unit for *_, unit, _ in reading.thresholds if unit and _RECORD_UNIT.fullmatch(unit)]
        for unit in records:  # "cities with at least 500 tickets": the count the unit names
            named_count = self.count_named_by(unit)
            if named_count:
                return named_count
        shares = reading.has(cues.SHARE) and not counted  # "各种解决方式分别占多少": of all tickets
        if (ranked or records or shares) and reading.dimensions:
            named = reading.dimensions[0]  # "top 5 boroughs", "cities with at least 500 tickets"
        elif (
            counted
            and (reading.has(cues.HOW_MANY) or reading.has(_COUNT_WORDS))
            and not any(p.search(reading.cue_text) for p in (cues.DURATION, cues.SHARE, _AVERAGE, _MEDIAN))
        ):
            named = counted[0]  # "how many P1s this week": the records with that value
        else:
            return None
        dimension = self.model.dimension(named)
        counts = [
            m.name
            for m in self.model.metrics
            if isinstance(m, SimpleMetric) and m.agg == "count" and not m.filter and not m.hidden
            and m.table in dimension.on
        ]  # fmt: skip
        return counts[0] if len(counts) == 1 else None

    def ranking(
        self, reading: Reading, metrics: list[str], dims: list[DimensionRef]
    ) -> tuple[list[OrderBy], int | None]:
        categorical = [d for d in dims if d.grain is None] or ([d for d in dims] if reading.singular else [])
        if not categorical:
            return [], None
        direction = reading.direction
        wants_order = direction is not None or reading.top_n is not None or reading.has(cues.RANK)
        if not wants_order:
            return [], None
        ranked = self.ranked_metric(reading, metrics)
        desc = self.descending(reading, ranked)
        limit = reading.top_n
        if limit is None and direction is not None and reading.singular:
            limit = 1
        elif limit is None and cues.GENERIC_TOP.search(reading.text) and not reading.has(cues.RANK):
            limit = 10
        return [OrderBy(field=ranked, desc=desc)], limit

    def ranked_metric(self, reading: Reading, metrics: list[str]) -> str:
        """Of several measures, the one the superlative is said of, the nearest to it ("CSAT of the three
        models with the most complaints": ranked by complaints); the first one otherwise."""
        said = [
            m.start() for pattern, _ in cues.SUPERLATIVES for m in pattern.finditer(reading.text)
        ]  # fmt: skip
        placed = [m for m in metrics if m in reading.metric_positions]
        by = [  # "按投诉量排序", "sorted by CSAT": the measure named after the sort word
            name for start, _, role, ref in reading.spans if role == "metric" and ref
            and _SORTED_BY.search(reading.text[:start]) for name in ref.split(" | ")[:1] if name in metrics
        ]  # fmt: skip
        if by:
            return by[0]
        if len(metrics) < 2 or not said or len(placed) < 2:
            return metrics[0]
        return min(placed, key=lambda m: min(abs(reading.metric_positions[m] - at) for at in said))

    def thresholds(
        self, reading: Reading, metrics: list[str], *, detail: bool
    ) -> tuple[list[str], list[Filter], list[Filter]]:
        """Comparisons with numbers become metric filters (on groups) or record filters (on rows), in the
        measure's own unit ("over 8 hours" on minutes is 480). A comparison that fits no measure is
        kept in `reading.unplaced`, never dropped: the question is asked back."""
        record: list[Filter] = []
        on_groups: list[Filter] = []
        remaining = list(metrics)
        restated = set() if detail else self.restated_conditions(reading, metrics)
        for op, number, unit, position in reading.thresholds:
            if position in restated:  # "satisfied responses (4-5)": the measure's own condition, said
                continue
            target = self.threshold_target(reading, position, unit, detail=detail)
            if target in self.model.metrics_by_name and not detail:  # "surveys with an NPS score below 7"
                fields = [
                    a.name
                    for a in self.model.attributes
                    if self.field_said_as_measure(reading, a.name, position)
                ]
                if len(fields) == 1 and self.records_with(reading, fields[0], position):
                    target = fields[0]
            metric = self.model.metrics_by_name.get(target or "")
            rows = target is not None and metric is None and self.counts_rows_of(target, remaining, reading)
            if target is not None and metric is None and reading.dimensions and not detail and not rows:
                average = self.average_of(target)  # "issue types taking over 48 hrs on average": groups
                if average is not None:
                    target, metric = average, self.model.metric(average)
                    counts = [m for m in remaining if getattr(self.model.metric(m), "agg", None) == "count"]
                    remaining = [average, *(m for m in remaining if m != average and m not in counts)]
            if target is None:
                reading.unplaced.append(_said(number, unit))
                continue
            value = _in_unit(number, unit, self.format_of(target))
            if unit in ("%", "percent", "个百分点") or (
                metric is not None and metric.format == "percent" and number > 1
            ):
                value = number / 100
            attribute = self.attribute_for(target, detail=detail) if metric is not None else target
            counted_with = self.records_with(reading, target, position) if target and not detail else None
            if attribute is not None and (detail or not reading.dimensions or rows or counted_with):
                record.append(Filter(field=attribute, op=op, values=(_number(value),)))  # type: ignore[arg-type]
                if metric is None and counted_with and not remaining:
                    remaining = [counted_with]
                elif metric is None and counted_with:  # "surveys with an NPS score of 0 to 6": those counted
                    spoken = self.field_said_as_measure(reading, attribute, position)
                    remaining = list(dict.fromkeys(counted_with if m in spoken else m for m in remaining))
                if metric is None:  # "tickets that took over 48 hours to resolve": the word is the field's
                    remaining = [self.said_of_field(m, attribute, position, reading) or m for m in remaining]
                counted = (
                    self.plain_count_of(metric) if metric is not None and reading.has(_COUNT_WORDS) else None
                )
                if target in remaining and counted and not detail:  # "首响超过30分钟的工单有多少": a count
                    remaining[remaining.index(target)] = counted
                elif target in remaining and len(remaining) > 1:
                    remaining.remove(target)
                elif target in remaining and counted_with:  # "surveys with a CSAT score of 2 or less"
                    remaining[remaining.index(target)] = counted_with
            elif metric is not None and target in remaining:
                on_groups.append(Filter(metric=target, op=op, values=(_number(value),)))  # type: ignore[arg-type]
            else:
                reading.unplaced.append(_said(number, unit))
        return remaining, record, on_groups

    def records_with(self, reading: Reading, target: str, position: int) -> str | None:
        """The plain count of the records named just before the words of a measure or score that only
        name their field ("surveys with a CSAT score below 3", "surveys with an NPS score of 0 to 6": the
        surveys counted, the score is their condition)."""
        measure = self.model.metrics_by_name.get(target)
        table = getattr(measure, "table", None) if measure else self.model.attributes_by_name[target].table
        spans = [(s, e, ref) for s, e, role, ref in reading.spans if role == "metric"]
        said = [(s, e) for s, e, _ in spans if e <= position]
        if not said:
            return None
        where = said[-1][0]
        for _, end, ref in spans:
            if end <= where and _WITH_FIELD.fullmatch(reading.text[end:where]):
                counts = [
                    n for n in (ref or "").split(" | ")
                    if self.is_plain_count(n) and getattr(self.model.metric(n), "table", None) == table
                ]  # fmt: skip
                if counts:
                    return counts[0]
        return None

    def field_said_as_measure(self, reading: Reading, attribute: str, position: int) -> set[str]:
        """The measures read from the last words before `position` when they are also the field's own
        words ("NPS score" names the NPS and the score field both)."""
        own = {normalize(w) for w in own_words(self.model.attributes_by_name[attribute])}
        said = [(s, e, ref) for s, e, role, ref in reading.spans if role == "metric" and e <= position]
        if not said or reading.text[said[-1][0] : said[-1][1]].strip() not in own:
            return set()
        return set((said[-1][2] or "").split(" | "))

    def said_of_field(self, name: str, attribute: str, position: int, reading: Reading) -> str | None:
        """The plain count, when a count's word comes after a threshold and names the field compared
        ("took over 48 hours to resolve": the tickets counted, "resolve" says which duration)."""
        field = self.model.attributes_by_name[attribute]
        said = [
            reading.text[start:end]
            for start, end, role, ref in reading.spans
            if role == "metric" and ref and name in ref.split(" | ") and start > position
        ]
        if not said or not any(_shares_a_word(field, words) for words in said):
            return None
        counts = self.plain_counts_on(field.table)
        return counts[0] if counts and is_count(self.model.metric(name)) else None

    def counts_rows_of(self, attribute: str, metrics: list[str], reading: Reading) -> bool:
        """Whether a condition on a record field counts rows even in groups: a count of the field's
        table is named and no average ("tickets that took over 3 days to resolve by region")."""
        field = self.model.attributes_by_name.get(attribute)
        table = field.table if field is not None else None
        return not reading.has(_AVERAGE) and any(
            is_count(self.model.metric(m)) and getattr(self.model.metric(m), "table", None) == table
            for m in metrics
        )

    def restated_conditions(self, reading: Reading, metrics: list[str]) -> set[int]:
        """Where the question restates the condition a measure counts by ("satisfied (4 or 5 stars)" is
        the satisfied count's csat_score >= 4): positions of thresholds to leave out, not to add again."""
        counts = [self.model.metric(m) for m in metrics]  # a count or a rate of one: not a score (NPS)
        bounds = set().union(
            *(condition_bounds(self.model, m) for m in counts if is_count(m) or isinstance(m, RatioMetric))
        )
        return {position for op, number, _, position in reading.thresholds if restates(bounds, op, number)}

    def person_dimension(self) -> str | None:
        """The dimension "who" asks for: the one naming the people who handle the work (agents), by
        its name first, then by its label."""
        categorical = [d for d in self.model.dimensions if d.type == "categorical"]
        named = [d.name for d in categorical if _PEOPLE.fullmatch(d.name.replace("_", " "))]
        labelled = [d.name for d in categorical if _PEOPLE.fullmatch(normalize(d.label.get("zh") or ""))]
        found = named or labelled
        return found[0] if found else None

    def average_of(self, attribute: str) -> str | None:
        """The visible average of a record field (resolution_hours -> avg_resolution_hours)."""
        found = [
            m.name for m in self.model.metrics
            if getattr(m, "agg", None) == "avg" and not m.hidden and self.attribute_for(m.name) == attribute
        ]  # fmt: skip
        return found[0] if len(found) == 1 else None

    def threshold_target(
        self, reading: Reading, position: int, unit: str | None = None, *, detail: bool = False
    ) -> str | None:
        """The metric (or, in a detail list, the field) a number compares: the nearest one before it.
        A unit narrows the candidates ("more than 72 hours": only a duration); with no measure named,
        the one field in that unit, or nothing when several could be meant."""
        candidates = dict(reading.metric_positions)
        if detail:  # a list compares record fields: a metric named stands for the field it measures
            measured = {self.attribute_for(m, detail=True): p for m, p in reading.metric_positions.items()}
            candidates = {**{a: p for a, p in measured.items() if a}, **reading.field_positions}
        numeric = ("score", "number", "count", "percent", *_DURATIONS)  # never a name or a text field
        candidates = {name: p for name, p in candidates.items() if self.format_of(name) in numeric}
        unit_format = _UNIT_FORMATS.get((unit or "").strip())
        if unit_format:
            kinds = _DURATIONS if unit_format in _DURATIONS else (unit_format,)
            candidates = {name: p for name, p in candidates.items() if self.format_of(name) in kinds}
        named_after = [  # "a 9 or 10 on would-you-recommend": the field named right after the number
            name for name, p in reading.field_positions.items()
            if p > position and _ON_FIELD.fullmatch(reading.text[position:p]) and self.format_of(name) == "score"
        ]  # fmt: skip
        if named_after and unit_format in (None, "score"):
            return named_after[0]
        before = [(p, name) for name, p in candidates.items() if p <= position]
        if before:
            nearest, name = max(before)
            named_by = self.score_named_before(reading, nearest, name)
            if named_by is not None:  # "the would-you-recommend score was 6 or lower": that score
                return named_by
            fields = [  # "surveys with a score under 4": the score named after the count, not the count
                (p, f) for f, p in reading.field_positions.items()
                if nearest < p <= position and self.format_of(f) in ("score", "number", *_DURATIONS)
            ]  # fmt: skip
            if not detail and fields and is_count(self.model.metric(name)) and not unit_format:
                return max(fields)[1]
            return name
        if candidates:
            return min((p, name) for name, p in candidates.items())[1]
        if unit and _RECORD_UNIT.fullmatch(unit) and not detail:
            return self.count_named_by(unit)  # "at least 500 tickets" with no measure named
        if not unit_format:
            return None
        said = [reading.text[s:e] for s, e, role, _ in reading.spans if role == "metric" and e <= position]
        named = [  # "an NPS score of 9 to 10": the words are the measure's and the score field's both
            a.name for a in self.model.attributes
            if a.format == unit_format and said and said[-1].strip() in {normalize(w) for w in own_words(a)}
        ]  # fmt: skip
        if len(named) == 1:
            return named[0]
        same = [a.name for a in self.model.attributes if a.format == unit_format]
        if unit_format not in _DURATIONS:
            return same[0] if same else None  # "打1分": the model's first score (satisfaction)
        # any duration, whatever its unit ("took longer than 3 hours": to respond, or to resolve?)
        same = [a.name for a in self.model.attributes if a.format in _DURATIONS]
        if len(same) > 1:  # "解决用了超过一周", "took over 3 days to resolve": the duration the words name
            near = (
                reading.text[max(0, position - 12) : position] + " " + reading.text[position : position + 45]
            )
            same = [
                name for name in same if _shares_a_word(self.model.attributes_by_name[name], near)
            ] or same
        return same[0] if len(same) == 1 else None  # a duration of what? asked, not guessed

    def score_named_before(self, reading: Reading, position: int, name: str) -> str | None:
        """The score field named right before a bare score word ("would-you-recommend score"): the
        word completes that name, it is no other score."""
        spans = sorted(
            (start, end, ref) for start, end, role, ref in reading.spans if role in ("field", "metric")
        )
        at = next((i for i, (start, *_) in enumerate(spans) if start == position), None)
        if (
            at is None
            or at == 0
            or not _BARE_SCORE.fullmatch(reading.text[spans[at][0] : spans[at][1]].strip())
        ):
            return None
        _, end, ref = spans[at - 1]
        named = (ref or "").split(" | ")[0]
        if (
            reading.text[end:position].strip()
            or named == name
            or self.format_of(named) != self.format_of(name)
        ):
            return None
        return named

    def count_named_by(self, unit: str) -> str | None:
        """The plain count a threshold's unit names ("500 tickets": the ticket count)."""
        for words in (unit, unit + "量", unit + "数"):  # "2000单": 单量, the ticket count
            names = [
                n for m in self.vocabulary.find(words) for n in m.names("metric") if self.is_plain_count(n)
            ]
            if names:
                return names[0]
        return None

    def format_of(self, name: str) -> str | None:
        item = self.model.metrics_by_name.get(name) or self.model.attributes_by_name.get(name)
        return getattr(item, "format", None)

    def attribute_for(self, metric_name: str, *, detail: bool = False) -> str | None:
        """The record field holding the measure a metric aggregates (avg FRT -> first_response_minutes).
        With `detail`, also the one field a derived metric's counts are defined on ("NPS of 0" in a list
        of surveys is nps_score: promoters and detractors are counts of nps_score ranges)."""
        metric = self.model.metrics_by_name.get(metric_name)
        expr = getattr(metric, "expr", None)
        table = getattr(metric, "table", None)
        if expr and table:
            wanted = squash_sql(expr)
            for attribute in self.model.attributes:
                if attribute.table == table and squash_sql(attribute.sql) == wanted:
                    return attribute.name
        if not detail or metric is None:
            return None
        used = set()
        for leaf in leaf_metrics(self.model, metric):
            said = f"{getattr(leaf, 'expr', None) or ''} {getattr(leaf, 'filter', None) or ''}"
            words = set(re.findall(r"[a-z_][a-z0-9_]*", said.lower()))
            used |= {
                a.name for a in self.model.attributes
                if a.table == leaf.table and a.format in ("score", "number", "minutes", "hours") and squash_sql(a.sql) in words
            }  # fmt: skip
        return used.pop() if len(used) == 1 else None

    def low_score_filters(self) -> list[Filter]:
        score = next((a for a in self.model.attributes if a.format == "score"), None)
        return [Filter(field=score.name, op="lte", values=(2,))] if score else []

    def time_range(
        self, lang: Language, reading: Reading, *, default_this_month: bool = False
    ) -> tuple[TimeRange | None, list[str]]:
        if reading.time is not None:
            if reading.time.start is None and reading.time.end is None:
                return None, []
            return TimeRange(start=reading.time.start, end=reading.time.end), []
        if reading.looked_up:  # "ticket T000123456": that record, whenever it was
            return None, []
        period = _compared_period(reading.text) if default_this_month else self.model.default_time_range
        if period is None:
            return None, []
        start, end = resolve_period(period, self.clock.today(), self.model.calendar.week_start)
        if start is None and end is None:
            return None, []
        return TimeRange(start=start, end=end), [default_period_note(period, lang)]

    def time_dimension(self, metric_name: str) -> str:
        leaf = leaf_metrics(self.model, self.model.metric(metric_name))[0]
        name = self.model.table(leaf.table).time_dimension
        if name is None:
            return next(d.name for d in self.model.dimensions if d.type == "time")
        return name

    def confidence(self, reading: Reading, *, follow_up: bool = False) -> float:
        """How sure the reading is, from what makes readings go wrong on the blind sets: a typo forgiven,
        a follow-up, a reference to shown groups, a comparison with a number, an implied measure. The
        router hands readings below its threshold to the LLM when one is configured; `chatbi eval`
        prints the share right per band."""
        confidence = 0.9
        for risky, cost in (
            (reading.fuzzy, 0.1),
            (follow_up, 0.05),
            (reading.reference is not None, 0.1),
            (bool(reading.thresholds), 0.05),
            (bool(reading.time_columns), 0.05),
        ):
            confidence -= cost if risky else 0
        return round(max(confidence, 0.5), 2)

    # --- other kinds ---------------------------------------------------------------------------------

    def detail(self, lang: Language, reading: Reading) -> Intent:
        filters = list(reading.filters) + self.flag_filters(reading.metrics) + self.mention_filters(reading)
        for name in reading.dimensions:  # "重开过的工单号": a yes/no named in a list is its yes
            if self.model.dimension(name).type == "boolean" and not any(f.dimension == name for f in filters):
                filters.append(Filter(dimension=name, op="eq", values=(True,)))
        if reading.low_score():
            filters += self.low_score_filters()
        _, record, on_groups = self.thresholds(reading, list(reading.metrics), detail=True)
        reading.unplaced += [str(f.values[0]) for f in on_groups]  # a list has no groups to compare
        filters += record
        for name in reading.metrics:  # a list shows records: a count names a condition on them, or is asked
            if record or flag_dimension(self.model, name) or self.is_plain_count(name):
                continue  # ("took more than 72 hours to resolve": the duration is the condition)
            condition = self.metric_condition(name)  # "resolved tickets from VIP customers", "detractors"
            if condition is not None:
                filters.append(condition)
            elif not self.attribute_for(name, detail=True):  # "NPS of 0": the field it is defined on
                reading.unplaced.append(name)  # "没解决的单子列出来": open is a snapshot, no condition
        fields = self.detail_fields(reading, filters)
        fields += [
            d for d in reading.dimensions if d not in fields and self.model.dimension(d).type != "time"
        ]
        for column in reading.time_columns:  # "带上建单时间": the timestamp the date is taken from
            on = self.model.dimension(column).on
            fields += [
                a.name for a in self.model.attributes
                if a.type == "timestamp" and a.name not in fields and squash_sql(on.get(a.table, "")) == squash_sql(a.sql)
            ]  # fmt: skip
        time_range, notes = self.time_range(lang, reading)
        query = SemanticQuery(
            fields=tuple(fields), filters=tuple(filters), time_range=time_range, limit=reading.top_n
        )
        return Intent(
            kind="detail", query=query, confidence=self.confidence(reading), language=lang, notes=tuple(notes)
        )

    def mention_filters(self, reading: Reading) -> list[Filter]:
        """A search of the free-text field for each word the question quotes ("提到“态度”的评价"): the
        field named, else the model's one free-text field; asked about when there is none."""
        if not reading.mentions:
            return []
        keys = {t.primary_key for t in self.model.tables}
        texts = [
            a.name for a in self.model.attributes
            if a.type == "string" and a.format is None and a.name not in keys
            and not _NAME_FIELD.search(a.name) and not a.name.endswith("_id")
        ]  # fmt: skip
        named = [f for f in texts if f in reading.fields or f in reading.field_positions]
        chosen = named or texts
        if len(chosen) != 1:
            reading.unplaced += reading.mentions
            return []
        return [Filter(field=chosen[0], op="contains", values=(m,)) for m in reading.mentions]

    def flag_filters(self, metrics: list[str]) -> list[Filter]:
        """ "列出上周投诉的VIP客户": in a list of records, a count of flagged records (complaints) means
        the records with the flag, through a boolean dimension with the count's own filter."""
        flags = [flag_dimension(self.model, name) for name in metrics]
        return [Filter(dimension=flag, op="eq", values=(True,)) for flag in flags if flag]

    def detail_fields(self, reading: Reading, filters: list[Filter]) -> list[str]:
        attributes = self.model.attributes_by_name
        fields = [f for f in [*reading.fields, *reading.field_positions] if f in attributes]
        fields += [self.attribute_for(m) or "" for m in reading.metrics]
        fields += [f.field for f in filters if f.field]
        tables = {attributes[f].table for f in fields if f in attributes}
        for condition in filters:  # who the rows belong to: a filter on customers lists customer fields
            if condition.dimension:
                tables |= set(self.model.dimension(condition.dimension).on) & {
                    a.table for a in self.model.attributes
                }
        if reading.has(_WHO):  # "who rated us a 1": the people, by name
            fields += [
                a.name for a in self.model.attributes if a.type == "string" and _NAME_FIELD.search(a.name)
            ][:1]
        keys = [
            a.name for a in self.model.attributes if any(a.name == t.primary_key for t in self.model.tables)
        ]
        chosen = [k for k in keys if k in attributes][:1]
        for table in sorted(tables):
            chosen += [a.name for a in self.model.attributes if a.table == table and a.type != "timestamp"]
        if not tables:
            chosen += [a.name for a in self.model.attributes][:5]
        return list(dict.fromkeys(f for f in [*chosen, *fields] if f))

    def distribution(self, lang: Language, reading: Reading, attribute: str) -> Intent:
        time_range, notes = self.time_range(lang, reading)
        query = SemanticQuery(fields=(attribute,), filters=tuple(reading.filters), time_range=time_range)
        return Intent(
            kind="distribution",
            query=query,
            confidence=self.confidence(reading),
            language=lang,
            notes=tuple(notes),
        )

    def concentration(
        self, lang: Language, reading: Reading, metrics: list[str], filters: list[Filter]
    ) -> Intent:
        metric = self.model.metric(metrics[0])
        name = getattr(metric, "numerator", None) or metric.name  # shares of a rate are shares of its count
        time_range, notes = self.time_range(lang, reading)
        if metric.type == "snapshot" and reading.time is None:
            time_range, notes = None, []  # "积压主要卡在哪些团队": the backlog now
        query = SemanticQuery(
            metrics=(name,),
            dimensions=(DimensionRef(name=reading.dimensions[0]),),
            filters=tuple(filters),
            time_range=time_range,
        )
        return Intent(
            kind="concentration",
            query=query,
            confidence=self.confidence(reading),
            language=lang,
            notes=tuple(notes),
        )

    def explain(self, lang: Language, reading: Reading, metrics: list[str], filters: list[Filter]) -> Intent:
        changed = reading.has(cues.CHANGE) or reading.compare is not None
        compare = (reading.compare or "previous_period") if changed else None
        time_range, notes = self.time_range(lang, reading, default_this_month=changed)
        query = SemanticQuery(
            metrics=(metrics[0],),
            dimensions=tuple(DimensionRef(name=d) for d in reading.dimensions),
            filters=tuple(filters),
            time_range=time_range,
            compare=compare,  # type: ignore[arg-type]
        )
        return Intent(
            kind="explain_change",
            query=query,
            confidence=self.confidence(reading),
            language=lang,
            notes=tuple(notes),
        )

    def clarify_metric(self, lang: Language, reading: Reading, last: Intent | None) -> Intent:
        names = reading.ambiguous[0]
        options = []
        for index, name in enumerate(names[:4]):
            resolved = Reading(**{**reading.__dict__, "metrics": [name], "ambiguous": []})
            option_intent = self.follow_up(lang, resolved, last) if last is not None else None
            option_intent = option_intent or self.fresh(lang, resolved)
            label = self.model.metric(name).label.get(lang)
            options.append(ClarifyOption(id=f"option{index + 1}", label=label, intent=option_intent))
        question = {"zh": "您指的是哪个指标？", "en": "Which measure do you mean?"}[lang]
        return Intent(
            kind="clarify",
            confidence=0.5,
            language=lang,
            clarification=Clarification(question=question, options=tuple(options)),
        )

    def clarify_headline(self, lang: Language, reading: Reading) -> Intent:
        """ "How are we doing?", "top 5 cities", "上个月的数据": every word understood but no measure named.
        Asked back with the headline measures (those of the catalog's questions first), each option the
        question as read with that measure; refused when a word is not understood either."""
        unknown = unknown_words(reading.rest, reading.text)
        if unknown and len(vague(unknown)) < len(unknown):  # "上个月客服的出勤率": no such measure
            return self.unsupported(lang, reading.text, "no_metric")
        names = [m for q in self.model.verified_questions for m in q.query.get("metrics", ())]
        names += [m.name for m in self.model.metrics if not m.hidden]
        if unknown:  # "how's our SLA looking": the measures whose own words hold the vague word first
            names = sorted(dict.fromkeys(names), key=lambda n: not self.named_in(n, unknown))
        asked = [fits for cue, fits, _ in CHECKS if cue.search(reading.cue_text)]  # "how long": durations
        options: list[ClarifyOption] = []
        for name in dict.fromkeys(names):
            metric = self.model.metric(name)
            if metric.hidden or not all(fits(metric) for fits in asked):
                continue
            try:
                intent = self.fresh(lang, Reading(**{**reading.__dict__, "metrics": [name], "ambiguous": []}))
                if intent.query is None or intent.kind in ("clarify", "unsupported"):
                    continue
                resolve_query(self.model, intent.query)
            except (ValueError, SemanticLayerError):
                continue  # the measure cannot be cut as the question asks
            label = wording.restate(intent, self.model, lang)
            options.append(ClarifyOption(id=f"option{len(options) + 1}", label=label, intent=intent))
            if len(options) == 4:
                break
        if not options:
            return self.unsupported(lang, reading.text, "no_metric")
        return Intent(
            kind="clarify",
            confidence=0.5,
            language=lang,
            clarification=Clarification(question=wording.say("which_measure", lang), options=tuple(options)),
        )

    def clarify_records(self, lang: Language, reading: Reading) -> Intent:
        """ "Pull last month's data": no records or measure named. Asked back: the records listed as the
        question reads, or one of the headline measures for the same period."""
        listed = self.detail(lang, reading)
        unlisted = cues.DETAIL.sub(lambda m: " " * len(m.group(0)), reading.text)  # same length: spans hold
        measures = self.clarify_headline(lang, Reading(**{**reading.__dict__, "text": unlisted}))
        if measures.clarification is None or listed.query is None:
            return measures
        first = ClarifyOption(id="option1", label=wording.restate(listed, self.model, lang), intent=listed)
        others = [
            o.model_copy(update={"id": f"option{i}"})
            for i, o in enumerate(measures.clarification.options[:3], start=2)
        ]
        question = wording.say("which_records", lang)
        return measures.model_copy(
            update={"clarification": Clarification(question=question, options=(first, *others))}
        )

    def named_in(self, name: str, words: list[str]) -> bool:
        own = own_words(self.model.metric(name))
        return any(
            re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", text) for word in words for text in own
        )

    def unsupported(
        self, lang: Language, text: str, why: str, *, first: str | None = None, **details: str
    ) -> Intent:
        """A refusal saying why, with questions the data can answer (`first` leads them)."""
        reasons: dict[str, dict[Language, str]] = {
            "out_of_scope": {"zh": "你可以查看的数据中没有「{words}」，所以无法回答这个问题。", "en": "The data you may see has nothing for '{words}', so this cannot be answered."},
            "unsafe": {"zh": "我只能回答关于数据的问题，不能修改数据、执行SQL或透露系统信息。", "en": "I can only answer questions about the data; I cannot change data, run SQL or reveal system details."},
            "no_metric": {"zh": "这个问题在现有数据中找不到对应的指标。", "en": "The data has no measure that answers this question."},
            "empty": {"zh": "请输入一个问题。", "en": "Please ask a question."},
        }  # fmt: skip
        reason = reasons[why][lang] if why in reasons else wording.MESSAGES[why][lang]
        alternatives = [first] if first else []
        alternatives += [a for a in self.alternatives(lang, text) if a != first]
        return Intent(
            kind="unsupported",
            confidence=0.2,
            language=lang,
            reason=reason.format(**details),
            alternatives=tuple(alternatives[:3]),
        )

    def ask_about_words(self, lang: Language, text: str, intent: Intent, unknown: list[str]) -> Intent:
        """A reading that leaves words out is not answered: the question names the words and offers
        the reading without them (chosen knowingly, it is no longer silent) and questions it can answer."""
        words = wording.join_words(unknown, lang)
        without = wording.say(
            "without_words", lang, question=wording.restate(intent, self.model, lang), words=words
        )
        options = [ClarifyOption(id="option1", label=without, intent=intent)]
        for index, question in enumerate(self.alternatives(lang, text)[:2], start=2):
            options.append(ClarifyOption(id=f"option{index}", label=question, text=question))
        return Intent(
            kind="clarify",
            confidence=0.5,
            language=lang,
            clarification=Clarification(
                question=wording.say("unknown_words", lang, words=words), options=tuple(options)
            ),
            notes=intent.notes,
        )

    def alternatives(self, lang: Language, text: str) -> list[str]:
        """Three questions about the metrics closest to the words used (or the model's examples)."""
        scored = []
        for metric in self.model.metrics:
            if metric.hidden:
                continue
            words = [metric.label.get(lang), *metric.synonyms.all()]
            scored.append((max(fuzz.partial_ratio(normalize(w), text) for w in words if w), metric))
        scored.sort(key=lambda pair: -pair[0])
        template = {"zh": "本月{}", "en": "{} this month"}[lang]
        if scored and scored[0][0] >= 75:
            return [template.format(m.label.get(lang)) for _, m in scored[:3]]
        examples = [q.question.get(lang) for q in self.model.verified_questions]
        return examples[:3] or [template.format(m.label.get(lang)) for _, m in scored[:3]]

    # --- follow-ups ----------------------------------------------------------------------------------

    def narrows(self, reading: Reading, last: Intent | None) -> bool:
        """ "把NPS低于0的大区挑出来" after NPS by region: nothing new but a condition, so the rest stays."""
        query = last.query if last is not None else None
        if query is None or reading.time is not None or not (reading.thresholds or reading.filters):
            return False
        grouped = {d.name for d in query.dimensions if d.grain is None}
        return set(reading.metrics) <= set(query.metrics) and set(reading.dimensions) <= grouped

    def resolve_reference(self, reading: Reading, state: ConversationState) -> Reading:
        """ "那个大区的满意度", "these two models by week", "它为啥这么慢": the groups the last answer showed
        become a filter (the first one, the first two, or all of a top-N); one group is no longer a
        grouping, several stay side by side. Without shown groups, the previous filters stand."""
        count = reading.reference or 0
        candidates = [c for c in (state.shown, state.mentioned) if c is not None]
        if reading.referred:
            candidates = [c for c in candidates if c.dimension in reading.referred]
        if count != 2:  # the values a conversation moved between are only ever "these two"
            candidates = [c for c in candidates if c is not state.mentioned]
        if not candidates:
            before = state.last.query.filters if state.last and state.last.query else ()
            if reading.referred and not any(
                f.dimension in reading.referred for f in (*reading.filters, *before)
            ):
                # "那个组的呢" when no team was shown or named: which one? asked, not answered for all
                said = [reading.text[a:b] for a, b, role, _ in reading.spans if role == "reference"]
                reading.unplaced += said[:1]
            return reading
        shown = candidates[0]
        last = state.last.query if state.last else None
        if count == 0 and (last is None or last.limit is None):
            return reading  # "them" after a full breakdown: the same population, nothing to narrow
        order = shown.values
        if reading.direction is not None and shown.ranked and state.last and state.last.query:
            metric = state.last.query.metrics[0] if state.last.query.metrics else None
            high_first = metric is None or self.descending(reading, metric)
            order = (
                shown.ranked if high_first else tuple(reversed(shown.ranked))
            )  # "最多的那个": by the numbers
        values = order if count == 0 else order[:count]
        if not values:
            return reading
        op = "eq" if len(values) == 1 else "in"
        chosen = Filter(dimension=shown.dimension, op=op, values=values)  # type: ignore[arg-type]
        dimensions = [d for d in reading.dimensions if d != shown.dimension]
        if len(values) > 1:
            dimensions.insert(0, shown.dimension)
        filters = [f for f in reading.filters if f.dimension != shown.dimension] + [chosen]
        return Reading(**{**reading.__dict__, "filters": filters, "dimensions": dimensions, "direction": None,
                          "top_n": None, "singular": False, "narrowed": True})  # fmt: skip

    def follow_up(self, lang: Language, reading: Reading, last: Intent) -> Intent | None:
        """The previous intent with what this turn changes; None when the turn changes nothing."""
        base = last.query
        if base is None:
            return None
        flags = [flag_dimension(self.model, m) for m in reading.metrics]
        if len(flags) == 1 and flags[0] and any(f.dimension == flags[0] for f in base.filters):
            # "and the reopened ones?" after those never reopened: the other side, the same measure
            reading.metrics, reading.metric_positions = [], {}
            reading.filters = [*reading.filters, Filter(dimension=flags[0], op="eq", values=(True,))]
        metrics = self.follow_up_metrics(reading, base)
        filters, groupings = self.follow_up_filters(reading, base, metrics)
        filters += [
            f for f in self.mention_filters(reading) if f not in filters
        ]  # "only those mentioning 等待"
        time_range, compare = self.follow_up_period(lang, reading, base)
        carried = Reading(**{**reading.__dict__, "metrics": metrics, "filters": filters, "compare": compare})
        if time_range is not None:  # the period after this turn ("比9月高了" keeps October, compared)
            carried.time = TimeMatch(time_range.start, time_range.end, (0, 0))
        kept = [f for f in filters if not f.metric]
        if reading.has(cues.WHY) and metrics:
            if not reading.has(cues.CHANGE) and not _LEVEL.search(reading.text) and time_range is not None:
                carried.compare = carried.compare or "previous_period"  # a bare "why?" asks about a change
            return self.explain(lang, carried, metrics, kept)
        if reading.has(cues.DISTRIBUTION) and metrics:
            attribute = self.attribute_for(metrics[0], detail=True) or next(
                iter(reading.field_positions), None
            )
            if attribute is not None:  # "这两个型号的首响时长分布": the rows behind the answer, binned
                query = SemanticQuery(fields=(attribute,), filters=tuple(kept), time_range=time_range)
                confidence = self.confidence(reading, follow_up=True)
                return Intent(kind="distribution", query=query, confidence=confidence, language=lang)
        if reading.has(cues.CONCENTRATION) and groupings and metrics:
            return self.concentration(lang, carried, metrics, kept)
        wants_records = any(reading.has(c) for c in (cues.DETAIL, cues.SHOW_RECORDS, cues.WHICH_ONES))
        named_groups = [g for g in groupings if g not in reading.referred]  # "这几个城市的差评拉出来"
        if any(role == "field" for _, _, role, _ in reading.spans):
            named_groups = []  # "list them with agent and customer name": columns of the list, not groups
        if wants_records and not base.is_detail and not named_groups:
            return self.detail(lang, Reading(**{**carried.__dict__, "filters": kept}))
        changes: dict[str, object] = {"filters": tuple(filters), "time_range": time_range, "compare": compare}
        if base.metrics and metrics != list(base.metrics):
            changes["metrics"] = tuple(metrics)
            changes["order_by"] = tuple(OrderBy(field=metrics[0], desc=o.desc) for o in base.order_by[:1])
        dims = self.follow_up_dimensions(
            reading, base.model_copy(update={"time_range": time_range}), metrics, filters, groupings
        )
        changes["dimensions"] = tuple(dims)
        sorted_by = self.sorted_by(reading)
        ranked = (
            reading.top_n is not None
            or sorted_by is not None
            or (
                reading.direction is not None
                and (reading.singular or bool(base.order_by) or reading.has(_SORT_WORD))
            )
            or (
                reading.has(cues.RANK) and any(d.grain is None for d in base.dimensions)
            )  # "rank them, worst first"
        )
        if ranked and metrics and not reading.narrowed:
            turned = reading.singular and base.limit and base.limit > 1 and _INSTEAD.search(reading.text)
            changes["limit"] = reading.top_n or (1 if reading.singular and not turned else base.limit)
            ranking = sorted_by or metrics[0]
            desc = self.descending(reading, ranking)
            if reading.direction is None and base.order_by and base.order_by[0].field == ranking:
                desc = base.order_by[0].desc  # "show 5 instead" after the lowest 3: still the lowest
            changes["order_by"] = (OrderBy(field=ranking, desc=desc),)
        if reading.narrowed:
            changes["limit"], changes["order_by"] = None, ()
        if not dims and changes.get("order_by"):
            changes["order_by"], changes["limit"] = (), None
        if base.is_detail:
            for key in ("dimensions", "metrics", "order_by"):
                changes.pop(key, None)
            added = [  # "include their comments", "add the agent and customer name": more columns
                f for f in [*reading.field_positions, *reading.dimensions]
                if f not in base.fields and (f in self.model.attributes_by_name or self.model.dimension(f).type != "time")
            ]  # fmt: skip
            if added:
                changes["fields"] = (*base.fields, *added)
        query = base.model_copy(update=changes)
        try:
            query = SemanticQuery.model_validate(query.model_dump())
        except ValueError:
            return None
        if query == base and reading.metrics == list(base.metrics):
            return None if not (reading.time or reading.filters or reading.field_positions) else last
        return Intent(
            kind=last.kind, query=query, confidence=self.confidence(reading, follow_up=True), language=lang
        )

    def follow_up_metrics(self, reading: Reading, base: SemanticQuery) -> list[str]:
        """The metrics asked now: those named (added to the old ones with "too / 也 / 再加上"), or the
        old metric with another aggregation ("中位数呢", "p90?") or as a rate ("rate pls", "占比呢")."""
        old = list(base.metrics)
        named = list(reading.metrics)
        sorted_by = self.sorted_by(reading)
        if sorted_by is not None:  # "sort by NPS from low to high": the same measures, in that order
            return old if sorted_by in old else [*old, sorted_by]
        said = {n for _, _, role, ref in reading.spans if role == "metric" and ref for n in ref.split(" | ")}
        named = [
            n for n in named if n in said or not self.is_plain_count(n)
        ]  # ("the ones that weren't reopened")
        add = cues.ADD.search(reading.text)
        if not named and old and not reading.thresholds:
            sibling = self.sibling_by_aggregation(old[0], reading.cue_text)
            aggregation = _MEDIAN.search(reading.cue_text) or _PERCENTILE.search(reading.cue_text)
            own = getattr(self.model.metric(old[0]), "agg", None)
            asked = "median" if aggregation and _MEDIAN.search(aggregation.group(0)) else "percentile"
            if (
                aggregation and sibling == old[:1] and own != asked
            ):  # "what's the median?" of a measure without one
                reading.unplaced.append(aggregation.group(0))
            rate = self.rate_of(old[0]) if cues.RATE_WORD.search(reading.cue_text) else None
            derived = sibling if sibling != old[:1] else [rate] if rate else []
            return old + [d for d in derived if d not in old] if add else derived or old
        listed = any(reading.has(c) for c in (cues.DETAIL, cues.SHOW_RECORDS, cues.WHICH_ONES))
        if reading.has(cues.NOT_JUST) or (reading.filters and reading.has(_ONLY)) or listed:
            # "only phone tickets", "show me those tickets": whose records, not what is measured
            named = [n for n in named if not self.is_plain_count(n)]
        if reading.filters and old and not any(is_count(self.model.metric(m)) for m in old):
            named = [  # "and for tickets from schools?" after a duration: whose records, not a count
                n for n in named
                if not (self.is_plain_count(n) and _FOR_RECORDS.search(reading.text[: reading.metric_positions.get(n, 0)]))
            ]  # fmt: skip
        if not named or (set(named) <= set(old) and reading.thresholds):
            return old  # nothing asked but the old measures, or a condition on one of them
        if reading.has(cues.SHARE) and len(named) == 1 and len(old) == 1 and self.is_plain_count(named[0]):
            of = [  # "what share of tickets is that?" after the resolved count: the resolution rate
                m.name for m in self.model.metrics
                if isinstance(m, RatioMetric) and not m.hidden and (m.numerator, m.denominator) == (old[0], named[0])
            ]  # fmt: skip
            if len(of) == 1:
                return of
        if add:  # "好评率呢，顺便加上NPS": named before 呢 replace; "把NPS也加上", "add NPS too": added
            replaced = re.search(r"呢|instead|换成|改成", reading.text[: add.start()])
            before = [n for n in named if replaced and reading.metric_positions.get(n, 0) < add.start()]
            return (before or old) + [n for n in named if n not in before and n not in old]
        return named

    def sorted_by(self, reading: Reading) -> str | None:
        """The one measure a turn sorts by ("sort by NPS", "按满意度排序"), else None."""
        said = [
            ref for start, _, role, ref in reading.spans
            if role == "metric" and ref and _SORTED_BY.search(reading.text[:start])
        ]  # fmt: skip
        return said[0].split(" | ")[0] if len(said) == 1 and len(reading.metrics) == 1 else None

    def rate_of(self, count: str) -> str | None:
        """The one visible rate whose numerator is `count` (reopened tickets -> reopen rate)."""
        rates = [
            m.name for m in self.model.metrics if getattr(m, "numerator", None) == count and not m.hidden
        ]
        return rates[0] if len(rates) == 1 else None

    def follow_up_filters(
        self, reading: Reading, base: SemanticQuery, metrics: list[str]
    ) -> tuple[list[Filter], list[str]]:
        """The old filters, with those on the dimensions this turn names replaced (or, compared side by
        side: "那跟重庆比呢", widened to both values), and this turn's thresholds and low-score words;
        and the groupings the turn asks for (the dimensions it names, unless it unfilters them)."""
        filters = [f for f in base.filters if not (f.metric and f.metric not in metrics)]
        groupings = list(reading.dimensions)
        if reading.has(cues.DROP_FILTER):  # "drop the region filter", "drop the VIP filter": unfiltered
            dropped = {*groupings, *(f.dimension for f in reading.filters if f.dimension)}
            return [f for f in filters if f.dimension not in dropped], []
        every = {  # "all channels again", "所有渠道": the filter on them goes, no grouping comes
            ref for start, _, role, ref in reading.spans
            if role == "dimension" and _ALL_BEFORE.search(reading.text[:start])
            and any(f.dimension == ref for f in filters)
        }  # fmt: skip
        if every:
            return [f for f in filters if f.dimension not in every], [g for g in groupings if g not in every]
        side_by_side = reading.has(cues.SIDE_BY_SIDE) or reading.has(_COMPARE_WORDS)
        if reading.has(cues.NOT_JUST):  # "for all customers, not just VIP": that filter goes
            widened = {f.dimension for f in reading.filters if f.dimension}
            return [f for f in filters if f.dimension not in widened], [
                g for g in groupings if g not in widened
            ]
        if reading.complement:  # the last value filter turned round (VIP -> not VIP)
            last = next((f for f in reversed(filters) if f.dimension and f.op in ("eq", "in")), None)
            if last is not None:
                flipped = Filter(
                    dimension=last.dimension, op="ne" if last.op == "eq" else "not_in", values=last.values
                )
                filters = [flipped if f is last else f for f in filters]
        for condition in (self.same_dimension(f, base) for f in reading.filters):
            old = next((f for f in filters if f.dimension and f.dimension == condition.dimension), None)
            filters = [f for f in filters if f is not old]
            if _BACK_IN.search(reading.text) and old is not None and old.op in ("ne", "not_in"):
                continue  # "put stores back in": the exclusion goes, no filter to stores comes
            widen = side_by_side or cues.ADD.search(reading.text)  # "医疗和教育也加上"
            if widen and old is not None and old.op in ("eq", "in") and condition.op in ("eq", "in"):
                values = tuple(dict.fromkeys([*old.values, *condition.values]))
                condition = Filter(dimension=condition.dimension, op="in", values=values)
                if side_by_side and condition.dimension not in groupings:  # "跟重庆比": each its own group
                    groupings.append(condition.dimension)  # type: ignore[arg-type]
            excluded = old is not None and old.op in ("ne", "not_in") and condition.op in ("ne", "not_in")
            if excluded and (widen or _TOO.search(reading.text)):  # "leave out email too", "邮件的也不算"
                values = tuple(dict.fromkeys([*old.values, *condition.values]))  # type: ignore[union-attr]
                condition = Filter(dimension=condition.dimension, op="not_in", values=values)
            filters.append(condition)
        if reading.thresholds and metrics:
            categorical = [d.name for d in base.dimensions if d.grain is None] or reading.dimensions
            positions = {m: 0 for m in metrics} | reading.metric_positions
            with_metrics = Reading(
                **{**reading.__dict__, "metric_positions": positions, "dimensions": categorical}
            )
            _, record, on_groups = self.thresholds(with_metrics, metrics, detail=base.is_detail)
            reading.unplaced += with_metrics.unplaced
            new = [f for f in record + on_groups if f not in filters]
            instead = _INSTEAD.search(reading.text) and not cues.ADD.search(reading.text)
            for f in new:  # "what about under 3.8?": the new bound replaces the old one on the same measure
                filters = [  # ("what about under 10%?" after "over 15%": the condition asked now, alone)
                    old for old in filters
                    if (old.metric or old.field) != (f.metric or f.field)
                    or (_side(old.op) != _side(f.op) and not instead)
                ]  # fmt: skip
            filters += new
        if reading.low_score():
            filters += [f for f in self.low_score_filters() if f not in filters]
        return filters, groupings

    def same_dimension(self, condition: Filter, base: SemanticQuery) -> Filter:
        """ "成都的工单" then "那重庆呢", "without Shanghai" after a breakdown by city: a value several
        dimensions share is on the one already filtered, or shown."""
        shown = [f.dimension for f in base.filters if f.dimension] + [d.name for d in base.dimensions]
        for dimension in dict.fromkeys(d for d in shown if d and d != condition.dimension):
            if all(str(v) in self.values.get(dimension, ()) for v in condition.values):
                return condition.model_copy(update={"dimension": dimension})
        return condition

    def follow_up_period(
        self, lang: Language, reading: Reading, base: SemanticQuery
    ) -> tuple[TimeRange | None, str | None]:
        """The period and comparison after this turn: a new period replaces the old one, unless the
        turn compares the old one with it ("跟Q1对比下", "how does that compare w last week")."""
        time_range, compare = base.time_range, reading.compare or base.compare
        old = base.time_range
        if reading.period_before:  # "and the month before?": before the period shown (none shown: asked)
            default, _ = self.time_range(lang, Reading(text=""))
            said = old is not None and (old.start, old.end) != (default and (default.start, default.end))
            if old is not None and old.start is not None and said:  # (the default year is no month shown)
                return _period_before(old.start, reading.period_before), compare
            reading.unplaced.append(f"the {reading.period_before} before")
        if reading.time is not None and reading.time.start is None and reading.time.end is None:
            return None, reading.compare  # "what about all time?": no period at all
        if reading.time is not None:
            new = TimeRange(start=reading.time.start, end=reading.time.end)
            old = base.time_range
            if (
                reading.has(_COMPARE_WORDS)
                and old is not None
                and old.start
                and old.end
                and reading.compare is None
            ):
                paired = _paired_periods(TimeMatch(old.start, old.end, (0, 0)), reading.time)
                if paired is not None and paired[0].start == old.start:
                    return old, paired[1]
            time_range = new if (new.start or new.end) else None
            if reading.compare is None:
                compare = None if reading.grain or reading.has(cues.TREND) else base.compare
        elif reading.compare and base.time_range is None:
            time_range = self.time_range(lang, reading, default_this_month=True)[0]
        return time_range, compare

    def follow_up_dimensions(
        self,
        reading: Reading,
        base: SemanticQuery,
        metrics: list[str],
        filters: list[Filter],
        groupings: list[str],
    ) -> list[DimensionRef]:
        dims = list(base.dimensions)
        if reading.reference is not None:  # "那个大区按月看": the one group picked, no longer a grouping
            single = {f.dimension for f in filters if f.op == "eq" and f.dimension}
            dims = [d for d in dims if d.name not in single or d.grain is not None]
        # ("just air conditioners" after a breakdown by line keeps it: only what the words say changes)
        if groupings:
            categorical = [DimensionRef(name=n) for n in groupings]
            if cues.ADD.search(reading.text) or _FURTHER.search(reading.text):  # "split by priority as well"
                dims = dims + [d for d in categorical if d not in dims]
            else:
                dims = [d for d in dims if d.grain is not None] + categorical
        if reading.grain:
            if any(d.grain for d in dims):
                dims = [d.model_copy(update={"grain": reading.grain}) if d.grain else d for d in dims]
            elif metrics:
                dims.append(DimensionRef(name=self.time_dimension(metrics[0]), grain=reading.grain))  # type: ignore[arg-type]
        elif reading.has(cues.TREND) and metrics and not any(d.grain for d in dims):
            dims.append(DimensionRef(name=self.time_dimension(metrics[0]), grain=_grain_for(base.time_range)))  # type: ignore[arg-type]
        return dims

    def descending(self, reading: Reading, metric_name: str) -> bool:
        """Whether "top / most / best / worst / bottom" orders `metric_name` from the highest."""
        direction = reading.direction
        if direction in ("good", "bad"):
            return (direction == "good") != (self.model.metric(metric_name).polarity == "lower_is_better")
        if direction is None and re.search(r"\bbottom\b|倒数|末尾", reading.text):
            return False
        return direction != "low"


def _mentioned(state: ConversationState, intent: Intent) -> Shown | None:
    """The values of one dimension the conversation has moved between, this turn's last ("SL-3的投诉",
    then "SL-1呢": SL-3 and SL-1); the earlier ones carry on while the turns keep moving."""
    before = state.last.query if state.last is not None else None
    now = intent.query
    if before is None or now is None:
        return None
    old = {f.dimension: f.values for f in before.filters if f.dimension and f.op == "eq"}
    for condition in now.filters:
        if (
            condition.dimension in old
            and condition.op == "eq"
            and condition.values != old[condition.dimension]
        ):
            earlier = (
                state.mentioned.values
                if state.mentioned and state.mentioned.dimension == condition.dimension
                else ()
            )
            said = [*earlier, *old[condition.dimension], *condition.values]
            values = tuple(dict.fromkeys(str(v) for v in said))
            return Shown(dimension=condition.dimension, values=values[-2:])
    return state.mentioned


def _said(number: float, unit: str | None) -> str:
    """A number with its unit as the question said it ("3 days", "2小时")."""
    return (
        f"{number:g} {unit}"
        if unit and unit[0].isascii() and unit[0].isalpha()
        else f"{number:g}{unit or ''}"
    )


def _ranked_beside(work: str, term: Match) -> bool:
    """Whether a superlative stands beside a count's words ("the most complaints", "投诉最多"): the
    count is what the list is ranked by, not which records."""
    before = _RANKED_BEFORE.search(work[max(0, term.start - 24) : term.start])
    return bool(before or _RANKED_AFTER.match(work[term.end :]))


def _next_role(segments: tuple[ReadingSegment, ...], segment: ReadingSegment) -> str:
    """The role of the first segment after `segment` that is not phrasing ("" at the end)."""
    after = segments[segments.index(segment) + 1 :]
    return next((s.role for s in after if s.role != "phrasing"), "")


def _shares_a_word(attribute: Attribute, text: str) -> bool:
    """Whether a field's own words and `text` share a word (two Chinese characters, or the first five
    letters of an English word): "解决" names the time to resolve, "respond" the first response."""
    own = " ".join(own_words(attribute))
    chinese = {own[i : i + 2] for i in range(len(own) - 1) if is_cjk(own[i]) and is_cjk(own[i + 1])}
    chinese -= {"小时", "分钟", "时长", "时间"}  # the unit's words, said of every duration
    english = {w[:5] for w in re.findall(r"[a-z]{4,}", own)} - {"minut", "hours", "time"}
    return any(text[i : i + 2] in chinese for i in range(len(text) - 1)) or any(
        w[:5] in english for w in re.findall(r"[a-z]{4,}", text)
    )


def _measure_before(term: Match, matches: list[Match], text: str) -> int:
    """Where the words before a dimension begin once a measure right before it is skipped ("lowest
    CSAT region": the superlative is said of the region, by its CSAT)."""
    for other in matches:
        if (
            other.kind == "metric"
            and other.end <= term.start
            and not text[other.end : term.start].strip(" -")
        ):
            return other.start
    return term.start


def _examples_of(condition: Filter, reading: Reading) -> bool:
    """ "for each resolution type (remote vs on-site vs replacement etc)": values listed as examples of
    a grouped dimension ("etc", "等等") name no filter."""
    return (
        condition.dimension in reading.dimensions
        and condition.op == "in"
        and bool(re.search(r"\betc\b|\band so on\b|等等|等(?=\s*[)）,.;!?]|\s*$)", reading.text))
    )


def _qualifies_value(match: Match, dimension: str, values: list[Match], work: str) -> bool:
    """ "电话渠道", "South China region": a dimension word next to one of its own values names no grouping
    (but "by team excluding the VIP desk" groups the other teams)."""
    if _GROUPED_BEFORE.search(work[: match.start]):
        return False
    for value in values:
        if dimension not in value.names("value"):
            continue
        gap = work[value.end : match.start] if value.end <= match.start else work[match.end : value.start]
        if len(gap.strip(" 的")) == 0 and len(gap) <= 3:
            return True
        if match.end <= value.start and _QUALIFIED_EXCLUSION.fullmatch(gap):  # "channels other than email"
            return True
        if value.end <= match.start and re.fullmatch(r"\s*(?:以外|之外|除外)的?\s*", gap):  # "门店以外的渠道"
            return not re.search(r"哪|最|排|\bwhich\b|\btop\b|\brank", work)  # ("...里哪个最高" ranks them)
    return False


def _paired_periods(first: TimeMatch, second: TimeMatch) -> tuple[TimeMatch, str] | None:
    """(the later period, how the earlier one relates to it) when one is the other's previous period
    or the same period a year before; None otherwise."""
    if None in (first.start, first.end, second.start, second.end):
        return None
    later, earlier = (first, second) if first.start > second.start else (second, first)  # type: ignore[operator]
    assert later.start and later.end and earlier.start and earlier.end
    for compare in ("previous_period", "same_period_last_year"):
        months, days = comparison_shift(later.start, later.end, compare)
        shifted = (add_months(later.start, -months), add_months(later.end, -months)) if months else (
            later.start - timedelta(days=days), later.end - timedelta(days=days))  # fmt: skip
        if shifted == (earlier.start, earlier.end):
            return later, compare
    return None


def _period_ref(time: TimeMatch) -> str:
    start = time.start.isoformat() if time.start else ""
    end = time.end.isoformat() if time.end else ""
    return f"{start}..{end}"


def _term_ref(term: Match) -> str:
    if term.kind == "value":
        return " | ".join(f"{t.name}={t.value}" for t in term.terms if t.kind == "value")
    return " | ".join(term.names(term.kind))


def _grain_for(time_range: TimeRange | None) -> str:
    if time_range is None or time_range.start is None or time_range.end is None:
        return "month"
    days = (time_range.end - time_range.start).days
    return "day" if days <= 31 else "week" if days <= 92 else "month"


def _compared_period(text: str) -> str:
    """The period a comparison with no period named is about: this week for week-over-week (周环比,
    WoW), this quarter for quarter-over-quarter, else this month."""
    than_last = r"(?:than|vs\.?|versus|compared (?:with|to)|against) (?:the )?(?:last|previous|prior)"
    if re.search(
        rf"(?<![a-z])wow(?![a-z])|week[- ](?:over|on)[- ]week|周环比|周同比|比上周|较上周|{than_last} week",
        text,
    ):
        return "this_week"
    if re.search(
        rf"(?<![a-z])qoq(?![a-z])|quarter[- ](?:over|on)[- ]quarter|季度环比|季环比|比上季度?|较上季度?|{than_last} quarter",
        text,
    ):
        return "this_quarter"
    return "this_month"


def _joined(one: Match, other: Match, work: str) -> bool:
    """Whether a conjunction stands between two terms ("工单量和投诉率"), or the later one is added on
    ("complaints by product line, and the CSAT too")."""
    gap = work[min(one.end, other.end) : max(one.start, other.start)]
    later = max(one, other, key=lambda m: m.start)
    added = _ADDED_ANYWAY.search(work[: later.start]) or (
        _ADDED_BEFORE.search(work[: later.start]) and _ADDED_AFTER.match(work[later.end :])
    )
    worded = (gap.isascii() and len(gap.split()) <= 2 and re.search(r"\band\b|&|\bplus\b", gap)) or re.search(
        r"\band how many\b", gap + work[later.start : later.end]
    )  # "and how many of them were"
    bare = re.sub(r"\b(?:the|our|its|their|an?)\b", "", gap)  # "the number of customers, the churn rate"
    return (len(bare.strip()) <= 4 and bool(_CONJUNCTION.search(gap))) or bool(worded) or bool(added)


def _period_on(column: str, period: TimeRange) -> list[Filter]:
    """A half-open period as conditions on another date than the metric's own."""
    conditions = []
    if period.start is not None:
        conditions.append(Filter(dimension=column, op="gte", values=(period.start.isoformat(),)))
    if period.end is not None:
        conditions.append(Filter(dimension=column, op="lt", values=(period.end.isoformat(),)))
    return conditions


def _in_unit(number: float, unit: str | None, target_format: str | None) -> float:
    """A duration said in one unit, in the measure's ("2小时" on minutes is 120)."""
    said = _UNIT_FORMATS.get((unit or "").strip())
    if said in _MINUTES and target_format in _MINUTES:
        return number * _MINUTES[said] / _MINUTES[target_format]
    return number


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 10)


def plan(
    question: str,
    state: ConversationState | None,
    model: SemanticModel,
    value_index: ValueIndex,
    clock: Clock,
) -> Plan:
    """Plan one question (the functional form; build a `Planner` once to plan many)."""
    return Planner(model, value_index, clock).plan(question, state)


def _same_word(word: str, words: str) -> bool:
    """Whether `words` hold `word` or a form of it ("satisfied": "satisfaction", "served": "service"):
    an English word sharing all but its last two letters, at least four; Chinese found anywhere."""
    if not word.isascii():
        return word in words
    stem = word[: max(4, min(len(word) - 2, 6))]
    return bool(re.search(rf"\b{re.escape(stem)}", words))


def _side(op: str) -> str:
    """Which way a bound limits: from below (gt, gte), from above (lt, lte), or exactly."""
    return {"gt": "low", "gte": "low", "lt": "high", "lte": "high"}.get(op, op)


def _period_before(start: date, unit: str) -> TimeRange:
    """The whole `unit` ending where a period starts ("the month before" October is September)."""
    unit = {"月": "month", "周": "week", "季度": "quarter", "年": "year", "天": "day"}.get(unit, unit)
    months = {"month": 1, "quarter": 3, "year": 12}.get(unit)
    begin = add_months(start, -months) if months else start - timedelta(days=7 if unit == "week" else 1)
    return TimeRange(start=begin, end=start)
