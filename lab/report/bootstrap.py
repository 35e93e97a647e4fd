"""Intervals that respect techniques: a cluster bootstrap resamples whole techniques (with all their
trials), so a pooled interval is as wide as the spread between techniques makes it; the trial
bootstrap beside it resamples trials as if they were independent (too narrow when techniques
differ). Percentile intervals, fixed seed: the report of a run is reproducible."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

SEED = 20260105
RESAMPLES = 2000

Statistic = Callable[[np.ndarray], float]


def cluster_bootstrap_ci(
    values: np.ndarray,
    clusters: np.ndarray,
    statistic: Statistic = np.median,
    level: float = 0.95,
    resamples: int = RESAMPLES,
) -> tuple[float, float]:
    """The ``level`` percentile interval of ``statistic`` over ``values``, resampling the clusters
    (``clusters[i]``: the technique of ``values[i]``) with replacement, each with all its values."""
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return np.nan, np.nan
    labels = np.asarray(clusters)
    members = [values[labels == label] for label in dict.fromkeys(labels.tolist())]
    if len(members) < 2:
        return trial_bootstrap_ci(values, statistic, level, resamples)
    rng = np.random.default_rng(SEED)
    draws = rng.integers(0, len(members), size=(resamples, len(members)))
    estimates = np.array([statistic(np.concatenate([members[i] for i in row])) for row in draws])
    return _percentiles(estimates, level)


def trial_bootstrap_ci(
    values: np.ndarray,
    statistic: Statistic = np.median,
    level: float = 0.95,
    resamples: int = RESAMPLES,
) -> tuple[float, float]:
    """The ``level`` percentile interval of ``statistic``, resampling values one by one."""
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return np.nan, np.nan
    rng = np.random.default_rng(SEED)
    samples = rng.choice(values, size=(resamples, len(values)), replace=True)
    return _percentiles(np.apply_along_axis(statistic, 1, samples), level)


def _percentiles(estimates: np.ndarray, level: float) -> tuple[float, float]:
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(estimates, [tail, 100 - tail])
    return float(low), float(high)
