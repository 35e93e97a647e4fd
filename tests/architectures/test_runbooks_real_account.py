"""Runbooks and a rerun of deploy.sh as they behave on a real account: the
manual runbooks with the real aws CLI, the SSM documents run by the lab's Automation executor,
both against the emulated account."""

import json
import os
import subprocess
import time
from datetime import UTC, datetime

import numpy as np
import pytest

from lab.architectures.manual import ManualArchitecture
from lab.paths import CLI_BASELINE_DIR, REPO_ROOT
from lab.sim.calibration import Calibration
from lab.sim.kernel import Simulation
from lab.sim.ssm_automation import SsmAutomation

pytestmark = pytest.mark.integration


def _runbook(emulator, name, *args, **env):
    return subprocess.run(
        [str(CLI_BASELINE_DIR / "runbooks" / name), *args],
        env={**os.environ, **emulator.endpoints.cli_env("operator"), **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def instance(emulator):
    """An instance in its own subnet (us-east-1a), whose network ACL allows from rule 100."""
    ec2 = emulator.endpoints.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.7.1.0/24", AvailabilityZone="us-east-1a")
    subnet_id = subnet["Subnet"]["SubnetId"]
    image = ec2.describe_images()["Images"][0]["ImageId"]
    instance_id = ec2.run_instances(
        ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1, SubnetId=subnet_id
    )["Instances"][0]["InstanceId"]
    acl = ec2.describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}]
    )["NetworkAcls"][0]["NetworkAclId"]
    return instance_id, acl


def _denied(emulator, acl):
    entries = emulator.endpoints.client("ec2").describe_network_acls(NetworkAclIds=[acl])[
        "NetworkAcls"
    ][0]["Entries"]
    return {
        e["CidrBlock"]: e["RuleNumber"]
        for e in entries
        if e["RuleAction"] == "deny" and e["RuleNumber"] < 32767  # not the default deny
    }


def test_ssh_brute_force_denies_a_second_source_under_its_own_rule_number(emulator, instance):
    """A fixed rule number (50) made the second source's entry collide
    (NetworkAclEntryAlreadyExists): each source gets the lowest number free below the allows."""
    _, acl = instance
    first = _runbook(emulator, "ssh-brute-force.sh", acl, "203.0.113.9")
    assert first.returncode == 0, first.stderr
    second = _runbook(emulator, "ssh-brute-force.sh", acl, "198.51.100.7")
    assert second.returncode == 0, second.stderr
    denied = _denied(emulator, acl)
    assert set(denied) >= {"203.0.113.9/32", "198.51.100.7/32"}
    assert denied["203.0.113.9/32"] != denied["198.51.100.7/32"]
    assert max(denied.values()) < 100
    again = _runbook(emulator, "ssh-brute-force.sh", acl, "198.51.100.7")  # nothing to add
    assert again.returncode == 0 and "denied already" in again.stdout


def test_ssh_brute_force_finds_a_guesser_of_keys_for_a_real_user(emulator, instance):
    """A wrong key for a user that exists leaves "Connection closed by authenticating user", not
    "Invalid user": the Logs Insights query must count both (the metric filter already does)."""
    instance_id, acl = instance
    logs = emulator.endpoints.client("logs")
    logs.create_log_group(logGroupName="/lab/manual/secure")
    logs.create_log_stream(logGroupName="/lab/manual/secure", logStreamName=instance_id)
    now_ms = int(time.time() * 1000)
    line = "sshd[812]: Connection closed by authenticating user ec2-user 203.0.113.77 port {} [preauth]"
    logs.put_log_events(
        logGroupName="/lab/manual/secure",
        logStreamName=instance_id,
        logEvents=[{"timestamp": now_ms + i, "message": line.format(40000 + i)} for i in range(12)],
    )
    found = _runbook(emulator, "ssh-brute-force.sh", LAB_NOW=str(int(time.time())))
    assert found.returncode == 0, found.stderr
    assert f"source 203.0.113.77, instance {instance_id}" in found.stdout
    assert "203.0.113.77/32" in _denied(emulator, acl)


def test_deploy_reruns_with_a_new_run_id_after_a_crash(emulator, tmp_path):
    """The state file of the crashed run is gone and the new run has its own id: the alert topic
    (tagged with the old id) is reused, since CreateTopic with other tags is refused."""
    e = emulator.endpoints
    ManualArchitecture(detectors=("cron",), run_id="run-crashed").deploy(e, tmp_path / "a")
    state = ManualArchitecture(detectors=("cron",), run_id="run-again").deploy(e, tmp_path / "b")
    tags = e.client("sns").list_tags_for_resource(ResourceArn=state["ALERT_TOPIC_ARN"])["Tags"]
    assert {"Key": "lab:run-id", "Value": "run-again"} in tags
    assert len(e.client("sns").list_topics()["Topics"]) == 1


def test_create_topic_refuses_an_existing_topic_with_other_tags(emulator):
    sns = emulator.endpoints.client("sns")
    tags = [{"Key": "lab:run-id", "Value": "one"}]
    arn = sns.create_topic(Name="lab-compat-topic", Tags=tags)["TopicArn"]
    assert sns.create_topic(Name="lab-compat-topic", Tags=tags)["TopicArn"] == arn
    assert sns.create_topic(Name="lab-compat-topic")["TopicArn"] == arn
    with pytest.raises(sns.exceptions.InvalidParameterException, match="different tags"):
        sns.create_topic(Name="lab-compat-topic", Tags=[{"Key": "lab:run-id", "Value": "two"}])


def test_quarantine_iam_user_verifies_whatever_order_iam_lists_the_policies_in(emulator):
    """ListAttachedUserPolicies has no guaranteed order: a user with another policy attached
    first was quarantined, yet the runbook's check of AttachedPolicies[0] failed it."""
    e = emulator.endpoints
    iam = e.client("iam")
    iam.create_user(UserName="lab-dev")
    iam.attach_user_policy(
        UserName="lab-dev", PolicyArn="arn:aws:iam::aws:policy/AWSCloudTrail_ReadOnlyAccess"
    )
    path = REPO_ROOT / "terraform" / "ssm" / "lab-QuarantineIamUser.yaml"
    e.client("ssm").create_document(
        Name="lab-QuarantineIamUser",
        Content=path.read_text(),
        DocumentType="Automation",
        DocumentFormat="YAML",
    )
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ssm.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = iam.create_role(
        RoleName="lab-ssm-automation", AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]["Arn"]
    sim = Simulation(
        e,
        emulator.recorder,
        Calibration.load(),
        np.random.default_rng(1),
        datetime(2026, 1, 5, 9, tzinfo=UTC),
    )
    SsmAutomation(sim)
    started = {}

    def start():
        yield sim.env.timeout(1)
        started["id"] = e.client("ssm", "attacker").start_automation_execution(
            DocumentName="lab-QuarantineIamUser",
            Parameters={"UserName": ["lab-dev"], "AutomationAssumeRole": [role]},
        )["AutomationExecutionId"]
        sim.pump()

    sim.env.process(start())
    sim.env.run(until=3600)
    execution = e.client("ssm").get_automation_execution(AutomationExecutionId=started["id"])[
        "AutomationExecution"
    ]
    assert execution["AutomationExecutionStatus"] == "Success", execution["StepExecutions"]
    attached = [
        p["PolicyName"]
        for p in iam.list_attached_user_policies(UserName="lab-dev")["AttachedPolicies"]
    ]
    assert (
        attached[0] == "AWSCloudTrail_ReadOnlyAccess"
        and "AWSCompromisedKeyQuarantineV3" in attached
    )
