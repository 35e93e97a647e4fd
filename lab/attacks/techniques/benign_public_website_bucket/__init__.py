"""benign-public-website-bucket: the IT administrator publishes the company's static website from a
bucket tagged as a website (public s3:GetObject by bucket policy)."""

from __future__ import annotations

import json
from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.benign import ADMIN
from lab.attacks.resources import delete_bucket, lab_tags, missing_ok
from lab.attacks.s3_bucket import LabBucketTechnique, policy_public, remove_policy
from lab.emulator.endpoints import Endpoints

WEBSITE_TAG = {"Key": "website", "Value": "public"}
INDEX = "index.html"


class BenignPublicWebsiteBucket(LabBucketTechnique):
    folder = Path(__file__).parent
    PURPOSE = "website"

    def warm_up(self, endpoints: Endpoints) -> Prerequisites:
        """The website's bucket (defaults: public access blocked), tagged as a website, with static
        website hosting on and its index page; no public policy yet."""
        s3 = endpoints.client("s3", "harness")
        bucket = self.bucket(endpoints)
        with missing_ok("BucketAlreadyOwnedByYou"):
            s3.create_bucket(Bucket=bucket)
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [*lab_tags(self.id), WEBSITE_TAG]})
        s3.put_bucket_website(
            Bucket=bucket, WebsiteConfiguration={"IndexDocument": {"Suffix": INDEX}}
        )
        s3.put_object(
            Bucket=bucket, Key=INDEX, Body=b"<h1>Example Co.</h1>", ContentType="text/html"
        )
        prerequisites: Prerequisites = {"bucket": bucket}
        self.revert(endpoints, prerequisites)
        return prerequisites

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        """As S3's guide to website hosting says: turn the bucket's Block Public Access off, then a
        bucket policy granting everyone s3:GetObject."""
        bucket = prerequisites["bucket"]
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PublicReadGetObject",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                }
            ],
        }
        s3 = endpoints.client("s3", ADMIN)
        s3.delete_public_access_block(Bucket=bucket)
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        """Broken: the public can no longer read the site (no public statement, or S3 restricts it:
        RestrictPublicBuckets), as S3 evaluates it."""
        return not policy_public(endpoints.client("s3", "observer"), prerequisites["bucket"])

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        remove_policy(endpoints.client("s3", "harness"), prerequisites["bucket"])

    def cleanup(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        delete_bucket(endpoints.client("s3", "harness"), prerequisites["bucket"])


TECHNIQUE = BenignPublicWebsiteBucket
