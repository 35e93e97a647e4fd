"""Each moto compatibility patch, exercised over HTTP against the emulator."""

import io
import json
import os
import subprocess
import urllib.request
import zipfile

import pytest

from lab.attacks.log_delivery import config_bucket_policy, trail_bucket_policy


def test_delete_trail_by_arn_deletes_it(emulator):
    e = emulator.endpoints
    e.client("s3").create_bucket(Bucket="lab-compat-trail")
    e.client("s3").put_bucket_policy(
        Bucket="lab-compat-trail", Policy=trail_bucket_policy("lab-compat-trail", e.account_id())
    )
    arn = e.client("cloudtrail").create_trail(Name="compat-trail", S3BucketName="lab-compat-trail")[
        "TrailARN"
    ]
    e.client("cloudtrail").start_logging(Name=arn)
    assert e.client("cloudtrail").get_trail_status(Name=arn)["IsLogging"] is True
    e.client("cloudtrail").delete_trail(Name=arn)
    assert e.client("cloudtrail").describe_trails()["trailList"] == []


def test_delete_missing_trail_is_not_found(emulator):
    client = emulator.endpoints.client("cloudtrail")
    with pytest.raises(client.exceptions.TrailNotFoundException):
        client.delete_trail(Name="arn:aws:cloudtrail:us-east-1:123456789012:trail/ghost")


def _function(e, name: str) -> bytes:
    """A Python function ``name`` in the emulated account; its deployment package."""
    role = e.client("iam").create_role(
        RoleName=f"{name}-role",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return 'ok'\n")
    e.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": buffer.getvalue()},
    )
    return buffer.getvalue()


def test_lambda_code_location_downloads_the_deployed_zip(emulator):
    e = emulator.endpoints
    package = _function(e, "fn")
    location = e.client("lambda").get_function(FunctionName="fn")["Code"]["Location"]
    assert location.startswith(emulator.url)
    with urllib.request.urlopen(location) as response:
        assert response.read() == package


def test_lambda_add_permission_refuses_another_statement_with_an_id_already_in_the_policy(emulator):
    e = emulator.endpoints
    _function(e, "perm-fn")
    client = e.client("lambda")
    grant = {
        "FunctionName": "perm-fn",
        "StatementId": "AllowEventBridge-x",
        "Action": "lambda:InvokeFunction",
        "Principal": "events.amazonaws.com",
    }
    client.add_permission(**grant)
    for again in (grant | {"Principal": "sns.amazonaws.com"}, grant):  # another, the same
        with pytest.raises(
            client.exceptions.ResourceConflictException,
            match=r"statement id \(AllowEventBridge-x\) provided already exists",
        ):
            client.add_permission(**again)
    statements = json.loads(client.get_policy(FunctionName="perm-fn")["Policy"])["Statement"]
    assert [s["Sid"] for s in statements] == ["AllowEventBridge-x"]
    client.remove_permission(FunctionName="perm-fn", StatementId="AllowEventBridge-x")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_policy(FunctionName="perm-fn")


def test_sfn_validate_state_machine_definition(emulator):
    sfn = emulator.endpoints.client("stepfunctions")
    good = sfn.validate_state_machine_definition(
        definition=json.dumps({"StartAt": "a", "States": {"a": {"Type": "Pass", "End": True}}})
    )
    assert good["result"] == "OK" and good["diagnostics"] == []
    bad = sfn.validate_state_machine_definition(
        definition=json.dumps({"StartAt": "x", "States": {}})
    )
    assert bad["result"] == "FAIL"
    assert bad["diagnostics"][0]["code"] == "MISSING_START_AT"


def test_securityhub_update_configuration_is_stored(emulator):
    hub = emulator.endpoints.client("securityhub")
    hub.enable_security_hub()
    hub.update_security_hub_configuration(
        AutoEnableControls=False, ControlFindingGenerator="STANDARD_CONTROL"
    )
    described = hub.describe_hub()
    assert described["AutoEnableControls"] is False
    assert described["ControlFindingGenerator"] == "STANDARD_CONTROL"


