"""Tests that match the design: trial k of every arm had the same injection moment and seed, so arms
are compared trial by trial. Per technique and stage, the Wilcoxon signed-rank test on the paired
differences (scipy); over techniques, the log-rank test stratified by technique (each technique its
own baseline). A trial not there by the end of its window counts with the window (a lower bound
of its time): a pair with one side censored has a known sign and a bounded size; a pair censored on
both sides is a tie, dropped as the Wilcoxon test drops zero differences. Each table is one family
of tests, adjusted by Holm and Benjamini-Hochberg (``lab.report.multiplicity``)."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from lab.report.multiplicity import adjust
from lab.report.statistics import METRICS, group_keys
from lab.report.style import architecture_order
from lab.report.survival import survival_data


def arm_pairs(
    trials: pd.DataFrame, scenario: dict[str, Any] | None = None
) -> list[tuple[str, str]]:
    """The pairs of arms compared: manual vs serverless where both ran, and each built-in arm vs
    each arm of a registered stack (``lab stack add``); in an ablation the arms that differ in one
    factor alone; else every pair of arms, in drawing order."""
    from lab.architectures.registry import ARCHITECTURES, arm_base
    from lab.report.attribution import arm_factors, factor_pairs

    present = architecture_order(trials["architecture"])
    arms = (scenario or {}).get("architectures") or {}
    stacks = [a for a in present if a in arms and arm_base(a, arms[a]) not in ARCHITECTURES]
    if {"manual", "serverless"} <= set(present):
        return [("manual", "serverless")] + [
            (built_in, stack) for built_in in ("manual", "serverless") for stack in stacks
        ]
    factors = {a: f for a, f in arm_factors(scenario or {}).items() if a in present}
    if factors:
        declared = (scenario or {}).get("factors") or {}
        names = list(declared) or sorted({k for f in factors.values() for k in f})
        return [(lo, hi) for name in names for lo, hi, *_ in factor_pairs(factors, name, declared)]
    return list(itertools.combinations(present, 2))


def paired_times(
    trials: pd.DataFrame, column: str, window_s: pd.Series, a: str, b: str
) -> pd.DataFrame:
    """One row per trial both arms ran (matched on sweep point, technique and trial): each arm's
    time (the window where censored) and whether it got there."""
    keys = [*group_keys(trials, "technique"), "trial"]
    data = survival_data(trials, column, window_s)
    sides = []
    for arm in (a, b):
        side = data[data["architecture"] == arm].set_index(keys)[["duration_s", "observed"]]
        sides.append(side.rename(columns=lambda c, arm=arm: f"{c}_{'a' if arm == a else 'b'}"))
    return sides[0].join(sides[1], how="inner").reset_index()


def wilcoxon_row(pairs: pd.DataFrame) -> dict[str, float | int]:
    """The signed-rank test of ``duration_s_b - duration_s_a`` (two-sided; exact where scipy
    can), the median paired difference and the matched-pairs rank-biserial correlation
    r = (W+ - W-) / (W+ + W-) (positive: ``b`` slower)."""
    both = ~pairs["observed_a"] & ~pairs["observed_b"]
    one = pairs["observed_a"] ^ pairs["observed_b"]
    difference = (pairs["duration_s_b"] - pairs["duration_s_a"])[~both].to_numpy(float)
    nonzero = difference[difference != 0]
    row: dict[str, float | int] = {
        "pairs": len(pairs),
        "one_censored": int(one.sum()),
        "both_censored": int(both.sum()),
        "median_difference_s": float(np.median(difference)) if len(difference) else np.nan,
        "W": np.nan,
        "p_value": np.nan,
        "rank_biserial_r": np.nan,
    }
    if len(nonzero):
        test = stats.wilcoxon(nonzero, zero_method="wilcox", alternative="two-sided")
        ranks = stats.rankdata(np.abs(nonzero))
        plus, minus = ranks[nonzero > 0].sum(), ranks[nonzero < 0].sum()
        row |= {
            "W": float(test.statistic),
            "p_value": float(test.pvalue),
            "rank_biserial_r": float((plus - minus) / (plus + minus)),
        }
    return row


def paired_table(
    trials: pd.DataFrame, window_s: pd.Series, pairs: list[tuple[str, str]]
) -> pd.DataFrame:
    """Per pair of arms, technique (and sweep point) and stage: the paired Wilcoxon signed-rank
    test (``wilcoxon_row``), its p-value adjusted over the table's family (every technique x stage
    x pair of arms of the run): ``p_holm`` and ``p_bh``."""
    keys = group_keys(trials, "technique")
    rows = []
    for a, b in pairs:
        for column, stage in METRICS.items():
            matched = paired_times(trials, column, window_s, a, b)
            for labels, cell in matched.groupby(keys, sort=True):
                labels = labels if isinstance(labels, tuple) else (labels,)
                rows.append(
                    {**dict(zip(keys, labels, strict=True)), "stage": stage, "a": a, "b": b}
                    | wilcoxon_row(cell)
                )
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    return pd.concat([table, adjust(table["p_value"])], axis=1)


def stratified_logrank(
    durations: pd.Series, observed: pd.Series, arm: pd.Series, strata: pd.Series
) -> tuple[float, float]:
    """The log-rank test of two arms (``arm``: True for the first) stratified by ``strata``:
    observed minus expected events of the first arm and its hypergeometric variance, summed over
    strata, chi^2 = (sum O - E)^2 / sum V on 1 degree of freedom (Mantel 1966). With one stratum
    it is the ordinary log-rank test."""
    o_minus_e = variance = 0.0
    frame = pd.DataFrame({"t": durations, "d": observed, "a": arm, "s": strata})
    for _, stratum in frame.groupby("s", sort=False):
        times = stratum["t"].to_numpy(float)
        events = stratum["d"].to_numpy(bool)
        first = stratum["a"].to_numpy(bool)
        for t in np.unique(times[events]):
            at_risk = times >= t
            n, n_a = at_risk.sum(), (at_risk & first).sum()
            d = (events & (times == t)).sum()
            d_a = (events & (times == t) & first).sum()
            o_minus_e += d_a - d * n_a / n
            if n > 1:
                variance += d * (n_a / n) * (1 - n_a / n) * (n - d) / (n - 1)
    if variance <= 0:
        return np.nan, np.nan
    chi2 = o_minus_e**2 / variance
    return float(chi2), float(stats.chi2.sf(chi2, 1))


def pooled_table(
    trials: pd.DataFrame, window_s: pd.Series, pairs: list[tuple[str, str]]
) -> pd.DataFrame:
    """Per pair of arms (and sweep point) and stage, over every technique at once: the log-rank
    test stratified by technique, adjusted over the table's family (every stage x pair of arms)."""
    keys = group_keys(trials, "technique")
    sweep = keys[:-1]
    rows = []
    for a, b in pairs:
        for column, stage in METRICS.items():
            data = survival_data(trials[trials["architecture"].isin([a, b])], column, window_s)
            for labels, cell in data.groupby(sweep, sort=True) if sweep else [((), data)]:
                labels = labels if isinstance(labels, tuple) else (labels,)
                chi2, p = stratified_logrank(
                    cell["duration_s"],
                    cell["observed"],
                    cell["architecture"] == a,
                    cell["technique"],
                )
                rows.append(
                    {
                        **dict(zip(sweep, labels, strict=True)),
                        "stage": stage,
                        "a": a,
                        "b": b,
                        "techniques": cell["technique"].nunique(),
                        "trials": len(cell),
                        "chi2_stratified": chi2,
                        "p_value": p,
                    }
                )
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    return pd.concat([table, adjust(table["p_value"])], axis=1)
