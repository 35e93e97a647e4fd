"""The IAM actions a real-account run needs, listed from a rehearsal on the emulated account and
checked against docs/aws-lab-policy.json: every IAM action a run of both architectures makes is
allowed by the policy."""

import pytest

from lab.architectures.manual import ManualArchitecture
from lab.architectures.serverless import ServerlessArchitecture
from lab.attacks.registry import techniques
from lab.targets.permissions import (
    LAB_POLICY,
    document,
    iam_action,
    listing,
    needed,
    refused,
    rehearse,
)

pytestmark = pytest.mark.integration


def test_a_record_is_authorized_as_its_iam_action():
    record = {"eventSource": "lambda.amazonaws.com", "eventName": "CreateFunction20150331"}
    assert iam_action(record) == "lambda:CreateFunction"
    assert iam_action({"eventSource": "s3.amazonaws.com", "eventName": "ListBuckets"}) == (
        "s3:ListAllMyBuckets"
    )
    assert iam_action(
        {"eventSource": "monitoring.amazonaws.com", "eventName": "PutMetricAlarm"}
    ) == ("cloudwatch:PutMetricAlarm")


def test_the_labs_policy_allows_every_action_a_run_of_both_architectures_makes(
    emulator, tmp_path, deploy_kept
):
    """Both architectures deployed and destroyed, every technique but the root user's warmed up,
    detonated, read back, reverted and cleaned up: each call made with your credentials on a
    real account (harness, observer, deployers, attacker) is an IAM action the policy must allow,
    on the resource it names."""
    chosen = sorted(t for t, attack in techniques().items() if not attack.needs_root)
    records = rehearse(
        [ManualArchitecture(), ServerlessArchitecture(variables={"alert_email": "t@example.com"})],
        chosen,
        tmp_path,
        emulator,
        deploy=deploy_kept,
    )
    account, region = emulator.endpoints.account_id(), emulator.endpoints.region
    actions = needed(records, account)
    missing = refused(actions, document(LAB_POLICY, account, region), account, region)
    print(listing(actions, missing))
    assert len(actions) > 150
    assert {"iam:CreateRole", "lambda:CreateFunction", "sts:GetFederationToken"} <= set(actions)
    assert missing == {}