def test_lookup_events_serves_event_history_newest_first_with_one_attribute(emulator):
    e = emulator.endpoints
    e.client("iam", "root").get_account_summary()
    e.client("s3", "attacker").list_buckets()
    e.client("iam", "root").list_users()
    e.client("s3", "observer").list_buckets()  # the harness's own reads are not history
    cloudtrail = e.client("cloudtrail", "monitor")
    by_root = cloudtrail.lookup_events(
        LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": "root"}]
    )["Events"]
    assert [ev["EventName"] for ev in by_root] == ["ListUsers", "GetAccountSummary"]
    everything = cloudtrail.lookup_events()["Events"]
    assert sum(ev["EventName"] == "ListBuckets" for ev in everything) == 1
    page = cloudtrail.lookup_events(MaxResults=1)
    assert len(page["Events"]) == 1 and page["NextToken"]


def test_describe_snapshots_honours_owner_self_and_restorable_by_all(emulator):
    ec2 = emulator.endpoints.client("ec2")
    assert len(ec2.describe_snapshots()["Snapshots"]) > 100  # moto's public AMI snapshots
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1)["VolumeId"]
    snapshot = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
    mine = ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]
    assert [s["SnapshotId"] for s in mine] == [snapshot]
    public = dict(OwnerIds=["self"], RestorableByUserIds=["all"])
    assert ec2.describe_snapshots(**public)["Snapshots"] == []
    ec2.modify_snapshot_attribute(
        SnapshotId=snapshot,
        Attribute="createVolumePermission",
        OperationType="add",
        GroupNames=["all"],
    )
    assert [s["SnapshotId"] for s in ec2.describe_snapshots(**public)["Snapshots"]] == [snapshot]


def test_a_tls_only_bucket_policy_lets_writes_through_but_a_plain_deny_does_not(emulator):
    """aws:SecureTransport is true for every real client; other Deny statements still apply."""
    import json as _json

    from botocore.exceptions import ClientError as _ClientError

    s3 = emulator.endpoints.client("s3")
    s3.create_bucket(Bucket="tls-only-bucket")
    statement = {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::tls-only-bucket", "arn:aws:s3:::tls-only-bucket/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    s3.put_bucket_policy(Bucket="tls-only-bucket", Policy=_json.dumps(policy))
    s3.put_object(Bucket="tls-only-bucket", Key="AWSLogs/x.gz", Body=b"x")
    statement.pop("Condition")
    s3.put_bucket_policy(Bucket="tls-only-bucket", Policy=_json.dumps(policy))
    with pytest.raises(_ClientError):
        s3.put_object(Bucket="tls-only-bucket", Key="AWSLogs/y.gz", Body=b"x")


def test_active_tracing_needs_a_role_that_may_upload_traces(emulator):
    """AWS refuses CreateFunction / UpdateFunctionConfiguration with active X-Ray tracing when the
    execution role lacks xray:PutTraceSegments (InvalidParameterValueException); so does the
    emulator, with moto's IAM evaluator reading the role's inline and managed policies."""
    import botocore.exceptions

    iam = emulator.endpoints.client("iam", "baseline")
    lam = emulator.endpoints.client("lambda", "baseline")
    trust = _policy({"Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"})
    role = iam.create_role(RoleName="lab-trace-role", AssumeRolePolicyDocument=trust)["Role"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    spec = dict(
        FunctionName="lab-traced",
        Runtime="python3.12",
        Role=role["Arn"],
        Handler="handler.handler",
        Code={"ZipFile": buffer.getvalue()},
        TracingConfig={"Mode": "Active"},
    )
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        lam.create_function(**spec)
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "PutTraceSegments on XRAY" in refused.value.response["Error"]["Message"]
    # Without tracing the same role is fine; turning tracing on later is refused too.
    lam.create_function(**{**spec, "TracingConfig": {"Mode": "PassThrough"}})
    with pytest.raises(botocore.exceptions.ClientError):
        lam.update_function_configuration(
            FunctionName="lab-traced", TracingConfig={"Mode": "Active"}
        )
    # An explicit Deny wins over an Allow.
    iam.attach_role_policy(
        RoleName="lab-trace-role", PolicyArn="arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"
    )
    deny = _policy({"Effect": "Deny", "Action": "xray:PutTraceSegments", "Resource": "*"})
    iam.put_role_policy(RoleName="lab-trace-role", PolicyName="deny", PolicyDocument=deny)
    with pytest.raises(botocore.exceptions.ClientError):
        lam.update_function_configuration(
            FunctionName="lab-traced", TracingConfig={"Mode": "Active"}
        )
    iam.delete_role_policy(RoleName="lab-trace-role", PolicyName="deny")
    lam.update_function_configuration(FunctionName="lab-traced", TracingConfig={"Mode": "Active"})
    assert lam.get_function_configuration(FunctionName="lab-traced")["TracingConfig"] == {
        "Mode": "Active"
    }


def test_user_data_over_16_kb_is_refused_as_ec2_refuses_it(emulator):
    """EC2 takes at most 16,384 bytes of user data in raw form (before base64)."""
    import botocore.exceptions

    ec2 = emulator.endpoints.client("ec2", "baseline")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, UserData="x" * 16385)
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert refused.value.response["Error"]["Message"] == "User data is limited to 16384 bytes"
    ran = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, UserData="x" * 16384)
    assert ran["Instances"]


