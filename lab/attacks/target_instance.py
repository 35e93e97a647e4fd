"""A lab-owned network and instance for the techniques whose target is a running instance, and how
to read back whether a responder contained it.

Activity techniques (brute force, scan, mining, stolen credentials) change nothing in the account
themselves; ``detonate`` sets ``prerequisites["active"]`` and ``revert`` clears it. What counts as
remediated is read back from the account: the instance isolated (no security group rule left in
or out) or stopped, or, for traffic from one source, that source denied by the subnet's network ACL
or no longer allowed by the security group.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lab.attacks import real_activity
from lab.attacks.base import Prerequisites, Technique
from lab.attacks.iam_role import delete_instance_profile, ensure_instance_profile
from lab.attacks.launch import AMI_PARAMETER, run_instances_once_profile_propagates
from lab.attacks.real_activity import SSM_CORE
from lab.attacks.resources import find_tagged, missing_ok, tag_specifications
from lab.emulator.actors import actor
from lab.emulator.endpoints import Endpoints

VPC_CIDR = "10.77.0.0/16"
SUBNET_CIDR = "10.77.1.0/24"
WORKLOAD_RULE_FROM = 100  # the lab's allow rules start here; responders add denies below
WORKLOAD_TAG = "lab:workload"  # an architecture's VPC for workloads (where its flow logs look)
AGENT_PARAMETER = "AmazonCloudWatch-lab"  # the account's CloudWatch agent configuration, if any
# The account's standard bootstrap: every instance starts the CloudWatch agent with the
# configuration the account keeps in Parameter Store (the agent stops at once if there is none),
# and rsyslog, which writes the /var/log files AL2023 otherwise keeps only in the journal.
WORKLOAD_USER_DATA = f"""#!/bin/bash
dnf install -y amazon-cloudwatch-agent rsyslog
systemctl enable --now rsyslog
/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s \\
  -c ssm:{AGENT_PARAMETER}
"""


def _workload_vpc(ec2: Any, technique_id: str) -> tuple[str, str, bool]:
    """The VPC the target goes in: the architecture's workload VPC when it has one (a /24 of it,
    number 77), else a VPC of the technique's own. Returns (vpc id, subnet CIDR, owned)."""
    vpcs = ec2.describe_vpcs(Filters=[{"Name": f"tag:{WORKLOAD_TAG}", "Values": ["true"]}])["Vpcs"]
    if vpcs:
        subnets = list(ipaddress.ip_network(vpcs[0]["CidrBlock"]).subnets(new_prefix=24))
        return vpcs[0]["VpcId"], str(subnets[77 % len(subnets)]), False
    vpc_id = ec2.create_vpc(
        CidrBlock=VPC_CIDR, TagSpecifications=tag_specifications("vpc", technique_id)
    )["Vpc"]["VpcId"]
    return vpc_id, SUBNET_CIDR, True


def ssm_profile_name(technique_id: str) -> str:
    """The Run Command instance profile of a technique's target on a real account."""
    return f"lab-ssm-{technique_id}"[:64]


