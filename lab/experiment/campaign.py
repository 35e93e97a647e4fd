"""What ``lab run`` does between reading the scenario and printing the summary: every input
checked before anything is written (scenario, calibration, staffing profile, each sweep point),
then one run or a sweep of runs on the given target."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab.experiment.plan import RunPlan, plan_run
from lab.experiment.runner import Progress, run_plan
from lab.experiment.scenario import Scenario, ScenarioError, load_scenario
from lab.experiment.sweep import Point, points, run_sweep
from lab.experiment.target import Target
from lab.sim.calibration import CalibrationError


@dataclass(frozen=True)
class Campaign:
    """A checked run plan (and, for a sweep, its points)."""

    plan: RunPlan
    points: list[Point] = field(default_factory=list)

    @property
    def scenario(self) -> Scenario:
        return self.plan.scenario

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
    """Load and check everything a run needs, into its plan (the calibration chosen by the one
    rule, ``lab.experiment.plan``); ``ScenarioError`` (one clear message) otherwise."""
    scenario = load_scenario(scenario_file)
    updates = {k: v for k, v in (("operator", operator), ("target", target)) if v is not None}
    try:
        plan = plan_run(scenario.model_copy(update=updates) if updates else scenario, calibration)
        if operator is not None:
            plan.calibration.operator(operator)
    except CalibrationError as exc:
        raise ScenarioError(str(exc)) from exc
    except KeyError as exc:
        raise ScenarioError(str(exc.args[0])) from exc
    scenario = plan.scenario
    problem = scenario.person_problem(plan.calibration)
    if problem and not scenario.is_sweep:  # a sweep's points are checked one by one
        raise ScenarioError(problem)
    if scenario.is_sweep and scenario.target == "aws":
        raise ScenarioError(
            "sweeps run on the emulator only; give --target aws a scenario without sweep/repeat"
        )
    found = points(scenario, plan.calibration) if scenario.is_sweep else []
    return Campaign(plan, found)


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
        return run_sweep(campaign.plan, run_dir, target, progress, jobs=jobs, cluster=cluster)
    return run_plan(campaign.plan, run_dir, progress, jobs=jobs, target=target, cluster=cluster)