def test_publishing_to_an_encrypted_topic_needs_the_key(emulator):
    """A role publishing to a topic encrypted with a customer managed key needs
    kms:GenerateDataKey* and kms:Decrypt (identity policy, through the key policy's delegation to
    IAM, or the key policy naming the role): else KMSAccessDenied, as AWS answers."""
    import boto3
    import botocore.exceptions

    root = {"AWS": f"arn:aws:iam::{emulator.endpoints.account_id()}:root"}
    iam = emulator.endpoints.client("iam", "baseline")
    kms = emulator.endpoints.client("kms", "baseline")
    sns = emulator.endpoints.client("sns", "baseline")
    sts = emulator.endpoints.client("sts", "baseline")
    trust = _policy({"Principal": root, "Action": "sts:AssumeRole"})
    role = iam.create_role(RoleName="lab-publisher", AssumeRolePolicyDocument=trust)
    key = kms.create_key(Policy=_policy({"Principal": root, "Action": "kms:*", "Resource": "*"}))
    key = key["KeyMetadata"]
    topic = sns.create_topic(Name="lab-encrypted", Attributes={"KmsMasterKeyId": key["Arn"]})
    publish = _policy({"Action": "sns:Publish", "Resource": topic["TopicArn"]})
    iam.put_role_policy(RoleName="lab-publisher", PolicyName="publish", PolicyDocument=publish)
    creds = sts.assume_role(RoleArn=role["Role"]["Arn"], RoleSessionName="lab-publisher")[
        "Credentials"
    ]
    publisher = boto3.client(
        "sns",
        endpoint_url=emulator.url,
        region_name=emulator.endpoints.region,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        publisher.publish(TopicArn=topic["TopicArn"], Message="alert")
    assert refused.value.response["Error"]["Code"] == "KMSAccessDenied"
    grant = _policy({"Action": ["kms:GenerateDataKey*", "kms:Decrypt"], "Resource": key["Arn"]})
    iam.put_role_policy(RoleName="lab-publisher", PolicyName="key", PolicyDocument=grant)
    assert publisher.publish(TopicArn=topic["TopicArn"], Message="alert")["MessageId"]
    # An unencrypted topic needs no key.
    plain = sns.create_topic(Name="lab-plain")["TopicArn"]
    iam.delete_role_policy(RoleName="lab-publisher", PolicyName="key")
    publish = _policy({"Action": "sns:Publish", "Resource": "*"})
    iam.put_role_policy(RoleName="lab-publisher", PolicyName="publish", PolicyDocument=publish)
    assert publisher.publish(TopicArn=plain, Message="alert")["MessageId"]


def test_a_json_structured_publish_without_a_default_entry_is_refused(emulator):
    """MessageStructure=json needs a JSON object with a string "default" entry: else the whole
    Publish is InvalidParameter, with or without subscribers, as AWS answers."""
    import botocore.exceptions

    sns = emulator.endpoints.client("sns", "baseline")
    topic = sns.create_topic(Name="lab-structured")["TopicArn"]
    sqs = emulator.endpoints.client("sqs", "baseline")
    queue = sqs.create_queue(QueueName="lab-structured")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn["Attributes"]["QueueArn"])
    refusals = {
        json.dumps({"sms": "short", "sqs": "for the queue"}): "No default entry",
        json.dumps({"default": {"not": "a string"}}): "No default entry",
        "not json": "failed to parse",
    }
    for body, words in refusals.items():
        with pytest.raises(botocore.exceptions.ClientError) as refused:
            sns.publish(TopicArn=topic, MessageStructure="json", Message=body)
        assert refused.value.response["Error"]["Code"] == "InvalidParameter"
        assert words in refused.value.response["Error"]["Message"]
    assert "Messages" not in sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0)
    sns.publish(TopicArn=topic, MessageStructure="json", Message=json.dumps({"default": "d"}))
    received = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0)["Messages"]
    assert json.loads(received[0]["Body"])["Message"] == "d"


