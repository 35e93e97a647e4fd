"""The bucket policies AWS services need before they deliver logs to a lab-owned bucket (the
emulated account refuses a trail or a Config delivery channel without them, as AWS does)."""

from __future__ import annotations

import json


def _statement(sid: str, service: str, action: str | list[str], resource: str, **cond: str) -> dict:
    statement = {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": action,
        "Resource": resource,
    }
    if cond:
        statement["Condition"] = {"StringEquals": cond}
    return statement


def trail_bucket_policy(bucket: str, account: str) -> str:
    """What CloudTrail needs to write to ``bucket`` (CloudTrail User Guide, "Amazon S3 bucket
    policy for CloudTrail")."""
    cloudtrail = "cloudtrail.amazonaws.com"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                _statement(
                    "AWSCloudTrailAclCheck", cloudtrail, "s3:GetBucketAcl", f"arn:aws:s3:::{bucket}"
                ),
                _statement(
                    "AWSCloudTrailWrite",
                    cloudtrail,
                    "s3:PutObject",
                    f"arn:aws:s3:::{bucket}/AWSLogs/{account}/*",
                    **{"s3:x-amz-acl": "bucket-owner-full-control"},
                ),
            ],
        }
    )


def config_bucket_policy(bucket: str, account: str) -> str:
    """What AWS Config's service principal needs to deliver to ``bucket`` (Config Developer Guide,
    "Permissions for the Amazon S3 bucket for the AWS Config delivery channel")."""
    config = "config.amazonaws.com"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                _statement(
                    "AWSConfigBucketPermissionsCheck",
                    config,
                    ["s3:GetBucketAcl", "s3:ListBucket"],
                    f"arn:aws:s3:::{bucket}",
                    **{"aws:SourceAccount": account},
                ),
                _statement(
                    "AWSConfigBucketDelivery",
                    config,
                    "s3:PutObject",
                    f"arn:aws:s3:::{bucket}/AWSLogs/{account}/Config/*",
                    **{"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceAccount": account},
                ),
            ],
        }
    )
