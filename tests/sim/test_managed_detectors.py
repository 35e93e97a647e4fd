"""GuardDuty and Security Hub in virtual time against the emulator over HTTP: a finding exists only
when the detector (or hub integration) that produces it is deployed and enabled; findings are in
GuardDuty's JSON and, imported, valid ASFF."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise

import numpy as np
import pytest
from botocore.exceptions import ClientError

from lab.attacks.activity import Activity
from lab.attacks.log_delivery import config_bucket_policy, trail_bucket_policy
from lab.attacks.registry import technique
from lab.emulator.compat.securityhub import ASFF_REQUIRED
from lab.sim.calibration import Calibration
from lab.sim.guardduty import finding_types
from lab.sim.kernel import Simulation
from lab.sim.security_hub import asff_from_guardduty, severity_label
from lab.sim.services import start_services
from tests.sim.test_log_pipeline import _instance as run_bare_instance

EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _services(emulator, tmp_path, calibration: Calibration | None = None):
    calibration = calibration or Calibration.load()
    sim = Simulation(
        emulator.endpoints, emulator.recorder, calibration, np.random.default_rng(2), EPOCH
    )
    services = start_services(sim, tmp_path, Calibration.load().operator("soc-24x7"), tmp_path)
    published: list[dict] = []
    services.eventbridge.put_event = published.append  # what reaches the default bus
    services.security_hub.publish = published.append
    services.config.publish = published.append
    return sim, services, published


def _stop_a_trail(emulator, sim) -> None:
    e = emulator.endpoints
    e.client("s3").create_bucket(Bucket="gd-trail-bucket")
    e.client("s3").put_bucket_policy(
        Bucket="gd-trail-bucket", Policy=trail_bucket_policy("gd-trail-bucket", e.account_id())
    )
    e.client("cloudtrail").create_trail(Name="gd-trail", S3BucketName="gd-trail-bucket")
    e.client("cloudtrail").start_logging(Name="gd-trail")
    sim.recorder.drain()

    def attack():
        yield sim.env.timeout(5)
        e.client("cloudtrail", "attacker").stop_logging(Name="gd-trail")
        sim.pump()

    sim.env.process(attack())


def test_no_detector_no_finding(emulator, tmp_path) -> None:
    sim, services, published = _services(emulator, tmp_path)
    _stop_a_trail(emulator, sim)
    sim.env.run(until=3600)
    services.close()
    assert not [e for e in sim.timeline if e["kind"] == "guardduty.finding"]
    assert not [p for p in published if p["source"] == "aws.guardduty"]


def test_disabled_detector_no_finding(emulator, tmp_path) -> None:
    emulator.endpoints.client("guardduty").create_detector(Enable=False)
    sim, services, published = _services(emulator, tmp_path)
    _stop_a_trail(emulator, sim)
    sim.env.run(until=3600)
    services.close()
    assert not [e for e in sim.timeline if e["kind"] == "guardduty.finding"]
    assert not [p for p in published if p["source"] == "aws.guardduty"]


def test_enabled_detector_raises_finding_in_guardduty_json(emulator, tmp_path) -> None:
    detector = emulator.endpoints.client("guardduty").create_detector(
        Enable=True, FindingPublishingFrequency="FIFTEEN_MINUTES"
    )["DetectorId"]
    sim, services, published = _services(emulator, tmp_path)
    _stop_a_trail(emulator, sim)
    sim.env.run(until=3600)
    services.close()
    finding_event = next(e for e in sim.timeline if e["kind"] == "guardduty.finding")
    assert finding_event["source"] == "guardduty:Stealth:IAMUser/CloudTrailLoggingDisabled"
    assert finding_event["detection"] is True
    event = next(p for p in published if p["source"] == "aws.guardduty")
    assert event["detail-type"] == "GuardDuty Finding"
    finding = event["detail"]
    assert finding["type"] == "Stealth:IAMUser/CloudTrailLoggingDisabled"
    assert finding["service"]["detectorId"] == detector
    assert finding["resource"]["resourceType"] == "AccessKey"
    assert finding["service"]["action"]["awsApiCallAction"]["affectedResources"] == {
        "AWS::CloudTrail::Trail": "gd-trail"
    }
    assert finding["arn"].startswith(
        f"arn:aws:guardduty:us-east-1:123456789012:detector/{detector}/finding/"
    )


def _api_findings(emulator, tmp_path, calls, calibration: Calibration | None = None) -> list[str]:
    """The finding types GuardDuty raises for ``calls`` (each given the attacker's clients)."""
    emulator.endpoints.client("guardduty").create_detector(Enable=True)
    sim, services, _ = _services(emulator, tmp_path, calibration)

    def attack():
        yield sim.env.timeout(5)
        calls(lambda service: emulator.endpoints.client(service, "attacker"))
        sim.pump()

    sim.env.process(attack())
    sim.env.run(until=3600)
    services.close()
    return [
        e["source"].removeprefix("guardduty:")
        for e in sim.timeline
        if e["kind"] == "guardduty.finding"
    ]


def _public_bucket(client) -> None:
    s3 = client("s3")
    s3.create_bucket(Bucket="gd-public")
    s3.put_bucket_acl(Bucket="gd-public", ACL="private")
    s3.put_bucket_acl(Bucket="gd-public", ACL="public-read")
    s3.create_bucket(Bucket="gd-authenticated")
    s3.put_bucket_acl(Bucket="gd-authenticated", ACL="authenticated-read")
    client("iam").update_account_password_policy(MinimumPasswordLength=6)
    client("iam").create_user(UserName="gd-new-user")


def test_documented_api_findings_and_no_anomaly_without_a_learned_baseline(emulator, tmp_path):
    """A public ACL raises Policy:S3/BucketAnonymousAccessGranted (a private one does not, one for
    every AWS account holder Policy:S3/BucketPublicAccessGranted), a
    password policy change Stealth:IAMUser/PasswordPolicyChange; the */AnomalousBehavior types need
    a baseline and are off by default, raised on a first call only under the "first-call" model."""
    found = _api_findings(emulator, tmp_path, _public_bucket)
    assert sorted(found) == [
        "Policy:S3/BucketAnonymousAccessGranted",
        "Policy:S3/BucketPublicAccessGranted",
        "Stealth:IAMUser/PasswordPolicyChange",
    ]


def test_anomaly_findings_under_the_first_call_model(emulator, tmp_path):
    calibration = Calibration.load()
    calibration.constants["guardduty_anomaly_model"].value = "first-call"
    found = _api_findings(emulator, tmp_path, _public_bucket, calibration)
    assert "Persistence:IAMUser/AnomalousBehavior" in found


BRUTE_FORCE = Activity(rate_per_s=1.0, ports=[22], packets=10, bytes=2000)
MINING = Activity(
    direction="outbound",
    remote_ip="198.51.100.77",
    rate_per_s=0.1,
    ports=[3333],
    packets=4,
    bytes=400,
    dns_queries=["pool.minexmr.com"],
)


def _instance(emulator) -> str:
    return run_bare_instance(emulator, "")


@pytest.mark.parametrize(
    ("activity", "expected"),
    [
        (BRUTE_FORCE, "UnauthorizedAccess:EC2/SSHBruteForce"),
        (MINING, "CryptoCurrency:EC2/BitcoinTool.B!DNS"),
    ],
)
def test_flow_and_dns_findings_without_any_flow_log(emulator, tmp_path, activity, expected) -> None:
    emulator.endpoints.client("guardduty").create_detector(
        Enable=True, FindingPublishingFrequency="FIFTEEN_MINUTES"
    )
    instance = _instance(emulator)
    sim, services, published = _services(emulator, tmp_path)
    services.hosts.start(
        instance,
        activity,
        "203.0.113.66",
        active=lambda: sim.now < 7200,
        network=lambda: lambda p: True,
    )
    sim.env.run(until=7200)
    services.close()
    findings = [p["detail"] for p in published if p["source"] == "aws.guardduty"]
    assert {f["type"] for f in findings} == {expected}
    assert findings[0]["resource"]["instanceDetails"]["instanceId"] == instance
    # Repeated occurrences update the finding at the publishing frequency (15 minutes).
    counts = [f["service"]["count"] for f in findings]
    assert len(findings) >= 2 and counts == sorted(counts) and counts[-1] > counts[0]
    times = [datetime.fromisoformat(f["updatedAt"].replace("Z", "+00:00")) for f in findings]
    assert all((b - a).total_seconds() >= 900 for a, b in pairwise(times))


def test_every_finding_type_is_documented_with_a_reference() -> None:
    types = finding_types()
    assert len(types) >= 7
    for spec in types:
        assert spec["reference"].startswith("https://docs.aws.amazon.com/guardduty/")
        assert spec["signal"] in ("cloudtrail", "flow", "dns")


# -- Security Hub ------------------------------------------------------------------------------------
def _enable_hub(emulator, with_guardduty: bool) -> None:
    hub = emulator.endpoints.client("securityhub")
    hub.enable_security_hub(EnableDefaultStandards=False)
    standards = hub.batch_enable_standards(
        StandardsSubscriptionRequests=[
            {
                "StandardsArn": "arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0"
            }
        ]
    )["StandardsSubscriptions"]
    assert standards[0]["StandardsStatus"] == "READY"
    assert hub.get_enabled_standards()["StandardsSubscriptions"] == standards
    if with_guardduty:
        arn = hub.enable_import_findings_for_product(
            ProductArn="arn:aws:securityhub:us-east-1::product/aws/guardduty"
        )["ProductSubscriptionArn"]
        assert hub.list_enabled_products_for_import()["ProductSubscriptions"] == [arn]


@pytest.mark.parametrize("integration", [True, False])
def test_guardduty_findings_imported_as_asff_only_with_the_integration(
    emulator, tmp_path, integration
) -> None:
    emulator.endpoints.client("guardduty").create_detector(
        Enable=True, FindingPublishingFrequency="FIFTEEN_MINUTES"
    )
    _enable_hub(emulator, with_guardduty=integration)
    sim, services, published = _services(emulator, tmp_path)
    _stop_a_trail(emulator, sim)
    sim.env.run(until=3600)
    services.close()
    # Security Hub's own control checks (here CloudTrail.1, the trail stopped) need no integration.
    guardduty = "arn:aws:securityhub:us-east-1::product/aws/guardduty"
    imported = [
        p
        for p in published
        if p["detail-type"] == "Security Hub Findings - Imported"
        and p["detail"]["findings"][0]["ProductArn"] == guardduty
    ]
    stored = [
        f
        for f in emulator.endpoints.client("securityhub").get_findings()["Findings"]
        if f["ProductArn"] == guardduty
    ]
    if not integration:
        assert imported == [] and stored == []
        return
    assert len(imported) == 1 and len(stored) == 1
    finding = stored[0]
    assert all(k in finding for k in ASFF_REQUIRED)
    assert finding["ProductArn"] == "arn:aws:securityhub:us-east-1::product/aws/guardduty"
    assert finding["Severity"]["Label"] == "LOW"
    assert finding["Types"] == ["TTPs/Defense Evasion/Stealth:IAMUser-CloudTrailLoggingDisabled"]
    detections = [e["source"] for e in sim.timeline if e.get("detection")]
    assert detections.index(
        "guardduty:Stealth:IAMUser/CloudTrailLoggingDisabled"
    ) < detections.index("securityhub:guardduty")


def test_asff_without_required_fields_is_refused(emulator) -> None:
    from botocore.config import Config

    hub = emulator.endpoints.client("securityhub")
    hub.enable_security_hub(EnableDefaultStandards=False)
    # Past the SDK's own check, as a hand-made request would be: the service refuses it too.
    unchecked = emulator.endpoints.session().client(
        "securityhub",
        endpoint_url=emulator.endpoints.url,
        config=Config(parameter_validation=False),
    )
    result = unchecked.batch_import_findings(
        Findings=[{"Id": "x", "Resources": [{"Type": "Other", "Id": "r"}]}]
    )
    assert (
        result["FailedCount"] == 1 and "GeneratorId" in result["FailedFindings"][0]["ErrorMessage"]
    )
    assert hub.get_findings()["Findings"] == []


def test_hub_disabled_means_no_integration(emulator) -> None:
    hub = emulator.endpoints.client("securityhub")
    with pytest.raises(ClientError):
        hub.describe_hub()


def test_severity_labels() -> None:
    assert [severity_label(s) for s in (2.0, 5.0, 8.0, 9.5)] == [
        "LOW",
        "MEDIUM",
        "HIGH",
        "CRITICAL",
    ]
    finding = {
        "region": "us-east-1",
        "accountId": "1",
        "type": "Recon:EC2/Portscan",
        "arn": "a",
        "severity": 5.0,
        "title": "t",
        "description": "d",
        "createdAt": "c",
        "updatedAt": "u",
        "resource": {"resourceType": "Instance", "instanceDetails": {"instanceId": "i-1"}},
        "service": {
            "detectorId": "d1",
            "eventFirstSeen": "f",
            "eventLastSeen": "l",
            "count": 1,
            "action": {"actionType": "NETWORK_CONNECTION"},
        },
    }
    asff = asff_from_guardduty(finding)
    assert all(k in asff for k in ASFF_REQUIRED)
    assert asff["Resources"][0] == {
        "Type": "AwsEc2Instance",
        "Id": "arn:aws:ec2:us-east-1:1:instance/i-1",
        "Region": "us-east-1",
    }


def test_product_integration_can_be_turned_off(emulator) -> None:
    _enable_hub(emulator, with_guardduty=True)
    hub = emulator.endpoints.client("securityhub")
    (arn,) = hub.list_enabled_products_for_import()["ProductSubscriptions"]
    hub.disable_import_findings_for_product(ProductSubscriptionArn=arn)
    assert hub.list_enabled_products_for_import()["ProductSubscriptions"] == []
    subscription = hub.get_enabled_standards()["StandardsSubscriptions"][0][
        "StandardsSubscriptionArn"
    ]
    hub.batch_disable_standards(StandardsSubscriptionArns=[subscription])
    assert hub.get_enabled_standards()["StandardsSubscriptions"] == []


# -- AWS Config ------------------------------------------------------------------------------------
def _config(emulator, recording: bool) -> None:
    config = emulator.endpoints.client("config")
    emulator.endpoints.client("s3").create_bucket(Bucket="config-bucket")
    emulator.endpoints.client("s3").put_bucket_policy(
        Bucket="config-bucket",
        Policy=config_bucket_policy("config-bucket", emulator.endpoints.account_id()),
    )
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "default",
            "roleARN": "arn:aws:iam::123456789012:role/config",
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
        }
    )
    config.put_delivery_channel(
        DeliveryChannel={"name": "default", "s3BucketName": "config-bucket"}
    )
    if recording:
        config.start_configuration_recorder(ConfigurationRecorderName="default")
    for identifier, scope in (
        ("INCOMING_SSH_DISABLED", ["AWS::EC2::SecurityGroup"]),
        ("S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED", ["AWS::S3::Bucket"]),
    ):
        config.put_config_rule(
            ConfigRule={
                "ConfigRuleName": f"lab-{identifier.lower().replace('_', '-')}",
                "Source": {"Owner": "AWS", "SourceIdentifier": identifier},
                "Scope": {"ComplianceResourceTypes": scope},
            }
        )


