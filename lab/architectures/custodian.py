"""The custodian architecture: Cloud Custodian's policies (``custodian/policies/``), deployed by
``custodian run`` itself, which makes one Lambda function and one EventBridge rule per policy
(c7n's ``mu.py``: CreateFunction, PutRule, PutTargets, AddPermission) in the account.

What Custodian expects to exist before it runs is made here, as a team makes it once by hand: the
execution role its functions run as (``mode.role``; c7n never creates it) and the SNS topic its
``notify`` actions publish to, subscribed by the person every arm alerts (``connect_person``).
Custodian lives in a venv of its own, ``.venv-custodian`` (``make custodian``, from the hashed
lock ``requirements/custodian.txt``), or wherever ``LAB_CUSTODIAN`` points.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from botocore.exceptions import ClientError

from lab import settings
from lab.architectures.base import run_script
from lab.architectures.own_stack import connect_person
from lab.emulator.endpoints import Endpoints
from lab.lock import pins
from lab.paths import CUSTODIAN_DIR, REPO_ROOT

CUSTODIAN_ENV = settings.Settings.variable("custodian")
POLICIES_DIR = CUSTODIAN_DIR / "policies"
UNSUPPORTED_FILE = CUSTODIAN_DIR / "unsupported.yaml"
ROLE_POLICY_FILE = CUSTODIAN_DIR / "role-policy.json"
TRAIL_BUCKET_POLICY_FILE = CUSTODIAN_DIR / "trail-bucket-policy.json"
# The trail's bucket (custodian/policies/account-trail.yml: its name and region).
TRAIL_BUCKET = "lab-custodian-trail-{account_id}"
TRAIL_BUCKET_REGION = "us-east-2"
TRAIL_NAME = "lab-custodian-trail"
ROLE_NAME = "lab-custodian-policies"  # the policies' ``mode.role``
TOPIC_NAME = "lab-custodian-alerts"  # the policies' ``notify`` transport topic
FUNCTION_PREFIX = "custodian-"  # c7n names each policy's function and rule with it
ACTOR = "custodian"
PINNED = pins((REPO_ROOT / "requirements" / "custodian.txt").read_text())["c7n"]
INSTALL_HINT = (
    f"Cloud Custodian is not installed: run `make custodian` (a venv of its own, "
    f".venv-custodian, with c7n=={PINNED} from requirements/custodian.txt), or point "
    f"{CUSTODIAN_ENV} at a custodian executable."
)
_LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


class CustodianError(RuntimeError):
    """Custodian is missing, or ``custodian run`` failed (the message says which)."""


def executable() -> Path:
    """The custodian executable, or ``CustodianError`` saying how to install it."""
    configured = settings.current().custodian
    candidate = Path(configured) if configured else REPO_ROOT / ".venv-custodian/bin/custodian"
    if not (candidate.is_file() and os.access(candidate, os.X_OK)):
        raise CustodianError(INSTALL_HINT)
    return candidate


def policy_files() -> list[Path]:
    """The policy files, one per detection of the shared list that Custodian can express."""
    return sorted(POLICIES_DIR.glob("*.yml"))


@cache
def policies() -> tuple[dict[str, Any], ...]:
    """Every policy of every file, each with ``file`` (the detection's id) added."""
    return tuple(
        {**policy, "file": path.stem}
        for path in policy_files()
        for policy in yaml.safe_load(path.read_text())["policies"]
    )


@cache
def unsupported() -> dict[str, Any]:
    """``custodian/unsupported.yaml``: the detections and the fixes Custodian cannot express."""
    return yaml.safe_load(UNSUPPORTED_FILE.read_text())


def function_names() -> list[str]:
    """The Lambda functions (and EventBridge rules: c7n names both alike) ``deploy`` makes: one
    per event-mode policy (a pull-mode one runs once, at deploy)."""
    return [FUNCTION_PREFIX + p["name"] for p in policies() if "mode" in p]


@dataclass
class CustodianArchitecture:
    """Cloud Custodian's policies; ``alert_phone`` the on-call phone its topic pages by SMS."""

    run_id: str = "manual"
    name: str = "custodian"
    alert_phone: str | None = None

    def _prerequisites(self, endpoints: Endpoints) -> str:
        """The execution role, the alert topic and the trail's bucket; the topic's ARN."""
        account_id = endpoints.account_id()
        bucket = TRAIL_BUCKET.format(account_id=account_id)
        s3 = endpoints.session(ACTOR).client(
            "s3", region_name=TRAIL_BUCKET_REGION, endpoint_url=endpoints.url
        )
        with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
            s3.create_bucket(
                Bucket=bucket,
                CreateBucketConfiguration={"LocationConstraint": TRAIL_BUCKET_REGION},
            )
        s3.put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration=dict.fromkeys(
                (
                    "BlockPublicAcls",
                    "IgnorePublicAcls",
                    "BlockPublicPolicy",
                    "RestrictPublicBuckets",
                ),
                True,
            ),
        )
        policy = TRAIL_BUCKET_POLICY_FILE.read_text()
        s3.put_bucket_policy(
            Bucket=bucket,
            Policy=policy.replace("{bucket}", bucket).replace("{account_id}", account_id),
        )
        iam = endpoints.client("iam", ACTOR)
        try:
            iam.create_role(
                RoleName=ROLE_NAME,
                AssumeRolePolicyDocument=json.dumps(_LAMBDA_TRUST),
                Description="Cloud Custodian's policy functions (custodian/role-policy.json)",
                Tags=[{"Key": "lab:run-id", "Value": self.run_id}],
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "EntityAlreadyExists":
                raise
        iam.put_role_policy(
            RoleName=ROLE_NAME,
            PolicyName="custodian-policies",
            PolicyDocument=ROLE_POLICY_FILE.read_text(),
        )
        sns = endpoints.client("sns", ACTOR)
        return sns.create_topic(
            Name=TOPIC_NAME, Tags=[{"Key": "lab:run-id", "Value": self.run_id}]
        )["TopicArn"]

    def deploy(self, endpoints: Endpoints, workdir: Path) -> dict[str, Any]:
        custodian = executable()
        workdir.mkdir(parents=True, exist_ok=True)
        topic_arn = self._prerequisites(endpoints)
        env = {**os.environ, **endpoints.cli_env(ACTOR)}
        argv = [
            str(custodian),
            "run",
            "--region",
            endpoints.region,
            "-s",
            str(workdir.resolve() / "custodian-output"),
            *map(str, policy_files()),
        ]
        run_script(argv, env, "custodian run", CustodianError)
        connect_person(endpoints, topic_arn, self.alert_phone, ACTOR)
        return {"alert_topic_arn": topic_arn, "functions": ",".join(function_names())}

    def destroy(self, endpoints: Endpoints, workdir: Path) -> None:
        self._remove_trail(endpoints)
        events = endpoints.client("events", ACTOR)
        functions = endpoints.client("lambda", ACTOR)
        for name in function_names():
            with contextlib.suppress(ClientError):  # never deployed, or already gone
                targets = events.list_targets_by_rule(Rule=name)["Targets"]
                if targets:
                    events.remove_targets(Rule=name, Ids=[t["Id"] for t in targets])
                events.delete_rule(Name=name)
            with contextlib.suppress(ClientError):
                functions.delete_function(FunctionName=name)
        iam = endpoints.client("iam", ACTOR)
        with contextlib.suppress(ClientError):
            iam.delete_role_policy(RoleName=ROLE_NAME, PolicyName="custodian-policies")
            iam.delete_role(RoleName=ROLE_NAME)
        sns = endpoints.client("sns", ACTOR)
        arn = f"arn:aws:sns:{endpoints.region}:{endpoints.account_id()}:{TOPIC_NAME}"
        try:
            subscriptions = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
        except ClientError:
            return
        for subscription in subscriptions:
            if subscription["SubscriptionArn"].startswith("arn:"):
                sns.unsubscribe(SubscriptionArn=subscription["SubscriptionArn"])
        sns.delete_topic(TopicArn=arn)

    def _remove_trail(self, endpoints: Endpoints) -> None:
        """The trail ``account-trail.yml`` made, and its bucket with the logs in it."""
        cloudtrail = endpoints.client("cloudtrail", ACTOR)
        with contextlib.suppress(ClientError):
            cloudtrail.delete_trail(Name=TRAIL_NAME)
        bucket = TRAIL_BUCKET.format(account_id=endpoints.account_id())
        s3 = endpoints.session(ACTOR).client(
            "s3", region_name=TRAIL_BUCKET_REGION, endpoint_url=endpoints.url
        )
        with contextlib.suppress(ClientError):
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                for item in page.get("Contents", []):
                    s3.delete_object(Bucket=bucket, Key=item["Key"])
            s3.delete_bucket(Bucket=bucket)
