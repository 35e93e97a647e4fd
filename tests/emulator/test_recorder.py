"""Every call that reaches the emulator becomes a CloudTrail record: boto3, the aws CLI, all protocols."""

import json
import os
import subprocess

import pytest
from botocore.exceptions import ClientError


def _last(emulator, name):
    return [r for r in emulator.recorder.records() if r["eventName"] == name][-1]


def test_query_protocol_ec2_nested_parameters_and_identity(emulator):
    ec2 = emulator.endpoints.client("ec2", "attacker")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    group = ec2.create_security_group(GroupName="g", Description="d", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
    )
    record = _last(emulator, "AuthorizeSecurityGroupIngress")
    assert record["eventSource"] == "ec2.amazonaws.com"
    assert record["readOnly"] is False
    assert record["requestParameters"]["groupId"] == group
    permission = record["requestParameters"]["ipPermissions"]["items"][0]
    assert permission["ipRanges"]["items"][0]["cidrIp"] == "0.0.0.0/0"
    # Numbers as CloudTrail writes them, not the query protocol's text.
    assert permission["fromPort"] == 22 and permission["toPort"] == 22
    ec2.create_volume(AvailabilityZone="us-east-1a", Size=8, Encrypted=False)
    volume = _last(emulator, "CreateVolume")["requestParameters"]
    assert volume["size"] == 8 and volume["encrypted"] is False
    emulator.endpoints.client("iam", "root").update_account_password_policy(MinimumPasswordLength=6)
    policy = _last(emulator, "UpdateAccountPasswordPolicy")["requestParameters"]
    assert policy == {"minimumPasswordLength": 6}
    assert record["userIdentity"]["type"] == "IAMUser"
    assert record["userIdentity"]["userName"] == "compromised-developer"
    assert record["sourceIPAddress"] == "203.0.113.66"
    assert record["userAgent"].startswith("Boto3/")
    assert record["eventVersion"] and record["eventID"] and record["eventTime"].endswith("Z")
    assert record["eventCategory"] == "Management" and record["managementEvent"] is True


def test_json_protocol_logs(emulator):
    emulator.endpoints.client("logs").create_log_group(logGroupName="/lab/test")
    record = _last(emulator, "CreateLogGroup")
    assert record["eventSource"] == "logs.amazonaws.com"
    assert record["requestParameters"] == {"logGroupName": "/lab/test"}


def test_rest_xml_s3_distinguishes_put_object_from_copy(emulator):
    s3 = emulator.endpoints.client("s3")
    s3.create_bucket(Bucket="lab-recorder-test")
    s3.put_object(Bucket="lab-recorder-test", Key="a/b.txt", Body=b"x")
    s3.copy_object(
        Bucket="lab-recorder-test",
        Key="c.txt",
        CopySource={"Bucket": "lab-recorder-test", "Key": "a/b.txt"},
    )
    names = [
        r["eventName"]
        for r in emulator.recorder.records()
        if r["eventSource"] == "s3.amazonaws.com"
    ]
    assert names == ["CreateBucket", "PutObject", "CopyObject"]
    assert _last(emulator, "PutObject")["requestParameters"]["key"] == "a/b.txt"
    assert _last(emulator, "PutObject")["requestParameters"]["bucketName"] == "lab-recorder-test"


def test_rest_json_lambda_and_error_codes(emulator):
    client = emulator.endpoints.client("lambda")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_function(FunctionName="nope")
    record = _last(emulator, "GetFunction")
    assert record["eventSource"] == "lambda.amazonaws.com"
    assert record["errorCode"] == "ResourceNotFoundException"
    assert record["readOnly"] is True
    assert record["requestParameters"]["functionName"] == "nope"


def test_lambda_create_function_named_with_its_api_version(emulator):
    """CloudTrail names Lambda's CreateFunction by its API version (Lambda Developer Guide,
    "Logging Lambda API calls using CloudTrail"); a runbook looks the call up by that name."""
    client = emulator.endpoints.client("lambda")
    with pytest.raises(client.exceptions.ClientError):
        client.create_function(
            FunctionName="f",
            Runtime="python3.12",
            Role="arn:aws:iam::123456789012:role/none",
            Handler="index.handler",
            Code={"S3Bucket": "no-such-bucket", "S3Key": "k.zip"},
        )
    assert emulator.recorder.records()[-1]["eventName"] == "CreateFunction20150331"


