"""A run killed with SIGKILL in the middle resumes without losing or duplicating a trial."""

import csv
import os
import signal
import subprocess
import time

from tests.lab_command import LAB

SCENARIO = """
name: resume
seed: 5
trials: 2
techniques: [ec2-sg-open-ssh]
architectures:
  manual: {}
"""


def _rows(run_dir):
    with (run_dir / "trials.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def _interrupt_after_first_trial(tmp_path, sig, group=True):
    """Start a run of SCENARIO, send ``sig`` to its process group (or only to the run's own process)
    once a trial has landed."""
    scenario = tmp_path / "resume.yaml"
    scenario.write_text(SCENARIO)
    out = tmp_path / "results"
    process = subprocess.Popen(
        [*LAB, "run", str(scenario), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    run_dir = None
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        found = list(out.glob("resume/*/trials.csv"))
        if found and len(found[0].read_text().splitlines()) >= 2:  # header + one trial
            run_dir = found[0].parent
            break
        time.sleep(0.2)
    if group:
        os.killpg(process.pid, sig)
    else:
        os.kill(process.pid, sig)
    stdout, stderr = process.communicate(timeout=300)
    assert run_dir is not None, "the first trial never landed"
    return scenario, run_dir, process.returncode, stdout, stderr


def test_kill_9_then_resume_gives_the_same_rows_as_an_uninterrupted_run(tmp_path):
    # SIGKILL to the group: the run, its emulator and any aws CLI it was running.
    scenario, run_dir, _, _, _ = _interrupt_after_first_trial(tmp_path, signal.SIGKILL)
    kept = _rows(run_dir)
    assert len(kept) == 1

    resumed = subprocess.run(
        [*LAB, "run", str(scenario), "--resume", str(run_dir)],
        capture_output=True,
        text=True,
    )
    assert resumed.returncode == 0, resumed.stderr
    rows = _rows(run_dir)
    assert [r["trial"] for r in rows] == ["0", "1"]
    assert rows[: len(kept)] == kept  # nothing that had landed was rewritten

    fresh = subprocess.run(
        [
            *LAB,
            "run",
            str(scenario),
            "--out",
            str(tmp_path / "fresh"),
            "--no-report",
        ],
        capture_output=True,
        text=True,
    )
    assert fresh.returncode == 0, fresh.stderr
    fresh_dir = next((tmp_path / "fresh").glob("resume/*"))
    assert (fresh_dir / "trials.csv").read_text() == (run_dir / "trials.csv").read_text()
    events = (run_dir / "events.jsonl").read_text().splitlines()
    assert events == (fresh_dir / "events.jsonl").read_text().splitlines()
    assert (run_dir / "report.html").exists()
