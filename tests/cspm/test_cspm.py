"""CSPM with the real Prowler (its own venv, `make prowler`) against the emulated account:
`lab cspm` reads an architecture's account against the empty one and writes its table, figure and
manifest; a scheduled scan is a detection path; without Prowler, one clear error."""

import csv
import json
import os
import subprocess
import sys

import pytest

from lab.cspm.compare import compare
from lab.prowler import tool
from lab.prowler.findings import Finding, from_ocsf

SSH_OPEN = "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22"


def _finding(check, status, resource="r", severity="High"):
    return Finding(check, status, severity, "ec2", resource, check, "", "")


def test_posture_is_read_against_the_empty_account():
    empty = [_finding("trail", "FAIL", "no-trail"), _finding("sg", "FAIL", "default-sg")]
    scanned = [
        _finding("trail", "PASS", "trail/lab"),  # the architecture fixes it (another resource)
        _finding("sg", "FAIL", "default-sg"),  # failed before: not the architecture's
        _finding("imds", "FAIL", "i-1", "Medium"),  # its own instance
        _finding("imds", "PASS", "i-2"),
        _finding("secrets", "MUTED", "fn"),  # reviewed (mutelist.yaml): apart, not counted
    ]
    posture = compare("manual", empty, scanned)
    assert [f.key for f in posture.muted] == [("secrets", "fn")]
    assert [f.key for f in posture.fails] == [("imds", "i-1")]
    assert [f.key for f in posture.fixed] == [("trail", "trail/lab")]
    assert posture.by_severity()["Medium"] == 1 and posture.checks == 4


def _lab(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "lab.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=900,
    )


