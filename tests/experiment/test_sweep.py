"""Sweeps and repetitions: points expanded from the scenario, a real sweep run on the emulator
(one deployment per point), its report linking every figure, and the chapter notebooks executed
headless against it (nbclient)."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lab.experiment.plan import plan_run
from lab.experiment.results import load_run
from lab.experiment.scenario import Scenario, ScenarioError, load_scenario
from lab.experiment.sweep import points, repeat_seed, run_sweep
from lab.report.document import write_report
from lab.report.notebooks import execute, notebooks
from lab.sim.calibration import Calibration
from lab.targets.emulated import EmulatedTarget

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
BASE = {
    "name": "sweep",
    "seed": 7,
    "trials": 1,
    "techniques": ["ec2-sg-open-ssh"],
    "architectures": {"serverless": {"alert_email": "security@example.com"}},
}


def _points(**fields):
    return points(Scenario.model_validate({**BASE, **fields}), Calibration.load())


def test_every_combination_at_every_repetition_with_common_seeds():
    found = _points(
        repeat=2,
        sweep={
            "architectures.serverless.guardduty_finding_publishing_frequency": [
                "ONE_HOUR",
                "SIX_HOURS",
            ],
            "calibration.stages.cloudtrail_to_eventbridge_s.scale": [0.5, 2],
        },
    )
    assert [p.id for p in found] == [f"p{i:03d}-r{r}" for i in range(4) for r in range(2)]
    seeds = {(p.id[:4], p.repeat): p.scenario.seed for p in found}
    assert {seeds[(f"p{i:03d}", 0)] for i in range(4)} == {7}  # repetition 0 keeps the seed
    assert {seeds[(f"p{i:03d}", 1)] for i in range(4)} == {repeat_seed(7, 1)} != {7}
    last = found[-1]
    assert last.scenario.architectures["serverless"]["guardduty_finding_publishing_frequency"] == (
        "SIX_HOURS"
    )
    base = Calibration.load().stage("cloudtrail_to_eventbridge_s")
    stretched = last.calibration.stage("cloudtrail_to_eventbridge_s")
    assert (stretched.median, stretched.p90) == (base.median * 2, base.p90 * 2)
    assert "[swept: scaled x2]" in stretched.source
    assert not last.scenario.sweep and last.scenario.repeat == 1


def test_one_at_a_time_moves_one_key_from_its_baseline_per_point():
    read = "calibration.operators.on-call.read_alert_s.scale"
    typing = "calibration.operators.on-call.runbook_command_s.scale"
    found = _points(sweep_design="one-at-a-time", sweep={read: [1, 0.25, 4], typing: [1, 0.5, 1]})
    assert [p.values for p in found] == [
        {read: 1, typing: 1},
        {read: 0.25, typing: 1},
        {read: 4, typing: 1},
        {read: 1, typing: 0.5},  # the repeated baseline value is not run twice
    ]
    base = Calibration.load().operator("on-call").read_alert_s.median
    assert found[2].calibration.operator("on-call").read_alert_s.median == base * 4
    grid = _points(sweep={read: [1, 0.25, 4], typing: [1, 0.5, 1]})
    assert len(grid) == 9


def test_sweeping_a_single_parameter_and_the_operator():
    found = _points(
        sweep={
            "calibration.stages.alarm_evaluation_interval_s.value": [30, 60],
            "operator": ["soc-24x7"],
        }
    )
    assert [p.calibration.stage("alarm_evaluation_interval_s").value for p in found] == [30, 60]
    assert {p.scenario.operator for p in found} == {"soc-24x7"}


@pytest.mark.parametrize(
    ("sweep", "message"),
    [
        ({"architectures.manual.cron_schedule": ["* * * * *"]}, "architectures.<name>"),
        ({"colour": ["red"]}, "not sweepable"),
        ({"operator": []}, "at least one value"),
        ({"calibration.stages.no_such_stage_s.median": [1]}, "no 'stages.no_such_stage_s'"),
        ({"calibration.stages.lambda_idle_expiry_s.median": [1]}, "no parameter 'median'"),
        ({"calibration.stages.cloudtrail_to_eventbridge_s.median": [500]}, "p90 must be >= median"),
        ({"operator": ["night-owl"]}, "unknown operator profile"),
        ({"trial_spacing_s": [-1]}, "trial_spacing_s"),
    ],
)
def test_a_bad_sweep_is_one_clear_error(sweep, message):
    with pytest.raises((ScenarioError, ValueError), match=re.escape(message)):
        _points(sweep=sweep)


def test_cli_refuses_a_bad_sweep_with_exit_2_and_writes_nothing(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({**BASE, "sweep": {"calibration.stages.nope.median": [1]}}))
    result = subprocess.run(
        [sys.executable, "-m", "lab.cli", "run", str(path), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "nope" in result.stderr
    assert not (tmp_path / "out").exists()


def test_techniques_all_is_the_catalog_and_the_ready_made_scenarios_are_valid():
    from lab.attacks.registry import techniques

    scenario = Scenario.model_validate({**BASE, "techniques": "all"})
    assert scenario.techniques == list(techniques()) and len(scenario.techniques) >= 20
    for name in ("full-matrix", "staffing", "guardduty-frequency", "detection-paths"):
        path = SCENARIOS / f"{name}.yaml"
        header = path.read_text().split("\nname:")[0]
        assert "Question" in header and "Design" in header and "run time" in header
        found = points(load_scenario(path), Calibration.load())
        assert found


@pytest.fixture(scope="module")
def sweep_run(tmp_path_factory):
    """A real sweep: the same trial at two scales of the CloudTrail -> EventBridge delay, one
    Terraform deployment per point."""
    scenario = Scenario.model_validate(
        {
            **BASE,
            "trials": 2,
            "sweep": {"calibration.stages.cloudtrail_to_eventbridge_s.scale": [0.2, 10]},
        }
    )
    run_dir = tmp_path_factory.mktemp("sweep") / "run"
    return scenario, run_sweep(plan_run(scenario), run_dir, EmulatedTarget())


def test_sweep_run_points_are_ordinary_runs_and_the_parameter_moves_detection(sweep_run):
    scenario, run_dir = sweep_run
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["kind"] == "sweep" and manifest["status"] == "complete"
    assert [p["id"] for p in manifest["points"]] == ["p000-r0", "p001-r0"]
    for point in manifest["points"]:
        point_manifest = json.loads(
            (run_dir / "points" / point["id"] / "manifest.json").read_text()
        )
        assert point_manifest["status"] == "complete"
        assert (
            point_manifest["calibration_sha256"]
            == Calibration.load(run_dir / "points" / point["id"] / "calibration.yaml").digest
        )
    run = load_run(run_dir)
    column = "sweep.calibration.stages.cloudtrail_to_eventbridge_s.scale"
    assert run.sweep_columns == [column]
    assert len(run.trials) == 4 and (run.trials["outcome"] == "remediated").all()
    by_scale = run.trials.pivot(index="trial", columns=column, values="time_to_detect_s")
    # The parameter moves detection: later at 10x than at 0.2x (another path, the CIS alarm, may
    # detect first when the rule's draw is slow, so the ratio of detections is not 50).
    assert (by_scale[10.0] > by_scale[0.2]).all()
    # Common random numbers: the attack's record gets the same draw at both points, stretched 50x.
    delays = {}
    for point in manifest["points"]:
        events = [
            json.loads(line)
            for line in (run_dir / "points" / point["id"] / "events.jsonl").read_text().splitlines()
        ]
        for trial in (0, 1):
            mine = [e for e in events if e.get("trial") == trial]
            attack = next(e["t_s"] for e in mine if e["kind"] == "technique.detonated")
            delivered = next(
                e["t_s"]
                for e in mine
                if e["kind"] == "cloudtrail.delivered_to_eventbridge"
                and e.get("event_name") == "AuthorizeSecurityGroupIngress"
            )
            delays[(point["id"], trial)] = delivered - attack
    for trial in (0, 1):
        ratio = delays[("p001-r0", trial)] / delays[("p000-r0", trial)]
        assert ratio == pytest.approx(50, rel=1e-3)
    # Resuming a complete sweep deploys nothing and changes nothing.
    before = [(p / "trials.csv").read_text() for p in sorted((run_dir / "points").iterdir())]
    run_sweep(plan_run(scenario), run_dir, EmulatedTarget())
    assert [
        (p / "trials.csv").read_text() for p in sorted((run_dir / "points").iterdir())
    ] == before


def test_report_links_every_figure_and_shows_the_sweep(sweep_run):
    _, run_dir = sweep_run
    md_path, html_path = write_report(run_dir)
    md, page = md_path.read_text(), html_path.read_text()
    pngs = sorted((run_dir / "figures").glob("*.png"))
    assert any(p.name.startswith("sensitivity_") for p in pngs)
    for png in pngs:
        assert f"figures/{png.name}" in md
        assert f'alt="{png.stem}"' in page
    assert page.count("data:image/png;base64,") == len(pngs)  # self-contained
    assert "Sweep points" in md and "cloudtrail_to_eventbridge_s" in md
    assert "Calibration used" in md and "docs.aws.amazon.com" in md


@pytest.mark.parametrize("notebook", [p.name for p in notebooks()])
def test_notebook_executes_headless_against_the_run(sweep_run, tmp_path, notebook):
    import nbformat

    _, run_dir = sweep_run
    source = next(p for p in notebooks() if p.name == notebook)
    stored = nbformat.read(source, as_version=4)
    assert all(not c.get("outputs") for c in stored.cells if c.cell_type == "code")  # no outputs
    executed = nbformat.read(execute(source, run_dir, tmp_path), as_version=4)
    outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert str(run_dir) in "".join(o.get("text", "") for o in outputs)  # read the run it was given


def test_runs_lists_a_sweep_with_its_points_and_trials(sweep_run):
    _, sweep_dir = sweep_run
    result = subprocess.run(
        [sys.executable, "-m", "lab.cli", "runs", "--out", str(sweep_dir.parent.parent)],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if "sweep of 2" in line)
    assert "complete" in line and " 4 " in line


def test_a_sweep_is_kept_as_a_reference_run_with_one_summary_row_per_point(sweep_run, tmp_path):
    from lab.report import reference

    _, run_dir = sweep_run
    folder = reference.keep(tmp_path, "sweep", run_dir)
    kept = reference.KeptRun.read(tmp_path, "sweep")
    assert kept.manifest["kind"] == "sweep" and len(kept.trials) == 4 and len(kept.person) == 4
    summary = reference.summary(kept)
    assert list(summary.columns[:3]) == [
        "cloudtrail_to_eventbridge_s.scale",
        "technique",
        "architecture",
    ]
    assert summary["cloudtrail_to_eventbridge_s.scale"].tolist() == [0.2, 10.0]
    assert summary["trials"].tolist() == [2, 2] and (summary["remediated"] == "100%").all()
    # Slower delivery, later detection: the medians differ between the two points.
    assert summary["median TTD (KM)"].nunique() == 2
    assert (folder / "person.csv").is_file()
    # What the run metered (its first point's usage.json) is kept: the cost block is lab cost's.
    from lab.cost.report import cost_lines
    from lab.cost.report import summary as cost_summary
    from lab.experiment.results import load_run

    assert (folder / "usage.json").read_bytes() == (
        load_run(run_dir).usage_dir / "usage.json"
    ).read_bytes()
    priced = cost_summary(cost_lines(load_run(run_dir).usage_dir))
    table = reference.cost(kept)
    assert table[["profile", "architecture"]].values.tolist() == (
        priced[["profile", "architecture"]].values.tolist()
    )
    assert table["total per month"].tolist() == [f"${v:,.2f}" for v in priced["total"]]
