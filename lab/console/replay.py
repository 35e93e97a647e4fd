"""A finished run as the console replays it: its trials (``trials.csv``) and, per technique and
trial, the timeline of every architecture (``events.jsonl``), each event with the node it lights."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from lab.architectures.registry import arm_base
from lab.console.diagrams import annotate
from lab.experiment.results import is_sweep_run, read_manifest, read_trials_csv

# The monitoring instance's own polling (every cron call) is noise on a class's screen; the console
# can show it, the replay leaves it out unless asked.
NOISE = {"cloudtrail.not_recorded", "cron.run_skipped_no_change"}


class NotReplayable(ValueError):
    """The folder is not a finished run the console can replay."""


@dataclass
class ReplayRun:
    run_dir: Path
    manifest: dict[str, Any]
    trials: pd.DataFrame
    _events: dict[tuple[str, int], list[dict[str, Any]]] = field(repr=False)

    @classmethod
    def load(cls, run_dir: Path) -> ReplayRun:
        """Read a run folder (``lab run``'s output); a sweep's points are replayed one by one."""
        run_dir = Path(run_dir)
        if not (run_dir / "manifest.json").is_file():
            raise NotReplayable(f"{run_dir} is not a run folder (no manifest.json)")
        if is_sweep_run(run_dir):
            raise NotReplayable(
                f"{run_dir} is a sweep: replay one of its points ({run_dir}/points/<id>)"
            )
        for name in ("trials.csv", "events.jsonl"):
            if not (run_dir / name).is_file():
                raise NotReplayable(f"{run_dir} has no {name}: the run wrote no trial yet")
        events: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
        with (run_dir / "events.jsonl").open() as handle:
            for line in handle:
                if not line.strip():
                    continue
                event = json.loads(line)
                if "technique" in event and "trial" in event:
                    events[(event["technique"], int(event["trial"]))].append(annotate(event))
        return cls(run_dir, read_manifest(run_dir), read_trials_csv(run_dir / "trials.csv"), events)

    def trial_list(self) -> list[dict[str, Any]]:
        """One entry per (technique, trial), with each architecture's outcome and times."""
        out: dict[tuple[str, int], dict[str, Any]] = {}
        for row in self.trials.to_dict("records"):
            key = (row["technique"], int(row["trial"]))
            entry = out.setdefault(key, {"technique": key[0], "trial": key[1], "arms": {}})
            entry["arms"][row["architecture"]] = {
                "outcome": row["outcome"],
                "time_to_detect_s": _number(row["time_to_detect_s"]),
                "time_to_alert_s": _number(row["time_to_alert_s"]),
                "time_to_remediate_s": _number(row["time_to_remediate_s"]),
                "detection_source": _text(row["detection_source"]),
                "remediated_by": _text(row["remediated_by"]),
            }
        return list(out.values())

    def timeline(self, technique: str, trial: int, noise: bool = False) -> list[dict[str, Any]]:
        """Every architecture's events of one trial in time order (ties in file order)."""
        events = self._events.get((technique, trial))
        if events is None:
            raise KeyError(f"no events for {technique} trial {trial} in {self.run_dir}")
        chosen = [e for e in events if noise or e["kind"] not in NOISE]
        return sorted(chosen, key=lambda e: e["t_s"])

    def arms(self) -> dict[str, str]:
        """Each arm of the run and the architecture it deploys (whose diagram it gets)."""
        options = self.manifest.get("scenario", {}).get("architectures") or {}
        arms = sorted(self.trials["architecture"].unique())
        return {arm: arm_base(arm, options.get(arm)) for arm in arms}


def _number(value: Any) -> float | None:
    return None if pd.isna(value) else float(value)


def _text(value: Any) -> str | None:
    return None if pd.isna(value) else str(value)
