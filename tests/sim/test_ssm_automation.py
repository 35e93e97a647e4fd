"""SSM Automation: the repo's runbook documents run by the lab's executor against the emulator, as
the role they assume, and really change the resources."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import yaml
from moto.ssm.models import ssm_backends

from lab.attacks.registry import technique
from lab.emulator.compat import ssm as compat
from lab.paths import REPO_ROOT
from lab.sim.calibration import Calibration
from lab.sim.kernel import Simulation
from lab.sim.ssm_automation import (
    SsmAutomation,
    duration_s,
    snake,
    ssm_may_assume,
    status_change_event,
    substitute,
)

DOCUMENTS = REPO_ROOT / "terraform" / "ssm"
EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_helpers() -> None:
    assert snake("CreateNetworkAclEntry") == "create_network_acl_entry"
    assert snake("GetTrailStatus") == "get_trail_status"
    assert duration_s("PT1H2M3S") == 3723 and duration_s("PT30S") == 30
    variables = {"Port": "22", "Ids": ["a", "b"], "step.Out": "x"}
    assert substitute({"P": "{{ Port }}", "L": "{{Ids}}", "S": "id-{{ step.Out }}"}, variables) == {
        "P": "22",
        "L": ["a", "b"],
        "S": "id-x",
    }


def _attacked(emulator, technique_id: str):
    """The technique warmed up and detonated: (technique, prerequisites)."""
    attack = technique(technique_id)
    prerequisites = attack.warm_up(emulator.endpoints)
    attack.detonate(emulator.endpoints, prerequisites)
    return attack, prerequisites


def _deploy_documents(emulator) -> str:
    ssm = emulator.endpoints.client("ssm")
    for path in sorted(DOCUMENTS.glob("*.yaml")):
        ssm.create_document(
            Name=path.stem,
            Content=path.read_text(),
            DocumentType="Automation",
            DocumentFormat="YAML",
        )
    iam = emulator.endpoints.client("iam")
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
    return iam.create_role(
        RoleName="lab-ssm-automation", AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]["Arn"]


def _run(emulator, document: str, parameters: dict[str, str], role: str) -> tuple[dict, list[dict]]:
    execution, calls, _, _ = _simulate(emulator, document, parameters, role)
    return execution, calls


def _simulate(emulator, document: str, parameters: dict[str, str], role: str):
    """Start ``document`` as the attacker and let Automation run it: (the execution as the API
    returns it, the calls routed, the simulation's timeline, the events it put on the bus)."""
    sim = Simulation(
        emulator.endpoints, emulator.recorder, Calibration.load(), np.random.default_rng(1), EPOCH
    )
    published: list[dict] = []
    SsmAutomation(sim, publish=lambda event, background: published.append(event))
    calls: list[dict] = []
    sim.subscribe(calls.append)

    def start():
        yield sim.env.timeout(1)
        response = emulator.endpoints.client("ssm", "attacker").start_automation_execution(
            DocumentName=document,
            Parameters={
                **{k: [v] for k, v in parameters.items()},
                **({"AutomationAssumeRole": [role]} if role else {}),
            },
        )
        sim.pump()
        start.execution_id = response["AutomationExecutionId"]

    sim.env.process(start())
    sim.env.run(until=3600)
    execution = emulator.endpoints.client("ssm").get_automation_execution(
        AutomationExecutionId=start.execution_id
    )["AutomationExecution"]
    return execution, calls, sim.timeline, published


@pytest.fixture
def target(emulator):
    brute_force, prerequisites = _attacked(emulator, "ec2-ssh-brute-force")
    return brute_force, prerequisites


def test_deny_source_in_network_acl(emulator, target) -> None:
    brute_force, prerequisites = target
    role = _deploy_documents(emulator)
    execution, calls = _run(
        emulator,
        "lab-DenySourceInNetworkAcl",
        {"InstanceId": prerequisites["instance_id"], "SourceIp": "203.0.113.66"},
        role,
    )
    assert execution["AutomationExecutionStatus"] == "Success", execution["StepExecutions"]
    assert [s["StepName"] for s in execution["StepExecutions"]] == ["DenySource"]
    assert brute_force.is_remediated(emulator.endpoints, prerequisites)
    # The calls were made as the automation role's session, as CloudTrail would record them.
    create = next(c for c in calls if c["eventName"] == "CreateNetworkAclEntry")
    assert create["userIdentity"]["type"] == "AssumedRole"
    assert "lab-ssm-automation" in create["userIdentity"]["arn"]
    # A second address gets the next free number below the allow rules (a fixed number collided).
    again, _ = _run(
        emulator,
        "lab-DenySourceInNetworkAcl",
        {"InstanceId": prerequisites["instance_id"], "SourceIp": "198.51.100.9"},
        role,
    )
    assert again["AutomationExecutionStatus"] == "Success", again["StepExecutions"]
    entries = emulator.endpoints.client("ec2").describe_network_acls(
        NetworkAclIds=[prerequisites["nacl_id"]]
    )["NetworkAcls"][0]["Entries"]
    denies = {e["CidrBlock"]: e["RuleNumber"] for e in entries if e["RuleAction"] == "deny"}
    assert denies["203.0.113.66/32"] < denies["198.51.100.9/32"] < 100


FINDING_TIME = "2026-01-05T09:20:00Z"


def test_quarantine_instance_isolates_and_snapshots(emulator) -> None:
    scan, prerequisites = _attacked(emulator, "ec2-port-scan")
    role = _deploy_documents(emulator)
    quarantine = {"InstanceId": prerequisites["instance_id"], "IssuedBefore": FINDING_TIME}
    execution, _ = _run(emulator, "lab-QuarantineInstance", quarantine, role)
    assert execution["AutomationExecutionStatus"] == "Success", execution["StepExecutions"]
    assert scan.is_remediated(emulator.endpoints, prerequisites)
    ec2 = emulator.endpoints.client("ec2")
    instance = ec2.describe_instances(InstanceIds=[prerequisites["instance_id"]])["Reservations"][
        0
    ]["Instances"][0]
    root = next(
        m["Ebs"]["VolumeId"]
        for m in instance["BlockDeviceMappings"]
        if m["DeviceName"] == instance["RootDeviceName"]
    )
    snapshots = ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]
    assert any(
        prerequisites["instance_id"] in s["Description"] and s["VolumeId"] == root
        for s in snapshots
    )
    # The next trial quarantines the same instance again (found by the full matrix: the second
    # CreateSecurityGroup used to fail with InvalidGroup.Duplicate).
    scan.revert(emulator.endpoints, prerequisites)
    scan.detonate(emulator.endpoints, prerequisites)
    again, _ = _run(emulator, "lab-QuarantineInstance", quarantine, role)
    assert again["AutomationExecutionStatus"] == "Success", again["StepExecutions"]
    assert scan.is_remediated(emulator.endpoints, prerequisites)


