"""What each subscriber of the alert topic gets: a manual detector's real alert (bash and the aws
CLI against the emulated account), read back as SNS delivers it to SMS and to e-mail."""

import json
import os
import subprocess

from lab.engines.alert_message import PAGE_MAX_CHARS
from lab.paths import CLI_BASELINE_DIR
from lab.sim.sns import copy_for


def test_a_detector_pages_one_short_line_and_e_mails_the_detail(emulator, tmp_path):
    e = emulator.endpoints
    sns = e.client("sns", "harness")
    topic = sns.create_topic(Name="lab-manual-alerts")["TopicArn"]
    ec2 = e.client("ec2", "harness")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    group = ec2.create_security_group(GroupName="lab-open", Description="open", VpcId=vpc)
    group_id = group["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group_id,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
    )
    result = subprocess.run(
        ["bash", str(CLI_BASELINE_DIR / "detectors" / "sg-open-world.sh")],
        env={
            **os.environ,
            **e.cli_env("monitor"),
            "ALERT_TOPIC_ARN": topic,
            "LAB_DETECTOR_STATE_DIR": str(tmp_path / "state"),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    (params,) = [
        r["requestParameters"]
        for r in emulator.recorder.records()
        if r["eventName"] == "Publish" and not r.get("errorCode")
    ]
    assert params["messageStructure"] == "json" and set(json.loads(params["message"])) == {
        "default",
        "sms",
    }
    page, mail = copy_for(params, "sms"), copy_for(params, "email")
    assert page == (
        f"[lab-manual] Security group {group_id} open to the Internet | {e.region} "
        f"| run: runbooks/sg-open-world.sh {group_id}"
    )
    assert len(page) <= PAGE_MAX_CHARS and "\n" not in page
    assert mail.startswith(f"Detector sg-open-world found security group {group_id} ")
    assert f"Check its rules: aws ec2 describe-security-groups --group-ids {group_id}" in mail


def test_an_unstructured_message_reaches_every_protocol_whole():
    """What EventBridge publishes (an event, or its input transformer's text): no MessageStructure
    on that path, so the page and the e-mail carry the same message."""
    params = {"topicArn": "arn:aws:sns:us-east-1:123456789012:t", "message": '{"detail": {}}'}
    assert copy_for(params, "sms") == copy_for(params, "email") == '{"detail": {}}'
