"""How the parser reads a question (issue 15): every span accounted for and shown, follow-ups that
refer to what the last answer showed, and the words that change a query instead of being dropped.

Follow-ups that refer to groups run through `answer_question` on the real demo DuckDB file, and the
groups they must name are computed independently with pandas from the raw rows."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from agent.answer import answer_question, data_query, remember_shown
from agent.intent import ConversationState, Intent
from agent.parser import Planner
from agent.unknown_words import leftover_pieces, lexicon
from semantic_layer.layer import SemanticLayer
from semantic_layer.query import Filter


@pytest.fixture(scope="module")
def planner(eval_planner: Planner) -> Planner:
    return eval_planner


def _plan(planner: Planner, *questions: str) -> Intent:
    state = ConversationState()
    intent = None
    for question in questions:
        plan = planner.plan(question, state)
        state, intent = plan.state, plan.intent
    assert intent is not None
    return intent


def _filters(intent: Intent) -> set[tuple[str, str, frozenset[object]]]:
    assert intent.query is not None
    return {(f.target, f.op, frozenset(f.values)) for f in intent.query.filters}


# --- every span accounted for ------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "本月华东区VIP客户投诉最多的3个型号",
        "why did csat tank in july",
        "手上还压着多少单",
        "tickets from 2026-11-01 to 2026-11-10",
    ],
)
def test_the_segments_spell_the_question_and_say_what_each_part_is(planner: Planner, question: str) -> None:
    intent = planner.plan(question).intent
    text = "".join(s.text for s in intent.reading)
    assert text.replace(" ", "") == question.lower().replace(" ", "")
    assert all(s.role != "phrasing" or not s.ref for s in intent.reading)


def test_terms_times_and_unknown_words_are_marked(planner: Planner) -> None:
    roles = {
        s.text: (s.role, s.ref) for s in planner.plan("本月华东区VIP客户投诉最多的3个型号").intent.reading
    }
    assert roles["本月"] == ("time", "2026-11-01..2026-12-01")
    assert roles["投诉"] == ("metric", "complaint_count")
    assert roles["型号"] == ("dimension", "product_model")
    assert roles["3"] == ("limit", "3")
    unknown = planner.plan("手上还压着多少单").intent
    assert [s.text for s in unknown.reading if s.role == "unknown"] == ["压着"]
    assert unknown.kind == "clarify"


def test_the_phrasing_lexicon_is_data_and_classifies_every_word() -> None:
    words = lexicon()
    assert "帮我" in words.zh_pattern.pattern and "please" in words.en_words
    rest = "帮我 看下    压着 的 weather"
    pieces = [(rest[p.start : p.end], p.role) for p in leftover_pieces(rest, rest)]
    assert ("压着", "unknown") in pieces and ("weather", "unknown") in pieces
    assert ("帮我", "phrasing") in pieces


# --- what the data does not hold, said plainly ---------------------------------------------------


def test_a_value_the_data_lacks_is_named_with_the_values_it_has(planner: Planner) -> None:
    intent = planner.plan("抖音渠道的进线量").intent
    assert intent.kind == "unsupported" and intent.reason is not None
    assert "抖音" in intent.reason and "电话" in intent.reason


@pytest.mark.parametrize("question", ["how are we doing?", "top 5 cities", "上个月的数据", "按渠道拆分"])
def test_no_measure_named_asks_which_with_complete_questions(planner: Planner, question: str) -> None:
    intent = planner.plan(question).intent
    assert intent.kind == "clarify" and intent.clarification is not None
    options = intent.clarification.options
    assert 2 <= len(options) <= 4
    assert all(o.intent is not None and o.intent.kind == "metric" for o in options)


# --- numbers and times --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "start", "end"),
    [
        ("11月3日的工单量", date(2026, 11, 3), date(2026, 11, 4)),
        ("11月1日到11月15日的工单量", date(2026, 11, 1), date(2026, 11, 16)),
        ("tickets from Nov 1 to Nov 15", date(2026, 11, 1), date(2026, 11, 16)),
        ("Tickets, Dec 1, 2025 – Nov 15, 2026", date(2025, 12, 1), date(2026, 11, 16)),
        ("上周五的单量", date(2026, 11, 6), date(2026, 11, 7)),
        ("how many tickets came in this weekend", date(2026, 11, 14), date(2026, 11, 16)),
        ("上上个月解决率", date(2026, 9, 1), date(2026, 10, 1)),
        ("2025年Q4的NPS", date(2025, 10, 1), date(2026, 1, 1)),
        ("NPS since Nov 11", date(2026, 11, 11), date(2026, 11, 16)),
        ("11月11日以来的NPS", date(2026, 11, 11), date(2026, 11, 16)),
        ("complaints since Singles Day (Nov 11)", date(2026, 11, 11), date(2026, 11, 16)),
        ("FCR for this qtr?", date(2026, 10, 1), date(2027, 1, 1)),
        ("本周一次解决率", date(2026, 11, 9), date(2026, 11, 16)),  # 本周 + 一次解决率, not 周一
        ("is our FRT better or worse than last week?", date(2026, 11, 9), date(2026, 11, 16)),
        ("去年12月到今年2月的工单量", date(2025, 12, 1), date(2026, 3, 1)),
        ("今年前10个月工单量", date(2026, 1, 1), date(2026, 11, 1)),
        ("上周和再上一周比，超时单多了还是少了", date(2026, 11, 2), date(2026, 11, 9)),
        ("去年Q4的NPS", date(2025, 10, 1), date(2026, 1, 1)),
        ("最近7天投诉率跟之前7天比", date(2026, 11, 9), date(2026, 11, 16)),
    ],
)
def test_days_and_day_ranges_are_read(planner: Planner, question: str, start: date, end: date) -> None:
    intent = planner.plan(question).intent
    assert intent.query is not None and intent.query.time_range is not None
    assert (intent.query.time_range.start, intent.query.time_range.end) == (start, end)


def test_short_words_standing_alone_are_words_and_endings_are_not(planner: Planner) -> None:
    assert [s.text for s in planner.plan("tickets by zzz").intent.reading if s.role == "unknown"] == ["zzz"]
    trended = planner.plan("How has customer satisfaction trended?").intent
    assert trended.kind == "metric" and not [s for s in trended.reading if s.role == "unknown"]
    weekly = planner.plan("split this week's tickets by priority").intent
    assert weekly.kind == "metric" and not [s for s in weekly.reading if s.role == "unknown"]


def test_a_number_no_pass_placed_is_asked_about(planner: Planner) -> None:
    intent = planner.plan("tickets with 7 smurfs").intent
    assert intent.kind == "clarify" and intent.clarification is not None
    assert "7" in intent.clarification.question


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("本周首响超过两个小时的单子给我看看", ("first_response_minutes", "gt", frozenset({120}))),
        ("List VIP customers who gave CSAT of 2 or less this week", ("csat_score", "lte", frozenset({2}))),
        ("agents with a reopen rate not above 5% in H1", ("reopen_rate", "lte", frozenset({0.05}))),
        ("一次解决率不到七成的客服名单", ("first_contact_resolution_rate", "lt", frozenset({0.7}))),
        ("NPS打0分的都是谁", ("nps_score", "eq", frozenset({0}))),
    ],
)
def test_thresholds_apply_in_the_measure_s_unit(
    planner: Planner, question: str, expected: tuple[str, str, frozenset[object]]
) -> None:
    assert expected in _filters(planner.plan(question).intent)


def test_a_duration_threshold_that_fits_no_single_measure_is_asked(planner: Planner) -> None:
    intent = planner.plan("tickets that took over 3 days").intent
    assert intent.kind == "clarify"


def test_a_time_column_chooses_the_period_and_is_never_a_raw_grouping(planner: Planner) -> None:
    intent = planner.plan("how many tickets were created in september").intent
    assert intent.query is not None and not intent.query.dimensions
    assert (intent.query.time_range.start, intent.query.time_range.end) == (
        date(2026, 9, 1),
        date(2026, 10, 1),
    )  # type: ignore[union-attr]


def test_counts_of_a_defined_state_and_flags(planner: Planner) -> None:
    resolved = planner.plan("how many tickets were resolved in september").intent
    assert resolved.query is not None and list(resolved.query.metrics) == ["resolved_ticket_count"]
    assert not resolved.query.filters
    rate = planner.plan("本月知识库自助解决率是多少").intent
    assert rate.query is not None and not rate.query.filters  # the value's word is the rate's name
    non = planner.plan("非投诉单的平均满意度").intent
    assert ("is_complaint", "eq", frozenset({False})) in _filters(non)
    both = planner.plan("csat on complaint vs non-complaint tickets").intent
    assert both.query is not None and [d.name for d in both.query.dimensions] == ["is_complaint"]


# --- follow-ups ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("questions", "metrics"),
    [
        (("本月各渠道工单量", "再加上投诉率"), ["ticket_count", "complaint_rate"]),
        (("上个月各大区回访数", "好评率呢，顺便加上NPS"), ["csat_satisfied_rate", "nps"]),
        (("本月P1工单的平均首响", "中位数呢"), ["median_first_response_minutes"]),
        (
            ("本月P1工单的平均首响", "中位数呢", "90分位也看下"),
            ["median_first_response_minutes", "p90_first_response_minutes"],
        ),
        (("reopened tickets last month", "rate pls"), ["reopen_rate"]),
    ],
)
def test_follow_ups_add_or_switch_measures_and_keep_the_rest(
    planner: Planner, questions: tuple[str, ...], metrics: list[str]
) -> None:
    intent = _plan(planner, *questions)
    first = _plan(planner, questions[0])
    assert intent.query is not None and first.query is not None
    assert list(intent.query.metrics) == metrics
    assert intent.query.time_range == first.query.time_range
    assert [f for f in first.query.filters if f.dimension] == [f for f in intent.query.filters if f.dimension]


def test_follow_ups_drop_a_filter_compare_and_rank_by_polarity(planner: Planner) -> None:
    dropped = _plan(planner, "华南VIP客户上季度投诉量", "drop the region filter")
    assert _filters(dropped) == {("customer_tier", "eq", frozenset({"VIP"}))}
    compared = _plan(planner, "本周VIP专席组的超时单数", "how does that compare w last week")
    assert compared.query is not None and compared.query.compare == "previous_period"
    assert compared.query.time_range is not None and compared.query.time_range.start == date(2026, 11, 9)
    worst = _plan(planner, "上季度各团队的一次解决率", "最差的两个")
    assert worst.query is not None and worst.query.limit == 2 and not worst.query.order_by[0].desc
    side = _plan(planner, "成都今年的工单量", "那跟重庆比呢")
    assert ("city", "in", frozenset({"成都", "重庆"})) in _filters(side)


def _ask_all(planner: Planner, layer: SemanticLayer, *questions: str) -> Intent:
    state = ConversationState()
    answer = None
    for question in questions:
        answer, state = answer_question(planner, layer, question, state)
    assert answer is not None and answer.query is not None
    return answer.query


def test_that_region_and_these_two_name_the_groups_the_last_answer_showed(
    planner: Planner, eval_layer: SemanticLayer, frames: dict[str, pd.DataFrame]
) -> None:
    tickets = frames["tickets"]
    november = tickets[(tickets["created_at"] >= "2026-11-01") & (tickets["created_at"] < "2026-12-01")]
    complaints = november[november["is_complaint"]].groupby("product_model").size()
    top_two = complaints.sort_values(ascending=False, kind="stable").index[:2].tolist()
    assert (
        complaints[top_two[0]] > complaints[top_two[1]] > complaints.drop(top_two).max()
    )  # no tie at the cut

    them = _ask_all(planner, eval_layer, "本月投诉最多的两个型号", "它们的满意度分别是多少")
    assert them.query is not None and list(them.query.metrics) == ["avg_csat"]
    assert Filter(dimension="product_model", op="in", values=tuple(top_two)) in them.query.filters
    assert [d.name for d in them.query.dimensions] == ["product_model"] and them.query.limit is None

    regions = november.groupby("region").size()
    busiest = regions.idxmax()
    assert (regions == regions.max()).sum() == 1
    that = _ask_all(planner, eval_layer, "本月各大区工单量", "最多的那个大区按渠道看看")
    assert that.query is not None
    assert Filter(dimension="region", op="eq", values=(busiest,)) in that.query.filters
    assert [d.name for d in that.query.dimensions] == ["channel"]


def test_a_reference_with_nothing_before_is_asked_about(planner: Planner) -> None:
    intent = planner.plan("它们的满意度分别是多少").intent
    assert intent.kind == "clarify" and intent.clarification is not None
    assert "它们" in intent.clarification.question


def test_values_the_conversation_moved_between_are_these_two(planner: Planner) -> None:
    intent = _plan(planner, "SL-3这个月投诉几单", "SL-1呢", "两个型号对比着按周看")
    assert ("product_model", "in", frozenset({"SL-1", "SL-3"})) in _filters(intent)
    assert intent.query is not None and {d.name for d in intent.query.dimensions} == {
        "product_model",
        "created_date",
    }


def test_why_after_a_period_explains_its_change(planner: Planner) -> None:
    intent = _plan(planner, "7月的满意度", "why?")
    assert intent.kind == "explain_change" and intent.query is not None
    assert intent.query.compare == "previous_period"
    slow = _plan(planner, "各渠道平均首响", "哪个最慢", "它为啥这么慢")
    assert slow.kind == "explain_change" and slow.query is not None and slow.query.compare is None


def test_the_answer_remembers_the_groups_it_showed(
    planner: Planner, eval_layer: SemanticLayer, frames: dict[str, pd.DataFrame]
) -> None:
    tickets = frames["tickets"]
    november = tickets[(tickets["created_at"] >= "2026-11-01") & (tickets["created_at"] < "2026-12-01")]
    expected = november.groupby("channel").size().sort_values(ascending=False, kind="stable")
    answer, state = answer_question(planner, eval_layer, "本月工单量最多的渠道排名")
    assert state.shown is not None and state.shown.dimension == "channel"
    assert list(state.shown.values) == [str(v) for v in expected.index]
    assert answer.status == "answered"


def test_a_superlative_with_nothing_to_rank_is_asked_or_ranks_the_people_asked_for(planner: Planner) -> None:
    who = planner.plan("who handled the most tickets last month?").intent
    assert who.query is not None and [d.name for d in who.query.dimensions] == ["agent"]
    assert who.query.limit == 1 and who.query.order_by[0].desc
    nothing = planner.plan("what is the highest CSAT").intent  # highest of what? never the plain average
    assert nothing.kind == "clarify" and nothing.clarification is not None
    assert "highest" in nothing.clarification.question


def test_lists_turn_counts_into_conditions_or_ask(planner: Planner) -> None:
    resolved = planner.plan("list the resolved tickets from VIP customers last week").intent
    assert resolved.kind == "detail"
    assert ("status", "in", frozenset({"已解决", "已关闭"})) in _filters(resolved)
    open_now = planner.plan("没解决的那些单子列出来").intent  # open is a snapshot: no record condition
    assert open_now.kind == "clarify"


def test_a_count_defined_by_a_score_range_is_its_condition_in_a_list(planner: Planner) -> None:
    count = planner.plan("number of detractors last quarter").intent
    assert count.query is not None and list(count.query.metrics) == ["detractor_count"]
    assert not count.query.filters  # the measure carries its own condition; no low-score filter
    listed = planner.plan("贬损者名单").intent
    assert listed.kind == "detail" and ("nps_score", "lte", frozenset({6})) in _filters(listed)


def test_cues_in_chinese_context_and_after_a_value(planner: Planner) -> None:
    top = planner.plan("这个月客诉top5的机型").intent
    assert top.query is not None and top.query.limit == 5 and top.query.order_by[0].desc
    ranked = planner.plan("今年各大区投诉率排个名").intent
    assert ranked.query is not None and ranked.query.order_by and ranked.query.limit is None
    excluded = planner.plan("技术支持组的满意度，门店的不算").intent
    assert ("channel", "ne", frozenset({"门店"})) in _filters(excluded)
    listed = planner.plan("今天首次响应超过2小时的工单有哪些").intent
    assert listed.kind == "detail"
    why = planner.plan("这个月单量怎么突然变多了").intent
    assert why.kind == "explain_change" and why.query is not None and why.query.compare == "previous_period"
    longest = planner.plan("which issue category takes the longest to resolve").intent
    assert longest.query is not None and list(longest.query.metrics) == ["avg_resolution_hours"]


@pytest.mark.parametrize(
    ("question", "metrics"),
    [
        ("how many tickets breached SLA this week", ["response_sla_breach_count"]),  # the rate's numerator
        (
            "how many surveys did we get and what's the response rate",
            ["survey_count", "survey_response_rate"],
        ),
        ("what share of tickets were complaints last month", ["complaint_rate"]),
        ("on average how long does it take us to resolve a ticket", ["avg_resolution_hours"]),
        ("how many P1s this week", ["ticket_count"]),  # a value counted: its records
        ("cities with at least 500 tickets this month", ["ticket_count"]),  # the unit names the count
    ],
)
def test_a_cue_picks_the_one_measure_of_the_same_thing(
    planner: Planner, question: str, metrics: list[str]
) -> None:
    intent = planner.plan(question).intent
    assert intent.kind == "metric" and intent.query is not None
    assert list(intent.query.metrics) == metrics


def test_a_rate_of_a_flag_drops_the_flag_and_unsure_cues_still_ask(planner: Planner) -> None:
    reopened = planner.plan("what portion of resolved tickets get reopened in 华中").intent
    assert reopened.query is not None and list(reopened.query.metrics) == ["reopen_rate"]
    assert _filters(reopened) == {("region", "eq", frozenset({"华中"}))}  # never reopened = true: 100%
    scored = planner.plan("what percent of surveys were 1 or 2 stars this month").intent
    assert scored.kind == "clarify"  # no rate counts low scores: asked (4 or 5 stars is the satisfied rate)


def test_one_is_a_number_only_where_a_number_goes(planner: Planner) -> None:
    quick = planner.plan("quick one - complaint rate QTD?").intent
    assert quick.query is not None and list(quick.query.metrics) == ["complaint_rate"]
    other = _plan(planner, "CSAT by region this month", "hmm what about the other one")
    assert other.kind == "clarify"  # which other one? nothing shown says


def test_sales_money_and_competitors_possessive_are_out_of_scope(planner: Planner) -> None:
    for question in ("how does our CSAT compare with Midea's", "how many AC-300 units did we sell last year"):
        assert planner.plan(question).intent.kind == "unsupported"


@pytest.mark.parametrize(
    ("question", "metric"),
    [
        ("今年客户满义度平均几分", "avg_csat"),
        ("成都今年以来的投述率", "complaint_rate"),
        ("本月首想时长", "avg_first_response_minutes"),
        ("上个月超市率", "response_sla_breach_rate"),
    ],
)
def test_a_chinese_typo_that_sounds_like_a_term_is_that_term(
    planner: Planner, question: str, metric: str
) -> None:
    intent = planner.plan(question).intent
    assert intent.kind == "metric" and intent.query is not None and list(intent.query.metrics) == [metric]
    assert intent.confidence < 0.85  # a guessed word is said with less confidence


def test_words_that_merely_sound_alike_are_not_terms() -> None:
    from agent.sounds import sound_alike

    assert sound_alike("满义度", "满意度") and sound_alike("工单亮", "工单量")
    assert not sound_alike("均工", "军工")  # a window across two words: the first character differs
    assert not sound_alike("市场", "时长")  # no character in common
    assert not sound_alike("满意度", "满意度")  # the word itself is no typo


def test_the_rest_after_an_exclusion_and_yes_no_fields_in_lists(planner: Planner) -> None:
    rest = planner.plan("不算华北和东北，其他大区整体投诉率多少").intent
    assert rest.query is not None and not rest.query.dimensions
    assert ("region", "not_in", frozenset({"华北", "东北"})) in _filters(rest)
    other = planner.plan("其他渠道的工单量").intent  # with nothing excluded: other than which? asked
    assert other.kind == "clarify" and other.clarification is not None
    assert "其他" in other.clarification.question
    reopened = planner.plan("列一下这个月重开过的工单号").intent
    assert reopened.kind == "detail" and ("reopened", "eq", frozenset({True})) in _filters(reopened)
    top = planner.plan("本月结案量排前10的客服").intent
    assert top.query is not None and top.query.limit == 10


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("how many tickets yesterday that weren't low priority", ("priority", "ne", frozenset({"P4"}))),
        ("tickets this month that didn't come in via WeChat", ("channel", "ne", frozenset({"微信"}))),
        ("list 1-star surveys from this week", ("csat_score", "eq", frozenset({1}))),
        ("list detractor feedback from last week (nps 0-6)", ("nps_score", "lte", frozenset({6}))),
        (
            "which areas kept the breach rate at or under 10% this quarter",
            ("response_sla_breach_rate", "lte", frozenset({0.1})),
        ),
    ],
)
def test_negations_scores_and_bounds_said_in_other_words(
    planner: Planner, question: str, expected: tuple[str, str, frozenset[object]]
) -> None:
    intent = planner.plan(question).intent
    assert intent.kind in ("metric", "detail") and expected in _filters(intent)
    assert not [s for s in intent.reading if s.role == "unknown"]


def test_rates_said_as_shares_and_durations_named_by_their_verb(planner: Planner) -> None:
    share = planner.plan("上个月自助解决的比例").intent  # 自助解决率 said as 自助解决的比例
    assert share.query is not None and list(share.query.metrics) == ["kb_self_service_rate"]
    week = planner.plan("解决用了超过一周的网络问题工单清单").intent
    assert week.kind == "detail" and ("resolution_hours", "gt", frozenset({168})) in _filters(week)
    unsure = planner.plan("tickets that took over 3 days").intent  # to respond or to resolve? asked
    assert unsure.kind == "clarify" and unsure.clarification is not None
    assert "'3 days'" in unsure.clarification.question
    most = planner.plan("今年八成的单量是哪些城市贡献的").intent
    assert (
        most.kind == "concentration"
        and most.query is not None
        and [d.name for d in most.query.dimensions] == ["city"]
    )


@pytest.mark.parametrize(
    ("question", "metrics", "expected"),
    [
        ("首响超过30分钟的工单有多少", ["ticket_count"], ("first_response_minutes", "gt", frozenset({30}))),
        ("解决时长超过3天的单子有几个", ["ticket_count"], ("resolution_hours", "gt", frozenset({72}))),
        (
            "how many tickets weren't reopened last qtr",
            ["ticket_count"],
            ("reopened", "eq", frozenset({False})),
        ),
        ("上个月投诉量、投诉率分别多少", ["complaint_count", "complaint_rate"], None),
        (
            "how many complaints last month and what % of tickets is that",
            ["complaint_count", "complaint_rate"],
            None,
        ),
    ],
)
def test_records_counted_under_a_condition_and_both_measures_asked(
    planner: Planner, question: str, metrics: list[str], expected: tuple[str, str, frozenset[object]] | None
) -> None:
    intent = planner.plan(question).intent
    assert intent.kind == "metric" and intent.query is not None and list(intent.query.metrics) == metrics
    assert expected is None or expected in _filters(intent)


def test_an_aggregation_the_model_lacks_is_asked_and_low_words_in_thresholds_are_the_threshold(
    planner: Planner,
) -> None:
    median = planner.plan("解决时长的中位数是多少").intent  # no median of resolution: never the average
    assert median.kind == "clarify"
    below = planner.plan("近7天评分低于3分的回访，把留言拉出来看看").intent
    assert _filters(below) == {("csat_score", "lt", frozenset({3}))}
    typo = planner.plan("上月返修绿").intent  # 绿 for 率, after the exact word 返修
    assert typo.query is not None and list(typo.query.metrics) == ["reopen_rate"]
    every = _plan(planner, "complaint rate by product line in Q3", "what about all time?")
    assert every.kind == "metric" and every.query is not None and every.query.time_range is None


def test_how_are_things_going_asks_which_measure_with_the_words_own_first(planner: Planner) -> None:
    for question in ("how's the VIP desk performing", "which region is performing worst", "时效达不达标"):
        assert planner.plan(question).intent.kind == "clarify", question
    sla = planner.plan("hows our sla looking this month").intent
    assert sla.clarification is not None and sla.clarification.options[0].intent is not None
    first = sla.clarification.options[0].intent.query
    assert first is not None and "sla" in first.metrics[0]
    assert planner.plan("how's the weather").intent.kind == "unsupported"


def test_numbers_meetings_and_people_counted(planner: Planner) -> None:
    many = planner.plan("cities with more than 2,000 tickets").intent  # a number, not the year 2000
    assert many.query is not None and many.query.time_range is not None
    assert many.query.time_range.start != date(2000, 1, 1)
    assert ("ticket_count", "gt", frozenset({2000})) in _filters(many)
    meeting = planner.plan(
        "For the weekly ops review I need FRT and breach rate for phone tickets this week."
    ).intent
    assert meeting.query is not None and not meeting.query.dimensions  # a weekly meeting is no weekly grain
    reps = planner.plan("How many reps were actually handling tickets last month?").intent
    assert reps.query is not None and list(reps.query.metrics) == ["active_agent_count"]
    assert not reps.query.dimensions
    coaching = planner.plan(
        "Which teams are averaging a CSAT under 3.9? Trying to prioritise coaching."
    ).intent
    assert coaching.query is not None and [d.name for d in coaching.query.dimensions] == ["team"]


def test_chinese_in_many_voices(planner: Planner) -> None:
    three = planner.plan("这个月被投诉最多的仨型号").intent
    assert three.query is not None and three.query.limit == 3
    zero = planner.plan("最近7天NPS打0分的客户有哪些").intent  # the score of the measure named: NPS
    assert zero.kind == "detail" and ("nps_score", "eq", frozenset({0})) in _filters(zero)
    why = planner.plan("今年NPS比去年低，是什么原因").intent
    assert why.query is not None and why.query.compare == "same_period_last_year"
    assert planner.plan("帮我把华南那几张投诉单删了").intent.kind == "unsupported"
    filler = planner.plan("那个…上个月的投诉率帮我看下").intent
    assert filler.query is not None and list(filler.query.metrics) == ["complaint_rate"]


def test_numbers_compare_only_numeric_fields_and_durations_named_by_a_value(planner: Planner) -> None:
    slowest = planner.plan("the 3 slowest issue types to get resolved").intent
    assert slowest.query is not None and list(slowest.query.metrics) == ["avg_resolution_hours"]
    longer = planner.plan(
        "urgent tickets this month where first response took longer than 2 hours - list them"
    ).intent
    assert ("first_response_minutes", "gt", frozenset({120})) in _filters(longer)
    names = planner.plan("which customers in South China rated us 2 or below in July? need names").intent
    assert names.kind == "detail"  # "rated us 2 or below": a score, though no score field is named
    assert ("csat_score", "lte", frozenset({2})) in _filters(names)
    bare = planner.plan("which customers in South China were 2 or below in July? need names").intent
    assert bare.kind == "clarify" and bare.clarification is not None  # "2" fits no numeric field named
    assert "'2'" in bare.clarification.question
    share = planner.plan("self-service resolution % ytd").intent
    assert share.query is not None and list(share.query.metrics) == ["kb_self_service_rate"]
    satisfied = planner.plan("what percent of surveys this month were satisfied (4 or 5 stars)?").intent
    assert satisfied.kind != "metric" or not _filters(satisfied)  # never the satisfied rate of the satisfied


def test_slack_english(planner: Planner) -> None:
    share = planner.plan("What proportion of resolved tickets were closed via self-service this year?").intent
    assert share.query is not None and list(share.query.metrics) == ["kb_self_service_rate"]
    assert not share.query.filters  # the rate of self-service, never resolved tickets filtered to it
    dropped = _plan(planner, "complaints by channel for VIP customers this quarter", "drop the VIP filter")
    assert dropped.query is not None and not dropped.query.filters
    low = planner.plan("List VIP customers with low CSAT last week").intent
    assert ("csat_score", "lte", frozenset({2})) in _filters(low)
    weekly = planner.plan("Ticket volume week-on-week").intent
    assert weekly.query is not None and weekly.query.compare == "previous_period"
    assert weekly.query.time_range is not None and weekly.query.time_range.start == date(2026, 11, 9)
    average = planner.plan("Average resolution hours for smart locks in Guangdong").intent
    assert average.query is not None and list(average.query.metrics) == ["avg_resolution_hours"]


def test_everyone_else_turns_the_last_filter_round(planner: Planner) -> None:
    rest = _plan(planner, "CSAT for VIP customers this month", "and for everyone else?")
    assert _filters(rest) == {("customer_tier", "ne", frozenset({"VIP"}))}
    last_year = planner.plan("how does FCR in October compare to October last year").intent
    assert last_year.query is not None and last_year.query.compare == "same_period_last_year"


def test_a_list_takes_the_fields_a_follow_up_names(planner: Planner) -> None:
    listed = _plan(planner, "list the P1 tickets from this week", "include their comments")
    assert listed.kind == "detail" and listed.query is not None and "comment" in listed.query.fields
    assert ("priority", "eq", frozenset({"P1"})) in _filters(listed)
    said = planner.plan("show me what detractors in 华南 wrote last month").intent
    assert said.kind == "detail" and ("nps_score", "lte", frozenset({6})) in _filters(said)


def test_superlative_adjectives_pick_one_and_concentration_words_name_no_value(planner: Planner) -> None:
    fastest = planner.plan("fastest team at resolving tickets").intent
    assert fastest.query is not None and fastest.query.limit == 1
    handful = planner.plan("do a handful of agents account for most of the reopens").intent
    assert handful.kind == "concentration" and handful.query is not None and not handful.query.filters


@pytest.mark.parametrize(
    ("question", "metric"),
    [
        ("how many satisfied responses last week", "csat_satisfied_count"),  # a building block's label
        ("what percent of surveys were satisfied this month", "csat_satisfied_rate"),  # the rate over surveys
        ("how many surveys were satisfied last week", "csat_satisfied_count"),  # its numerator
        ("what fraction of resolved tickets were self-served last month", "kb_self_service_rate"),
        ("What share of survey respondents were satisfied this year?", "csat_satisfied_rate"),
        ("what share of tickets were reopened", "reopen_rate"),
        ("how many tickets were fixed on the first contact last month", "first_contact_resolved_count"),
        ("how many tickets have had a first response today", "responded_ticket_count"),
        ("how many hours does it take to fix a ticket", "avg_resolution_hours"),  # hours: no count
        ("On average, how long did it take us to fix tickets this quarter?", "avg_resolution_hours"),
        ("how big is the backlog now", "backlog_count"),
    ],
)
def test_words_that_qualify_a_count_choose_the_measure(planner: Planner, question: str, metric: str) -> None:
    intent = planner.plan(question).intent
    assert intent.kind == "metric" and intent.query is not None, intent
    assert list(intent.query.metrics) == [metric]
    assert not intent.query.filters  # the qualifying words are the measure's own condition, not a filter


def test_a_word_naming_two_measures_or_any_count_is_not_a_qualifier(planner: Planner) -> None:
    repeated = planner.plan(
        "重复的单子多吗"
    ).intent  # 重复: reopened (重复报修) or repeat contacts (重复咨询)
    assert repeated.kind == "clarify"
    by_status = planner.plan("工单按状态统计下数量").intent  # 数量 is every count's word: the tickets
    assert by_status.query is not None and list(by_status.query.metrics) == ["ticket_count"]


def test_restated_conditions_and_scores_said_by_a_rating_verb(planner: Planner) -> None:
    satisfied = planner.plan("what percent of surveys this month were satisfied (4 or 5 stars)?").intent
    assert satisfied.query is not None and list(satisfied.query.metrics) == ["csat_satisfied_rate"]
    assert not satisfied.query.filters  # 4-5 is what "satisfied" counts: not filtered twice
    promoters = planner.plan("promoters (9 or 10) last month").intent
    assert promoters.query is not None and list(promoters.query.metrics) == ["promoter_count"]
    assert not promoters.query.filters
    scored = planner.plan("how many surveys scored 4 or 5").intent
    assert _filters(scored) == {("csat_score", "gte", frozenset({4})), ("csat_score", "lte", frozenset({5}))}
    callback = planner.plan("callback list: VIP customers who scored us 2 or below since october").intent
    assert callback.kind == "detail" and ("csat_score", "lte", frozenset({2})) in _filters(callback)


def test_key_field_by_a_dimension_is_a_count_and_singular_value_aliases(planner: Planner) -> None:
    numbers = planner.plan("last month's ticket numbers per province").intent
    assert numbers.kind == "metric" and numbers.query is not None
    assert list(numbers.query.metrics) == ["ticket_count"]
    assert [d.name for d in numbers.query.dimensions] == ["province"]
    school = planner.plan("how long on average to close a return for a school customer").intent
    assert ("industry", "eq", frozenset({"教育"})) in _filters(school)  # the alias is "schools"
    assert planner.plan("drop the filter").intent.kind == "clarify"  # "filters" is a category's alias


def test_a_share_of_all_records_is_the_count_by_the_groups_shared(planner: Planner) -> None:
    night = planner.plan("夜班单量占比多少？").intent  # no rate counts night shifts: of all tickets, by shift
    assert night.query is not None and list(night.query.metrics) == ["ticket_count"]
    assert [d.name for d in night.query.dimensions] == ["shift"] and not night.query.filters
    kinds = planner.plan("各种解决方式分别占多少").intent
    assert kinds.query is not None and list(kinds.query.metrics) == ["ticket_count"]
    assert [d.name for d in kinds.query.dimensions] == ["resolution_type"]
    p1 = planner.plan("what percent of complaints were P1").intent  # of complaints: not the P1 complaint rate
    assert p1.query is not None and list(p1.query.metrics) == ["complaint_count"]
    assert [d.name for d in p1.query.dimensions] == ["priority"]
    were = planner.plan("what percent of VIP tickets were complaints").intent  # of VIP tickets: the rate
    assert were.query is not None and list(were.query.metrics) == ["complaint_rate"]
    assert _filters(were) == {("customer_tier", "eq", frozenset({"VIP"}))}
    stars = planner.plan("what percent of surveys were 4 or 5 stars this month").intent
    assert stars.query is not None and list(stars.query.metrics) == ["csat_satisfied_rate"]
    assert not stars.query.filters


def test_shown_records_of_a_flag_and_a_reference_to_nothing_shown(planner: Planner) -> None:
    reopened = planner.plan("show reopened RV-20 tickets from last month").intent
    assert reopened.kind == "detail" and ("reopened", "eq", frozenset({True})) in _filters(reopened)
    team = _plan(planner, "this month's CSAT", "what about that team?")  # no team was shown or named
    assert team.kind == "clarify"
    city = _plan(planner, "FRT in Shenzhen last week", "whats the csat in that city")  # the city named before
    assert city.query is not None and _filters(city) == {("city", "eq", frozenset({"深圳"}))}


def test_quoted_words_search_the_comments_and_the_rows_match_pandas(
    planner: Planner, eval_layer: SemanticLayer, frames: dict[str, pd.DataFrame]
) -> None:
    answer, _ = answer_question(planner, eval_layer, "本月评论提到“等了”的回访有几条", ConversationState())
    assert answer.query is not None and answer.query.query is not None and answer.data is not None
    assert Filter(field="comment", op="contains", values=("等了",)) in answer.query.query.filters
    surveys, tickets = frames["surveys"], frames["tickets"]
    november = tickets[(tickets["created_at"] >= "2026-11-01") & (tickets["created_at"] < "2026-12-01")]
    mine = surveys[surveys["ticket_id"].isin(november["ticket_id"])]
    expected = int(mine["comment"].fillna("").str.contains("等了", regex=False).sum())
    assert expected > 0 and answer.data.rows[0][-1] == expected
    listed = planner.plan("show me comments that mention 等待 this month").intent
    assert listed.kind == "detail" and ("comment", "contains", frozenset({"等待"})) in _filters(listed)
    asked = planner.plan("最近7天评价里提到“态度”的有哪些").intent
    assert asked.kind == "detail" and ("comment", "contains", frozenset({"态度"})) in _filters(asked)


def test_one_word_changes_the_answer(planner: Planner) -> None:
    capped = planner.plan("channels where the satisfied rate is no higher than 70%").intent
    assert ("csat_satisfied_rate", "lte", frozenset({0.7})) in _filters(capped)  # not "higher than"
    q3 = planner.plan("How does our Q3 CSAT stack up against Q3 last year?").intent
    assert q3.query is not None and q3.query.compare == "same_period_last_year"
    assert q3.query.time_range is not None and q3.query.time_range.start == date(2026, 7, 1)
    closed = planner.plan("How many of this month's tickets have status closed?").intent
    assert closed.query is not None and list(closed.query.metrics) == ["ticket_count"]  # the status named
    assert _filters(closed) == {("status", "eq", frozenset({"已关闭"}))}
    both = planner.plan("complaints by product line this quarter, and the CSAT too").intent
    assert both.query is not None and list(both.query.metrics) == ["complaint_count", "avg_csat"]
    assert not both.query.filters  # added on, not "CSAT of complaints"
    level = planner.plan("what's driving the low CSAT on email tickets?").intent
    assert level.kind == "explain_change" and _filters(level) == {("channel", "eq", frozenset({"邮件"}))}
    sides = planner.plan("Do reopened tickets get lower satisfaction? CSAT by reopen flag please").intent
    assert sides.query is not None and not sides.query.filters  # both sides of the flag, compared
    assert planner.plan("CSAT of repeat buyers vs everyone else").intent.kind == "clarify"
    assert planner.plan("churn rate by channel").intent.kind == "clarify"  # customers have no channel
    churned = planner.plan("今年华东流失了多少客户").intent
    assert churned.query is not None and list(churned.query.metrics) == ["churned_customer_count"]


def test_follow_ups_that_change_one_thing(planner: Planner) -> None:
    ones = _plan(planner, "how many tickets were reopened last month", "which ones?")
    assert ones.kind == "detail" and ("reopened", "eq", frozenset({True})) in _filters(ones)
    assert planner.plan("which ones?").intent.kind == "clarify"  # nothing shown to point at
    bound = _plan(planner, "agents with CSAT under 3.5 this month", "what about under 3.8?")
    assert _filters(bound) == {("avg_csat", "lt", frozenset({3.8}))}  # replaced, not both
    only = _plan(planner, "repurchase rate by region", "household customers only")
    assert only.query is not None and list(only.query.metrics) == ["repurchase_rate"]
    assert [d.name for d in only.query.dimensions] == ["region"]
    assert _filters(only) == {("industry", "eq", frozenset({"家庭用户"}))}


@pytest.mark.parametrize(
    ("question", "metrics", "kind"),
    [
        ("Quick one for the Monday review: how many tickets came in last week?", ["ticket_count"], "metric"),
        ("My boss just asked how big our backlog is. Just the number please.", ["backlog_count"], "metric"),
        (
            "What was the resolution rate last month? CSAT too while you're at it",
            ["resolution_rate", "avg_csat"],
            "metric",
        ),
        ("Resolution rate for Q2 '26?", ["resolution_rate"], "metric"),
        ("What kind of issue takes longest to resolve?", ["avg_resolution_hours"], "metric"),
        ("What dragged satisfaction down in July?", ["avg_csat"], "explain_change"),
        ("comments from 1- and 2-star surveys on washing machines in September", [], "detail"),
    ],
)
def test_context_and_everyday_wording_around_a_question(
    planner: Planner, question: str, metrics: list[str], kind: str
) -> None:
    intent = planner.plan(question).intent
    assert intent.kind == kind and intent.query is not None, intent
    assert list(intent.query.metrics) == metrics


def test_negative_and_zero_are_numbers_and_money_is_not_in_the_data(planner: Planner) -> None:
    for question in (
        "provinces where NPS is negative",
        "Any channels with an NPS below zero?",
        "NPS是负数的产品线",
    ):
        assert ("nps", "lt", frozenset({0})) in _filters(planner.plan(question).intent), question
    assert planner.plan("total refund amount in RMB last month").intent.kind == "unsupported"
    assert (
        planner.plan("Will air conditioner complaints spike again next summer?").intent.kind == "unsupported"
    )
    assert planner.plan("把这周的投诉报表发给王总").intent.kind == "unsupported"  # an action
    kind = planner.plan("What kind of issue takes longest to resolve?").intent
    assert kind.query is not None and kind.query.limit == 1  # "what kind of issue": which one


def test_the_period_before_the_last_one_and_the_week_of_a_day(planner: Planner) -> None:
    before = _plan(planner, "complaints last month", "and the month before?")
    assert before.query is not None and before.query.time_range is not None
    assert (before.query.time_range.start, before.query.time_range.end) == (
        date(2026, 9, 1),
        date(2026, 10, 1),
    )
    that = _plan(planner, "complaints last month", "and the month before?", "and the month before that?")
    assert that.query is not None and that.query.time_range is not None
    assert that.query.time_range.start == date(2026, 8, 1)
    assert planner.plan("complaints the month before").intent.kind == "clarify"  # before what?
    week = planner.plan("How many tickets did Online team 2 handle in the week of Oct 26?").intent
    assert week.query is not None and week.query.time_range is not None
    assert (week.query.time_range.start, week.query.time_range.end) == (date(2026, 10, 26), date(2026, 11, 2))


def test_conversations_widen_list_add_and_ask(planner: Planner) -> None:
    every = _plan(
        planner, "how many tickets came in over the phone last week?", "and email?", "all channels again"
    )
    assert every.query is not None and not every.query.filters and not every.query.dimensions
    those = _plan(planner, "VIP complaints this week", "show me those tickets")
    assert those.kind == "detail" and ("is_complaint", "eq", frozenset({True})) in _filters(those)
    seen = _plan(planner, "how many low-score surveys this week", "let me see them")
    assert seen.kind == "detail" and ("csat_score", "lte", frozenset({2})) in _filters(seen)
    which = _plan(planner, "上周重开了多少单", "是哪些单")
    assert which.kind == "detail" and ("reopened", "eq", frozenset({True})) in _filters(which)
    added = _plan(planner, "今年硬件故障的重开率按产品线", "一次解决率也放进来")
    assert added.query is not None
    assert list(added.query.metrics) == ["reopen_rate", "first_contact_resolution_rate"]
    assert _plan(planner, "tickets by team last week", "so how's everyone doing overall?").kind == "clarify"
    assert _plan(planner, "各组上周工单量", "那整体表现怎么样").kind == "clarify"


def test_durations_days_of_a_month_and_measures_joined_by_and(planner: Planner) -> None:
    assert planner.plan("How many tickets took longer than 3 hours?").intent.kind == "clarify"  # of what?
    days = planner.plan("average resolution time for the tickets created from 1st to 7th November").intent
    assert days.query is not None and days.query.time_range is not None
    assert (days.query.time_range.start, days.query.time_range.end) == (date(2026, 11, 1), date(2026, 11, 8))
    both = planner.plan("Surveys received and survey response rate in October").intent
    assert both.query is not None and list(both.query.metrics) == ["survey_count", "survey_response_rate"]
    concentrated = planner.plan("where are most of our late responses coming from, region-wise?").intent
    assert concentrated.kind == "concentration" and concentrated.query is not None
    assert list(concentrated.query.metrics) == ["response_sla_breach_count"]


def test_careful_english_and_ranking_follow_ups(planner: Planner) -> None:
    kindly = planner.plan("Kindly tell me the first contact resolution rate of this week.").intent
    assert kindly.query is not None and list(kindly.query.metrics) == ["first_contact_resolution_rate"]
    landed = planner.plan("How many WeChat tickets landed overnight last week?").intent
    assert _filters(landed) == {("channel", "eq", frozenset({"微信"})), ("shift", "eq", frozenset({"夜班"}))}
    few = planner.plan("Do a few provinces account for most of the detractors?").intent
    assert few.kind == "concentration" and few.query is not None
    assert [d.name for d in few.query.dimensions] == ["province"]
    dated = planner.plan("List customers in Chengdu who rated us 1 or 2, with the survey date").intent
    assert dated.kind == "detail" and dated.query is not None and "surveyed_at" in dated.query.fields
    assert ("csat_score", "lte", frozenset({2})) in _filters(dated)
    five = _plan(planner, "Which 3 cities have the lowest CSAT this quarter?", "show 5 instead")
    assert five.query is not None and five.query.limit == 5
    assert [(o.field, o.desc) for o in five.query.order_by] == [("avg_csat", False)]  # still the lowest
    assert planner.plan("帮我把它们都关掉").intent.kind == "unsupported"  # an action on the data
    assert planner.plan("what are they paid on average?").intent.kind == "unsupported"  # pay: not held


@pytest.mark.parametrize(
    ("question", "filters"),
    [
        ("avg FRT on everything but P4", {("priority", "ne", frozenset({"P4"}))}),
        ("last month's ticket volume minus the stores", {("channel", "ne", frozenset({"门店"}))}),
        (
            "how many surveys came back with a score under 4 last month",
            {("csat_score", "lt", frozenset({4}))},
        ),
        ("tickets raised at night, by region", {("shift", "eq", frozenset({"夜班"}))}),
        ("list this week's surveys that scored below 3", {("csat_score", "lt", frozenset({3}))}),
        (
            "How many VIP tickets waited over an hour for a first response this week?",
            {("customer_tier", "eq", frozenset({"VIP"})), ("first_response_minutes", "gt", frozenset({60}))},
        ),
    ],
)
def test_traps_that_skimming_would_answer_wrongly(
    planner: Planner, question: str, filters: set[tuple[str, str, frozenset[object]]]
) -> None:
    intent = planner.plan(question).intent
    assert intent.query is not None and _filters(intent) == filters, intent
    assert not any(d.grain for d in intent.query.dimensions)  # "raised at night" is no series by date


def test_groupings_and_measures_said_around_an_exclusion_or_a_plus(planner: Planner) -> None:
    scope = planner.plan("FCR for all teams that aren't hotline team 1 or hotline team 2").intent
    assert scope.query is not None and not scope.query.dimensions  # all the other teams, together
    grouped = planner.plan("complaints by team excluding VIP desk").intent
    assert grouped.query is not None and [d.name for d in grouped.query.dimensions] == ["team"]
    regrouped = planner.plan("NPS by team, all teams except tech support").intent  # said "by team" too
    assert regrouped.query is not None and [d.name for d in regrouped.query.dimensions] == ["team"]
    plus = planner.plan("ticket volume by region, plus the complaint rate").intent
    assert plus.query is not None and list(plus.query.metrics) == ["ticket_count", "complaint_rate"]
    both = planner.plan("give me both churn rate and repurchase rate per customer tier").intent
    assert both.query is not None and list(both.query.metrics) == ["churn_rate", "repurchase_rate"]
    assert planner.plan("delete last week's surveys please").intent.kind == "unsupported"


@pytest.mark.parametrize(
    ("question", "period"),
    [
        ("tix yday", (date(2026, 11, 14), date(2026, 11, 15))),
        ("reopen rate last mo", (date(2026, 10, 1), date(2026, 11, 1))),
    ],
)
def test_phone_shorthand(planner: Planner, question: str, period: tuple[date, date]) -> None:
    intent = planner.plan(question).intent
    assert intent.kind == "metric" and intent.query is not None and intent.query.time_range is not None
    assert (intent.query.time_range.start, intent.query.time_range.end) == period


def test_asked_to_check_a_number_and_long_lists(planner: Planner) -> None:
    checked = planner.plan("double-check the total number of tickets we took in October").intent
    assert checked.query is not None and list(checked.query.metrics) == ["ticket_count"]
    confirmed = planner.plan(
        "Can you confirm the first-contact resolution rate for VIP customers so far this year?"
    ).intent
    assert confirmed.query is not None and list(confirmed.query.metrics) == ["first_contact_resolution_rate"]
    listed = planner.plan(
        "show the urgent washing machine hardware failure tickets created yesterday, with creation timestamps"
    ).intent
    assert listed.kind == "detail" and listed.query is not None and "created_at" in listed.query.fields


def test_a_condition_on_the_counted_rows_stays_on_rows_in_groups(planner: Planner) -> None:
    rows = planner.plan("tickets that took over 3 days to resolve by region").intent
    assert rows.query is not None and [d.name for d in rows.query.dimensions] == ["region"]
    assert [(f.field, f.op, f.values) for f in rows.query.filters] == [("resolution_hours", "gt", (72,))]
    assert not any(f.metric for f in rows.query.filters)  # not regions whose average is over 72 hours


def test_adding_a_measure_in_there_points_at_no_group(
    eval_planner: Planner, eval_layer: SemanticLayer
) -> None:
    first = eval_planner.plan("CSAT by channel for last quarter")
    query = data_query(first.intent)
    assert query is not None
    state = remember_shown(first.state, first.intent, eval_layer.query(query))
    added = eval_planner.plan("throw NPS in there as well", state).intent
    assert added.query is not None and set(added.query.metrics) == {"avg_csat", "nps"}
    assert [d.name for d in added.query.dimensions] == ["channel"] and not added.query.filters


@pytest.mark.parametrize(
    ("question", "metric", "start"),
    [
        ("If it isn't too much trouble, I'd like to see the p90 first response time for the past 30 days.",
         "p90_first_response_minutes", date(2026, 10, 17)),
        ("When you have a moment, I'd appreciate knowing how many surveys we received back last month.",
         "survey_count", date(2026, 10, 1)),
        ("need the complaint count for the past 7 days asap, exec review in 10 min", "complaint_count",
         date(2026, 11, 9)),
        ("whats our csat so far tihs year", "avg_csat", date(2026, 1, 1)),  # a misspelt period word
        ("nps for wechat tickets lst month", "nps", date(2026, 10, 1)),  # its consonants alone
    ],
)  # fmt: skip
def test_polite_frames_chatter_and_misspelt_period_words(
    eval_planner: Planner, question: str, metric: str, start: date
) -> None:
    intent = eval_planner.plan(question).intent
    assert intent.kind == "metric" and intent.query is not None, intent
    assert list(intent.query.metrics) == [metric] and intent.query.time_range is not None
    assert intent.query.time_range.start == start


def test_what_polite_frames_and_respelling_leave_alone(eval_planner: Planner) -> None:
    negated = eval_planner.plan("tickets that didn't come in by phone, if you don't mind").intent
    assert negated.query is not None and _filters(negated) == {("channel", "ne", frozenset({"电话"}))}
    assert eval_planner.plan("why is csat weak in the east").intent.kind == "clarify"  # not "week"
    closed = eval_planner.plan("how many tickets did we close out in Q3?").intent  # not "did we lose"
    assert closed.query is not None and list(closed.query.metrics) == ["resolved_ticket_count"]


def test_them_within_the_question_and_counts_listed_with_rates(eval_planner: Planner) -> None:
    both = eval_planner.plan(
        "How many tickets did we get last week, and how many of them were complaints?"
    ).intent
    assert both.query is not None and list(both.query.metrics) == ["ticket_count", "complaint_count"]
    listed = eval_planner.plan(
        "the number of customers, the churn rate and the repurchase rate by customer tier"
    )
    assert listed.intent.query is not None
    assert list(listed.intent.query.metrics) == ["customer_count", "churn_rate", "repurchase_rate"]
    rate = eval_planner.plan("for fridges this year, how many reopens and what's the reopen rate?").intent
    assert rate.query is not None and _filters(rate) == {
        ("product_line", "eq", frozenset({"冰箱"}))
    }  # not a 100% rate


def test_scopes_that_are_no_grouping(eval_planner: Planner) -> None:
    scope = eval_planner.plan("Median first response time over the last 30 days, all channels.").intent
    assert scope.query is not None and not scope.query.dimensions
    first = eval_planner.plan("How many tickets came in through the walk-in stores this year?")
    others = eval_planner.plan("And through all the other channels?", first.state).intent
    assert others.query is not None and not others.query.dimensions
    assert _filters(others) == {("channel", "ne", frozenset({"门店"}))}
    assert eval_planner.plan("csat for everyone else").intent.kind == "clarify"  # no one named before


def test_measures_in_everyday_words(eval_planner: Planner) -> None:
    one = eval_planner.plan("Lowest-CSAT product line in July?").intent
    assert one.query is not None and one.query.limit == 1
    half = eval_planner.plan("NPS for the first half of this year against the same half last year").intent
    assert half.query is not None and half.query.compare == "same_period_last_year"
    kind = eval_planner.plan("Which type of problem gets the most complaints?").intent
    assert kind.query is not None and [d.name for d in kind.query.dimensions] == ["category"]
    fix = eval_planner.plan("which product line takes the longest to fix?").intent
    assert fix.query is not None and list(fix.query.metrics) == ["avg_resolution_hours"]
    assert eval_planner.plan("how long do tickets take in South China?").intent.kind == "clarify"
    first = eval_planner.plan("How long does it take on average to close a ticket?")
    scoped = eval_planner.plan("And for tickets from schools?", first.state).intent
    assert scoped.query is not None and list(scoped.query.metrics) == ["avg_close_hours"]


def test_lists_asked_with_pull_up_or_a_condition(eval_planner: Planner) -> None:
    comments = eval_planner.plan(
        "pull up the survey comments that mention '态度' from the last 30 days"
    ).intent
    assert comments.kind == "detail"
    slow = eval_planner.plan(
        "Show the AC-300 tickets in South China from July that took over 72 hours to resolve."
    )
    assert slow.intent.kind == "detail" and slow.intent.query is not None
    assert ("resolution_hours", "gt", (72,)) in {(f.field, f.op, f.values) for f in slow.intent.query.filters}


@pytest.mark.parametrize(
    ("question", "period"),
    [
        ("11月11日那周的进线量", (date(2026, 11, 9), date(2026, 11, 16))),  # the week, not the day
        ("去年双十一那周进线量", (date(2025, 11, 10), date(2025, 11, 17))),
        ("去年双十一那周（2025/11/10~11/16）进线量多少", (date(2025, 11, 10), date(2025, 11, 17))),
        ("week of nov 11 last year tickets", (date(2025, 11, 10), date(2025, 11, 17))),
    ],
)
def test_weeks_of_days_and_years_said_beside_them(
    eval_planner: Planner, question: str, period: tuple[date, date]
) -> None:
    intent = eval_planner.plan(question).intent
    assert intent.kind == "metric" and intent.query is not None and intent.query.time_range is not None
    assert (intent.query.time_range.start, intent.query.time_range.end) == period


def test_conditions_a_total_cannot_take_are_asked(eval_planner: Planner) -> None:
    assert (
        eval_planner.plan("nps score 6 or lower last month").intent.kind == "clarify"
    )  # not HAVING on a total
    recent = eval_planner.plan("近7天首响 vs 前7天").intent
    assert recent.query is not None and recent.query.compare == "previous_period"
    broken = eval_planner.plan("哪个型号坏得最多").intent
    assert broken.query is not None and _filters(broken) == {("category", "eq", frozenset({"硬件故障"}))}
    often = eval_planner.plan("for network issues, how often do we get it fixed on first contact?").intent
    assert often.query is not None and list(often.query.metrics) == ["first_contact_resolution_rate"]


def test_a_share_of_the_records_after_a_count_is_its_rate(eval_planner: Planner) -> None:
    first = eval_planner.plan("how many tickets did tech support fix last month?")
    share = eval_planner.plan("what share of their tickets is that?", first.state).intent
    assert share.query is not None and list(share.query.metrics) == ["resolution_rate"]
    assert _filters(share) == {("team", "eq", frozenset({"技术支持组"}))}


def test_putting_an_excluded_value_back_drops_the_exclusion(eval_planner: Planner) -> None:
    first = eval_planner.plan("complaint rate in East China this quarter")
    without = eval_planner.plan("and without the store channel?", first.state)
    back = eval_planner.plan("put stores back in, but show it by city", without.state).intent
    assert back.query is not None and _filters(back) == {("region", "eq", frozenset({"华东"}))}
    zh = eval_planner.plan("把门店加回来", eval_planner.plan("投诉率 不含门店").state).intent
    assert zh.query is not None and not zh.query.filters


def test_misspelt_phrasing_is_phrasing_but_not_other_real_words(eval_planner: Planner) -> None:
    typo = eval_planner.plan("I'd really apprecaite the complaint count for last month, thnaks").intent
    assert typo.query is not None and list(typo.query.metrics) == ["complaint_count"]
    bought = eval_planner.plan("how many customers have bought from us again? all time").intent
    assert not (
        bought.query is not None and list(bought.query.metrics) == ["customer_count"]
    )  # not "brought"


@pytest.mark.parametrize(
    ("question", "period"),
    [
        ("how many P1 tickets came in over the weekend", (date(2026, 11, 14), date(2026, 11, 16))),
        ("how did the reopen rate trend through the summer", (date(2026, 6, 1), date(2026, 9, 1))),
        ("complaints last winter", (date(2025, 12, 1), date(2026, 3, 1))),
        ("去年夏天的投诉量", (date(2025, 6, 1), date(2025, 9, 1))),
        (
            "For the board pack: ticket volume YTD vs same period last year",
            (date(2026, 1, 1), date(2026, 11, 16)),
        ),
    ],
)
def test_seasons_weekends_and_meeting_framing(
    eval_planner: Planner, question: str, period: tuple[date, date]
) -> None:
    intent = eval_planner.plan(question).intent
    assert intent.query is not None and intent.query.time_range is not None, intent
    assert (intent.query.time_range.start, intent.query.time_range.end) == period


def test_fall_is_a_change_not_a_season(eval_planner: Planner) -> None:
    fell = eval_planner.plan("why did FCR fall in Q3?").intent
    assert fell.query is not None and fell.query.time_range is not None
    assert fell.query.time_range.start == date(2026, 7, 1)


def test_lists_with_named_columns_and_record_conditions(eval_planner: Planner) -> None:
    listed = eval_planner.plan("list yesterday's complaint tickets - ticket id, agent and region pls").intent
    assert listed.kind == "detail" and listed.query is not None
    assert {"ticket_id", "agent", "region"} <= set(listed.query.fields)  # columns, not groups
    measures = eval_planner.plan("show tickets + CSAT by channel, YTD").intent
    assert measures.kind == "metric"  # CSAT is a measure here, not a column
    slow = eval_planner.plan("how many tickets took longer than 48 hours to resolve last month?").intent
    assert slow.query is not None and list(slow.query.metrics) == ["ticket_count"]
    three = eval_planner.plan("Give me tickets, complaints and CSAT for last quarter.").intent
    assert three.kind == "metric" and three.query is not None and len(three.query.metrics) == 3


def test_flags_split_both_ways_and_changes_said_as_comparatives(eval_planner: Planner) -> None:
    split = eval_planner.plan("NPS last quarter broken down by whether the ticket was a complaint").intent
    assert split.query is not None and [d.name for d in split.query.dimensions] == ["is_complaint"]
    assert not split.query.filters
    slower = eval_planner.plan("why did first response get slower last week?").intent
    assert slower.query is not None and slower.query.compare == "previous_period"
    level = eval_planner.plan("why is first response so slow in east china").intent
    assert level.query is not None and level.query.compare is None
    fewest = eval_planner.plan("model with the fewest complaints this year").intent
    assert fewest.query is not None and fewest.query.limit == 1


def test_follow_ups_in_few_words(eval_planner: Planner) -> None:
    def chain(*questions: str) -> Intent:
        state = ConversationState()
        for question in questions:
            plan = eval_planner.plan(question, state)
            state = plan.state
        return plan.intent

    swapped = chain("NPS by industry for 2025", "Detractors?")
    assert swapped.query is not None and [d.name for d in swapped.query.dimensions] == ["industry"]
    then = chain(
        "How many complaints did we have this week?",
        "what about response time?",
        "ok, first response time then",
    )
    assert then.query is not None and then.query.time_range is not None
    assert then.query.time_range.start == date(2026, 11, 9)
    worst = chain("complaint rate by team last month", "worst one?")
    assert worst.query is not None and worst.query.limit == 1
    who = chain("reopened tickets for WM-700 last month", "who are the customers?")
    assert who.kind == "detail" and _filters(who) == {
        ("product_model", "eq", frozenset({"WM-700"})),
        ("reopened", "eq", frozenset({True})),
    }
    ordered = chain(
        "tickets and complaint rate for each region in last 3 months",
        "add the NPS",
        "sort by NPS from low to high",
    )
    assert ordered.query is not None and set(ordered.query.metrics) == {
        "ticket_count",
        "complaint_rate",
        "nps",
    }
    assert [(o.field, o.desc) for o in ordered.query.order_by] == [("nps", False)]
    narrowed = chain("regions with breach rate over 15% this month", "what about under 10%?")
    assert narrowed.query is not None and [(f.op, f.values) for f in narrowed.query.filters] == [
        ("lt", (0.1,))
    ]


@pytest.mark.parametrize(
    ("question", "filters"),
    [
        ("不算投诉单的话，满意度多少", {("is_complaint", "eq", frozenset({False}))}),
        ("紧急单不含在内，平均首响多少", {("priority", "ne", frozenset({"P1"}))}),
        ("没重开过的单子的解决时长", {("reopened", "eq", frozenset({False}))}),
        ("投诉工单平均多久解决", {("is_complaint", "eq", frozenset({True}))}),  # 解决 names the duration
        ("复购率低于2成的行业", {("repurchase_rate", "lt", frozenset({0.2}))}),  # 2成 is 20%, not 2%
    ],
)
def test_chinese_negations_after_the_value_and_yes_no_records(
    eval_planner: Planner, question: str, filters: set[tuple[str, str, frozenset[object]]]
) -> None:
    intent = eval_planner.plan(question).intent
    assert intent.kind == "metric" and intent.query is not None and _filters(intent) == filters, intent


def test_yes_no_records_compared_stay_grouped(eval_planner: Planner) -> None:
    for question in ("重开过的工单NPS是不是明显低一些?", "重开过的和没重开过的单子，满意度分别多少"):
        intent = eval_planner.plan(question).intent
        assert intent.query is not None and [d.name for d in intent.query.dimensions] == ["reopened"], (
            question
        )


def test_records_named_by_their_id(eval_planner: Planner) -> None:
    ticket = eval_planner.plan("can you show me ticket T000000001").intent
    assert ticket.kind == "detail" and ticket.query is not None and ticket.query.time_range is None
    assert _filters(ticket) == {("ticket_id", "eq", frozenset({"T000000001"}))}
    customer = eval_planner.plan("客户C00000001的全部工单列一下").intent
    assert customer.kind == "detail" and _filters(customer) == {
        ("customer_id", "eq", frozenset({"C00000001"}))
    }
    unplaced = eval_planner.plan("complaints about X12345678 last month").intent  # an id of nothing named
    assert unplaced.kind == "clarify"


def test_lists_with_the_columns_asked_for(eval_planner: Planner) -> None:
    survey = eval_planner.plan("打1分的回访，评价时间和评论都要").intent
    assert survey.kind == "detail" and survey.query is not None
    assert {"surveyed_at", "comment"} <= set(survey.query.fields)
    created = eval_planner.plan("今天新建的P1工单有哪些，带上工单号和建单时间").intent
    assert created.query is not None and "created_at" in created.query.fields
    counted = eval_planner.plan("last month's ticket numbers per province").intent
    assert counted.kind == "metric"  # "ticket numbers per province" counts them


@pytest.mark.parametrize(
    ("question", "metric"),
    [
        ("Board meeting is tomorrow morning - what's our total ticket volume year to date?", "ticket_count"),
        ("Good morning! Hope you're well. What's our average CSAT over the last 90 days? Many thanks in advance.",
         "avg_csat"),
        ("Could you chart the average time to close tickets on a monthly basis since March? That would be wonderful.",
         "avg_close_hours"),
        ("how many complants this wek", "complaint_count"),
        ("How many satisfaction surveys did we get back this year?", "survey_count"),
        ("what percent of surveys were satisfied last quarter", "csat_satisfied_rate"),
    ],
)  # fmt: skip
def test_sentences_of_chatter_around_a_question(eval_planner: Planner, question: str, metric: str) -> None:
    intent = eval_planner.plan(question).intent
    assert intent.kind == "metric" and intent.query is not None and list(intent.query.metrics) == [metric], (
        intent
    )


def test_chatter_never_hides_a_word_that_matters(eval_planner: Planner) -> None:
    assert (
        eval_planner.plan("CSAT for VIPs. Weighted.").intent.kind == "clarify"
    )  # no thanks or greeting in it
    assert eval_planner.plan("complaints last month. Revenue too, thanks.").intent.kind == "unsupported"
    deleting = eval_planner.plan("Would you mind deleting all the closed tickets from 2024? Thanks.").intent
    assert deleting.kind == "unsupported"


def test_numbers_said_at_the_end_of_a_sentence(eval_planner: Planner) -> None:
    first = eval_planner.plan("complaints by region this month")
    top = eval_planner.plan("Please only the top 5.", first.state).intent
    assert top.query is not None and top.query.limit == 5
    five = eval_planner.plan("Which agents have the lowest NPS? Give me 5 of them.").intent
    assert five.query is not None and five.query.limit == 5
    before = eval_planner.plan("detractors last 30d vs the 30d before").intent
    assert before.query is not None and before.query.compare == "previous_period"


@pytest.mark.parametrize(
    "question",
    [
        "are most of our detractors coming from a few provinces?",
        "Do complaints mostly come from a few issue types?",
        "Do a few models account for most of the complaints this year?",
        "are SLA breaches concentrated in a handful of regions?",
        "In North China, do a few product lines drive most of the ticket volume?",
    ],
)
def test_a_few_is_concentration_not_three(eval_planner: Planner, question: str) -> None:
    intent = eval_planner.plan(question).intent
    assert intent.kind == "concentration" and intent.query is not None and intent.query.dimensions, intent


def test_comment_searches_and_shorthand_columns(eval_planner: Planner) -> None:
    said = eval_planner.plan("list comments containing 反复 on washing machine tickets").intent
    assert said.kind == "detail" and ("comment", "contains", frozenset({"反复"})) in _filters(said)
    columns = eval_planner.plan(
        "complaint tickets from the walk-in stores this week - id, customer, priority"
    ).intent
    assert columns.kind == "detail" and columns.query is not None and "priority" in columns.query.fields
    assert eval_planner.plan("tickets in the last few weeks").intent.kind == "clarify"  # how many weeks?
    three = eval_planner.plan("complaints over the last several months").intent
    assert three.query is not None and three.query.time_range is not None
    assert three.query.time_range.start == date(2026, 9, 1)


def test_a_score_said_after_its_name(eval_planner: Planner) -> None:
    listed = eval_planner.plan("tix w csat 1 from online team 2 this mo, show comments + scores").intent
    assert listed.kind == "detail" and ("csat_score", "eq", frozenset({1})) in _filters(listed)
    assert eval_planner.plan("avg csat 4 regions").intent.kind == "clarify"  # not regions whose CSAT is 4
    same = eval_planner.plan("Please compare the NPS of this year with the last year, same period.").intent
    assert same.query is not None and same.query.compare == "same_period_last_year"


def test_a_new_question_said_so_starts_over(eval_planner: Planner) -> None:
    first = eval_planner.plan("complaints by region")
    fresh = eval_planner.plan(
        "unrelated q - how many installation tickets did we get in Hubei last month?", first.state
    )
    assert fresh.intent.query is not None and not fresh.intent.query.dimensions
    assert list(fresh.intent.query.metrics) == ["ticket_count"]
    both = eval_planner.plan("p1 + p2 tickets in the queue right now").intent  # "1 +" is no "1 or more"
    assert both.query is not None and _filters(both) == {("priority", "in", frozenset({"P1", "P2"}))}


def test_a_drop_in_volume_is_a_change_not_a_request(eval_planner: Planner) -> None:
    why = eval_planner.plan("What caused the drop in ticket volume in February?").intent
    assert why.kind == "explain_change"
    assert eval_planner.plan("drop the tickets table").intent.kind == "unsupported"
    assert eval_planner.plan("delete all tickets from 2024").intent.kind == "unsupported"


def test_follow_ups_that_rank_or_list_with_columns(eval_planner: Planner) -> None:
    first = eval_planner.plan("FCR by team this quarter")
    ranked = eval_planner.plan("rank them, worst first", first.state).intent
    assert ranked.query is not None
    assert [(o.field, o.desc) for o in ranked.query.order_by] == [("first_contact_resolution_rate", False)]
    counted = eval_planner.plan("how many tickets took over 2 days to resolve last week?")
    listed = eval_planner.plan("which ones? ids and agents", counted.state).intent
    assert listed.kind == "detail" and listed.query is not None and "agent" in listed.query.fields
    csat = eval_planner.plan("csat last 30 days")
    others = eval_planner.plan("and for the ones that weren't reopened?", csat.state).intent
    assert others.query is not None and list(others.query.metrics) == ["avg_csat"]
    assert _filters(others) == {("reopened", "eq", frozenset({False}))}


def test_a_measures_median_and_how_satisfied(eval_planner: Planner) -> None:
    median = eval_planner.plan("what was the median wait for a first response last month").intent
    assert median.query is not None and list(median.query.metrics) == ["median_first_response_minutes"]
    assert eval_planner.plan("median csat").intent.kind == "clarify"  # CSAT has no median in the model
    happy = eval_planner.plan("Which region has the most satisfied customers on average?").intent
    assert happy.query is not None and list(happy.query.metrics) == ["avg_csat"] and happy.query.limit == 1


def test_days_written_day_first_or_with_their_weekday(eval_planner: Planner) -> None:
    ranged = eval_planner.plan("tickets logged from 3 October to 9 October").intent
    assert ranged.query is not None and ranged.query.time_range is not None
    assert (ranged.query.time_range.start, ranged.query.time_range.end) == (
        date(2026, 10, 3),
        date(2026, 10, 10),
    )
    named = eval_planner.plan("complaints on Thursday, Nov 12").intent  # Nov 12, 2026 is a Thursday
    assert named.query is not None and named.query.time_range is not None
    assert named.query.time_range.start == date(2026, 11, 12)
    assert eval_planner.plan("complaints on Friday, Nov 12").intent.kind == "clarify"  # which day, then?
    inclusive = eval_planner.plan("surveys between 2026-09-01 and 2026-09-30, both dates inclusive").intent
    assert inclusive.query is not None and inclusive.query.time_range is not None
    assert inclusive.query.time_range.end == date(2026, 10, 1)
    until_now = eval_planner.plan("reopen rate this quarter until now").intent
    assert until_now.query is not None and until_now.query.time_range is not None
    assert until_now.query.time_range.start == date(2026, 10, 1)


def test_misspelt_months_and_chat_abbreviations(eval_planner: Planner) -> None:
    month = eval_planner.plan("csat in novmber").intent
    assert month.query is not None and month.query.time_range is not None
    assert month.query.time_range.start == date(2026, 11, 1)
    bound = eval_planner.plan("regions with a reopen rate above 5 pct").intent
    assert bound.query is not None and [(f.metric, f.op, f.values) for f in bound.query.filters] == [
        ("reopen_rate", "gt", (0.05,))
    ]
    assert eval_planner.plan("resolution time distrib last month").intent.kind == "distribution"


def test_comparisons_said_in_more_words(eval_planner: Planner) -> None:
    yearly = eval_planner.plan("complaints this month compared to the same month of last year").intent
    assert yearly.query is not None and yearly.query.compare == "same_period_last_year"
    prior = eval_planner.plan(
        "comparing the reopen rate for the last 14 days with the 14 days before it"
    ).intent
    assert prior.query is not None and prior.query.compare == "previous_period"
    assert list(prior.query.metrics) == ["reopen_rate"]
    flagged = eval_planner.plan("nps for reopened tickets versus the ones that were not").intent
    assert flagged.query is not None and [d.name for d in flagged.query.dimensions] == ["reopened"]


def test_follow_ups_that_repeat_the_question_or_change_the_grain(eval_planner: Planner) -> None:
    first = eval_planner.plan("which channel had the most tickets last month?")
    same = eval_planner.plan("same question for CSAT", first.state).intent
    assert same.query is not None and [d.name for d in same.query.dimensions] == ["channel"]
    assert list(same.query.metrics) == ["avg_csat"] and same.query.limit == 1
    trend = eval_planner.plan("complaints trend this quarter")
    weekly = eval_planner.plan("change it to by week", trend.state).intent
    assert weekly.query is not None and [d.grain for d in weekly.query.dimensions] == ["week"]
    assert eval_planner.plan("change the priority of T000123 to P1").intent.kind == "unsupported"


def test_records_counted_by_a_score_range(eval_planner: Planner) -> None:
    detractors = eval_planner.plan("how many surveys with an nps score of 0 to 6 last month").intent
    assert detractors.query is not None and list(detractors.query.metrics) == ["survey_count"]
    assert [(f.field, f.op, f.values) for f in detractors.query.filters] == [("nps_score", "lte", (6,))]
    grouped = eval_planner.plan("surveys with a csat score under 3 by channel").intent
    assert grouped.query is not None and list(grouped.query.metrics) == ["survey_count"]
    assert [(f.field, f.op) for f in grouped.query.filters] == [("csat_score", "lt")]
    groups = eval_planner.plan("channels with an nps below 0").intent  # the groups' NPS, not the surveys'
    assert groups.query is not None and [f.metric for f in groups.query.filters] == ["nps"]


def test_shares_said_as_a_percentage_or_the_lions_share(eval_planner: Planner) -> None:
    for question in (
        "which channels make up 80% of tickets this quarter",
        "the lion's share of complaints by city",
    ):
        assert eval_planner.plan(question).intent.kind == "concentration", question
    happy = eval_planner.plan("how happy are the VIP customers").intent
    assert happy.query is not None and list(happy.query.metrics) == ["avg_csat"]
    assert _filters(happy) == {("customer_tier", "eq", frozenset({"VIP"}))}


def test_chinese_scope_of_a_negation_and_the_week_before(eval_planner: Planner) -> None:
    scoped = eval_planner.plan("非邮件渠道的VIP客户投诉量").intent
    assert scoped.query is not None
    assert _filters(scoped) == {
        ("channel", "ne", frozenset({"邮件"})),
        ("customer_tier", "eq", frozenset({"VIP"})),
    }
    first = eval_planner.plan("各渠道的满意度")
    dropped = eval_planner.plan("电话的不看", first.state).intent
    assert dropped.query is not None and _filters(dropped) == {("channel", "ne", frozenset({"电话"}))}
    week = eval_planner.plan("上周的投诉量")
    before = eval_planner.plan("再往前一周呢", week.state).intent
    assert before.query is not None and before.query.time_range is not None
    assert before.query.time_range.start == date(2026, 10, 26)


def test_chinese_lists_and_charts_asked_plainly(eval_planner: Planner) -> None:
    which = eval_planner.plan("把本周的数据拉出来").intent  # a list of which records, or a measure?
    assert which.kind == "clarify" and which.clarification is not None
    assert which.clarification.options[0].intent is not None
    assert which.clarification.options[0].intent.kind == "detail"
    scored = eval_planner.plan("给了满意度2分的客户有哪些").intent
    assert scored.kind == "detail" and scored.query is not None
    assert [(f.field, f.op, f.values) for f in scored.query.filters] == [("csat_score", "eq", (2,))]
    charted = eval_planner.plan("NPS 的走势图来一张").intent
    assert charted.query is not None and [d.grain for d in charted.query.dimensions] == ["month"]
    fastest = eval_planner.plan("which team is most fast to respond").intent
    assert fastest.query is not None and fastest.query.order_by[0].desc is False


def test_traditional_characters_mentions_and_e_mail_sign_offs(eval_planner: Planner) -> None:
    traditional = eval_planner.plan("華南區上個月的滿意度").intent
    assert traditional.query is not None and list(traditional.query.metrics) == ["avg_csat"]
    assert _filters(traditional) == {("region", "eq", frozenset({"华南"}))}
    mention = eval_planner.plan("@小助手 麻烦看下本周的投诉量").intent
    assert mention.query is not None and list(mention.query.metrics) == ["complaint_count"]
    mailed = eval_planner.plan("Hi team, what was the reopen rate last month? Many thanks, Alex").intent
    assert mailed.query is not None and not mailed.query.dimensions  # "team" greets, it is no grouping
    assert list(mailed.query.metrics) == ["reopen_rate"]
    assert eval_planner.plan("which channel is best").intent.kind == "clarify"  # "best" is no sign-off
    share = eval_planner.plan("投诉率高于百分之八的大区").intent
    assert share.query is not None and [f.values for f in share.query.filters] == [(0.08,)]


def test_chinese_lists_negated_after_and_the_others(eval_planner: Planner) -> None:
    both = eval_planner.plan("电话、邮件以外的满意度").intent
    assert both.query is not None and _filters(both) == {("channel", "not_in", frozenset({"电话", "邮件"}))}
    first = eval_planner.plan("普通客户上个月的投诉量")
    others = eval_planner.plan("其他客户呢", first.state).intent
    assert others.query is not None and _filters(others) == {("customer_tier", "ne", frozenset({"普通"}))}
    counted = eval_planner.plan("上周投诉有多少")
    listed = eval_planner.plan("分别是哪几个", counted.state).intent
    assert listed.kind == "detail"
    ranked = eval_planner.plan("投诉量最多的三类问题").intent
    assert ranked.query is not None and ranked.query.limit == 3
    spread = eval_planner.plan("上个月客户打分的分布").intent
    assert spread.kind == "distribution" and spread.query is not None
    assert list(spread.query.fields) == ["csat_score"]
    mostly = eval_planner.plan("投诉主要是哪几个城市贡献的").intent
    assert mostly.kind == "concentration"


def test_periods_since_a_start_and_changes_on_the_last_one(eval_planner: Planner) -> None:
    since = eval_planner.plan("complaints by quarter since the start of last year").intent
    assert since.query is not None and since.query.time_range is not None
    assert (since.query.time_range.start, since.query.time_range.end) == (
        date(2025, 1, 1),
        date(2026, 11, 16),
    )
    up = eval_planner.plan("is the backlog up on last week?").intent
    assert up.query is not None and up.query.compare == "previous_period"
    assert eval_planner.plan("set ticket T000000042 to high priority").intent.kind == "unsupported"
    filler = eval_planner.plan("客户给我们打的那个满意分平均多少").intent
    assert filler.query is not None and list(filler.query.metrics) == ["avg_csat"]


def test_a_ranking_by_the_measure_its_superlative_names(eval_planner: Planner) -> None:
    ranked = eval_planner.plan("NPS of the five cities with the most tickets last quarter").intent
    assert ranked.query is not None and set(ranked.query.metrics) == {"nps", "ticket_count"}
    assert [o.field for o in ranked.query.order_by] == ["ticket_count"] and ranked.query.limit == 5
    chinese = eval_planner.plan("今年投诉最多的五个城市，满意度分别多少").intent
    assert chinese.query is not None and [o.field for o in chinese.query.order_by] == ["complaint_count"]
    assert not chinese.query.filters  # the complaints rank; they do not pick the records
    sorted_by = eval_planner.plan("各大区满意度和工单量，按工单量排序").intent
    assert sorted_by.query is not None and [o.field for o in sorted_by.query.order_by] == ["ticket_count"]


def test_follow_ups_keep_the_list_length_and_the_dimension_shown(eval_planner: Planner) -> None:
    top = eval_planner.plan("上月满意度最高的5个城市")
    lowest = eval_planner.plan("换成最低的", top.state).intent
    assert lowest.query is not None and lowest.query.limit == 5
    assert [o.desc for o in lowest.query.order_by] == [False]
    cities = eval_planner.plan("top 5 cities by complaints")
    without = eval_planner.plan("without Tianjin", cities.state).intent  # Tianjin: a province and a city
    assert without.query is not None and _filters(without) == {("city", "ne", frozenset({"天津"}))}
    channels = eval_planner.plan("上月各渠道的投诉量")
    further = eval_planner.plan("再按优先级拆一下", channels.state).intent
    assert further.query is not None and [d.name for d in further.query.dimensions] == ["channel", "priority"]
    averaged = eval_planner.plan("average time to close by team")
    assert eval_planner.plan("and the median?", averaged.state).intent.kind == "clarify"  # it has none


def test_records_counted_after_a_condition_and_columns_named_after_a_list(eval_planner: Planner) -> None:
    counted = eval_planner.plan("上周解决时长超过3天的工单数").intent
    assert counted.query is not None and list(counted.query.metrics) == ["ticket_count"]
    listed = eval_planner.plan("上周投诉的单子列出来 带上大区和客服").intent
    assert listed.kind == "detail" and listed.query is not None
    assert {"region", "agent"} <= set(listed.query.fields)
    nps = eval_planner.plan("show comments where the would-you-recommend score was 10 last month").intent
    assert nps.query is not None and [f.field for f in nps.query.filters] == ["nps_score"]
    assert eval_planner.plan("把本月投诉周报发邮件给我老板").intent.kind == "unsupported"
    assert eval_planner.plan("帮我写一段统计各渠道满意度的SQL").intent.kind == "unsupported"
    assert eval_planner.plan("what will the backlog be at the end of the month?").intent.kind == "unsupported"


def test_follow_ups_that_exclude_more_or_turn_a_flag_round(eval_planner: Planner) -> None:
    first = eval_planner.plan("tickets by channel last month excluding email")
    more = eval_planner.plan("leave out the app too", first.state).intent
    assert more.query is not None and _filters(more) == {("channel", "not_in", frozenset({"邮件", "App"}))}
    chinese = eval_planner.plan("上月各渠道工单量，不算电话")
    also = eval_planner.plan("微信的也不算", chinese.state).intent
    assert also.query is not None and _filters(also) == {("channel", "not_in", frozenset({"电话", "微信"}))}
    never = eval_planner.plan("csat for non-complaint tickets this month")
    other = eval_planner.plan("and the complaint ones?", never.state).intent
    assert other.query is not None and list(other.query.metrics) == ["avg_csat"]
    split = eval_planner.plan("complaint rate by channel")
    flagged = eval_planner.plan("split by reopened or not instead", split.state).intent
    assert flagged.query is not None and [d.name for d in flagged.query.dimensions] == ["reopened"]
    assert list(flagged.query.metrics) == ["complaint_rate"]


def test_a_new_topic_said_so_and_rankings_asked_in_few_words(eval_planner: Planner) -> None:
    first = eval_planner.plan("各问题类型的投诉量")
    fresh = eval_planner.plan("换个话题，今年各行业的流失客户数", first.state).intent
    assert fresh.query is not None and [d.name for d in fresh.query.dimensions] == ["industry"]
    assert not fresh.query.filters
    rates = eval_planner.plan("reopen rate by team this quarter")
    highest = eval_planner.plan("which is highest?", rates.state).intent
    assert highest.query is not None and highest.query.limit == 1
    sorted_first = eval_planner.plan("sort lowest first", rates.state).intent
    assert sorted_first.query is not None and [o.desc for o in sorted_first.query.order_by] == [False]
    slowest = eval_planner.plan("slowest 3", eval_planner.plan("first response by agent").state).intent
    assert slowest.query is not None and slowest.query.limit == 3
    worst = eval_planner.plan("region with the worst reopen rate last month").intent
    assert worst.query is not None and worst.query.limit == 1


def test_years_after_over_and_postposed_exclusions(eval_planner: Planner) -> None:
    year = eval_planner.plan("complaint rate over 2025, by quarter").intent
    assert year.query is not None and not year.query.filters and year.query.time_range is not None
    assert year.query.time_range.start == date(2025, 1, 1)
    postposed = eval_planner.plan("电话的不算 上月投诉量").intent
    assert postposed.query is not None and list(postposed.query.metrics) == ["complaint_count"]
    assert _filters(postposed) == {("channel", "ne", frozenset({"电话"}))}
    looked_up = eval_planner.plan("ticket T000123456 - which channel did it come from?").intent
    assert looked_up.kind == "detail" and looked_up.query is not None and "channel" in looked_up.query.fields


def test_the_period_before_a_default_range_is_asked_and_rows_shown_with_columns(
    eval_planner: Planner,
) -> None:
    grouped = eval_planner.plan("complaint rate by channel")  # no period said: the default twelve months
    before = eval_planner.plan("and the month before?", grouped.state).intent
    assert before.kind == "clarify"
    said = eval_planner.plan("complaint rate by channel last month")
    earlier = eval_planner.plan("and the month before?", said.state).intent
    assert earlier.query is not None and earlier.query.time_range is not None
    assert earlier.query.time_range.start == date(2026, 9, 1)
    rows = eval_planner.plan("show csat of 1 from east china last week with customer names").intent
    assert rows.kind == "detail" and rows.query is not None and "customer_name" in rows.query.fields
    not_via = eval_planner.plan("surveys last month that didn't come in via email").intent
    assert not_via.query is not None and _filters(not_via) == {("channel", "ne", frozenset({"邮件"}))}


def test_the_top_one_and_the_first_placed_name_the_group_shown_first(
    planner: Planner, eval_layer: SemanticLayer, frames: dict[str, pd.DataFrame]
) -> None:
    tickets = frames["tickets"]
    year = tickets[(tickets["created_at"] >= "2026-01-01") & (tickets["created_at"] < "2027-01-01")]
    by_channel = year.groupby("channel").size()
    first = by_channel.idxmax()
    assert (by_channel == by_channel.max()).sum() == 1  # no tie at the top
    top = _ask_all(
        planner, eval_layer, "tickets by channel this year, highest first", "monthly trend for the top one"
    )
    assert (
        top.query is not None and Filter(dimension="channel", op="eq", values=(first,)) in top.query.filters
    )
    assert [d.grain for d in top.query.dimensions] == ["month"]
    placed = _ask_all(planner, eval_layer, "今年各渠道工单量排名", "排第一的那个渠道按月看")
    assert (
        placed.query is not None
        and Filter(dimension="channel", op="eq", values=(first,)) in placed.query.filters
    )
