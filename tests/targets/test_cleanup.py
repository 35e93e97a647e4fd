"""`lab cleanup` after a crashed run: everything the lab tagged is found (tagging API + IAM + S3)
and deleted, dependents first; in a "real" account (the emulator as stand-in) only behind the
allow-list and a confirmation."""

import os
import subprocess
import sys

import pytest

from lab.architectures.registry import build
from lab.attacks.registry import technique
from lab.targets.cleanup import tagged_resources


def _lab(*args, input=None, env=None):
    return subprocess.run(
        [sys.executable, "-m", "lab.cli", *args],
        capture_output=True,
        text=True,
        input=input,
        env={**os.environ, "COLUMNS": "250", **(env or {})},
        timeout=300,
    )


@pytest.fixture
def crashed(emulator, tmp_path):
    """The manual architecture deployed for run `run-a` and a technique detonated, then nothing
    torn down (as if the run had crashed); a bucket of another run beside it."""
    endpoints = emulator.endpoints
    build("manual", "run-a", {}).deploy(endpoints, tmp_path / "manual")
    admin = technique("iam-create-admin-user")
    admin.detonate(endpoints, admin.warm_up(endpoints))
    s3 = endpoints.client("s3")
    s3.create_bucket(Bucket="lab-other-run")
    s3.put_bucket_tagging(
        Bucket="lab-other-run",
        Tagging={
            "TagSet": [
                {"Key": "lab:project", "Value": "aws-serverless-security-monitoring"},
                {"Key": "lab:run-id", "Value": "run-b"},
            ]
        },
    )
    return emulator


def test_cleanup_of_one_run_then_of_everything_leaves_nothing_tagged(crashed):
    endpoints = crashed.endpoints
    found = tagged_resources(endpoints)
    kinds = {arn.split(":")[2] for arn in found}
    assert {"ec2", "iam", "s3", "sns", "logs"} <= kinds, found
    assert any(":instance/" in arn for arn in found)
    # One run: the other run's bucket stays.
    result = _lab("cleanup", "--endpoint", crashed.url, "--run", "run-a")
    assert result.returncode == 0, result.stdout + result.stderr
    left = tagged_resources(endpoints)
    assert "arn:aws:s3:::lab-other-run" in left
    assert not tagged_resources(endpoints, "run-a")
    # Everything: the technique's user (tagged without a run) and the other run's bucket too.
    result = _lab("cleanup", "--endpoint", crashed.url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "deleted" in result.stdout
    assert tagged_resources(endpoints) == []
    instances = endpoints.client("ec2").describe_instances()["Reservations"]
    assert all(i["State"]["Name"] == "terminated" for r in instances for i in r["Instances"])
    assert "nothing tagged" in _lab("cleanup", "--endpoint", crashed.url).stdout


def test_a_real_account_needs_the_allow_list_and_a_confirmation(crashed, tmp_path):
    before = tagged_resources(crashed.endpoints)
    config = tmp_path / "config.yaml"
    config.write_text("aws:\n  allowed_accounts: ['999999999999']\n")
    env = {"LAB_CONFIG": str(config)}
    refused = _lab("cleanup", "--stand-in", crashed.url, env=env)
    assert refused.returncode == 2 and "not on the allow-list" in refused.stderr
    assert tagged_resources(crashed.endpoints) == before
    missing = _lab("cleanup", "--stand-in", crashed.url, env={"LAB_CONFIG": str(tmp_path / "no")})
    assert missing.returncode == 2 and "allowed: none" in missing.stderr
    config.write_text("aws:\n  allowed_accounts: ['123456789012']\n")
    declined = _lab("cleanup", "--stand-in", crashed.url, input="n\n", env=env)
    assert declined.returncode == 1 and "nothing deleted" in declined.stderr
    assert tagged_resources(crashed.endpoints) == before
    agreed = _lab("cleanup", "--stand-in", crashed.url, "--yes", env=env)
    assert agreed.returncode == 0, agreed.stdout + agreed.stderr
    assert "on the allow-list" in agreed.stdout
    assert tagged_resources(crashed.endpoints) == []


_KILLED_RUN = """
import sys
from pathlib import Path

from lab.emulator import Endpoints
from lab.experiment.runner import run_scenario
from lab.experiment.scenario import Scenario
from lab.targets.account import AwsTarget

url, run_dir = sys.argv[1], Path(sys.argv[2])
scenario = Scenario.model_validate(
    {
        "name": "killed",
        "seed": 1,
        "trials": 1,
        "techniques": ["ec2-sg-open-ssh"],
        "architectures": {"manual": {}},
        "max_trial_s": 3600,
        "target": "aws",
    }
)
target = AwsTarget(Endpoints(url=url, region="us-east-1"), max_run_s=3600, poll_s=0.5)
run_scenario(scenario, run_dir, target=target)
"""


def test_a_run_killed_mid_trial_is_cleaned_up_by_its_run_id(emulator, tmp_path):
    """kill -9 in the middle of a trial on the account target (this emulator as the account): no
    teardown ran, yet every resource the run made, the technique's included, carries its
    lab:run-id, so `lab cleanup --run RUN_ID` leaves nothing tagged."""
    import time

    run_dir = tmp_path / "killed" / "run-killed-1"
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED_RUN, emulator.url, str(run_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline and child.poll() is None:
            ours = tagged_resources(emulator.endpoints, run_dir.name)
            groups = emulator.endpoints.client("ec2").describe_security_groups(
                Filters=[{"Name": "tag:lab:technique", "Values": ["ec2-sg-open-ssh"]}]
            )["SecurityGroups"]
            opened = any(p.get("FromPort") == 22 for g in groups for p in g["IpPermissions"])
            if opened and any(g["GroupId"] in arn for g in groups for arn in ours):
                break  # the technique's group, tagged with the run, detonated: mid-trial
            time.sleep(0.2)
        else:
            pytest.fail(f"the trial never started: {child.stdout.read() if child.stdout else ''}")
    finally:
        child.kill()  # SIGKILL: no finally block of the run gets to tear anything down
        child.wait(timeout=60)
    left = tagged_resources(emulator.endpoints, run_dir.name)
    assert any(":instance/" in arn for arn in left)  # the architecture, never destroyed
    result = _lab("cleanup", "--endpoint", emulator.url, "--run", run_dir.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert tagged_resources(emulator.endpoints) == []
