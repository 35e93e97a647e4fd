"""Where dropping the censored trials would mislead: per technique and stage, the median of the
trials that got there beside the Kaplan-Meier median and the RMST, and the arm the first would have
flattered (it looks faster on the trials it caught, and is slower once its misses count)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lab.report.statistics import group_keys


def flattered_table(km: pd.DataFrame) -> pd.DataFrame:
    """From ``km_table``: one row per technique (and sweep point) and stage where some trial was
    censored and the two medians disagree, each arm's reached-only median, Kaplan-Meier median and
    RMST; ``flattered``: the arms whose reached-only median understates their survival median
    (the most flattered first); ``ranking_flips``: an arm the reached-only median ranks faster than
    another whose RMST is in fact shorter ("no" when the ranking holds)."""
    keys = [k for k in group_keys(km, "technique") if k in km.columns]
    rows = []
    for labels, cell in km.groupby([*keys, "stage"], sort=True):
        disagree = _disagrees(cell)
        if cell["censored"].sum() == 0 or not disagree.any():
            continue
        row = dict(zip([*keys, "stage"], labels, strict=True))
        for arch in cell.to_dict("records"):
            name = arch["architecture"]
            row[f"{name}: reached-only median_s"] = arch["uncensored_median_s"]
            row[f"{name}: KM median_s"] = arch["km_median_s"]
            row[f"{name}: RMST_s"] = arch["rmst_s"]
            row[f"{name}: censored"] = arch["censored"]
        row["flattered"] = ", ".join(_understated(cell)) or "-"
        row["ranking_flips"] = ", ".join(_flattered(cell)) or "no"
        rows.append(row)
    return pd.DataFrame(rows)


def _disagrees(cell: pd.DataFrame) -> pd.Series:
    km, reached = cell["km_median_s"], cell["uncensored_median_s"]
    return (km.isna() & reached.notna()) | ~np.isclose(km.fillna(-1), reached.fillna(-1))


def _understated(cell: pd.DataFrame) -> list[str]:
    """Arms whose reached-only median is below their Kaplan-Meier median (or it was not reached),
    by how far: not reached first, then by the ratio of the two."""
    found = []
    for arm in cell.to_dict("records"):
        reached, km = arm["uncensored_median_s"], arm["km_median_s"]
        if pd.isna(reached) or arm["censored"] == 0:
            continue
        if pd.isna(km) or km > reached:
            found.append((np.inf if pd.isna(km) else km / max(reached, 1e-9), arm["architecture"]))
    return [name for _, name in sorted(found, reverse=True)]


def _flattered(cell: pd.DataFrame) -> list[str]:
    """Arms whose reached-only median is below another's while their RMST is above it."""
    arms = cell.to_dict("records")
    found = []
    for a in arms:
        for b in arms:
            if a is b or pd.isna(a["uncensored_median_s"]) or pd.isna(b["uncensored_median_s"]):
                continue
            looks_faster = a["uncensored_median_s"] < b["uncensored_median_s"]
            is_slower = a["rmst_s"] > b["rmst_s"]
            if looks_faster and is_slower and a["architecture"] not in found:
                found.append(a["architecture"])
    return found
