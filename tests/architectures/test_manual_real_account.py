"""cli-baseline/deploy.sh and teardown.sh against what a real account does to them: IAM
propagating, zones that do not offer the instance type, a recorder the account has already, a
step that fails half-way. The real aws CLI against the emulated account."""

import json
import os
import subprocess

import pytest

from lab.architectures.manual import ManualArchitecture
from lab.paths import CLI_BASELINE_DIR

pytestmark = pytest.mark.integration

CONFIG_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "config.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def _script(name, emulator, state_file, **env):
    return subprocess.run(
        [str(CLI_BASELINE_DIR / name), "-s", str(state_file)],
        env={**os.environ, **emulator.endpoints.cli_env("baseline"), **env},
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_trail_waits_for_iam_to_propagate_its_logs_role(emulator, tmp_path):
    """CreateTrail checks the CloudWatch Logs role it is given; right after the role was made,
    IAM has not propagated it (the emulator refuses it as AWS does): deploy.sh retries as
    Terraform's provider does instead of stopping half-built. (PutDeliveryChannel gets the same
    retry; the log bucket's policy lets Config's service principal write, so the emulator, as
    AWS, accepts it at once: tests/emulator/test_compat.py shows its refusal.)"""
    e = emulator.endpoints
    arch = ManualArchitecture(detectors=("cis-alarms",), run_id="run-iam")
    state = arch.deploy(e, tmp_path)
    trail = e.client("cloudtrail").describe_trails(trailNameList=[state["TRAIL_NAME"]])
    assert trail["trailList"][0]["CloudWatchLogsRoleArn"].endswith(":role/lab-manual-trail-to-logs")
    assert e.client("cloudtrail").get_trail_status(Name=state["TRAIL_NAME"])["IsLogging"]
    arch.destroy(e, tmp_path)


def test_the_monitoring_subnet_is_pinned_to_a_zone_that_offers_the_instance_type(
    emulator, tmp_path
):
    e = emulator.endpoints
    state = ManualArchitecture(detectors=("cron",), run_id="run-zone").deploy(e, tmp_path)
    ec2 = e.client("ec2")
    subnet = ec2.describe_subnets(SubnetIds=[state["SUBNET_ID"]])["Subnets"][0]
    offered = {
        o["Location"]
        for o in ec2.describe_instance_type_offerings(
            LocationType="availability-zone",
            Filters=[{"Name": "instance-type", "Values": ["t3.micro"]}],
        )["InstanceTypeOfferings"]
    }
    assert subnet["AvailabilityZone"] in offered
    # Chosen, not left to AWS (which may pick us-east-1e, where no t3 runs).
    created = [r for r in emulator.recorder.records() if r["eventName"] == "CreateSubnet"]
    assert created[-1]["requestParameters"].get("availabilityZone") == subnet["AvailabilityZone"]


def test_a_step_that_fails_says_what_was_built_and_how_teardown_removes_it(emulator, tmp_path):
    """A subnet left by an older deploy in us-east-1e (no t3 there): RunInstances fails; the
    script says where it stopped, what it built and the teardown command, which removes it."""
    e = emulator.endpoints
    ec2 = e.client("ec2")
    vpc = ec2.create_vpc(
        CidrBlock="10.42.0.0/16",
        TagSpecifications=[
            {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "lab-manual-vpc"}]}
        ],
    )["Vpc"]["VpcId"]
    ec2.create_subnet(
        VpcId=vpc,
        CidrBlock="10.42.0.0/24",
        AvailabilityZone="us-east-1e",
        TagSpecifications=[
            {"ResourceType": "subnet", "Tags": [{"Key": "Name", "Value": "lab-manual-subnet"}]}
        ],
    )
    state_file = tmp_path / "state.env"
    failed = _script("deploy.sh", emulator, state_file, DETECTORS="cron")
    assert failed.returncode != 0
    assert 'FAILED at step "7. The monitoring EC2 instance"' in failed.stderr
    assert "ALERT_TOPIC_ARN=arn:aws:sns:" in failed.stderr  # what was built, from the state file
    assert f"teardown.sh -s {state_file}" in failed.stderr
    assert _script("teardown.sh", emulator, state_file).returncode == 0
    assert e.client("sns").list_topics()["Topics"] == []


def test_the_accounts_own_config_recorder_is_adopted_and_left_at_teardown(emulator, tmp_path):
    """A region has one recorder (Organizations or Control Tower made it): deploy.sh adopts it
    instead of failing with MaxNumberOfConfigurationRecordersExceededException."""
    e = emulator.endpoints
    role = e.client("iam").create_role(
        RoleName="aws-controltower-ConfigRecorderRole",
        AssumeRolePolicyDocument=json.dumps(CONFIG_TRUST),
    )["Role"]["Arn"]
    config = e.client("config")
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "aws-controltower-BaselineConfigRecorder",
            "roleARN": role,
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
        }
    )
    arch = ManualArchitecture(detectors=("config",), run_id="run-adopt")
    state = arch.deploy(e, tmp_path)
    assert state["CONFIG_RECORDER_ADOPTED"] == "aws-controltower-BaselineConfigRecorder"
    assert "CONFIG_RECORDER" not in state
    rules = config.describe_config_rules()["ConfigRules"]
    assert rules and all(r["ConfigRuleName"].startswith("lab-manual-") for r in rules)
    arch.destroy(e, tmp_path)
    names = [r["name"] for r in config.describe_configuration_recorders()["ConfigurationRecorders"]]
    assert names == ["aws-controltower-BaselineConfigRecorder"]
    assert config.describe_config_rules()["ConfigRules"] == []


