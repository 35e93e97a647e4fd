"""Results that survive a crash: one CSV row per trial, appended and flushed at once.

``events.jsonl`` holds the timeline; a trial's events are written before its row, and on resume the
events of trials without a row are dropped, so nothing is lost or duplicated.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

TRIAL_COLUMNS = [
    "technique",
    "architecture",
    "trial",
    "seed",
    "outcome",
    "injected_at",
    "detected_at",
    "alerted_at",
    "remediated_at",
    "time_to_detect_s",
    "time_to_alert_s",
    "time_to_remediate_s",
    "detection_source",
    "remediated_by",
    "error",
]
TrialKey = tuple[str, str, int]


class TrialStore:
    """``trials.csv`` and ``events.jsonl`` of one run directory."""

    def __init__(self, run_dir: Path):
        self.run_dir = run_dir
        self.trials_path = run_dir / "trials.csv"
        self.events_path = run_dir / "events.jsonl"

    def completed(self) -> set[TrialKey]:
        if not self.trials_path.exists():
            return set()
        with self.trials_path.open(newline="") as handle:
            return {
                (r["technique"], r["architecture"], int(r["trial"])) for r in csv.DictReader(handle)
            }

    def drop_orphan_events(self) -> None:
        """Keep only the events of trials that have a row (after a crash mid-trial)."""
        if not self.events_path.exists():
            return
        done = self.completed()
        kept = [
            line
            for line in self.events_path.read_text().splitlines()
            if line and _key(json.loads(line)) in done
        ]
        tmp = self.events_path.with_suffix(".jsonl.tmp")
        tmp.write_text("".join(f"{line}\n" for line in kept))
        tmp.replace(self.events_path)

    def append(self, row: dict[str, Any], events: Iterable[dict[str, Any]]) -> None:
        """Write one trial: its events, then its row; both flushed to disk."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        with self.events_path.open("a") as handle:
            for event in events:
                handle.write(json.dumps(event, sort_keys=True, default=str) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        new = not self.trials_path.exists()
        with self.trials_path.open("a", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=TRIAL_COLUMNS, extrasaction="raise")
            if new:
                writer.writeheader()
            writer.writerow({k: row.get(k) for k in TRIAL_COLUMNS})
            handle.flush()
            os.fsync(handle.fileno())

    def finalize(self, order: list[TrialKey]) -> None:
        """Rewrite both files in plan order (rows arrive interleaved when architectures run in
        parallel), so a complete run's files do not depend on scheduling."""
        rank = {key: i for i, key in enumerate(order)}
        if self.trials_path.exists():
            with self.trials_path.open(newline="") as handle:
                rows = list(csv.DictReader(handle))
            rows.sort(
                key=lambda r: rank.get(
                    (r["technique"], r["architecture"], int(r["trial"])), len(rank)
                )
            )
            tmp = self.trials_path.with_suffix(".csv.tmp")
            with tmp.open("w", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=TRIAL_COLUMNS)
                writer.writeheader()
                writer.writerows(rows)
            tmp.replace(self.trials_path)
        if self.events_path.exists():
            lines = [line for line in self.events_path.read_text().splitlines() if line]
            lines.sort(key=lambda line: rank.get(_key(json.loads(line)), len(rank)))  # stable
            tmp = self.events_path.with_suffix(".jsonl.tmp")
            tmp.write_text("".join(f"{line}\n" for line in lines))
            tmp.replace(self.events_path)


def _key(event: dict[str, Any]) -> TrialKey:
    return (event.get("technique", ""), event.get("architecture", ""), int(event.get("trial", -1)))
