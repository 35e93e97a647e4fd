"""Detection paths: every path that saw a trial's technique (fast CloudTrail rule, alarm, GuardDuty,
Config, Security Hub, cron), and how long after injection each saw it first. ``trials.csv`` keeps
only the first path of a trial; ``events.jsonl`` keeps them all."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

KEYS = ["technique", "architecture", "trial"]


def path_of(source: str) -> str:
    """A detection source's path: ``eventbridge:lab-sg-ingress-opened`` -> ``eventbridge``."""
    return source.split(":", 1)[0]


def first_detections(run_dir: Path) -> pd.DataFrame:
    """One row per trial and detection source: seconds from injection to its first detection.
    For a sweep, every point's, with its ``sweep.*`` columns."""
    from lab.experiment.sweep import SWEEP_COLUMN_PREFIX, is_sweep_run, point_dirs, point_values

    if is_sweep_run(run_dir):
        frames = []
        for directory in point_dirs(run_dir):
            frame = _first_detections(directory)
            for key, value in point_values(run_dir, directory.name).items():
                frame[f"{SWEEP_COLUMN_PREFIX}{key}"] = value
            frames.append(frame)
        return pd.concat(frames, ignore_index=True) if frames else _first_detections(run_dir)
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
    from lab.report.statistics import group_keys

    firsts = first_detections(run_dir)
    if firsts.empty:
        return pd.DataFrame(columns=["architecture", "path", "trials", "median_s", "p90_s"])
    sweep = group_keys(firsts)
    per_trial = firsts.groupby([*sweep, *KEYS, "path"], as_index=False)["seconds"].min()
    table = per_trial.groupby([*sweep, "architecture", "path"])["seconds"].agg(
        trials="count", median_s="median", p90_s=lambda s: s.quantile(0.9)
    )
    return table.reset_index().sort_values([*sweep, "architecture", "median_s"])
