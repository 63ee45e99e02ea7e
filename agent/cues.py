"""Words that say what shape of answer a question wants, in Chinese and English (regular expressions
over normalised text). Model terms (metrics, dimensions, values) are not here: they come from the model."""

from __future__ import annotations

import re

UNSAFE = re.compile(
    r"(?<!the )(?<!a )(?<!this )(?<!that )(?<!big )(?<!sharp )(?<!sudden )"  # "the drop in ticket volume" is a change
    r"\b(delete|drop|truncate|update|insert|alter|grant|modify|overwrite|wipe)\b(?!\s+(?:in|of|off)\b).*\b(tickets?|tables?|data|records?|rows?|database)\b"
    r"|删除|删掉|删了|删一下|(?:把|将).{0,20}删|清空|修改数据|更新数据|篡改|写入|插入数据|drop table"
    r"|(write|give|generate|show) (me )?(the |a |an )?(raw )?sql|sql (query|statement)|写.{0,20}sql|sql语句|执行.{0,6}(sql|语句|命令)"
    r"|ignore (all |any |your |the )?(previous |prior |above )?(instructions|rules)|忽略.{0,6}(指令|指示|规则|设定)"
    r"|(把|将).{0,20}(改成|改为|设为|设置为|标记为|调成)|\b(set|change|mark|reassign|move|update|switch|escalate|downgrade|upgrade)\b.{0,40}\b(to|as)\b\s*(?:an? )?(p[1-4]|closed|resolved|vip|done|open|urgent|high|low|normal|medium|critical)\b"
    r"|password|密码|api key|secret|系统提示|system prompt|/etc/|read_csv|read_text"
)
WHY = re.compile(
    r"为什么|为何|为啥|咋回事|拖累|拖后腿|拉低|拉高|拉下来|怎么(?:会)?(?:突然|一下子)?(?:暴涨|暴跌|掉|降|跌|涨|升|下滑|上升|下降|变多|变少|多了|少了|高了|低了|这么多|这么高|这么低)|卡在哪|慢在哪|问题出在哪|what happened|what'?s going on|怎么了|啥原因|什么原因|原因|怎么回事|何故|哪些因素|什么因素|影响因素|导致|归因|驱动因素|驱动|由什么造成|是什么造成"
    r"|\bwhy\b|what made|what makes|what'?s making|what is making|what led to|what'?s pushing|what is pushing|what pushed|what drove|what drives|what is driving|what's driving|what caused|what causes|what is causing|what's causing|what (?:dragged|pulled|brought|pushed|dragging|pulling)"
    r"|\bdrivers?\b|\breasons?\b|root cause|\bexplain(?:s|ed)?\b|what'?s behind|what is behind|contributors?"
)
CHANGE = re.compile(
    r"下降|下滑|降低|降了|升了|延长|缩短|变长|变短|涨|掉了|掉|跌|往下走|往上走|走低|走高|下行|上行|差了|变差|变低|恶化|上升|上涨|增加|增长|升高|提高|提升|涨了|多了|少了|变化|波动|暴涨|激增|飙升|骤降"
    r"|\bdrop(ped|s)?\b|\btank(ed|ing|s)?\b|\bplunge|\bplummet|\bslump|\bfell\b|\bfall(en|ing|s)?\b|declin|decreas|worse|\brise\b|\brose\b|\brisen\b|\brising\b|increas|\bgr[eo]w|jump|spike|surge|\bdip\b|change[ds]?\b|went (up|down)|go(ne)? (up|down)|\bup so much\b|\bway (?:up|down)\b|\b(?:up|down) (?:on|from|vs|versus|compared)\b|\b(?:pushing|driving|dragging|pulling|pushed|drove|dragged|pulled|brought)\b.{0,40}\b(?:up|down)\b|deteriorat|improv|\b(?:is|are|was|were)\s+(?:[\w-]+\s+){0,4}(?:up|down)\b(?! to\b)|变多|变少"
    r"|\b(?:get|gets|got|getting|become|became|grown|gone)\s+(?:so\s+|much\s+|a\s+lot\s+)?(?:slower|faster|longer|shorter|higher|lower|worse|better|bigger|smaller)\b"
    r"|变慢|变快|变长|变短|变高"
)
CONCENTRATION = re.compile(
    r"集中在|集中于|主要集中|主要(?:出|卡|发生|落)在|卡在哪|出在哪|大头在|的大头|主要来自|大部分来自|大多来自|大多数来自|大部分(集中|出现)|占比最大的几个|贡献最多的几个|帕累托|二八|少数几个(?=.{0,12}?(?:大部分|大头|多数))|(?:扛|承担|包揽|占)了?(?:大部分|大头|绝大多数|绝大部分)|主要(?:是|由)?哪(?:几|些)个?(?=.{0,8}?贡献)|(?:\d+%|大部分|多数)的(?=.{0,10}?(?:是|由|来自)哪些.{0,10}?贡献)"
    r"|make up (?:the )?(?:bulk|majority|most)|(?:make|makes|made) up \d+ ?%|(?:the )?lion'?s share|the bulk of|a handful of|\bfew(?= (?:agents|cities|models|regions|teams|customers)\b)|account(s|ed)? for (most|the (bulk|majority))|most of (the )?.{0,40}(come|comes|came|coming|are) from|concentrat\w*(?: (?:in|among|on) (?:just |only )?(?:\d+|a few|a handful of)\b)?|\bhold(?:s|ing)? (?:most|the bulk|the majority)\b|pareto|the majority of|(come|comes|came) from which|driven by a few|80/20"
    r"|\b(?:handle|handles|drive|drives|generate|generates|produce|produces)\s+(?:most|the bulk|the majority)\b"
    r"|\b(?:mostly\s+)?(?:come|comes|coming|came|are|is)\s+(?:mostly\s+)?(?:from|in)\s+(?:just\s+|only\s+)?(?:a few|a small number of|a handful of)\b"
    r"|\bpiled up in\s+(?:just\s+|only\s+)?(?:a few|a small number of|a handful of)\b"
)
DISTRIBUTION = re.compile(
    r"分布|直方图|区间分布|分段|哪些区间|什么区间|哪个区间|distribution|histogram|\bspread\b|distribute[ds]?\b|buckets?"
)
DETAIL = re.compile(
    r"列出|列一下|列个|罗列|明细|清单|名单|列表|拉出来|捞出来|调出来|(?:单子|工单|记录)(?:给我)?(?:看看|看一下|瞧瞧)|都是谁|都有谁|(?:客户|用户)都?有哪些|(?:工单|单子|单|记录|评价)都?有哪些|是哪些人|有哪些人|有哪些工单|哪些工单|哪几张工单|哪些客户|哪几个客户|哪几位客户|需要回访的|回访名单|具体是哪些|具体工单|原始记录|评价内容|评论内容|留言内容"
    r"|\blist\b|\blisting\b|show (me )?(all |the )?(the )?(individual |actual )?(survey |customer )?(tickets|customers|surveys|comments|records|verbatims)"
    r"|\bpull (up )?(the |all )?(survey |customer )?(tickets|customers|surveys|records|list|feedback|comments|verbatims)|\bwhich (?:[\w-]+ ){0,2}(?:rated|scored|gave|left|complained)\b|which (?:[\w-]+ )?(tickets|customers|surveys)|who (gave|rated|left|scored)|what did .{0,30} say|\bwhat (?:[\w'-]+ ){1,5}(?:wrote|said|commented)\b|\bverbatims?\b|\bdetails? of\b|individual tickets|raw records|\b(?:detail|detailed|raw|row-level|record-level) (?:rows|records|data|list|view)\b|call (?:[\w-]+ ){0,2}back|^(?:the |all )?(?:comments|feedback|verbatims?) (?:from|of|on|for|left)\b|callback list|\bwho (?:are|were) (?:the |these |those )?(?:customers|clients)\b|(?<!how many )(?<!number of )\b(?:tickets|surveys) (?:where|whose)\b"
)
TREND = re.compile(
    r"趋势|走势|变化情况|变化趋势|历史变化|时间序列|怎么变|如何变化|逐月|逐周|逐日|怎么走|走得怎么样|走向"
    r"|\btrend|over time|\bevolution\b|\btrajector(?:y|ies)\b|\bprogression\b|how has .{0,40} (?:changed|moved)|\b(?:been )?tracking over\b|how has .{0,40} been (?:tracking|going|moving)|how did .{0,40} change|time series|month by month|week by week|day by day"
)
LOW_SCORE = re.compile(
    r"低分|差评|打低分|不满意|评分很低|评分低|低评分|\blow (?:csat|satisfaction|ratings?)\b|\blow[- ]scor|\bbad (review|rating|score)s?|\bunhappy\b|dissatisfied|detractors?|poor (rating|score)s?"
)
RANK = re.compile(
    r"偏高|偏低|排名|排行|排序|排个[名序]|排[一]?下[名序]|按.{0,6}排|从.{1,3}到.{1,3}排|\brank|\branking|\bleaderboard|sorted by|order by"
)
FOLLOW_UP = re.compile(
    r"呢[?？.。!！]*$|^那|^那么|^换成|^改成|^改为|^换为|^只看|^仅看|^再|再看|^同样|^也|^还有|^如果|^分别"
    r"|^(and|what about|how about|same for|same but|same thing for|now|then|also|only|just|ok,? (now|and)|and for|and in|what if|instead|but)\b"
    r"|\binstead\b|\bas well\b|\bsame (for|but|thing|question|query|analysis|view|breakdown|chart|ranking|again)\b|^(for|in|by|with) |\bonly\s*[?.!]*$"
    r"|\bthen\s*[?.!]*$|^(?:ok|okay|right|fine|cool|great)\b|^(?:now )?(?:sort|order|rank)(?:ed)? (?:it |them |this |that )?by\b"
    r"|^(?:now )?(?:change|switch|make) (?:it |this |that |the grain |the view )?(?:to|into) "
)
# "weren't reopened", "that aren't P3": a negated verb before what it excludes (EXCLUDE, and flags).
NEGATED_VERB = r"weren't|wasn't|aren't|isn't|were not|was not|are not|is not"
EXCLUDE = re.compile(
    r"(除了?|不含|不包括|没有?|未|不走|没走|不算|不看|别看|不要看|leav(?:e|ing)(?: out)?|不计|刨除|除开|排除|去掉|剔除|除去|非|不是|不在|不属于|excluding|exclude|except( for)?|other than|apart from|not including"
    r"|not counting|leaving out|leave out|without|w/o|besides|ignoring|(?:did not|didn't|do not|don't|does not|doesn't) (?:come|arrive|get) (?:in )?(?:via|through|from|by|on)|outside( of)?|not in|not from|not on|not via|not through|not|non-?|^no(?= )"
    r"|(?:everything|anything|all|everyone) but|minus|but not"
    r"|(that |which |who )?("
    + NEGATED_VERB
    + r"|didn't come (in )?(through|via|from|by)))\s*(the\s+|a\s+|an\s+)?$"
)
NEGATION_AFTER = re.compile(
    r"^\s*(?:的\s*)?(?:单子|单|工单|客户)?\s*(?:也|都|就|还)?\s*(以外|之外|外|除外|不要|不算|不含|不计|不包括|排除在外|(?:就|先|暂时|都)?不(?:用|需要)?看了?|去掉|拿掉|剔掉|踢掉|out\b|excluded\b|left out\b|not included\b)"
)
SIDE_BY_SIDE = re.compile(
    r"比较|对比|相比|哪个|哪一个|分别|谁的|差多少|差距|相差|区别|差异|差别|不一样|\bcompar(?:e[ds]?|ing|isons?)\b|\bdiffer|\bdifference|\bgap\b|\bversus\b|\bvs\.?\b|\bwhich\b|\beach\b|respectively|side by side"
)
GENERIC_TOP = re.compile(r"\btop\b|前列|头部|\bbottom\b")