def _internet_facing(ec2: Any, vpc_id: str, subnet_id: str, technique_id: str) -> None:
    """Give the subnet a way to and from the Internet, as an Internet-facing workload has: a
    default route to the VPC's internet gateway (one of the technique's own if it has none) and a
    public IPv4 address for instances launched in it (VPC User Guide, "Enable internet access for
    a VPC using an internet gateway"). Without it the Internet's SSH attempts never arrive and the
    instance's CloudWatch agent cannot reach CloudWatch Logs (``lab.sim.reachability``)."""
    gateways = ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]
    )["InternetGateways"]
    if gateways:
        gateway_id = gateways[0]["InternetGatewayId"]
    else:
        gateway_id = ec2.create_internet_gateway(
            TagSpecifications=tag_specifications("internet-gateway", technique_id)
        )["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=gateway_id, VpcId=vpc_id)
    table_id = ec2.create_route_table(
        VpcId=vpc_id, TagSpecifications=tag_specifications("route-table", technique_id)
    )["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway_id)
    ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet_id)
    ec2.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": True})


def _delete_internet_route(ec2: Any, technique_id: str) -> None:
    """Delete the route tables and internet gateway ``_internet_facing`` made (by their tags)."""
    for table in find_tagged(ec2, "describe_route_tables", "RouteTables", technique_id):
        for association in table.get("Associations", []):
            if not association.get("Main"):
                with missing_ok("InvalidAssociationID.NotFound"):
                    ec2.disassociate_route_table(
                        AssociationId=association["RouteTableAssociationId"]
                    )
        with missing_ok("InvalidRouteTableID.NotFound"):
            ec2.delete_route_table(RouteTableId=table["RouteTableId"])
    for gateway in find_tagged(ec2, "describe_internet_gateways", "InternetGateways", technique_id):
        for attachment in gateway.get("Attachments", []):
            with missing_ok("Gateway.NotAttached"):
                ec2.detach_internet_gateway(
                    InternetGatewayId=gateway["InternetGatewayId"], VpcId=attachment["VpcId"]
                )
        with missing_ok("InvalidInternetGatewayID.NotFound"):
            ec2.delete_internet_gateway(InternetGatewayId=gateway["InternetGatewayId"])


def ensure_target(
    endpoints: Endpoints,
    technique_id: str,
    ssh_from: str | None = None,
    instance_profile_arn: str | None = None,
) -> Prerequisites:
    """The technique's VPC, subnet, network ACL, security group and running instance."""
    ec2 = endpoints.client("ec2", "harness")
    running = [
        i
        for r in find_tagged(ec2, "describe_instances", "Reservations", technique_id)
        for i in r["Instances"]
        if i["State"]["Name"] in ("pending", "running", "stopped")
    ]
    if running:
        return _read_back(ec2, running[0])
    vpc_id, subnet_cidr, owns_vpc = _workload_vpc(ec2, technique_id)
    subnet_id, nacl_id = _workload_subnet(endpoints, ec2, vpc_id, subnet_cidr, technique_id)
    group_id = _workload_group(ec2, vpc_id, technique_id, ssh_from)
    launch = _launch_request(endpoints, subnet_id, group_id, technique_id, instance_profile_arn)
    instance = run_instances_once_profile_propagates(ec2, launch)
    return {
        "vpc_id": vpc_id,
        "owns_vpc": owns_vpc,
        "subnet_id": subnet_id,
        "nacl_id": nacl_id,
        "group_id": group_id,
        "instance_id": instance["InstanceId"],
    }


def _workload_subnet(
    endpoints: Endpoints, ec2: Any, vpc_id: str, subnet_cidr: str, technique_id: str
) -> tuple[str, str]:
    """The technique's internet-facing subnet with a network ACL of its own that allows all
    (the workload's rule, which techniques change); its id and the ACL's."""
    subnet_id = ec2.create_subnet(
        VpcId=vpc_id,
        CidrBlock=subnet_cidr,
        AvailabilityZone=f"{endpoints.region}a",
        TagSpecifications=tag_specifications("subnet", technique_id),
    )["Subnet"]["SubnetId"]
    _internet_facing(ec2, vpc_id, subnet_id, technique_id)
    nacl_id = ec2.create_network_acl(
        VpcId=vpc_id, TagSpecifications=tag_specifications("network-acl", technique_id)
    )["NetworkAcl"]["NetworkAclId"]
    for egress in (False, True):
        ec2.create_network_acl_entry(
            NetworkAclId=nacl_id,
            RuleNumber=WORKLOAD_RULE_FROM,
            Protocol="-1",
            RuleAction="allow",
            Egress=egress,
            CidrBlock="0.0.0.0/0",
        )
    association = ec2.describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}]
    )["NetworkAcls"][0]["Associations"]
    association_id = next(a for a in association if a["SubnetId"] == subnet_id)[
        "NetworkAclAssociationId"
    ]
    ec2.replace_network_acl_association(AssociationId=association_id, NetworkAclId=nacl_id)
    return subnet_id, nacl_id


