"""A fair comparison: each detector of the competent manual baseline is deployed by the real CLI and
detects on the emulator; the person acts on alerts whichever architecture sent them."""

import json

import pytest

from lab.architectures.manual import ManualArchitecture
from lab.architectures.serverless import ServerlessArchitecture
from lab.attacks.registry import technique
from lab.experiment.scenario import Scenario
from lab.paths import RUNBOOKS_DIR
from lab.sim.calibration import Calibration
from lab.sim.runbook_index import Order, runbook_order
from tests.sim.test_simulation import run_trial

INDEX = RUNBOOKS_DIR / "index.yaml"


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _trial(emulator, workdir, technique_id, architecture, max_trial_s=6 * 3600):
    chosen = technique(technique_id)
    prerequisites = chosen.warm_up(emulator.endpoints)
    scenario = Scenario.model_validate(
        {
            "name": "fair",
            "seed": 9,
            "trials": 1,
            "techniques": [technique_id],
            "architectures": {architecture: {}},
            "max_trial_s": max_trial_s,
            "injection": "fixed",
        }
    )
    try:
        row, events = run_trial(
            emulator, scenario, Calibration.load(), chosen, prerequisites, architecture, 0, workdir
        )
    finally:
        chosen.cleanup(emulator.endpoints, prerequisites)
    return row, events


@pytest.fixture
def manual_with(emulator, tmp_path):
    """Deploy the manual baseline with only the given detectors (torn down after the test)."""
    deployed = []

    def deploy(*detectors):
        arch = ManualArchitecture(detectors=detectors)
        arch.deploy(emulator.endpoints, tmp_path / "manual")
        deployed.append(arch)
        return arch

    yield deploy
    for arch in deployed:
        arch.destroy(emulator.endpoints, tmp_path / "manual")


def test_manual_guardduty_finds_the_port_scan_and_the_person_quarantines(
    emulator, tmp_path, manual_with
):
    manual_with("guardduty")
    e = emulator.endpoints
    rule = e.client("events").describe_rule(Name="lab-manual-guardduty-findings")
    assert json.loads(rule["EventPattern"])["source"] == ["aws.guardduty"]
    targets = e.client("events").list_targets_by_rule(Rule="lab-manual-guardduty-findings")
    topic = targets["Targets"][0]["Arn"]
    policy = json.loads(
        e.client("sns").get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"]
    )
    assert any(
        s.get("Principal") == {"Service": "events.amazonaws.com"} for s in policy["Statement"]
    )
    row, events = _trial(emulator, tmp_path, "ec2-port-scan", "manual")
    assert row["outcome"] == "remediated", row
    assert row["detection_source"] == "guardduty:Recon:EC2/Portscan"
    assert row["remediated_by"] == "operator:instance-quarantine"
    assert not any(e["kind"] == "cron.ran" for e in events)  # no polling detectors deployed


def test_manual_config_finds_open_ssh_and_the_person_closes_it(emulator, tmp_path, manual_with):
    manual_with("config")
    config = emulator.endpoints.client("config")
    rules = {r["ConfigRuleName"] for r in config.describe_config_rules()["ConfigRules"]}
    stack_rules = json.loads(
        (RUNBOOKS_DIR.parent.parent / "terraform/modules/config/rules.json").read_text()
    )["rules"]
    assert rules == {"lab-manual-" + r["identifier"].lower().replace("_", "-") for r in stack_rules}
    status = config.describe_configuration_recorder_status()["ConfigurationRecordersStatus"]
    assert status[0]["recording"] is True
    row, _ = _trial(emulator, tmp_path, "ec2-sg-open-ssh", "manual")
    assert row["outcome"] == "remediated", row
    assert row["detection_source"] == "config:lab-manual-incoming-ssh-disabled"
    assert row["remediated_by"] == "operator:sg-open-world"


def test_manual_cis_alarms_watch_the_trail_and_alarm_on_a_deleted_one(
    emulator, tmp_path, manual_with
):
    manual_with("cis-alarms")
    e = emulator.endpoints
    trail = e.client("cloudtrail").describe_trails(trailNameList=["lab-manual-trail"])["trailList"]
    assert trail and trail[0]["CloudWatchLogsLogGroupArn"].endswith(
        ":log-group:/lab/manual/cloudtrail:*"
    )
    assert e.client("cloudtrail").get_trail_status(Name="lab-manual-trail")["IsLogging"] is True
    filters = e.client("logs").describe_metric_filters(logGroupName="/lab/manual/cloudtrail")
    controls = json.loads(
        (RUNBOOKS_DIR.parent.parent / "terraform/modules/cis_alarms/filters.json").read_text()
    )["controls"]
    assert {f["filterName"] for f in filters["metricFilters"]} == {
        f"lab-manual-cis-{c['id']}" for c in controls
    }
    row, events = _trial(emulator, tmp_path, "cloudtrail-delete-trail", "manual")
    # The alarm's e-mail names no trail: the person finds the DeleteTrail call behind it with the
    # metric filter's pattern in the trail's log group, then restores the trail it names.
    assert row["detection_source"] == "alarm:lab-manual-cis-cloudtrail-changes", row
    assert row["outcome"] == "remediated", row
    runbooks = [e["runbook"] for e in events if e["kind"] == "operator.runbook_done"]
    assert runbooks == ["cis-alarm-events.sh", "cloudtrail-restore.sh"]


