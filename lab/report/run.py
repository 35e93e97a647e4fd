"""A finished (or partial) run as the notebooks and the report see it: manifest, trials, events and
cost usage, for an ordinary run and for a sweep alike."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from lab.paths import RESULTS_DIR


class RunNotFound(FileNotFoundError):
    """No run directory where one was expected."""


def latest_run(results_dir: Path = RESULTS_DIR, scenario: str | None = None) -> Path:
    """The newest run directory (by its manifest's time) under ``results_dir``, optionally of one
    scenario."""
    pattern = f"{scenario or '*'}/*/manifest.json"
    found = sorted(Path(results_dir).glob(pattern), key=lambda p: p.stat().st_mtime)
    if not found:
        raise RunNotFound(
            f"no run under {results_dir}{f' for scenario {scenario}' if scenario else ''} "
            "(run `make demo` or `lab run SCENARIO` first)"
        )
    return found[-1].parent


@dataclass
class Run:
    """One run directory, loaded."""

    run_dir: Path
    manifest: dict[str, Any] = field(repr=False)
    trials: pd.DataFrame = field(repr=False)

    @property
    def is_sweep(self) -> bool:
        return self.manifest.get("kind") == "sweep"

    @property
    def sweep_columns(self) -> list[str]:
        from lab.experiment.sweep import sweep_columns

        return sweep_columns(self.trials)

    @property
    def usage_dir(self) -> Path:
        """Where this run's ``usage.json`` is (a sweep's first point with one)."""
        if (self.run_dir / "usage.json").exists():
            return self.run_dir
        for candidate in sorted(self.run_dir.glob("points/*/usage.json")):
            return candidate.parent
        raise RunNotFound(f"no usage.json in {self.run_dir} (the run has not finished a point)")

    def figures_dir(self) -> Path:
        return self.run_dir / "figures"


def load_run(run_dir: Path | str | None = None) -> Run:
    """Load ``run_dir`` (default: the newest run under ``results/``)."""
    from lab.report.summary import load_trials

    directory = Path(run_dir) if run_dir else latest_run()
    manifest_path = directory / "manifest.json"
    if not manifest_path.exists():
        raise RunNotFound(f"{directory} is not a run directory (no manifest.json)")
    return Run(directory, json.loads(manifest_path.read_text()), load_trials(directory))
