"""Whether an instance can reach the AWS APIs, read back from the emulated account's routes."""

from lab.sim.reachability import aws_apis_reachable

ZONE = "us-east-1a"  # offers t3.micro (AWS refuses a type the subnet's zone does not offer)


def _instance(ec2, subnet_id: str) -> str:
    return ec2.run_instances(
        ImageId="ami-12c6146b", InstanceType="t3.micro", MinCount=1, MaxCount=1, SubnetId=subnet_id
    )["Instances"][0]["InstanceId"]


def test_an_instance_needs_a_default_route_and_a_public_address_or_a_nat_gateway(emulator):
    ec2 = emulator.endpoints.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.91.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.91.1.0/24", AvailabilityZone=ZONE)[
        "Subnet"
    ]["SubnetId"]
    isolated = _instance(ec2, subnet)
    reachable, why = aws_apis_reachable(ec2, isolated)
    assert not reachable and why == f"no default route in the route table of {subnet}"

    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway)
    ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
    assert aws_apis_reachable(ec2, isolated) == (
        False,
        f"default route to {gateway} but no public IPv4 address",
    )
    ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})
    public = _instance(ec2, subnet)
    assert aws_apis_reachable(ec2, public)[0]

    private = ec2.create_subnet(VpcId=vpc, CidrBlock="10.91.2.0/24", AvailabilityZone=ZONE)[
        "Subnet"
    ]["SubnetId"]
    nat = ec2.create_nat_gateway(SubnetId=subnet)["NatGateway"]["NatGatewayId"]
    behind_nat = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=behind_nat, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    ec2.associate_route_table(RouteTableId=behind_nat, SubnetId=private)
    assert aws_apis_reachable(ec2, _instance(ec2, private)) == (
        True,
        f"default route to {nat}",
    )
