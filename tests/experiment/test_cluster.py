"""The run's units on a Dask cluster: a sweep on a LocalCluster of two workers gives byte-identical
trials and timelines to the same sweep run one unit at a time; a worker that runs another
calibration refuses the unit; bad addresses are refused before anything is written."""

import subprocess
from pathlib import Path

import pytest
import yaml

from lab.experiment.cluster import ClusterError, Stamp, parse_address
from lab.experiment.plan import plan_run
from lab.experiment.scenario import load_scenario
from lab.sim.calibration import DEFAULT_CALIBRATION
from tests.lab_command import LAB

SCENARIO = {
    "name": "cluster",
    "seed": 11,
    "trials": 2,
    "techniques": ["ec2-sg-open-ssh", "s3-bucket-public-acl"],
    "architectures": {"manual": {"detectors": ["cron"]}},
    "injection": "fixed",
    "max_trial_s": 7200,
    "sweep": {"operator": ["soc-24x7", "on-call"]},
}


def _run(tmp_path: Path, name: str, *extra: str, scenario: dict = SCENARIO) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(scenario))
    out = tmp_path / name
    result = subprocess.run(
        [*LAB, "run", str(path), "--out", str(out), "--no-report", *extra],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (run_dir,) = (out / scenario["name"]).iterdir()
    return run_dir


def test_the_serverless_stack_split_over_two_workers_gives_the_same_trials(tmp_path):
    """On a cluster the serverless stack is deployed once per share of its techniques: each
    trial's records (event ids too) do not depend on the trials run before it in the account."""
    scenario = {
        "name": "split",
        "seed": 12,
        "trials": 1,
        "techniques": ["ec2-sg-open-ssh", "s3-bucket-public-acl"],
        "architectures": {"serverless": {"alert_email": "security@example.com"}},
        "injection": "fixed",
        "max_trial_s": 7200,
    }
    alone = _run(tmp_path, "alone", "--jobs", "1", scenario=scenario)
    split = _run(tmp_path, "split", "--cluster", "local:2", scenario=scenario)
    for name in ("trials.csv", "events.jsonl"):
        assert (alone / name).read_bytes() == (split / name).read_bytes(), name


def test_a_sweep_on_a_local_cluster_is_identical_to_one_unit_at_a_time(tmp_path):
    alone = _run(tmp_path, "alone", "--jobs", "1")
    on_cluster = _run(tmp_path, "cluster", "--cluster", "local:2")
    points = sorted(p.name for p in (alone / "points").iterdir())
    assert points == sorted(p.name for p in (on_cluster / "points").iterdir())
    assert len(points) == 2
    for point in points:
        for name in ("trials.csv", "events.jsonl"):
            assert (alone / "points" / point / name).read_bytes() == (
                on_cluster / "points" / point / name
            ).read_bytes(), f"{point}/{name}"
        rows = (on_cluster / "points" / point / "trials.csv").read_text().splitlines()
        assert len(rows) == 1 + 2 * 2  # header + 2 techniques x 2 trials, none twice


def test_a_worker_with_another_calibration_refuses(tmp_path):
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(yaml.safe_dump(SCENARIO))
    raw = yaml.safe_load(DEFAULT_CALIBRATION.read_text())
    raw["stages"]["sns_email_delivery_s"]["median"] = 9
    other = tmp_path / "other.yaml"
    other.write_text(yaml.safe_dump(raw))
    run = Stamp.expected(plan_run(load_scenario(scenario), DEFAULT_CALIBRATION))
    problem = run.mismatch(Stamp.here(other.read_text()))
    assert problem and "calibration_digest" in problem
    assert run.mismatch(Stamp.here(DEFAULT_CALIBRATION.read_text())) is None


@pytest.mark.parametrize("address", ["local:0", "local:x", "http://host:8786", "somewhere"])
def test_a_bad_cluster_address_is_refused_before_anything_is_written(tmp_path, address):
    with pytest.raises(ClusterError):
        parse_address(address)
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(yaml.safe_dump(SCENARIO))
    result = subprocess.run(
        [*LAB, "run", str(scenario), "--out", str(tmp_path / "out"), "--cluster", address],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "--cluster" in result.stderr + result.stdout
    assert not (tmp_path / "out").exists()
