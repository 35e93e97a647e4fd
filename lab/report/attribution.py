"""Which design choice makes the gap: the effects of an ablation's factors on detection and repair.

An ablation scenario runs several arms (architectures with options), each labelled with the level of
every factor it stands for (``factors:`` in the scenario, e.g. detection poll | push, managed none |
guardduty-config-securityhub, response person | automation). The effect of a factor is read from
the pairs of arms that differ in that factor alone: for each such pair, each trial of a technique
is matched with the same trial of the same technique in the other arm (the same injection moment:
common random numbers) and the difference of their times is taken. The effect is the median of
those paired differences, pooled over the factor's pairs, and their mean (which moves when misses
turn into detections, as the median of mostly-detected pairs does not: ``newly_reached`` counts
them); the 95 % CIs come from a cluster bootstrap that resamples whole techniques (trials cluster
within techniques), the trial bootstrap's interval of the median beside it for comparison. An interaction of two factors is the difference of
one factor's effect between the two levels of the other, where all four arms exist.

No trial is dropped: a trial not detected (or not remediated) by the end of its window counts with
the window's length, a lower bound of its time, so a difference with one censored side is a bound
(``one_censored`` counts them). Where both sides are censored the difference is unknown, not zero:
such pairs are counted (``both_censored``) and left out of the median, as in a sign test's ties.
Failed trials are left out: nothing was measured.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd

from lab.report.bootstrap import cluster_bootstrap_ci, trial_bootstrap_ci

ATTRIBUTED = {"time_to_detect_s": "TTD", "time_to_remediate_s": "TTR"}


def arm_factors(scenario: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Each arm's factor levels, from the scenario (arms without ``factors`` are left out)."""
    return {
        arm: {str(k): str(v) for k, v in (options or {}).get("factors", {}).items()}
        for arm, options in (scenario.get("architectures") or {}).items()
        if (options or {}).get("factors")
    }


def _levels(factors: dict[str, dict[str, str]], factor: str, declared: dict[str, list]) -> list:
    """The factor's levels, low first: as the scenario declares them, else sorted."""
    if factor in declared:
        return [str(level) for level in declared[factor]]
    return sorted({f[factor] for f in factors.values() if factor in f})


def factor_pairs(
    factors: dict[str, dict[str, str]], factor: str, declared: dict[str, list] | None = None
) -> list[tuple[str, str, str, str]]:
    """(arm at the low level, arm at the high level, low, high) for arms differing in ``factor``
    alone."""
    levels = _levels(factors, factor, declared or {})
    found = []
    for a, b in itertools.permutations(factors, 2):
        fa, fb = factors[a], factors[b]
        if factor not in fa or factor not in fb or set(fa) != set(fb):
            continue
        others_equal = all(fa[k] == fb[k] for k in fa if k != factor)
        if others_equal and levels.index(fa[factor]) < levels.index(fb[factor]):
            found.append((a, b, fa[factor], fb[factor]))
    return found


def _restricted(trials: pd.DataFrame, column: str, window_s: pd.Series) -> pd.DataFrame:
    kept = trials[trials["outcome"] != "failed"]
    censored = kept[column].isna()
    return kept.assign(
        time=kept[column].where(~censored, window_s.loc[kept.index]).astype(float),
        censored=censored,
    )[["architecture", "technique", "trial", "time", "censored"]]


def _paired(data: pd.DataFrame, low: str, high: str) -> pd.DataFrame:
    a = data[data["architecture"] == low].set_index(["technique", "trial"])
    b = data[data["architecture"] == high].set_index(["technique", "trial"])
    joined = a.join(b, how="inner", suffixes=("_low", "_high"))
    return pd.DataFrame(
        {
            "technique": joined.index.get_level_values("technique"),
            "difference": (joined["time_high"] - joined["time_low"]).to_numpy(),
            "censored": (
                joined["censored_low"].astype(int) + joined["censored_high"].astype(int)
            ).to_numpy(),
            # +1: reached at the high level only (a miss turned into a hit), -1: the opposite
            "newly_reached": (
                joined["censored_low"].astype(int) - joined["censored_high"].astype(int)
            ).to_numpy(),
        },
        index=joined.index,
    )


def _estimates(differences: np.ndarray, techniques: np.ndarray) -> dict[str, float]:
    """The median and the mean paired difference, each with its 95 % cluster-bootstrap CI (whole
    techniques resampled), and the median's trial-bootstrap CI beside it (too narrow where
    techniques differ; shown so the difference can be seen)."""
    if len(differences) == 0:
        return dict.fromkeys(
            (
                "median_difference_s",
                "ci_low_s",
                "ci_high_s",
                "trial_ci_low_s",
                "trial_ci_high_s",
                "mean_difference_s",
                "mean_ci_low_s",
                "mean_ci_high_s",
            ),
            np.nan,
        )
    low, high = cluster_bootstrap_ci(differences, techniques, np.median)
    trial_low, trial_high = trial_bootstrap_ci(differences, np.median)
    mean_low, mean_high = cluster_bootstrap_ci(differences, techniques, np.mean)
    return {
        "median_difference_s": float(np.median(differences)),
        "ci_low_s": low,
        "ci_high_s": high,
        "trial_ci_low_s": trial_low,
        "trial_ci_high_s": trial_high,
        "mean_difference_s": float(np.mean(differences)),
        "mean_ci_low_s": mean_low,
        "mean_ci_high_s": mean_high,
    }


