"""Detection paths: every path that saw a trial's technique (fast CloudTrail rule, alarm, GuardDuty,
Config, Security Hub, cron), and how long after injection each saw it first. ``trials.csv`` keeps
only the first path of a trial; ``events.jsonl`` keeps them all."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from lab.experiment.results import per_point
from lab.report.bootstrap import cluster_bootstrap_ci
from lab.report.statistics import group_keys

KEYS = ["technique", "architecture", "trial"]


def path_of(source: str) -> str:
    """A detection source's path: ``eventbridge:lab-sg-ingress-opened`` -> ``eventbridge``."""
    return source.split(":", 1)[0]


def first_detections(run_dir: Path) -> pd.DataFrame:
    """One row per trial and detection source: seconds from injection to its first detection.
    For a sweep, every point's, with its ``sweep.*`` columns."""
    try:
        return per_point(run_dir, _first_detections)
    except FileNotFoundError:  # a sweep without a finished point yet
        return _first_detections(run_dir)


def _first_detections(run_dir: Path) -> pd.DataFrame:
    if not (run_dir / "events.jsonl").exists():
        return pd.DataFrame(columns=[*KEYS, "source", "path", "seconds"])
    injected: dict[tuple, float] = {}
    rows: dict[tuple, dict] = {}
    with (run_dir / "events.jsonl").open() as handle:
        for line in handle:
            event = json.loads(line)
            key = tuple(event.get(k) for k in KEYS)
            if event["kind"] == "technique.detonated":
                injected[key] = event["t_s"]
            elif event.get("detection") and key in injected:
                source = event["source"]
                if (key, source) not in rows:
                    rows[(key, source)] = {
                        **dict(zip(KEYS, key, strict=True)),
                        "source": source,
                        "path": path_of(source),
                        "seconds": round(event["t_s"] - injected[key], 3),
                    }
    return pd.DataFrame(list(rows.values()), columns=[*KEYS, "source", "path", "seconds"])


def path_table(run_dir: Path) -> pd.DataFrame:
    """Per architecture and path: trials it detected in, the techniques they span, and the median
    (with its 95 % cluster-bootstrap CI: a path's trials pool unlike techniques, so techniques are
    resampled, not trials) and p90 seconds to it, over the trials it detected."""
    columns = [
        "architecture",
        "path",
        "trials",
        "techniques",
        "median_s",
        "median_ci_low_s",
        "median_ci_high_s",
        "p90_s",
    ]
    firsts = first_detections(run_dir)
    if firsts.empty:
        return pd.DataFrame(columns=columns)
    sweep = group_keys(firsts)
    per_trial = firsts.groupby([*sweep, *KEYS, "path"], as_index=False)["seconds"].min()
    rows = []
    for labels, cell in per_trial.groupby([*sweep, "architecture", "path"], sort=True):
        seconds = cell["seconds"].to_numpy(float)
        low, high = cluster_bootstrap_ci(seconds, cell["technique"].to_numpy(), np.median)
        rows.append(
            {
                **dict(zip([*sweep, "architecture", "path"], labels, strict=True)),
                "trials": len(cell),
                "techniques": cell["technique"].nunique(),
                "median_s": float(np.median(seconds)),
                "median_ci_low_s": low,
                "median_ci_high_s": high,
                "p90_s": float(cell["seconds"].quantile(0.9)),
            }
        )
    return pd.DataFrame(rows).sort_values([*sweep, "architecture", "median_s"])