# Superlatives and sort words, most specific first: (pattern, "high" | "low" | "good" | "bad").
# Generic "top"/"bottom" come last so that "top 10 fastest agents" means the fastest.
SUPERLATIVES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            r"从快到慢|从低到高|从小到大|从少到多|由低到高|升序|\bascending\b|lowest first|smallest first|fastest first|fewest first"
            r"|\b(?:from )?low(?:est)? to high(?:est)?\b|\b(?:from )?small(?:est)? to (?:big|large)(?:st|est)?\b"
        ),
        "low",
    ),
    (
        re.compile(
            r"从慢到快|从高到低|从大到小|从多到少|由高到低|降序|\bdescending\b|highest first|largest first|slowest first"
            r"|\b(?:from )?high(?:est)? to low(?:est)?\b|\b(?:from )?(?:big|large)(?:st|est)? to small(?:est)?\b"
        ),
        "high",
    ),
    (re.compile(r"\bworst first\b|\blaggards?\b|\bunderperformers?\b|\bworst performers?\b"), "bad"),
    (re.compile(r"\bbest first\b|\btop performers?\b|\bbest performers?\b"), "good"),
    (re.compile(r"最好|最佳|最优|表现最好|更好|\bbest\b|\bbetter\b|\btop[- ]performing\b"), "good"),
    (
        re.compile(
            r"最差|最糟|最烂|表现最差|更差|\bworst\b|\bworse\b|\bpoorest\b|\bpoorer\b|\bunderperforming\b"
        ),
        "bad",
    ),
    (
        re.compile(
            r"最少|最低|最小|最短|最快|\bleast\b|\bfewest\b|\blowest\b|\bsmallest\b|\bshortest\b|\bfastest\b|\bquickest\b|\bmin(imum)?\b"
        ),
        "low",
    ),
    (
        re.compile(
            r"最多|最高|最大|最长|最慢|最久|最频繁|最严重|\bmost\b|\bhighest\b|\blargest\b|\bbiggest\b|\blongest\b|\bslowest\b|\bgreatest\b|\bmax(imum)?\b|\bheaviest\b|\bbusiest\b"
        ),
        "high",
    ),
    (
        re.compile(r"更少|更低|更短|更快|\blower\b|\bfewer\b|\bsmaller\b|\bshorter\b|\bfaster\b|\bquicker\b"),
        "low",
    ),
    (
        re.compile(r"更多|更高|更长|更慢|\bhigher\b|\blarger\b|\bbigger\b|\blonger\b|\bslower\b|\bmore\b"),
        "high",
    ),
    (re.compile(r"\bbottom\b|倒数|末尾|偏低"), "low"),
    (re.compile(r"偏高"), "high"),
    (re.compile(r"\btop\b|前列|头部"), "high"),
]
SINGULAR_WHICH = re.compile(
    r"\b(?:what|which)(?:'s| is| was) (?:the )?(?:least|most|highest|lowest|best|worst|fewest|biggest|largest|smallest|\w+est)\b"
    r"|\b(?:worst|best|top|bottom|\w+est) one\b|哪个|哪一个|哪家|哪位|哪款|哪一款|哪条|哪种|哪类|哪一类|谁|\bwhich (?!\w+s\b)(?!\d)\w+|\bwhat (?!\w+s\b)\w+ (has|had|is|was|gets?|got)\b|\bwho\b"
)

