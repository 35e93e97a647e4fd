"""Detection paths: every path that saw a trial's technique (fast CloudTrail rule, alarm, GuardDuty,
Config, Security Hub, cron), and how long after injection each saw it first. ``trials.csv`` keeps
only the first path of a trial; ``events.jsonl`` keeps them all."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from lab.experiment.results import per_point
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
    """Per architecture and path: trials it detected in, and the median / p90 seconds to it."""
    firsts = first_detections(run_dir)
    if firsts.empty:
        return pd.DataFrame(columns=["architecture", "path", "trials", "median_s", "p90_s"])
    sweep = group_keys(firsts)
    per_trial = firsts.groupby([*sweep, *KEYS, "path"], as_index=False)["seconds"].min()
    table = per_trial.groupby([*sweep, "architecture", "path"])["seconds"].agg(
        trials="count", median_s="median", p90_s=lambda s: s.quantile(0.9)
    )
    return table.reset_index().sort_values([*sweep, "architecture", "median_s"])