def test_query_protocol_iam_error(emulator):
    iam = emulator.endpoints.client("iam")
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_user(UserName="ghost")
    record = _last(emulator, "GetUser")
    assert record["eventSource"] == "iam.amazonaws.com"
    assert record["errorCode"] == "NoSuchEntity"


def test_aws_cli_calls_are_recorded(emulator):
    env = {**os.environ, **emulator.endpoints.cli_env("baseline")}
    subprocess.run(
        ["aws", "sns", "create-topic", "--name", "cli-topic"],
        env=env,
        check=True,
        capture_output=True,
    )
    record = _last(emulator, "CreateTopic")
    assert record["eventSource"] == "sns.amazonaws.com"
    assert record["userAgent"].startswith("aws-cli/")
    assert record["userIdentity"]["userName"] == "lab-admin"
    assert record["requestParameters"] == {"name": "cli-topic"}


def test_assumed_role_calls_carry_the_role_identity(emulator):
    iam = emulator.endpoints.client("iam")
    role = iam.create_role(
        RoleName="r",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]
    creds = emulator.endpoints.client("sts").assume_role(RoleArn=role, RoleSessionName="fn")[
        "Credentials"
    ]
    import boto3

    boto3.client(
        "sns",
        endpoint_url=emulator.url,
        region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    ).list_topics()
    identity = _last(emulator, "ListTopics")["userIdentity"]
    assert identity["type"] == "AssumedRole"
    assert identity["arn"].endswith(":assumed-role/r/fn")
    assert identity["sessionContext"]["sessionIssuer"]["arn"] == role


def test_clock_sets_event_time(emulator):
    from datetime import UTC, datetime

    emulator.recorder.clock = lambda: datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    try:
        emulator.endpoints.client("sns").list_topics()
    finally:
        from lab.emulator.recorder import wall_clock

        emulator.recorder.clock = wall_clock
    assert _last(emulator, "ListTopics")["eventTime"] == "2030-01-02T03:04:05Z"


def test_response_elements_of_changes_in_cloudtrail_shape_and_none_for_reads(emulator):
    ec2 = emulator.endpoints.client("ec2", "attacker")
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1)["VolumeId"]
    created = _last(emulator, "CreateVolume")["responseElements"]
    assert created["volumeId"] == volume and created["encrypted"] is False
    ec2.describe_volumes(VolumeIds=[volume])
    assert _last(emulator, "DescribeVolumes")["responseElements"] is None
    iam = emulator.endpoints.client("iam", "harness")
    iam.create_user(UserName="u")
    key = iam.create_access_key(UserName="u")["AccessKey"]["AccessKeyId"]
    elements = _last(emulator, "CreateAccessKey")["responseElements"]
    assert elements["accessKey"]["accessKeyId"] == key
    assert "responseMetadata" not in elements and "createAccessKeyResult" not in elements


def test_records_do_not_carry_what_the_sdk_draws_at_random(emulator):
    """The request id is the service's (not the SDK's random invocation id) and botocore's feature
    codes, written in a set's order that changes with the hash seed, are sorted: a run's records
    are the same from run to run."""
    sts = emulator.endpoints.client("sts", "attacker")
    seen = []

    def add_headers(request, **_):
        request.headers["amz-sdk-invocation-id"] = f"00000000-0000-4000-8000-00000000000{len(seen)}"
        request.headers["User-Agent"] = (
            "Boto3/1.0 md/Botocore#1.0 m/Z,b,N,E,e cfg/retry-mode#standard"
        )
        seen.append(request)

    sts.meta.events.register("before-sign.sts.*", add_headers)
    sts.get_caller_identity()
    sts.get_caller_identity()
    first, second = [
        r for r in emulator.recorder.records() if r["eventName"] == "GetCallerIdentity"
    ][-2:]
    assert first["requestID"] != second["requestID"]
    assert not first["requestID"].startswith("00000000-")
    assert " m/E,N,Z,b,e " in first["userAgent"]