TOP_N = [
    re.compile(r"前\s*(\d+)\s*(?:个|名|位|款|家|大|条|类|种)?"),
    re.compile(r"倒数\s*(?:第\s*)?(\d+)\s*(?:个|名|位|款|家|条)?"),
    re.compile(
        r"(?:最多|最高|最大|最长|最慢|最少|最低|最小|最短|最快|最好|最差|最佳)的?\s*(\d+)\s*(?:个|名|位|款|家|条|类|种|项)"
    ),
    re.compile(
        r"(\d+)\s*(?:个|名|位|款|家|条|类|种)\s*\S{0,6}?(?:最多|最高|最大|最长|最慢|最少|最低|最小|最短|最快|最好|最差)"
    ),
    re.compile(
        r"(?<![a-z])(?:top|bottom|best|worst|first|last|lowest|highest|fastest|slowest|busiest|biggest|largest|smallest)"
        r"\s*(\d+)(?!\d|\.\d)"
    ),
    re.compile(
        r"\b(?:give me|show me|just|only)\s+(?:the\s+)?(?:top\s+|bottom\s+)?(\d+)\s+of (?:them|those)\b"
    ),
    re.compile(r"\bwhich (\d+)\b|哪\s*(\d+)\s*(?:个|名|位|款|家)"),
    re.compile(
        r"^(?:ok |and |now )?(?:show|give me|make it|just) (?:me )?(?:the )?(?:top )?(\d+)(?: instead| only)?\s*[?.!]*$"
    ),
    re.compile(
        r"\b(\d+)\s+(?:\w+\s+){0,2}?(?:with|by|having) the (?:most|highest|fewest|lowest|least|longest|shortest|largest|worst|best)"
    ),
    re.compile(
        r"\b(\d+)\s+(?:most|least|highest|lowest|worst|best|slowest|fastest|largest|biggest|busiest|quickest|longest|shortest|smallest)\b"
    ),
]