def test_a_failed_assertion_fails_the_execution(emulator) -> None:
    role = _deploy_documents(emulator)
    execution, _ = _run(
        emulator, "lab-EnableCloudTrailLogging", {"TrailName": "no-such-trail"}, role
    )
    assert execution["AutomationExecutionStatus"] == "Failed"
    assert execution["StepExecutions"][0]["StepStatus"] == "Failed"
    assert "TrailNotFound" in execution["StepExecutions"][0]["FailureMessage"]


def test_unknown_document_is_refused(emulator) -> None:
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError, match="does not exist"):
        emulator.endpoints.client("ssm").start_automation_execution(DocumentName="nope")
    # Nothing was started: the account has no execution of the refused document.
    backend = ssm_backends[emulator.endpoints.account_id()][emulator.endpoints.region]
    assert not any(e["DocumentName"] == "nope" for e in compat.executions(backend).values())


def test_every_document_uses_only_supported_actions() -> None:
    import yaml

    supported = {
        "aws:executeAwsApi",
        "aws:assertAwsResourceProperty",
        "aws:waitForAwsResourceProperty",
        "aws:branch",
        "aws:sleep",
        "aws:executeScript",
    }
    for path in DOCUMENTS.glob("*.yaml"):
        document = yaml.safe_load(Path(path).read_text())
        assert document["schemaVersion"] == "0.3" and document["assumeRole"]
        assert {s["action"] for s in document["mainSteps"]} <= supported, path.name


