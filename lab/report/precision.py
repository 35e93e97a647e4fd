"""How many trials: per cell (technique, arm, stage), the trials a chosen interval width needs,
computed from the run. A 95 % interval narrows as one over the square root of the trials, so the
trials needed for a half-width h, from n trials that gave a half-width w, are n (w / h)^2: for the
RMST (the chosen width a fraction of it, default 10 %) and for the fraction that got there by the
horizon (Wilson interval; default plus or minus 0.10)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from lab.report.statistics import group_keys


def trials_for_width(n: int, half_width: float, target: float) -> float:
    """n (half_width / target)^2 rounded up, at least 2; NaN where nothing says (no width)."""
    if not np.isfinite(half_width) or target <= 0 or n == 0:
        return np.nan
    return float(max(int(np.ceil(n * (half_width / target) ** 2)), 2))


def precision_table(
    km: pd.DataFrame, rmst_relative: float = 0.10, fraction_half_width: float = 0.10
) -> pd.DataFrame:
    """From ``km_table``: per cell, the trials run, the RMST's 95 % CI half-width and the trials it
    needs for plus or minus ``rmst_relative`` of the RMST, the fraction reached's Wilson
    half-width and the trials for plus or minus ``fraction_half_width``."""
    keys = [k for k in group_keys(km, "technique", "architecture") if k in km.columns]
    rows = []
    for row in km.to_dict("records"):
        n = int(row["n"])
        rmst_half = (row["rmst_ci_high_s"] - row["rmst_ci_low_s"]) / 2
        reached = round(row["fraction_reached"] * n)
        low, high = proportion_confint(reached, n, alpha=0.05, method="wilson")
        rows.append(
            {
                **{k: row[k] for k in keys},
                "stage": row["stage"],
                "n": n,
                "rmst_half_width_s": rmst_half,
                f"trials for RMST +-{rmst_relative:.0%}": trials_for_width(
                    n, rmst_half, rmst_relative * row["rmst_s"]
                ),
                "fraction_half_width": (high - low) / 2,
                f"trials for fraction +-{fraction_half_width:.2f}": trials_for_width(
                    n, (high - low) / 2, fraction_half_width
                ),
            }
        )
    return pd.DataFrame(rows)