def _workload_group(ec2: Any, vpc_id: str, technique_id: str, ssh_from: str | None) -> str:
    """The instance's security group (SSH from ``ssh_from`` only, when given)."""
    group_id = ec2.create_security_group(
        GroupName=f"lab-target-{technique_id}",
        Description=f"Lab target instance of {technique_id}",
        VpcId=vpc_id,
        TagSpecifications=tag_specifications("security-group", technique_id),
    )["GroupId"]
    if ssh_from:
        ec2.authorize_security_group_ingress(
            GroupId=group_id,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 22,
                    "ToPort": 22,
                    "IpRanges": [{"CidrIp": ssh_from}],
                }
            ],
        )
    return group_id


def _launch_request(
    endpoints: Endpoints,
    subnet_id: str,
    group_id: str,
    technique_id: str,
    instance_profile_arn: str | None,
) -> dict[str, Any]:
    """RunInstances' request for the workload instance: the account's current Amazon Linux,
    encrypted volume, IMDSv2, the workload's user data; on a real account an instance profile
    for Run Command."""
    image_id = endpoints.client("ssm", "harness").get_parameter(Name=AMI_PARAMETER)["Parameter"][
        "Value"
    ]
    launch: dict[str, Any] = {
        "ImageId": image_id,
        "InstanceType": "t3.micro",
        "MinCount": 1,
        "MaxCount": 1,
        "SubnetId": subnet_id,
        "SecurityGroupIds": [group_id],
        "TagSpecifications": [
            *tag_specifications("instance", technique_id),
            *tag_specifications("volume", technique_id),
        ],
        "BlockDeviceMappings": [
            {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8, "Encrypted": True}}
        ],
        "MetadataOptions": {"HttpTokens": "required"},
        "UserData": WORKLOAD_USER_DATA,
    }
    if instance_profile_arn is None and not endpoints.emulated:
        # On a real account the activity runs through Run Command (lab.attacks.real_activity).
        instance_profile_arn = ensure_instance_profile(
            endpoints.client("iam", "harness"),
            ssm_profile_name(technique_id),
            technique_id,
            SSM_CORE,
        )
    if instance_profile_arn:
        launch["IamInstanceProfile"] = {"Arn": instance_profile_arn}
    return launch


def _read_back(ec2: Any, instance: dict[str, Any]) -> Prerequisites:
    subnet_id = instance["SubnetId"]
    nacl = ec2.describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}]
    )["NetworkAcls"][0]
    groups = ec2.describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [instance["VpcId"]]},
            {"Name": "tag-key", "Values": ["lab:technique"]},
        ]
    )["SecurityGroups"]
    vpc = ec2.describe_vpcs(VpcIds=[instance["VpcId"]])["Vpcs"][0]
    return {
        "vpc_id": instance["VpcId"],
        "owns_vpc": not any(t["Key"] == WORKLOAD_TAG for t in vpc.get("Tags", [])),
        "subnet_id": subnet_id,
        "nacl_id": nacl["NetworkAclId"],
        "group_id": groups[0]["GroupId"],
        "instance_id": instance["InstanceId"],
    }


def _instance(ec2: Any, instance_id: str) -> dict[str, Any]:
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]


