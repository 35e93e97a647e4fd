"""AWS Config: a delivery channel AWS Config could not write to is refused."""

from __future__ import annotations

from typing import Any

from moto.config.models import ConfigBackend
from moto.core.exceptions import JsonRESTError
from moto.s3.exceptions import MissingBucket

from lab.emulator.compat.iam import role_propagating
from lab.emulator.compat.policies import (
    bucket_policy_and_key,
    find_key,
    identity_allows,
    key_policy_allows,
    service_allowed,
)

CONFIG = "config.amazonaws.com"
# Config Developer Guide, "Permissions for the KMS Key": the actions on the bucket's key.
KEY_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")


class InsufficientDeliveryPolicyException(JsonRESTError):
    def __init__(self) -> None:
        super().__init__(
            "InsufficientDeliveryPolicyException",
            "Your Amazon S3 bucket policy does not permit AWS Config to write to it.",
        )


def apply() -> None:
    _patch_delivery_channel_must_be_writable()


def config_may_deliver(
    account_id: str, region: str, role_arn: str, bucket: str, prefix: str, key_id: str
) -> bool:
    """Could AWS Config deliver to ``bucket`` (encrypted with ``key_id``, or the bucket's default
    key)? Config Developer Guide ("Permissions for the Amazon S3 Bucket" and "Permissions for the
    KMS Key"): Config writes as the recorder's IAM role (its identity policies must allow
    s3:PutObject and s3:GetBucketAcl, the key policy must let it use the key; a role IAM has not
    propagated yet cannot be used, ``compat.iam``); when that fails it
    writes again as the Config service principal (the bucket policy and the key policy must allow
    ``config.amazonaws.com`` from this account)."""
    policy, default_key = bucket_policy_and_key(account_id, bucket)
    key_id = key_id or default_key or ""
    key = find_key(account_id, region, key_id) if key_id else None
    if key_id and key is None and not key_id.startswith("alias/aws/"):
        return False  # a key that does not exist (the AWS managed key is the account's to use)
    prefix = f"{prefix.strip('/')}/" if prefix else ""
    obj = f"arn:aws:s3:::{bucket}/{prefix}AWSLogs/{account_id}/Config/ConfigWritabilityCheckFile"
    as_role = (
        not role_propagating(account_id, role_arn)
        and identity_allows(account_id, role_arn, "s3:PutObject", obj)
        and identity_allows(account_id, role_arn, "s3:GetBucketAcl", f"arn:aws:s3:::{bucket}")
        and (
            key is None
            or all(
                key_policy_allows(account_id, key.policy, role_arn, a, key.arn) for a in KEY_ACTIONS
            )
        )
    )
    source = {"aws:SourceAccount": account_id}
    as_service = (
        service_allowed(policy, CONFIG, "s3:GetBucketAcl", f"arn:aws:s3:::{bucket}", source)
        and service_allowed(
            policy,
            CONFIG,
            "s3:PutObject",
            obj,
            {**source, "s3:x-amz-acl": "bucket-owner-full-control"},
        )
        and (
            key is None
            or all(service_allowed(key.policy, CONFIG, a, key.arn, source) for a in KEY_ACTIONS)
        )
    )
    return as_role or as_service


def _patch_delivery_channel_must_be_writable() -> None:
    """Gap: moto assumes the bucket's policy is right ("We are going to assume that the bucket has
    the correct policy attached to it"). AWS tests the delivery when the channel is put and answers
    InsufficientDeliveryPolicyException (Config API, PutDeliveryChannel) when neither the
    recorder's role nor the Config service principal may write the bucket and use its key
    (``config_may_deliver``). Nothing is written when refused."""
    original = ConfigBackend.put_delivery_channel

    def put_delivery_channel(self: ConfigBackend, delivery_channel: dict[str, Any]) -> None:
        bucket = delivery_channel.get("s3BucketName")
        if self.recorders and bucket:
            recorder = next(iter(self.recorders.values()))
            try:
                writable = config_may_deliver(
                    self.account_id,
                    self.region_name,
                    recorder.role_arn,
                    bucket,
                    delivery_channel.get("s3KeyPrefix") or "",
                    delivery_channel.get("s3KmsKeyArn") or "",
                )
            except MissingBucket:
                writable = True  # moto's own checks answer for a bucket that does not exist
            if not writable:
                raise InsufficientDeliveryPolicyException()
        original(self, delivery_channel)

    ConfigBackend.put_delivery_channel = put_delivery_channel  # type: ignore[method-assign]
