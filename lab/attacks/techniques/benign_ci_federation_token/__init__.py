"""benign-ci-federation-token: the company's CI system gets federation tokens for its build jobs."""

from __future__ import annotations

import json
from pathlib import Path

from lab.attacks.base import Prerequisites, Technique
from lab.attacks.benign import (
    ADMIN,
    ALLOW_TAG,
    CI,
    QUARANTINE_POLICY_ARN,
    allowed_changes,
    user_cut_off,
)
from lab.attacks.iam_user import delete_user, ensure_user
from lab.attacks.resources import account_id, lab_tags, missing_ok
from lab.emulator.actors import actor
from lab.emulator.endpoints import Endpoints

BUILD_POLICY_NAME = "ci-build"
# One build job's session: upload its artifacts, nothing else (the session policy narrows the CI
# user's own permissions, as AWS recommends for a GetFederationToken broker).
ARTIFACTS_PREFIX = "lab-ci-artifacts"


def _artifacts_statement(account: str) -> dict[str, object]:
    return {
        "Effect": "Allow",
        "Action": ["s3:PutObject", "s3:GetObject"],
        "Resource": f"arn:aws:s3:::{ARTIFACTS_PREFIX}-{account}/*",
    }


class BenignCiFederationToken(Technique):
    folder = Path(__file__).parent

    def warm_up(self, endpoints: Endpoints) -> Prerequisites:
        """The CI system's IAM user (lab-tagged), allowed to mint build sessions; not quarantined."""
        iam = endpoints.client("iam", "harness")
        user = actor(CI).user_name
        ensure_user(iam, user, self.id)
        iam.tag_user(UserName=user, Tags=lab_tags(self.id))
        iam.put_user_policy(
            UserName=user,
            PolicyName=BUILD_POLICY_NAME,
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": "sts:GetFederationToken", "Resource": "*"},
                        _artifacts_statement(account_id(endpoints)),
                    ],
                }
            ),
        )
        prerequisites: Prerequisites = {"user": user}
        self.revert(endpoints, prerequisites)
        return prerequisites

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        """One build job's credentials: an hour, scoped to the artifacts bucket. With an
        allow-list, the administrator has tagged the CI user: its federation tokens are routine."""
        tags = allowed_changes("GetFederationToken")
        if tags:
            endpoints.client("iam", ADMIN).tag_user(UserName=prerequisites["user"], Tags=tags)
        endpoints.client("sts", CI).get_federation_token(
            Name="ci-build-job",
            Policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [_artifacts_statement(account_id(endpoints))],
                }
            ),
            DurationSeconds=3600,
        )

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        """Broken: the CI user is gone or quarantined (every build after it fails)."""
        return user_cut_off(endpoints.client("iam", "observer"), prerequisites["user"])

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        """The session expires by itself; a quarantine, if any, is lifted for the next trial, and
        the allow-list tag removed."""
        iam = endpoints.client("iam", "harness")
        with missing_ok("NoSuchEntity"):
            iam.detach_user_policy(UserName=prerequisites["user"], PolicyArn=QUARANTINE_POLICY_ARN)
        with missing_ok("NoSuchEntity"):
            iam.untag_user(UserName=prerequisites["user"], TagKeys=[ALLOW_TAG])

    def cleanup(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        delete_user(endpoints.client("iam", "harness"), prerequisites["user"])


TECHNIQUE = BenignCiFederationToken
