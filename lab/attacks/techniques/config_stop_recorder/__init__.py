"""config-stop-recorder: the AWS Config configuration recorder stopped (T1562.001)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites, Technique
from lab.attacks.log_delivery import config_bucket_policy
from lab.attacks.resources import account_id, lab_bucket_name, lab_tags, missing_ok
from lab.attacks.s3_bucket import FULL_BLOCK
from lab.emulator.endpoints import Endpoints

RECORDER = "lab-target-recorder"


class ConfigStopRecorder(Technique):
    folder = Path(__file__).parent

    def warm_up(self, endpoints: Endpoints) -> Prerequisites:
        """The region's recorder (one at most), recording; created with a channel if there is none."""
        config = endpoints.client("config", "harness")
        existing = config.describe_configuration_recorders()["ConfigurationRecorders"]
        if existing:
            prerequisites = {"recorder": existing[0]["name"], "created": False}
            self.revert(endpoints, prerequisites)
            return prerequisites
        bucket = lab_bucket_name(endpoints, "target-config")
        s3 = endpoints.client("s3", "harness")
        with missing_ok("BucketAlreadyOwnedByYou"):
            s3.create_bucket(Bucket=bucket)
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": lab_tags(self.id)})
        s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=FULL_BLOCK)
        # The service-linked role may not write to S3: Config delivers as its service principal.
        s3.put_bucket_policy(
            Bucket=bucket, Policy=config_bucket_policy(bucket, account_id(endpoints))
        )
        role = (
            f"arn:aws:iam::{account_id(endpoints)}:role/aws-service-role/config.amazonaws.com/"
            "AWSServiceRoleForConfig"
        )
        config.put_configuration_recorder(
            ConfigurationRecorder={
                "name": RECORDER,
                "roleARN": role,
                "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
            }
        )
        config.put_delivery_channel(DeliveryChannel={"name": RECORDER, "s3BucketName": bucket})
        prerequisites = {"recorder": RECORDER, "created": True, "bucket": bucket}
        self.revert(endpoints, prerequisites)
        return prerequisites

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        endpoints.client("config", "attacker").stop_configuration_recorder(
            ConfigurationRecorderName=prerequisites["recorder"]
        )

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        with missing_ok("NoSuchConfigurationRecorderException"):
            status = endpoints.client("config", "observer").describe_configuration_recorder_status(
                ConfigurationRecorderNames=[prerequisites["recorder"]]
            )["ConfigurationRecordersStatus"]
            return bool(status and status[0]["recording"])
        return False

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        endpoints.client("config", "harness").start_configuration_recorder(
            ConfigurationRecorderName=prerequisites["recorder"]
        )

    def cleanup(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        """Delete the recorder, its channel and bucket only if the warm-up created them."""
        if not prerequisites["created"]:
            return
        config = endpoints.client("config", "harness")
        with missing_ok("NoSuchConfigurationRecorderException"):
            config.stop_configuration_recorder(ConfigurationRecorderName=RECORDER)
        with missing_ok("NoSuchDeliveryChannelException"):
            config.delete_delivery_channel(DeliveryChannelName=RECORDER)
        with missing_ok("NoSuchConfigurationRecorderException"):
            config.delete_configuration_recorder(ConfigurationRecorderName=RECORDER)
        with missing_ok("NoSuchBucket"):
            endpoints.client("s3", "harness").delete_bucket(Bucket=prerequisites["bucket"])


TECHNIQUE = ConfigStopRecorder
