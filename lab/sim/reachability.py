"""Can an instance reach the AWS APIs? The monitoring instance's agent and cron detectors call
CloudWatch Logs, SNS, EC2, IAM ... over HTTPS; from a subnet without a way out they time out, and
the manual architecture sees nothing. Read back from the account: the route table of the
instance's subnet (its explicit association, else the VPC's main table) needs a default route to a
NAT gateway, or to an internet gateway with a public address on the instance (VPC User Guide,
"Enable internet access for a VPC using an internet gateway": "To enable access to or from the
internet for instances in a subnet ... ensure that instances in your subnet have a public IPv4
address"). Interface VPC endpoints are another way AWS documents; the lab's stacks use none, so a
subnet reaching AWS only through endpoints is not modelled (it reads as unreachable).
"""

from __future__ import annotations

from typing import Any

from lab.sim.readback import Readback


def route_table(ec2: Any, subnet_id: str, vpc_id: str) -> dict[str, Any] | None:
    """The route table a subnet uses: its own association, else its VPC's main table."""
    tables = ec2.describe_route_tables(
        Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}]
    )["RouteTables"]
    if tables:
        return tables[0]
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])[
        "RouteTables"
    ]
    for table in tables:
        if any(a.get("Main") for a in table.get("Associations", [])):
            return table
    return None


def aws_apis_reachable(ec2: Any, instance_id: str) -> tuple[bool, str]:
    """Whether ``instance_id`` can reach the AWS APIs, and why (or why not)."""
    found = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    if not found:
        return False, "no such instance"
    instance = found[0]["Instances"][0]
    subnet, vpc = instance.get("SubnetId"), instance.get("VpcId")
    if not subnet or not vpc:
        return True, "EC2-Classic / default networking"
    table = route_table(ec2, subnet, vpc)
    defaults = [
        r
        for r in (table or {}).get("Routes", [])
        if r.get("DestinationCidrBlock") == "0.0.0.0/0" and r.get("State", "active") == "active"
    ]
    for route in defaults:
        if route.get("NatGatewayId"):
            return True, f"default route to {route['NatGatewayId']}"
        if str(route.get("GatewayId", "")).startswith("igw-"):
            if instance.get("PublicIpAddress"):
                return True, f"default route to {route['GatewayId']}, public address"
            return False, f"default route to {route['GatewayId']} but no public IPv4 address"
    return False, f"no default route in the route table of {subnet}"


class Reachability:
    """``aws_apis_reachable`` per instance, read back again only after an EC2 write (what changes
    routes, gateways and addresses): the cron and the agent ask at every run and every line."""

    def __init__(self, recorder: Any, ec2: Any):
        self.ec2 = ec2
        self._routes: Readback[tuple[bool, str]] = Readback(recorder, {"ec2.amazonaws.com"})

    def __call__(self, instance_id: str) -> tuple[bool, str]:
        return self._routes.get(lambda: aws_apis_reachable(self.ec2, instance_id), instance_id)
