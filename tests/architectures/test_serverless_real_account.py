"""The serverless stack, deployed into the emulated account, read as AWS would act on it: what its
roles may do and where its rules send what."""

import pytest

from lab.architectures.serverless import ServerlessArchitecture
from lab.emulator.compat.policies import identity_allows

pytestmark = pytest.mark.terraform


@pytest.fixture
def stack(emulator, tmp_path, deploy_kept):
    """The stack in a fresh account: the first test deploys it for real and keeps it, the others
    replay it (about a second); the next test's account starts empty, so nothing is destroyed."""
    arch = ServerlessArchitecture(variables={"alert_email": "security@example.com"})
    outputs = deploy_kept(arch, emulator, tmp_path / "serverless")
    return emulator, outputs


def _role_arn(account: str, name: str) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def test_the_runbooks_may_revoke_the_attacked_roles_sessions_but_never_rewrite_the_stacks_roles(
    stack,
):
    """IAM's evaluation: an explicit Deny wins (IAM User Guide, "Policy evaluation logic"). The
    Deny that protects the responders must not cover the roles the lab attacks, or
    lab-RevokeRoleSessions and lab-QuarantineInstance's revoke step always fail on AWS."""
    emulator, _ = stack
    account = emulator.endpoints.account_id()
    automation = _role_arn(account, "lab-ssm-automation")
    for attacked in ("lab-target-instance-role", "lab-ssm-instance-credentials", "app-role"):
        assert identity_allows(
            account, automation, "iam:PutRolePolicy", _role_arn(account, attacked)
        ), attacked
    stack_roles = [r["RoleName"] for r in emulator.endpoints.client("iam").list_roles()["Roles"]]
    assert "lab-respond-role" in stack_roles and len(stack_roles) >= 5
    for own in stack_roles:
        assert not identity_allows(
            account, automation, "iam:PutRolePolicy", _role_arn(account, own)
        ), own


def test_the_stack_adopts_the_accounts_detector_recorder_and_hub_and_leaves_them(
    emulator, tmp_path
):
    """An account that Organizations or Control Tower set up has a GuardDuty detector, a Config
    recorder and Security Hub already, and a region has one of each (the emulated account refuses
    a second as AWS does): the stack adopts them, and its destroy leaves them."""
    from lab.targets.singletons import adopt

    e = emulator.endpoints
    detector = e.client("guardduty").create_detector(Enable=True)["DetectorId"]
    role = e.client("iam").create_role(
        RoleName="aws-controltower-ConfigRecorderRole",
        AssumeRolePolicyDocument='{"Version": "2012-10-17", "Statement": []}',
    )["Role"]["Arn"]
    config = e.client("config")
    config.put_configuration_recorder(
        ConfigurationRecorder={"name": "aws-controltower-BaselineConfigRecorder", "roleARN": role}
    )
    e.client("securityhub").enable_security_hub(EnableDefaultStandards=False)
    arch = ServerlessArchitecture(variables={"alert_email": "security@example.com"})
    adopt(arch, e)
    assert arch.variables["existing_guardduty_detector_id"] == detector
    outputs = arch.deploy(e, tmp_path)
    try:
        assert outputs["guardduty_detector_id"] == detector
        assert e.client("guardduty").list_detectors()["DetectorIds"] == [detector]
        recorders = config.describe_configuration_recorders()["ConfigurationRecorders"]
        assert [r["name"] for r in recorders] == ["aws-controltower-BaselineConfigRecorder"]
        assert outputs["config_rule_names"]  # the rules are the stack's, on the adopted recorder
    finally:
        arch.destroy(e, tmp_path)
    assert e.client("guardduty").list_detectors()["DetectorIds"] == [detector]
    assert config.describe_configuration_recorders()["ConfigurationRecorders"]
    assert e.client("securityhub").describe_hub()["HubArn"]


def _automation_event(status: str, document: str = "lab-DenySourceInNetworkAcl") -> dict:
    """An Automation execution status-change event as EventBridge delivers it (Systems Manager
    User Guide, "Amazon EventBridge event examples for Systems Manager")."""
    return {
        "version": "0",
        "id": "d290ece9-1088-4383-9df6-cd5b4ac42b99",
        "detail-type": "EC2 Automation Execution Status-change Notification",
        "source": "aws.ssm",
        "account": "123456789012",
        "time": "2026-01-05T09:43:35Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "ExecutionId": "333ba70b-2333-48db-b17e-a5e69c6f4d1c",
            "Definition": document,
            "DefinitionVersion": 1.0,
            "Status": status,
            "StartTime": "Jan 5, 2026 9:43:23 AM",
            "EndTime": "Jan 5, 2026 9:43:25 AM",
            "Time": 2630.0,
            "ExecutedBy": "arn:aws:sts::123456789012:assumed-role/lab-respond-role/lab-respond",
        },
    }


def test_a_runbook_that_fails_reaches_the_person(stack):
    """The orchestrator says "remediating" when it starts a runbook; a runbook that fails, times
    out or is cancelled must be heard of: a rule on Automation's status-change events sends it to
    the alert topic as one line (matched as the simulated EventBridge matches: moto's matcher,
    lab.sim.event_patterns; moto answers TestEventPattern with nothing)."""
    import json

    from lab.sim.event_patterns import event_pattern_matches

    emulator, outputs = stack
    events = emulator.endpoints.client("events")
    matching = []
    for rule in events.list_rules()["Rules"]:
        pattern = rule.get("EventPattern")
        if not pattern:
            continue

        def matches(event, pattern=pattern):
            return event_pattern_matches(json.loads(pattern), event)

        if matches(_automation_event("Failed")):
            matching.append(rule["Name"])
            assert matches(_automation_event("TimedOut"))
            assert not matches(_automation_event("Success"))
            assert not matches(_automation_event("Failed", document="SomeoneElsesRunbook"))
            targets = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
            assert [t["Arn"] for t in targets] == [outputs["alert_topic_arn"]]
            assert "runbook <runbook> <status>" in targets[0]["InputTransformer"]["InputTemplate"]
    assert matching == ["lab-runbook-failed"]