def test_teardown_reports_what_it_could_not_remove_and_what_is_left(emulator, tmp_path):
    """A subnet somebody added to the lab's VPC keeps the VPC from being deleted
    (DependencyViolation): teardown says so, lists what the run's tags still find, keeps the state
    file for a rerun and exits 1 instead of reporting success."""
    e = emulator.endpoints
    state_file = tmp_path / "state.env"
    deployed = _script("deploy.sh", emulator, state_file, DETECTORS="cron", LAB_RUN_ID="run-left")
    assert deployed.returncode == 0, deployed.stderr
    vpc = next(
        line.split("=", 1)[1] for line in state_file.read_text().splitlines() if "VPC_ID=" in line
    )
    e.client("ec2").create_subnet(
        VpcId=vpc, CidrBlock="10.42.9.0/24", AvailabilityZone="us-east-1a"
    )
    torn = _script("teardown.sh", emulator, state_file)
    assert torn.returncode == 1, torn.stderr
    assert f"delete VPC {vpc}: " in torn.stderr and "DependencyViolation" in torn.stderr
    assert f":vpc/{vpc}" in torn.stderr  # the inventory by tag
    assert state_file.exists()
    assert e.client("sns").list_topics()["Topics"] == []  # the rest went


def test_the_monitoring_instance_is_managed_through_ssm_as_the_readme_says(emulator, tmp_path):
    """No inbound rule: the instance is reachable only through Session Manager, which opens a
    session only to a managed node (its role has AmazonSSMManagedInstanceCore; the emulated
    account answers TargetNotConnected otherwise, as AWS does). The boundary lets the agent talk
    to Session Manager's and Run Command's channels."""
    from lab.targets.permissions import BOUNDARY, allows, document

    e = emulator.endpoints
    state = ManualArchitecture(detectors=("cron",), run_id="run-ssm").deploy(e, tmp_path)
    session = e.client("ssm", "operator").start_session(Target=state["INSTANCE_ID"])
    assert session["SessionId"]
    groups = e.client("ec2").describe_security_groups(GroupIds=[state["MONITOR_SG_ID"]])
    assert groups["SecurityGroups"][0]["IpPermissions"] == []
    boundary = document(BOUNDARY, e.account_id(), e.region)
    context = {"aws:RequestedRegion": e.region}
    for action in (
        "ssm:UpdateInstanceInformation",
        "ssmmessages:OpenControlChannel",
        "ec2messages:GetMessages",
    ):
        assert allows(boundary, action, "*", context), action


def test_a_bootstrap_that_fails_still_writes_the_detectors_and_alerts(emulator, tmp_path):
    """The monitoring instance's user data, as deployed, run by bash on this machine under a
    folder standing for the instance's root: its package install fails here for real (no dnf),
    as a mirror outage would on the instance. The detectors and their cron schedule are written
    before it, and the failure is published to the alert topic (with the real aws CLI)."""
    import base64
    import shutil

    from lab.sim.user_data import decode_user_data

    if shutil.which("dnf"):
        pytest.skip("this machine has dnf: the bootstrap would install packages on it")
    e = emulator.endpoints
    state = ManualArchitecture(detectors=("cron",), run_id="run-boot").deploy(e, tmp_path / "d")
    encoded = e.client("ec2").describe_instance_attribute(
        InstanceId=state["INSTANCE_ID"], Attribute="userData"
    )["UserData"]["Value"]
    assert base64.b64decode(encoded)[:2] == b"\x1f\x8b"
    root = tmp_path / "root"
    script = decode_user_data(encoded)
    for path in ("/opt/", "/etc/", "/var/", "/run/"):
        script = script.replace(f" {path}", f" {root}{path}")
    (tmp_path / "bootstrap.sh").write_text(script)
    run = subprocess.run(
        ["bash", str(tmp_path / "bootstrap.sh")],
        env={**os.environ, **e.cli_env("monitor")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode != 0  # dnf: command not found
    detectors = sorted(p.name for p in (root / "opt/lab/detectors").glob("*.sh"))
    assert detectors == sorted(p.name for p in (CLI_BASELINE_DIR / "detectors").glob("*.sh"))
    assert "sg-open-world.sh" in (root / "etc/cron.d/lab-detectors").read_text()
    published = [r for r in emulator.recorder.records() if r["eventName"] == "Publish"]
    assert published and "bootstrap FAILED" in published[-1]["requestParameters"]["subject"]
    assert published[-1]["requestParameters"]["topicArn"] == state["ALERT_TOPIC_ARN"]
