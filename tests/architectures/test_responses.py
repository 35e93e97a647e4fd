"""The orchestrator Lambda's responses, run as plain boto3 code against the emulated account (as
Lambda runs them, from the package the lab builds): each acts on what the event names and only on
what is still wrong, and alerts with the detail by e-mail and one short line as a page."""

import importlib.util
import json
import zipfile

import pytest

from lab.architectures.lambda_package import build_all
from lab.engines.alert_message import PAGE_MAX_CHARS
from lab.paths import FUNCTIONS_DIR, REPO_ROOT
from lab.sim.sns import copy_for


def load_function(name, tmp_path, monkeypatch):
    """The function ``name``'s handler module, imported from its built package (its shared modules
    at the root, as Lambda's runtime finds them)."""
    build_all(FUNCTIONS_DIR, tmp_path / "build")
    code = tmp_path / name
    with zipfile.ZipFile(tmp_path / "build" / f"{name}.zip") as archive:
        archive.extractall(code)
    monkeypatch.syspath_prepend(str(code))
    spec = importlib.util.spec_from_file_location(f"lab_{name}_handler", code / "handler.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def respond(emulator, monkeypatch, tmp_path):
    for name, value in emulator.endpoints.cli_env("harness").items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
    return load_function("respond", tmp_path, monkeypatch)


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


@pytest.fixture
def remediate_sg(emulator, monkeypatch, tmp_path):
    for name, value in emulator.endpoints.cli_env("harness").items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
    sns = emulator.endpoints.client("sns", "harness")
    monkeypatch.setenv("ALERT_TOPIC_ARN", sns.create_topic(Name="lab-alerts")["TopicArn"])
    return load_function("remediate_sg", tmp_path, monkeypatch)


def published(emulator):
    """The request parameters of every Publish the account accepted, oldest first."""
    return [
        r["requestParameters"]
        for r in emulator.recorder.records()
        if r["eventName"] == "Publish" and not r.get("errorCode")
    ]


def test_an_alert_pages_one_short_line_and_e_mails_the_whole_result(emulator, respond, monkeypatch):
    """The respond function's alert, read back from the account: the SMS copy is one line (what,
    where, which runbook), the e-mail copy the indented result with the event; an SQS subscriber
    (no entry of its own) gets the e-mail's detail too, as SNS delivers it."""
    sns = emulator.endpoints.client("sns", "harness")
    sqs = emulator.endpoints.client("sqs", "harness")
    topic = sns.create_topic(Name="lab-alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="lab-alerts-copy")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn["Attributes"]["QueueArn"])
    monkeypatch.setenv("ALERT_TOPIC_ARN", topic)
    iam = emulator.endpoints.client("iam", "harness")
    iam.create_user(UserName="lab-worker")
    key = iam.create_access_key(UserName="lab-worker")["AccessKey"]["AccessKeyId"]
    padding = {f"field{n}": "x" * 40 for n in range(60)}  # an event of several KB
    detail = {
        "eventName": "CreateAccessKey",
        "requestParameters": {"userName": "lab-worker"},
        "responseElements": {"accessKey": {"accessKeyId": key, "userName": "lab-worker"}},
        "additionalEventData": padding,
    }
    assert respond.handler({"detail": detail}, None)["status"] == "remediated"
    (params,) = published(emulator)
    page, mail = copy_for(params, "sms"), copy_for(params, "email")
    region = emulator.endpoints.region
    assert page == (
        f"[lab] CreateAccessKey: fixed | lab-worker in {region} "
        "| fixed by deactivate_keys_of_other_user"
    )
    assert len(mail) > 2_000 and len(page) <= PAGE_MAX_CHARS
    assert json.loads(mail)["detail"]["responseElements"]["accessKey"]["accessKeyId"] == key
    body = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0)["Messages"][0]["Body"]
    assert json.loads(json.loads(body)["Message"]) == json.loads(mail)


def _event(emulator, name):
    record = [r for r in emulator.recorder.records() if r["eventName"] == name][-1]
    return {"detail": {k: v for k, v in record.items() if k != "lab"}}


def test_the_security_group_response_revokes_what_the_event_opened_and_nothing_else(
    emulator, remediate_sg
):
    ec2 = emulator.endpoints.client("ec2", "harness")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    group = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    world = [{"CidrIp": "0.0.0.0/0"}]
    https = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": world}
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[https])  # intended
    attacker = emulator.endpoints.client("ec2", "attacker")
    ssh = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": world}
    attacker.authorize_security_group_ingress(GroupId=group, IpPermissions=[ssh])
    result = remediate_sg.handler(_event(emulator, "AuthorizeSecurityGroupIngress"), None)
    assert result["status"] == "remediated"
    assert [r["FromPort"] for r in result["revoked"]] == [22]
    left = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["IpPermissions"]
    assert [(p["FromPort"], p["IpRanges"][0]["CidrIp"]) for p in left] == [(443, "0.0.0.0/0")]
    # The legacy call (top-level CidrIp, no ipPermissions): matched by what it asked for.
    attacker.authorize_security_group_ingress(
        GroupId=group, IpProtocol="tcp", FromPort=3389, ToPort=3389, CidrIp="0.0.0.0/0"
    )
    event = _event(emulator, "AuthorizeSecurityGroupIngress")
    event["detail"]["responseElements"] = None
    assert [r["FromPort"] for r in remediate_sg.handler(event, None)["revoked"]] == [3389]
    # Run again: nothing left that the event opened.
    assert remediate_sg.handler(event, None)["status"] == "compliant"