def test_revoke_world_open_ingress_and_start_config_recorder(emulator) -> None:
    ssh, prerequisites = _attacked(emulator, "ec2-sg-open-ssh")
    ec2 = emulator.endpoints.client("ec2")
    # Also open to the IPv6 Internet through a port range, and an intended HTTPS rule.
    ec2.authorize_security_group_ingress(
        GroupId=prerequisites["group_id"],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 20,
                "ToPort": 30,
                "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
            },
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            },
        ],
    )
    role = _deploy_documents(emulator)
    execution, _ = _run(
        emulator, "lab-RevokeWorldOpenIngress", {"GroupId": prerequisites["group_id"]}, role
    )
    assert execution["AutomationExecutionStatus"] == "Success", execution["StepExecutions"]
    assert ssh.is_remediated(emulator.endpoints, prerequisites)
    rules = ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [prerequisites["group_id"]]}]
    )["SecurityGroupRules"]
    assert [(r["FromPort"], r.get("CidrIpv4")) for r in rules if not r["IsEgress"]] == [
        (443, "0.0.0.0/0")
    ]
    stopped, recorder = _attacked(emulator, "config-stop-recorder")
    execution, _ = _run(
        emulator, "lab-StartConfigRecorder", {"RecorderName": recorder["recorder"]}, role
    )
    assert execution["AutomationExecutionStatus"] == "Success", execution["StepExecutions"]
    assert stopped.is_remediated(emulator.endpoints, recorder)


def test_an_all_traffic_rule_covers_the_port_and_is_revoked_too(emulator) -> None:
    # All ports open (protocol -1) opens tcp/22 as well: the runbook revokes it (it used to
    # revoke only a tcp/22 rule, fail, continue, and leave the group open).
    everything, prerequisites = _attacked(emulator, "ec2-sg-open-all-ports")
    role = _deploy_documents(emulator)
    execution, _ = _run(
        emulator, "lab-RevokeWorldOpenIngress", {"GroupId": prerequisites["group_id"]}, role
    )
    steps = [(s["StepName"], s["StepStatus"]) for s in execution["StepExecutions"]]
    assert steps == [("RevokeWorldOpen", "Success")], steps
    assert everything.is_remediated(emulator.endpoints, prerequisites)


def test_a_failed_step_that_continues_goes_on_to_the_next(emulator) -> None:
    # A runbook's step that may fail (AdministratorAccess not attached) goes on to the next.
    user = emulator.endpoints.client("iam")
    user.create_user(UserName="lab-two-keys")
    first = user.create_access_key(UserName="lab-two-keys")["AccessKey"]["AccessKeyId"]
    second = user.create_access_key(UserName="lab-two-keys")["AccessKey"]["AccessKeyId"]
    role = _deploy_documents(emulator)
    execution, _ = _run(
        emulator,
        "lab-DeactivateAccessKey",
        {"UserName": "lab-two-keys", "AccessKeyId": second},
        role,
    )
    steps = [(s["StepName"], s["StepStatus"]) for s in execution["StepExecutions"]]
    assert steps == [
        ("DeactivateKey", "Success"),
        ("DetachAdministratorAccess", "Failed"),
        ("VerifyInactive", "Success"),
    ], steps
    assert execution["AutomationExecutionStatus"] == "Success"
    # The key named is verified, not the user's first (which stays active, as it should).
    keys = {
        k["AccessKeyId"]: k["Status"]
        for k in user.list_access_keys(UserName="lab-two-keys")["AccessKeyMetadata"]
    }
    assert keys == {first: "Active", second: "Inactive"}


BRANCHING = """
schemaVersion: '0.3'
parameters:
  Mode: {type: String, default: fast}
mainSteps:
  - name: Choose
    action: aws:branch
    inputs:
      Choices:
        - {NextStep: Wait, Variable: '{{ Mode }}', StringEquals: slow}
      Default: ListTrails
  - name: Wait
    action: aws:sleep
    inputs: {Duration: PT10M}
  - name: ListTrails
    action: aws:executeAwsApi
    isEnd: true
    inputs: {Service: cloudtrail, Api: DescribeTrails}
    outputs:
      - {Name: Count, Selector: '$.trailList', Type: MapList}
"""