def _policy(*statements: dict) -> str:
    """A policy document of ``statements`` (Allow unless they say), as JSON."""
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **s} for s in statements]}
    )


def test_resolver_query_logging_cannot_be_deleted_while_a_vpc_uses_it(emulator):
    e = emulator.endpoints
    vpc_id = e.client("ec2").create_vpc(CidrBlock="10.91.0.0/16")["Vpc"]["VpcId"]
    resolver = e.client("route53resolver")
    config_id = resolver.create_resolver_query_log_config(
        Name="compat-dns-logs",
        DestinationArn="arn:aws:s3:::compat-dns-logs",
        CreatorRequestId="compat-dns-logs",
    )["ResolverQueryLogConfig"]["Id"]
    resolver.associate_resolver_query_log_config(
        ResolverQueryLogConfigId=config_id, ResourceId=vpc_id
    )
    with pytest.raises(resolver.exceptions.InvalidRequestException):
        resolver.delete_resolver_query_log_config(ResolverQueryLogConfigId=config_id)
    resolver.disassociate_resolver_query_log_config(
        ResolverQueryLogConfigId=config_id, ResourceId=vpc_id
    )
    with pytest.raises(resolver.exceptions.ResourceNotFoundException):
        resolver.disassociate_resolver_query_log_config(
            ResolverQueryLogConfigId=config_id, ResourceId=vpc_id
        )
    deleted = resolver.delete_resolver_query_log_config(ResolverQueryLogConfigId=config_id)
    assert deleted["ResolverQueryLogConfig"]["Status"] == "DELETING"
    assert resolver.list_resolver_query_log_configs()["ResolverQueryLogConfigs"] == []
    record = [
        r for r in emulator.recorder.records() if r["eventName"] == "DeleteResolverQueryLogConfig"
    ][-1]
    assert record["eventSource"] == "route53resolver.amazonaws.com"


def test_leave_organization_is_refused_as_aws_refuses_it(emulator):
    organizations = emulator.endpoints.client("organizations")
    with pytest.raises(organizations.exceptions.AWSOrganizationsNotInUseException):
        organizations.leave_organization()
    organizations.create_organization(FeatureSet="ALL")
    try:
        with pytest.raises(organizations.exceptions.ConstraintViolationException):
            organizations.leave_organization()  # the management account cannot leave
    finally:
        organizations.delete_organization()
    record = [r for r in emulator.recorder.records() if r["eventName"] == "LeaveOrganization"][-1]
    assert record["eventSource"] == "organizations.amazonaws.com"
    assert record["errorCode"] == "ConstraintViolationException"


