"""The run plan: what a run is made of, decided once before anything runs (the scenario, the
calibration as text, digest and object, the seed, the lock's digest), and the work unit a worker
gets (the plan, the target, one architecture's share of the trials). Below the plan nothing reads
the scenario or the calibration from a file again: workers, processes and Dask workers receive the
plan itself."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lab.experiment.scenario import Scenario
from lab.experiment.target import Target
from lab.lock import lock_state
from lab.sim.calibration import DEFAULT_CALIBRATION, Calibration, CalibrationError

Pending = tuple[tuple[str, int], ...]  # (technique, trial)


def calibration_path(override: Path | str | None = None, scenario: Scenario | None = None) -> Path:
    """The one rule for a run's calibration: the option, else the scenario's, else the lab's."""
    chosen = override or (scenario.calibration if scenario is not None else None)
    return Path(chosen or DEFAULT_CALIBRATION)


def load_calibration(
    override: Path | str | None = None, scenario: Scenario | None = None
) -> Calibration:
    """The calibration the one rule chooses, read and checked (one ``CalibrationError``)."""
    return Calibration.load(calibration_path(override, scenario))


def lock_digest() -> str:
    """The lock's digest as this interpreter sees it (``+differs``: the installed set departs)."""
    lock = lock_state()
    return f"{lock.sha256}{'+differs' if lock.differs else ''}"


@dataclass(frozen=True)
class RunPlan:
    """One run's inputs, frozen (picklable: it travels to worker processes and Dask workers)."""

    scenario: Scenario
    calibration_text: str
    calibration_source: Path  # where the text was read (the manifest records it)
    calibration: Calibration = field(compare=False)
    calibration_digest: str
    lock_digest: str

    @property
    def seed(self) -> int:
        return self.scenario.seed

    @classmethod
    def from_text(
        cls, scenario: Scenario, text: str, source: Path, lock: str | None = None
    ) -> RunPlan:
        """The plan of ``scenario`` with the calibration ``text`` (read from ``source``)."""
        calibration = Calibration.parse(text, source)
        return cls(
            scenario,
            text,
            Path(source),
            calibration,
            calibration.digest,
            lock_digest() if lock is None else lock,
        )

    def with_calibration(self, scenario: Scenario, text: str, source: Path) -> RunPlan:
        """A plan of the same lock for another scenario and calibration (a sweep's point)."""
        return RunPlan.from_text(scenario, text, source, self.lock_digest)


def plan_run(scenario: Scenario, calibration: Path | str | None = None) -> RunPlan:
    """The plan of ``scenario``: its calibration chosen by the one rule and read once."""
    path = calibration_path(calibration, scenario)
    if not path.is_file():
        raise CalibrationError(f"calibration file not found: {path}")
    return RunPlan.from_text(scenario, path.read_text(), path)


@dataclass(frozen=True)
class WorkUnit:
    """What one worker runs: an architecture's share of the plan's trials on ``target``
    (picklable: shipped to a process or a Dask worker as it is)."""

    plan: RunPlan
    target: Target
    run_dir: Path
    architecture: str
    worker: str  # names the worker in its messages (the architecture, or ``manual-2``)
    pending: Pending

    @property
    def run_id(self) -> str:
        return self.run_dir.name

    def moved(self, run_dir: Path) -> WorkUnit:
        """The same unit writing its scratch files under another ``run_dir`` of the same name."""
        return replace(self, run_dir=run_dir)

    def with_pending(self, pending: Pending) -> WorkUnit:
        return replace(self, pending=tuple(pending))


def recorded_calibration(manifest: dict[str, Any]) -> Calibration:
    """The calibration a finished run's manifest names, where that file still is (a run made on
    another machine names a path of that machine's), else the lab's."""
    recorded = Path(manifest.get("calibration_path") or "")
    return load_calibration(recorded if recorded.is_file() else None)