def test_a_brute_force_by_the_instance_itself_quarantines_it_instead_of_denying_the_victim(
    emulator, respond, monkeypatch
):
    """GuardDuty's resourceRole says which side the instance is on: TARGET (attacked: deny the
    source) or ACTOR (it attacks others: it is compromised, quarantine it). The runbooks are
    started on the emulated account's SSM, as the function starts them."""
    from moto.ssm.models import ssm_backends

    from lab.emulator.compat import ssm as compat

    ssm = emulator.endpoints.client("ssm", "harness")
    for name in ("lab-DenySourceInNetworkAcl", "lab-QuarantineInstance"):
        path = REPO_ROOT / "terraform" / "ssm" / f"{name}.yaml"
        ssm.create_document(
            Name=name, Content=path.read_text(), DocumentType="Automation", DocumentFormat="YAML"
        )
    sns = emulator.endpoints.client("sns", "harness")
    monkeypatch.setenv("ALERT_TOPIC_ARN", sns.create_topic(Name="lab-alerts")["TopicArn"])
    monkeypatch.setenv("AUTOMATION_ROLE_ARN", "arn:aws:iam::123456789012:role/lab-ssm-automation")
    finding = {
        "type": "UnauthorizedAccess:EC2/SSHBruteForce",
        "createdAt": "2026-01-05T09:00:00Z",
        "updatedAt": "2026-01-05T09:00:00Z",
        "resource": {"instanceDetails": {"instanceId": "i-0123456789abcdef0"}},
        "service": {
            "resourceRole": "TARGET",
            "action": {
                "networkConnectionAction": {"remoteIpDetails": {"ipAddressV4": "203.0.113.9"}}
            },
        },
    }
    assert respond.respond_to_finding(finding)["runbook"] == "lab-DenySourceInNetworkAcl"
    actor = {**finding, "service": {**finding["service"], "resourceRole": "ACTOR"}}
    assert respond.respond_to_finding(actor)["runbook"] == "lab-QuarantineInstance"
    backend = ssm_backends[emulator.endpoints.account_id()][emulator.endpoints.region]
    started = sorted(e["DocumentName"] for e in compat.executions(backend).values())
    assert started == ["lab-DenySourceInNetworkAcl", "lab-QuarantineInstance"]


