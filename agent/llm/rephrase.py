"""Rewording the template narrative with the LLM, checked before anyone sees it.

The LLM gets the template text and the facts it was built from (aggregates, never result rows) and may
only reword. A rewrite is rejected, and the template kept, when it holds a number that is not in the
template or the facts (digits, spelled-out English numbers, Chinese numerals with a unit or multiplier),
a link or markup, text in the wrong language, or is empty or much longer."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from semantic_layer.model import Language

from ..intent import Intent
from ..text import has_cjk
from .client import ChatClient, Deadline, LLMError

logger = logging.getLogger("chatbi.llm")

_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
_EN_NUMBER_WORDS = re.compile(
    r"\b(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|"
    r"thousand|million|billion|twice|double[sd]?|triple[sd]?|tripled|quadrupled|half|halved|dozens?)\b",
    re.IGNORECASE,
)
_ZH_NUMBER_WORDS = re.compile(
    r"[零〇一二两三四五六七八九十百千万亿半]+(?:倍|成|个百分点|个点|分之|番|个|位|名|家|项)|翻番|翻倍|减半|过半"
)
_MARKUP = re.compile(r"<[a-zA-Z/!]|\]\(|```|https?://|www\.|data:", re.IGNORECASE)
MAX_GROWTH = 2.0
MIN_LENGTH = 4

INSTRUCTIONS = {
    "zh": "请用简体中文改写下面这段数据分析结论，让高管读起来更自然、简洁。只能改写措辞：必须保留原文中的每一个数字"
    "（原样照抄），不得增加任何新的数字、比例、倍数或原因，不得使用 Markdown、链接或 HTML。只输出改写后的文字。",
    "en": "Rewrite the following analytics summary in English so that an executive reads it easily. Only change "
    "the wording: keep every number exactly as written, add no number, ratio, multiple or cause that is not "
    "there, and use no markdown, links or HTML. Reply with the rewritten text only.",
}


class Rephraser:
    """Rewords answers' narratives for one question, within its deadline; any failure keeps the template."""

    def __init__(
        self,
        client: ChatClient,
        deadline: Deadline,
        *,
        send_rows: bool = True,
        on_stage: Callable[[str], None] | None = None,
    ) -> None:
        self.client = client
        self.deadline = deadline
        self.send_rows = send_rows
        self.on_stage = on_stage or (lambda _: None)

    def __call__(self, intent: Intent, text: str, facts: Sequence[dict[str, Any]]) -> str | None:
        if intent.kind == "detail" and not self.send_rows:  # a list's facts name records
            return None
        self.on_stage("writing")
        try:
            return rephrase(self.client, text, facts, intent.language, self.deadline)
        except LLMError as error:
            logger.info("the narrative keeps its template wording: %s", error)
            return None


def rephrase(
    client: ChatClient,
    text: str,
    facts: Sequence[dict[str, Any]],
    language: Language,
    deadline: Deadline,
) -> str | None:
    """The checked rewrite, or None (keep the template) when it fails any check. Raises LLMError."""
    from langchain_core.messages import HumanMessage, SystemMessage

    facts_text = json.dumps([{"id": f.get("id"), "text": f.get("text")} for f in facts], ensure_ascii=False)
    reply = client.complete(
        [
            SystemMessage(INSTRUCTIONS[language]),
            HumanMessage(f"{text}\n\nFacts: {facts_text}"),
        ],
        deadline,
    )
    rewrite = reply.content if isinstance(reply.content, str) else ""
    rewrite = rewrite.strip()
    rejected = problems(text, rewrite, facts, language)
    if rejected:
        logger.info("the LLM's rewording was rejected: %s", "; ".join(rejected))
        return None
    return rewrite


def problems(original: str, rewrite: str, facts: Sequence[dict[str, Any]], language: Language) -> list[str]:
    """Why `rewrite` may not replace `original` (empty when it may)."""
    found = []
    if len(rewrite) < MIN_LENGTH:
        found.append("empty")
    if len(rewrite) > MAX_GROWTH * len(original) + 40:
        found.append("too long")
    if _MARKUP.search(rewrite):
        found.append("markup or a link")
    if (language == "zh") != has_cjk(rewrite):
        found.append("wrong language")
    grounded = original + " " + " ".join(str(f.get("text", "")) for f in facts)
    allowed = {_number(n) for n in _DIGITS.findall(grounded)}
    for token in _DIGITS.findall(rewrite):
        if _number(token) not in allowed:
            found.append(f"the number {token} is not in the facts")
    for pattern in (_EN_NUMBER_WORDS, _ZH_NUMBER_WORDS):
        allowed_words = {w.lower() for w in pattern.findall(grounded)}
        for word in pattern.findall(rewrite):
            if word.lower() not in allowed_words:
                found.append(f"'{word}' states a number that is not in the facts")
    return found


def _number(token: str) -> Decimal | str:
    """'1,234' and '1234', '4.50' and '4.5' are the same number; '1,5' (a decimal comma) stays text."""
    plain = token.replace(",", "") if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", token) else token
    try:
        return Decimal(plain).normalize()
    except InvalidOperation:
        return token