def test_start_session_reaches_only_instances_an_ssm_agent_could_register_from(emulator):
    from lab.attacks.registry import technique

    e = emulator.endpoints
    t = technique("ssm-start-session")
    prerequisites = t.warm_up(e)
    ssm = e.client("ssm")
    session = ssm.start_session(Target=prerequisites["instance_id"])
    assert session["StreamUrl"].startswith("wss://ssmmessages.us-east-1.amazonaws.com/")
    iam = e.client("iam")
    iam.detach_role_policy(
        RoleName=prerequisites["role"],
        PolicyArn="arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    )
    with pytest.raises(ssm.exceptions.ClientError, match="TargetNotConnected"):
        ssm.start_session(Target=prerequisites["instance_id"])
    with pytest.raises(ssm.exceptions.ClientError, match="TargetNotConnected"):
        ssm.start_session(Target="i-0123456789abcdef0")
    t.cleanup(e, prerequisites)


def test_serial_console_keys_are_refused_until_the_account_turns_access_on(emulator):
    from lab.attacks.target_instance import delete_target, ensure_target

    e = emulator.endpoints
    target = ensure_target(e, "compat-serial-console")
    ec2, connect = e.client("ec2"), e.client("ec2-instance-connect")
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILabAttackerKeyOnlyForTheLabxxxxxxxxxxxxxxxx test"
    assert ec2.get_serial_console_access_status()["SerialConsoleAccessEnabled"] is False
    with pytest.raises(connect.exceptions.SerialConsoleAccessDisabledException):
        connect.send_serial_console_ssh_public_key(
            InstanceId=target["instance_id"], SSHPublicKey=key
        )
    ec2.enable_serial_console_access()
    try:
        assert connect.send_serial_console_ssh_public_key(
            InstanceId=target["instance_id"], SSHPublicKey=key
        )["Success"]
        with pytest.raises(connect.exceptions.EC2InstanceNotFoundException):
            connect.send_serial_console_ssh_public_key(
                InstanceId="i-0123456789abcdef0", SSHPublicKey=key
            )
    finally:
        ec2.disable_serial_console_access()
        delete_target(e, target, "compat-serial-console")


def test_a_new_trail_records_every_management_event_by_default(emulator):
    e = emulator.endpoints
    e.client("s3").create_bucket(Bucket="compat-default-selectors")
    e.client("s3").put_bucket_policy(
        Bucket="compat-default-selectors",
        Policy=trail_bucket_policy("compat-default-selectors", e.account_id()),
    )
    cloudtrail = e.client("cloudtrail")
    cloudtrail.create_trail(
        Name="compat-default-selectors", S3BucketName="compat-default-selectors"
    )
    try:
        selectors = cloudtrail.get_event_selectors(TrailName="compat-default-selectors")
        assert selectors["EventSelectors"] == [
            {
                "ReadWriteType": "All",
                "IncludeManagementEvents": True,
                "DataResources": [],
                "ExcludeManagementEventSources": [],
            }
        ]
    finally:
        cloudtrail.delete_trail(Name="compat-default-selectors")
        e.client("s3").delete_bucket(Bucket="compat-default-selectors")


def _root(e) -> dict:
    return {"AWS": f"arn:aws:iam::{e.account_id()}:root"}


def test_a_trail_is_refused_unless_its_bucket_and_key_policies_let_cloudtrail_deliver(emulator):
    """CloudTrail checks the bucket policy and the key policy when a trail is created (CreateTrail:
    InsufficientS3BucketPolicyException, InsufficientEncryptionPolicyException); nothing is made."""
    e = emulator.endpoints
    s3, kms, cloudtrail = e.client("s3"), e.client("kms"), e.client("cloudtrail")
    s3.create_bucket(Bucket="compat-trail-policy")
    with pytest.raises(cloudtrail.exceptions.InsufficientS3BucketPolicyException):
        cloudtrail.create_trail(Name="compat-policy", S3BucketName="compat-trail-policy")
    s3.put_bucket_policy(
        Bucket="compat-trail-policy",
        Policy=trail_bucket_policy("compat-trail-policy", e.account_id()),
    )
    admin_only = kms.create_key(
        Policy=_policy({"Principal": _root(e), "Action": "kms:*", "Resource": "*"})
    )["KeyMetadata"]["Arn"]
    with pytest.raises(cloudtrail.exceptions.InsufficientEncryptionPolicyException):
        cloudtrail.create_trail(
            Name="compat-policy", S3BucketName="compat-trail-policy", KmsKeyId=admin_only
        )
    assert cloudtrail.describe_trails(trailNameList=["compat-policy"])["trailList"] == []
    trail_arn = f"arn:aws:cloudtrail:{e.region}:{e.account_id()}:trail/compat-policy"
    usable = kms.create_key(
        Policy=_policy(
            {"Principal": _root(e), "Action": "kms:*", "Resource": "*"},
            {
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": trail_arn}
                },
            },
            {
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:DescribeKey",
                "Resource": "*",
            },
        )
    )["KeyMetadata"]["Arn"]
    cloudtrail.create_trail(
        Name="compat-policy", S3BucketName="compat-trail-policy", KmsKeyId=usable
    )
    with pytest.raises(cloudtrail.exceptions.InsufficientEncryptionPolicyException):
        cloudtrail.update_trail(Name="compat-policy", KmsKeyId=admin_only)
    cloudtrail.delete_trail(Name="compat-policy")