THRESHOLD = re.compile(
    r"(north of|south of|(?:not|no) (?:above|over|more than|higher than|greater than|below|under|less than|lower than|fewer than)|>=|<=|≥|≤|>|<|=|等于|为|打了?(?=\s*\d+\s*(?:分|星))|给了?(?=\s*\d+\s*(?:分|星))|不到|不足|score of|rating of|(?:rated|scored|scoring|gave)(?: us)?(?: an?)?(?= ?\d)|rated|of exactly|(?<=[a-z]) of(?= ?\d)|不低于|不少于|不小于|至少|大于等于|高于|超过|大于|多于|不超过|不高于|不大于|至多|小于等于|低于|小于|少于"
    r"|longer than|shorter than|at or (?:under|below|less than)|at or (?:over|above|more than)|at least|no less than|more than|greater than|higher than|above|over|exceeds?|exceeding|at most|no more than|less than|lower than|below|under|fewer than)"
    r"\s*(?:an? )?(-?\d+(?:\.\d+)?)\s*(%|percent|个百分点|分钟|minutes?|mins?|个?小时|hours?|hrs?|h\b|天|日|days?|周|weeks?|分|points?|stars?|星|个|张|件|tickets?|单)?"
)
# "2 or less", "3星及以下", "20% or more": the comparison after the number
THRESHOLD_AFTER = re.compile(
    r"(?<![a-z\d.])(-?\d+(?:\.\d+)?)\s*(%|percent|分钟|minutes?|mins?|小时|hours?|分|points?|stars?|星|个|张|件|tickets?|单)?\s*"
    r"(or less|or fewer|or lower|or below|or under|and below|and under|or more|or higher|or above|or over|and above|and up|\+"
    r"|及以下|或以下|以下|及以上|或以上|以上|以内)"
)
THRESHOLD_AFTER_OPS = {
    "or less": "lte", "or fewer": "lte", "or lower": "lte", "or below": "lte", "or under": "lte", "and below": "lte",
    "and under": "lte", "及以下": "lte", "或以下": "lte", "以下": "lte", "以内": "lte", "or more": "gte",
    "or higher": "gte", "or above": "gte", "or over": "gte", "and above": "gte", "and up": "gte", "+": "gte",
    "及以上": "gte", "或以上": "gte", "以上": "gte",
}  # fmt: skip
SCORE_VERBS = (
    "rated",
    "scored",
    "scoring",
    "gave",
    "打",
    "打了",
)  # "rated us a 1", "打1分": a number on the score
THRESHOLD_OPS = {
    "north of": "gt", "south of": "lt",
    "not above": "lte", "not over": "lte", "not more than": "lte", "not higher than": "lte", "not greater than": "lte",
    "not below": "gte", "not under": "gte", "not less than": "gte", "not lower than": "gte", "not fewer than": "gte",
    "no higher than": "lte", "no greater than": "lte", "no above": "lte", "no over": "lte",
    "no lower than": "gte", "no fewer than": "gte", "no below": "gte", "no under": "gte",
    ">=": "gte", "≥": "gte", "不低于": "gte", "不少于": "gte", "不小于": "gte", "至少": "gte", "大于等于": "gte",
    "at least": "gte", "no less than": "gte", "at or over": "gte", "at or above": "gte", "at or more than": "gte",
    "at or under": "lte", "at or below": "lte", "at or less than": "lte", "longer than": "gt", "shorter than": "lt",
    ">": "gt", "高于": "gt", "超过": "gt", "大于": "gt", "多于": "gt", "more than": "gt", "greater than": "gt",
    "higher than": "gt", "above": "gt", "over": "gt", "exceeds": "gt", "exceed": "gt", "exceeding": "gt",
    "<=": "lte", "≤": "lte", "不超过": "lte", "不高于": "lte", "不大于": "lte", "至多": "lte", "小于等于": "lte",
    "at most": "lte", "no more than": "lte",
    "<": "lt", "低于": "lt", "小于": "lt", "少于": "lt", "less than": "lt", "lower than": "lt", "below": "lt",
    "under": "lt", "fewer than": "lt", "不到": "lt", "不足": "lt", "打": "eq", "打了": "eq", "给": "eq", "给了": "eq", "=": "eq", "等于": "eq", "为": "eq", "score of": "eq", "rating of": "eq",
    "rated": "eq", "scored": "eq", "scoring": "eq", "of": "eq", "gave": "eq", "gave a": "eq", "gave an": "eq", "gave us a": "eq", "gave us an": "eq", "of exactly": "eq",
}  # fmt: skip

