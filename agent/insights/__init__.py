"""Analyses behind "why", "where is it concentrated", "is this unusual" and "how is it spread": each
computes a typed result (agent/analysis.py) from the data through the semantic layer."""

from .anomalies import find_anomalies
from .concentration import concentration
from .distribution import distribution
from .explain import explain_change
from .segments import find_segments

__all__ = ["concentration", "distribution", "explain_change", "find_anomalies", "find_segments"]
