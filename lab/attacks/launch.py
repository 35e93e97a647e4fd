"""Launching a lab instance (a technique's target, an attacker): the image it boots and
RunInstances retried while a new instance profile propagates."""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import ClientError

# The public SSM parameter naming the current Amazon Linux 2023 image.
AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"


def run_instances_once_profile_propagates(ec2: Any, launch: dict[str, Any]) -> dict[str, Any]:
    """RunInstances, retried while EC2 does not yet know a new instance profile (IAM is eventually
    consistent; AWS advises waiting and retrying). The launched instance."""
    for attempt in range(1, 11):
        try:
            return ec2.run_instances(**launch)["Instances"][0]
        except ClientError as error:
            message = error.response["Error"].get("Message", "")
            if attempt == 10 or "Invalid IAM Instance Profile" not in message:
                raise
            time.sleep(0.5 * attempt)
    raise AssertionError("unreachable")