@pytest.mark.parametrize(
    ("mode", "steps", "minimum_s"),
    [("fast", ["Choose", "ListTrails"], 0), ("slow", ["Choose", "Wait", "ListTrails"], 600)],
)
def test_branch_and_sleep(emulator, mode, steps, minimum_s) -> None:
    ssm = emulator.endpoints.client("ssm")
    ssm.create_document(
        Name="lab-Branching", Content=BRANCHING, DocumentType="Automation", DocumentFormat="YAML"
    )
    execution, _ = _run(emulator, "lab-Branching", {"Mode": mode}, role="")
    assert execution["AutomationExecutionStatus"] == "Success", execution["StepExecutions"]
    assert [s["StepName"] for s in execution["StepExecutions"]] == steps
    first, last = execution["StepExecutions"][0], execution["StepExecutions"][-1]
    assert (last["ExecutionEndTime"] - first["ExecutionStartTime"]).total_seconds() >= minimum_s


TYPED = """
schemaVersion: '0.3'
parameters:
  Count: {type: Integer, default: 5}
  Day: {type: String, default: '2026-01-05T00:00:00Z', allowedPattern: '^\\d{4}-\\d{2}-\\d{2}T'}
mainSteps:
  - name: ListTyped
    action: aws:executeAwsApi
    inputs: {Service: cloudtrail, Api: LookupEvents, MaxResults: '{{ Count }}'}
  - name: ListAsWritten
    action: aws:executeAwsApi
    isEnd: true
    inputs: {Service: cloudtrail, Api: LookupEvents, MaxResults: '5'}
"""


def test_parameters_take_their_declared_types_and_nothing_else_is_converted(emulator) -> None:
    """An Integer parameter reaches the API as a number; a number written as a string in the
    document is refused by the API (Automation does not convert it); a parameter that is not of
    its type, or not of its allowed pattern, fails the execution before any step."""
    ssm = emulator.endpoints.client("ssm")
    ssm.create_document(
        Name="lab-Typed", Content=TYPED, DocumentType="Automation", DocumentFormat="YAML"
    )
    execution, _ = _run(emulator, "lab-Typed", {"Count": "3"}, role="")
    steps = [(s["StepName"], s["StepStatus"]) for s in execution["StepExecutions"]]
    assert steps == [("ListTyped", "Success"), ("ListAsWritten", "Failed")], steps
    assert "MaxResults" in execution["StepExecutions"][1]["FailureMessage"]
    for bad in ({"Count": "three"}, {"Day": "2026-01-05_09.00.00"}):
        execution, _ = _run(emulator, "lab-Typed", bad, role="")
        assert execution["AutomationExecutionStatus"] == "Failed"
        assert execution["StepExecutions"] == []


def test_role_sessions_are_revoked_before_an_iso_moment(emulator) -> None:
    """The revocation's aws:TokenIssueTime is the ISO 8601 moment it is given (Automation's own
    global:DATE_TIME, yyyy-MM-dd_HH.mm.ss, is not a date the condition takes)."""
    exfiltration, prerequisites = _attacked(emulator, "instance-credential-exfiltration")
    role = _deploy_documents(emulator)
    moment = "2026-01-05T09:20:00Z"
    execution, _ = _run(
        emulator,
        "lab-RevokeRoleSessions",
        {"RoleName": prerequisites["role"], "IssuedBefore": moment},
        role,
    )
    assert execution["AutomationExecutionStatus"] == "Success", execution["StepExecutions"]
    policy = emulator.endpoints.client("iam").get_role_policy(
        RoleName=prerequisites["role"], PolicyName="AWSRevokeOlderSessions"
    )["PolicyDocument"]
    condition = policy["Statement"][0]["Condition"]["DateLessThan"]["aws:TokenIssueTime"]
    assert datetime.fromisoformat(condition.replace("Z", "+00:00")) == datetime(
        2026, 1, 5, 9, 20, tzinfo=UTC
    )
    assert exfiltration.is_remediated(emulator.endpoints, prerequisites)


