"""The serverless stack with real Terraform against the emulator: apply, empty plan, destroy."""

import pytest

from lab.architectures.serverless import ServerlessArchitecture
from lab.architectures.terraform_runner import Terraform, TerraformError, find_plugin_mirror
from lab.paths import TERRAFORM_DIR

pytestmark = pytest.mark.terraform


def test_apply_plan_is_empty_destroy_and_calls_are_recorded(emulator, tmp_path):
    boundary = "arn:aws:iam::123456789012:policy/lab-permissions-boundary"
    arch = ServerlessArchitecture(
        variables={"alert_email": "security@example.com", "permissions_boundary_arn": boundary},
        run_id="test",
    )
    outputs = arch.deploy(emulator.endpoints, tmp_path)
    e = emulator.endpoints
    assert outputs["trail_name"] == "lab-trail"
    assert e.client("cloudtrail").get_trail_status(Name="lab-trail")["IsLogging"] is True
    rule = e.client("events").describe_rule(Name=outputs["sg_rule_name"])
    assert "AuthorizeSecurityGroupIngress" in rule["EventPattern"]
    targets = e.client("events").list_targets_by_rule(Rule=outputs["sg_rule_name"])["Targets"]
    assert targets[0]["Arn"].endswith(":function:lab-remediate-sg")
    assert outputs["orchestrator_function_name"] == "lab-respond"
    for rule_name in outputs["api_call_rule_names"]:
        targets = e.client("events").list_targets_by_rule(Rule=rule_name)["Targets"]
        assert [t["Arn"].rsplit(":", 1)[1] for t in targets] == ["lab-respond"]
    respond = e.client("lambda").get_function(FunctionName="lab-respond")["Configuration"]
    assert respond["DeadLetterConfig"]["TargetArn"].endswith(":lab-respond-dlq")
    trail = e.client("cloudtrail").describe_trails()["trailList"][0]
    assert trail["KmsKeyId"].startswith("arn:aws:kms:")
    policy = e.client("iam").get_role_policy(RoleName="lab-respond-role", PolicyName="respond")
    statements = policy["PolicyDocument"]["Statement"]
    assert all(s["Action"] != "*" and "*" not in s["Action"] for s in statements)
    subs = e.client("sns").list_subscriptions_by_topic(TopicArn=outputs["alert_topic_arn"])
    assert [s["Endpoint"] for s in subs["Subscriptions"]] == ["security@example.com"]
    # The CIS Foundations monitoring controls: a filter and an alarm each, on the trail's group.
    filters = e.client("logs").describe_metric_filters(logGroupName=outputs["trail_log_group"])
    assert len(filters["metricFilters"]) == 15 == len(outputs["cis_alarm_names"])
    alarms = e.client("cloudwatch").describe_alarms(AlarmNamePrefix="lab-cis-")["MetricAlarms"]
    assert {a["AlarmName"] for a in alarms} == set(outputs["cis_alarm_names"])
    assert all(a["AlarmActions"] == [outputs["alert_topic_arn"]] for a in alarms)
    # Every function's dead-letter queue is watched: a failed response alerts.
    dead = e.client("cloudwatch").describe_alarms(AlarmNamePrefix="lab-")["MetricAlarms"]
    dead = {
        a["Dimensions"][0]["Value"]: a for a in dead if a["AlarmName"].endswith("-dead-letters")
    }
    queues = [u.rsplit("/", 1)[-1] for u in e.client("sqs").list_queues()["QueueUrls"]]
    assert sorted(dead) == sorted(q for q in queues if q.endswith("-dlq")) and dead
    assert all(a["AlarmActions"] == [outputs["alert_topic_arn"]] for a in dead.values())
    # The workload VPC and its flow log to the log archive bucket.
    flow_logs = e.client("ec2").describe_flow_logs(
        Filters=[{"Name": "resource-id", "Values": [outputs["workload_vpc_id"]]}]
    )["FlowLogs"]
    assert [(f["LogDestinationType"], f["TrafficType"]) for f in flow_logs] == [("s3", "ALL")]
    assert flow_logs[0]["LogDestination"].endswith(f":::{outputs['trail_bucket']}")
    # AWS Config may deliver to the KMS-encrypted archive (the emulator refuses the channel else),
    # and the roles of services documenting a source context trust only this account's use.
    assert e.client("config").describe_delivery_channels()["DeliveryChannels"]
    account = e.account_id()
    guarded = {"config.amazonaws.com", "ssm.amazonaws.com", "vpc-flow-logs.amazonaws.com"}
    seen = set()
    for role in e.client("iam").list_roles()["Roles"]:
        for statement in role["AssumeRolePolicyDocument"]["Statement"]:
            services = statement.get("Principal", {}).get("Service", [])
            services = {services} if isinstance(services, str) else set(services)
            if services & guarded:
                seen |= services & guarded
                assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == account
    assert seen >= {"config.amazonaws.com", "ssm.amazonaws.com"}  # flow logs: to S3 by default
    # Every role of the stack carries the permissions boundary it was given.
    roles = [r for r in e.client("iam").list_roles()["Roles"] if r["RoleName"].startswith("lab-")]
    assert roles and all(
        e.client("iam").get_role(RoleName=r["RoleName"])["Role"]["PermissionsBoundary"][
            "PermissionsBoundaryArn"
        ]
        == boundary
        for r in roles
    )

    terraform_calls = [r for r in emulator.recorder.records() if r["lab"]["actor"] == "terraform"]
    names = {(r["eventSource"], r["eventName"]) for r in terraform_calls}
    assert ("cloudtrail.amazonaws.com", "CreateTrail") in names
    assert ("lambda.amazonaws.com", "CreateFunction20150331") in names
    assert ("events.amazonaws.com", "PutRule") in names
    assert all(
        r["userAgent"].startswith("APN/1.0 HashiCorp/1.0 Terraform")
        or "Terraform" in r["userAgent"]
        for r in terraform_calls
    )

    assert arch.terraform(e, tmp_path).plan_is_empty()

    arch.destroy(e, tmp_path)
    assert e.client("cloudtrail").describe_trails()["trailList"] == []
    assert e.client("lambda").list_functions()["Functions"] == []
    assert e.client("events").list_rules()["Rules"] == []
    assert e.client("sqs").list_queues().get("QueueUrls", []) == []
    assert e.client("cloudwatch").describe_alarms()["MetricAlarms"] == []
    assert e.client("ec2").describe_flow_logs()["FlowLogs"] == []


