"""ec2-sg-open-ssh: a security group opened to the Internet on tcp/22 (T1562.007)."""

from __future__ import annotations

from pathlib import Path

from botocore.exceptions import ClientError

from lab.attacks.base import LAB_TAG_KEY, LAB_TAG_VALUE, Prerequisites, Technique
from lab.emulator.endpoints import Endpoints

WORLD = "0.0.0.0/0"
GROUP_NAME = "lab-target-ssh"
SSH = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": WORLD}]}


class Ec2SgOpenSsh(Technique):
    folder = Path(__file__).parent

    def warm_up(self, endpoints: Endpoints) -> Prerequisites:
        """The lab-tagged target group in the default VPC (reused if a previous run left it)."""
        ec2 = endpoints.client("ec2", "harness")
        vpcs = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"]
        if not vpcs:
            raise RuntimeError("ec2-sg-open-ssh needs a default VPC in the account")
        existing = ec2.describe_security_groups(
            Filters=[
                {"Name": "tag:lab:technique", "Values": [self.id]},
                {"Name": "group-name", "Values": [GROUP_NAME]},
                {"Name": "vpc-id", "Values": [vpcs[0]["VpcId"]]},
            ]
        )["SecurityGroups"]
        if existing:
            prerequisites = {"group_id": existing[0]["GroupId"]}
            self.revert(endpoints, prerequisites)
            return prerequisites
        group_id = ec2.create_security_group(
            GroupName=GROUP_NAME,
            Description="Lab target of ec2-sg-open-ssh",
            VpcId=vpcs[0]["VpcId"],
            TagSpecifications=[
                {
                    "ResourceType": "security-group",
                    "Tags": [
                        {"Key": LAB_TAG_KEY, "Value": LAB_TAG_VALUE},
                        {"Key": "lab:technique", "Value": self.id},
                    ],
                }
            ],
        )["GroupId"]
        return {"group_id": group_id}

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        endpoints.client("ec2", "attacker").authorize_security_group_ingress(
            GroupId=prerequisites["group_id"], IpPermissions=[SSH]
        )

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        group = endpoints.client("ec2", "observer").describe_security_groups(
            GroupIds=[prerequisites["group_id"]]
        )["SecurityGroups"][0]
        return not any(
            p.get("FromPort") in (None, 22) or p.get("IpProtocol") == "-1"
            for p in group.get("IpPermissions", [])
            if any(r.get("CidrIp") == WORLD for r in p.get("IpRanges", []))
        )

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        if self.is_remediated(endpoints, prerequisites):
            return
        endpoints.client("ec2", "harness").revoke_security_group_ingress(
            GroupId=prerequisites["group_id"], IpPermissions=[SSH]
        )

    def cleanup(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        try:
            endpoints.client("ec2", "harness").delete_security_group(
                GroupId=prerequisites["group_id"]
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "InvalidGroup.NotFound":
                raise
