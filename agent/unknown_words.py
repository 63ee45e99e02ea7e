"""Words of a question that no pass of the parser understood, so that it can say so instead of
answering as if they were not there ("营收和工单量" must not quietly become just "工单量"), and so
that the router sends the question to the LLM when one is configured.

What is left of a question once its terms, times and numbers are blanked out is mostly phrasing:
function words, question words, politeness, the cue words that shape the answer. The phrasing is a
closed lexicon kept as data (lexicon/phrasing.yaml); what remains (a run of two or more Chinese
characters, or an English word) is unknown."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

import yaml

from . import cues


@dataclass(frozen=True)
class Lexicon:
    zh_pattern: re.Pattern[str]
    """Chinese phrasing of two or more characters, longest first."""
    zh_function: frozenset[str]
    zh_single: frozenset[str]
    en_words: frozenset[str]
    out_of_scope_zh: tuple[str, ...]
    out_of_scope_en: frozenset[str]
    actions_zh: tuple[str, ...]
    actions_en: frozenset[str]
    vague_zh: tuple[str, ...]
    vague_en: frozenset[str]
    respell: tuple[str, ...]


@cache
def lexicon() -> Lexicon:
    data = yaml.safe_load(resources.files(__package__).joinpath("lexicon/phrasing.yaml").read_text("utf-8"))
    zh_words = sorted(set(data["zh"]["words"].split()), key=len, reverse=True)
    return Lexicon(
        zh_pattern=re.compile("|".join(re.escape(w) for w in zh_words if len(w) > 1)),
        zh_function=frozenset(data["zh"]["function_characters"]),
        zh_single=frozenset(w for w in zh_words if len(w) == 1),
        en_words=frozenset(data["en"]["words"].split()),
        out_of_scope_zh=tuple(data["out_of_scope"]["zh"].split()),
        out_of_scope_en=frozenset(data["out_of_scope"]["en"].split()),
        actions_zh=tuple(data["actions"]["zh"].split()),
        actions_en=frozenset(data["actions"]["en"].split()),
        vague_zh=tuple(data["vague"]["zh"].split()),
        vague_en=frozenset(data["vague"]["en"].split()),
        respell=tuple(data["respell"].split()),
    )


_EN_WORD = re.compile(r"[a-z][a-z'\-]*")
_NUMBER = re.compile(r"(?<![a-z0-9])\d+(?:\.\d+)?%?(?![a-z0-9])")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_CUES = (
    cues.WHY, cues.CHANGE, cues.CONCENTRATION, cues.DISTRIBUTION, cues.DETAIL, cues.TREND, cues.LOW_SCORE,
    cues.RANK, cues.FOLLOW_UP, cues.SIDE_BY_SIDE, cues.GENERIC_TOP, cues.SINGULAR_WHICH, cues.DURATION,
    cues.SHARE, cues.HOW_MANY, cues.HOW_BIG, cues.ADD, cues.DROP_FILTER,
    *(pattern for pattern, _ in cues.SUPERLATIVES),
)  # fmt: skip
IDENTIFIER = re.compile(r"(?<![a-z0-9])[a-z]{1,4}-?\d{4,}(?![a-z0-9])")
"""A record's id ("C00008284", "t000123456"): the parser looks it up, or leaves it unknown."""
_OTHER_ONE = re.compile(r"\bthe other (?:one|ones)\b|另一个|另外一个|另外那个|另外几个")
MIN_ZH_RUN = 2
MIN_EN_WORD = 3
"""Shorter leftovers still attached to a read word are its ending ("trend|ed"), not a word; standing
alone they are words like any other ("this qtr", "tix")."""

Role = Literal["cue", "phrasing", "unknown"]


@dataclass(frozen=True)
class Piece:
    """A word of the leftover text and what it is; `start`/`end` index the text it was found in."""

    start: int
    end: int
    role: Role


