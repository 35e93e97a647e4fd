"""The `lab` command as a user runs it (subprocesses)."""

import json
import os
import re
import subprocess
import time

import pandas as pd

from lab.experiment.store import TRIAL_COLUMNS
from tests.lab_command import LAB


def test_techniques_lists_the_catalog_with_what_was_measured(tmp_path):
    run_dir = tmp_path / "coverage" / "r1"
    run_dir.mkdir(parents=True)
    (run_dir / "manifest.json").write_text('{"started_at": "2026-01-01T00:00:00Z"}')
    rows = [
        {"technique": "ec2-sg-open-ssh", "architecture": "manual", "outcome": "detected only"},
        {"technique": "ec2-sg-open-ssh", "architecture": "serverless", "outcome": "remediated"},
    ]
    pd.DataFrame(rows).reindex(columns=TRIAL_COLUMNS).to_csv(run_dir / "trials.csv", index=False)
    out = subprocess.run(
        [*LAB, "techniques", "--out", str(tmp_path)], capture_output=True, text=True, check=True
    ).stdout
    line = next(row for row in out.splitlines() if "ec2-sg-open-ssh" in row)
    assert "T1562.007" in line and "detected only" in line and "remediated" in line
    assert "kms-key-scheduled-deletion" in out
    shown = subprocess.run(
        [*LAB, "techniques", "show", "ec2-sg-open-ssh"], capture_output=True, text=True, check=True
    ).stdout
    assert '"tactic": "TA0005"' in shown
    shown = subprocess.run(
        [*LAB, "techniques", "show", "vpc-remove-flow-logs"], capture_output=True, text=True
    ).stdout
    assert '"shared_detections": [\n    "network-logging-tampering"\n  ]' in shown


def test_attack_detonates_and_reverts_on_a_running_emulator(session_emulator, tmp_path):
    session_emulator.reset()
    e = session_emulator.endpoints
    common = ["--endpoint", e.url, "--state-dir", str(tmp_path)]
    subprocess.run(
        [*LAB, "attack", "s3-bucket-public-acl", *common], check=True, capture_output=True
    )
    from lab.attacks.registry import technique

    t = technique("s3-bucket-public-acl")
    prerequisites = {"bucket": "lab-target-public-acl-123456789012"}
    assert not t.is_remediated(e, prerequisites)
    subprocess.run(
        [*LAB, "attack", "s3-bucket-public-acl", *common, "--revert"],
        check=True,
        capture_output=True,
    )
    assert e.client("s3").list_buckets()["Buckets"] == []
    again = subprocess.run(
        [*LAB, "attack", "s3-bucket-public-acl", *common, "--revert"],
        capture_output=True,
        text=True,
    )
    assert again.returncode == 2 and "not detonated" in again.stderr


def test_emulator_prints_exports_that_the_aws_cli_can_use_and_its_trail_as_json_lines():
    # A narrow terminal: a record must still be one line (rich would wrap it at 40 columns).
    process = subprocess.Popen(
        [*LAB, "emulator", "--trail"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "40"},
    )
    try:
        lines = []
        deadline = time.monotonic() + 300  # a loaded machine starts the lab slowly
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
        subprocess.run(["aws", "s3", "mb", "s3://lab-trail-line-check"], env=env, check=True)
        records = []
        while time.monotonic() < deadline and len(records) < 2:
            records.append(json.loads(process.stdout.readline()))  # one whole record per line
        assert [r["eventName"] for r in records] == ["GetCallerIdentity", "CreateBucket"]
        assert records[1]["requestParameters"]["bucketName"] == "lab-trail-line-check"
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
    assert (tmp_path / "figures" / "coverage.png").exists()  # an unknown technique is "?"


def test_report_of_a_missing_run_is_exit_2(tmp_path):
    out = subprocess.run([*LAB, "report", str(tmp_path)], capture_output=True, text=True)
    assert out.returncode == 2
    assert "no trials.csv" in out.stderr


def test_demo_reaches_the_runner_with_the_demo_scenario(monkeypatch, tmp_path):
    """`lab demo` calls `run` as a function: every option must be passed, not left as typer's."""
    import pytest

    import lab.experiment.campaign as campaign
    from lab.cli.experiments import demo

    class Reached(Exception):
        pass

    def reached(plan, *args, **kwargs):
        raise Reached(plan.scenario.name, plan.scenario.operator)

    monkeypatch.setattr(campaign, "run_plan", reached)
    with pytest.raises(Reached) as caught:
        demo(out=tmp_path)
    assert caught.value.args == ("demo", "on-call")


def test_attack_on_an_unreachable_account_is_one_error_and_writes_nothing(tmp_path):
    out = subprocess.run(
        [
            *LAB,
            "attack",
            "kms-key-scheduled-deletion",
            "--endpoint",
            "http://127.0.0.1:9",
            "--state-dir",
            str(tmp_path / "state"),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2 and "Could not connect" in out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "state").exists()


def test_results_go_under_the_folder_lab_runs_in(tmp_path):
    """A user working in their own folder reads and writes ./results there, not the checkout's."""
    run_dir = tmp_path / "results" / "mine" / "20260101T000000Z-0a1b2c3d"
    run_dir.mkdir(parents=True)
    (run_dir / "manifest.json").write_text(
        json.dumps({"scenario": {"name": "mine"}, "status": "complete", "started_at": "x"})
    )
    listed = subprocess.run([*LAB, "runs"], cwd=tmp_path, capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    assert "20260101T000000Z-0a1b2c3d" in listed.stdout
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    missing = subprocess.run([*LAB, "runs"], cwd=empty, capture_output=True, text=True)
    assert missing.returncode == 2 and "results" in missing.stderr
