"""benign-share-ami-partner: the IT administrator shares a server image with a partner's account."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.benign import ADMIN, PARTNER_ACCOUNT, tag_routine_ec2, untag_routine_ec2
from lab.attacks.resources import missing_ok
from lab.attacks.techniques.ec2_share_ami import Ec2ShareAmi
from lab.emulator.endpoints import Endpoints


class BenignShareAmiPartner(Ec2ShareAmi):
    """Warm-up, revert and cleanup as ec2-share-ami's (an AMI of a lab instance, no share)."""

    folder = Path(__file__).parent

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        ec2 = endpoints.client("ec2", ADMIN)
        tag_routine_ec2(ec2, prerequisites["image_id"], "ModifyImageAttribute")
        ec2.modify_image_attribute(
            ImageId=prerequisites["image_id"],
            LaunchPermission={"Add": [{"UserId": PARTNER_ACCOUNT}]},
        )

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        """Broken: the partner can no longer launch the image (share removed, or image gone)."""
        with missing_ok("InvalidAMIID.NotFound"):
            granted = endpoints.client("ec2", "observer").describe_image_attribute(
                ImageId=prerequisites["image_id"], Attribute="launchPermission"
            )["LaunchPermissions"]
            return {"UserId": PARTNER_ACCOUNT} not in granted
        return True

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        super().revert(endpoints, prerequisites)
        with missing_ok("InvalidAMIID.NotFound"):
            untag_routine_ec2(endpoints.client("ec2", "harness"), prerequisites["image_id"])


TECHNIQUE = BenignShareAmiPartner