def test_a_finding_whose_first_event_carries_later_occurrences_starts_its_runbook_once(
    emulator, respond, monkeypatch
):
    """GuardDuty's first event for a finding may already have updatedAt after createdAt (more
    occurrences before it was published): the runbook starts all the same, and once per finding
    id, however many events of the finding follow (an idempotency token made from the id)."""
    from moto.ssm.models import ssm_backends

    from lab.emulator.compat import ssm as compat

    ssm = emulator.endpoints.client("ssm", "harness")
    path = REPO_ROOT / "terraform" / "ssm" / "lab-DenySourceInNetworkAcl.yaml"
    ssm.create_document(
        Name="lab-DenySourceInNetworkAcl",
        Content=path.read_text(),
        DocumentType="Automation",
        DocumentFormat="YAML",
    )
    sns = emulator.endpoints.client("sns", "harness")
    monkeypatch.setenv("ALERT_TOPIC_ARN", sns.create_topic(Name="lab-alerts")["TopicArn"])
    monkeypatch.setenv("AUTOMATION_ROLE_ARN", "arn:aws:iam::123456789012:role/lab-ssm-automation")
    finding = {
        "id": "a2b4c6d8e0f1a2b4c6d8e0f1a2b4c6d8",
        "type": "UnauthorizedAccess:EC2/SSHBruteForce",
        "createdAt": "2026-01-05T09:00:00Z",
        "updatedAt": "2026-01-05T09:04:10Z",
        "resource": {"instanceDetails": {"instanceId": "i-0123456789abcdef0"}},
        "service": {
            "resourceRole": "TARGET",
            "count": 37,
            "action": {
                "networkConnectionAction": {"remoteIpDetails": {"ipAddressV4": "203.0.113.9"}}
            },
        },
    }
    first = respond.respond_to_finding(finding)
    assert (first["status"], first["runbook"]) == ("remediating", "lab-DenySourceInNetworkAcl")
    later = {**finding, "updatedAt": "2026-01-05T09:19:10Z", "service": {**finding["service"]}}
    again = respond.respond_to_finding(later)
    assert (
        again.get("automationExecutionId", first["automationExecutionId"])
        == (first["automationExecutionId"])
    )
    # The same finding with other parameters (a second source): SSM refuses the token again
    # (IdempotentParameterMismatch) and nothing more starts.
    action = {"networkConnectionAction": {"remoteIpDetails": {"ipAddressV4": "203.0.113.10"}}}
    moved = {**finding, "service": {**finding["service"], "action": action}}
    assert respond.respond_to_finding(moved)["status"] == "ignored"
    other = respond.respond_to_finding({**finding, "id": "f" * 32})
    backend = ssm_backends[emulator.endpoints.account_id()][emulator.endpoints.region]
    started = sorted(compat.executions(backend))
    assert started == sorted({first["automationExecutionId"], other["automationExecutionId"]})


def _image(emulator, tags=()):
    ec2 = emulator.endpoints.client("ec2", "harness")
    image = ec2.describe_images()["Images"][0]["ImageId"]
    vpc = ec2.create_vpc(CidrBlock="10.3.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.3.1.0/24", AvailabilityZone="us-east-1a")
    instance = ec2.run_instances(
        ImageId=image,
        InstanceType="t3.micro",
        MinCount=1,
        MaxCount=1,
        SubnetId=subnet["Subnet"]["SubnetId"],
    )["Instances"][0]["InstanceId"]
    spec = [{"ResourceType": "image", "Tags": list(tags)}] if tags else []
    return ec2.create_image(InstanceId=instance, Name="lab-app", TagSpecifications=spec)["ImageId"]