def leftover_pieces(rest: str, question: str) -> list[Piece]:
    """Every word left in `rest` (the `question` with what was understood blanked out), in order: a
    cue word that shapes the answer, phrasing, or unknown."""
    pieces: list[Piece] = []
    text = rest
    for pattern in _CUES:

        def blank(match: re.Match[str]) -> str:
            if match.end() > match.start():
                pieces.append(Piece(match.start(), match.end(), "cue"))
            return " " * len(match.group(0))

        text = pattern.sub(blank, text)
    words = lexicon()
    for run in _CJK_RUN.finditer(text):
        pieces += _chinese(run.group(0), run.start(), words)
    for match in _NUMBER.finditer(text):  # a number no pass placed (not a time, limit or threshold)
        pieces.append(Piece(match.start(), match.end(), "unknown"))
    for match in IDENTIFIER.finditer(text):  # "customer C00008284": a record named by its id, not placed
        pieces.append(Piece(match.start(), match.end(), "unknown"))
        text = text[: match.start()] + " " * (match.end() - match.start()) + text[match.end() :]
    for match in _OTHER_ONE.finditer(text):  # "the other one": which one? nothing shown says
        pieces.append(Piece(match.start(), match.end(), "unknown"))
        text = text[: match.start()] + " " * (match.end() - match.start()) + text[match.end() :]
    for match in _EN_WORD.finditer(text):
        word = re.sub(r"['’]s$", "", match.group(0)).strip("'-")
        known = (
            (len(word) <= MIN_EN_WORD and _attached(question, match.start(), match.end()))
            or word in words.en_words
            or word.rstrip("s") in words.en_words
            or _misspelt_phrasing(word)
        )
        pieces.append(Piece(match.start(), match.end(), "phrasing" if known else "unknown"))
    return sorted(pieces, key=lambda p: p.start)


def _attached(question: str, start: int, end: int) -> bool:
    before, after = question[start - 1 : start], question[end : end + 1]
    return before.isalnum() or before in ("'", "’") or after.isalnum()


def _chinese(run: str, offset: int, words: Lexicon) -> list[Piece]:
    pieces: list[Piece] = []
    covered = [False] * len(run)
    for match in words.zh_pattern.finditer(run):
        pieces.append(Piece(offset + match.start(), offset + match.end(), "phrasing"))
        covered[match.start() : match.end()] = [True] * (match.end() - match.start())
    index = 0
    while index < len(run):
        if covered[index] or run[index] in words.zh_function:
            if not covered[index]:
                pieces.append(Piece(offset + index, offset + index + 1, "phrasing"))
            index += 1
            continue
        end = index
        while end < len(run) and not covered[end] and run[end] not in words.zh_function:
            end += 1
        word = run[index:end]
        unknown = len(word) >= MIN_ZH_RUN and not all(c in words.zh_single for c in word)
        pieces.append(Piece(offset + index, offset + end, "unknown" if unknown else "phrasing"))
        index = end
    return pieces


def unknown_words(rest: str, text: str) -> list[str]:
    """The unknown words of `rest` (`text` with what was understood blanked out), in order, without
    repeats."""
    found = [rest[p.start : p.end].strip("'-") for p in leftover_pieces(rest, text) if p.role == "unknown"]
    return list(dict.fromkeys(found))


_CLAUSE_END = re.compile(r"[.!?;:](?=\s|$)|\s[-–—]+\s")
_CHATTER = re.compile(
    r"\b(?:thanks?|cheers|hope|hoping|appreciated?|grateful|wonderful|lovely|great|perfect|brilliant|awesome"
    r"|excellent|splendid|fantastic|sorry|bother|morning|afternoon|evening|tomorrow|tonight|meeting|board|review"
    r"|deck|boss|presentation|advance|regards|kindly|read|well)\b|谢谢|多谢|辛苦|麻烦|早上好|下午好"
)


