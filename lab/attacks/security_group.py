"""Techniques that open a lab security group to the whole Internet."""

from __future__ import annotations

from typing import Any, ClassVar

from lab.attacks.base import Prerequisites, Technique
from lab.attacks.resources import find_tagged, missing_ok, tag_specifications
from lab.emulator.endpoints import Endpoints
from lab.engines.posture import covers_port, world_open


def default_vpc_id(endpoints: Endpoints) -> str:
    vpcs = endpoints.client("ec2", "harness").describe_vpcs(
        Filters=[{"Name": "isDefault", "Values": ["true"]}]
    )["Vpcs"]
    if not vpcs:
        raise RuntimeError("this technique needs a default VPC in the account")
    return vpcs[0]["VpcId"]


class WorldOpenIngress(Technique):
    """A lab-tagged group in the default VPC; the attacker adds ``PERMISSION`` from 0.0.0.0/0."""

    GROUP_NAME: ClassVar[str]
    PERMISSION: ClassVar[dict[str, Any]]
    PORT: ClassVar[int | None]  # the port whose exposure counts; None: any

    def warm_up(self, endpoints: Endpoints) -> Prerequisites:
        """The target group (reused, and reset, if a previous run left it)."""
        ec2 = endpoints.client("ec2", "harness")
        existing = find_tagged(ec2, "describe_security_groups", "SecurityGroups", self.id)
        if existing:
            prerequisites = {"group_id": existing[0]["GroupId"]}
            self.revert(endpoints, prerequisites)
            return prerequisites
        group_id = ec2.create_security_group(
            GroupName=self.GROUP_NAME,
            Description=f"Lab target of {self.id}",
            VpcId=default_vpc_id(endpoints),
            TagSpecifications=tag_specifications("security-group", self.id),
        )["GroupId"]
        return {"group_id": group_id}

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        endpoints.client("ec2", "attacker").authorize_security_group_ingress(
            GroupId=prerequisites["group_id"], IpPermissions=[self.PERMISSION]
        )

    def _exposed(self, endpoints: Endpoints, group_id: str) -> list[dict[str, Any]]:
        group = endpoints.client("ec2", "observer").describe_security_groups(GroupIds=[group_id])[
            "SecurityGroups"
        ][0]
        return [
            p for p in group.get("IpPermissions", []) if world_open(p) and covers_port(p, self.PORT)
        ]

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        return not self._exposed(endpoints, prerequisites["group_id"])

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        exposed = self._exposed(endpoints, prerequisites["group_id"])
        if exposed:
            endpoints.client("ec2", "harness").revoke_security_group_ingress(
                GroupId=prerequisites["group_id"],
                IpPermissions=[
                    {k: v for k, v in p.items() if k not in ("UserIdGroupPairs", "PrefixListIds")}
                    for p in exposed
                ],
            )

    def cleanup(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        with missing_ok("InvalidGroup.NotFound"):
            endpoints.client("ec2", "harness").delete_security_group(
                GroupId=prerequisites["group_id"]
            )