def _effect(data: pd.DataFrame, pairs: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    return pd.concat([_paired(data, low, high) for low, high, _, _ in pairs], ignore_index=True)


def attribution_table(
    trials: pd.DataFrame, scenario: dict[str, Any], window_s: pd.Series
) -> pd.DataFrame:
    """One row per factor (and interaction) and stage: the contrast, the arms' pairs it is read
    from, the matched trials (and how many censored), the median paired difference in seconds
    (high level minus low level: negative = faster) and its 95 % bootstrap CI."""
    factors = arm_factors(scenario)
    declared = scenario.get("factors") or {}
    present = set(trials["architecture"])
    factors = {arm: f for arm, f in factors.items() if arm in present}
    names = list(declared) or sorted({k for f in factors.values() for k in f})
    rows = []
    for column, stage in ATTRIBUTED.items():
        data = _restricted(trials, column, window_s)
        for factor in names:
            pairs = factor_pairs(factors, factor, declared)
            if not pairs:
                continue
            matched = _effect(data, pairs)
            informative = matched[matched["censored"] < 2]
            rows.append(
                {
                    "effect": factor,
                    "contrast": f"{pairs[0][2]} -> {pairs[0][3]}",
                    "stage": stage,
                    "arm_pairs": "; ".join(f"{a} -> {b}" for a, b, _, _ in pairs),
                    "matched_trials": len(matched),
                    "one_censored": int((matched["censored"] == 1).sum()),
                    "both_censored": int((matched["censored"] == 2).sum()),
                    "newly_reached": int(matched["newly_reached"].sum()),
                    "techniques": informative["technique"].nunique(),
                    **_estimates(
                        informative["difference"].to_numpy(float),
                        informative["technique"].to_numpy(),
                    ),
                }
            )
        for f, g in itertools.combinations(names, 2):
            rows.extend(_interaction(data, factors, f, g, stage, declared))
    return pd.DataFrame(rows)


def _interaction(
    data: pd.DataFrame,
    factors: dict[str, dict[str, str]],
    f: str,
    g: str,
    stage: str,
    declared: dict[str, list],
) -> list[dict[str, Any]]:
    """f's effect at g's high level minus at its low level, from complete 2x2 squares of arms."""
    by_g: dict[str, list[tuple[str, str, str, str]]] = {}
    for pair in factor_pairs(factors, f, declared):
        by_g.setdefault(factors[pair[0]][g], []).append(pair)
    g_levels = _levels(factors, g, declared)
    if len(g_levels) != 2 or not all(level in by_g for level in g_levels):
        return []
    squares = [
        (lo_pair, hi_pair)
        for lo_pair in by_g[g_levels[0]]
        for hi_pair in by_g[g_levels[1]]
        if all(
            factors[lo_pair[0]][k] == factors[hi_pair[0]][k]
            for k in factors[lo_pair[0]]
            if k not in (f, g)
        )
    ]
    if not squares:
        return []
    parts = [
        _paired(data, lo[0], lo[1])
        .drop(columns="technique")
        .join(_paired(data, hi[0], hi[1]), how="inner", suffixes=("_low", "_high"))
        for lo, hi in squares
    ]
    joined = pd.concat(parts, ignore_index=True)
    censored = joined["censored_low"] + joined["censored_high"]
    unknown = (joined["censored_low"] == 2) | (joined["censored_high"] == 2)
    differences = (joined["difference_high"] - joined["difference_low"])[~unknown].to_numpy(float)
    techniques = joined["technique"][~unknown].to_numpy()
    return [
        {
            "effect": f"{f} x {g}",
            "contrast": f"({f} effect at {g}={g_levels[1]}) - (at {g}={g_levels[0]})",
            "stage": stage,
            "arm_pairs": "; ".join(f"{a}->{b} vs {c}->{d}" for (a, b, *_), (c, d, *_) in squares),
            "matched_trials": len(joined),
            "one_censored": int(((censored > 0) & ~unknown).sum()),
            "both_censored": int(unknown.sum()),
            "newly_reached": int(
                (joined["newly_reached_high"] - joined["newly_reached_low"]).sum()
            ),
            "techniques": len(set(techniques)),
            **_estimates(differences, techniques),
        }
    ]