def _open_ssh_for_an_hour(emulator, tmp_path):
    """ec2-sg-open-ssh detonated 10 s in; the account's services run for an hour."""
    ssh = technique("ec2-sg-open-ssh")
    prerequisites = ssh.warm_up(emulator.endpoints)
    sim, services, published = _services(emulator, tmp_path)

    def attack():
        yield sim.env.timeout(10)
        ssh.detonate(emulator.endpoints, prerequisites)
        sim.pump()

    sim.env.process(attack())
    sim.env.run(until=3600)
    services.close()
    return sim, published, prerequisites


@pytest.mark.parametrize("recording", [True, False])
def test_config_rule_flags_the_open_group_only_while_recording(
    emulator, tmp_path, recording
) -> None:
    _config(emulator, recording)
    sim, published, prerequisites = _open_ssh_for_an_hour(emulator, tmp_path)
    changes = [p for p in published if p["detail-type"] == "Config Rules Compliance Change"]
    if not recording:
        assert changes == [] and not [
            e for e in sim.timeline if e["kind"] == "config.item_recorded"
        ]
        return
    (change,) = changes
    assert change["detail"]["configRuleName"] == "lab-incoming-ssh-disabled"
    assert change["detail"]["resourceId"] == prerequisites["group_id"]
    assert change["detail"]["newEvaluationResult"]["complianceType"] == "NON_COMPLIANT"
    assert [e["source"] for e in sim.timeline if e.get("detection")] == [
        "config:lab-incoming-ssh-disabled"
    ]


