"""Security Hub's own control checks in virtual time: a detection path of their own beside the
findings Security Hub imports from GuardDuty and Config.

The controls (``security_hub_controls.yaml``) are those of the standards enabled in the account's
hub (read back: the hub, its standards subscriptions). Change-triggered controls run when AWS
Config records a change to a resource in their scope (so only while a recorder records that type:
Security Hub's controls are service-linked Config rules), after Config's recording and evaluation
delays; periodic controls run every 12 or 24 hours, their phase uniform over the period (the
standard was enabled when the stack was deployed, long before the trial). A control that fails on
a resource where it passed (or was not yet evaluated) becomes a Security Hub finding in ASFF
(``security-control/<id>``), imported and sent to EventBridge like any other import.
"""

from __future__ import annotations

import uuid
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from botocore.exceptions import ClientError

from lab.emulator.compat.securityhub import standard_name
from lab.sim.aws_config import AwsConfig
from lab.sim.aws_config.rules import EVALUATORS
from lab.sim.kernel import Simulation
from lab.sim.readback import Readback
from lab.sim.security_hub import SecurityHub

CONTROLS = Path(__file__).with_name("security_hub_controls.yaml")
PRODUCT = "securityhub"  # Security Hub's own findings: no integration to turn on
_NAMESPACE = uuid.UUID("3b9d8c1a-52f4-4f0e-8a77-6c2e1d9b0f13")
_ASFF_TYPE = {
    "AWS::EC2::SecurityGroup": "AwsEc2SecurityGroup",
    "AWS::EC2::Volume": "AwsEc2Volume",
    "AWS::S3::Bucket": "AwsS3Bucket",
    "AWS::IAM::User": "AwsIamUser",
}


@lru_cache(maxsize=1)
def controls() -> tuple[dict[str, Any], ...]:
    """The controls the lab evaluates, each with an evaluator the lab implements (checked)."""
    found = tuple(yaml.safe_load(CONTROLS.read_text())["controls"])
    for control in found:
        if control["config_rule"] not in EVALUATORS:
            raise ValueError(f"{control['id']}: no evaluator for {control['config_rule']}")
        if not control.get("reads"):
            raise ValueError(f"{control['id']}: which event sources it reads is not said")
    return found


