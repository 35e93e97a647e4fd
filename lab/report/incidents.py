"""What one incident costs in each arm, per technique: the response's services (``lab.cost``), the
person's time (their work seconds in ``events.jsonl`` at the hourly rate) and the damage (the hours
the attack stayed in place times a cost per hour by the technique's severity, ``damage.yaml``).

Exposure runs from the attack until it is remediated, or until the trial's horizon when it never
was (censored: the Kaplan-Meier window of ``lab.report.survival``, never dropped), so a missed
incident costs at least the damage of a whole window, never nothing. A benign action does no
damage: its rows are false alarms, charged the person's time in every arm alike, and the
legitimate work a fix broke is counted (``work broken``), not priced: no figure prices a broken
build or share that would hold beyond one company.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from lab.attacks.registry import actions
from lab.cost.damage import Damage, damage
from lab.cost.report import incident_costs
from lab.cost.workloads import workloads
from lab.experiment.results import load_trials, per_point, read_manifest
from lab.report.person import COLUMNS, per_trial, run_person
from lab.report.survival import observation_window_s, survival_data


def exposures(trials: pd.DataFrame, scenario: dict[str, Any]) -> pd.DataFrame:
    """Trials that ran (failed ones measured nothing) with ``exposure_s``: the time to remediate,
    else the trial's window after the attack."""
    window = observation_window_s(trials, scenario)
    data = survival_data(trials, "time_to_remediate_s", window)
    return data.rename(columns={"duration_s": "exposure_s"})


def per_trial_costs(
    trials: pd.DataFrame,
    scenario: dict[str, Any],
    person: pd.DataFrame,
    hourly_rate_usd: float,
    rates: Damage,
    scale: float = 1.0,
) -> pd.DataFrame:
    """Every trial that ran with its exposure, the person's hours and cost, and the damage
    (``scale``: every damage figure multiplied)."""
    catalog = actions()
    data = per_trial(exposures(trials, scenario), person)
    kinds = data["technique"].map(lambda t: catalog[t].metadata.kind)
    severities = data["technique"].map(lambda t: catalog[t].metadata.severity)
    damage_usd = [
        0.0 if kind == "benign" else rates.usd(severity, exposure, scale)
        for kind, severity, exposure in zip(kinds, severities, data["exposure_s"], strict=True)
    ]
    return data.assign(
        kind=kinds,
        severity=severities,
        person_hours=data["work_s"] / 3600,
        person_usd=data["work_s"] / 3600 * hourly_rate_usd,
        damage_usd=damage_usd,
    )


def table(costs: pd.DataFrame, services: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per architecture and technique: trials by outcome, mean exposure, and the mean cost of one
    incident (services + person + damage); ``services`` from ``lab.cost.report.incident_costs``."""
    rows = []
    for (architecture, technique), group in costs.groupby(["architecture", "technique"]):
        outcomes = group["outcome"].value_counts()
        rows.append(
            {
                "architecture": architecture,
                "technique": technique,
                "kind": group["kind"].iloc[0],
                "severity": group["severity"].iloc[0],
                "trials": len(group),
                "remediated": int(outcomes.get("remediated", 0)),
                "detected only": int(outcomes.get("detected only", 0)),
                "missed": int(outcomes.get("missed", 0)),
                "exposure_hours": group["exposure_s"].mean() / 3600,
                "person_hours": group["person_hours"].mean(),
                "person_usd": group["person_usd"].mean(),
                "damage_usd": group["damage_usd"].mean(),
            }
        )
    frame = pd.DataFrame(rows)
    found = (
        services.set_index(["architecture", "technique"])["services_usd"]
        if services is not None and len(services)
        else pd.Series(dtype=float)
    )
    frame["services_usd"] = [
        float(found.get((a, t), 0.0))
        for a, t in zip(frame["architecture"], frame["technique"], strict=True)
    ]
    frame["total_usd"] = frame[["services_usd", "person_usd", "damage_usd"]].sum(axis=1)
    return frame


def run_table(
    run_dir: Path, region: str = "us-east-1", rate: float | None = None, scale: float = 1.0
) -> pd.DataFrame:
    """The per-incident table of a finished (ordinary) run."""
    manifest = read_manifest(run_dir)
    hourly = workloads().hourly_rate_usd if rate is None else rate
    costs = per_trial_costs(
        load_trials(run_dir),
        manifest.get("scenario", {}),
        run_person(run_dir),
        hourly,
        damage(),
        scale,
    )
    return table(costs, incident_costs(run_dir, region, hourly))


def sweep(costs: pd.DataFrame, rates: Damage, factors: list[float] | None = None) -> pd.DataFrame:
    """Per damage multiplier and architecture, over the attack techniques: the mean cost of one
    incident (person + damage; each technique weighs the same) and the damage's share of it."""
    attacks = costs[costs["kind"] == "attack"]
    rows = []
    for factor in factors or rates.sweep:
        damage_usd = attacks["damage_usd"] * factor
        scaled = attacks.assign(total=attacks["person_usd"] + damage_usd, damage=damage_usd)
        per_technique = scaled.groupby(["architecture", "technique"])[["total", "damage"]].mean()
        for architecture, group in per_technique.groupby(level="architecture"):
            rows.append(
                {
                    "damage_x": factor,
                    "architecture": architecture,
                    "cost_per_incident_usd": float(group["total"].mean()),
                    "damage_share": float(group["damage"].sum() / group["total"].sum())
                    if group["total"].sum()
                    else float("nan"),
                }
            )
    return pd.DataFrame(rows)


def cost_conclusions(frame: pd.DataFrame) -> list[str]:
    """Which architecture's incidents cost less at every damage multiplier, or where it flips."""
    if frame.empty or frame["architecture"].nunique() < 2:
        return []
    cheapest = frame.loc[frame.groupby("damage_x")["cost_per_incident_usd"].idxmin()]
    winners = cheapest.set_index("damage_x")["architecture"]
    factors = ", ".join(f"x{f:g}" for f in winners.index)
    if winners.nunique() == 1:
        return [
            f"{winners.iloc[0]} costs least per incident (person + damage) at every damage "
            f"multiplier swept ({factors}): holds."
        ]
    shown = "; ".join(f"x{f:g}: {a}" for f, a in winners.items())
    return [f"the architecture that costs least per incident depends on the damage: {shown}."]


def run_sweep(run_dir: Path, rate: float | None = None) -> pd.DataFrame:
    """The damage sweep of a run; of a sweep run, at its first (baseline) point."""
    hourly = workloads().hourly_rate_usd if rate is None else rate
    manifest = read_manifest(run_dir)
    trials = load_trials(run_dir)
    person = per_point(run_dir, run_person)
    if "point" in trials.columns:
        baseline = manifest["points"][0]["id"]
        trials = trials[trials["point"] == baseline].drop(columns=["point"])
        person = person.loc[person["point"] == baseline, COLUMNS]
        manifest = read_manifest(Path(run_dir) / "points" / baseline)
    costs = per_trial_costs(trials, manifest.get("scenario", {}), person, hourly, damage())
    return sweep(costs, damage())
