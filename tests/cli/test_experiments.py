"""`lab run --no-report`: the run's trials, timeline and manifest without its figures and report,
which `lab report` draws afterwards from the same folder."""

import csv
import json
import os
import subprocess

from tests.lab_command import LAB

SCENARIO = """
name: no-report
seed: 3
trials: 1
techniques: [ec2-sg-open-ssh]
architectures:
  manual: {}
operator: soc-24x7
"""


def test_a_run_with_no_report_is_reported_later_by_lab_report(tmp_path):
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(SCENARIO)
    wide = {**os.environ, "COLUMNS": "500"}  # the hint's path on one line
    ran = subprocess.run(
        [*LAB, "run", str(scenario), "--out", str(tmp_path / "out"), "--jobs", "1", "--no-report"],
        capture_output=True,
        text=True,
        env=wide,
        timeout=900,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    (run_dir,) = (tmp_path / "out" / "no-report").iterdir()
    with (run_dir / "trials.csv").open(newline="") as handle:
        (row,) = csv.DictReader(handle)
    assert row["technique"] == "ec2-sg-open-ssh" and row["outcome"] == "remediated", row
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "complete"
    assert '"technique.detonated"' in (run_dir / "events.jsonl").read_text()
    assert "manual" in json.loads((run_dir / "usage.json").read_text())
    assert not (run_dir / "figures").exists()
    assert not list(run_dir.glob("report.*")) and not (run_dir / "benchmark.csv").exists()
    assert f"lab report {run_dir}" in ran.stdout

    report = subprocess.run(
        [*LAB, "report", str(run_dir)], capture_output=True, text=True, env=wide, timeout=900
    )
    assert report.returncode == 0, report.stderr[-3000:]
    assert (run_dir / "figures" / "latency_comparison.png").stat().st_size > 10_000
    assert (run_dir / "figures" / "latency_comparison.pdf").exists()
    assert (run_dir / "report.html").exists() and (run_dir / "report.md").exists()
    assert (run_dir / "benchmark.csv").exists()
