"""False alarms as a rate and a cost: a benign workload's trials (each one occurrence of a benign
action) scaled to a day by how often a company does each action (its ``rate_per_day``).

Per action and arm, each column is the action's share: false alerts per day (alerts that reached
the person, per occurrence, times the rate), pages per night (alerts the person read outside office
hours, ``lab.report.person``), person-hours per week on them, and legitimate changes broken per
week; the ``all`` row of an arm adds its actions. Every arm is read by the same rule.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from lab.report.person import per_trial


def table(trials: pd.DataFrame, person: pd.DataFrame, rates: Mapping[str, float]) -> pd.DataFrame:
    """One row per benign action and arm, and an ``all`` row per arm (see the module)."""
    data = per_trial(trials[trials["outcome"] != "failed"], person)
    rows = []
    for (action, architecture), group in data.groupby(["technique", "architecture"]):
        rate = float(rates[action])
        broken = group[group["outcome"] == "remediated"]
        rows.append(
            {
                "action": action,
                "architecture": architecture,
                "rate / day": rate,
                "trials": len(group),
                "false alert": int(group["time_to_detect_s"].notna().sum()),
                "work broken": len(broken),
                "broken by": ", ".join(sorted(set(broken["remediated_by"].dropna().astype(str))))
                or "-",
                "alerts / day": rate * group["alerts"].mean(),
                "pages / night": rate * group["read_out_of_hours"].mean(),
                "person-h / week": 7 * rate * group["work_s"].mean() / 3600,
                "broken / week": 7 * rate * len(broken) / len(group),
            }
        )
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    totals = []
    for architecture, group in frame.groupby("architecture"):
        totals.append(
            {
                "action": "all",
                "architecture": architecture,
                "rate / day": group["rate / day"].sum(),
                "trials": group["trials"].sum(),
                "false alert": group["false alert"].sum(),
                "work broken": group["work broken"].sum(),
                "broken by": "",
                **{c: group[c].sum() for c in RATES},
            }
        )
    return pd.concat([frame, pd.DataFrame(totals)], ignore_index=True)


RATES = ("alerts / day", "pages / night", "person-h / week", "broken / week")