def test_the_person_answers_serverless_alerts_and_automation_off_leaves_every_fix_to_them(
    emulator, tmp_path, deploy_kept
):
    arch = ServerlessArchitecture(
        variables={"alert_email": "security@example.com", "auto_remediation": False}
    )
    deploy_kept(arch, emulator, tmp_path / "serverless")
    try:
        # Least privilege: with automation off the functions hold none of the fixes' rights.
        iam = emulator.endpoints.client("iam")
        for role, policy in (
            ("lab-respond-role", "respond"),
            ("lab-remediate-sg-role", "remediate-sg"),
        ):
            document = iam.get_role_policy(RoleName=role, PolicyName=policy)["PolicyDocument"]
            actions = {a for s in document["Statement"] for a in _as_list(s["Action"])}
            assert "sns:Publish" in actions
            assert not actions & {
                "ec2:RevokeSecurityGroupIngress",
                "cloudtrail:StartLogging",
                "ssm:StartAutomationExecution",
                "iam:UpdateAccessKey",
            }, (role, actions)
        # "DeleteTrail: needs a look" names no runbook: the person maps it by the index, finds the
        # trail's bucket in the event history and recreates it.
        row, _ = _trial(emulator, tmp_path, "cloudtrail-delete-trail", "serverless")
        assert row["outcome"] == "remediated", row
        assert row["remediated_by"] == "operator:cloudtrail-restore"
        # What the Lambda would have fixed at once is now the person's.
        row, events = _trial(emulator, tmp_path, "ec2-sg-open-ssh", "serverless")
        assert row["outcome"] == "remediated", row
        assert row["remediated_by"] == "operator:sg-open-world"
        assert row["time_to_remediate_s"] > 60
        assert not any(e["kind"] == "ssm.automation_started" for e in events)
    finally:
        arch.destroy(emulator.endpoints, tmp_path / "serverless")


def test_the_index_maps_each_alert_shape_to_its_runbook():
    named = "Group open. Runbook: x.md (run: runbooks/sg-open-world.sh sg-1)"
    assert runbook_order(named, INDEX) == Order("sg-open-world.sh", ("sg-1",))
    needs_a_look = {
        "status": "alerted",
        "event": "CreateVolume",
        "detail": {"eventName": "CreateVolume", "responseElements": {"volumeId": "vol-1"}},
    }
    assert runbook_order(json.dumps(needs_a_look), INDEX) == Order(
        "volume-unencrypted.sh", ("vol-1",)
    )
    fixed = needs_a_look | {"status": "remediated"}
    assert runbook_order(json.dumps(fixed), INDEX) is None
    finding = {
        "detail-type": "GuardDuty Finding",
        "detail": {
            "type": "UnauthorizedAccess:EC2/SSHBruteForce",
            "resource": {"instanceDetails": {"instanceId": "i-1"}},
            "service": {
                "action": {
                    "networkConnectionAction": {"remoteIpDetails": {"ipAddressV4": "198.51.100.7"}}
                }
            },
        },
    }
    assert runbook_order(json.dumps(finding), INDEX) == Order(
        "ssh-brute-force.sh", ("i-1", "198.51.100.7")
    )
    compliance = {
        "detail-type": "Config Rules Compliance Change",
        "detail": {
            "configRuleName": "lab-manual-incoming-ssh-disabled",
            "resourceId": "sg-9",
            "newEvaluationResult": {"complianceType": "NON_COMPLIANT"},
        },
    }
    assert runbook_order(json.dumps(compliance), INDEX) == Order("sg-open-world.sh", ("sg-9",))
    compliant = json.loads(json.dumps(compliance))
    compliant["detail"]["newEvaluationResult"]["complianceType"] = "COMPLIANT"
    assert runbook_order(json.dumps(compliant), INDEX) is None
    # A CIS alarm's e-mail carries no resource: nothing to run.
    alarm = {"AlarmName": "lab-cis-cloudtrail-changes", "NewStateValue": "ALARM"}
    assert runbook_order(json.dumps(alarm), INDEX) is None
    # An entry whose argument the event lacks does not apply.
    no_id = {"detail": {"eventName": "CreateVolume", "responseElements": None}}
    assert runbook_order(json.dumps(no_id), INDEX) is None


def test_every_runbook_of_the_index_exists():
    from lab.sim.runbook_index import load_index

    for entry in load_index(INDEX):
        assert (RUNBOOKS_DIR / entry.runbook).is_file(), entry


@pytest.mark.parametrize(
    ("snippet", "named"),
    [
        ("architectures:\n  manual:\n    detectors: [cron, lambda]\n", "cis-alarms"),
        ("architectures:\n  manual: {}\ninjection: sometimes\n", "uniform-week"),
        ("architectures:\n  fast-arm:\n    detectors: [cron]\n", "architecture"),
        (
            "architectures:\n  arm:\n    architecture: manual\n    factors: {response: robot}\n"
            "factors:\n  response: [person, automation]\n",
            "person",
        ),
        ("architectures:\n  serverless:\n    auto_remediaton: false\n", "auto_remediation"),
    ],
)
def test_bad_designs_are_refused_with_the_allowed_values_and_nothing_written(
    tmp_path, snippet, named
):
    import subprocess
    import sys

    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\nseed: 1\ntrials: 1\ntechniques: [ec2-sg-open-ssh]\n" + snippet)
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "lab.cli", "run", str(path), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2, result.stderr
    assert named in result.stderr
    assert not out.exists()