def test_a_config_delivery_channel_is_refused_unless_config_may_write_the_bucket_and_its_key(
    emulator,
):
    """PutDeliveryChannel: InsufficientDeliveryPolicyException unless the recorder's role (identity
    policies, key policy) or Config's service principal (bucket policy, key policy) may write the
    KMS-encrypted bucket; the channel is not created when refused."""
    e = emulator.endpoints
    s3, kms, iam, config = e.client("s3"), e.client("kms"), e.client("iam"), e.client("config")
    key = kms.create_key(
        Policy=_policy({"Principal": _root(e), "Action": "kms:*", "Resource": "*"})
    )["KeyMetadata"]["Arn"]
    s3.create_bucket(Bucket="compat-config-delivery")
    s3.put_bucket_encryption(
        Bucket="compat-config-delivery",
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": key,
                    }
                }
            ]
        },
    )
    s3.put_bucket_policy(
        Bucket="compat-config-delivery",
        Policy=config_bucket_policy("compat-config-delivery", e.account_id()),
    )
    trust = _policy({"Principal": {"Service": "config.amazonaws.com"}, "Action": "sts:AssumeRole"})
    role = iam.create_role(RoleName="compat-config", AssumeRolePolicyDocument=trust)["Role"]
    iam.attach_role_policy(
        RoleName="compat-config", PolicyArn="arn:aws:iam::aws:policy/service-role/AWS_ConfigRole"
    )
    config.put_configuration_recorder(
        ConfigurationRecorder={"name": "compat", "roleARN": role["Arn"]}
    )
    channel = {"name": "compat", "s3BucketName": "compat-config-delivery"}
    with pytest.raises(config.exceptions.InsufficientDeliveryPolicyException):
        config.put_delivery_channel(DeliveryChannel=channel)  # the bucket policy, but not the key
    assert config.describe_delivery_channels()["DeliveryChannels"] == []
    iam.put_role_policy(
        RoleName="compat-config",
        PolicyName="deliver",
        PolicyDocument=_policy(
            {"Action": "s3:PutObject", "Resource": "arn:aws:s3:::compat-config-delivery/*"},
            {"Action": "s3:GetBucketAcl", "Resource": "arn:aws:s3:::compat-config-delivery"},
            {"Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": key},
        ),
    )
    with pytest.raises(config.exceptions.InsufficientDeliveryPolicyException):
        config.put_delivery_channel(DeliveryChannel=channel)  # IAM has not propagated it yet
    config.put_delivery_channel(DeliveryChannel=channel)
    assert [c["name"] for c in config.describe_delivery_channels()["DeliveryChannels"]] == [
        "compat"
    ]
    config.delete_delivery_channel(DeliveryChannelName="compat")
    config.delete_configuration_recorder(ConfigurationRecorderName="compat")


def test_an_encrypted_log_group_needs_a_key_policy_for_cloudwatch_logs(emulator):
    """CreateLogGroup with a key whose policy does not let logs.<region>.amazonaws.com use it (with
    the group's ARN as encryption context) is refused as AWS refuses it."""
    e = emulator.endpoints
    kms, logs = e.client("kms"), e.client("logs")
    admin_only = kms.create_key(
        Policy=_policy({"Principal": _root(e), "Action": "kms:*", "Resource": "*"})
    )["KeyMetadata"]["Arn"]
    with pytest.raises(logs.exceptions.InvalidParameterException, match="not allowed"):
        logs.create_log_group(logGroupName="/compat/encrypted", kmsKeyId=admin_only)
    assert logs.describe_log_groups(logGroupNamePrefix="/compat/encrypted")["logGroups"] == []
    usable = kms.create_key(
        Policy=_policy(
            {"Principal": _root(e), "Action": "kms:*", "Resource": "*"},
            {
                "Principal": {"Service": f"logs.{e.region}.amazonaws.com"},
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:aws:logs:{e.region}:{e.account_id()}:log-group:*"
                        )
                    }
                },
            },
        )
    )["KeyMetadata"]["Arn"]
    logs.create_log_group(logGroupName="/compat/encrypted", kmsKeyId=usable)
    logs.delete_log_group(logGroupName="/compat/encrypted")