def contained(endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
    """The instance is stopped (or gone), or every security group it has allows nothing in or out."""
    return network_view(endpoints, prerequisites, with_nacl=False).contained


def source_blocked(
    endpoints: Endpoints, prerequisites: Prerequisites, source_ip: str, port: int
) -> bool:
    """Traffic from ``source_ip`` to ``port`` no longer reaches the instance."""
    return network_view(endpoints, prerequisites).blocks(source_ip, port)


@dataclass(frozen=True)
class NetworkView:
    """What decides whether traffic reaches the instance, read back at one moment."""

    contained: bool
    nacl_ingress: list[dict[str, Any]]  # by rule number
    groups: list[dict[str, Any]]

    def blocks(self, source_ip: str, port: int) -> bool:
        """Traffic from ``source_ip`` to ``port`` does not reach the instance."""
        if self.contained:
            return True
        address = ipaddress.ip_address(source_ip)
        for entry in self.nacl_ingress:
            if address in ipaddress.ip_network(
                entry.get("CidrBlock", "0.0.0.0/0")
            ) and _nacl_covers(entry, port):
                if entry["RuleAction"] == "deny":
                    return True
                break
        for group in self.groups:
            for permission in group.get("IpPermissions", []):
                ports_ok = permission.get("IpProtocol") == "-1" or (
                    permission.get("FromPort", 0) <= port <= permission.get("ToPort", 65535)
                )
                if ports_ok and any(
                    address in ipaddress.ip_network(r["CidrIp"])
                    for r in permission.get("IpRanges", [])
                ):
                    return False
        return True


def network_view(
    endpoints: Endpoints, prerequisites: Prerequisites, with_nacl: bool = True
) -> NetworkView:
    """Read back the instance's state, its security groups and (``with_nacl``) its subnet's network
    ACL."""
    ec2 = endpoints.client("ec2", "observer")
    instance = _instance(ec2, prerequisites["instance_id"])
    if instance["State"]["Name"] not in ("pending", "running"):
        return NetworkView(True, [], [])
    group_ids = [g["GroupId"] for g in instance.get("SecurityGroups", [])]
    groups = ec2.describe_security_groups(GroupIds=group_ids)["SecurityGroups"] if group_ids else []
    if all(not g.get("IpPermissions") and not g.get("IpPermissionsEgress") for g in groups):
        return NetworkView(True, [], groups)
    entries = []
    if with_nacl:
        entries = ec2.describe_network_acls(NetworkAclIds=[prerequisites["nacl_id"]])[
            "NetworkAcls"
        ][0]["Entries"]
    ingress = sorted((e for e in entries if not e["Egress"]), key=lambda e: e["RuleNumber"])
    return NetworkView(False, ingress, groups)


def _nacl_covers(entry: dict[str, Any], port: int) -> bool:
    if entry.get("Protocol") == "-1":
        return True
    ports = entry.get("PortRange") or {}
    return ports.get("From", 0) <= port <= ports.get("To", 65535)


def restore(endpoints: Endpoints, prerequisites: Prerequisites) -> None:
    """Undo any containment: drop deny entries below the lab's rules, give the instance its group
    back, start it if it was stopped."""
    ec2 = endpoints.client("ec2", "harness")
    entries = ec2.describe_network_acls(NetworkAclIds=[prerequisites["nacl_id"]])["NetworkAcls"][0][
        "Entries"
    ]
    for entry in entries:
        if entry["RuleNumber"] < WORKLOAD_RULE_FROM:
            ec2.delete_network_acl_entry(
                NetworkAclId=prerequisites["nacl_id"],
                RuleNumber=entry["RuleNumber"],
                Egress=entry["Egress"],
            )
    instance = _instance(ec2, prerequisites["instance_id"])
    if [g["GroupId"] for g in instance.get("SecurityGroups", [])] != [prerequisites["group_id"]]:
        ec2.modify_instance_attribute(
            InstanceId=prerequisites["instance_id"], Groups=[prerequisites["group_id"]]
        )
    if instance["State"]["Name"] in ("stopped", "stopping"):
        ec2.start_instances(InstanceIds=[prerequisites["instance_id"]])


def delete_target(endpoints: Endpoints, prerequisites: Prerequisites, technique_id: str) -> None:
    """Terminate the instance and delete the network around it (every group in the VPC included,
    isolation groups a responder made too)."""
    ec2 = endpoints.client("ec2", "harness")
    with missing_ok("InvalidInstanceID.NotFound"):
        ec2.terminate_instances(InstanceIds=[prerequisites["instance_id"]])
    # AWS deletes a root volume with its instance (DeleteOnTermination); moto keeps it.
    for volume in find_tagged(ec2, "describe_volumes", "Volumes", technique_id):
        if volume["State"] == "available":
            with missing_ok("InvalidVolume.NotFound"):
                ec2.delete_volume(VolumeId=volume["VolumeId"])
    groups = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [prerequisites["vpc_id"]]}]
    )["SecurityGroups"]
    quarantine = f"quarantine-{prerequisites['instance_id']}"  # + "-<execution>" from SSM
    for group in groups:
        mine = (
            prerequisites.get("owns_vpc", True)
            or group["GroupId"] == prerequisites["group_id"]
            or group["GroupName"].startswith(quarantine)
        )
        if group["GroupName"] != "default" and mine:
            with missing_ok("InvalidGroup.NotFound"):
                ec2.delete_security_group(GroupId=group["GroupId"])
    # Give the subnet back to the VPC's default ACL first (moto keeps the association of a
    # deleted subnet, so the lab ACL could not be deleted after it).
    acls = ec2.describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [prerequisites["subnet_id"]]}]
    )["NetworkAcls"]
    default_acl = ec2.describe_network_acls(
        Filters=[
            {"Name": "vpc-id", "Values": [prerequisites["vpc_id"]]},
            {"Name": "default", "Values": ["true"]},
        ]
    )["NetworkAcls"]
    for acl in acls:
        for association in acl["Associations"]:
            if association["SubnetId"] == prerequisites["subnet_id"] and default_acl:
                ec2.replace_network_acl_association(
                    AssociationId=association["NetworkAclAssociationId"],
                    NetworkAclId=default_acl[0]["NetworkAclId"],
                )
    _delete_internet_route(ec2, technique_id)
    with missing_ok("InvalidSubnetID.NotFound"):
        ec2.delete_subnet(SubnetId=prerequisites["subnet_id"])
    with missing_ok("InvalidNetworkAclID.NotFound"):
        ec2.delete_network_acl(NetworkAclId=prerequisites["nacl_id"])
    if prerequisites.get("owns_vpc", True):
        with missing_ok("InvalidVpcID.NotFound"):
            ec2.delete_vpc(VpcId=prerequisites["vpc_id"])
    if not endpoints.emulated:
        delete_instance_profile(endpoints.client("iam", "harness"), ssm_profile_name(technique_id))


