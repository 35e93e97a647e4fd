"""ec2-launch-unusual-instances: GPU instances for mining or training on the victim's bill
(T1496)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites, Technique
from lab.attacks.launch import AMI_PARAMETER
from lab.attacks.resources import find_tagged, tag_specifications
from lab.emulator.endpoints import Endpoints

INSTANCE_TYPE = "p2.xlarge"
COUNT = 10
LIVE = ("pending", "running", "stopping", "stopped")


class Ec2LaunchUnusualInstances(Technique):
    folder = Path(__file__).parent

    def warm_up(self, endpoints: Endpoints) -> Prerequisites:
        prerequisites: Prerequisites = {}
        self.revert(endpoints, prerequisites)
        return prerequisites

    def _live(self, endpoints: Endpoints, actor: str, states: tuple[str, ...] = LIVE) -> list[str]:
        return [
            i["InstanceId"]
            for r in find_tagged(
                endpoints.client("ec2", actor), "describe_instances", "Reservations", self.id
            )
            for i in r["Instances"]
            if i["State"]["Name"] in states and i["InstanceType"] == INSTANCE_TYPE
        ]

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        image_id = endpoints.client("ssm", "harness").get_parameter(Name=AMI_PARAMETER)[
            "Parameter"
        ]["Value"]
        endpoints.client("ec2", "attacker").run_instances(
            ImageId=image_id,
            InstanceType=INSTANCE_TYPE,
            MinCount=COUNT,
            MaxCount=COUNT,
            TagSpecifications=tag_specifications("instance", self.id),
        )

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        """None of the attacker's GPU instances is left running: stopped (contained, its volumes
        kept as evidence) or terminated counts."""
        return not self._live(endpoints, "observer", states=("pending", "running"))

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        live = self._live(endpoints, "harness")
        if live:
            endpoints.client("ec2", "harness").terminate_instances(InstanceIds=live)

    def cleanup(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        self.revert(endpoints, prerequisites)


TECHNIQUE = Ec2LaunchUnusualInstances
