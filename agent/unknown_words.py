"""Words of a question that no pass of the parser understood, so that it can say so instead of
answering as if they were not there ("营收和工单量" must not quietly become just "工单量"), and so
that the router sends the question to the LLM when one is configured.

What is left of a question once its terms, times and numbers are blanked out is mostly phrasing:
function words, question words, politeness, the cue words that shape the answer. Those are removed
here; what remains (a run of two or more Chinese characters, or an English word) is unknown."""

from __future__ import annotations

import re

from . import cues

# Phrasing that carries no data meaning, longest first when matched (Chinese has no spaces).


def _words(text: str) -> list[str]:
    return text.split()


_ZH_PHRASING = sorted(
    _words(
        """
    的 了 吗 呢 吧 啊 呀 嘛 么 是 有 在 和 与 及 跟 或 或者 还是 以及 并且 而且 把 被 给 对 向 从 到 里 中 上 下 内 外 各 个 每 按 按照 以 用
    这 那 这个 那个 这些 那些 这边 那边 其中 分别 一下 一共 总共 总计 合计 大概 大约 大致 差不多 具体 目前 现在 当前 如何 怎么 怎么样 怎样 多少 几个 几 哪 哪个 哪些
    哪几个 哪一个 哪里 哪儿 什么 是否 有没有 是不是 多不多 高不高 好不好 快不快 慢不慢 够不够 情况 状况 表现 水平 数据 数字 结果 指标 统计 汇总 分析 查询 查 查一下 查下
    看 看看 看下 看一下 瞧瞧 帮我 帮忙 麻烦 请 请问 给我 告诉我 我想 我想知道 想知道 想看 想了解 了解 知道 我们 我们的 咱们 公司 团队 领导 老板 经理 让我 要 需要 要用 用来
    列出 列出来 显示 展示 输出 算 算一下 计算 统计一下 拆 拆分 拆开 拆一下 分开 细分 维度 分组 对比 比较 相比 比 环比 同比 变化 变动 趋势 走势 分布 排名 排行 排序
    最 最多 最少 最高 最低 最大 最小 最长 最短 最快 最慢 最好 最差 更 较 比较 很 非常 特别 太 挺 有点 比如 例如 只 只看 仅 仅看 就 都 也 还 再 又 换成 改成 改为 换为 同样 如果
    上升 下降 增加 减少 增长 下滑 提升 提高 降低 好转 变好 变差 恶化 改善 掉 涨 升 降 原因 为什么 为啥 为何 导致 因素 造成 影响 驱动 集中 主要 来自 占比 占 份额 比例 贡献
    除外 不要 不计 明细 清单 名单 列表 记录 内容 具体 哪些 谁 是谁 不同 安排 回访 厉害 严重 明显 接过 接单 一 周会 月会 汇报 报告 周报 月报 不算 不含 不包括 除了 除 以外 之外 排除 去掉 期间 时候 时间 范围 左右 以上 以下 之间
    收到 收到了 发生 出现 产生 处理 遇到 整体 总体 全部 所有 全 总 平均 均值 中位数 分位 分钟 小时 天 周 月 年 季度 次 件 张 单 位 名 条 款 家 类 种 成 好 差 高 低 多 少 快 慢
    """
    ),
    key=len,
    reverse=True,
)
_ZH_PHRASING_PATTERN = re.compile("|".join(re.escape(w) for w in _ZH_PHRASING if len(w) > 1))
# One-character words: function words go wherever they are; the others (units, 天, 多, 好...) only when
# nothing but phrasing is left beside them, so that 天气 or 利润 stay words instead of losing a character.
_ZH_FUNCTION = frozenset(
    "的了吗呢吧啊呀嘛么是有在和与及跟或把被给对向从到里中上下内外各个每按以用这那就都也还再又只仅全总最更较很太挺比"
)
_ZH_SINGLE = frozenset(w for w in _ZH_PHRASING if len(w) == 1)

_EN_PHRASING = frozenset(
    _words(
        """
    a an the this that these those it its it's is are was were be been being am do does did done doing have has had having
    of in on at by for to from with without into onto over under about across per via than then as so and or but nor not no
    what what's whats which who whom whose where when why how how's hows much many more most less least any some all each every
    i me my we us our ours you your they them their he she his her there here please pls can could would should will shall may might
    must just only also too very really quite rather bit lot lots again instead same still even ever now currently today so far
    show tell give get let see look looking find list display break down split compare versus vs against between among within
    number count total overall average avg mean median amount level value values rate rates figure figures data stats statistics metric metrics
    trend trends trending trended distribution distributed breakdown ranking rank ranked top bottom best worst highest lowest biggest smallest
    largest fastest slowest longest shortest high low higher lower up rise rising rose fall falling fell drop dropped dropping increase increased
    decrease decreased change changed changes improve improved worse better spike spiked jump jumped drove driving driver drivers reason reasons cause
    caused behind explain happened happen going doing looking like want wants wanted need needs know boss vp manager team board deck meeting report
    ok okay thanks thank hi hello hey um uh well yes yeah sure excluding exclude except besides apart other
    handled handle received receive took take takes taking gave give came come thru through slow slowly long current everything jobs job
    """
    )
)
_EN_WORD = re.compile(r"[a-z][a-z'\-]*")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_CUES = (
    cues.WHY, cues.CHANGE, cues.CONCENTRATION, cues.DISTRIBUTION, cues.DETAIL, cues.TREND, cues.LOW_SCORE,
    cues.RANK, cues.FOLLOW_UP, cues.SIDE_BY_SIDE, cues.GENERIC_TOP, cues.SINGULAR_WHICH,
    *(pattern for pattern, _ in cues.SUPERLATIVES),
)  # fmt: skip
MIN_ZH_RUN = 2
MIN_EN_WORD = 3  # shorter leftovers are word endings a cue left behind ("trend|ed") or noise


def unknown_words(rest: str) -> list[str]:
    """The words left in `rest` (a question with what was understood blanked out) that are not
    phrasing: Chinese runs of two or more characters and English words, in order, without repeats."""
    for pattern in _CUES:
        rest = pattern.sub(" ", rest)
    found: list[str] = []
    for run in _CJK_RUN.findall(rest):
        for piece in _ZH_PHRASING_PATTERN.sub(" ", run).split():
            piece = "".join(" " if c in _ZH_FUNCTION else c for c in piece)
            for word in piece.split():
                if len(word) >= MIN_ZH_RUN and not all(c in _ZH_SINGLE for c in word):
                    found.append(word)
    for word in _EN_WORD.findall(rest.lower()):
        word = word.strip("'-")
        if len(word) > MIN_EN_WORD and word not in _EN_PHRASING and word.rstrip("s") not in _EN_PHRASING:
            found.append(word)
    return list(dict.fromkeys(found))
