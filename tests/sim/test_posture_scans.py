"""The monitoring instance's posture report by e-mail: a scan's new FAIL, published to the account's
alert topic with the report line by e-mail and one short line as a page."""

import json
from types import SimpleNamespace

from lab.engines.alert_message import PAGE_MAX_CHARS
from lab.sim.posture_scans import PostureFinding, PostureScans
from lab.sim.sns import copy_for


def test_a_posture_fail_is_e_mailed_whole_and_paged_as_one_line(emulator):
    e = emulator.endpoints
    topic = e.client("sns", "harness").create_topic(Name="lab-manual-alerts")["TopicArn"]
    scans = PostureScans.__new__(PostureScans)  # only its delivery to the topic
    scans.sim = SimpleNamespace(endpoints=e, pump=lambda **kwargs: None)
    resource = f"arn:aws:ec2:{e.region}:{e.account_id()}:security-group/sg-1"
    check = "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22"
    scans._to_topic(topic, PostureFinding(check, resource, "FAIL", "High", "SSH open"))
    (params,) = [
        r["requestParameters"]
        for r in emulator.recorder.records()
        if r["eventName"] == "Publish" and not r.get("errorCode")
    ]
    page, mail = copy_for(params, "sms"), copy_for(params, "email")
    assert page.startswith(f"[lab-manual] Prowler High: {check} | {resource} in {e.region}")
    assert len(page) <= PAGE_MAX_CHARS
    assert json.loads(mail)["detail"] == {
        "prowlerCheck": check,
        "resource": resource,
        "resourceId": "sg-1",
        "severity": "High",
        "title": "SSH open",
    }