def test_quarantine_revokes_the_instance_roles_older_sessions(emulator) -> None:
    """An instance with a role: its sessions issued before the finding are denied (stolen instance
    credentials stop working), beside the isolation."""
    _, prerequisites = _attacked(emulator, "instance-credential-exfiltration")
    role = _deploy_documents(emulator)
    execution, _ = _run(
        emulator,
        "lab-QuarantineInstance",
        {"InstanceId": prerequisites["instance_id"], "IssuedBefore": FINDING_TIME},
        role,
    )
    assert execution["AutomationExecutionStatus"] == "Success", execution["StepExecutions"]
    assert execution["Outputs"]["RevokeInstanceRoleSessions.Roles"] == [
        str([prerequisites["role"]])
    ]
    policy = emulator.endpoints.client("iam").get_role_policy(
        RoleName=prerequisites["role"], PolicyName="AWSRevokeOlderSessions"
    )["PolicyDocument"]
    assert policy["Statement"][0]["Condition"]["DateLessThan"]["aws:TokenIssueTime"] == FINDING_TIME


def test_an_execution_that_ends_puts_its_status_change_on_the_bus(emulator, target) -> None:
    """Shaped as the Systems Manager User Guide's example event; a success is a response."""
    _, prerequisites = target
    role = _deploy_documents(emulator)
    parameters = {"InstanceId": prerequisites["instance_id"], "SourceIp": "203.0.113.66"}
    execution, _, timeline, published = _simulate(
        emulator, "lab-DenySourceInNetworkAcl", parameters, role
    )
    assert execution["AutomationExecutionStatus"] == "Success"
    execution_id = execution["AutomationExecutionId"]
    account, region = emulator.endpoints.account_id(), emulator.endpoints.region
    (event,) = published
    assert {k: event[k] for k in ("version", "detail-type", "source", "account", "region")} == {
        "version": "0",
        "detail-type": "EC2 Automation Execution Status-change Notification",
        "source": "aws.ssm",
        "account": account,
        "region": region,
    }
    assert event["resources"] == [
        f"arn:aws:ssm:{region}:{account}:automation-execution/{execution_id}",
        f"arn:aws:ssm:{region}:{account}:automation-definition/lab-DenySourceInNetworkAcl:1",
    ]
    detail = event["detail"]
    assert detail["ExecutionId"] == execution_id and detail["Status"] == "Success"
    assert (
        detail["Definition"] == "lab-DenySourceInNetworkAcl" and detail["DefinitionVersion"] == 1.0
    )
    assert detail["ExecutedBy"].startswith("arn:aws:") and ":user/" in detail["ExecutedBy"]
    # Started at 09:00:01 (the test's start), ended when the last step did; Time in milliseconds.
    assert detail["StartTime"] == "Jan 5, 2026 9:00:01 AM"
    finished = next(e for e in timeline if e["kind"] == "ssm.automation_finished")
    assert detail["Time"] == pytest.approx((finished["t_s"] - 1) * 1000, abs=0.1)
    assert event["time"] == finished["time"]
    assert [e["source"] for e in timeline if e["kind"] == "responder.finished"] == [
        "ssm:lab-DenySourceInNetworkAcl"
    ]
    # The same execution gives the same event id (derived, not random).
    assert (
        event["id"]
        == status_change_event(
            {**execution, "DocumentVersion": "1", "ExecutedBy": detail["ExecutedBy"]},
            account,
            region,
            EPOCH,
            EPOCH,
            event["time"],
        )["id"]
    )


def test_a_role_ssm_may_not_assume_fails_the_execution_before_any_step(emulator, target) -> None:
    _, prerequisites = target
    role = _deploy_documents(emulator)
    iam = emulator.endpoints.client("iam")
    ec2_only = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.update_assume_role_policy(
        RoleName="lab-ssm-automation", PolicyDocument=json.dumps(ec2_only)
    )
    parameters = {"InstanceId": prerequisites["instance_id"], "SourceIp": "203.0.113.66"}
    execution, calls, timeline, published = _simulate(
        emulator, "lab-DenySourceInNetworkAcl", parameters, role
    )
    assert execution["AutomationExecutionStatus"] == "Failed"
    assert execution["StepExecutions"] == []
    assert not any(c["eventName"] == "CreateNetworkAclEntry" for c in calls)
    assert [e["detail"]["Status"] for e in published] == ["Failed"]
    finished = next(e for e in timeline if e["kind"] == "ssm.automation_finished")
    assert finished["failure"] == "The defined assume role is unable to be assumed."
    assert not any(e["kind"] == "responder.finished" for e in timeline)


