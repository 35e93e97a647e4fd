"""The owner of the results folder: where a run goes, its manifest, which run is the newest, and how
its trials are loaded (an ordinary run and a sweep alike). Nothing else globs ``results/``.

Layout of one run (``results/<scenario>/<run-id>/``): ``manifest.json``, ``trials.csv`` and
``events.jsonl`` (``lab.experiment.store``), ``usage.json``, ``cost.csv``, ``figures/``,
``report.md`` / ``report.html``; a sweep keeps one such run per point under ``points/<point-id>/``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from lab.experiment.manifest import git_commit, versions, write_manifest
from lab.experiment.store import TRIAL_COLUMNS
from lab.paths import RESULTS_DIR

MANIFEST = "manifest.json"
TRIALS = "trials.csv"
USAGE = "usage.json"
POINTS_DIR = "points"
SWEEP_COLUMN_PREFIX = "sweep."


class RunNotFound(FileNotFoundError):
    """No run directory where one was expected."""


class ResumeMismatch(ValueError):
    """The run directory holds a run of another scenario or calibration."""


def new_run_dir(results_dir: Path, scenario: Any) -> Path:
    """A new run's directory: ``results_dir/<scenario>/<UTC time>-<scenario digest>``."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(results_dir) / scenario.name / f"{stamp}-{scenario.digest[:8]}"


def read_manifest(run_dir: Path) -> dict[str, Any]:
    """The run's manifest; ``RunNotFound`` if ``run_dir`` is not a run directory."""
    path = Path(run_dir) / MANIFEST
    if not path.exists():
        raise RunNotFound(f"{run_dir} is not a run directory (no {MANIFEST})")
    return json.loads(path.read_text())


def start_manifest(
    run_dir: Path, scenario: Any, calibration_path: Path, calibration: Any, **extra: Any
) -> Path:
    """Check that ``run_dir`` is new or holds this scenario with this calibration (before anything
    in it is touched), then write its manifest with status ``running``; return the manifest path."""
    manifest_path = Path(run_dir) / MANIFEST
    previous = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    if previous.get("scenario_sha256") not in (None, scenario.digest):
        raise ResumeMismatch(
            f"{run_dir} holds a run of a different scenario; resume it with that scenario"
        )
    if previous.get("calibration_sha256") not in (None, calibration.digest):
        raise ResumeMismatch(f"{run_dir} was run with a different calibration")
    Path(run_dir).mkdir(parents=True, exist_ok=True)
    write_manifest(
        manifest_path,
        {
            "run_id": Path(run_dir).name,
            "scenario": scenario.model_dump(mode="json"),
            "scenario_sha256": scenario.digest,
            "seed": scenario.seed,
            "calibration_path": str(calibration_path),
            "calibration_sha256": calibration.digest,
            "target": scenario.target,
            "versions": versions(),
            "git": git_commit(),
            "status": "running",
            "started_at": previous.get("started_at") or now_iso(),
            **extra,
        },
    )
    return manifest_path


def finish_manifest(run_dir: Path, status: str, **extra: Any) -> None:
    """Close the manifest: final ``status`` and ``finished_at`` (and ``extra`` fields)."""
    write_manifest(Path(run_dir) / MANIFEST, {"status": status, "finished_at": now_iso(), **extra})


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# -- finding runs ---------------------------------------------------------------------------------
def run_dirs(
    results_dir: Path = RESULTS_DIR, scenario: str | None = None, requires: str = MANIFEST
) -> list[Path]:
    """The run directories under ``results_dir`` (optionally of one scenario) holding ``requires``,
    oldest first. The one rule for "newest": the manifest's ``started_at``, then the run id (which
    starts with the same time), never a file's modification time (a report rewrites files)."""
    found = []
    for manifest_path in Path(results_dir).glob(f"{scenario or '*'}/*/{MANIFEST}"):
        directory = manifest_path.parent
        if requires != MANIFEST and not (directory / requires).exists():
            continue
        try:
            started = json.loads(manifest_path.read_text()).get("started_at") or ""
        except ValueError:  # a manifest being written: not a run to pick
            continue
        found.append((started, directory.name, directory))
    return [directory for *_, directory in sorted(found)]


def latest_run(
    results_dir: Path = RESULTS_DIR, scenario: str | None = None, requires: str = MANIFEST
) -> Path:
    """The newest run directory under ``results_dir`` (see ``run_dirs``)."""
    found = run_dirs(results_dir, scenario, requires)
    if not found:
        what = "run" if requires == MANIFEST else f"run with {requires}"
        raise RunNotFound(
            f"no {what} under {results_dir}{f' for scenario {scenario}' if scenario else ''} "
            "(run `make demo` or `lab run SCENARIO` first)"
        )
    return found[-1]


def trial_count(run_dir: Path) -> int:
    """Trials written so far (a sweep: over every point)."""
    paths = [Path(run_dir) / TRIALS, *Path(run_dir).glob(f"{POINTS_DIR}/*/{TRIALS}")]
    return sum(max(len(p.read_text().splitlines()) - 1, 0) for p in paths if p.exists())


def has_trials(run_dir: Path) -> bool:
    return (Path(run_dir) / TRIALS).exists() or any(Path(run_dir).glob(f"{POINTS_DIR}/*/{TRIALS}"))