def test_records_as_cloudtrail_writes_them_for_the_legacy_rule_form_ec2_errors_and_sessions(
    emulator,
):
    """The legacy AuthorizeSecurityGroupIngress (top-level fields) carries an empty ipPermissions;
    EC2's error codes carry their Client. prefix; a role session's principalId names the session;
    responseElements are typed from the output shape."""
    ec2 = emulator.endpoints.client("ec2", "attacker")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    group = ec2.create_security_group(GroupName="legacy", Description="d", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group, IpProtocol="tcp", FromPort=22, ToPort=22, CidrIp="0.0.0.0/0"
    )
    legacy = _last(emulator, "AuthorizeSecurityGroupIngress")["requestParameters"]
    assert legacy["cidrIp"] == "0.0.0.0/0" and legacy["fromPort"] == 22
    assert legacy["ipPermissions"] == {}
    with pytest.raises(ClientError):
        ec2.delete_security_group(GroupId="sg-00000000000000000")
    assert _last(emulator, "DeleteSecurityGroup")["errorCode"].startswith("Client.")
    ec2.create_volume(AvailabilityZone="us-east-1a", Size=8)
    assert _last(emulator, "CreateVolume")["responseElements"]["size"] == 8
    emulator.endpoints.client("sts", "stolen-instance-role").get_caller_identity()
    identity = _last(emulator, "GetCallerIdentity")["userIdentity"]
    assert identity["type"] == "AssumedRole"
    assert identity["principalId"].endswith(":" + identity["arn"].rsplit("/", 1)[-1])


def test_per_call_layouts_as_cloudtrail_records_them(emulator):
    """ModifySnapshotAttribute in either request form is recorded as createVolumePermission.add
    items with attributeType (and the structured form acts: moto ignored it); CreateVolume's zone;
    EC2's _return and the service's requestId; S3's Host, sub-resource key, ACL header as a list,
    the ACL document and the bucket policy itself (AWS's example records)."""
    ec2 = emulator.endpoints.client("ec2", "attacker")
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=8)["VolumeId"]
    created = _last(emulator, "CreateVolume")
    assert created["requestParameters"]["zone"] == "us-east-1a"
    assert isinstance(created["responseElements"]["createTime"], int)  # EC2: epoch milliseconds
    snapshot = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
    ec2.modify_snapshot_attribute(
        SnapshotId=snapshot,
        Attribute="createVolumePermission",
        OperationType="add",
        GroupNames=["all"],
    )
    record = _last(emulator, "ModifySnapshotAttribute")
    assert record["requestParameters"] == {
        "snapshotId": snapshot,
        "createVolumePermission": {"add": {"items": [{"group": "all"}]}},
        "attributeType": "CREATE_VOLUME_PERMISSION",
    }
    assert record["responseElements"] == {"requestId": record["requestID"], "_return": True}
    ec2.modify_snapshot_attribute(
        SnapshotId=snapshot, CreateVolumePermission={"Remove": [{"Group": "all"}]}
    )
    removed = _last(emulator, "ModifySnapshotAttribute")["requestParameters"]
    assert removed["createVolumePermission"] == {"remove": {"items": [{"group": "all"}]}}
    permissions = ec2.describe_snapshot_attribute(
        SnapshotId=snapshot, Attribute="createVolumePermission"
    )["CreateVolumePermissions"]
    assert permissions == []  # the structured form acted
    s3 = emulator.endpoints.client("s3", "attacker")
    s3.create_bucket(Bucket="lab-layouts")
    s3.put_bucket_acl(Bucket="lab-layouts", ACL="public-read")
    acl = _last(emulator, "PutBucketAcl")["requestParameters"]
    assert acl["x-amz-acl"] == ["public-read"] and acl["acl"] == ""
    assert acl["Host"] == "lab-layouts.s3.us-east-1.amazonaws.com"
    owner = s3.get_bucket_acl(Bucket="lab-layouts")["Owner"]
    s3.put_bucket_acl(
        Bucket="lab-layouts",
        AccessControlPolicy={
            "Owner": owner,
            "Grants": [
                {
                    "Grantee": {
                        "Type": "Group",
                        "URI": "http://acs.amazonaws.com/groups/global/AllUsers",
                    },
                    "Permission": "READ",
                },
                {
                    "Grantee": {"Type": "CanonicalUser", "ID": owner["ID"]},
                    "Permission": "FULL_CONTROL",
                },
            ],
        },
    )
    document = _last(emulator, "PutBucketAcl")["requestParameters"]["AccessControlPolicy"]
    grants = document["AccessControlList"]["Grant"]
    assert grants[0]["Grantee"]["xsi:type"] == "Group" and grants[0]["Permission"] == "READ"
    assert grants[0]["Grantee"]["URI"].endswith("/AllUsers")
    assert document["xmlns"] == "http://s3.amazonaws.com/doc/2006-03-01/"
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::lab-layouts/*",
            }
        ],
    }
    s3.put_bucket_policy(Bucket="lab-layouts", Policy=json.dumps(policy))
    written = _last(emulator, "PutBucketPolicy")["requestParameters"]
    assert written["bucketPolicy"] == policy and written["policy"] == ""