def test_lab_cspm_scans_an_architecture_against_the_empty_account(tmp_path):
    result = _lab(
        "cspm",
        "-a",
        "manual",
        "--check",
        "ec2_instance_imdsv2_enabled",
        "--check",
        SSH_OPEN,
        "--out",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (run_dir,) = tmp_path.iterdir()
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["versions"]["prowler"] == tool.PINNED and manifest["status"] == "done"
    rows = list(csv.DictReader((run_dir / "posture.csv").open()))
    # The monitoring instance is the manual architecture's own resource: IMDSv2 is required by its
    # launch (deploy.sh), so the check passes there and nothing of it is listed as failing.
    scanned = list(csv.DictReader((run_dir / "findings.csv").open()))
    instances = [r for r in scanned if r["check"] == "ec2_instance_imdsv2_enabled"]
    assert {r["account"] for r in instances} == {"manual"}  # none in the empty account
    assert all(r["architecture"] == "manual" for r in rows)
    assert (run_dir / "figures" / "cspm_posture.png").stat().st_size > 10_000
    assert "Posture against the empty account" in result.stdout


def test_an_unknown_check_or_service_is_refused_before_anything_is_written(tmp_path):
    assert tool.unknown(["s3", "nosuchservice"], [SSH_OPEN, "no_such_check"]) == [
        "service nosuchservice",
        "check no_such_check",
    ]
    result = _lab("cspm", "--service", "nosuchservice", "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "has no service nosuchservice" in result.stderr
    assert not (tmp_path / "out").exists()


def test_without_prowler_one_clear_error_and_nothing_written(tmp_path):
    result = _lab(
        "cspm", "--out", str(tmp_path / "out"), env={tool.PROWLER_ENV: str(tmp_path / "none")}
    )
    assert result.returncode == 2
    assert "make prowler" in result.stderr
    assert not (tmp_path / "out").exists()


CSPM_SCENARIO = """\
name: cspm-path
description: the CSPM scan as the only path that sees an open SSH port
seed: 11
trials: 1
techniques: [ec2-sg-open-ssh]
architectures:
  manual:
    detectors: [guardduty]
  serverless:
    alert_email: security@example.com
    enable_sg_fast_path: false
    enable_api_call_response: false
    enable_cis_alarms: false
    enable_config: false
operator: soc-24x7
cspm: {every_s: 3600}
max_trial_s: 172800
"""


# A whole run with four real Prowler scans and a Terraform deploy, one architecture after the other:
# on a loaded machine it can pass the suite's 600 s; its `lab run` has 900 s.
@pytest.mark.timeout(900)
def test_a_scheduled_scan_detects_and_each_architecture_delivers_it_its_own_way(tmp_path):
    scenario = tmp_path / "cspm.yaml"
    scenario.write_text(CSPM_SCENARIO)
    # One architecture after the other in this process (a worker process each costs seconds of
    # CPU; the results are the same).
    result = _lab(
        "run", str(scenario), "--out", str(tmp_path / "out"), "--jobs", "1", "--no-report"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (run_dir,) = (tmp_path / "out" / "cspm-path").iterdir()
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["cspm"] == {"tool": "prowler", "version": tool.PINNED}
    rows = {r["architecture"]: r for r in csv.DictReader((run_dir / "trials.csv").open())}
    events = [json.loads(line) for line in (run_dir / "events.jsonl").open()]
    for arm in ("manual", "serverless"):
        # Nothing else of either deployment sees the open port: the scan does.
        assert rows[arm]["detection_source"] == f"cspm:{SSH_OPEN}", rows[arm]
        assert rows[arm]["time_to_alert_s"]
        scans = [e for e in events if e["architecture"] == arm and e["kind"] == "cspm.scanned"]
        assert any(e["new_fails"] for e in scans)
        assert sum(e["reused"] for e in scans) >= len(scans) - 3  # unchanged account: no rescan
    # The manual report and the hub's e-mail (the imported finding itself) both name the check and
    # the resource: each person runs the runbook the index maps the check to. (The hub once sent a
    # one-line summary naming no runbook, and the serverless trial was "detected only".)
    for arm in ("manual", "serverless"):
        assert rows[arm]["outcome"] == "remediated", rows[arm]
        assert rows[arm]["remediated_by"] == "operator:sg-open-world"
    mail = {
        e["architecture"]: e["subject"]
        for e in events
        if e["kind"] == "sns.delivered" and e.get("alert")
    }
    assert mail["manual"].startswith(f"[lab-manual] Prowler High: {SSH_OPEN}")
    imported = [e for e in events if e["kind"] == "securityhub.imported"]
    assert [e["product"] for e in imported] == ["prowler"]  # the serverless hub, once
    # The hub's rule (HIGH / CRITICAL, new, active) e-mails it: a field inside the findings array.
    assert mail["serverless"] == "EventBridge rule lab-securityhub-high-findings"


def test_a_scenario_that_scans_without_prowler_is_refused_before_anything_is_written(tmp_path):
    scenario = tmp_path / "cspm.yaml"
    scenario.write_text(CSPM_SCENARIO)
    result = _lab(
        "run",
        str(scenario),
        "--out",
        str(tmp_path / "out"),
        env={tool.PROWLER_ENV: str(tmp_path / "none")},
    )
    assert result.returncode == 2 and "make prowler" in result.stderr
    assert not (tmp_path / "out").exists()


def test_every_techniques_cspm_checks_fail_after_it_and_pass_after_its_revert(emulator, tmp_path):
    """The checks a technique's metadata names (``cspm_checks``) are what the CSPM path scans: each
    must FAIL on something new once the technique is detonated, and nothing of it after the revert
    (all techniques at once: three scans)."""
    from lab.attacks.lifecycle import TechniqueRun
    from lab.attacks.registry import techniques

    lives = {
        t.metadata.id: TechniqueRun(t, emulator.endpoints, "cspm-checks")
        for t in techniques().values()
        if t.metadata.cspm_checks
    }
    checks = sorted({c for life in lives.values() for c in life.technique.metadata.cspm_checks})
    assert len(lives) >= 8

    def fails(name):
        scanned = tool.scan(emulator.endpoints, tmp_path / name, checks=checks)
        return {
            (f.check, f.resource) for f in map(from_ocsf, scanned.findings) if f.status == "FAIL"
        }

    try:
        for life in lives.values():
            life.warm_up()
        before = fails("before")
        for life in lives.values():
            life.detonate()
        new = fails("after") - before
        for technique_id, life in lives.items():
            missing = set(life.technique.metadata.cspm_checks) - {c for c, _ in new}
            assert not missing, f"{technique_id}: {missing} found nothing new"
            life.revert()
        assert not (fails("reverted") & new)
    finally:
        for life in lives.values():
            life.cleanup()