def test_a_new_instance_profile_is_not_usable_until_iam_has_propagated_it(emulator):
    """RunInstances right after the profile is created (or given its role) is refused with EC2's
    "Invalid IAM Instance Profile name"; a moment later it is accepted."""
    import time

    import botocore.exceptions

    from lab.emulator.compat.ec2 import PROPAGATION_S

    e = emulator.endpoints
    iam, ec2 = e.client("iam"), e.client("ec2")
    trust = _policy({"Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})
    iam.create_role(RoleName="compat-profile", AssumeRolePolicyDocument=trust)
    iam.create_instance_profile(InstanceProfileName="compat-profile")
    iam.add_role_to_instance_profile(
        InstanceProfileName="compat-profile", RoleName="compat-profile"
    )
    launch = {
        "ImageId": "ami-12c6146b",
        "MinCount": 1,
        "MaxCount": 1,
        "IamInstanceProfile": {"Name": "compat-profile"},
    }
    with pytest.raises(botocore.exceptions.ClientError, match="Invalid IAM Instance Profile name"):
        ec2.run_instances(**launch)
    time.sleep(PROPAGATION_S)
    instance = ec2.run_instances(**launch)["Instances"][0]
    assert instance["IamInstanceProfile"]["Arn"].endswith(":instance-profile/compat-profile")


def test_cancel_command_stops_a_run_command(emulator):
    ssm = emulator.endpoints.client("ssm")
    instance = emulator.endpoints.client("ec2").run_instances(
        ImageId="ami-12c6146b", MinCount=1, MaxCount=1
    )["Instances"][0]["InstanceId"]
    command = ssm.send_command(
        InstanceIds=[instance],
        DocumentName="AWS-RunShellScript",
        Parameters={"commands": ["sleep 600"]},
    )["Command"]["CommandId"]
    ssm.cancel_command(CommandId=command, InstanceIds=[instance])
    assert ssm.list_commands(CommandId=command)["Commands"][0]["Status"] == "Cancelled"
    with pytest.raises(ssm.exceptions.InvalidCommandId):
        ssm.cancel_command(CommandId="00000000-0000-0000-0000-000000000000")


def test_send_command_runs_on_the_instances_named_only(emulator):
    # Another instance in the account, terminated or not, is not the command's.
    ec2 = emulator.endpoints.client("ec2")
    launch = {"ImageId": "ami-12c6146b", "MinCount": 1, "MaxCount": 1}
    left = ec2.run_instances(**launch)["Instances"][0]["InstanceId"]
    ec2.terminate_instances(InstanceIds=[left])
    other = ec2.run_instances(**launch)["Instances"][0]["InstanceId"]
    named = ec2.run_instances(**launch)["Instances"][0]["InstanceId"]
    env = {**os.environ, **emulator.endpoints.cli_env("attacker")}
    argv = ["aws", "ssm", "send-command", "--instance-ids", named]
    argv += ["--document-name", "AWS-RunShellScript", "--parameters", "commands=id"]
    argv += ["--query", "Command.[InstanceIds,TargetCount]", "--output", "json"]
    done = subprocess.run(argv, env=env, check=True, capture_output=True, text=True)
    assert json.loads(done.stdout) == [[named], 1]
    assert other != named
    # Targets still select by tag.
    ec2.create_tags(Resources=[other], Tags=[{"Key": "role", "Value": "web"}])
    command = emulator.endpoints.client("ssm").send_command(
        Targets=[{"Key": "tag:role", "Values": ["web"]}],
        DocumentName="AWS-RunShellScript",
        Parameters={"commands": ["id"]},
    )["Command"]
    assert command["InstanceIds"] == [other]


# What AWS refuses at deploy time on a real account.

CLOUDTRAIL_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def test_create_trail_refuses_a_logs_role_iam_has_not_propagated_yet(emulator):
    e = emulator.endpoints
    e.client("s3").create_bucket(Bucket="lab-compat-fresh")
    e.client("s3").put_bucket_policy(
        Bucket="lab-compat-fresh", Policy=trail_bucket_policy("lab-compat-fresh", e.account_id())
    )
    e.client("logs").create_log_group(logGroupName="/lab/compat")
    group = f"arn:aws:logs:{e.region}:{e.account_id()}:log-group:/lab/compat:*"
    role = e.client("iam").create_role(
        RoleName="lab-compat-trail-to-logs", AssumeRolePolicyDocument=json.dumps(CLOUDTRAIL_TRUST)
    )["Role"]["Arn"]
    trail = {
        "Name": "compat-fresh",
        "S3BucketName": "lab-compat-fresh",
        "CloudWatchLogsLogGroupArn": group,
        "CloudWatchLogsRoleArn": role,
    }
    cloudtrail = e.client("cloudtrail")
    with pytest.raises(cloudtrail.exceptions.InvalidCloudWatchLogsRoleArnException):
        cloudtrail.create_trail(**trail)
    assert cloudtrail.describe_trails()["trailList"] == []
    assert cloudtrail.create_trail(**trail)["CloudWatchLogsRoleArn"] == role  # the retry


def test_delivery_channel_refuses_a_recorder_role_iam_has_not_propagated_yet(emulator):
    """The bucket lets only the recorder's role write (no bucket policy for Config): a role
    just given its permissions cannot be used yet, as on AWS."""
    e = emulator.endpoints
    e.client("s3").create_bucket(Bucket="lab-compat-config")
    trust = {**CLOUDTRAIL_TRUST}
    trust["Statement"] = [
        {**CLOUDTRAIL_TRUST["Statement"][0], "Principal": {"Service": "config.amazonaws.com"}}
    ]
    iam = e.client("iam")
    role = iam.create_role(
        RoleName="lab-compat-recorder", AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]["Arn"]
    iam.put_role_policy(
        RoleName="lab-compat-recorder",
        PolicyName="deliver",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["s3:PutObject", "s3:GetBucketAcl"],
                        "Resource": [
                            "arn:aws:s3:::lab-compat-config",
                            "arn:aws:s3:::lab-compat-config/*",
                        ],
                    }
                ],
            }
        ),
    )
    config = e.client("config")
    config.put_configuration_recorder(ConfigurationRecorder={"name": "default", "roleARN": role})
    channel = {"name": "default", "s3BucketName": "lab-compat-config"}
    with pytest.raises(config.exceptions.InsufficientDeliveryPolicyException):
        config.put_delivery_channel(DeliveryChannel=channel)
    config.put_delivery_channel(DeliveryChannel=channel)  # the retry
    assert config.describe_delivery_channels()["DeliveryChannels"][0]["name"] == "default"


