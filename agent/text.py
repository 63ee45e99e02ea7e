"""Text normalisation for matching: full-width to half-width, lower case, Chinese numerals to digits."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "俩": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_NUMBER = re.compile(r"[零〇一二两俩三四五六七八九十百千]+")
_EN_NUMBERS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "a couple of": 2,
}  # fmt: skip
# "a few" is 3 where a number is expected ("the last few weeks", "top few"); elsewhere it is a word ("do a
# few agents handle most of the tickets?" asks about concentration, not about 3 agents).
_A_FEW = re.compile(
    r"\b(top |last |past )(?:a few|several)\b|\b(?:a few|several)(?= (?:days|weeks|months|hours|quarters|years)\b)"
)
# Traditional characters of the service domain's words, read as the simplified ones the data and the
# model use ("上個月的投訴率", "滿意度低於4分"); characters shared by both scripts are not listed.
_TRADITIONAL = str.maketrans(
    "個區別訴滿於後時間單數據東華網戶們這裡嗎麼為來說請問題務響應處開關閉結級產線類員與從對發現實際該總計環週當長態質較變動趨勢圖錶統覽顯報準達標"
    "籤評價論記錄復電話郵門會組隊專熱號碼樣幾項條筆張內給讓還沒無並兩萬億歲備維換裝調檢測鐘鍾點頭帶廣陝蘇閩贛遼龍雲貴晉魯瓊寧臺灣衛醫飯廳學車機淨"
    "乾氣況績薦願貶損積壓簡體轉遲誤傳續額錢銷賣買預將歷誰種讀寫漲壞鬧嚴緊優確認識選擇篩濾僅隻祇園鄉縣鎮幫煩謝辦讚贊聯絡係繫離職庫檔費資圓遠",
    "个区别诉满于后时间单数据东华网户们这里吗么为来说请问题务响应处开关闭结级产线类员与从对发现实际该总计环周当长态质较变动趋势图表统览显报准达标"
    "签评价论记录复电话邮门会组队专热号码样几项条笔张内给让还没无并两万亿岁备维换装调检测钟钟点头带广陕苏闽赣辽龙云贵晋鲁琼宁台湾卫医饭厅学车机净"
    "干气况绩荐愿贬损积压简体转迟误传续额钱销卖买预将历谁种读写涨坏闹严紧优确认识选择筛滤仅只只园乡县镇帮烦谢办赞赞联络系系离职库档费资圆远",
)
# Misspelt function words that the term matcher cannot forgive (it forgives typos in model terms).
_TYPO_FIXES = {
    "wich": "which",
    "whcih": "which",
    "whihc": "which",
    "waht": "what",
    "hwo": "how",
    "teh": "the",
    "whats": "what's",
    "didnt": "didn't", "dont": "don't", "doesnt": "doesn't", "isnt": "isn't", "arent": "aren't",
    "wasnt": "wasn't", "werent": "weren't", "havent": "haven't", "hasnt": "hasn't", "wont": "won't",
    "cant": "can't", "couldnt": "couldn't", "shouldnt": "shouldn't", "wouldnt": "wouldn't",
    "nite": "night", "wek": "week", "citys": "cities", "citty": "city", "modle": "model", "modles": "models",
}  # fmt: skip
# Chat shorthand for periods and units: spelt out so that every pass reads one word for each.
_SHORTHAND = {
    "qtr": "quarter", "qtrs": "quarters", "wk": "week", "wks": "weeks", "yr": "year", "yrs": "years",
    "mth": "month", "mths": "months", "hr": "hour", "hrs": "hours", "mins": "minutes",
    "qtd": "quarter to date", "wtd": "week to date", "w/o": "without", "u": "you", "thx": "thanks",
    "excl": "excluding", "excl.": "excluding", "incl": "including", "incl.": "including",
    "yday": "yesterday", "yest": "yesterday", "tmrw": "tomorrow", "tmr": "tomorrow", "mo": "month", "mos": "months",
    "w": "with", "w/": "with", "cust": "customer", "custs": "customers", "r": "are", "b4": "before", "q": "question", "tix": "tickets", "prev": "previous",
    "pct": "percent", "distrib": "distribution", "dist": "distribution", "avg.": "average",
}  # fmt: skip
_SHORTHANDS = re.compile(
    r"(?<![\w/])("
    + "|".join(re.escape(w) for w in sorted(_SHORTHAND, key=len, reverse=True))
    + r")(?![\w/]|\.\w)"
)
# "one" is a number only where a number is expected ("more than one contact", "one star", "top one");
# elsewhere it is a word ("quick one", "in one table", "that one").
_ONE = re.compile(
    r"\b(?<!the )(than|least|most|top|first|last|over|under|above|below|exactly|gave|rated|scored|a) one\b"
    r"|\bone(?=[ -](?:day|week|month|quarter|year|hour|minute|star|point|contact|time)s?\b)"
)
_TYPOS = re.compile(r"\b(" + "|".join(_TYPO_FIXES) + r")\b")
_EN_NUMBER = re.compile(r"\b(" + "|".join(sorted(_EN_NUMBERS, key=len, reverse=True)) + r")\b")


_FOR_A_MEETING = re.compile(
    r"\b(?:for|before|in|ahead of|prior to) (?:the|my|our|a|an|tomorrow's|today's|this week's|next week's|monday's|friday's)"
    r"(?: [\w'-]+){0,2}? (?:review|meeting|call|standup|stand-up|sync|deck|presentation|update|qbr|all-hands"
    r"|1:1|one-on-one|offsite|board meeting|pack|pre-read|report)s?\b"
    r"|\b(?:before|by) (?:my |the |our )?\d{1,2}(?::\d{2})? ?(?:am|pm)\b(?: (?:meeting|call|review|sync))?"
    r"|\b(?:review|meeting|call|standup|sync|presentation) in \d+ ?(?:min|mins|minutes|hr|hrs|hours)\b"
    r"|\b(?:i'm|i am|we're|we are) (?:presenting|meeting|talking) (?:to|with) (?:the |my |our )?[\w-]+"
    r"(?: (?:this|tomorrow) (?:morning|afternoon|evening))?"
)

# Polite frames around a question: how it is asked, never what ("if it isn't too much trouble", "I'd be
# grateful for"). Stripped whole, so that their words (some of them negations) are not read one by one.
_POLITE = re.compile(
    r"\b(?:i'd|i would|we'd|we would) (?:really |very much |also )?(?:appreciate(?: it)?|be (?:very |really )?"
    r"(?:grateful|thankful)(?: for)?|love|like)(?: (?:if you could|knowing|seeing|getting|having|to see|to know"
    r"|to understand|to get|to have|a look at))?\b"
    r"|\bwhen(?:ever)? you (?:have|get|find) a (?:moment|minute|sec|second|chance)\b"
    r"|\bif (?:it(?:'s| is) not|it isn't|it wouldn't be|it won't be|it's no|not) too much (?:trouble|bother|work)\b"
    r"|\bif you (?:don't|do not) mind\b|\bwould you mind(?: telling| showing| giving| sending| pulling| checking)?"
    r"(?: me| us)?\b"
    r"|\b(?:would|is) it (?:be )?possible (?:to|for you to)(?: see| get| have| pull| show)?\b"
    r"|\bif (?:you could|possible|you can)\b"
    r"|\b(?:i'm|i am|we're|we are) trying to (?:understand|figure out|work out|see)\b"
    r"|\b(?:could|can|would) you help (?:me|us) (?:see|understand|find|figure out|work out|get)\b"
    r"|\b(?:would|could|can|will) you (?:be able to |please )?(?:check|confirm)(?: (?:that|this|it)| for (?:me|us))*(?=\s*[?.!]*\s*$)"
    r"|\bhelp (?:me|us) understand\b|\bthank you(?: so much| very much)?\b|\b(?:could|can) you check (?:whether|if)\b"
)


# A turn that says it starts a new question ("nvm, totally different q -", "Switching topics:", "换个问题，"):
# the words are set aside, and the conversation before it is no context for it.
_NEW_QUESTION = re.compile(
    r"^\s*(?:(?:ok|okay|so|nvm|never mind|anyway)\s*,?\s*)*(?:(?:(?:a|an|another|one more|separate|different|unrelated"
    r"|totally different|new|quick|other)\s+)+(?:question|q|topic)|(?:switching|changing) (?:topics?|subjects?)"
    r"|(?:new|different|change of) (?:topic|subject))\b\s*[:.\-–—,]?\s*"
    r"|^\s*(?:换个|换一个|另一个|另外一个|新的?|说个|问个)(?:问题|话题)\s*[:：,，.。]?\s*"
)


def starts_anew(question: str) -> bool:
    """Whether the question says it is a new one, not a follow-up of the conversation."""
    return bool(_NEW_QUESTION.search(unicodedata.normalize("NFKC", question).lower()))


def chinese_number(text: str) -> int | None:
    """三 -> 3, 十二 -> 12, 二十 -> 20, 一百零五 -> 105; None if `text` is not a Chinese numeral."""
    if not text or any(ch not in _DIGITS and ch not in _UNITS for ch in text):
        return None
    total, current = 0, 0
    for ch in text:
        if ch in _DIGITS:
            current = _DIGITS[ch]
        else:
            total += (current or 1) * _UNITS[ch]
            current = 0
    return total + current


@lru_cache(maxsize=16384)  # the model's own words are normalised again for every question
def normalize(text: str) -> str:
    """NFKC (full-width letters, digits and punctuation to ASCII), lower case, single spaces;
    Chinese numerals followed by a counter word and English number words become digits."""
    text = unicodedata.normalize("NFKC", text).lower().translate(_TRADITIONAL)
    text = re.sub(r"(?:^|(?<=\s))@[^\s,，:：]+[\s,，:：]*", " ", text)  # "@数据助手 ...": who it is sent to
    text = text.replace("，", ",").replace("。", ".").replace("？", "?").replace("、", ",")
    text = _EN_NUMBER.sub(lambda m: str(_EN_NUMBERS[m.group(1)]), text)
    text = _A_FEW.sub(lambda m: f"{m.group(1) or ''}3", text)
    text = re.sub(r"\ba (?:small number|small handful) of\b", "a handful of", text)
    text = _ONE.sub(lambda m: f"{m.group(1)} 1" if m.group(1) else "1", text)
    text = _TYPOS.sub(lambda m: _TYPO_FIXES[m.group(1)], text)
    text = _SHORTHANDS.sub(lambda m: _SHORTHAND[m.group(1)], text)
    text = re.sub(
        r"^(?:那个|嗯|呃|额|emm+|um+|uh+)\s*(?:…+|\.{2,}|,|，)\s*|^那个(?=这|本|上|今|去|咱|我|帮|请|麻烦)",
        "",
        text,
    )  # "那个…上个月的投诉率", "那个这个月咱们...": a filler, not "that one"
    text = re.sub(
        r"百分之([\d.]+|[零一二两三四五六七八九十]+)",
        lambda m: f"{chinese_number(m.group(1)) or m.group(1)}%",
        text,
    )
    text = re.sub(r"(?:两|2)\s*个维度", "维度", text)  # "按大区及产品线两个维度"
    text = re.sub(  # "... Thanks, Priya", "Kind regards, Tom": the sign-off of a pasted e-mail
        r"(?:^|(?<=[.!?]))\s*(?:many thanks|thanks(?: again)?|thank you|cheers|regards|kind regards|best regards"
        r"|best|warm regards|br|ta)\s*[,!.]?(?:\s+[a-z]+){1,3}\.?\s*$",
        "",
        text,
    )
    text = re.sub(r"仨(?!个)", "3个", re.sub(r"俩(?!个)", "2个", text))  # "投诉最多的仨型号"
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)  # "2,000 tickets"
    text = re.sub(
        r"(?<=[a-z]{2})(?<!\bnon)-(?=[a-z]{2})", " ", text
    )  # "hours-to-resolve"; not "non-", "rv-20"
    # half an hour is 30 minutes; 破万 / 过万 is more than 10000
    text = re.sub(r"\b(?:half an hour|half hour|1/2 hour)\b", "30 minutes", text)
    text = re.sub(r"\b(take|takes|took|taking) (?:us|you|them|the team|our team|agents) to\b", r"\1 to", text)
    text = re.sub(r"\bafter (?=(?:more than|over|at least|longer than)\b)", "", text)  # "after more than 2h"
    text = re.sub(r"^(?:good )?(?:morning|afternoon|evening)\s*[!,.]+\s*", "", text)  # "Morning! ...": hello
    text = re.sub(  # "So I was looking through the dashboards ... but what I really need is": the question follows
        r"^.{0,240}?\bbut what (?:i|we) (?:really |actually )?(?:need|want)(?: to know)? is\b", "", text
    )
    text = re.sub(
        r"^(?:hi|hello|hey|dear|hiya)(?: (?:team|all|everyone|everybody|guys|folks|there|both|[a-z]+))?\s*[!,.]+\s*",
        "",
        text,
    )
    text = re.sub(r"\b(?:type|kind|sort|category) of (problem|issue|fault|request)(s?)\b", r"\1 type\2", text)
    text = re.sub(
        r"\b(?:types|kinds|sorts|categories) of (problem|issue|fault|request)s?\b", r"\1 types", text
    )
    text = re.sub(r"\bwhat (?:kind|type|sort)s? of\b", "which", text)
    text = re.sub(r"\bfirst (?:respond|reply|answer)\b", "first response", text)  # "take to first respond"
    text = re.sub(r"\bwhat (?=(?:problem|issue|fault|request) types?\b)", "which ", text)
    text = re.sub(  # "over an hour", "more than a day": one
        r"\b(over|under|more than|less than|longer than|shorter than|at least|at most|within|above|below) (?:an?|one) "
        r"(hour|day|week|minute|month)\b",
        r"\1 1 \2",
        text,
    )  # "what kind of issue": which issue
    text = re.sub(_FOR_A_MEETING, " ", text)
    text = re.sub(_POLITE, " ", text)
    text = _NEW_QUESTION.sub("", text)  # "Separate question:", "换个话题：": a new question, said so
    text = re.sub(
        r"^(?:(?:please|pls|can you|could you) )?(?:double[- ]check|confirm|verify|validate)\b", " ", text
    )  # "for the Monday review": why they ask, not what
    text = re.sub(r"\b(q[1-4]|h[12]|fy)\s*['’](\d{2})\b", r"\1 20\2", text)  # "Q2 '26"
    text = re.sub(r"\bmore than (?:one|1|a single) (contact|call)s?\b", r"multiple \1s", text)  # no threshold
    text = re.sub(r"\b(\d+) ?d\b", r"\1 days", text)  # "last 90d", "the 30d before"
    text = re.sub(  # "tix w csat 1": a score said after its name is that score
        r"\b(csat|nps|score|rating)\s+(?:(?:was|is|were|of)\s+)?(\d{1,2})(?=\s*(?:[,.;!?]|$|(?:from|in|on|for|last|this|with|by)\b))",
        r"\1 = \2",
        text,
    )
    text = re.sub(
        r"\b(?:satisfaction|csat|feedback|customer) (surveys?)\b", r"\1", text
    )  # the surveys themselves
    text = re.sub(  # "how satisfied are our customers", "the most satisfied customers on average": the CSAT
        r"\bhow (?:satisfied|happy) (?:are|were|is|was) (?:our |the )?((?:[\w-]+ ){0,2}?)(?:customers|clients|users|people)\b"
        r"|\b(most|least) (?:satisfied|happy) (?:customers|clients|users)(?: on average)?",
        lambda m: (  # "how satisfied are our hotel customers": the CSAT of the ones named
            f"{'highest' if m.group(2) == 'most' else 'lowest'} csat"
            if m.group(2)
            else "what is the csat" + (f" for {m.group(1).strip()}" if m.group(1) else "")
        ),
        text,
    )
    text = re.sub(r"\b(?:went|goes|go|gone|is|was|are|were|got) past\b", "over", text)  # "went past 15%"
    text = re.sub(r"\b(?:the )?most (fast|quick|slow|high|low)\b", r"\1est", text)  # "most fast": fastest
    text = re.sub(
        r"\b(below|under|less than|lower than|above|over|more than|at least|at most) zero\b", r"\1 0", text
    )
    text = re.sub(r"\b(?:is|are|was|were|goes|went|turned) negative\b", " below 0", text)  # "NPS is negative"
    text = re.sub(r"为负数?|是负数|是负的|小于零|低于零", "低于0", text)
    text = re.sub(r"\b(\d)-? and (\d)-?(star|point)", r"\1 or \2 \3", text)  # "1- and 2-star"
    text = re.sub(r"(?<![一二三四五六七八九十\d])半(?:个)?小时", "30分钟", text)
    text = re.sub(r"(超过|高于|低于|少于|多于|不到|大于|小于)了", r"\1", text)  # "超过了5%"
    text = re.sub(  # "给了推荐分10分": the score said after its name is that score
        r"(推荐分|推荐值|满意度|满意分|评分|打分|nps|csat)\s*(\d{1,2})\s*分(?!\s*(?:以下|以上|及|或|到|至|-|~|和))",
        r"\1为\2分",
        text,
    )
    text = re.sub(
        r"(?:给我)?(?:来|整|弄|出)(?:一|1)?(?:个|张|份)(?=\s*(?:[,.!?;]|吧|呗|$))", " ", text
    )  # "趋势图来一个"
    text = re.sub(r"[破过]万", "超过10000", text)
    # 七成 is 70%, 半数 is 50%
    text = re.sub(
        r"([一二两三四五六七八九])成(?![都功本为立员交果绩])", lambda m: f"{_DIGITS[m.group(1)] * 10}%", text
    )
    text = re.sub(
        r"(?<![\d.])([1-9])\s*成(?![都功本为立员交果绩])", lambda m: f"{int(m.group(1)) * 10}%", text
    )

    def cn(match: re.Match[str]) -> str:
        value = chinese_number(match.group(0))
        return str(value) if value is not None else match.group(0)

    # Only numerals used as numbers: before counters and units, after 前/最近/过去/近/第.
    text = re.sub(
        r"(?<=[前近去第])[零〇一二两三四五六七八九十百]+(?![直共起下般样定些点])|[零〇一二两三四五六七八九十百]+(?=\s*(个|名|位|天|日|周|星期|月|年|季度|家|款|条|%|倍|小时|分钟|类(?!似|型|别)|种(?!类)))",
        cn,
        text,
    )
    return re.sub(r"\s+", " ", text).strip()


def squash_sql(sql: str) -> str:
    """A SQL snippet without spaces and case, to compare two model expressions."""
    return re.sub(r"\s+", "", sql.lower())


def is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def has_cjk(text: str) -> bool:
    return any(is_cjk(ch) for ch in text)


def language_of(text: str) -> str:
    """zh when the text is written in Chinese: it has Chinese characters and is not an English sentence
    quoting a few of them ("how long for 华南 last month" is English)."""
    chinese = sum(1 for ch in text if is_cjk(ch))
    english = len(re.findall(r"[a-zA-Z]{2,}", text))
    return "zh" if chinese and not (english >= 3 and english * 2 > chinese) else "en"
