"""AWS Config in virtual time: configuration items recorded when a recorded API call changes a
resource (only while a recorder is recording that resource type, read back from the account), the
deployed managed rules evaluated on the emulator's real resource state (change-triggered rules on
each item of their scope, periodic rules at their frequency), and "Config Rules Compliance Change"
events when a result changes ("Evaluating Resources with AWS Config Rules", Config Developer Guide).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from lab.sim.aws_config.rules import EVALUATORS
from lab.sim.kernel import Record, Simulation
from lab.sim.readback import Readback, by_name

_NAMESPACE = uuid.UUID("8f3d1f4e-7b0c-4f5e-a9b8-2c1d3e4f5a6b")
_FREQUENCY_S = {
    "One_Hour": 3600,
    "Three_Hours": 10800,
    "Six_Hours": 21600,
    "Twelve_Hours": 43200,
    "TwentyFour_Hours": 86400,
}
# Which API calls change which resource: (event source, event name) -> (type, where the id is).
CHANGES: dict[tuple[str, str], tuple[str, str]] = {
    ("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress"): ("AWS::EC2::SecurityGroup", "groupId"),
    ("ec2.amazonaws.com", "RevokeSecurityGroupIngress"): ("AWS::EC2::SecurityGroup", "groupId"),
    ("ec2.amazonaws.com", "ModifySecurityGroupRules"): ("AWS::EC2::SecurityGroup", "groupId"),
    ("s3.amazonaws.com", "PutBucketAcl"): ("AWS::S3::Bucket", "bucketName"),
    ("s3.amazonaws.com", "PutBucketPolicy"): ("AWS::S3::Bucket", "bucketName"),
    ("s3.amazonaws.com", "DeleteBucketPolicy"): ("AWS::S3::Bucket", "bucketName"),
    ("s3.amazonaws.com", "PutBucketPublicAccessBlock"): ("AWS::S3::Bucket", "bucketName"),
    ("s3.amazonaws.com", "DeleteBucketPublicAccessBlock"): ("AWS::S3::Bucket", "bucketName"),
    ("s3.amazonaws.com", "PutBucketOwnershipControls"): ("AWS::S3::Bucket", "bucketName"),
    ("ec2.amazonaws.com", "AttachVolume"): ("AWS::EC2::Volume", "volumeId"),
    ("ec2.amazonaws.com", "CreateVolume"): ("AWS::EC2::Volume", "response:volumeId"),
    ("iam.amazonaws.com", "AttachUserPolicy"): ("AWS::IAM::User", "userName"),
    ("iam.amazonaws.com", "PutUserPolicy"): ("AWS::IAM::User", "userName"),
    ("iam.amazonaws.com", "DetachUserPolicy"): ("AWS::IAM::User", "userName"),
    ("iam.amazonaws.com", "DeleteUserPolicy"): ("AWS::IAM::User", "userName"),
    ("iam.amazonaws.com", "CreateUser"): ("AWS::IAM::User", "userName"),
}


def changed_resource(record: Record) -> tuple[str, str] | None:
    """The (resource type, id) a successful call changed, if Config records that call."""
    found = CHANGES.get((record["eventSource"], record["eventName"]))
    if not found or record.get("errorCode"):
        return None
    resource_type, where = found
    source = (
        record.get("responseElements")
        if where.startswith("response:")
        else record.get("requestParameters")
    )
    value = (source or {}).get(where.removeprefix("response:"))
    return (resource_type, value) if value else None


_CONFIG = {"config.amazonaws.com"}


class AwsConfig:
    """Records configuration items, evaluates rules, publishes compliance changes."""

    def __init__(
        self,
        sim: Simulation,
        publish: Callable[[dict[str, Any]], None],
        findings: Callable[[dict[str, Any]], None],
    ):
        self.sim = sim
        self.publish = publish
        self.findings = findings
        self.client = sim.endpoints.client("config", "observer")
        self.account = sim.endpoints.account_id()
        self.compliance: dict[tuple[str, str], str] = {}
        # Who else evaluates a recorded configuration item: (wants this resource type?, callback).
        self.item_listeners: list[
            tuple[Callable[[str], bool], Callable[[tuple[str, str]], None]]
        ] = []
        self._rules: Readback[list[dict[str, Any]]] = Readback(sim.recorder, _CONFIG)
        self._recorders: Readback[list[tuple[str, bool, dict[str, Any]]]] = Readback(
            sim.recorder, _CONFIG
        )
        sim.subscribe(self.on_record)
        sim.env.process(self._periodic())

    # -- what is deployed --------------------------------------------------------------------------
    def recording(self, resource_type: str) -> bool:
        """Is a recorder recording ``resource_type`` now?"""
        for _, recording, group in self._recorders.get(self._read_recorders):
            if recording and (
                group.get("allSupported", True) or resource_type in group.get("resourceTypes", [])
            ):
                return True
        return False

    def _read_recorders(self) -> list[tuple[str, bool, dict[str, Any]]]:
        """Each recorder: name, recording or not, recording group."""
        statuses = {
            s["name"]: s.get("recording", False)
            for s in self.client.describe_configuration_recorder_status()[
                "ConfigurationRecordersStatus"
            ]
        }
        return [
            (r["name"], bool(statuses.get(r["name"])), r.get("recordingGroup", {}))
            for r in by_name(
                self.client.describe_configuration_recorders()["ConfigurationRecorders"], "name"
            )
        ]

    def rules(self) -> list[dict[str, Any]]:
        """The active managed rules the lab can evaluate (read again after any Config write)."""
        return self._rules.get(self._read_rules)

    def _read_rules(self) -> list[dict[str, Any]]:
        found = []
        for page in self.client.get_paginator("describe_config_rules").paginate():
            for rule in page["ConfigRules"]:
                identifier = rule.get("Source", {}).get("SourceIdentifier")
                if rule.get("ConfigRuleState", "ACTIVE") == "ACTIVE" and identifier in EVALUATORS:
                    found.append(rule)
        return by_name(found, "ConfigRuleName")

    # -- change-triggered ------------------------------------------------------------------------
    def on_record(self, record: Record) -> None:
        if record.get("lab", {}).get("observer"):
            return
        changed = changed_resource(record)
        if changed is None:
            return
        in_scope = [
            r
            for r in self.rules()
            if changed[0] in (r.get("Scope") or {}).get("ComplianceResourceTypes", [])
        ]
        listeners = [listen for wants, listen in self.item_listeners if wants(changed[0])]
        if (in_scope or listeners) and self.recording(changed[0]):
            self.sim.env.process(self._record_item(changed, in_scope, listeners))

    def _record_item(
        self,
        changed: tuple[str, str],
        rules: list[dict[str, Any]],
        listeners: list[Callable[[tuple[str, str]], None]],
    ):
        yield self.sim.env.timeout(self.sim.draw("config_ci_recording_s"))
        if not self.recording(changed[0]):  # stopped in the meantime: nothing recorded
            return
        self.sim.log("config.item_recorded", resource_type=changed[0], resource_id=changed[1])
        for rule in rules:
            self.sim.env.process(self._evaluate(rule, changed))
        for listen in listeners:  # Security Hub's service-linked rules read the same item
            listen(changed)

    # -- periodic ---------------------------------------------------------------------------------
    def _periodic(self):
        """Each periodic rule on its own schedule (Config Developer Guide, "Trigger types": a
        periodic rule runs when it is created, then at its MaximumExecutionFrequency). The rules
        were created when the stack was deployed, some time before the trial: the schedule's phase
        is uniform over the rule's period (its own stream, the same in every architecture), not the
        trial's first hour (where every 24-hour rule used to run, long before the attack)."""
        for rule in self.rules():
            if not rule.get("Scope", {}).get("ComplianceResourceTypes"):
                self.sim.env.process(self._every_period(rule))
        yield self.sim.env.timeout(0)

    def _every_period(self, rule: dict[str, Any]):
        name = rule["ConfigRuleName"]
        period = _FREQUENCY_S.get(rule.get("MaximumExecutionFrequency", "TwentyFour_Hours"), 86400)
        yield self.sim.env.timeout(
            float(self.sim.stream(f"config-periodic/{name}").uniform(0, period))
        )
        while True:
            current = {r["ConfigRuleName"]: r for r in self.rules()}.get(name)
            if current is None:  # deleted: it runs no more
                return
            self.sim.env.process(self._evaluate(current, ("AWS::::Account", self.account)))
            yield self.sim.env.timeout(period)

    # -- evaluation --------------------------------------------------------------------------------
    def _evaluate(self, rule: dict[str, Any], resource: tuple[str, str]):
        yield self.sim.env.timeout(self.sim.draw("config_rule_evaluation_s"))
        identifier = rule["Source"]["SourceIdentifier"]
        params = json.loads(rule.get("InputParameters") or "{}")
        resource_id = None if resource[0] == "AWS::::Account" else resource[1]
        result = EVALUATORS[identifier](self.sim.endpoints, resource_id, params)
        self.sim.log("config.evaluated", rule=rule["ConfigRuleName"], compliance=result)
        key = (rule["ConfigRuleName"], resource[1])
        old = self.compliance.get(key)
        self.compliance[key] = result
        if result == old or (old is None and result != "NON_COMPLIANT"):
            return
        fields = {"rule": rule["ConfigRuleName"], "resource_id": resource[1], "compliance": result}
        if result == "NON_COMPLIANT":
            self.sim.detected(
                "config.compliance_change", f"config:{rule['ConfigRuleName']}", **fields
            )
        else:
            self.sim.log("config.compliance_change", **fields)
        event = self._event(rule, resource, result, old)
        self.publish(event)
        if result == "NON_COMPLIANT":
            self.findings(asff_from_config(event))

    def _event(
        self, rule: dict[str, Any], resource: tuple[str, str], result: str, old: str | None
    ) -> dict[str, Any]:
        now = self.sim.at(self.sim.now)
        region = self.sim.endpoints.region

        def evaluation(compliance: str) -> dict[str, Any]:
            return {
                "evaluationResultIdentifier": {
                    "evaluationResultQualifier": {
                        "configRuleName": rule["ConfigRuleName"],
                        "resourceType": resource[0],
                        "resourceId": resource[1],
                    },
                    "orderingTimestamp": now,
                },
                "complianceType": compliance,
                "resultRecordedTime": now,
                "configRuleInvokedTime": now,
            }

        detail: dict[str, Any] = {
            "resourceId": resource[1],
            "awsRegion": region,
            "awsAccountId": self.account,
            "configRuleName": rule["ConfigRuleName"],
            "recordVersion": "1.0",
            "configRuleARN": rule["ConfigRuleArn"],
            "messageType": "ComplianceChangeNotification",
            "newEvaluationResult": evaluation(result),
            "notificationCreationTime": now,
            "resourceType": resource[0],
        }
        if old is not None:
            detail["oldEvaluationResult"] = evaluation(old)
        return {
            "version": "0",
            "id": str(
                uuid.uuid5(_NAMESPACE, f"{rule['ConfigRuleName']}/{resource[1]}/{now}/{result}")
            ),
            "detail-type": "Config Rules Compliance Change",
            "source": "aws.config",
            "account": self.account,
            "time": now,
            "region": region,
            "resources": [],
            "detail": detail,
        }