def test_config_rule_evaluates_the_real_bucket_state(emulator, tmp_path) -> None:
    _config(emulator, recording=True)
    removed = technique("s3-public-access-block-removed")
    prerequisites = removed.warm_up(emulator.endpoints)
    sim, services, published = _services(emulator, tmp_path)

    def attack_then_fix():
        yield sim.env.timeout(10)
        removed.detonate(emulator.endpoints, prerequisites)
        sim.pump()
        yield sim.env.timeout(1800)
        removed.revert(emulator.endpoints, prerequisites)
        sim.pump()

    sim.env.process(attack_then_fix())
    sim.env.run(until=7200)
    services.close()
    results = [
        p["detail"]["newEvaluationResult"]["complianceType"]
        for p in published
        if p["detail-type"] == "Config Rules Compliance Change"
        and p["detail"]["configRuleName"] == "lab-s3-bucket-level-public-access-prohibited"
    ]
    assert results == ["NON_COMPLIANT", "COMPLIANT"]


def test_read_only_calls_reach_only_rules_that_ask_for_all_management_events(emulator, tmp_path):
    """EventBridge: a rule that is ENABLED does not receive CloudTrail's Describe/Get/List events;
    one in state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS does (both deployed in the account,
    the rules read back by the simulated bus)."""
    from lab.sim.eventbridge import EventBridge
    from lab.sim.lambda_runtime import LambdaRuntime

    sim = Simulation(
        emulator.endpoints, emulator.recorder, Calibration.load(), np.random.default_rng(2), EPOCH
    )
    events = emulator.endpoints.client("events")
    pattern = '{"source": ["aws.ec2"], "detail-type": ["AWS API Call via CloudTrail"]}'
    events.put_rule(Name="writes-only", EventPattern=pattern, State="ENABLED")
    events.put_rule(
        Name="all-management",
        EventPattern=pattern,
        State="ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS",
    )
    bus = EventBridge(sim, LambdaRuntime(sim, code_cache=tmp_path / "code"))

    def call(name, read_only):
        return {
            "source": "aws.ec2",
            "detail-type": "AWS API Call via CloudTrail",
            "detail": {"eventName": name, "readOnly": read_only},
        }

    bus.put_event(call("DescribeInstances", True))
    bus.put_event(call("AuthorizeSecurityGroupIngress", False))
    matched = [
        (e["rule"], e["event_name"]) for e in sim.timeline if e["kind"] == "eventbridge.matched"
    ]
    assert matched == [
        ("all-management", "DescribeInstances"),
        ("all-management", "AuthorizeSecurityGroupIngress"),
        ("writes-only", "AuthorizeSecurityGroupIngress"),
    ]


