"""Coverage: for each ATT&CK technique the lab detonated, what each architecture did about it, as
measured in trials (never inferred from metadata)."""

from __future__ import annotations

from math import nan
from pathlib import Path

import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from lab.attacks.registry import techniques
from lab.experiment.results import TRIALS, read_trials_csv, run_dirs

OUTCOME_ORDER = ["remediated", "detected only", "missed", "failed"]


def cell_outcome(outcomes: pd.Series) -> str:
    """The outcome most trials had (ties go to the better one)."""
    counts = outcomes.value_counts()
    best = max(counts.to_numpy())
    return next(o for o in OUTCOME_ORDER if counts.get(o, 0) == best)


FRACTIONS = {"remediated": "remediated", "detected only": "detected_only", "missed": "missed"}


def outcome_fractions(outcomes: pd.Series) -> dict[str, float]:
    """The fraction of the (not failed) trials that were remediated, detected only and missed,
    each with its 95 % Wilson interval (statsmodels): what a cell's few trials can say."""
    ran = outcomes[outcomes != "failed"]
    fractions: dict[str, float] = {"ran": len(ran)}
    for outcome, name in FRACTIONS.items():
        k, n = int((ran == outcome).sum()), len(ran)
        low, high = proportion_confint(k, n, alpha=0.05, method="wilson") if n else (nan, nan)
        fractions |= {
            f"{name}_fraction": k / n if n else nan,
            f"{name}_fraction_ci_low": float(low),
            f"{name}_fraction_ci_high": float(high),
        }
    return fractions


def coverage_table(trials: pd.DataFrame) -> pd.DataFrame:
    """One row per technique and architecture: ATT&CK mapping, the outcome most trials had, counts,
    the median TTD of the detected trials, and the fraction remediated / detected only / missed
    with Wilson intervals (``outcome_fractions``)."""
    catalog = techniques()
    rows = []
    for (technique_id, architecture), group in trials.groupby(["technique", "architecture"]):
        mapping = catalog[technique_id].metadata.mitre_attack if technique_id in catalog else None
        detected = group["time_to_detect_s"].dropna()
        sources = group["detection_source"] if "detection_source" in group else pd.Series([])
        paths = sources.dropna().astype(str).str.split(":").str[0]
        rows.append(
            {
                "tactic": f"{mapping.tactic} {mapping.tactic_name}" if mapping else "?",
                "attack_id": mapping.technique_id if mapping else "?",
                "technique": technique_id,
                "architecture": architecture,
                "outcome": cell_outcome(group["outcome"]),
                "trials": len(group),
                "remediated": int((group["outcome"] == "remediated").sum()),
                "detected": int(group["time_to_detect_s"].notna().sum()),
                "detect_median_s": float(detected.median()) if len(detected) else None,
                # The kind of path that saw it first in most trials (cron, alarm, eventbridge,
                # guardduty, config, securityhub, cspm...).
                "first_path": paths.mode().iloc[0] if len(paths) else None,
                **outcome_fractions(group["outcome"]),
            }
        )
    columns = [
        "tactic",
        "attack_id",
        "technique",
        "architecture",
        "outcome",
        "trials",
        "remediated",
        "detected",
        "detect_median_s",
        "first_path",
        "ran",
        *(f"{o}_fraction{s}" for o in FRACTIONS.values() for s in ("", "_ci_low", "_ci_high")),
    ]
    return pd.DataFrame(rows, columns=columns).sort_values(["tactic", "attack_id", "technique"])


def coverage_side_by_side(coverage: pd.DataFrame) -> pd.DataFrame:
    """``coverage_table`` with one row per technique and one column per architecture, each cell
    "outcome (median TTD s, first path)": the catalog's coverage at a glance (the README's table)."""
    cells: dict[tuple[str, str, str], dict[str, str]] = {}
    for row in coverage.to_dict("records"):
        when = row["detect_median_s"]
        detail = f" ({when:,.0f} s, {row['first_path']})" if pd.notna(when) else ""
        key = (row["tactic"], row["attack_id"], row["technique"])
        cells.setdefault(key, {})[row["architecture"]] = f"{row['outcome']}{detail}"
    rows = [
        {"tactic": tactic.split(" ", 1)[-1], "ATT&CK": attack_id, "technique": technique, **by_arch}
        for (tactic, attack_id, technique), by_arch in cells.items()
    ]
    return pd.DataFrame(rows).fillna("-")


def last_measured(results_dir: Path) -> dict[tuple[str, str], str]:
    """(technique, architecture) -> outcome in the newest run that measured it."""
    found: dict[tuple[str, str], str] = {}
    for run_dir in run_dirs(results_dir, requires=TRIALS):
        trials = read_trials_csv(run_dir / TRIALS)
        if trials.empty:
            continue
        for row in coverage_table(trials).to_dict("records"):
            found[(row["technique"], row["architecture"])] = row["outcome"]
    return found