def chatter(segments: Sequence[tuple[str, str]]) -> set[str]:
    """The unknown words of whole sentences that are only chatter: no term understood in them and a
    word of thanks, greeting or occasion said ("Hope you're well.", "Many thanks in advance.", "Board
    meeting is tomorrow morning - ..."). (text, role) pairs in order, as the reading segments are."""
    found: set[str] = set()
    clause: list[tuple[str, str]] = []
    for text, role in [*segments, (".", "phrasing")]:
        clause.append((text, role))
        if role == "phrasing" and _CLAUSE_END.search(text):
            said = " ".join(t for t, _ in clause)
            understood = any(r not in ("phrasing", "unknown", "cue") for _, r in clause)
            if not understood and _CHATTER.search(said):
                found |= {t.strip("'-") for t, r in clause if r == "unknown"}
            clause = []
    return found


def respelt(words: list[str]) -> dict[str, str]:
    """The unknown words that are a misspelt word of the question's shape, with their spelling: a
    letter dropped ("trnd") or two swapped ("tihs"), or its consonants alone ("mnth", "lst"), from
    exactly one such word. Not a letter changed: that makes other real words ("weak", "lost")."""
    fixes = {}
    for word in words:
        if not (word.isascii() and word.isalpha() and len(word) >= MIN_EN_WORD) or word in lexicon().respell:
            continue  # a word of the list left unplaced is placed by no spelling of it ("year" is no "years")
        near = {known for known in lexicon().respell if _misspelt(word, known) and known != word + "s"}
        if len(near) == 1:
            fixes[word] = near.pop()
    return fixes


@cache
def _misspelt_phrasing(word: str) -> bool:
    """ "appreicate", "thnaks", "apprecate": a phrasing word with two letters swapped, or a long one with a
    letter dropped, is phrasing too (the term matcher forgives typos only in the model's words). A short
    word with a letter dropped is often another word ("bought" is no "brought")."""
    if len(word) < 5 or word in lexicon().out_of_scope_en or word in lexicon().actions_en or respelt([word]):
        return False  # a misspelt cue or period word is read as it ("dialy"), never dropped as phrasing
    return any(
        (len(word) == len(known) and sorted(word) == sorted(known) and _misspelt(word, known))
        or (len(word) >= 7 and len(word) == len(known) - 1 and _misspelt(word, known))
        for known in lexicon().en_words
        if not any(cue.search(known) for cue in _CUES)
    )


def _misspelt(word: str, known: str) -> bool:
    if word == known[0] + re.sub(r"[aeiou]", "", known[1:]):
        return True
    if len(word) < 4:
        return False
    dropped = len(word) == len(known) - 1 and any(
        known[:i] + known[i + 1 :] == word for i in range(len(known))
    )
    swapped = len(word) == len(known) and any(
        known[:i] + known[i + 1] + known[i] + known[i + 2 :] == word for i in range(len(known) - 1)
    )
    return dropped or swapped


def out_of_scope(words: list[str]) -> list[str]:
    """The unknown words that name something service data does not hold (weather, revenue, salaries)."""
    return _listed(words, lexicon().out_of_scope_zh, lexicon().out_of_scope_en)


def out_of_scope_in(rest: str) -> list[str]:
    """Chinese out-of-scope words left anywhere in `rest`, also where a function character split them
    from the unknown words ("我们和美的的投诉率": 美的 is a competitor, not 美 + 的)."""
    found = [w for w in lexicon().out_of_scope_zh if len(w) > 1 and w in rest.replace(" ", "")]
    return [w for w in found if not any(w != other and w in other for other in found)]  # 花多少钱, not 多少钱


def actions(words: list[str]) -> list[str]:
    """The unknown words that ask for an action (send an e-mail, book a room), not an answer."""
    return _listed(words, lexicon().actions_zh, lexicon().actions_en)


def vague(words: list[str]) -> list[str]:
    """The unknown words that ask how things are going without naming a measure (performing, 效率)."""
    return _listed(words, lexicon().vague_zh, lexicon().vague_en)


def _listed(words: list[str], zh: tuple[str, ...], en: frozenset[str]) -> list[str]:
    def english(word: str) -> bool:
        word = re.sub(r"['’]s$", "", word)  # "midea's"
        return word in en or word.rstrip("s") in en

    return [w for w in words if any(z in w for z in zh) or english(w)]