# -- sweeps ---------------------------------------------------------------------------------------
def is_sweep_run(run_dir: Path) -> bool:
    """True when ``run_dir`` holds a sweep (its points under ``points/``)."""
    manifest = Path(run_dir) / MANIFEST
    return manifest.exists() and json.loads(manifest.read_text()).get("kind") == "sweep"


def point_dirs(run_dir: Path) -> list[Path]:
    """The run directories of a sweep's points that have results, in point order."""
    return sorted(p.parent for p in (Path(run_dir) / POINTS_DIR).glob(f"*/{TRIALS}"))


def point_values(run_dir: Path, point_id: str) -> dict[str, Any]:
    """The swept values of one point of a sweep run, from its manifest."""
    return next(p["values"] for p in read_manifest(run_dir)["points"] if p["id"] == point_id)


def sweep_columns(trials: pd.DataFrame) -> list[str]:
    """The ``sweep.<key>`` columns of a trials DataFrame (none for an ordinary run)."""
    return [c for c in trials.columns if c.startswith(SWEEP_COLUMN_PREFIX)]


def short_name(key: str) -> str:
    """``architectures.serverless.guardduty_finding_publishing_frequency`` ->
    ``guardduty_finding_publishing_frequency``; ``calibration.stages.x_s.median`` -> ``x_s.median``."""
    parts = key.split(".")
    if parts[0] == "calibration":
        return ".".join(parts[2:])
    return parts[-1]


def per_point(run_dir: Path, load: Any) -> pd.DataFrame:
    """``load(directory)`` of an ordinary run; of a sweep, every point's concatenated, with
    ``point``, ``repeat`` and one ``sweep.<key>`` column per swept parameter."""
    if not is_sweep_run(run_dir):
        return load(Path(run_dir))
    by_id = {p["id"]: p for p in read_manifest(run_dir)["points"]}
    frames = []
    for directory in point_dirs(run_dir):
        point = by_id[directory.name]
        frame = load(directory)
        frame.insert(0, "point", point["id"])
        frame.insert(1, "repeat", point["repeat"])
        for key, value in point["values"].items():
            frame[f"{SWEEP_COLUMN_PREFIX}{key}"] = value
        frames.append(frame)
    if not frames:
        raise FileNotFoundError(f"no point of {run_dir} has trials yet")
    return pd.concat(frames, ignore_index=True)


# -- loading --------------------------------------------------------------------------------------
def read_trials_csv(path: Path) -> pd.DataFrame:
    """One ``trials.csv`` as a DataFrame."""
    return pd.read_csv(path, usecols=TRIAL_COLUMNS)


def _trials_of(directory: Path) -> pd.DataFrame:
    path = directory / TRIALS
    if not path.exists():
        raise FileNotFoundError(f"no {TRIALS} in {directory}")
    return read_trials_csv(path)


def load_trials(run_dir: Path) -> pd.DataFrame:
    """The trials of a run as a DataFrame; for a sweep, every point's (see ``per_point``)."""
    return per_point(run_dir, _trials_of)


@dataclass
class Run:
    """One run directory, loaded (what the notebooks and the report read)."""

    run_dir: Path
    manifest: dict[str, Any] = field(repr=False)
    trials: pd.DataFrame = field(repr=False)

    @property
    def is_sweep(self) -> bool:
        return self.manifest.get("kind") == "sweep"

    @property
    def sweep_columns(self) -> list[str]:
        return sweep_columns(self.trials)

    @property
    def usage_dir(self) -> Path:
        """Where this run's ``usage.json`` is (a sweep's first point with one)."""
        if (self.run_dir / USAGE).exists():
            return self.run_dir
        for candidate in sorted(self.run_dir.glob(f"{POINTS_DIR}/*/{USAGE}")):
            return candidate.parent
        raise RunNotFound(f"no {USAGE} in {self.run_dir} (the run has not finished a point)")

    def figures_dir(self) -> Path:
        return self.run_dir / "figures"


def load_run(run_dir: Path | str | None = None, results_dir: Path = RESULTS_DIR) -> Run:
    """Load ``run_dir`` (default: the newest run under ``results_dir``)."""
    directory = Path(run_dir) if run_dir else latest_run(results_dir)
    return Run(directory, read_manifest(directory), load_trials(directory))


def run_summaries(results_dir: Path = RESULTS_DIR) -> list[dict[str, Any]]:
    """One line per run under ``results_dir`` (``lab runs``), in path order."""
    rows = []
    for manifest_path in sorted(Path(results_dir).glob(f"*/*/{MANIFEST}")):
        manifest = json.loads(manifest_path.read_text())
        rows.append(
            {
                "scenario": manifest.get("scenario", {}).get("name", "?"),
                "run": manifest_path.parent.name,
                "kind": f"sweep of {len(manifest['points'])}"
                if manifest.get("kind") == "sweep"
                else "run",
                "status": manifest.get("status", "?"),
                "target": str(manifest.get("target")),
                "seed": str(manifest.get("seed")),
                "trials": str(trial_count(manifest_path.parent)),
                "started": str(manifest.get("started_at")),
                "commit": ((manifest.get("git") or {}).get("commit") or "")[:10],
            }
        )
    return rows
