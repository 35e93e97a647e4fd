"""The run plan: the calibration chosen by one rule and read once, a plan and a work unit that
travel whole to a worker, and a run that reads no file below its plan."""

import dataclasses
import json
import pickle
import shutil
from pathlib import Path

import pytest
import yaml

from lab.experiment.campaign import prepare, run_campaign
from lab.experiment.plan import RunPlan, WorkUnit, calibration_path, plan_run
from lab.experiment.scenario import ScenarioError, load_scenario
from lab.sim.calibration import DEFAULT_CALIBRATION, Calibration
from lab.targets.emulated import EmulatedTarget

SCENARIO = {
    "name": "plan",
    "seed": 3,
    "trials": 1,
    "techniques": ["ec2-sg-open-ssh"],
    "architectures": {"manual": {"detectors": ["cron"]}},
    "injection": "fixed",
    "max_trial_s": 7200,
}


def _scenario(tmp_path: Path, **fields) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump({**SCENARIO, **fields}))
    return path


def _calibration(tmp_path: Path, name: str, median: float) -> Path:
    raw = yaml.safe_load(DEFAULT_CALIBRATION.read_text())
    raw["stages"]["sns_email_delivery_s"]["median"] = median
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw))
    return path


def test_the_option_wins_then_the_scenarios_calibration_then_the_labs(tmp_path):
    own = _calibration(tmp_path, "own.yaml", 7)
    option = _calibration(tmp_path, "option.yaml", 8)
    with_own = load_scenario(_scenario(tmp_path, calibration=str(own)))
    plain = load_scenario(_scenario(tmp_path))
    assert calibration_path(option, with_own) == option
    assert calibration_path(None, with_own) == own
    assert calibration_path(None, plain) == DEFAULT_CALIBRATION
    plan = plan_run(with_own)
    assert plan.calibration_source == own
    assert plan.calibration_text == own.read_text()
    assert plan.calibration_digest == Calibration.load(own).digest
    assert plan.calibration.stage("sns_email_delivery_s").median == 7
    assert plan_run(with_own, option).calibration.stage("sns_email_delivery_s").median == 8


def test_a_missing_or_broken_calibration_is_one_scenario_error(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: [")
    scenario = _scenario(tmp_path)
    with pytest.raises(ScenarioError, match="not valid YAML"):
        prepare(scenario, broken)
    with pytest.raises(ScenarioError, match="not found"):
        prepare(scenario, tmp_path / "absent.yaml")


def test_a_plan_and_its_work_unit_travel_whole_and_stay_frozen(tmp_path):
    plan = prepare(_scenario(tmp_path)).plan
    unit = WorkUnit(plan, EmulatedTarget(), tmp_path / "run", "manual", "manual", (("t", 0),))
    travelled = pickle.loads(pickle.dumps(unit))
    assert travelled == unit
    assert travelled.plan.calibration.digest == plan.calibration_digest
    assert travelled.plan.scenario == plan.scenario
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.scenario = None  # type: ignore[misc]
    assert isinstance(plan, RunPlan) and unit.run_id == "run"


@pytest.mark.terraform
def test_a_run_reads_its_calibration_once_when_it_is_planned(tmp_path):
    """The calibration file is gone once the plan is made: the run still runs with it (its
    digest in the manifest), since nothing below the plan reads a file again."""
    own = _calibration(tmp_path, "own.yaml", 9)
    campaign = prepare(_scenario(tmp_path), own)
    kept = tmp_path / "kept.yaml"
    shutil.move(own, kept)
    run_dir = run_campaign(campaign, tmp_path / "run", EmulatedTarget(), jobs=1)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["calibration_sha256"] == Calibration.load(kept).digest
    assert manifest["calibration_path"] == str(own)
    assert len((run_dir / "trials.csv").read_text().splitlines()) == 1 + 1