# A question about the future: refused (the product does not forecast yet) instead of answering a past
# period as if it were the one asked about.
FORECAST = re.compile(
    r"预测|预计|预估|预判|能到|会到|到年底|年底(?:会|能|前)|下个?月|下一个?月|下周|下个?星期|下一周|下个?季度|下一季度|明年|下一年|未来\s*\d*\s*(?:天|周|个月|月|年)|将来|会不会|会有多少|会达到|能达到"
    r"|forecast|predict|projection|\bproject(ed)?\b|\bnext (week|month|quarter|year|summer|winter|spring|autumn|fall|season|\d+ (days|weeks|months))\b|\bcoming (week|month|quarter|year)\b"
    r"|\bwill (we|there|it|the|our)\b|\bwhat will\b|\bwhere will\b|\bgoing to (be|get|have|hit|exceed|go)\b|\bexpect(ed)? .{0,30}\b(next|coming)\b"
)
# Cues a metric must agree with (checked on the question with its times, numbers and thresholds blanked).
DURATION = re.compile(
    r"多久|多长时间|时长|耗时|用时|花了?多少时间|几个?小时|几天|多少个?(?:小时|钟头|分钟|天)|最快|最慢|更快|更慢"
    r"|how long|how many (hours|days|minutes)|(?<!\d)(?<!\d )\b(hours?|hrs?|minutes?|mins?|days)\b|time to (resolve|close|respond|fix|first|reply|answer)"
    r"|\bforever\b|\bfastest\b|\bslowest\b|\bquickest\b|\bfaster\b|\bslower\b|\bturnaround\b"
    r"|\blongest\b|\bshortest\b|最长|最短|too long|so long|\btat\b|\bhow (?:fast|quick|quickly|soon)\b"
)
SHARE = re.compile(
    r"比例|占比|比率|百分比|百分之|几成|份额|占了?多少|\bshare\b|\bpercent(age)?\b|\bportion\b|\bfraction\b|\bratio\b|\bproportion\b|%"
    r"|\bhow often\b"
)
# "评论提到“太慢”", "comments that mention 等待", "saying 'too slow'": words searched for in free text
MENTION = re.compile(
    r"(?:提到|提及|包含|含有|带有|出现|写了|说了?|里有)(?:了)?\s*[“\"「『‘']([^”\"」』’']{1,20})[”\"」』’']"
    r"|\b(?:mention(?:s|ed|ing)?|contain(?:s|ed|ing)?|say(?:s|ing)?|said|with the words?)\s+[“\"‘']([^”\"’']{1,30})[”\"’']"
    r"|\bmention(?:s|ed|ing)?\s+([\u4e00-\u9fff]{1,10}|[a-z]+(?:-[a-z]+)?)\b"
    r"|\b(?:contain(?:s|ed|ing)?|say(?:s|ing)?|said|(?:wrote|write|writes|writing|complain(?:ed|s|ing)?|talk(?:ed|s|ing)?) about)\s+([\u4e00-\u9fff]{1,10})"
)
# "which ones?" after a count: the records counted (a follow-up only; alone it points at nothing)
WHICH_ONES = re.compile(
    r"^(?:ok |so |and )?(?:which|what) ones(?: were they| are they)?\s*(?:[?？.!]*$|[?？!])"
    r"|^(?:ok |so |and )?(?:let me see|show me|can i see|show|list) (?:them|those|these)(?: ones)?\s*[?？.!]*$"
    r"|^(?:那)?(?:具体|都)?是?哪些(?:单|工单|单子|客户|评价)?[?？]?$|^哪几(?:单|张|个)[?？]?$"
    r"|^(?:ok |so |and )?who (?:are|were) (?:they|those|these|the customers|those customers|the agents)\s*[?？.!]*$"
    r"|^(?:都)?是谁[?？]?$|^(?:那)?(?:具体|都|分别)?是哪几(?:个|张|单|位|家)(?:单|工单|客户)?[?？]?$"
)
# "so how's everyone doing overall?", "那整体表现怎么样": how things go, no measure named
HOW_GOING = re.compile(
    r"\bhow(?:'s| is| are|s)? (?:[\w']+ ){0,3}(?:doing|going|looking|performing)\b|\boverall\s*[?.!]*$"
    r"|整体(?:表现|情况)|表现(?:得)?怎么样|情况怎么样|干得怎么样"
)
HOW_BIG = re.compile(r"\bhow (?:big|large|bad)\b")  # "how big is the backlog": its size, a count
HOW_MANY = re.compile(
    r"\bhow many\b(?! (hours|days|minutes|mins|hrs|weeks)\b)|\bnumber of\b|\bcount of\b|#\s*of\b"
)

