"""CSPM with the real Prowler (its own venv, `make prowler`) against the emulated account: a seeded
misconfiguration fails and passes once fixed; `lab cspm` reads an architecture's account against
the empty one and writes its table, figure and manifest; without Prowler, one clear error."""

import csv
import json
import os
import subprocess
import sys

from lab.cspm import prowler
from lab.cspm.emulator_site.sitecustomize import to_the_emulator
from lab.cspm.findings import Finding, compare, from_ocsf

SSH_OPEN = "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22"
ACCOUNT_BLOCK = "s3_account_level_public_access_blocks"


def _status(scan, check):
    return {f.resource: f.status for f in map(from_ocsf, scan.findings) if f.check == check}


def test_a_seeded_misconfiguration_fails_and_passes_once_fixed(emulator, tmp_path):
    ec2 = emulator.endpoints.client("ec2", "harness")
    group = ec2.create_security_group(GroupName="cspm-open", Description="open")["GroupId"]
    rule = [
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    ]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=rule)
    arn = f"arn:aws:ec2:us-east-1:{emulator.endpoints.account_id()}:security-group/{group}"
    checks = [SSH_OPEN, ACCOUNT_BLOCK]

    before = prowler.scan(emulator.endpoints, tmp_path / "before", checks=checks)
    assert before.version == prowler.PINNED
    assert _status(before, SSH_OPEN)[arn] == "FAIL"
    # The account-level block is read through S3 Control (host prefixes off on the emulator):
    # without it the check would be missing, not failing.
    assert set(_status(before, ACCOUNT_BLOCK).values()) == {"FAIL"}

    ec2.revoke_security_group_ingress(GroupId=group, IpPermissions=rule)
    s3control = emulator.endpoints.session("harness").client(
        "s3control", endpoint_url=emulator.endpoints.url
    )
    s3control.meta.events.register("before-sign.s3-control", to_the_emulator("127.0.0.1"))
    s3control.put_public_access_block(
        AccountId=emulator.endpoints.account_id(),
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    after = prowler.scan(emulator.endpoints, tmp_path / "after", checks=checks)
    assert _status(after, SSH_OPEN)[arn] == "PASS"
    assert set(_status(after, ACCOUNT_BLOCK).values()) == {"PASS"}


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
    assert manifest["versions"]["prowler"] == prowler.PINNED and manifest["status"] == "done"
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
    assert prowler.unknown(["s3", "nosuchservice"], [SSH_OPEN, "no_such_check"]) == [
        "service nosuchservice",
        "check no_such_check",
    ]
    result = _lab("cspm", "--service", "nosuchservice", "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "has no service nosuchservice" in result.stderr
    assert not (tmp_path / "out").exists()


def test_without_prowler_one_clear_error_and_nothing_written(tmp_path):
    result = _lab(
        "cspm", "--out", str(tmp_path / "out"), env={prowler.PROWLER_ENV: str(tmp_path / "none")}
    )
    assert result.returncode == 2
    assert "make prowler" in result.stderr
    assert not (tmp_path / "out").exists()