class InstanceActivityTechnique(Technique):
    """Warm-up: the target instance; the attack is activity, remediation is containment."""

    SSH_FROM: str | None = None

    def warm_up(self, endpoints: Endpoints) -> Prerequisites:
        prerequisites = ensure_target(endpoints, self.id, ssh_from=self.SSH_FROM)
        self.revert(endpoints, prerequisites)
        return prerequisites

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        """Simulated from the activity's metadata on the emulated account; made real on AWS."""
        prerequisites["active"] = True
        if not endpoints.emulated and self.metadata.activity is not None:
            real_activity.detonate(endpoints, self.metadata.activity, prerequisites, self.id)

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        return not prerequisites.get("active") or contained(endpoints, prerequisites)

    def network(self, endpoints: Endpoints, prerequisites: Prerequisites) -> Callable[[int], bool]:
        """The network as it is now (read back once): does it let the activity's connection to a
        port through?"""
        activity = self.metadata.activity
        if activity is None or activity.direction == "outbound":
            is_contained = contained(endpoints, prerequisites)
            return lambda port: not is_contained
        view = network_view(endpoints, prerequisites)
        source_ip = actor(activity.source).source_ip
        return lambda port: not view.blocks(source_ip, port)

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        """The attacker stops; any containment is undone so the next trial starts the same."""
        prerequisites["active"] = False
        if not endpoints.emulated:
            real_activity.stop(endpoints, prerequisites)
        restore(endpoints, prerequisites)

    def cleanup(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        if not endpoints.emulated:
            real_activity.delete_attacker(endpoints, self.id)
        delete_target(endpoints, prerequisites, self.id)