# Words that point at what the last answer showed: (pattern, how many of its groups; 0 = all of them).
# "那个大区", "最多的那个", "它" -> the first; "这两个型号", "both" -> the first two; "它们", "those" -> all.
# "throw NPS in there" adds to the answer: "in there" points at no group.
REFERENCES: list[tuple[re.Pattern[str], int]] = [
    (
        re.compile(
            r"(?:这|那)(?:2|两|俩)个?|这俩|那俩|(?<![前近第\d])2个(?=[\u4e00-\u9fff])|\bboth\b|\b(?:these|those|the) 2\b"
        ),
        2,
    ),
    (re.compile(r"(?:这|那)3个?|\b(?:these|those|the) 3\b"), 3),
    (re.compile(r"(?:这|那)(?:4|5)个?|\b(?:these|those|the) (?:4|5)\b"), 5),
    (re.compile(r"这些|那些|这几个|那几个|它们|他们|\b(?:them|those|these|they|their)\b"), 0),
    (
        re.compile(
            r"(?:最多|最高|最大|最少|最低|最差|最好|最慢|最快|排(?:名)?第[一1](?:名|位)?|第[一1]名)的?那个|那个|这个(?!月|季度|星期|周|年)|它(?!们)|(?<!其)他(?!们)|她(?!们)|\b(?:his|her)\b"
            r"|\b(?:that|this) (?!month|week|quarter|year|weekend|time)(?=[a-z])|\bthat one\b|\bthe top one\b|\b(?:for|of|about) it\b|(?<!\bin )(?<!\binto )\bthere\b"
        ),
        1,
    ),
]

