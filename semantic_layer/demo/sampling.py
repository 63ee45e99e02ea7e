"""Vectorised draws from categorical distributions."""

from __future__ import annotations

import numpy as np


def cumulative(weights: np.ndarray) -> np.ndarray:
    """Row-normalised cumulative probabilities, the last column exactly 1."""
    w = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    cum = np.cumsum(w / w.sum(axis=1, keepdims=True), axis=1)
    cum[:, -1] = 1.0
    return cum


def choose(
    rng: np.random.Generator, cum: np.ndarray, row: np.ndarray | None = None, n: int = 0
) -> np.ndarray:
    """One category per row, drawn from ``cum[row]`` (or from the single row ``cum[0]``)."""
    if row is None:
        return np.searchsorted(cum[0], rng.random(n), side="right").astype(np.int8)
    u = rng.random(len(row))
    return (u[:, None] >= cum[row]).sum(axis=1).astype(np.int8)
