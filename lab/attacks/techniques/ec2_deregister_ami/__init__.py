"""ec2-deregister-ami: deregister the account's AMIs (T1485)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites, Technique
from lab.attacks.resources import find_tagged, tag_specifications
from lab.attacks.target_instance import delete_target, ensure_target
from lab.emulator.endpoints import Endpoints


class Ec2DeregisterAmi(Technique):
    folder = Path(__file__).parent

    def warm_up(self, endpoints: Endpoints) -> Prerequisites:
        """A lab instance to make the golden image from (the image itself: see ``revert``)."""
        prerequisites = ensure_target(endpoints, self.id)
        prerequisites["image_name"] = f"lab-golden-image-{prerequisites['instance_id']}"
        self.revert(endpoints, prerequisites)
        return prerequisites

    def _images(self, endpoints: Endpoints, actor: str) -> list[dict]:
        images = find_tagged(endpoints.client("ec2", actor), "describe_images", "Images", self.id)
        return [i for i in images if i.get("State", "available") == "available"]

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        ec2 = endpoints.client("ec2", "attacker")
        for image in ec2.describe_images(Owners=["self"])["Images"]:
            if image["Name"] == prerequisites["image_name"]:
                ec2.deregister_image(ImageId=image["ImageId"])

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        """The golden image is available again (restored from the Recycle Bin, or rebuilt)."""
        return any(
            i["Name"] == prerequisites["image_name"] for i in self._images(endpoints, "observer")
        )

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        """Rebuild the image from its instance (what its owner's pipeline would do)."""
        if not self.is_remediated(endpoints, prerequisites):
            endpoints.client("ec2", "harness").create_image(
                InstanceId=prerequisites["instance_id"],
                Name=prerequisites["image_name"],
                TagSpecifications=tag_specifications("image", self.id),
            )

    def cleanup(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        ec2 = endpoints.client("ec2", "harness")
        for image in find_tagged(ec2, "describe_images", "Images", self.id):
            ec2.deregister_image(ImageId=image["ImageId"])
        delete_target(endpoints, prerequisites, self.id)


TECHNIQUE = Ec2DeregisterAmi