# A follow-up that adds to the answer instead of replacing ("add NPS too", "再加上投诉率", "按优先级也拆一下").
ADD = re.compile(
    r"加上|加一个|加个|也加|也看|也拆|也按|顺便|还要|一起|放进来|加进来|带上|\badd\b|\btoo\b|\bas well\b|\balso\b|\binclude\b|\bplus\b|\balong with\b"
)
# The old count as a rate ("rate pls", "as a percentage?", "占比呢").
RATE_WORD = re.compile(r"\brate\b|\bratio\b|percent|\bshare\b|比例|占比|比率|\b%")

# A follow-up that takes a filter away ("drop the region filter", "去掉大区的筛选", "不限大区").
DROP_FILTER = re.compile(
    r"\b(drop|remove|clear|lose|forget|undo)\b.{0,30}\bfilters?\b|\bwithout the .{0,20} filter|\bunfiltered\b"
    r"|(去掉|去除|取消|删掉|不要).{0,8}(筛选|条件|限制|过滤)|不限"
)

# A request for an action, not an answer ("email the weekly report to my manager", "帮我发给老板"): refused
# before its words are read as data (email is also a channel).
ACTION_REQUEST = re.compile(
    r"^(?:please |pls |can you |could you |would you )?(?:email|e-mail|send|forward|book|schedule|remind|notify|ping|text|post"
    r"|delete|remove|erase|wipe|close|update|modify|cancel|assign|reassign|merge"
    r"|change(?! (?:it |this |that |the grain |the view )?(?:to|into) (?:by |per |a |an |the )?(?:days?|weeks?|months?|quarters?|years?"
    r"|daily|weekly|monthly|quarterly|yearly)\b)"
    r"|deleting|removing|erasing|wiping|closing|cancelling|canceling|reassigning|merging|emailing|sending)"
    r"\b(?= (?:the|this|that|these|those|it|them|me|my|him|her|a|an|to|out|our|us|all|every|last|yesterday's)\b)"
    r"|^(?:请|帮我|麻烦|能不能|可以)?(?:发邮件|发个?邮件|发送|转发|提醒|通知|预约|发给)|发(?:个|封)?邮件(?:给|到)|邮件发(?:给|到)|把.{0,12}(?:关掉|删掉|删除|关了|改掉|合并掉|清空)|(?:发|转|抄送|推送)(?:给|到)\s*\S{1,6}(?:总|经理|老板|领导|主管|同事|部门|群|邮箱)"
)
# Words that widen a follow-up back to everyone ("for all customers, not just VIP", "不限大区").
NOT_JUST = re.compile(r"\bnot just\b|\bnot only\b|不只|不止|不仅")

