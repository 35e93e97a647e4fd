"""Security Hub in virtual time: imports the findings of the integrated products (GuardDuty, AWS
Config) as AWS Security Finding Format (ASFF) documents into the emulated hub (BatchImportFindings,
so GetFindings returns them) and sends each import to EventBridge as "Security Hub Findings -
Imported". Nothing is imported unless the hub is enabled and the product's integration is on
(read back from the account).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from lab.sim.kernel import Simulation

# Product name -> its subscription path (AWS's own products are aws/<name>).
PRODUCTS = {"prowler": "prowler/prowler"}
_NAMESPACE = uuid.UUID("d2a4f2e8-6a55-4b8e-9a0c-2f7b3c9a1e07")
# GuardDuty's threat purpose -> the ASFF type namespace/category Security Hub files it under.
_GUARDDUTY_TYPE_PREFIX = {
    "UnauthorizedAccess": "TTPs/Initial Access",
    "Recon": "TTPs/Discovery",
    "CryptoCurrency": "Effects/Resource Consumption",
    "Stealth": "TTPs/Defense Evasion",
    "Policy": "Software and Configuration Checks/Policy",
    "Persistence": "TTPs/Persistence",
}


def severity_label(guardduty_severity: float) -> str:
    """GuardDuty's severity ranges as Security Hub labels them (GuardDuty User Guide, "Severity
    levels": 1-3.9 low, 4-6.9 medium, 7-8.9 high, 9-10 critical)."""
    if guardduty_severity >= 9:
        return "CRITICAL"
    if guardduty_severity >= 7:
        return "HIGH"
    if guardduty_severity >= 4:
        return "MEDIUM"
    return "LOW"


def asff_from_guardduty(finding: dict[str, Any]) -> dict[str, Any]:
    """A GuardDuty finding in ASFF, as the GuardDuty integration maps it."""
    region, account = finding["region"], finding["accountId"]
    purpose = finding["type"].split(":", 1)[0]
    resource = finding["resource"]
    if resource["resourceType"] == "Instance":
        instance = resource["instanceDetails"]["instanceId"]
        resources = [
            {
                "Type": "AwsEc2Instance",
                "Id": f"arn:aws:ec2:{region}:{account}:instance/{instance}",
                "Region": region,
            }
        ]
    elif resource["resourceType"] == "S3Bucket":
        bucket = resource["s3BucketDetails"][0]["name"]
        resources = [{"Type": "AwsS3Bucket", "Id": f"arn:aws:s3:::{bucket}", "Region": region}]
    else:
        key = resource["accessKeyDetails"]
        resources = [
            {
                "Type": "AwsIamAccessKey",
                "Id": f"AWS::IAM::AccessKey:{key['accessKeyId'] or key['userName']}",
                "Region": region,
            }
        ]
    return {
        "SchemaVersion": "2018-10-08",
        "Id": finding["arn"],
        "ProductArn": f"arn:aws:securityhub:{region}::product/aws/guardduty",
        "ProductName": "GuardDuty",
        "CompanyName": "Amazon",
        "GeneratorId": f"arn:aws:guardduty:{region}:{account}:detector/{finding['service']['detectorId']}",
        "AwsAccountId": account,
        "Region": region,
        "Types": [
            f"{_GUARDDUTY_TYPE_PREFIX.get(purpose, 'Unusual Behaviors')}/{finding['type'].replace('/', '-')}"
        ],
        "FirstObservedAt": finding["service"]["eventFirstSeen"],
        "LastObservedAt": finding["service"]["eventLastSeen"],
        "CreatedAt": finding["createdAt"],
        "UpdatedAt": finding["updatedAt"],
        "Severity": {
            "Label": severity_label(finding["severity"]),
            "Normalized": int(finding["severity"] * 10),
            "Product": finding["severity"],
        },
        "Title": finding["title"],
        "Description": finding["description"],
        "Resources": resources,
        "ProductFields": {
            "aws/guardduty/service/action/actionType": finding["service"]["action"]["actionType"],
            "aws/guardduty/service/count": str(finding["service"]["count"]),
        },
        "Workflow": {"Status": "NEW"},
        "RecordState": "ACTIVE",
    }


class SecurityHub:
    """Imports product findings and emits "Security Hub Findings - Imported" events."""

    def __init__(self, sim: Simulation, publish: Callable[[dict[str, Any]], None]):
        self.sim = sim
        self.publish = publish
        self.client = sim.endpoints.client("securityhub", "observer")

    def integration_on(self, product: str) -> bool:
        """Is the hub enabled, with findings of ``product`` (guardduty, config) imported? Security
        Hub's own control findings (``securityhub``) need only the hub."""
        try:
            self.client.describe_hub()
            if product == "securityhub":
                return True
            subscriptions = self.client.list_enabled_products_for_import()["ProductSubscriptions"]
        except ClientError:
            return False
        path = PRODUCTS.get(product, f"aws/{product}")
        return any(s.endswith(f"product-subscription/{path}") for s in subscriptions)

    def receive(self, product: str, finding: dict[str, Any]) -> None:
        """A product sends a finding (ASFF) to Security Hub now."""
        if not self.integration_on(product):
            return
        self.sim.env.process(self._import(product, finding))

    def _import(self, product: str, finding: dict[str, Any]):
        yield self.sim.env.timeout(self.sim.draw("securityhub_import_s"))
        if not self.integration_on(product):
            return
        result = self.client.batch_import_findings(Findings=[finding])
        if result["FailedCount"]:
            self.sim.log(
                "securityhub.import_failed", product=product, errors=result["FailedFindings"]
            )
            return
        generator = str(finding.get("GeneratorId", ""))
        self.sim.detected(
            "securityhub.imported",
            # Security Hub's own control checks are named by control: securityhub:control/EC2.19.
            f"securityhub:control/{generator.removeprefix('security-control/')}"
            if generator.startswith("security-control/")
            else f"securityhub:{product}",
            product=product,
            finding_type=finding["Types"][0],
            severity=finding["Severity"]["Label"],
        )
        self.publish(
            {
                "version": "0",
                "id": str(uuid.uuid5(_NAMESPACE, f"{finding['Id']}/{finding['UpdatedAt']}")),
                "detail-type": "Security Hub Findings - Imported",
                "source": "aws.securityhub",
                "account": finding["AwsAccountId"],
                "time": self.sim.at(self.sim.now),
                "region": finding["Region"],
                "resources": [finding["ProductArn"]],
                "detail": {"findings": [finding]},
            }
        )