class SecurityHubControls:
    """Runs the enabled standards' controls and sends failures to the hub as findings."""

    def __init__(self, sim: Simulation, hub: SecurityHub, config: AwsConfig):
        self.sim = sim
        self.hub = hub
        self.config = config
        self.client = sim.endpoints.client("securityhub", "observer")
        self.account = sim.endpoints.account_id()
        self.status: dict[tuple[str, str], str] = {}
        # Answers by (control, resource, the newest write to what it reads): reads change nothing,
        # so an answer holds until one of its sources is written. Kept for this trial only: its
        # read-backs are calls, and a trial's calls may not depend on the trials before it.
        self._answers: dict[tuple[str, str | None, int], str] = {}
        self._standards: Readback[frozenset[str]] = Readback(
            sim.recorder, {"securityhub.amazonaws.com"}
        )
        config.item_listeners.append(
            (lambda kind: bool(self._changed_controls(kind)), self.on_item)
        )
        for control in controls():
            if control["schedule"] == "periodic":
                sim.env.process(self._every_period(control))

    def enabled(self) -> list[dict[str, Any]]:
        """The controls of the standards enabled now (none without a hub)."""
        standards = self._standards.get(self._read_standards)
        return [c for c in controls() if standards & set(c["standards"])]

    def _read_standards(self) -> frozenset[str]:
        try:
            self.client.describe_hub()
            subscriptions = self.client.get_enabled_standards()["StandardsSubscriptions"]
        except ClientError:
            return frozenset()
        return frozenset(
            standard_name(s["StandardsArn"])
            for s in subscriptions
            if s.get("StandardsStatus", "READY") in ("READY", "PENDING", "INCOMPLETE")
        )

    # -- change-triggered ------------------------------------------------------------------------
    def _changed_controls(self, resource_type: str) -> list[dict[str, Any]]:
        return [
            c
            for c in self.enabled()
            if c["schedule"] == "change" and c.get("resource_type") == resource_type
        ]

    def on_item(self, changed: tuple[str, str]) -> None:
        """AWS Config recorded a configuration item of ``changed``: its controls run."""
        for control in self._changed_controls(changed[0]):
            self.sim.env.process(self._check(control, changed))

    # -- periodic ---------------------------------------------------------------------------------
    def _every_period(self, control: dict[str, Any]):
        period = float(control["period_h"]) * 3600
        stream = self.sim.stream(f"securityhub-periodic/{control['id']}")
        if control in self.enabled():
            # Its last run before the trial: a control already failing then has its finding from
            # before (not the trial's); only a change of result during the trial is new.
            self.status[(control["id"], self.account)] = self._result(control, None)
        yield self.sim.env.timeout(float(stream.uniform(0, period)))
        while True:
            if control in self.enabled():
                self.sim.env.process(self._check(control, ("AWS::::Account", self.account)))
            yield self.sim.env.timeout(period)

    # -- a check ----------------------------------------------------------------------------------
    def _check(self, control: dict[str, Any], resource: tuple[str, str]):
        yield self.sim.env.timeout(self.sim.draw("config_rule_evaluation_s"))
        if control not in self.enabled():
            return
        result = self._result(control, None if resource[0] == "AWS::::Account" else resource[1])
        key = (control["id"], resource[1])
        old, self.status[key] = self.status.get(key), result
        self.sim.log("securityhub.control_checked", control=control["id"], result=result)
        if result == "NON_COMPLIANT" and old != "NON_COMPLIANT":
            self.hub.receive(PRODUCT, self._finding(control, resource))

    def _result(self, control: dict[str, Any], resource_id: str | None) -> str:
        written = self.sim.recorder.last_write(set(control["reads"]), data=False)
        key = (control["id"], resource_id, written)
        if key not in self._answers:
            self._answers[key] = EVALUATORS[control["config_rule"]](
                self.sim.endpoints, resource_id, dict(control.get("params") or {})
            )
        return self._answers[key]

    def _finding(self, control: dict[str, Any], resource: tuple[str, str]) -> dict[str, Any]:
        region, now = self.sim.endpoints.region, self.sim.at(self.sim.now)
        finding_id = uuid.uuid5(_NAMESPACE, f"{control['id']}/{resource[1]}/{self.sim.labels}")
        return {
            "SchemaVersion": "2018-10-08",
            "Id": f"arn:aws:securityhub:{region}:{self.account}:security-control/"
            f"{control['id']}/finding/{finding_id}",
            "ProductArn": f"arn:aws:securityhub:{region}::product/aws/securityhub",
            "ProductName": "Security Hub",
            "CompanyName": "AWS",
            "GeneratorId": f"security-control/{control['id']}",
            "AwsAccountId": self.account,
            "Region": region,
            "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
            "FirstObservedAt": now,
            "LastObservedAt": now,
            "CreatedAt": now,
            "UpdatedAt": now,
            "Severity": {"Label": control["severity"], "Original": control["severity"]},
            "Title": control["title"],
            "Description": control["title"],
            "Resources": [_resource(resource, region, self.account)],
            "Compliance": {
                "Status": "FAILED",
                "SecurityControlId": control["id"],
                "AssociatedStandards": [
                    {"StandardsId": f"standards/{s}"} for s in control["standards"]
                ],
            },
            "ProductFields": {"RelatedAWSResources:0/type": "AWS::Config::ConfigRule"},
            "Workflow": {"Status": "NEW"},
            "RecordState": "ACTIVE",
        }


def _resource(resource: tuple[str, str], region: str, account: str) -> dict[str, Any]:
    kind, ident = resource
    arns = {
        "AWS::EC2::SecurityGroup": f"arn:aws:ec2:{region}:{account}:security-group/{ident}",
        "AWS::EC2::Volume": f"arn:aws:ec2:{region}:{account}:volume/{ident}",
        "AWS::S3::Bucket": f"arn:aws:s3:::{ident}",
        "AWS::IAM::User": f"arn:aws:iam::{account}:user/{ident}",
    }
    return {
        "Type": _ASFF_TYPE.get(kind, "AwsAccount"),
        "Id": arns.get(kind, f"AWS::::Account:{account}"),
        "Region": region,
    }