def asff_from_config(event: dict[str, Any]) -> dict[str, Any]:
    """A NON_COMPLIANT evaluation as the Config integration sends it to Security Hub (ASFF)."""
    detail = event["detail"]
    region, account = detail["awsRegion"], detail["awsAccountId"]
    resource_type = detail["resourceType"].replace("::", "")
    return {
        "SchemaVersion": "2018-10-08",
        "Id": f"{detail['configRuleARN']}/{detail['resourceType']}/{detail['resourceId']}",
        "ProductArn": f"arn:aws:securityhub:{region}::product/aws/config",
        "ProductName": "Config",
        "CompanyName": "AWS",
        "GeneratorId": detail["configRuleARN"],
        "AwsAccountId": account,
        "Region": region,
        "Types": ["Software and Configuration Checks"],
        "CreatedAt": event["time"],
        "UpdatedAt": event["time"],
        "Severity": {"Label": "MEDIUM", "Normalized": 40},
        "Title": f"Config rule {detail['configRuleName']}: {detail['resourceId']} is NON_COMPLIANT",
        "Description": f"AWS Config rule {detail['configRuleName']} found {detail['resourceType']} {detail['resourceId']} non-compliant.",
        "Resources": [
            {
                "Type": resource_type if resource_type.startswith("Aws") else "Other",
                "Id": detail["resourceId"],
                "Region": region,
            }
        ],
        "Compliance": {"Status": "FAILED"},
        "Workflow": {"Status": "NEW"},
        "RecordState": "ACTIVE",
    }
