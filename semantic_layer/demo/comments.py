"""Survey comments as codes: which surveys get a comment, and which theme a low score complains about.

A comment is ``COMMENTS[core] + SUFFIXES[suffix]`` (generate.py builds the text inside DuckDB and puts
the product line in place of ``{p}``).
"""

from __future__ import annotations

import numpy as np

from semantic_layer.demo.sampling import choose, cumulative
from semantic_layer.demo.vocabulary import (
    HIGH_COMMENTS,
    HIGH_SUFFIXES,
    LOW_SUFFIXES,
    LOW_THEMES,
    MID_COMMENTS,
    MID_SUFFIXES,
)

COMMENTS: tuple[str, ...] = (
    *(text for texts in LOW_THEMES.values() for text in texts),
    *MID_COMMENTS,
    *HIGH_COMMENTS,
)
SUFFIXES: tuple[str, ...] = (*LOW_SUFFIXES, *MID_SUFFIXES, *HIGH_SUFFIXES)
COMMENT_PROBABILITY = np.array([0.0, 0.92, 0.85, 0.5, 0.3, 0.2])  # by csat score 0..5

_THEME_SIZE = np.array([len(texts) for texts in LOW_THEMES.values()])
_THEME_START = np.concatenate([[0], np.cumsum(_THEME_SIZE)[:-1]])
_MID_START = int(_THEME_SIZE.sum())
_HIGH_START = _MID_START + len(MID_COMMENTS)


def draw_comments(
    rng: np.random.Generator,
    csat: np.ndarray,
    *,
    waited: np.ndarray,
    reopened: np.ndarray,
    hardware: np.ndarray,
    parts: np.ndarray,
    outbreak: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Comment code (-1 for no comment) and suffix code for each survey.

    Story 4: waiting time is the main theme of low scores, all the more when the ticket did wait
    (``waited``: response SLA missed or days to resolve). The other themes follow what happened:
    repeated failures after a reopen, parts and product quality for the AC-300 outbreak.
    """
    m = len(csat)
    core = np.full(m, -1, dtype=np.int16)
    suffix = np.zeros(m, dtype=np.int8)
    has = rng.random(m) < COMMENT_PROBABILITY[csat]

    low = np.flatnonzero(has & (csat <= 2))
    ones = np.ones(len(low))
    theme_weights = np.column_stack([  # in the order of LOW_THEMES
        1.0 + 2.5 * waited[low],  # 等待时间
        0.45 + 0.4 * hardware[low],  # 维修质量
        0.35 * ones,  # 服务态度
        0.15 + 0.6 * parts[low],  # 配件缺货
        0.15 + 1.6 * reopened[low],  # 反复故障
        0.15 * ones,  # 收费问题
        0.15 + 0.8 * outbreak[low],  # 产品质量
    ])  # fmt: skip
    theme = choose(rng, cumulative(theme_weights), np.arange(len(low)))
    core[low] = _THEME_START[theme] + (rng.random(len(low)) * _THEME_SIZE[theme]).astype(np.int64)
    suffix[low] = rng.integers(0, len(LOW_SUFFIXES), len(low))

    mid = np.flatnonzero(has & (csat == 3))
    core[mid] = _MID_START + rng.integers(0, len(MID_COMMENTS), len(mid))
    suffix[mid] = len(LOW_SUFFIXES) + rng.integers(0, len(MID_SUFFIXES), len(mid))

    high = np.flatnonzero(has & (csat >= 4))
    core[high] = _HIGH_START + rng.integers(0, len(HIGH_COMMENTS), len(high))
    suffix[high] = len(LOW_SUFFIXES) + len(MID_SUFFIXES) + rng.integers(0, len(HIGH_SUFFIXES), len(high))
    return core, suffix
