"""What ``lab run`` does between reading the scenario and printing the summary: every input
checked before anything is written (scenario, calibration, staffing profile, each sweep point),
then one run or a sweep of runs on the given target."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab.experiment.runner import Progress, run_scenario
from lab.experiment.scenario import Scenario, ScenarioError, load_scenario
from lab.experiment.sweep import Point, run_sweep, validate
from lab.experiment.target import Target
from lab.sim.calibration import DEFAULT_CALIBRATION, Calibration, CalibrationError


def calibration_path(scenario: Scenario, override: Path | None = None) -> Path:
    """The one rule for a run's calibration: the option, else the scenario's, else the lab's."""
    return Path(override or scenario.calibration or DEFAULT_CALIBRATION)


@dataclass
class Campaign:
    """A checked scenario with its calibration (and, for a sweep, its points)."""

    scenario: Scenario
    calibration_path: Path
    points: list[Point] = field(default_factory=list)

    @property
    def description(self) -> str:
        s = self.scenario
        if not s.is_sweep:
            return ""
        return (
            f"sweep: {len(self.points)} points ({len(self.points) // s.repeat} combinations x "
            f"{s.repeat} repetitions), {len(s.techniques)} techniques, "
            f"{s.trials} trials per architecture each"
        )


def prepare(
    scenario_file: Path,
    calibration: Path | None = None,
    operator: str | None = None,
    target: str | None = None,
) -> Campaign:
    """Load and check everything a run needs; ``ScenarioError`` (one clear message) otherwise."""
    scenario = load_scenario(scenario_file)
    path = calibration_path(scenario, calibration)
    try:
        loaded = Calibration.load(path)
        if operator is not None:
            loaded.operator(operator)
    except CalibrationError as exc:
        raise ScenarioError(str(exc)) from exc
    except KeyError as exc:
        raise ScenarioError(str(exc.args[0])) from exc
    updates = {k: v for k, v in (("operator", operator), ("target", target)) if v is not None}
    if updates:
        scenario = scenario.model_copy(update=updates)
    problem = scenario.person_problem(loaded)
    if problem and not scenario.is_sweep:  # a sweep's points are checked one by one
        raise ScenarioError(problem)
    if scenario.is_sweep and scenario.target == "aws":
        raise ScenarioError(
            "sweeps run on the emulator only; give --target aws a scenario without sweep/repeat"
        )
    points = validate(scenario, path) if scenario.is_sweep else []
    return Campaign(scenario, path, points)


def run_campaign(
    campaign: Campaign,
    run_dir: Path,
    target: Target,
    progress: Progress | None = None,
    jobs: int | None = None,
    cluster: Any | None = None,
) -> Path:
    """Run (or resume) the campaign into ``run_dir`` on ``target`` (``cluster``: a Dask client
    whose workers run the units, see ``lab.experiment.cluster``)."""
    if campaign.scenario.is_sweep:
        return run_sweep(
            campaign.scenario,
            run_dir,
            campaign.calibration_path,
            target,
            progress,
            jobs=jobs,
            cluster=cluster,
        )
    return run_scenario(
        campaign.scenario,
        run_dir,
        campaign.calibration_path,
        progress,
        jobs=jobs,
        target=target,
        cluster=cluster,
    )