def test_ssm_may_assume_reads_the_trust_policy_and_its_conditions() -> None:
    context = {
        "aws:SourceAccount": "123456789012",
        "aws:SourceArn": "arn:aws:ssm:us-east-1:123456789012:automation-execution/e-1",
    }
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "ssm.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    assert ssm_may_assume({"Statement": [statement]}, context)
    scoped = {
        **statement,
        "Condition": {
            "StringEquals": {"aws:SourceAccount": "123456789012"},
            "ArnLike": {"aws:SourceArn": "arn:aws:ssm:*:123456789012:automation-execution/*"},
        },
    }
    assert ssm_may_assume({"Statement": [scoped]}, context)
    other_account = {**scoped, "Condition": {"StringEquals": {"aws:SourceAccount": "999"}}}
    assert not ssm_may_assume({"Statement": [other_account]}, context)
    not_other = {**scoped, "Condition": {"StringNotEquals": {"aws:SourceAccount": "999"}}}
    assert ssm_may_assume({"Statement": [not_other]}, context)
    unset = {**statement, "Condition": {"StringEquals": {"aws:PrincipalTag/team": "x"}}}
    assert not ssm_may_assume({"Statement": [unset]}, context)
    if_exists = {**statement, "Condition": {"StringEqualsIfExists": {"aws:PrincipalTag/t": "x"}}}
    assert ssm_may_assume({"Statement": [if_exists]}, context)
    denied = {**statement, "Effect": "Deny"}
    assert not ssm_may_assume({"Statement": [statement, denied]}, context)
    ec2 = {**statement, "Principal": {"Service": "ec2.amazonaws.com"}}
    assert not ssm_may_assume(json.dumps({"Statement": ec2}), context)


def test_a_runbook_that_fixes_then_fails_is_no_response(emulator) -> None:
    """Its first step closed the group, its last failed: the execution is Failed, and a failed
    runbook is not the fix of the incident (nothing credits it; the person is told instead)."""
    _, prerequisites = _attacked(emulator, "ec2-sg-open-ssh")
    role = _deploy_documents(emulator)
    emulator.endpoints.client("ssm").create_document(
        Name="lab-FixThenFail",
        DocumentType="Automation",
        DocumentFormat="YAML",
        Content=yaml.safe_dump(
            {
                "schemaVersion": "0.3",
                "assumeRole": "{{ AutomationAssumeRole }}",
                "parameters": {
                    "AutomationAssumeRole": {"type": "String"},
                    "GroupId": {"type": "String"},
                },
                "mainSteps": [
                    {
                        "name": "Revoke",
                        "action": "aws:executeAwsApi",
                        "inputs": {
                            "Service": "ec2",
                            "Api": "RevokeSecurityGroupIngress",
                            "GroupId": "{{ GroupId }}",
                            "IpPermissions": [
                                {
                                    "IpProtocol": "tcp",
                                    "FromPort": 22,
                                    "ToPort": 22,
                                    "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                                }
                            ],
                        },
                    },
                    {
                        "name": "Check",
                        "action": "aws:assertAwsResourceProperty",
                        "inputs": {
                            "Service": "ec2",
                            "Api": "DescribeSecurityGroups",
                            "GroupIds": ["{{ GroupId }}"],
                            "PropertySelector": "$.SecurityGroups[0].GroupName",
                            "DesiredValues": ["a name it does not have"],
                        },
                    },
                ],
            }
        ),
    )
    execution, _, timeline, published = _simulate(
        emulator, "lab-FixThenFail", {"GroupId": prerequisites["group_id"]}, role
    )
    steps = [(s["StepName"], s["StepStatus"]) for s in execution["StepExecutions"]]
    assert steps == [("Revoke", "Success"), ("Check", "Failed")], steps
    assert technique("ec2-sg-open-ssh").is_remediated(emulator.endpoints, prerequisites)
    assert [e["detail"]["Status"] for e in published] == ["Failed"]
    assert not any(e["kind"] == "responder.finished" for e in timeline)
