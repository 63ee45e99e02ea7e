"""Unusual points in a series, found with a robust z-score (median and MAD), so that the outliers
themselves do not hide in an inflated mean and standard deviation."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from ..analysis import Anomaly

MIN_POINTS = 6
"""Shorter series give no anomalies: too few points to tell what is usual."""
MAD_SCALE = 1.4826
"""Makes the MAD estimate the standard deviation of normally distributed data."""
MEAN_AD_SCALE = 1.2533
"""The same for the mean absolute deviation (sqrt(pi / 2)), used when more than half the points are equal."""


def find_anomalies(series: Sequence[tuple[str, float | None]], threshold: float = 3.5) -> list[Anomaly]:
    """Points whose robust z-score `(value - median) / (1.4826 * MAD)` exceeds `threshold` in absolute
    value, most extreme first. Missing values are skipped; fewer than six values or a flat series give
    none. When the MAD is 0 (most points equal), the mean absolute deviation around the median stands
    in for it (scaled by 1.2533), so a lone departure from a constant series still shows."""
    points = [(period, float(value)) for period, value in series if value is not None]
    if len(points) < MIN_POINTS:
        return []
    values = [value for _, value in points]
    median = statistics.median(values)
    deviations = [abs(value - median) for value in values]
    spread = MAD_SCALE * statistics.median(deviations)
    if spread == 0:
        spread = MEAN_AD_SCALE * statistics.fmean(deviations)
    if spread == 0:
        return []
    found = []
    for index, (period, value) in enumerate(points):
        score = (value - median) / spread
        if abs(score) > threshold:
            anomaly = Anomaly(
                period=period,
                value=value,
                expected=median,
                score=score,
                direction="high" if score > 0 else "low",
            )
            found.append((index, anomaly))
    found.sort(key=lambda item: (-abs(item[1].score), item[0]))
    return [anomaly for _, anomaly in found]
