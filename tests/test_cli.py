"""The `lab` command as a user runs it (subprocesses)."""

import os
import re
import subprocess
import sys
import time

import pandas as pd

from lab.experiment.store import TRIAL_COLUMNS

LAB = [sys.executable, "-m", "lab.cli"]


def test_techniques_lists_the_catalog():
    out = subprocess.run([*LAB, "techniques"], capture_output=True, text=True, check=True).stdout
    assert "ec2-sg-open-ssh" in out and "T1562.007" in out
    shown = subprocess.run(
        [*LAB, "techniques", "ec2-sg-open-ssh"], capture_output=True, text=True, check=True
    ).stdout
    assert '"tactic": "TA0005"' in shown


def test_emulator_prints_exports_that_the_aws_cli_can_use():
    process = subprocess.Popen([*LAB, "emulator"], stdout=subprocess.PIPE, text=True)
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            if "Ctrl-C" in line:
                break
        exports = dict(re.findall(r"^export (\w+)=(\S+)$", "".join(lines), re.M))
        assert exports["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
        env = {**os.environ, **exports}
        out = subprocess.run(
            ["aws", "sts", "get-caller-identity", "--output", "text", "--query", "Account"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert out.stdout.strip() == "123456789012"
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_report_redraws_the_figure(tmp_path):
    pd.DataFrame(
        [
            {
                "technique": "t",
                "architecture": a,
                "trial": k,
                "seed": 1,
                "outcome": "remediated",
                "time_to_detect_s": 10.0 + k,
                "time_to_alert_s": 11.0 + k,
                "time_to_remediate_s": 12.0 + k,
            }
            for a in ("manual", "serverless")
            for k in range(3)
        ]
    ).reindex(columns=TRIAL_COLUMNS).to_csv(tmp_path / "trials.csv", index=False)
    out = subprocess.run(
        [*LAB, "report", str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert "serverless" in out.stdout
    assert (tmp_path / "figures" / "latency_comparison.png").exists()
    assert (tmp_path / "figures" / "latency_comparison.pdf").exists()


def test_report_of_a_missing_run_is_exit_2(tmp_path):
    out = subprocess.run([*LAB, "report", str(tmp_path)], capture_output=True, text=True)
    assert out.returncode == 2
    assert "no trials.csv" in out.stderr