def test_a_periodic_rule_runs_every_period_at_a_phase_of_its_own(emulator, tmp_path) -> None:
    """A periodic rule runs once per MaximumExecutionFrequency, at a phase uniform over the whole
    period (the rule was created before the trial), not in the trial's first hour."""
    _config(emulator, recording=True)
    emulator.endpoints.client("config").put_config_rule(
        ConfigRule={
            "ConfigRuleName": "lab-cloud-trail-enabled",
            "Source": {"Owner": "AWS", "SourceIdentifier": "CLOUD_TRAIL_ENABLED"},
            "MaximumExecutionFrequency": "Six_Hours",
        }
    )
    first_runs = []
    for seed in range(6):
        sim = Simulation(
            emulator.endpoints,
            emulator.recorder,
            Calibration.load(),
            np.random.default_rng(seed),
            EPOCH,
        )
        services = start_services(sim, tmp_path, Calibration.load().operator("soc-24x7"), tmp_path)
        sim.env.run(until=24 * 3600)
        services.close()
        runs = [
            e["t_s"]
            for e in sim.timeline
            if e["kind"] == "config.evaluated" and e["rule"] == "lab-cloud-trail-enabled"
        ]
        assert len(runs) == 4, runs  # 24 h / 6 h
        gaps = [b - a for a, b in pairwise(runs)]
        assert all(abs(g - 6 * 3600) < 600 for g in gaps), gaps  # the evaluation's own delay aside
        first_runs.append(runs[0])
    assert max(first_runs) > 3600  # not always in the first hour
    assert len({round(t) for t in first_runs}) == len(first_runs)


