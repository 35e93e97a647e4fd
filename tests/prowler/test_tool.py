"""The real Prowler (its own venv, `make prowler`) against the emulated account: a seeded
misconfiguration fails and passes once fixed; what Prowler has is asked once per installation."""

import json
import os
import shutil

from lab.prowler import tool
from lab.prowler.emulator_site.sitecustomize import to_the_emulator
from lab.prowler.findings import from_ocsf

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

    before = tool.scan(emulator.endpoints, tmp_path / "before", checks=checks)
    assert before.version == tool.PINNED
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
    after = tool.scan(emulator.endpoints, tmp_path / "after", checks=checks)
    assert _status(after, SSH_OPEN)[arn] == "PASS"
    assert set(_status(after, ACCOUNT_BLOCK).values()) == {"PASS"}
    # Prowler's metadata is parsed once per installation (emulator_site/kept_metadata.py).
    assert len(list((tool.executable().parents[1] / "lab-kept-metadata").glob("*.pickle"))) >= 4


def test_prowler_is_asked_its_version_and_checks_once_per_installation(tmp_path, monkeypatch):
    monkeypatch.setattr(tool, "DESCRIBED_DIR", tmp_path / "kept")
    copy = tmp_path / "prowler"  # an installation of its own, whose reinstall this test can fake
    shutil.copy2(tool.executable(), copy)
    monkeypatch.setenv(tool.PROWLER_ENV, str(copy))
    asked = []  # each question put to Prowler (each starts it: seconds of CPU)
    ask_version, ask_checks = tool._ask_version, tool._ask_checks
    monkeypatch.setattr(tool, "_ask_version", lambda b: asked.append("version") or ask_version(b))
    monkeypatch.setattr(tool, "_ask_checks", lambda b: asked.append("checks") or ask_checks(b))
    assert tool.version() == tool.PINNED
    assert tool.unknown(["ec2", "nosuchservice"], [SSH_OPEN, "no_such_check"]) == [
        "service nosuchservice",
        "check no_such_check",
    ]
    assert asked == ["version", "checks"]  # the real Prowler, asked once for both
    (kept,) = (tmp_path / "kept").iterdir()
    described = json.loads(kept.read_text())
    assert described["version"] == tool.PINNED and SSH_OPEN in described["checks"]
    kept.write_text(json.dumps(described | {"version": "read-from-the-kept-answer"}))
    assert tool.version() == "read-from-the-kept-answer"  # read, not asked again
    assert asked == ["version", "checks"]
    # Reinstalled: asked again (Prowler's answers are those it gave above, not started again).
    monkeypatch.setattr(tool, "_ask_version", lambda b: asked.append("version") or tool.PINNED)
    monkeypatch.setattr(
        tool, "_ask_checks", lambda b: asked.append("checks") or described["checks"]
    )
    stat = copy.stat()
    os.utime(copy, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # reinstalled
    assert tool.version() == tool.PINNED
    assert asked == ["version", "checks"] * 2
    assert len(list((tmp_path / "kept").iterdir())) == 2