# Phrases that ask for a breakdown, read before model terms so that their words name no value.
BREAKDOWN_PHRASE = re.compile(
    r"\b(?:broken|break|breaking|split|splitting) (?:it |them |this |that )?(?:out|down|up)\b"
)
# Records asked for by their noun with words between ("show the unassigned tickets in the northwest").
SHOW_RECORDS = re.compile(
    r"^(?:pls |please |can you |could you )?(?:show|give|get|pull|find|list|display)(?: up| out)?(?: me| us)?(?: all| the| any)?(?: [\w'’-]+){0,5}? (?:tickets|surveys|comments|verbatims|records)\b(?! (?:by|per|count|volume|trend|over))"
    r"|(?:的|那些)[\w-]{0,6}?(?:单子|工单|评价|评论|记录)(?:[?？.。!！]*)$"
)

# "满意度最低的渠道": a Chinese superlative before what it picks names the one (unless 哪些 / 几个 say more).
SUPERLATIVE_THE = re.compile(r"最(?:高|低|多|少|好|差|快|慢|大|小|长|短)的(?![\d几前])")

# A range of scores or durations: "1到5分", "4 or 5 stars", "0-6分" (read as at least / at most).
RANGE = re.compile(
    r"(?<![\d.])(\d+)\s*(?:到|至|~|-|–|or|和|to|and|through)\s*(\d+)\s*(分|星|stars?|points?|(?<=\d)(?=\s+(?:in|on|for|last|this|from|with|by|per|and|across)\b|\s*[?.,!;]|\s*$))"
    r"|(?<![\d.])(\d+)\s*(?:[-–~]|or)\s*(\d+)(\s*)(?=\s*[)）])"  # "(4-5)", "(9 or 10)": a score range in brackets
)
# "1-star surveys", "5星": one score.
STARS = re.compile(r"(?<![\d.])(\d+)\s*-?\s*(stars?|星)(?!\s*(?:or|及|以|或|和|到|至|-|~))")