@pytest.mark.parametrize("recording", [True, False])
def test_security_hub_control_fails_on_the_open_group_and_names_its_runbook(
    emulator, tmp_path, recording
) -> None:
    """EC2.19 (FSBP, change-triggered) runs when Config records the group's change: a finding of
    Security Hub's own (security-control/EC2.19, CRITICAL) imported without any integration, which
    the person's index maps to the group's runbook. No Config recording, no control check."""
    import json

    from lab.paths import RUNBOOKS_DIR
    from lab.sim.runbook_index import runbook_order

    _config(emulator, recording)
    _enable_hub(emulator, with_guardduty=False)
    sim, published, prerequisites = _open_ssh_for_an_hour(emulator, tmp_path)
    imports = [
        p
        for p in published
        if p["detail-type"] == "Security Hub Findings - Imported"
        and p["detail"]["findings"][0]["GeneratorId"] == "security-control/EC2.19"
    ]
    # A periodic control failing before the trial (no trail here: CloudTrail.1) is not the trial's.
    assert not any("CloudTrail.1" in e.get("source", "") for e in sim.timeline)
    if not recording:
        assert imports == []
        return
    (event,) = imports
    finding = event["detail"]["findings"][0]
    assert finding["GeneratorId"] == "security-control/EC2.19"
    assert finding["Severity"]["Label"] == "CRITICAL"
    assert finding["Compliance"]["Status"] == "FAILED"
    assert finding["Resources"][0]["Id"].endswith(prerequisites["group_id"])
    assert "securityhub:control/EC2.19" in {e["source"] for e in sim.timeline if e.get("detection")}
    order = runbook_order(json.dumps(event), RUNBOOKS_DIR / "index.yaml")
    assert order is not None and order.runbook == "sg-open-world.sh"
    assert order.args == (prerequisites["group_id"],)
