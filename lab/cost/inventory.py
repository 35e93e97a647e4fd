"""What an architecture deployed, read back from the account: the fixed part of its bill."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from lab.emulator.endpoints import Endpoints

# The agent configuration every lab instance's bootstrap fetches (cli-baseline/deploy.sh).
AGENT_PARAMETER = "AmazonCloudWatch-lab"


def inventory(endpoints: Endpoints) -> dict[str, Any]:
    """Billable resources in the account now (instances, volumes, trails, functions, ...)."""
    ec2 = endpoints.client("ec2", "observer")
    instances: dict[str, int] = {}
    public_ipv4 = len(ec2.describe_addresses()["Addresses"])  # Elastic IPs, attached or not
    for reservation in ec2.describe_instances(
        Filters=[{"Name": "instance-state-name", "Values": ["pending", "running"]}]
    )["Reservations"]:
        for instance in reservation["Instances"]:
            instances[instance["InstanceType"]] = instances.get(instance["InstanceType"], 0) + 1
            public_ipv4 += bool(instance.get("PublicIpAddress"))
    volumes_gb = sum(
        v["Size"] for v in ec2.describe_volumes()["Volumes"] if v["State"] != "deleted"
    )
    cloudtrail = endpoints.client("cloudtrail", "observer")
    trails = cloudtrail.describe_trails()["trailList"]
    functions = endpoints.client("lambda", "observer").list_functions()["Functions"]
    logs = endpoints.client("logs", "observer")
    groups = logs.describe_log_groups()["logGroups"]
    return {
        "ec2_instances": instances,
        "ebs_gb": volumes_gb,
        "public_ipv4": public_ipv4,
        "kms_customer_keys": _customer_keys(endpoints),
        "trails": len(trails),
        "trails_to_cloudwatch_logs": sum(1 for t in trails if t.get("CloudWatchLogsLogGroupArn")),
        "lambda_functions": {f["FunctionName"]: f.get("MemorySize", 128) for f in functions},
        "eventbridge_rules": len(endpoints.client("events", "observer").list_rules()["Rules"]),
        "sns_topics": len(endpoints.client("sns", "observer").list_topics()["Topics"]),
        "log_groups": len(groups),
        "metric_filters": len(logs.describe_metric_filters()["metricFilters"]),
        "alarms": len(endpoints.client("cloudwatch", "observer").describe_alarms()["MetricAlarms"]),
        "flow_logs": _flow_logs(ec2),
        "agent_log_files": _agent_log_files(endpoints),
        **_managed_detectors(endpoints),
    }


def _customer_keys(endpoints: Endpoints) -> int:
    """Customer managed KMS keys that are billed (enabled or disabled; a key pending deletion is
    not, KMS pricing)."""
    kms = endpoints.client("kms", "observer")
    found = 0
    for key in kms.list_keys()["Keys"]:
        meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
        found += meta.get("KeyManager") == "CUSTOMER" and meta["KeyState"] in (
            "Enabled",
            "Disabled",
        )
    return found


def _flow_logs(ec2: Any) -> dict[str, int]:
    """VPC flow logs by destination type (``s3``, ``cloud-watch-logs``): each is billed as vended
    logs for the workload's flow volume."""
    found: dict[str, int] = {}
    for flow_log in ec2.describe_flow_logs()["FlowLogs"]:
        kind = flow_log.get("LogDestinationType", "cloud-watch-logs")
        found[kind] = found.get(kind, 0) + 1
    return dict(sorted(found.items()))


def _agent_log_files(endpoints: Endpoints) -> int:
    """Log files the account's CloudWatch agent configuration ships (the Parameter Store entry the
    instances' bootstrap fetches, ``AGENT_PARAMETER``); 0 when there is none: then no host logs
    reach CloudWatch Logs."""
    try:
        value = endpoints.client("ssm", "observer").get_parameter(Name=AGENT_PARAMETER)
    except ClientError:
        return 0
    try:
        config = json.loads(value["Parameter"]["Value"])
    except ValueError:
        return 0
    files = config.get("logs", {}).get("logs_collected", {}).get("files", {})
    return len(files.get("collect_list", []))


def _managed_detectors(endpoints: Endpoints) -> dict[str, Any]:
    """GuardDuty detectors enabled, Config recorders recording and rules, Security Hub on."""
    guardduty = endpoints.client("guardduty", "observer")
    detectors = [
        d
        for d in guardduty.list_detectors()["DetectorIds"]
        if guardduty.get_detector(DetectorId=d).get("Status") == "ENABLED"
    ]
    config = endpoints.client("config", "observer")
    statuses = config.describe_configuration_recorder_status()["ConfigurationRecordersStatus"]
    rules = config.describe_config_rules()["ConfigRules"]
    securityhub = endpoints.client("securityhub", "observer")
    try:
        securityhub.describe_hub()
        hub = 1
        standards = len(securityhub.get_enabled_standards()["StandardsSubscriptions"])
    except ClientError:
        hub, standards = 0, 0
    return {
        "guardduty_detectors": len(detectors),
        "config_recorders": sum(1 for s in statuses if s.get("recording")),
        "config_rules": len(rules),
        "config_periodic_rules": sum(1 for r in rules if r.get("MaximumExecutionFrequency")),
        "securityhub": hub,
        "securityhub_standards": standards,
    }
