"""Load: locust headless against the emulated account (``lab load``)."""

import csv
import json
import os
import subprocess
import sys

import boto3


def test_lab_load_runs_locust_headless_and_reports_the_emulators_rate(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "lab.cli",
            "load",
            "--users",
            "11",  # weights 10 : 1, so one attacker
            "--spawn-rate",
            "11",
            "--duration",
            "15",  # the attacker's first detonation warms its target up first: slow on a busy CI
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    run_dir = next((tmp_path / "load").iterdir())
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["requests"] >= 10 and summary["failures"] == 0  # fewer on a loaded machine
    assert summary["p50_ms"] <= summary["p95_ms"]
    assert summary["emulator_requests"] >= summary["requests"]  # each boto3 call reached it
    with (run_dir / "locust_stats.csv").open(newline="") as handle:
        rows = {r["Name"]: r for r in csv.DictReader(handle)}
    counts = {name: int(r["Request Count"]) for name, r in rows.items() if name != "Aggregated"}
    assert sum(counts.values()) == summary["requests"]
    assert counts["logs.create_log_stream"] == 10  # each benign user's own stream, on start
    calls = [name for name, r in rows.items() if r["Type"] == "boto3"]
    for name in calls:  # each call is reported as the boto3 operation it made
        service, operation = name.split(".")
        assert hasattr(boto3.client(service, region_name="us-east-1"), operation), name
    attacks = [r for name, r in rows.items() if name in ("ec2-sg-open-ssh", "s3-bucket-public-acl")]
    assert attacks and all(int(r["Failure Count"]) == 0 for r in attacks)
    assert json.loads((run_dir / "manifest.json").read_text())["kind"] == "load"
    assert "req/s" in result.stdout


def test_lab_load_refuses_an_unknown_profile_or_technique(tmp_path):
    for args in (["--profile", "stampede"], ["--techniques", "nope"]):
        result = subprocess.run(
            [sys.executable, "-m", "lab.cli", "load", *args, "--out", str(tmp_path)],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 2 and "unknown" in result.stderr
    assert not (tmp_path / "load").exists()