def test_missing_terraform_binary_is_one_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("LAB_TERRAFORM", str(tmp_path / "no-terraform"))
    with pytest.raises(TerraformError, match="Install Terraform"):
        Terraform(TERRAFORM_DIR, tmp_path, {})


def test_plugin_dir_variable_must_hold_the_provider(monkeypatch, tmp_path):
    monkeypatch.setenv("LAB_TF_PLUGIN_DIR", str(tmp_path))
    with pytest.raises(TerraformError, match="terraform providers mirror"):
        find_plugin_mirror()


def test_the_mirror_is_found_without_configuration(monkeypatch):
    monkeypatch.delenv("LAB_TF_PLUGIN_DIR", raising=False)
    mirror = find_plugin_mirror()
    assert mirror is not None, "this machine image ships a mirror of the AWS provider"
    assert (mirror / "registry.terraform.io/hashicorp/aws").is_dir()


def test_every_checkov_skip_gives_its_reason():
    import re

    skips = []
    for path in TERRAFORM_DIR.rglob("*.tf"):
        skips += re.findall(r"#checkov:skip=(CKV2?_AWS_\d+)(:?)(.*)", path.read_text())
    assert skips, "the stack has documented skips"
    for check, colon, reason in skips:
        assert colon and len(reason.strip()) >= 30, f"{check} is skipped without a reason"


def test_the_stack_refuses_a_region_where_iam_events_never_arrive(tmp_path):
    """IAM's events reach EventBridge only in us-east-1: `terraform validate` of the stack in
    another region fails with the reason (offline: validation needs no account)."""
    terraform = Terraform(TERRAFORM_DIR, tmp_path, {"aws_region": "eu-west-1"})
    terraform.init()
    result = terraform._run(
        "plan", "-no-color", "-input=false", "-refresh=false", "-lock=false", check=False
    )
    assert result.returncode != 0
    assert "must live in us-east-1" in " ".join(result.stderr.replace("\u2502", " ").split())
