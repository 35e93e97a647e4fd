"""A runbook that fails reaches the person, as on AWS: the serverless stack deployed by real
Terraform, its automation role made unassumable (a trust policy that no longer names Systems
Manager), an open security group that only AWS Config sees (the trail stopped). Automation fails,
its status-change event matches the stack's own rule, SNS delivers the line, the person goes back
to the orchestrator's alert that started the execution and runs the runbook the index maps it to."""

import json

import pytest

from lab.architectures.serverless import ServerlessArchitecture
from lab.sim.event_patterns import CompiledPattern
from lab.sim.ssm_automation import STATUS_CHANGE
from tests.sim.test_simulation import TECHNIQUE, _trial

AUTOMATION_ROLE = "lab-ssm-automation"
RUNBOOK = "lab-RevokeWorldOpenIngress"  # the orchestrator's answer to incoming-ssh-disabled
ANY_STATUS_RULE = "test-any-automation-status"


@pytest.fixture(scope="module")
def stack(session_emulator, tmp_path_factory, deploy_kept):
    session_emulator.reset()
    workdir = tmp_path_factory.mktemp("serverless")
    arch = ServerlessArchitecture(variables={"alert_email": "security@example.com"})
    deploy_kept(arch, session_emulator, workdir)
    yield session_emulator, workdir
    # No destroy: every user of the session's emulator starts from a reset account (a Terraform
    # destroy here cost a provider start and about 5 s of CPU, and changed nothing).


@pytest.fixture
def config_only(stack):
    """The trail stopped: the open group reaches the orchestrator through AWS Config alone, which
    answers it with the Automation runbook (the fast path's Lambda never sees it)."""
    emulator, workdir = stack
    emulator.endpoints.client("cloudtrail").stop_logging(Name="lab-trail")
    yield emulator, workdir
    emulator.endpoints.client("cloudtrail").start_logging(Name="lab-trail")


@pytest.fixture
def unassumable_role(config_only):
    """The automation role's trust policy no longer lets Systems Manager assume it (as a careless
    edit, or an attacker, leaves it): every execution fails before its first step."""
    emulator, _ = config_only
    iam = emulator.endpoints.client("iam")
    trust = iam.get_role(RoleName=AUTOMATION_ROLE)["Role"]["AssumeRolePolicyDocument"]
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
    iam.update_assume_role_policy(RoleName=AUTOMATION_ROLE, PolicyDocument=json.dumps(ec2_only))
    yield config_only
    iam.update_assume_role_policy(RoleName=AUTOMATION_ROLE, PolicyDocument=json.dumps(trust))


def _status_change_rules(endpoints) -> dict[str, dict]:
    """The account's rules on Automation's status-change events: name -> pattern."""
    events = endpoints.client("events")
    found = {}
    for rule in events.list_rules(EventBusName="default")["Rules"]:
        pattern = json.loads(rule.get("EventPattern") or "{}")
        if STATUS_CHANGE in pattern.get("detail-type", []):
            found[rule["Name"]] = pattern
    return found


def _failure_rule(endpoints) -> str:
    """The deployed rule that reports a failed runbook: it matches a Failed execution of the
    stack's runbook and not a successful one (read from the account, not assumed)."""
    failed = {
        "source": "aws.ssm",
        "detail-type": STATUS_CHANGE,
        "detail": {"Definition": RUNBOOK, "Status": "Failed"},
    }
    succeeded = {**failed, "detail": {"Definition": RUNBOOK, "Status": "Success"}}
    names = [
        name
        for name, pattern in _status_change_rules(endpoints).items()
        if CompiledPattern(json.dumps(pattern)).matches_event(failed)
        and not CompiledPattern(json.dumps(pattern)).matches_event(succeeded)
    ]
    assert len(names) == 1, names
    return names[0]


def _kinds(events, kind: str) -> list[dict]:
    return [e for e in events if e["kind"] == kind]


@pytest.mark.terraform
def test_a_failed_runbook_pages_the_person_who_fixes_it_by_hand(unassumable_role):
    emulator, workdir = unassumable_role
    rule = _failure_rule(emulator.endpoints)
    row, events, prerequisites = _trial(emulator, workdir, "serverless")

    finished = [e for e in _kinds(events, "ssm.automation_finished") if e["document"] == RUNBOOK]
    assert [e["status"] for e in finished] == ["Failed"], finished
    assert "assume role" in finished[0]["failure"]
    execution = finished[0]["execution"]
    # The event matched the stack's rule, as an operation, never as the attack's detection.
    matched = _kinds(events, "eventbridge.matched_operational")
    assert [m["rule"] for m in matched] == [rule]
    assert not any(rule in str(e.get("source")) for e in events if e.get("detection"))
    assert rule not in str(row["detection_source"])
    # SNS delivered the line; the person traced it to the alert that started the execution.
    line = [e for e in _kinds(events, "sns.delivered") if e["subject"].endswith(rule)]
    assert line, "the failure line was not delivered"
    traced = _kinds(events, "operator.runbook_failure_traced")
    assert [(t["execution"], t["failed_runbook"], t["answer"]) for t in traced] == [
        (execution, RUNBOOK, "sg-open-world.sh")
    ]
    assert traced[0]["alert_subject"].startswith("[lab] Config ")
    done = [
        e for e in _kinds(events, "operator.runbook_done") if e["runbook"] == "sg-open-world.sh"
    ]
    assert [d["args"] for d in done] == [[prerequisites["group_id"]]]
    assert row["outcome"] == "remediated", row
    assert row["remediated_by"] == "operator:sg-open-world", row
    assert TECHNIQUE.is_remediated(emulator.endpoints, prerequisites)


@pytest.fixture
def any_status_rule(config_only):
    """A rule of the test's own on every Automation status change (no Status filter), to see the
    events a successful runbook emits."""
    emulator, _ = config_only
    events = emulator.endpoints.client("events")
    events.put_rule(
        Name=ANY_STATUS_RULE,
        EventPattern=json.dumps({"source": ["aws.ssm"], "detail-type": [STATUS_CHANGE]}),
    )
    yield config_only
    events.delete_rule(Name=ANY_STATUS_RULE)


@pytest.mark.terraform
def test_a_successful_runbook_emits_its_event_and_pages_nobody(any_status_rule):
    emulator, workdir = any_status_rule
    rule = _failure_rule(emulator.endpoints)
    row, events, _ = _trial(emulator, workdir, "serverless")
    finished = [e for e in _kinds(events, "ssm.automation_finished") if e["document"] == RUNBOOK]
    assert [e["status"] for e in finished] == ["Success"], finished
    matched = [m["rule"] for m in _kinds(events, "eventbridge.matched_operational")]
    assert ANY_STATUS_RULE in matched and rule not in matched, matched
    assert not [e for e in _kinds(events, "sns.delivered") if e["subject"].endswith(rule)]
    assert not _kinds(events, "operator.runbook_failure_traced")
    assert row["outcome"] == "remediated" and row["remediated_by"] == f"ssm:{RUNBOOK}", row