def test_an_ami_share_is_undone_for_what_the_event_added_and_a_declared_share_is_left(
    emulator, respond, monkeypatch
):
    """Routine administration is not an attack: the response removes only the launch permission
    the call added (the partner's share stays), and an image tagged lab:allowed-changes with the
    event's name is left alone."""
    sns = emulator.endpoints.client("sns", "harness")
    monkeypatch.setenv("ALERT_TOPIC_ARN", sns.create_topic(Name="lab-alerts")["TopicArn"])
    ec2 = emulator.endpoints.client("ec2", "harness")
    image = _image(emulator)
    partner, stranger = {"UserId": "111122223333"}, {"UserId": "444455556666"}
    ec2.modify_image_attribute(ImageId=image, LaunchPermission={"Add": [partner]})
    emulator.endpoints.client("ec2", "attacker").modify_image_attribute(
        ImageId=image, LaunchPermission={"Add": [stranger]}
    )
    event = _event(emulator, "ModifyImageAttribute")
    result = respond.handler({**event, "detail-type": "AWS API Call via CloudTrail"}, None)
    assert result["status"] == "remediated", result
    left = ec2.describe_image_attribute(ImageId=image, Attribute="launchPermission")
    assert left["LaunchPermissions"] == [partner]
    declared = _image(
        emulator, tags=[{"Key": "lab:allowed-changes", "Value": "ModifyImageAttribute"}]
    )
    ec2.modify_image_attribute(ImageId=declared, LaunchPermission={"Add": [stranger]})
    event = _event(emulator, "ModifyImageAttribute")
    result = respond.handler({**event, "detail-type": "AWS API Call via CloudTrail"}, None)
    assert result["status"] == "ignored" and "lab:allowed-changes" in result["allowedBy"]
    left = ec2.describe_image_attribute(ImageId=declared, Attribute="launchPermission")
    assert left["LaunchPermissions"] == [stranger]


def test_keys_made_by_an_administrator_tagged_for_it_are_routine(emulator, respond, monkeypatch):
    """An administrator whose user is tagged lab:allowed-changes with CreateAccessKey makes keys
    for others as their job: the key stays active and nobody is alerted."""
    sns = emulator.endpoints.client("sns", "harness")
    monkeypatch.setenv("ALERT_TOPIC_ARN", sns.create_topic(Name="lab-alerts")["TopicArn"])
    iam = emulator.endpoints.client("iam", "harness")
    iam.create_user(UserName="lab-worker")
    key = iam.create_access_key(UserName="lab-worker")["AccessKey"]["AccessKeyId"]
    admin = {
        "type": "IAMUser",
        "userName": "lab-admin",
        "arn": "arn:aws:iam::123456789012:user/lab-admin",
    }
    detail = {
        "eventName": "CreateAccessKey",
        "userIdentity": admin,
        "requestParameters": {"userName": "lab-worker"},
        "responseElements": {"accessKey": {"accessKeyId": key, "userName": "lab-worker"}},
    }
    event = {"detail-type": "AWS API Call via CloudTrail", "detail": detail}
    iam.create_user(UserName="lab-admin")
    assert respond.handler(event, None)["status"] == "remediated"  # untagged: contained
    iam.update_access_key(UserName="lab-worker", AccessKeyId=key, Status="Active")
    iam.tag_user(
        UserName="lab-admin",
        Tags=[{"Key": "lab:allowed-changes", "Value": "CreateAccessKey CreateLoginProfile"}],
    )
    result = respond.handler(event, None)
    assert result["status"] == "ignored" and result["allowedBy"].startswith("caller tag")
    assert iam.list_access_keys(UserName="lab-worker")["AccessKeyMetadata"][0]["Status"] == (
        "Active"
    )


def test_a_public_snapshot_is_made_private_and_its_other_shares_stay(
    emulator, respond, monkeypatch
):
    sns = emulator.endpoints.client("sns", "harness")
    monkeypatch.setenv("ALERT_TOPIC_ARN", sns.create_topic(Name="lab-alerts")["TopicArn"])
    ec2 = emulator.endpoints.client("ec2", "harness")
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1)["VolumeId"]
    snapshot = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
    ec2.modify_snapshot_attribute(
        SnapshotId=snapshot, CreateVolumePermission={"Add": [{"UserId": "111122223333"}]}
    )
    emulator.endpoints.client("ec2", "attacker").modify_snapshot_attribute(
        SnapshotId=snapshot, CreateVolumePermission={"Add": [{"Group": "all"}]}
    )
    event = _event(emulator, "ModifySnapshotAttribute")
    result = respond.handler({**event, "detail-type": "AWS API Call via CloudTrail"}, None)
    assert result["status"] == "remediated", result
    left = ec2.describe_snapshot_attribute(SnapshotId=snapshot, Attribute="createVolumePermission")
    assert left["CreateVolumePermissions"] == [{"UserId": "111122223333"}]
