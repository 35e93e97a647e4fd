"""The orchestrator Lambda's responses, run as plain boto3 code against the emulated account (as
Lambda runs them): each acts on what the event names and only on what is still wrong."""

import importlib.util
import json

import pytest

from lab.paths import REPO_ROOT


@pytest.fixture
def respond(emulator, monkeypatch):
    for name, value in emulator.endpoints.cli_env("harness").items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
    path = REPO_ROOT / "terraform" / "functions" / "respond" / "handler.py"
    spec = importlib.util.spec_from_file_location("lab_respond_handler", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_createaccesskey_deactivates_the_key_the_event_names_not_the_users_others(
    emulator, respond
):
    iam = emulator.endpoints.client("iam", "harness")
    iam.create_user(UserName="lab-worker")
    own = iam.create_access_key(UserName="lab-worker")["AccessKey"]["AccessKeyId"]
    made = iam.create_access_key(UserName="lab-worker")["AccessKey"]["AccessKeyId"]
    detail = {
        "eventName": "CreateAccessKey",
        "requestParameters": {"userName": "lab-worker"},
        "responseElements": {"accessKey": {"accessKeyId": made, "userName": "lab-worker"}},
    }
    status, facts = respond.deactivate_keys_of_other_user(detail["requestParameters"], detail)
    assert (status, facts["deactivated"]) == ("remediated", [made])
    keys = {
        k["AccessKeyId"]: k["Status"]
        for k in iam.list_access_keys(UserName="lab-worker")["AccessKeyMetadata"]
    }
    assert keys == {own: "Active", made: "Inactive"}
    # Again: nothing left to do. Without a key in the event: a person decides, nothing changes.
    assert respond.deactivate_keys_of_other_user(detail["requestParameters"], detail)[0] == (
        "compliant"
    )
    bare = {**detail, "responseElements": None}
    assert respond.deactivate_keys_of_other_user(bare["requestParameters"], bare)[0] == "alerted"
    assert iam.list_access_keys(UserName="lab-worker")["AccessKeyMetadata"][0]["Status"] == "Active"


def test_a_private_bucket_policy_is_left_alone_a_public_one_is_blocked(emulator, respond):
    s3 = emulator.endpoints.client("s3", "harness")
    account = emulator.endpoints.account_id()
    s3.create_bucket(Bucket="lab-data")
    private = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::lab-data/*",
            }
        ],
    }
    s3.put_bucket_policy(Bucket="lab-data", Policy=json.dumps(private))
    detail = {"eventName": "PutBucketPolicy", "requestParameters": {"bucketName": "lab-data"}}
    status, facts = respond.block_bucket_public_access(detail["requestParameters"], detail)
    assert (status, facts.get("public")) == ("compliant", False)
    with pytest.raises(s3.exceptions.ClientError):
        s3.get_public_access_block(Bucket="lab-data")
    public = {**private, "Statement": [{**private["Statement"][0], "Principal": "*"}]}
    s3.put_bucket_policy(Bucket="lab-data", Policy=json.dumps(public))
    status, _ = respond.block_bucket_public_access(detail["requestParameters"], detail)
    assert status == "remediated"
    block = s3.get_public_access_block(Bucket="lab-data")["PublicAccessBlockConfiguration"]
    assert all(block.values())
