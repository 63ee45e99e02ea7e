"""How Chinese words sound, for the typos pinyin input makes: a wrong character with the same sound
(满义度 for 满意度, 投述 for 投诉, 超市率 for 超时率). Tones are ignored and the initials and finals
people commonly confuse are merged (zh/z, ch/c, sh/s, l/n, ing/in, eng/en, ang/an)."""

from __future__ import annotations

from functools import cache

from pypinyin import Style, pinyin

_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"))
_FINALS = (("ing", "in"), ("eng", "en"), ("ang", "an"))


@cache
def sounds(character: str) -> frozenset[str]:
    """Every way `character` may be read (heteronyms too), each folded to its loose form."""
    readings = pinyin(character, style=Style.NORMAL, heteronym=True, errors="ignore")
    return frozenset(_loose(r) for r in (readings[0] if readings else ()))


def sound_alike(typed: str, term: str) -> bool:
    """Whether `typed` could be `term` typed with pinyin: as long, every character may sound the same,
    the first and at least half of all characters are the term's own (so that unrelated words that
    happen to sound alike, or a window across two words, are not taken for each other)."""
    if len(typed) != len(term) or typed == term or typed[0] != term[0]:
        return False
    same = sum(a == b for a, b in zip(typed, term, strict=True))
    if 2 * same < len(term):
        return False
    return all(a == b or sounds(a) & sounds(b) for a, b in zip(typed, term, strict=True))


def _loose(syllable: str) -> str:
    for strict, loose in _INITIALS:
        if syllable.startswith(strict):
            syllable = loose + syllable[len(strict) :]
            break
    for strict, loose in _FINALS:
        if syllable.endswith(strict):
            return syllable[: -len(strict)] + loose
    return syllable
