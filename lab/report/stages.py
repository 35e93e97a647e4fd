"""Where each architecture spends its time: per trial, the moments the attack passed each stage of
its path (read from the timeline, ``events.jsonl``), and per technique x architecture the median
seconds from injection to each, with its 95 % bootstrap CI. The stage waterfall figure draws them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from lab.experiment.results import per_point
from lab.report.statistics import groups, median_ci

KEYS = ["technique", "architecture", "trial"]
# Stage -> the timeline events that mark it (the first one after the injection, not background).
STAGES: dict[str, tuple[str, ...]] = {
    # The first log the account delivered about it (a CloudTrail record to EventBridge, a log line
    # or flow record ingested, a cron poll): GuardDuty reads its own feeds, so it can detect before
    # a flow log file lands; the figure shows that order as it is.
    "first log delivered": (
        "cloudtrail.delivered_to_eventbridge",
        "logs.ingested",
        "flow_logs.delivered",
        "cron.ran",
    ),
    "detected": (),  # any event with detection: true
    "alert delivered": (),  # any event with alert: true
    "response started": (
        "lambda.invoked",
        "ssm.automation_started",
        "operator.read_alert",
    ),
    "remediated": ("technique.remediated",),
}


def stage_times(run_dir: Path) -> pd.DataFrame:
    """One row per trial: seconds from injection to each stage (NaN: never reached)."""
    try:
        return per_point(run_dir, _stage_times)
    except FileNotFoundError:
        return _stage_times(Path(run_dir))


def _stage_times(run_dir: Path) -> pd.DataFrame:
    path = Path(run_dir) / "events.jsonl"
    columns = [*KEYS, *STAGES]
    if not path.exists():
        return pd.DataFrame(columns=columns)
    injected: dict[tuple, float] = {}
    found: dict[tuple, dict[str, float]] = {}
    with path.open() as handle:
        for line in handle:
            event = json.loads(line)
            key = tuple(event.get(k) for k in KEYS)
            if event["kind"] == "technique.detonated":
                injected[key] = event["t_s"]
                found[key] = {}
                continue
            if key not in injected or event.get("background"):
                continue
            seen = found[key]
            for stage, kinds in STAGES.items():
                if stage in seen:
                    continue
                hit = (
                    bool(event.get("detection"))
                    if stage == "detected"
                    else bool(event.get("alert"))
                    if stage == "alert delivered"
                    else event["kind"] in kinds
                )
                if hit:
                    seen[stage] = round(event["t_s"] - injected[key], 3)
    rows = [{**dict(zip(KEYS, key, strict=True)), **found[key]} for key in found]
    return pd.DataFrame(rows, columns=columns)


def stage_table(times: pd.DataFrame) -> pd.DataFrame:
    """Per technique x architecture (x sweep point) and stage: trials that reached it, the median
    seconds from injection with its 95 % bootstrap CI."""
    rows = []
    for labels, group in groups(times, "technique", "architecture"):
        for stage in STAGES:
            reached = group[stage].dropna().to_numpy(dtype=float)
            low, high = median_ci(reached)
            rows.append(
                {
                    **labels,
                    "stage": stage,
                    "reached": len(reached),
                    "trials": len(group),
                    "median_s": float(np.median(reached)) if len(reached) else np.nan,
                    "ci_low_s": low,
                    "ci_high_s": high,
                }
            )
    return pd.DataFrame(rows)