def test_run_instances_refuses_a_type_the_subnets_zone_does_not_offer(emulator):
    ec2 = emulator.endpoints.client("ec2")
    offered = {
        o["Location"]
        for o in ec2.describe_instance_type_offerings(
            LocationType="availability-zone",
            Filters=[{"Name": "instance-type", "Values": ["t3.micro"]}],
        )["InstanceTypeOfferings"]
    }
    assert "us-east-1e" not in offered and "us-east-1a" in offered
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    image = ec2.describe_images()["Images"][0]["ImageId"]
    for zone, cidr in (("us-east-1e", "10.9.1.0/24"), ("us-east-1a", "10.9.2.0/24")):
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]
        launch = {"ImageId": image, "InstanceType": "t3.micro", "MinCount": 1, "MaxCount": 1}
        if zone == "us-east-1e":
            with pytest.raises(ec2.exceptions.ClientError, match="Unsupported") as refused:
                ec2.run_instances(SubnetId=subnet["SubnetId"], **launch)
            assert "us-east-1a" in str(refused.value)
        else:
            assert ec2.run_instances(SubnetId=subnet["SubnetId"], **launch)["Instances"]


def test_a_region_has_one_guardduty_detector_and_one_security_hub_subscription(emulator):
    guardduty = emulator.endpoints.client("guardduty")
    guardduty.create_detector(Enable=True)
    with pytest.raises(guardduty.exceptions.BadRequestException, match="already exists"):
        guardduty.create_detector(Enable=True)
    assert len(guardduty.list_detectors()["DetectorIds"]) == 1
    hub = emulator.endpoints.client("securityhub")
    hub.enable_security_hub(EnableDefaultStandards=False)
    with pytest.raises(hub.exceptions.ResourceConflictException):
        hub.enable_security_hub(EnableDefaultStandards=False)
